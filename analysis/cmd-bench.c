// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-bench.c - vmatrace bench: the standard sweep
 *
 * Workloads x reader counts x reader kinds x repetitions, each run a
 * separate "vmatrace replay" (fork/exec of this very binary: every run
 * starts from a fresh process, and a crash costs one run, not the sweep).
 * The runs go round by round: each round runs every configuration once, in
 * a shuffled (seeded) order, so drift of a shared machine spreads over all
 * configurations instead of biasing the ones that came last, and an
 * interrupted sweep still has every configuration.  Each run's results file
 * is complete when it appears (replay writes it atomically); Ctrl-C stops
 * the running replay, removes its partial file, and writes the report of
 * what finished.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "bench.h"
#include "cmd.h"
#include "options.h"

struct bench_options {
	const char *output;
	bool quick;
	unsigned int reps;
	uint64_t duration_ns;
	const char *workloads;
	const char *traces;
	const char *readers;
	const char *kinds;
	double speed;
	int reader_nice;
	const char *reader_cpu, *writer_cpu;
	unsigned int headline;
	bool lockstat;
	bool no_plots;
	bool quiet;
};

#define OFF(f) offsetof(struct bench_options, f)
#define O(n, s, t, f, d, a, h, ...)                                                          \
	{                                                                                    \
		.name = n, .short_name = s, .type = t, .offset = OFF(f), .def = d, .arg = a, \
		.help = h, __VA_ARGS__                                                       \
	}

/* The default sweep fits make bench's 15 minutes on 2 CPUs with margin: see docs/analysis.md. */
#define BENCH_REPS 5
#define BENCH_DURATION "2s"
#define QUICK_REPS 3
#define QUICK_DURATION "0.5s"

static const struct opt_def bench_opts[] = {
	O("output", 'o', OPT_STRING, output, NULL, "DIR",
	  "write everything into DIR [results/DATE-TIME]"),
	O("quick", 0, OPT_FLAG, quick, NULL, NULL,
	  "3 repetitions of 0.5 s instead of 5 of 2 s (a smoke run, about 2 minutes)"),
	O("repetitions", 'r', OPT_UINT, reps, "0", "N",
	  "runs of each configuration (0: 5, or 3 with --quick)", .max = 1000),
	O("duration", 'd', OPT_DURATION, duration_ns, "0", "S",
	  "each run replays for S seconds (0: 2 s, or 0.5 s with --quick)"),
	O("workloads", 'w', OPT_STRING, workloads, "chromium,mapper,all-scenarios", "LIST",
	  "workloads: chromium (the bundled trace, when present) and 'vmatrace workload' names"),
	O("trace", 't', OPT_STRING, traces, NULL, "FILE[,FILE]",
	  "also replay these traces (your captures)"),
	O("readers", 0, OPT_STRING, readers, "0,1,2,4", "LIST", "reader process counts"),
	O("kinds", 0, OPT_STRING, kinds, "maps,smaps,smaps_rollup,procmap_query", "LIST",
	  "reader kinds"),
	O("speed", 0, OPT_SPEED, speed, "1", "asap|X", "replay pacing (1: the trace's own)"),
	O("reader-nice", 0, OPT_INT, reader_nice, "15", "K", "nice level of the readers",
	  .min = -20, .max = 19),
	O("reader-cpu", 0, OPT_STRING, reader_cpu, "auto", "C|auto|none",
	  "pin the readers to CPU C (auto: CPU 1 when there are 2 CPUs or more)"),
	O("writer-cpu", 0, OPT_STRING, writer_cpu, "auto", "C|auto|none",
	  "pin the replay to CPU C (auto: CPU 0 when there are 2 CPUs or more)"),
	O("headline-readers", 0, OPT_UINT, headline, "2", "N",
	  "the reader count of the headline table and plots (the kernel review's 2)"),
	/* off by default: the tracing slows the writer and so changes the contention it measures */
	O("lockstat", 0, OPT_FLAG, lockstat, NULL, NULL,
	  "run every replay with --lockstat (mmap_lock waits and holds; root, tracefs)"),
	O("no-plots", 0, OPT_FLAG, no_plots, NULL, NULL,
	  "write the plots' data but do not run gnuplot"),
	O("quiet", 'q', OPT_FLAG, quiet, NULL, NULL, "no progress lines"),
	{ .name = NULL },
};

static const char bench_synopsis[] =
	"usage: vmatrace bench [--quick] [-o DIR] [options]\n"
	"\n"
	"The standard sweep: every workload (the bundled Chromium trace when present,\n"
	"mapper, all-scenarios) replayed at its own pace with 0, 1, 2 and 4 readers of\n"
	"each kind (maps, smaps, smaps_rollup, procmap_query) at nice 15 on CPU 1, the\n"
	"writer on CPU 0 (the kernel review's setup), 5 repetitions each.  Writes every\n"
	"results file, the report, the comparison of the kinds that took mmap_lock with\n"
	"those that took per-VMA locks (as probed), the plots, and DIR/index.md, which\n"
	"is the page to read first.  With --lockstat every replay also traces the\n"
	"mmap_lock (off by default: the tracing slows the writer, so its latencies are\n"
	"comparable with other traced runs only).  Ctrl-C keeps what finished.\n";

static volatile sig_atomic_t stop_sig;
static volatile pid_t child_pid;

static void on_signal(int sig)
{
	if (stop_sig) {
		/* a second Ctrl-C: quit now, without the report */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_sig = sig;
	if (child_pid > 0)
		kill(child_pid, SIGINT); /* the replay stops cleanly and reaps its readers */
}

struct run {
	size_t cell;
	unsigned int rep;
	char path[PATH_MAX];
	bool ok;
};

/* Run this vmatrace with @argv, stdout and stderr to @log; its exit status or -1. */
static int run_self(char *const *argv, const char *log)
{
	pid_t parent = getpid(), pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		/* a run dies with its bench: a killed sweep leaves no replay writing into it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		/*
		 * The very binary this bench runs, by the inode it was started from:
		 * a rebuild of the file mid-sweep changes no run.
		 */
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	child_pid = pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			child_pid = 0;
			return -1;
		}
	child_pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void first_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(buf, (int)size, f) && (buf[0] == '\n' || buf[0] == '\r'))
		;
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
}

static bool file_empty(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_size == 0;
}

/* Split "a,b,c" into @out (pointers into @buf); the count. */
static size_t split_list(char *buf, char **out, size_t max)
{
	size_t n = 0;

	for (char *t = strtok(buf, ", "); t && n < max; t = strtok(NULL, ", "))
		out[n++] = t;
	return n;
}

static int parse_cpu(const char *s, const char *name, int autocpu, int *out)
{
	uint64_t v;

	if (!strcmp(s, "auto")) {
		*out = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? autocpu : -1;
		return 0;
	}
	if (!strcmp(s, "none")) {
		*out = -1;
		return 0;
	}
	if (parse_u64(s, &v, false) || v >= (uint64_t)sysconf(_SC_NPROCESSORS_CONF))
		return usage_error("bench", "bad value '%s' for --%s", s, name);
	*out = (int)v;
	return 0;
}

/* The bundled real Chromium trace, next to the binary or installed. */
static bool find_chromium(char *out, size_t size)
{
	char dir[PATH_MAX], pat[PATH_MAX + 64], *slash;
	static const char *const subdirs[] = { "workloads/traces", "../share/vmatrace/traces" };
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);

	if (n <= 0)
		return false;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
		glob_t g;

		snprintf(pat, sizeof(pat), "%s/%s/chromium*.vmt*", dir, subdirs[i]);
		if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc) {
			/* sorted by glob(): the first is the one, the same every time */
			if (!realpath(g.gl_pathv[0], out))
				strlcpy_(out, g.gl_pathv[0], size);
			globfree(&g);
			return true;
		}
		globfree(&g);
	}
	return false;
}

/* The 1-minute load average, or -1: a busy machine makes every number noisier. */
static double loadavg(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l = -1;

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static int add_workload(struct an_bench *b, const char *name, const char *trace, const char *how)
{
	struct an_workload *w = realloc(b->wl, (b->nwl + 1) * sizeof(*w));

	if (!w)
		return error("out of memory");
	b->wl = w;
	w = &w[b->nwl++];
	memset(w, 0, sizeof(*w));
	strlcpy_(w->name, name, sizeof(w->name));
	strlcpy_(w->trace, trace, sizeof(w->trace));
	strlcpy_(w->how, how, sizeof(w->how));
	return 0;
}

/* The traces of the sweep: found, given, or generated into DIR/traces. */
static int prepare_workloads(struct an_bench *b, const struct bench_options *opt)
{
	char list[1024], *names[32], tdir[PATH_MAX], dur[32];
	size_t n;

	fmt_into(tdir, sizeof(tdir), "%s/traces", b->outdir);
	strlcpy_(list, opt->workloads, sizeof(list));
	n = split_list(list, names, ARRAY_SIZE(names));
	snprintf(dur, sizeof(dur), "%gs", b->duration_s);
	for (size_t i = 0; i < n; i++) {
		char trace[PATH_MAX + 64], how[512], log[PATH_MAX + 64], err[512], abs[PATH_MAX];

		if (!strcmp(names[i], "chromium")) {
			if (!find_chromium(trace, sizeof(trace))) {
				an_note(&b->warnings,
					"the bundled Chromium trace (workloads/traces/chromium*.vmt.gz) is not there: this sweep has the synthetic workloads only");
				continue;
			}
			fmt_into(
				how, sizeof(how),
				"the bundled real Chromium trace, `%s` (see workloads/traces/README.md)",
				trace);
			if (add_workload(b, "chromium", trace, how))
				return -1;
			continue;
		}
		if (an_mkdirs(tdir, err, sizeof(err)))
			return error("%s", err);
		snprintf(trace, sizeof(trace), "%s/%s.vmt", tdir, names[i]);
		snprintf(log, sizeof(log), "%s/%s.log", tdir, names[i]);
		{
			char *argv[] = { "vmatrace", "workload", names[i], "--duration",
					 dur,	     "-o",	 trace,	   NULL };

			if (run_self(argv, log)) {
				first_line(log, err, sizeof(err));
				return error("cannot make the %s workload: %s", names[i],
					     err[0] ? err : "it failed");
			}
		}
		unlink(log);
		/* absolute, so meta.trace.path names the file from wherever the results are read */
		if (realpath(trace, abs))
			strlcpy_(trace, abs, sizeof(trace));
		snprintf(how, sizeof(how), "`vmatrace workload %s --duration %s -o traces/%s.vmt`",
			 names[i], dur, names[i]);
		if (add_workload(b, names[i], trace, how))
			return -1;
	}
	if (opt->traces) {
		strlcpy_(list, opt->traces, sizeof(list));
		n = split_list(list, names, ARRAY_SIZE(names));
		for (size_t i = 0; i < n; i++) {
			char how[PATH_MAX + 32], name[64], abs[PATH_MAX], *dot;
			const char *base = strrchr(names[i], '/');

			if (access(names[i], R_OK))
				return error("cannot read trace '%s': %s", names[i],
					     strerror(errno));
			strlcpy_(name, base ? base + 1 : names[i], sizeof(name));
			while ((dot = strrchr(name, '.')) && dot != name &&
			       (!strcmp(dot, ".gz") || !strcmp(dot, ".vmt")))
				*dot = '\0';
			snprintf(how, sizeof(how), "given with --trace: `%s`", names[i]);
			if (add_workload(b, name, realpath(names[i], abs) ? abs : names[i], how))
				return -1;
		}
	}
	if (!b->nwl)
		return error("no workload to run");
	return 0;
}

static int make_cells(struct an_bench *b)
{
	size_t max = b->nwl * b->nreaders * AN_NKINDS;

	b->cells = calloc(max ? max : 1, sizeof(*b->cells));
	if (!b->cells)
		return error("out of memory");
	for (size_t w = 0; w < b->nwl; w++)
		for (size_t r = 0; r < b->nreaders; r++)
			for (int k = 0; k < AN_NKINDS; k++) {
				struct an_cell *c;

				if (!b->kind_on[k] || (b->readers[r] == 0 && k != 0))
					continue;
				c = &b->cells[b->ncells++];
				c->wl = w;
				c->readers = b->readers[r];
				c->kind = b->readers[r] ? k : -1;
				if (c->readers)
					snprintf(c->label, sizeof(c->label), "%u %s reader%s",
						 c->readers, an_kind_names[k],
						 c->readers == 1 ? "" : "s");
				else
					strlcpy_(c->label, "no readers", sizeof(c->label));
			}
	return 0;
}

static void cell_file(const struct an_bench *b, const struct an_cell *c, unsigned int rep,
		      char *buf, size_t size, const char *ext)
{
	if (c->readers)
		fmt_into(buf, size, "%s/runs/%s/readers%u-%s.%u.%s", b->outdir, b->wl[c->wl].name,
			 c->readers, an_kind_names[c->kind], rep, ext);
	else
		fmt_into(buf, size, "%s/runs/%s/readers0.%u.%s", b->outdir, b->wl[c->wl].name, rep,
			 ext);
}

static void fmt_clock(char *buf, size_t size, double s)
{
	long t = lround(s < 0 ? 0 : s > 359999 ? 359999 : s);

	fmt_into(buf, size, "%ld:%02ld", t / 60, t % 60);
}

static int do_run(struct an_bench *b, struct run *r)
{
	const struct an_cell *c = &b->cells[r->cell];
	char log[PATH_MAX + 16], dur[32], speed[32], nr[16], nice[16], rcpu[16], wcpu[16], msg[512];
	char *argv[32];
	int argc = 0, st;

	cell_file(b, c, r->rep, r->path, sizeof(r->path), "json");
	cell_file(b, c, r->rep, log, sizeof(log), "log");
	snprintf(dur, sizeof(dur), "%gs", b->duration_s);
	if (b->speed > 0)
		snprintf(speed, sizeof(speed), "%g", b->speed);
	else
		strlcpy_(speed, "asap", sizeof(speed));
	snprintf(nr, sizeof(nr), "%u", c->readers);
	snprintf(nice, sizeof(nice), "%d", b->reader_nice);
	snprintf(rcpu, sizeof(rcpu), "%d", b->reader_cpu);
	snprintf(wcpu, sizeof(wcpu), "%d", b->writer_cpu);
	argv[argc++] = "vmatrace";
	argv[argc++] = "replay";
	argv[argc++] = b->wl[c->wl].trace;
	argv[argc++] = "-q";
	argv[argc++] = "--speed";
	argv[argc++] = speed;
	argv[argc++] = "--duration";
	argv[argc++] = dur;
	argv[argc++] = "--readers";
	argv[argc++] = nr;
	if (c->readers) {
		argv[argc++] = "--reader";
		argv[argc++] = (char *)an_kind_names[c->kind];
		argv[argc++] = "--reader-nice";
		argv[argc++] = nice;
		if (b->reader_cpu >= 0) {
			argv[argc++] = "--reader-cpu";
			argv[argc++] = rcpu;
		}
	} else {
		argv[argc++] = "--no-probe"; /* no reader, no lock to probe */
	}
	if (b->writer_cpu >= 0) {
		argv[argc++] = "--writer-cpu";
		argv[argc++] = wcpu;
	}
	if (b->lockstat)
		argv[argc++] = "--lockstat";
	argv[argc++] = "-o";
	argv[argc++] = r->path;
	argv[argc] = NULL;
	st = run_self(argv, log);
	if (stop_sig && st != 0) {
		/* the interrupted run is not a repetition: leave no trace of it */
		unlink(r->path);
		unlink(log);
		return -1;
	}
	if (st != 0 || access(r->path, R_OK)) {
		first_line(log, msg, sizeof(msg));
		an_note(&b->warnings, "%s, %s, repetition %u failed (exit %d): %s",
			b->wl[c->wl].name, c->label, r->rep, st, msg[0] ? msg : "no message");
		unlink(r->path);
		return 1;
	}
	if (file_empty(log))
		unlink(log);
	r->ok = true;
	return 0;
}

static void progress(const struct bench_options *opt, size_t k, size_t n, const char *what,
		     double elapsed, double eta)
{
	char el[16], et[16];

	if (opt->quiet)
		return;
	fmt_clock(el, sizeof(el), elapsed);
	fmt_clock(et, sizeof(et), eta);
	if (stderr_is_tty())
		fprintf(stderr, "\r\033[Kbench: run %zu of %zu, %s; elapsed %s, ETA %s", k, n, what,
			el, et);
	else
		fprintf(stderr, "bench: run %zu of %zu, %s; elapsed %s, ETA %s\n", k, n, what, el,
			et);
}

/* Load what finished and give every cell its runs. */
static int collect(struct an_bench *b, struct run *runs, size_t nruns)
{
	char err[1024];

	b->runs = calloc(nruns ? nruns : 1, sizeof(*b->runs));
	for (size_t i = 0; i < b->ncells; i++)
		b->cells[i].runs = calloc(b->reps ? b->reps : 1, sizeof(*b->cells[i].runs));
	if (!b->runs)
		return error("out of memory");
	for (size_t i = 0; i < nruns; i++) {
		struct an_cell *c = &b->cells[runs[i].cell];

		if (!runs[i].ok)
			continue;
		if (an_run_load(runs[i].path, &b->runs[b->nruns], err, sizeof(err))) {
			an_note(&b->warnings, "%s", err);
			continue;
		}
		if (c->runs)
			c->runs[c->nruns++] = &b->runs[b->nruns];
		b->nruns++;
	}
	return 0;
}

/* The plots of one workload: its reader kinds at the headline count, and the sweep over counts. */
static int draw_workload(struct an_plotter *pl, const struct an_bench *b, size_t w, char *err,
			 size_t errlen)
{
	struct an_series s[AN_NKINDS + 1], rs[AN_NKINDS + 1], ls[AN_NKINDS + 1];
	const char *wl = b->wl[w].name;
	char labels[AN_NKINDS + 1][200], name[128], title[512], how[256];
	double xs[AN_NKINDS][AN_MAX_READER_COUNTS];
	struct an_est ests[2][AN_NKINDS][AN_MAX_READER_COUNTS];
	size_t n = 0, nr = 0, nl = 0;
	const struct an_cell *none = an_bench_cell(b, w, 0, -1);

	snprintf(how, sizeof(how), "%u runs of %g s, --speed %g, readers at nice %d", b->reps,
		 b->duration_s, b->speed, b->reader_nice);
	if (b->reader_cpu >= 0)
		snprintf(how + strlen(how), sizeof(how) - strlen(how), " on CPU %d", b->reader_cpu);
	if (b->writer_cpu >= 0)
		snprintf(how + strlen(how), sizeof(how) - strlen(how), ", writer on CPU %d",
			 b->writer_cpu);
	for (int k = -1; k < AN_NKINDS; k++) {
		const struct an_cell *c =
			k < 0 ? none : an_bench_cell(b, w, b->headline_readers, k);
		const struct an_row *row, *rrow;
		const struct an_lock_row *lrow;

		if (!c || !c->nruns)
			continue;
		row = an_group_find(&c->g, "writer", "all");
		if (k >= 0 && b->lock_name[k][0])
			snprintf(labels[n], sizeof(labels[n]), "%u %s reader%s (%s)", c->readers,
				 an_kind_names[k], c->readers == 1 ? "" : "s", b->lock_name[k]);
		else
			strlcpy_(labels[n], c->label, sizeof(labels[n]));
		s[n] = (struct an_series){ .label = labels[n],
					   .h = row ? row->pooled : NULL,
					   .vals = row ? row->vals[AN_MAX] : NULL,
					   .nvals = row ? row->n : 0,
					   .run = an_group_median_run(&c->g) };
		rrow = k >= 0 ? an_group_find(&c->g, "reader", an_kind_names[k]) : NULL;
		if (rrow)
			rs[nr++] = (struct an_series){ .label = labels[n], .h = rrow->pooled };
		lrow = an_group_lock_find(&c->g, "writer", "write");
		if (lrow && lrow->wait_pooled)
			ls[nl++] = (struct an_series){ .label = labels[n], .h = lrow->wait_pooled };
		n++;
	}
	if (!n)
		return 0;
	snprintf(title, sizeof(title), "%s: writer latency, all ops, %u reader%s of each kind (%s)",
		 wl, b->headline_readers, b->headline_readers == 1 ? "" : "s", how);
	snprintf(name, sizeof(name), "%s-cdf", wl);
	if (an_plotter_draw(pl, name, "cdf.gp", render_dat_cdf, s, n, title, NULL, err, errlen))
		return -1;
	snprintf(name, sizeof(name), "%s-spectrum", wl);
	if (an_plotter_draw(pl, name, "spectrum.gp", render_dat_spectrum, s, n, title, NULL, err,
			    errlen))
		return -1;
	snprintf(title, sizeof(title),
		 "%s: maximum writer latency of each run, sorted (%u reader%s of each kind)", wl,
		 b->headline_readers, b->headline_readers == 1 ? "" : "s");
	snprintf(name, sizeof(name), "%s-maxlat", wl);
	if (an_plotter_draw(pl, name, "maxlat.gp", render_dat_maxlat, s, n, title, NULL, err,
			    errlen))
		return -1;
	snprintf(title, sizeof(title),
		 "%s: writer latency over time, the median run (%u reader%s of each kind)", wl,
		 b->headline_readers, b->headline_readers == 1 ? "" : "s");
	snprintf(name, sizeof(name), "%s-timeline", wl);
	if (an_plotter_draw(pl, name, "timeline.gp", render_dat_timeline, s, n, title, NULL, err,
			    errlen))
		return -1;
	if (nr) {
		snprintf(title, sizeof(title), "%s: reader pass latency, %u reader%s of each kind",
			 wl, b->headline_readers, b->headline_readers == 1 ? "" : "s");
		snprintf(name, sizeof(name), "%s-reader-cdf", wl);
		if (an_plotter_draw(pl, name, "cdf.gp", render_dat_cdf, rs, nr, title,
				    "reader pass latency (µs)", err, errlen))
			return -1;
	}
	if (nl) {
		snprintf(title, sizeof(title),
			 "%s: writers' mmap_lock wait (write mode), %u reader%s of each kind", wl,
			 b->headline_readers, b->headline_readers == 1 ? "" : "s");
		snprintf(name, sizeof(name), "%s-lock-wait", wl);
		if (an_plotter_draw(pl, name, "lockwait.gp", render_dat_lockwait, ls, nl, title,
				    NULL, err, errlen))
			return -1;
	}
	/* latency against the number of readers, one series per kind; 0 readers is the shared baseline */
	for (int m = 0; m < 2; m++) {
		enum an_metric metric = m ? AN_MEAN : AN_P99;

		n = 0;
		for (int k = 0; k < AN_NKINDS; k++) {
			size_t np = 0;

			if (!b->kind_on[k])
				continue;
			for (size_t r = 0; r < b->nreaders; r++) {
				const struct an_cell *c = an_bench_cell(b, w, b->readers[r], k);
				const struct an_row *row =
					c && c->nruns ? an_group_find(&c->g, "writer", "all")
						      : NULL;

				if (!row)
					continue;
				xs[k][np] = b->readers[r];
				ests[m][k][np++] = row->est[metric];
			}
			if (!np)
				continue;
			snprintf(labels[n], sizeof(labels[n]), "%s (%s)", an_kind_names[k],
				 b->lock_name[k][0] ? b->lock_name[k] : "lock unknown");
			s[n] = (struct an_series){
				.label = labels[n], .x = xs[k], .est = ests[m][k], .npoints = np
			};
			n++;
		}
		if (!n)
			continue;
		snprintf(title, sizeof(title),
			 "%s: writer %s latency against reader processes (%s)", wl,
			 m ? "mean" : "p99", how);
		snprintf(name, sizeof(name), "%s-readers-%s", wl, m ? "mean" : "p99");
		if (an_plotter_draw(pl, name, "readers.gp", render_dat_readers, s, n, title,
				    m ? "writer mean latency (µs), median of runs, 95% interval"
				      : "writer p99 latency (µs), median of runs, 95% interval",
				    err, errlen))
			return -1;
	}
	return 0;
}

static void print_report_txt(FILE *f, const void *b)
{
	render_text_bench_report(f, b);
}

static void print_report_md(FILE *f, const void *b)
{
	render_md_bench_report(f, b);
}

static void print_compare_txt(FILE *f, const void *b)
{
	render_text_bench_compare(f, b);
}

static void print_compare_md(FILE *f, const void *b)
{
	render_md_bench_compare(f, b);
}

static void print_headline(FILE *f, const void *b)
{
	render_text_headline(f, b);
}

static void print_index(FILE *f, const void *b)
{
	render_md_index(f, b);
}

static int write_outputs(struct an_bench *b, bool plots)
{
	struct an_plotter pl;
	char err[1024];

	if (an_plotter_init(&pl, b->outdir, plots, &b->warnings, err, sizeof(err)))
		return error("%s", err);
	for (size_t w = 0; w < b->nwl; w++)
		if (draw_workload(&pl, b, w, err, sizeof(err)))
			return error("%s", err);
	b->plotted = pl.drawn > 0;
	if (an_write_file(b->outdir, "report.txt", print_report_txt, b, err, sizeof(err)) ||
	    an_write_file(b->outdir, "report.md", print_report_md, b, err, sizeof(err)) ||
	    an_write_file(b->outdir, "compare.txt", print_compare_txt, b, err, sizeof(err)) ||
	    an_write_file(b->outdir, "compare.md", print_compare_md, b, err, sizeof(err)) ||
	    an_write_file(b->outdir, "headline.txt", print_headline, b, err, sizeof(err)) ||
	    an_write_file(b->outdir, "index.md", print_index, b, err, sizeof(err)))
		return error("%s", err);
	return 0;
}

static int parse_lists(struct an_bench *b, const struct bench_options *opt)
{
	char buf[512], *items[32];
	size_t n;

	strlcpy_(buf, opt->readers, sizeof(buf));
	n = split_list(buf, items, ARRAY_SIZE(items));
	if (!n || n > AN_MAX_READER_COUNTS)
		return usage_error("bench", "--readers needs 1 to %d counts", AN_MAX_READER_COUNTS);
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		if (parse_u64(items[i], &v, false) || v > 1024)
			return usage_error("bench", "bad reader count '%s'", items[i]);
		for (size_t j = 0; j < b->nreaders; j++)
			if (b->readers[j] == v)
				return usage_error("bench", "reader count %s given twice",
						   items[i]);
		b->readers[b->nreaders++] = (unsigned int)v;
	}
	strlcpy_(buf, opt->kinds, sizeof(buf));
	n = split_list(buf, items, ARRAY_SIZE(items));
	if (!n)
		return usage_error("bench", "--kinds needs at least one reader kind");
	for (size_t i = 0; i < n; i++) {
		int k = an_kind_index(items[i]);

		if (k < 0)
			return usage_error("bench", "unknown reader kind '%s'", items[i]);
		b->kind_on[k] = true;
	}
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_options opt = { 0 };
	struct an_bench b = { 0 };
	struct run *runs = NULL;
	char defdir[64], err[1024];
	size_t nruns = 0, done = 0, in_a_row = 0;
	uint64_t seed = AN_SEED, t0;
	double per_run;
	int first, ret;

	ret = options_parse("bench", bench_synopsis, bench_opts, &opt, argc, argv, &first);
	if (ret)
		return ret == 1 ? EXIT_OK : ret;
	if (first != argc)
		return usage_error("bench", "unexpected argument '%s'", argv[first]);
	b.reps = opt.reps ? opt.reps : opt.quick ? QUICK_REPS : BENCH_REPS;
	if (!opt.duration_ns &&
	    parse_duration_ns(opt.quick ? QUICK_DURATION : BENCH_DURATION, &opt.duration_ns))
		return error("bad built-in duration");
	b.duration_s = (double)opt.duration_ns / 1e9;
	b.speed = opt.speed;
	b.reader_nice = opt.reader_nice;
	b.headline_readers = opt.headline;
	b.lockstat = opt.lockstat;
	if (parse_lists(&b, &opt) || parse_cpu(opt.reader_cpu, "reader-cpu", 1, &b.reader_cpu) ||
	    parse_cpu(opt.writer_cpu, "writer-cpu", 0, &b.writer_cpu))
		return EXIT_USAGE;
	{
		bool found = false;

		for (size_t i = 0; i < b.nreaders; i++)
			found |= b.readers[i] == b.headline_readers;
		if (!found && b.nreaders)
			b.headline_readers = b.readers[b.nreaders - 1];
	}
	if (access("/proc/self/exe", X_OK))
		return error("cannot run /proc/self/exe: %s", strerror(errno));
	{
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(defdir, sizeof(defdir), "results/%Y%m%d-%H%M%S", &tm);
		strftime(b.started, sizeof(b.started), "%Y-%m-%d %H:%M:%S %Z", &tm);
	}
	if (strlen(opt.output ? opt.output : defdir) > PATH_MAX - 256)
		return usage_error("bench", "the output directory's name is too long");
	strlcpy_(b.outdir, opt.output ? opt.output : defdir, sizeof(b.outdir));
	if (an_mkdirs(b.outdir, err, sizeof(err)))
		return error("%s", err);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = EXIT_FAIL;
	b.cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	b.load_start = loadavg();
	t0 = now_ns(CLOCK_MONOTONIC);
	if (prepare_workloads(&b, &opt) || make_cells(&b))
		goto out;
	for (size_t w = 0; w < b.nwl; w++) {
		char d[PATH_MAX + 64];

		fmt_into(d, sizeof(d), "%s/runs/%s", b.outdir, b.wl[w].name);
		if (an_mkdirs(d, err, sizeof(err))) {
			error("%s", err);
			goto out;
		}
	}
	b.planned = b.ncells * b.reps;
	runs = calloc(b.planned ? b.planned : 1, sizeof(*runs));
	if (!runs) {
		error("out of memory");
		goto out;
	}
	/* round by round, each round in its own shuffled order */
	for (unsigned int rep = 1; rep <= b.reps; rep++) {
		size_t base = nruns;

		for (size_t c = 0; c < b.ncells; c++)
			runs[nruns++] = (struct run){ .cell = c, .rep = rep };
		for (size_t i = nruns - base; i > 1; i--) {
			size_t j = an_rand(&seed) % i;
			struct run t = runs[base + i - 1];

			runs[base + i - 1] = runs[base + j];
			runs[base + j] = t;
		}
	}
	if (!opt.quiet)
		fprintf(stderr,
			"bench: %zu runs (%zu workloads x %zu configurations x %u repetitions) of %g s into %s\n",
			b.planned, b.nwl, b.ncells / (b.nwl ? b.nwl : 1), b.reps, b.duration_s,
			b.outdir);
	per_run = b.duration_s + 0.7; /* a first guess: the replay's set-up and probe add ~0.5 s */
	for (size_t i = 0; i < nruns && !stop_sig; i++) {
		struct an_cell *c = &b.cells[runs[i].cell];
		double el = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
		char what[256];
		int st;

		snprintf(what, sizeof(what), "%s, %s, repetition %u", b.wl[c->wl].name, c->label,
			 runs[i].rep);
		progress(&opt, i + 1, nruns, what, el, per_run * (double)(nruns - i));
		c->planned++;
		st = do_run(&b, &runs[i]);
		if (st < 0)
			break;
		done++;
		if (st > 0) {
			c->failed++;
			b.failed++;
			/* a broken set-up fails every run: say so early instead of failing them all */
			if (++in_a_row >= 5) {
				if (!opt.quiet && stderr_is_tty())
					fputc('\n', stderr);
				error("%zu runs in a row failed; stopping (see the logs in %s/runs)",
				      in_a_row, b.outdir);
				break;
			}
		} else {
			in_a_row = 0;
			c->finished++;
			b.finished++;
		}
		per_run = ((double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9) / (double)done;
	}
	b.interrupted = stop_sig != 0;
	b.load_end = loadavg();
	if (!opt.quiet && stderr_is_tty())
		fputc('\n', stderr);
	if (b.interrupted)
		an_note(&b.warnings,
			"interrupted after %zu of %zu runs: this report has what finished",
			b.finished + b.failed, b.planned);
	if (collect(&b, runs, nruns) || an_bench_analyse(&b)) {
		error("out of memory");
		goto out;
	}
	b.elapsed_s = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	if (write_outputs(&b, !opt.no_plots))
		goto out;
	b.elapsed_s = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	/* the index again, with the time the plots took */
	if (an_write_file(b.outdir, "index.md", print_index, &b, err, sizeof(err))) {
		error("%s", err);
		goto out;
	}
	render_text_headline(stdout, &b);
	printf("\nreport: %s/index.md (%zu of %zu runs in %.1f min)\n", b.outdir, b.finished,
	       b.planned, b.elapsed_s / 60);
	if (b.failed)
		error("%zu of %zu runs failed (see the warnings in %s/index.md)", b.failed,
		      b.planned, b.outdir);
	ret = b.interrupted ? 128 + stop_sig : b.failed || !b.finished ? EXIT_FAIL : EXIT_OK;
out:
	free(runs);
	an_bench_free(&b);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	return ret;
}
