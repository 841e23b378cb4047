// SPDX-License-Identifier: GPL-2.0-only
/*
 * reader-pass.c - what vmatrace's reader costs over the read it times
 *
 *   build/bench/reader-pass [--rounds N] [--seconds S] [--vmas N] [--bufsize B] [--cpu C]
 *
 * A target process holds --vmas VMAs of alternating protection and sleeps.
 * For each text kind (maps, smaps, smaps_rollup), and for both ways of
 * reading (open/read/close each pass, or a kept fd re-read from offset 0),
 * it runs, in the same process and on the same CPU:
 *
 *   bare      the minimal C loop: open, read(2) to EOF into a fixed buffer,
 *             close (or pread from 0 to EOF), and nothing else
 *   vmatrace  reader_loop() with the same buffer size: the same system calls
 *             plus two clock reads, a histogram record and counters per pass
 *
 * each for --seconds, alternating which goes first round by round so drift
 * (frequency, caches, other load) hits both alike.  The cost of a pass is
 * wall time over passes; the figures are the medians over --rounds (after
 * one warm-up round), and the ratio vmatrace/bare is given both as the ratio
 * of the medians and as the median of the per-round ratios.  Target: <= 1.05.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/readers.h"
#include "util.h"

struct timer {
	volatile int *stop;
	uint64_t ns;
};

static void *timer_main(void *arg)
{
	struct timer *t = arg;
	struct timespec ts = { (time_t)(t->ns / 1000000000ull), (long)(t->ns % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
	*t->stop = 1;
	return NULL;
}

static pid_t start_target(unsigned int vmas, int cpu)
{
	int p[2];
	pid_t pid;
	char ch;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		long pg = sysconf(_SC_PAGESIZE);
		char *m = mmap(NULL, (size_t)pg * vmas, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			_exit(1);
		if (cpu >= 0)
			reader_apply_sched(0, cpu);
		for (unsigned int i = 0; i < vmas; i++) {
			m[(size_t)i * (size_t)pg] = 1;
			if (i & 1)
				mprotect(m + (size_t)i * (size_t)pg, (size_t)pg, PROT_READ);
		}
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &ch, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

/* The bare loop; returns passes, or 0 on a failure (which it reports). */
static uint64_t bare(const char *path, bool reopen, char *buf, size_t bufsize, volatile int *stop)
{
	uint64_t passes = 0;
	int kept = -1;

	if (!reopen && (kept = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		goto fail;
	while (!*stop) {
		if (reopen) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				goto fail;
			while (read(fd, buf, bufsize) > 0)
				;
			close(fd);
		} else {
			off_t off = 0;
			ssize_t n;

			while ((n = pread(kept, buf, bufsize, off)) > 0)
				off += n;
		}
		passes++;
	}
	if (kept >= 0)
		close(kept);
	return passes;
fail:
	fprintf(stderr, "reader-pass: %s: %s\n", path, strerror(errno));
	return 0;
}

/* ns per pass of one timed run of @secs_ns, bare or vmatrace. */
static double measure(bool vmatrace, enum reader_kind kind, bool reopen, pid_t target,
		      const char *path, char *buf, size_t bufsize, uint64_t secs_ns,
		      struct reader_stats *st)
{
	const struct reader_config cfg = {
		.kind = kind,
		.nice = 0,
		.cpu = -1,
		.reopen = reopen,
		.bufsize = bufsize,
	};
	volatile int stop = 0;
	struct timer t = { &stop, secs_ns };
	uint64_t t0, t1, passes;
	pthread_t th;

	if (pthread_create(&th, NULL, timer_main, &t))
		return -1;
	t0 = now_ns(CLOCK_MONOTONIC);
	if (vmatrace) {
		passes = reader_loop(&cfg, &target, 1, &stop, st) ? 0 : st->passes;
		if (st->errors)
			passes = 0;
	} else {
		passes = bare(path, reopen, buf, bufsize, &stop);
	}
	t1 = now_ns(CLOCK_MONOTONIC);
	pthread_join(th, NULL);
	return passes ? (double)(t1 - t0) / (double)passes : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char usage[] =
	"usage: reader-pass [--rounds N] [--seconds S] [--vmas N] [--bufsize B] [--cpu C]\n"
	"  --rounds N    timed rounds per kind, after one warm-up (default 9)\n"
	"  --seconds S   length of each timed run (default 0.2)\n"
	"  --vmas N      VMAs of the target process (default 300)\n"
	"  --bufsize B   read(2) size, both loops (default 65536)\n"
	"  --cpu C       CPU for the loops, -1 for none (default: the last CPU)\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "vmas", required_argument, NULL, 'v' },
		{ "bufsize", required_argument, NULL, 'b' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const enum reader_kind kinds[] = { READER_MAPS, READER_SMAPS, READER_SMAPS_ROLLUP };
	static struct reader_stats st;
	unsigned int rounds = 9, vmas = 300;
	uint64_t secs_ns = 200000000ull, u;
	int64_t cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	size_t bufsize = 65536;
	double worst = 0;
	struct utsname un;
	pid_t target;
	char *buf;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_u64(optarg, &u, false) || !u || u > 1000)
				goto bad;
			rounds = (unsigned int)u;
			break;
		case 's':
			if (parse_duration_ns(optarg, &secs_ns) || !secs_ns)
				goto bad;
			break;
		case 'v':
			if (parse_u64(optarg, &u, false) || !u || u > 60000)
				goto bad;
			vmas = (unsigned int)u;
			break;
		case 'b':
			if (parse_u64(optarg, &u, true) || !u || u > (1u << 30))
				goto bad;
			bufsize = (size_t)u;
			break;
		case 'c':
			if (parse_i64(optarg, &cpu) || cpu < -1 || cpu >= CPU_SETSIZE)
				goto bad;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;

	/* the target on another CPU than the loops, where there is one */
	target = start_target(vmas, cpu > 0 ? 0 : -1);
	if (target < 0) {
		fprintf(stderr, "reader-pass: cannot start the target: %s\n", strerror(errno));
		return 1;
	}
	if (cpu >= 0 && reader_apply_sched(getpriority(PRIO_PROCESS, 0), (int)cpu)) {
		fprintf(stderr, "reader-pass: cannot run on CPU %d: %s\n", (int)cpu,
			strerror(errno));
		goto fail;
	}
	buf = malloc(bufsize);
	if (!buf)
		goto fail;

	uname(&un);
	printf("reader pass: vmatrace reader_loop vs a bare loop over the same file, same run, interleaved\n");
	printf("kernel %s, %ld CPUs, loops on CPU %d, target with %u VMAs of alternating protection\n",
	       un.release, sysconf(_SC_NPROCESSORS_ONLN), (int)cpu, vmas);
	printf("read(2) size %zu, %u rounds of %.2f s each way (after one warm-up), medians\n\n",
	       bufsize, rounds, (double)secs_ns / 1e9);
	printf("%-22s %10s %12s %12s %10s %10s\n", "kind", "bytes", "bare ns", "vmatrace ns",
	       "ratio", "ratio/rnd");

	for (unsigned int k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (int reopen = 1; reopen >= 0; reopen--) {
			double b[1000], v[1000], r[1000], mb, mv;
			char path[64], name[40];

			snprintf(path, sizeof(path), "/proc/%d/%s", (int)target,
				 reader_kind_name(kinds[k]));
			snprintf(name, sizeof(name), "%s%s", reader_kind_name(kinds[k]),
				 reopen ? "" : " (kept fd)");
			for (unsigned int i = 0; i <= rounds; i++) {
				/* round i: bare first when i is even, vmatrace first when odd */
				bool vfirst = i & 1;
				double x = measure(vfirst, kinds[k], reopen, target, path, buf,
						   bufsize, secs_ns, &st);
				double y = measure(!vfirst, kinds[k], reopen, target, path, buf,
						   bufsize, secs_ns, &st);

				if (x <= 0 || y <= 0) {
					fprintf(stderr,
						"reader-pass: %s: a run failed (errno %d)\n", name,
						st.last_errno);
					goto fail;
				}
				if (i == 0)
					continue; /* warm-up */
				b[i - 1] = vfirst ? y : x;
				v[i - 1] = vfirst ? x : y;
				r[i - 1] = v[i - 1] / b[i - 1];
			}
			mb = median(b, rounds);
			mv = median(v, rounds);
			printf("%-22s %10.0f %12.0f %12.0f %9.3fx %9.3fx\n", name,
			       st.passes ? (double)st.bytes / (double)st.passes : 0.0, mb, mv,
			       mv / mb, median(r, rounds));
			if (mv / mb > worst)
				worst = mv / mb;
			fflush(stdout);
		}
	}
	printf("\nworst ratio %.3fx (target <= 1.05x)\n", worst);
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	free(buf);
	return 0;
bad:
	fputs(usage, stderr);
	return 2;
fail:
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	return 1;
}
