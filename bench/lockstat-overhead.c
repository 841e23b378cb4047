// SPDX-License-Identifier: GPL-2.0-only
/*
 * lockstat-overhead.c - what tracing the mmap_lock (replay --lockstat) costs
 * the replay, and whether it loses events
 *
 *   build/bench/lockstat-overhead [--ops N] [--rounds R] [--readers N] [--reader KIND]
 *
 * The writer is the mapper workload's loop (workloads/mapper.c) issued
 * directly, as `vmatrace replay --speed asap` issues it: a 128 MiB region
 * mapped with MAP_POPULATE, then --ops times a page drawn at random and a
 * coin tossed: mmap that page (MAP_FIXED | MAP_POPULATE) or munmap it.  The
 * draws are seeded, so every round issues the same calls.  --readers
 * processes run the replay's own reader_loop() of --reader KIND on the
 * writer meanwhile (2 smaps readers by default, the review's setup).
 *
 * Each round runs the writer twice from a fresh process, once untraced and
 * once between lockstat_start() and lockstat_stop(), the order alternating
 * round by round so drift hits both alike.  The figures are the writer's
 * loop time and the CPU time it took; the slowdowns are the medians of the
 * per-round ratios.  On a shared machine the CPU time is the steadier: it
 * is what the tracepoints cost the writer, while the wall time adds
 * whatever else ran (the draining thread among it, whose share is shown).
 * With readers, the writer's time also depends on how the lock is shared
 * between it and them, which tracing shifts (each acquisition gets
 * dearer), so the reader passes are shown too.  Lost events are the
 * kernel's count for each traced run; a 10 s run (--ops about 10 s worth)
 * says whether the buffer and the draining keep up with the heaviest case.
 *
 * Needs root and tracefs, like --lockstat.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/lockstat.h"
#include "replay/readers.h"
#include "util.h"

#define REGION (128ull << 20)
#define MAX_READERS 16

struct shared {
	volatile int ready, go, readers_stop;
	volatile uint64_t writer_ns, writer_cpu_ns;
	struct reader_stats rd[MAX_READERS];
};

struct run {
	double secs, cpu_secs; /* the writer's loop: wall time, and its CPU time */
	uint64_t passes, lost;
	double wait_p50, wait_p99, hold_p50, hold_p99, acq_per_s, per_pass;
	double cpu; /* our CPU time (the draining thread's, the rest of us sleeps) per second */
};

static struct shared *sh;

static void sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void __attribute__((noreturn)) writer_main(uint64_t ops)
{
	const int flags = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t npages = REGION / (uint64_t)pg, seed = 0x9e3779b97f4a7c15ull, t0, c0;
	char *base;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	base = mmap(NULL, REGION, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (base == MAP_FAILED)
		_exit(1);
	sh->ready = 1;
	while (!sh->go)
		sleep_us(100);
	t0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (uint64_t i = 0; i < ops; i++) {
		uint64_t r = xorshift(&seed);
		char *p = base + (r % npages) * (uint64_t)pg;

		if (r >> 63) {
			if (mmap(p, (size_t)pg, PROT_WRITE, flags, -1, 0) == MAP_FAILED)
				_exit(1);
		} else {
			munmap(p, (size_t)pg);
		}
	}
	sh->writer_ns = now_ns(CLOCK_MONOTONIC) - t0;
	sh->writer_cpu_ns = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	_exit(0);
}

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static void reap(pid_t pid)
{
	int st;

	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
}

static double field(json_object *a, const char *role, const char *mode, const char *h,
		    const char *key)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *o = json_object_array_get_idx(a, i), *r, *m, *v;

		if (!json_object_object_get_ex(o, "role", &r) ||
		    !json_object_object_get_ex(o, "mode", &m) ||
		    strcmp(json_object_get_string(r), role) ||
		    strcmp(json_object_get_string(m), mode))
			continue;
		if (h && !json_object_object_get_ex(o, h, &o))
			return 0;
		return json_object_object_get_ex(o, key, &v) && v ? json_object_get_double(v) : 0;
	}
	return 0;
}

/* One writer run with @nr readers; traced with lockstat when @traced.  -1 on failure. */
static int one_run(uint64_t ops, unsigned int nr, enum reader_kind kind, bool traced,
		   struct run *out)
{
	const struct reader_config cfg = {
		.kind = kind, .nice = 0, .cpu = -1, .reopen = true, .bufsize = 64 * 1024
	};
	pid_t writer, readers[MAX_READERS] = { 0 };
	struct lockstat *ls = NULL;
	uint64_t p0 = 0, p1 = 0, cpu0;
	char why[256];
	int ret = -1, st;

	memset(sh, 0, sizeof(*sh));
	for (unsigned int i = 0; i < nr; i++)
		hist_init(&sh->rd[i].pass);
	memset(out, 0, sizeof(*out));
	fflush(NULL);
	writer = fork();
	if (writer == 0)
		writer_main(ops);
	if (writer < 0) {
		error("cannot fork the writer: %s", strerror(errno));
		return -1;
	}
	while (!sh->ready && waitpid(writer, NULL, WNOHANG) == 0)
		sleep_us(1000);
	for (unsigned int i = 0; i < nr; i++) {
		readers[i] = fork();
		if (readers[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			_exit(reader_loop(&cfg, &writer, 1, &sh->readers_stop, &sh->rd[i]) ? 1 : 0);
		}
	}
	/* every reader under way before the clock starts */
	for (unsigned int i = 0; i < nr; i++) {
		while (!sh->rd[i].passes && !sh->rd[i].errors) {
			if (readers[i] < 0 || waitpid(readers[i], NULL, WNOHANG) == readers[i]) {
				readers[i] = 0;
				error("reader %u could not start", i);
				goto out;
			}
			sleep_us(1000);
		}
	}
	if (traced) {
		ls = lockstat_start(&writer, 1, readers, nr, why, sizeof(why));
		if (!ls) {
			error("cannot trace the mmap_lock: %s", why);
			goto out;
		}
	}
	for (unsigned int i = 0; i < nr; i++)
		p0 += sh->rd[i].passes;
	cpu0 = cpu_ns();
	sh->go = 1;
	if (waitpid(writer, &st, 0) != writer || !WIFEXITED(st) || WEXITSTATUS(st)) {
		error("the writer failed");
		writer = 0;
		goto out;
	}
	writer = 0;
	for (unsigned int i = 0; i < nr; i++)
		p1 += sh->rd[i].passes;
	out->secs = (double)sh->writer_ns / 1e9;
	out->cpu_secs = (double)sh->writer_cpu_ns / 1e9;
	out->passes = p1 - p0;
	out->cpu = out->secs > 0 ? (double)(cpu_ns() - cpu0) / 1e9 / out->secs : 0;
	if (ls) {
		json_object *j;
		double acq = 0;

		if (lockstat_stop(ls)) {
			error("lockstat: %s", lockstat_error(ls));
			goto out;
		}
		j = lockstat_json(ls, out->passes);
		out->lost = (uint64_t)field(j, "writer", "write", NULL, "lost_events");
		out->wait_p50 = field(j, "writer", "write", "wait", "p50_ns");
		out->wait_p99 = field(j, "writer", "write", "wait", "p99_ns");
		out->hold_p50 = field(j, "writer", "write", "hold", "p50_ns");
		out->hold_p99 = field(j, "writer", "write", "hold", "p99_ns");
		out->per_pass = field(j, "reader", "read", NULL, "acquisitions_per_pass");
		for (int r = 0; r < 2; r++)
			for (int m = 0; m < 2; m++)
				acq += field(j, r ? "reader" : "writer", m ? "write" : "read", NULL,
					     "acquisitions") +
				       field(j, r ? "reader" : "writer", m ? "write" : "read", NULL,
					     "excluded_acquisitions");
		out->acq_per_s = out->secs > 0 ? acq / out->secs : 0;
		json_object_put(j);
	}
	ret = 0;
out:
	lockstat_free(ls);
	sh->readers_stop = 1;
	if (writer > 0) {
		kill(writer, SIGKILL);
		reap(writer);
	}
	for (unsigned int i = 0; i < nr; i++)
		reap(readers[i]);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @v (sorted in place). */
static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char usage[] =
	"usage: lockstat-overhead [--ops N] [--rounds R] [--readers N] [--reader KIND]\n"
	"  the mapper loop, N ops (default 200000), with and without mmap_lock tracing,\n"
	"  R rounds (default 5), N readers of KIND (default 2 smaps) reading it\n";

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ops", required_argument, NULL, 'o' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "readers", required_argument, NULL, 'n' },
		{ "reader", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t ops = 200000, rounds = 5, nr = 2;
	int kind = READER_SMAPS, c;
	double *off, *on, *ratio, *coff, *con, *cratio;
	struct run *runs;
	uint64_t lost_max = 0, lost_sum = 0;
	struct utsname u;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (parse_u64(optarg, &ops, true) || !ops)
				return usage_error("lockstat-overhead", "bad --ops '%s'", optarg);
			break;
		case 'r':
			if (parse_u64(optarg, &rounds, false) || !rounds || rounds > 1000)
				return usage_error("lockstat-overhead", "bad --rounds '%s'",
						   optarg);
			break;
		case 'n':
			if (parse_u64(optarg, &nr, false) || nr > MAX_READERS)
				return usage_error("lockstat-overhead", "bad --readers '%s'",
						   optarg);
			break;
		case 'k':
			kind = reader_kind_from_name(optarg);
			if (kind < 0)
				return usage_error("lockstat-overhead", "bad --reader '%s'",
						   optarg);
			break;
		case 'h':
			return print_usage(usage);
		default:
			return usage_error("lockstat-overhead", "unknown option");
		}
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	off = calloc(rounds, sizeof(*off));
	on = calloc(rounds, sizeof(*on));
	ratio = calloc(rounds, sizeof(*ratio));
	coff = calloc(rounds, sizeof(*coff));
	con = calloc(rounds, sizeof(*con));
	cratio = calloc(rounds, sizeof(*cratio));
	runs = calloc(rounds, sizeof(*runs));
	if (sh == MAP_FAILED || !off || !on || !ratio || !coff || !con || !cratio || !runs)
		return error("out of memory");
	uname(&u);
	printf("== lockstat overhead: %s, %ld CPUs, mapper loop %" PRIu64 " ops, %" PRIu64
	       " %s readers, %" PRIu64 " rounds\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), ops, nr,
	       reader_kind_name((enum reader_kind)kind), rounds);
	for (uint64_t r = 0; r < rounds; r++) {
		struct run plain;

		for (int k = 0; k < 2; k++) {
			bool traced = (k == 0) == (r % 2 == 1);

			if (one_run(ops, (unsigned int)nr, (enum reader_kind)kind, traced,
				    traced ? &runs[r] : &plain))
				return EXIT_FAIL;
		}
		off[r] = plain.secs;
		on[r] = runs[r].secs;
		ratio[r] = on[r] / off[r];
		coff[r] = plain.cpu_secs;
		con[r] = runs[r].cpu_secs;
		cratio[r] = con[r] / coff[r];
		lost_sum += runs[r].lost;
		if (runs[r].lost > lost_max)
			lost_max = runs[r].lost;
		printf("round %" PRIu64 ": untraced %.3f s (CPU %.3f s, %" PRIu64
		       " reader passes), traced %.3f s (CPU %.3f s, %" PRIu64 " passes, %.1f "
		       "acquisitions/pass): %.2fx wall, %.2fx CPU; %.0f acquisitions/s traced, "
		       "%" PRIu64 " events lost, drain thread %.1f%% of a CPU; writer write wait "
		       "p50/p99 %.1f/%.1f us, hold %.1f/%.1f us\n",
		       r + 1, plain.secs, plain.cpu_secs, plain.passes, runs[r].secs,
		       runs[r].cpu_secs, runs[r].passes, runs[r].per_pass, ratio[r], cratio[r],
		       runs[r].acq_per_s, runs[r].lost, runs[r].cpu * 100, runs[r].wait_p50 / 1e3,
		       runs[r].wait_p99 / 1e3, runs[r].hold_p50 / 1e3, runs[r].hold_p99 / 1e3);
		fflush(stdout);
	}
	printf("writer loop, median of %" PRIu64 " rounds: untraced %.3f s (CPU %.3f s), "
	       "traced %.3f s (CPU %.3f s)\n",
	       rounds, median(off, (unsigned int)rounds), median(coff, (unsigned int)rounds),
	       median(on, (unsigned int)rounds), median(con, (unsigned int)rounds));
	printf("slowdown: wall %.3fx, CPU %.3fx (medians of the per-round ratios)\n",
	       median(ratio, (unsigned int)rounds), median(cratio, (unsigned int)rounds));
	printf("lost events: %" PRIu64 " in all, at most %" PRIu64 " in a run\n", lost_sum,
	       lost_max);
	return EXIT_OK;
}
