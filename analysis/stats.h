/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stats.h - results files as structs, and the statistics of repetitions
 *
 * Compute first, render after: everything report, compare and bench print is
 * computed here into plain structs; render-text.c, render-md.c and
 * render-dat.c only format them.
 *
 * One run (one results file) gives, per (role, op), seven numbers: count,
 * p50, p90, p99, p99.9, max and mean.  Repetitions of one configuration give
 * a sample of each; we report its median, with a 95% confidence interval
 * from the percentile bootstrap over repetitions (AN_RESAMPLES resamples,
 * fixed seed, so the same files always give the same report).  A comparison
 * reports the ratio of B's median to A's, bootstrapped the same way from
 * both sides independently, and calls it a difference only when the
 * interval excludes 1.  docs/analysis.md explains the choices and their
 * limits (with n repetitions the median's interval cannot be narrower than
 * the order statistics allow: n = 5 gives the range, about 94% coverage).
 */
#ifndef VMT_STATS_H
#define VMT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "hist.h"
#include "util.h"

#define AN_RESAMPLES 10000
#define AN_SEED 0x766d617472616365ull /* "vmatrace": one seed, reproducible output */
#define AN_LEVEL 0.95
/* A row is noisy when its per-run mean varies more than this (coefficient of variation). */
#define AN_NOISY_CV 0.20
/* Below this many repetitions a 95% interval of a median cannot reach 90% coverage. */
#define AN_MIN_REPS 5

enum an_metric {
	AN_COUNT,
	AN_P50,
	AN_P90,
	AN_P99,
	AN_P999,
	AN_MAX,
	AN_MEAN,
	AN_NMETRICS
};
extern const char *const an_metric_names[AN_NMETRICS];

/* The reader kinds of replay --reader, in its order. */
#define AN_NKINDS 4
extern const char *const an_kind_names[AN_NKINDS];
/**
 * an_kind_index - the index of a reader kind in an_kind_names
 * @name: "maps", "smaps", "smaps_rollup" or "procmap_query"
 *
 * Return: 0..AN_NKINDS-1, or -1 for another name.
 */
int an_kind_index(const char *name);

/* One (role, op) of one run. */
struct an_lat {
	char role[16];	       /* "writer" or "reader" */
	char op[32];	       /* mmap, munmap, ..., "all"; or the reader kind */
	double v[AN_NMETRICS]; /* count; latencies in ns */
	uint64_t min_ns;
	struct hist *h; /* rebuilt from the buckets; NULL when the file has none */
};

/* One interval of the writer latency series. */
struct an_point {
	double t_s;
	uint64_t count;
	double mean_ns;
	uint64_t max_ns;
};

/* What meta.probe says of one reader kind. */
struct an_lock {
	bool present;
	bool takes_mmap_lock;
	char lock[32];	 /* "mmap_lock", "per-VMA lock" */
	double per_pass; /* mmap_lock acquisitions per pass */
};

struct an_probe {
	bool present;  /* meta.probe is not null */
	bool measured; /* false: inferred from the kernel version */
	char method[64];
	struct an_lock kind[AN_NKINDS];
};

/*
 * Lock statistics (replay --lockstat): what one results file's "lockstat"
 * array says of one (role, mode).  Only the acquisitions of the replay
 * processes' mms count (docs/results-format.md, LOCKSTAT).
 */
struct an_lockstat {
	char role[16]; /* "writer" or "reader" */
	char mode[8];  /* "write" or "read" */
	uint64_t tasks, acquisitions, failed, downgrades, unmatched, excluded, lost;
	bool has_per_pass; /* acquisitions_per_pass is a number (readers, some passes) */
	double per_pass;
	struct an_lat wait, hold; /* their role and op are left empty */
};

/* Whether a run has lock statistics, and if not, why not. */
enum an_lockstat_state {
	AN_LOCKSTAT_ABSENT, /* no "lockstat": replayed without --lockstat, or before it existed */
	AN_LOCKSTAT_UNAVAILABLE, /* "lockstat": null, meta.lockstat_unavailable says why */
	AN_LOCKSTAT_PRESENT,
};

/* One results file. */
struct an_run {
	char *path;
	char version[32], date[32], hostname[256], kernel[128], arch[32], cpu_model[256];
	int cpus;
	char *trace_path;
	char trace_sha[65];
	char trace_source[128];
	uint64_t trace_lost;
	json_object *options; /* meta.options, for comparing configurations */
	unsigned int readers;
	char reader[32]; /* reader kind, "" when there are no readers */
	int reader_nice, reader_cpu, writer_cpu;
	double speed; /* 0: asap */
	double duration_s;
	bool partial;
	struct an_probe probe;
	uint64_t ops, conflicts, mismatches, skipped, reader_passes, reader_errors, lost_events;
	uint64_t wall_ns;
	struct an_lat *lat;
	size_t nlat;
	struct an_point *series;
	size_t nseries;
	enum an_lockstat_state lockstat;
	char lockstat_why[256]; /* meta.lockstat_unavailable; "" when absent or present */
	struct an_lockstat *ls;
	size_t nls;
};

/**
 * an_run_load - read and check one results file
 * @path: the file
 * @run: filled on success; free with an_run_free()
 * @err: on failure, "PATH: what is wrong" (one line)
 * @errlen: size of @err
 *
 * Every field the analysis uses is checked for presence and type, and the
 * histogram buckets against the histogram's layout and the count, so a
 * damaged or truncated file is an error naming the field, never a crash.
 * The percentiles are recomputed from the buckets when there are some.
 *
 * Return: 0, or -1 with @err set.
 */
int an_run_load(const char *path, struct an_run *run, char *err, size_t errlen);
/**
 * an_run_free - free what an_run_load() allocated; @run may be zeroed
 * @run: the run
 */
void an_run_free(struct an_run *run);

/**
 * an_run_find - one (role, op) of a run
 * @run: the run
 * @role: "writer" or "reader"
 * @op: "all", "mmap"..., or a reader kind
 *
 * Return: the row, or NULL when the run has none.
 */
const struct an_lat *an_run_find(const struct an_run *run, const char *role, const char *op);

/**
 * an_run_lockstat - one (role, mode) of a run's lock statistics
 * @run: the run
 * @role: "writer" or "reader"
 * @mode: "write" or "read"
 *
 * Return: the entry, or NULL when the run has none (or no lock statistics).
 */
const struct an_lockstat *an_run_lockstat(const struct an_run *run, const char *role,
					  const char *mode);

/**
 * an_run_workload - a short name for the run's trace
 * @run: the run
 * @buf: where the name goes
 * @size: size of @buf
 *
 * Return: @buf: "mapper" for a trace of source "workload:mapper", else the
 * trace file's base name without .vmt and .gz.
 */
const char *an_run_workload(const struct an_run *run, char *buf, size_t size);

/**
 * an_run_label - what the run's readers were, and the lock they took
 * @run: the run
 * @buf: where the label goes
 * @size: size of @buf
 *
 * Return: @buf: "2 smaps readers (mmap_lock)", "no readers", "1 maps reader
 * (lock not probed)", "... (per-VMA lock, inferred)".
 */
const char *an_run_label(const struct an_run *run, char *buf, size_t size);

/**
 * an_config_diff - do two runs have the same configuration?
 * @a: a run
 * @b: another run
 * @machine_only: compare only the trace and the machine (compare's rule);
 *	otherwise also the kernel and every replay option but the output
 *	file, -q, --layout and --no-probe (report's rule)
 * @why: the first difference, e.g. "option --reader is 'maps', not 'smaps'"
 * @size: size of @why
 *
 * Return: true when they differ.
 */
bool an_config_diff(const struct an_run *a, const struct an_run *b, bool machine_only, char *why,
		    size_t size);
/**
 * an_options_diff - every replay option that differs between two runs
 * @a: a run
 * @b: another run
 * @buf: "--reader maps -> smaps, --readers 2 -> 4", or "" when none differs
 * @size: size of @buf
 */
void an_options_diff(const struct an_run *a, const struct an_run *b, char *buf, size_t size);

/**
 * an_median - the median of a sample (the mean of the middle two for even @n)
 * @x: the sample, not modified
 * @n: its size
 *
 * Return: the median, NaN when @n is 0.
 */
double an_median(const double *x, size_t n);

/**
 * an_mean - the mean of a sample
 * @x: the sample
 * @n: its size
 *
 * Return: the mean, NaN when @n is 0.
 */
double an_mean(const double *x, size_t n);

/**
 * an_cv - coefficient of variation: sample standard deviation over the mean
 * @x: the sample
 * @n: its size
 *
 * Return: the coefficient, 0 when @n < 2 or the mean is not positive.
 */
double an_cv(const double *x, size_t n);

/**
 * an_boot_median - percentile bootstrap interval of a median
 * @x: the sample (one value per repetition)
 * @n: its size
 * @resamples: number of bootstrap resamples
 * @seed: seed of the generator: the same seed gives the same interval
 * @level: e.g. 0.95
 * @lo: lower bound
 * @hi: upper bound
 *
 * Return: 0, or -1 when @n < 2 (no interval: @lo = @hi = the value).
 */
int an_boot_median(const double *x, size_t n, unsigned int resamples, uint64_t seed, double level,
		   double *lo, double *hi);

/**
 * an_boot_ratio - percentile bootstrap interval of median(b) / median(a)
 * @a: repetitions of side A
 * @na: their number
 * @b: repetitions of side B
 * @nb: their number
 * @resamples: number of bootstrap resamples (A and B are resampled independently)
 * @seed: seed of the generator
 * @level: e.g. 0.95
 * @lo: lower bound
 * @hi: upper bound
 *
 * Return: 0; -1 when either side has fewer than 2 values or a resampled
 * median of A is 0 (the ratio is undefined).
 */
int an_boot_ratio(const double *a, size_t na, const double *b, size_t nb, unsigned int resamples,
		  uint64_t seed, double level, double *lo, double *hi);

/**
 * an_rand - the next number of a small seedable generator (splitmix64)
 * @state: the generator's state, advanced; seed it with any value
 *
 * The statistics never depend on libc's rand(), so the same seed gives the
 * same intervals on every machine.
 *
 * Return: 64 random bits.
 */
uint64_t an_rand(uint64_t *state);

/**
 * an_rand_unit - a uniform double in [0, 1) from an_rand()
 * @state: the generator's state
 *
 * Return: the number.
 */
double an_rand_unit(uint64_t *state);

/* The estimate of one metric over repetitions. */
struct an_est {
	unsigned int n;
	double median, lo, hi; /* lo = hi = median when there is no interval */
	bool ci;	       /* an interval was computed (n >= 2) */
	double min, max, cv;
};

/* One (role, op) over the repetitions of a group. */
struct an_row {
	char role[16], op[32];
	unsigned int n;		   /* runs that have this row */
	double *vals[AN_NMETRICS]; /* n values each, in run order */
	struct an_est est[AN_NMETRICS];
	struct hist *pooled; /* every run's histogram merged; NULL if none has buckets */
};

/*
 * The lock statistics of repetitions: per (role, mode), each metric's value
 * in every run that has it (the waits and holds of runs that had no
 * acquisition, and the per-pass rate of runs without reader passes, are
 * missing, not 0), with its median and interval as for latencies.
 */
enum an_lk_metric {
	AN_LK_ACQ,
	AN_LK_PER_PASS, /* readers only */
	AN_LK_WAIT_P50,
	AN_LK_WAIT_P99,
	AN_LK_WAIT_MAX,
	AN_LK_HOLD_P50,
	AN_LK_HOLD_P99,
	AN_LK_HOLD_MAX,
	AN_LK_NMETRICS
};
extern const char *const an_lk_metric_names[AN_LK_NMETRICS];
/* Counts (acquisitions, per pass) against times (the rest). */
static inline bool an_lk_is_count(enum an_lk_metric m)
{
	return m == AN_LK_ACQ || m == AN_LK_PER_PASS;
}

struct an_lock_row {
	char role[16], mode[8];
	unsigned int n;		      /* runs that have this (role, mode) */
	double *vals[AN_LK_NMETRICS]; /* est[m].n values each, in run order */
	struct an_est est[AN_LK_NMETRICS];
	uint64_t acquisitions, failed, downgrades, unmatched, excluded; /* sums over the runs */
	struct hist *wait_pooled; /* every run's wait merged; NULL if none has buckets */
};

/* Repetitions of one configuration. */
struct an_group {
	char label[160];      /* what the runs are, from an_run_label() or the caller */
	struct an_run **runs; /* not owned */
	size_t nruns;
	struct an_row *rows;
	size_t nrows;
	/* lock statistics: the runs that have them, and why the others do not */
	size_t lock_runs;
	char lock_why[256]; /* the first run without: its reason, or "" (not asked for) */
	struct an_lock_row *lrows;
	size_t nlrows;
};

/**
 * an_group_build - the statistics of repetitions
 * @g: filled: rows in reading order (writer "all", the writer's ops, the
 *	readers), each metric's median, interval, range and coefficient of
 *	variation, and each row's pooled histogram; free with an_group_free()
 * @runs: the runs, kept by pointer (they must outlive @g)
 * @nruns: their number
 *
 * Return: 0, or -1 when out of memory.
 */
int an_group_build(struct an_group *g, struct an_run *const *runs, size_t nruns);

/**
 * an_group_free - free what an_group_build() allocated (not the runs)
 * @g: the group
 */
void an_group_free(struct an_group *g);

/**
 * an_group_find - one (role, op) of a group
 * @g: the group
 * @role: "writer" or "reader"
 * @op: the op or reader kind
 *
 * Return: the row, or NULL.
 */
const struct an_row *an_group_find(const struct an_group *g, const char *role, const char *op);

/**
 * an_group_lock_find - one (role, mode) of a group's lock statistics
 * @g: the group
 * @role: "writer" or "reader"
 * @mode: "write" or "read"
 *
 * Return: the row, or NULL.
 */
const struct an_lock_row *an_group_lock_find(const struct an_group *g, const char *role,
					     const char *mode);

/* Messages collected while computing, printed by the renderers. */
struct an_notes {
	char **msg;
	size_t n;
};
/**
 * an_note - add a message (once: a message already there is not repeated)
 * @w: the list
 * @fmt: printf format of the message, lowercase, no trailing period
 */
void an_note(struct an_notes *w, const char *fmt, ...) VMT_PRINTF(2, 3);

/**
 * an_notes_free - free every message
 * @w: the list, left empty
 */
void an_notes_free(struct an_notes *w);

/*
 * an_group_warnings - everything worth a warning in a group
 * @g: the group
 * @prefix: starts each message (e.g. the configuration's name); may be ""
 * @which: AN_WARN_RUNS: lost events, conflicts, outcome mismatches, skipped
 *	ops, reader errors, partial runs, a lock not measured, mmap_lock
 *	events lost by --lockstat, lock statistics missing from some runs;
 *	AN_WARN_REPS: too few repetitions for the interval;
 *	AN_WARN_NOISE: noisy repetitions (see an_group_noise())
 * @w: where the messages go
 */
#define AN_WARN_RUNS 1u
#define AN_WARN_REPS 2u
#define AN_WARN_NOISE 4u
#define AN_WARN_ALL 7u
void an_group_warnings(const struct an_group *g, const char *prefix, unsigned int which,
		       struct an_notes *w);
/**
 * an_reps_warning - warn when repetitions are too few for the interval
 * @nruns: repetitions of a configuration
 * @prefix: starts the message; may be ""
 * @w: where the message goes
 *
 * Below AN_MIN_REPS the 95% interval of a median is the range of the
 * values, which holds the true median with probability 1 - 2^(1-n).
 */
void an_reps_warning(size_t nruns, const char *prefix, struct an_notes *w);
/*
 * an_group_noise - the rows (writer "all" and the readers) whose per-run
 * mean has a coefficient of variation above AN_NOISY_CV, as
 * "writer all 34%, reader smaps 25%" in @buf.  Return: how many.
 */
size_t an_group_noise(const struct an_group *g, char *buf, size_t size);

enum an_verdict {
	AN_NO_VERDICT,
	AN_SAME,
	AN_FASTER,
	AN_SLOWER
};
extern const char *const an_verdict_names[];

/* One (role, op) found on both sides of a comparison. */
struct an_cmp_row {
	const struct an_row *a, *b;
	struct an_est ratio[AN_NMETRICS]; /* median(B) / median(A), bootstrap interval */
	enum an_verdict verdict[AN_NMETRICS];
};

/*
 * One (role, mode) of the lock statistics found on both sides.  The verdict
 * uses AN_FASTER for "B is lower" and AN_SLOWER for "B is higher": fewer
 * acquisitions are not faster, so an_lk_verdict_name() names them.
 */
struct an_lock_cmp {
	const struct an_lock_row *a, *b;
	struct an_est ratio[AN_LK_NMETRICS];
	enum an_verdict verdict[AN_LK_NMETRICS];
};

/**
 * an_lk_verdict_name - the word for a lock metric's verdict
 * @m: the metric
 * @v: its verdict
 *
 * Return: "fewer"/"more" for counts, "shorter"/"longer" for times, else
 * as an_verdict_names.
 */
const char *an_lk_verdict_name(enum an_lk_metric m, enum an_verdict v);

struct an_compare {
	struct an_group a, b;
	struct an_cmp_row *rows;
	size_t nrows;
	struct an_lock_cmp *lrows;
	size_t nlrows;
	struct an_notes only;  /* rows found on one side only */
	bool counts_are_rates; /* both sides ran for a fixed time, so more ops is faster */
};

/**
 * an_compare_build - B against A
 * @c: filled: both groups, one row per (role, op) found on both sides with
 *	the ratio of medians B/A of every metric, its bootstrap interval and
 *	verdict, the same for each (role, mode) of the lock statistics found
 *	on both sides; the rows of one side only in @c->only; free with
 *	an_compare_free()
 * @a: side A's runs (kept by pointer)
 * @na: their number
 * @b: side B's runs
 * @nb: their number
 *
 * The caller checks first that the sides may be compared (an_config_diff()).
 *
 * Return: 0, or -1 when out of memory.
 */
int an_compare_build(struct an_compare *c, struct an_run *const *a, size_t na,
		     struct an_run *const *b, size_t nb);

/**
 * an_compare_free - free what an_compare_build() allocated
 * @c: the comparison
 */
void an_compare_free(struct an_compare *c);

/**
 * an_verdict_of - the verdict of a ratio interval
 * @ratio: B/A with its interval
 * @m: the metric
 * @rate: counts are operations in a fixed time, so more is faster
 *
 * Return: AN_FASTER or AN_SLOWER when the interval excludes 1, AN_SAME when
 * it holds 1, AN_NO_VERDICT without an interval (or for a count that is not
 * a rate).
 */
enum an_verdict an_verdict_of(const struct an_est *ratio, enum an_metric m, bool rate);

#endif /* VMT_STATS_H */
