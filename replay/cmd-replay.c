// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-replay.c - vmatrace replay: the controller
 *
 * Plans the trace, makes the stand-in files and the shared results memory,
 * forks one replay process per traced process and waits for them to be set
 * up, forks the readers and lets them make a first pass, then says go.  When
 * the replays are done (or on Ctrl-C/SIGTERM, which only sets the stop flag
 * so everyone finishes cleanly) it stops the readers, reaps every child and
 * writes the results atomically.  Children die with the controller
 * (PR_SET_PDEATHSIG), so a killed run leaves no process behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "options.h"
#include "lockstat.h"
#include "probe.h"
#include "readers.h"
#include "replay.h"
#include "results.h"
#include "util.h"

#define OFF(f) offsetof(struct replay_options, f)
#define GO_AHEAD_NS 5000000ull

static const char *const reader_choices[] = { "maps", "smaps", "smaps_rollup", "procmap_query",
					      NULL };

#define O(n, s, t, f, d, a, h, ...) \
	{ .name = n, .short_name = s, .type = t, .offset = OFF(f), .def = d, .arg = a, .help = h, __VA_ARGS__ }

static const struct opt_def replay_opts[] = {
	O("output", 'o', OPT_STRING, output, NULL, "R.json", "write the results here (required)"),
	O("pid", 0, OPT_I64, pid, "-1", "PID", "replay only the traced process PID (-1: all)"),
	/* each replay thread keeps ~0.5 MiB of histograms and ring: bounded like --readers */
	O("threads", 0, OPT_UINT, threads, "0", "N",
	  "fold the traced threads onto N replay threads per process (0: one each; "
	  "4096 in all at most)", .max = 1024),
	O("speed", 0, OPT_SPEED, speed, "asap", "asap|X",
	  "as fast as possible, or X times the original pacing (1 = original)"),
	O("loop", 0, OPT_UINT, loops, "0", "N", "replay the trace N times (0: once, or for --duration)"),
	O("duration", 0, OPT_DURATION, duration_ns, "0", "S", "replay for S seconds: the trace's first S seconds, or (paced) repeated, all its processes starting each pass together"),
	O("readers", 0, OPT_UINT, readers, "0", "N", "reader processes", .max = 1024),
	O("reader", 0, OPT_ENUM, reader_kind, "maps", "KIND", "what each reader pass reads",
	  .choices = reader_choices),
	O("reader-nice", 0, OPT_INT, reader_nice, "0", "K", "nice level of the readers", .min = -20,
	  .max = 19),
	O("reader-cpu", 0, OPT_INT, reader_cpu, "-1", "C", "pin the readers to CPU C (-1: any)",
	  .min = -1, .max = 4095),
	O("writer-cpu", 0, OPT_INT, writer_cpu, "-1", "C", "pin the replay processes to CPU C (-1: any)",
	  .min = -1, .max = 4095),
	O("reader-reopen", 0, OPT_YESNO, reader_reopen, "yes", "yes|no",
	  "open, read and close each pass (yes), or keep the file open and reread it (no)"),
	O("lockstat", 0, OPT_FLAG, lockstat, NULL, NULL,
	  "trace mmap_lock waits and holds per role with its tracepoints (root, tracefs)"),
	O("check-tearing", 0, OPT_FLAG, check_tearing, NULL, NULL,
	  "readers check every snapshot for tears (docs/tearing.md)"),
	O("touch", 0, OPT_FLAG, touch, NULL, NULL,
	  "write to new private anonymous memory, so page faults join the load"),
	O("interval", 0, OPT_DURATION, interval_ns, "100ms", "T", "writer latency series interval"),
	O("layout", 0, OPT_STRING, layout_out, NULL, "FILE",
	  "write the final VMA layout, in traced addresses, to FILE (FILE.PID with several processes)"),
	O("no-probe", 0, OPT_FLAG, no_probe, NULL, NULL, "do not probe which lock each reader kind takes"),
	O("quiet", 'q', OPT_FLAG, quiet, NULL, NULL, "no progress line"),
	{ .name = NULL },
};

static const char replay_synopsis[] =
	"usage: vmatrace replay TRACE -o R.json [options]\n"
	"\n"
	"Replay the address-space operations of TRACE: one process per traced process,\n"
	"one thread per traced thread, every range moved to a free place of its own\n"
	"with its neighbours, so the same VMAs merge and split.  Reader processes read\n"
	"the replay processes' maps meanwhile.  Every op and every reader pass is timed;\n"
	"the results (docs/results-format.md) go to R.json.  A trace of more than 1024\n"
	"processes (with ops) needs --pid; of more than 4096 threads, --threads.\n";

static volatile sig_atomic_t interrupted;
static struct replay_shm *g_shm;

/*
 * With --lockstat the readers are held until tracing runs, then make their
 * first pass: setting tracing up takes 50 ms to seconds on a loaded machine,
 * and passes made meanwhile, over replay processes that have not laid out
 * their address space yet, would fill the readers' statistics with quick
 * passes over next to nothing.
 */
static void hold_reader(volatile int *hold, const struct replay_shm *shm)
{
	while (__atomic_load_n(hold, __ATOMIC_ACQUIRE) && !shm->readers_stop)
		usleep(200);
}

static void on_signal(int sig)
{
	interrupted = sig;
	probe_interrupt(); /* a probe under way removes its instance and returns */
	lockstat_interrupt();
	if (g_shm) {
		g_shm->stop = 1;
		g_shm->readers_stop = 1;
	}
}

/* In a child: die with the controller, leave Ctrl-C to it. */
static void child_signals(void)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(EXIT_FAIL);
}

/* Remove the stand-in directories of earlier runs that were killed (their pid is gone). */
static void remove_stale_standins(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[4096], file[4096 + 256 + 2];
		unsigned long pid;
		DIR *sd;
		struct dirent *f;

		if (sscanf(de->d_name, "vmatrace-replay-%lu.", &pid) != 1 || !pid)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* its owner still runs */
		snprintf(path, sizeof(path), "%s/%s", tmp, de->d_name);
		sd = opendir(path);
		while (sd && (f = readdir(sd))) {
			snprintf(file, sizeof(file), "%s/%s", path, f->d_name);
			if (f->d_name[0] != '.')
				unlink(file);
		}
		if (sd)
			closedir(sd);
		rmdir(path);
	}
	closedir(d);
}

static int make_standins(const struct plan *plan, char *dir, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];

	tmp = tmp && *tmp ? tmp : "/tmp";
	remove_stale_standins(tmp);
	/* the pid in the name lets a later run clean up after a killed one */
	snprintf(dir, size, "%s/vmatrace-replay-%d.XXXXXX", tmp, (int)getpid());
	if (!mkdtemp(dir))
		return error("cannot create a directory for stand-in files in '%s': %m", tmp);
	for (uint32_t i = 0; i <= plan->nfiles; i++) {
		uint64_t sz = i < plan->nfiles ? plan->file_size[i] : (1ull << 30);
		int fd;

		if (i < plan->nfiles)
			snprintf(path, sizeof(path), "%s/F%" PRIu32, dir, i);
		else
			snprintf(path, sizeof(path), "%s/unknown", dir);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		/* sparse: the size the traced mappings need, no blocks */
		if (fd < 0 || ftruncate(fd, (off_t)(sz < 4096 ? 4096 : sz))) {
			int saved = errno;

			if (fd >= 0)
				close(fd);
			errno = saved;
			return error("cannot create stand-in file '%s': %m", path);
		}
		close(fd);
	}
	return 0;
}

static void remove_standins(const struct plan *plan, const char *dir)
{
	char path[4096];

	if (!dir[0])
		return;
	for (uint32_t i = 0; i <= plan->nfiles; i++) {
		if (i < plan->nfiles)
			snprintf(path, sizeof(path), "%s/F%" PRIu32, dir, i);
		else
			snprintf(path, sizeof(path), "%s/unknown", dir);
		unlink(path);
	}
	rmdir(dir);
}

static bool selected(const struct replay_options *opt, const struct plan_proc *pp)
{
	return opt->pid < 0 ? pp->ops > 0 || pp->nmaps > 0 : pp->pid == (uint64_t)opt->pid;
}

/*
 * A replay thread keeps about 0.6 MiB (its histograms and ring), and a replay
 * process as much again in the shared results: a trace that claims 100 000
 * threads or processes is refused, with the way out, rather than run until
 * this machine is out of memory or processes.
 */
#define REPLAY_MAX_PROCS 1024
#define REPLAY_MAX_THREADS 4096

static int check_limits(const struct replay_options *opt, const struct plan *plan, uint32_t nrep)
{
	uint64_t threads = 0;

	if (nrep > REPLAY_MAX_PROCS)
		return error("%s: %" PRIu32 " processes to replay, more than %u at once; "
			     "choose one with --pid", opt->trace, nrep, REPLAY_MAX_PROCS);
	for (uint32_t p = 0; p < plan->nprocs; p++) {
		const struct plan_proc *pp = &plan->procs[p];

		if (selected(opt, pp))
			threads += opt->threads ? opt->threads : pp->nthreads_ops ? pp->nthreads_ops : 1;
	}
	if (threads > REPLAY_MAX_THREADS)
		return error("%s: %" PRIu64 " threads to replay, more than %u; fold them onto "
			     "fewer with --threads N, or choose a process with --pid",
			     opt->trace, threads, REPLAY_MAX_THREADS);
	return 0;
}

static void progress(const struct replay_shm *shm, uint64_t t0, bool final)
{
	uint64_t ops = 0, passes = 0, el = now_ns(CLOCK_MONOTONIC) - t0;

	for (uint32_t i = 0; i < shm->nreplays; i++)
		ops += shm->replays[i].state >= REPLAY_DONE ? shm->replays[i].ops : shm->replays[i].progress;
	for (uint32_t i = 0; i < shm->nreaders; i++)
		passes += shm->readers[i].passes;
	fprintf(stderr, "\rreplay: %" PRIu64 " ops, %.0f ops/s, %" PRIu64 " reader passes, %.1f s%s",
		ops, el ? (double)ops * 1e9 / (double)el : 0, passes, (double)el / 1e9,
		final ? "\n" : "   ");
}


/* An outcome as the trace would print it: -ENOMEM, 0, or an address. */
static void outcome_text(int64_t v, char *buf, size_t len)
{
	const char *name;

	if (v < 0 && v >= -4095) {
		name = strerrorname_np((int)-v);
		if (name)
			snprintf(buf, len, "-%s", name);
		else
			snprintf(buf, len, "%" PRId64, v);
	} else if (v == 0) {
		snprintf(buf, len, "0");
	} else {
		snprintf(buf, len, "0x%" PRIx64, (uint64_t)v);
	}
}

/* The first ops of one replay process whose outcome differed from the trace's. */
static json_object *mismatch_list(const struct plan *plan, const struct replay_stats *st)
{
	json_object *list = json_object_new_array();

	for (uint32_t i = 0; i < st->nmismatch_ex && i < REPLAY_MISMATCH_EXAMPLES; i++) {
		const struct replay_mismatch *m = &st->mismatch_ex[i];
		json_object *o = json_object_new_object();
		char buf[64];

		json_object_object_add(o, "t", json_object_new_int64((int64_t)(m->t - plan->t_first)));
		json_object_object_add(o, "tid", json_object_new_int64(m->tid));
		json_object_object_add(o, "op", json_object_new_string(vmt_op_descs[m->kind].name));
		outcome_text(m->traced, buf, sizeof(buf));
		json_object_object_add(o, "traced", json_object_new_string(buf));
		outcome_text(m->replayed, buf, sizeof(buf));
		json_object_object_add(o, "replayed", json_object_new_string(buf));
		json_object_array_add(list, o);
	}
	return list;
}

/* Wait for @pid to exit; its wait status, or -1. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static json_object *op_entry(const char *role, const char *op, const struct hist *h)
{
	json_object *o = results_hist_json(h, true);

	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "op", json_object_new_string(op));
	return o;
}

static json_object *build_results(const struct replay_options *opt, const struct plan *plan,
				  const struct vmt_header *th, const char *sha,
				  const struct probe_result *probe, const struct replay_shm *shm,
				  bool partial)
{
	json_object *root = json_object_new_object(), *meta = json_object_new_object();
	json_object *trace = json_object_new_object(), *ops = json_object_new_array();
	json_object *counts = json_object_new_object(), *skipped = json_object_new_object();
	json_object *procs = json_object_new_array(), *series = json_object_new_array();
	static struct hist kind[VMT_OP_NR], all, late, delay, pacing, rd;
	uint64_t inferred = 0, bounded = 0, conflicts = 0, mismatches = 0, nops = 0, skip[SKIP_NR] = { 0 }, passes = 0, setup = 0;
	uint64_t rerrors = 0, rbytes = 0, first = UINT64_MAX, last = 0, loops = 0;
	uint64_t tears = 0, tchecked = 0, tunchecked = 0;
	json_object *tear_list = json_object_new_array();
	uint32_t nseries = 0;

	for (int k = 0; k < VMT_OP_NR; k++)
		hist_init(&kind[k]);
	hist_init(&all);
	hist_init(&late);
	hist_init(&delay);
	hist_init(&pacing);
	hist_init(&rd);
	results_host_meta(meta);
	json_object_object_add(trace, "path", json_object_new_string(opt->trace));
	json_object_object_add(trace, "sha256", json_object_new_string(sha));
	json_object_object_add(trace, "source", json_object_new_string(th->source));
	json_object_object_add(trace, "capture_kernel", json_object_new_string(th->kernel));
	json_object_object_add(trace, "capture_arch", json_object_new_string(th->arch));
	json_object_object_add(trace, "ops", json_object_new_int64((int64_t)plan->ops));
	json_object_object_add(trace, "processes", json_object_new_int64(plan->nprocs));
	json_object_object_add(trace, "threads", json_object_new_int64(plan->nthreads_total));
	json_object_object_add(trace, "lost_events", json_object_new_int64((int64_t)plan->lost_events));
	json_object_object_add(trace, "duration_ns",
			       json_object_new_int64((int64_t)(plan->t_last - plan->t_first)));
	json_object_object_add(meta, "trace", trace);
	json_object_object_add(meta, "options", options_json(replay_opts, opt));
	json_object_object_add(meta, "probe", probe ? probe_to_json(probe) : NULL);
	json_object_object_add(meta, "partial", json_object_new_boolean(partial));
	json_object_object_add(root, "format", json_object_new_string("vmatrace-results"));
	json_object_object_add(root, "format_version", json_object_new_int(1));
	json_object_object_add(root, "meta", meta);

	for (uint32_t i = 0; i < shm->nreplays; i++) {
		const struct replay_stats *st = &shm->replays[i];
		const struct plan_proc *tp = &plan->procs[st->process];
		json_object *p = json_object_new_object();

		for (int k = 0; k < VMT_OP_NR; k++)
			hist_merge(&kind[k], &st->op[k]);
		hist_merge(&all, &st->all);
		hist_merge(&late, &st->late);
		hist_merge(&delay, &st->delay);
		hist_merge(&pacing, &st->pacing);
		conflicts += st->conflicts;
		inferred += st->inferred;
		bounded += st->bounded;
		mismatches += st->mismatches;
		nops += st->ops;
		setup += st->setup_ops;
		loops = st->loops > loops ? st->loops : loops;
		for (int s = 0; s < SKIP_NR; s++)
			skip[s] += st->skipped[s];
		if (st->t_start && st->t_start < first)
			first = st->t_start;
		if (st->t_end > last)
			last = st->t_end;
		if (st->nseries > nseries)
			nseries = st->nseries;
		json_object_object_add(p, "pid", json_object_new_int(st->pid));
		json_object_object_add(p, "traced_pid", json_object_new_int64(tp->pid));
		json_object_object_add(p, "name", json_object_new_string(tp->name));
		json_object_object_add(p, "threads", json_object_new_int64(st->threads));
		json_object_object_add(p, "ops", json_object_new_int64((int64_t)st->ops));
		json_object_object_add(p, "setup_ops", json_object_new_int64((int64_t)st->setup_ops));
		json_object_object_add(p, "inferred_mappings", json_object_new_int64((int64_t)st->inferred));
		json_object_object_add(p, "loops", json_object_new_int64((int64_t)st->loops));
		json_object_object_add(p, "conflicts", json_object_new_int64((int64_t)st->conflicts));
		json_object_object_add(p, "outcome_mismatches", json_object_new_int64((int64_t)st->mismatches));
		json_object_object_add(p, "clusters_placed", json_object_new_int64((int64_t)st->placed_clusters));
		json_object_object_add(p, "execs", json_object_new_int64((int64_t)st->execs));
		if (st->nmismatch_ex)
			json_object_object_add(p, "mismatch_examples", mismatch_list(plan, st));
		if (st->error[0])
			json_object_object_add(p, "error", json_object_new_string(st->error));
		json_object_array_add(procs, p);
	}
	for (uint32_t i = 0; i < shm->nreaders; i++) {
		hist_merge(&rd, &shm->readers[i].pass);
		passes += shm->readers[i].passes;
		rerrors += shm->readers[i].errors;
		tears += shm->readers[i].tears;
		tchecked += shm->readers[i].checked;
		tunchecked += shm->readers[i].unchecked;
		for (uint64_t k = 0; k < shm->readers[i].tears && k < READER_TEAR_EXAMPLES; k++) {
			json_object *t = json_object_new_object();

			json_object_object_add(t, "reader", json_object_new_int((int)i));
			json_object_object_add(t, "kind", json_object_new_string(reader_choices[opt->reader_kind]));
			json_object_object_add(t, "example", json_object_new_string(shm->readers[i].tear_examples[k]));
			json_object_array_add(tear_list, t);
		}
		rbytes += shm->readers[i].bytes;
	}
	for (int k = 0; k < VMT_OP_NR; k++)
		if (kind[k].count)
			json_object_array_add(ops, op_entry("writer", vmt_op_descs[k].name, &kind[k]));
	json_object_array_add(ops, op_entry("writer", "all", &all));
	if (shm->nreaders)
		json_object_array_add(ops, op_entry("reader", reader_choices[opt->reader_kind], &rd));
	json_object_object_add(root, "ops", ops);

	json_object_object_add(counts, "ops", json_object_new_int64((int64_t)nops));
	json_object_object_add(counts, "setup_ops", json_object_new_int64((int64_t)setup));
	json_object_object_add(counts, "inferred_mappings", json_object_new_int64((int64_t)inferred));
	json_object_object_add(counts, "bounded_population", json_object_new_int64((int64_t)bounded));
	json_object_object_add(counts, "loops", json_object_new_int64((int64_t)loops));
	json_object_object_add(counts, "conflicts", json_object_new_int64((int64_t)conflicts));
	json_object_object_add(counts, "outcome_mismatches", json_object_new_int64((int64_t)mismatches));
	for (int s = 0; s < SKIP_NR; s++)
		json_object_object_add(skipped, skip_reason_names[s], json_object_new_int64((int64_t)skip[s]));
	json_object_object_add(counts, "skipped", skipped);
	json_object_object_add(counts, "reader_passes", json_object_new_int64((int64_t)passes));
	json_object_object_add(counts, "reader_errors", json_object_new_int64((int64_t)rerrors));
	json_object_object_add(counts, "reader_bytes", json_object_new_int64((int64_t)rbytes));
	if (opt->check_tearing) {
		json_object *tc = json_object_new_object();

		json_object_object_add(tc, "checked", json_object_new_int64((int64_t)tchecked));
		json_object_object_add(tc, "unchecked", json_object_new_int64((int64_t)tunchecked));
		json_object_object_add(counts, "tear_checks", tc);
	}
	json_object_object_add(counts, "tears", json_object_new_int64((int64_t)tears));
	json_object_object_add(counts, "lost_events", json_object_new_int64((int64_t)plan->lost_events));
	json_object_object_add(counts, "wall_ns",
			       json_object_new_int64(last > first ? (int64_t)(last - first) : 0));
	if (opt->speed > 0) {
		json_object_object_add(counts, "lateness", results_hist_json(&late, false));
		json_object_object_add(counts, "schedule_delay", results_hist_json(&delay, false));
		json_object_object_add(counts, "pacing_error", results_hist_json(&pacing, false));
	}
	json_object_object_add(root, "counts", counts);
	json_object_object_add(root, "tears", tear_list);
	json_object_object_add(root, "processes", procs);

	/* writer latency over time, all replay processes together */
	for (uint32_t i = 0; i < nseries; i++) {
		uint64_t c = 0, sum = 0, max = 0;
		json_object *pt = json_object_new_object();

		for (uint32_t r = 0; r < shm->nreplays; r++) {
			const struct series_point *sp = &shm->replays[r].series[i];

			c += sp->count;
			sum += sp->sum_ns;
			max = sp->max_ns > max ? sp->max_ns : max;
		}
		json_object_object_add(pt, "t_s", json_object_new_double((double)i * (double)opt->interval_ns / 1e9));
		json_object_object_add(pt, "count", json_object_new_int64((int64_t)c));
		json_object_object_add(pt, "mean_ns", json_object_new_double(c ? (double)sum / (double)c : 0));
		json_object_object_add(pt, "max_ns", json_object_new_int64((int64_t)max));
		json_object_array_add(series, pt);
	}
	json_object_object_add(root, "series", series);
	return root;
}

static int wait_ready(struct replay_shm *shm, pid_t *pids)
{
	for (;;) {
		uint32_t ready = 0;

		for (uint32_t i = 0; i < shm->nreplays; i++) {
			int st = shm->replays[i].state;

			if (st == REPLAY_FAILED || (waitpid(pids[i], NULL, WNOHANG) == pids[i] &&
						    (pids[i] = -1, 1)))
				return error("replay process %u failed to start: %s", i,
					     shm->replays[i].error[0] ? shm->replays[i].error : "it exited");
			ready += st >= REPLAY_READY;
		}
		if (ready == shm->nreplays || interrupted)
			return 0;
		usleep(1000);
	}
}

int cmd_replay(int argc, char **argv)
{
	struct replay_options opt = { 0 };
	struct plan plan;
	struct probe_result probe, *probe_p = NULL;
	struct vmt_header th;
	struct reader_config rc;
	struct replay_shm *shm = MAP_FAILED;
	pid_t *rpids = NULL, *dpids = NULL;
	char err[512], sha[65] = "", dir[4096] = "";
	uint32_t nrep = 0, failed = 0;
	size_t shm_size = 0;
	struct oplog **logs = NULL;
	struct lockstat *ls = NULL;
	volatile int *hold = MAP_FAILED;
	pid_t *dpids_live = NULL;
	uint64_t ls_passes0 = 0, ls_passes1 = 0;
	char ls_why[256] = "";
	int first, ret = EXIT_FAIL;
	uint64_t t0;
	bool tty;

	ret = options_parse("replay", replay_synopsis, replay_opts, &opt, argc, argv, &first);
	if (ret)
		return ret == 1 ? EXIT_OK : ret;
	ret = EXIT_FAIL;
	if (first + 1 != argc)
		return usage_error("replay", "expected one trace file");
	if (!opt.output)
		return usage_error("replay", "-o R.json is required");
	opt.trace = argv[first];
	if (opt.reader_cpu >= sysconf(_SC_NPROCESSORS_CONF) || opt.writer_cpu >= sysconf(_SC_NPROCESSORS_CONF))
		return usage_error("replay", "this machine has %ld CPUs", sysconf(_SC_NPROCESSORS_CONF));
	tty = stderr_is_tty() && !opt.quiet;

	{
		struct vmt_reader *r = vmt_reader_open(opt.trace, err, sizeof(err));

		if (!r)
			return error("%s", err);
		th = *vmt_reader_header(r);
		vmt_reader_close(r);
	}
	if (plan_build(opt.trace, opt.pid, &plan, err, sizeof(err)))
		return error("%s", err);
	if (results_file_sha256(opt.trace, sha, err, sizeof(err))) {
		ret = error("%s", err);
		goto out;
	}
	for (uint32_t p = 0; p < plan.nprocs; p++)
		nrep += selected(&opt, &plan.procs[p]);
	if (!nrep) {
		ret = error("%s: no process with operations to replay", opt.trace);
		goto out;
	}
	if (check_limits(&opt, &plan, nrep))
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!opt.no_probe) {
		if (probe_run(&probe, 10) == 0)
			probe_p = &probe;
		else if (!interrupted)
			warning("the lock probe failed; results will have no probe");
	}
	if (interrupted) {
		error("interrupted before the replay started: no results written");
		ret = 128 + interrupted;
		goto out;
	}
	if (make_standins(&plan, dir, sizeof(dir)))
		goto out;

	/* the op logs first: their alignment is the strictest */
	size_t logs_size = opt.check_tearing ? nrep * sizeof(struct oplog) : 0;

	shm_size = logs_size + sizeof(*shm) + nrep * sizeof(struct replay_stats) +
		   opt.readers * sizeof(struct reader_stats);
	shm = mmap(NULL, shm_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	hold = mmap(NULL, sizeof(*hold), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rpids = calloc(nrep, sizeof(*rpids));
	dpids = calloc(opt.readers ? opt.readers : 1, sizeof(*dpids));
	dpids_live = calloc(opt.readers ? opt.readers : 1, sizeof(*dpids_live));
	if (shm == MAP_FAILED || hold == MAP_FAILED || !rpids || !dpids || !dpids_live) {
		ret = error("out of memory for %zu bytes of results", shm_size);
		goto out;
	}
	if (logs_size) {
		struct oplog *first_log = (struct oplog *)shm;

		shm = (struct replay_shm *)((char *)shm + logs_size);
		shm->oplogs = first_log;
	}
	shm->nreplays = nrep;
	shm->nreaders = opt.readers;
	shm->replays = (struct replay_stats *)(shm + 1);
	shm->readers = (struct reader_stats *)(shm->replays + nrep);
	for (uint32_t i = 0; i < opt.readers; i++)
		hist_init(&shm->readers[i].pass);
	g_shm = shm;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* one replay process per traced process */
	for (uint32_t p = 0, i = 0; p < plan.nprocs; p++) {
		if (!selected(&opt, &plan.procs[p]))
			continue;
		for (int k = 0; k < VMT_OP_NR; k++)
			hist_init(&shm->replays[i].op[k]);
		hist_init(&shm->replays[i].all);
		hist_init(&shm->replays[i].late);
		hist_init(&shm->replays[i].delay);
		hist_init(&shm->replays[i].pacing);
		shm->replays[i].process = p;
		fflush(NULL);
		rpids[i] = fork();
		if (rpids[i] < 0) {
			ret = error("cannot fork a replay process: %m");
			shm->stop = 1;
			nrep = i;
			shm->nreplays = i;
			goto reap;
		}
		if (rpids[i] == 0) {
			child_signals();
			_exit(replay_process_main(&opt, &plan, &plan.procs[p], dir, shm, &shm->replays[i]));
		}
		i++;
	}
	if (wait_ready(shm, rpids)) {
		shm->stop = 1;
		goto reap;
	}

	/* the readers start before the timed replay, and each makes a first pass */
	rc = (struct reader_config){ .kind = (enum reader_kind)opt.reader_kind, .nice = opt.reader_nice,
				     .cpu = opt.reader_cpu, .reopen = opt.reader_reopen,
				     .bufsize = 64 * 1024, .area_lo = REPLAY_AREA_START,
				     .area_hi = REPLAY_AREA_END };
	if (shm->oplogs) {
		logs = calloc(nrep, sizeof(*logs));
		if (!logs) {
			ret = error("out of memory");
			shm->stop = 1;
			goto reap;
		}
		for (uint32_t i = 0; i < nrep; i++)
			logs[i] = &shm->oplogs[i];
		rc.logs = logs;
	}
	*hold = opt.lockstat;
	for (uint32_t i = 0; i < opt.readers; i++) {
		fflush(NULL);
		dpids[i] = fork();
		if (dpids[i] < 0) {
			ret = error("cannot fork a reader: %m");
			shm->stop = 1;
			shm->nreaders = i;
			goto reap;
		}
		if (dpids[i] == 0) {
			child_signals();
			if (!reader_apply_sched(opt.reader_nice, opt.reader_cpu)) {
				hold_reader(hold, shm);
				if (!reader_loop(&rc, rpids, nrep, &shm->readers_stop,
						 &shm->readers[i]))
					_exit(EXIT_OK);
			}
			/* why, for the controller, which reports it */
			shm->readers[i].last_errno = errno;
			_exit(EXIT_FAIL);
		}
	}

	if (opt.lockstat) {
		uint32_t nr = 0;

		for (uint32_t i = 0; i < opt.readers; i++)
			if (dpids[i] > 0)
				dpids_live[nr++] = dpids[i];
		ls = lockstat_start(rpids, nrep, dpids_live, nr, ls_why, sizeof(ls_why));
		if (!ls)
			warning("--lockstat: %s; replaying without lock statistics", ls_why);
		for (uint32_t i = 0; i < opt.readers; i++)
			ls_passes0 += shm->readers[i].passes;
	}
	__atomic_store_n(hold, 0, __ATOMIC_RELEASE);
	for (uint64_t w0 = now_ns(CLOCK_MONOTONIC); !interrupted;) {
		uint32_t started = 0;

		for (uint32_t i = 0; i < opt.readers; i++) {
			started += shm->readers[i].passes > 0 || shm->readers[i].errors > 0;
			/* a reader ends only when told to: this one could not start */
			if (waitpid(dpids[i], NULL, WNOHANG) == dpids[i]) {
				dpids[i] = -1;
				ret = error("reader %u could not start (nice %d, CPU %d, %s): %s",
					    i, opt.reader_nice, opt.reader_cpu,
					    reader_choices[opt.reader_kind],
					    strerror(shm->readers[i].last_errno));
				failed++;
				goto reap;
			}
		}
		if (started == opt.readers || now_ns(CLOCK_MONOTONIC) - w0 > 5000000000ull)
			break;
		usleep(1000);
	}

	/*
	 * The schedule starts a little ahead, so that every replay process has
	 * seen go (they poll it) before its first paced op is due.
	 */
	t0 = now_ns(CLOCK_MONOTONIC) + GO_AHEAD_NS;
	shm->go_ns = t0;
	__atomic_store_n(&shm->go, 1, __ATOMIC_RELEASE);
	/*
	 * Done when every replay process says so.  One that dies (a kill, the OOM
	 * killer), or a reader, which ends only when told to, fails the run: the
	 * others stop now rather than at the end of a --duration.
	 */
	for (uint32_t left = nrep; left;) {
		left = 0;
		for (uint32_t i = 0; i < nrep; i++) {
			int status;

			if (rpids[i] > 0 && waitpid(rpids[i], &status, WNOHANG) == rpids[i]) {
				rpids[i] = -rpids[i];
				failed++;
				shm->stop = 1;
				error("replay process %u died: %s", i, WIFSIGNALED(status) ?
					strsignal(WTERMSIG(status)) : "exited early");
			}
			left += rpids[i] > 0 && shm->replays[i].state < REPLAY_DONE;
		}
		for (uint32_t i = 0; i < shm->nreaders; i++) {
			int status;

			if (dpids[i] > 0 && waitpid(dpids[i], &status, WNOHANG) == dpids[i]) {
				dpids[i] = -1;
				if (WIFEXITED(status) && !WEXITSTATUS(status))
					continue; /* told to stop: Ctrl-C */
				failed++;
				shm->stop = 1;
				error("reader %u died: %s", i, WIFSIGNALED(status) ?
					strsignal(WTERMSIG(status)) : strerror(shm->readers[i].last_errno));
			}
		}
		if (tty)
			progress(shm, t0, false);
		if (left)
			usleep(tty ? 200000 : 2000);
	}
	if (tty)
		progress(shm, t0, true);
reap:
	if (ls) {
		/* stop with the replay: the statistics cover the timed part only */
		for (uint32_t i = 0; i < shm->nreaders; i++)
			ls_passes1 += shm->readers[i].passes;
		if (lockstat_stop(ls))
			warning("--lockstat: %s", lockstat_error(ls));
	}
	shm->stop = 1;
	shm->readers_stop = 1;
	for (uint32_t i = 0; i < shm->nreaders; i++) {
		int status;

		if (dpids[i] <= 0)
			continue;
		status = reap(dpids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			error("reader %u died: %s", i,
			      WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
						    strerror(shm->readers[i].last_errno));
			failed++;
		}
	}
	shm->release = 1;
	for (uint32_t i = 0; i < nrep; i++) {
		if (rpids[i] > 0) {
			int status = reap(rpids[i]);

			if (!WIFEXITED(status) || WEXITSTATUS(status))
				failed++;
		}
	}
	for (uint32_t i = 0; i < nrep; i++)
		if (shm->replays[i].state == REPLAY_FAILED)
			error("replay of process %u failed: %s", i, shm->replays[i].error);
	if (!failed || interrupted) {
		json_object *res = build_results(&opt, &plan, &th, sha, probe_p, shm, interrupted != 0);

		if (opt.lockstat) {
			json_object *meta;

			json_object_object_add(res, "lockstat",
					       ls ? lockstat_json(ls, ls_passes1 - ls_passes0) : NULL);
			if (!ls && json_object_object_get_ex(res, "meta", &meta))
				json_object_object_add(meta, "lockstat_unavailable",
						       json_object_new_string(ls_why));
		}

		if (results_write_atomic(opt.output, res, err, sizeof(err)))
			ret = error("%s", err);
		else
			ret = interrupted ? 128 + interrupted : failed ? EXIT_FAIL : EXIT_OK;
		json_object_put(res);
	}
out:
	g_shm = NULL;
	if (shm != MAP_FAILED)
		munmap(shm->oplogs ? (void *)shm->oplogs : (void *)shm, shm_size);
	if (hold != MAP_FAILED)
		munmap((void *)hold, sizeof(*hold));
	free(logs);
	lockstat_free(ls);
	free(dpids_live);
	remove_standins(&plan, dir);
	plan_free(&plan);
	free(rpids);
	free(dpids);
	return ret;
}
