/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench.h - the standard sweep as data: what was asked, what ran, and what
 * it shows (cmd-bench.c runs it, bench.c computes, the renderers print)
 */
#ifndef VMT_BENCH_H
#define VMT_BENCH_H

#include <limits.h>
#include <stdio.h>

#include "stats.h"

#define AN_MAX_READER_COUNTS 8

/* A trace of the sweep. */
struct an_workload {
	char name[64];
	char trace[PATH_MAX];
	char how[512]; /* how it was made or where it was found */
};

/* One configuration: a workload, a reader count and kind. */
struct an_cell {
	size_t wl; /* index into an_bench.wl */
	unsigned int readers;
	int kind; /* index into an_kind_names; -1 with no readers */
	char label[160];
	size_t planned, finished, failed;
	struct an_run **runs; /* the runs that finished and loaded */
	size_t nruns;
	struct an_group g;
	struct an_notes warnings; /* all of them, for the report of this cell */
};

/* Two cells of one workload compared, B against A. */
struct an_pair {
	const struct an_cell *a, *b;
	struct an_compare c;
};

enum an_lock_class {
	AN_LOCK_UNKNOWN,
	AN_LOCK_PER_VMA,
	AN_LOCK_MMAP
};

struct an_bench {
	/* what was asked */
	struct an_workload *wl;
	size_t nwl;
	unsigned int readers[AN_MAX_READER_COUNTS];
	size_t nreaders;
	bool kind_on[AN_NKINDS];
	unsigned int reps, headline_readers;
	double duration_s, speed;
	int reader_nice, reader_cpu, writer_cpu;
	bool lockstat; /* every replay ran with --lockstat */
	char outdir[PATH_MAX];
	char started[32];
	/* what happened */
	struct an_cell *cells;
	size_t ncells;
	size_t planned, finished, failed;
	bool interrupted;
	double elapsed_s;
	double load_start, load_end; /* 1-minute load average; < 0 unknown */
	int cpus;
	bool plotted;	     /* gnuplot drew the plots */
	struct an_run *runs; /* every loaded run, owned */
	size_t nruns;
	/* what it shows */
	enum an_lock_class lock[AN_NKINDS]; /* as probed in the runs */
	char lock_name[AN_NKINDS][32];
	bool lock_inferred[AN_NKINDS];
	struct an_pair *locks; /* per-VMA kind (A) against mmap_lock kind (B) */
	size_t nlocks;
	struct an_pair *base; /* no readers (A) against each kind (B) */
	size_t nbase;
	struct an_notes warnings;
};

/**
 * an_bench_analyse - what the sweep shows
 * @b: a sweep whose cells have their runs
 *
 * Builds every cell's statistics and warnings, finds the lock each kind
 * took (from the runs' probes, never assumed), and compares the kinds that
 * took mmap_lock with those that took per-VMA locks, and every reader
 * configuration with no readers.
 *
 * Return: 0, or -1 when out of memory.
 */
int an_bench_analyse(struct an_bench *b);

/**
 * an_bench_free - free everything of a sweep, loaded runs included
 * @b: the sweep, left zeroed
 */
void an_bench_free(struct an_bench *b);

/**
 * an_bench_cell - one configuration of the sweep
 * @b: the sweep
 * @wl: index of the workload
 * @readers: reader count (0: the configuration without readers)
 * @kind: reader kind index (ignored when @readers is 0)
 *
 * Return: the cell, or NULL when the sweep has no such configuration.
 */
const struct an_cell *an_bench_cell(const struct an_bench *b, size_t wl, unsigned int readers,
				    int kind);

/**
 * an_bench_pair - the comparison of two cells, if it was made
 * @p: b->locks or b->base
 * @n: its length
 * @a: side A's cell
 * @bc: side B's cell
 *
 * Return: the pair, or NULL.
 */
const struct an_pair *an_bench_pair(const struct an_pair *p, size_t n, const struct an_cell *a,
				    const struct an_cell *bc);

/* Renderers of the sweep (render-text.c, render-md.c). */
void render_text_headline(FILE *f, const struct an_bench *b);
void render_md_headline(FILE *f, const struct an_bench *b);
void render_md_index(FILE *f, const struct an_bench *b);
void render_text_bench_report(FILE *f, const struct an_bench *b);
void render_md_bench_report(FILE *f, const struct an_bench *b);
void render_text_bench_compare(FILE *f, const struct an_bench *b);
void render_md_bench_compare(FILE *f, const struct an_bench *b);

#endif /* VMT_BENCH_H */
