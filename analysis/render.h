/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * render.h - the renderers (text, Markdown, gnuplot data), the plots, and
 * the files they write
 *
 * They format what stats.c computed and compute nothing of their own, so
 * the terminal, the Markdown and the plots always show the same numbers.
 */
#ifndef VMT_RENDER_H
#define VMT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "afile.h"
#include "stats.h"

/* ---- output files: written to a temporary name, renamed when complete -- */

struct an_out {
	FILE *f;
	struct afile af;
};

/**
 * an_out_open - start writing @path through a nameless file (lib/afile.h)
 * @o: filled; write to @o->f, then an_out_commit() or an_out_abort()
 * @path: the file to write
 * @err: the reason on failure
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set.
 */
int an_out_open(struct an_out *o, const char *path, char *err, size_t errlen);

/**
 * an_out_commit - flush, fsync and name the file, replacing @path in one step
 * @o: from an_out_open(); freed
 * @err: the reason on failure (the temporary file is then removed)
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set.
 */
int an_out_commit(struct an_out *o, char *err, size_t errlen);

/**
 * an_out_abort - drop the file; @path is left as it was
 * @o: from an_out_open(); freed
 */
void an_out_abort(struct an_out *o);

/**
 * an_mkdirs - create a directory and its parents, like mkdir -p
 * @path: the directory
 * @err: the reason on failure
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set.
 */
int an_mkdirs(const char *path, char *err, size_t errlen);

/* ---- formatting -------------------------------------------------------- */

/* A latency with three significant digits and its unit: "5.72 us", "1.75 ms". */
const char *an_fmt_lat(char *buf, size_t size, double ns, bool utf8);
/* A latency and its interval in one unit: "5.72 us [5.61, 5.90]". */
const char *an_fmt_lat_ci(char *buf, size_t size, const struct an_est *e, bool utf8);
/* A count with thousands separators, "1,234,567". */
const char *an_fmt_count(char *buf, size_t size, double v);
const char *an_fmt_count_ci(char *buf, size_t size, const struct an_est *e);
/* A ratio "1.12x"; with its interval "1.12x [1.08, 1.15]". */
const char *an_fmt_ratio(char *buf, size_t size, double r);
const char *an_fmt_ratio_ci(char *buf, size_t size, const struct an_est *e);
/* A plain number with three significant digits, "106", "0.0123"; with its interval. */
const char *an_fmt_num(char *buf, size_t size, double v);
const char *an_fmt_num_ci(char *buf, size_t size, const struct an_est *e);
/* A lock metric as what it is: a count, a rate per pass, or a time. */
const char *an_fmt_lk(char *buf, size_t size, enum an_lk_metric m, double v, bool utf8);
const char *an_fmt_lk_ci(char *buf, size_t size, enum an_lk_metric m, const struct an_est *e,
			 bool utf8);
/* The metric of @e formatted as a count or a latency. */
const char *an_fmt_metric(char *buf, size_t size, enum an_metric m, double v, bool utf8);
/* The replay options that matter, as a command line: "--speed 1 --duration 2 --readers 2 ...". */
const char *an_fmt_options(char *buf, size_t size, const struct an_run *r);
/* "maps: per-VMA lock (0.0 mmap_lock acquisitions per pass), smaps: ..." or why unknown. */
const char *an_fmt_probe(char *buf, size_t size, const struct an_probe *p);

/* ---- text and Markdown ------------------------------------------------- */

/*
 * Each renderer prints to @f what its name says, from structs stats.c and
 * bench.c filled; none computes anything.  Text is plain ASCII in columns;
 * Markdown uses tables and "µs".  @heading_prefix ("##", "###") sets the
 * level of the Markdown headings.
 */

/* The header of a report: machine, trace, options, locks, runs, method. */
void render_text_group_header(FILE *f, const struct an_group *g);
/* One table per (role, op): every metric's median, interval and range over the runs. */
void render_text_group(FILE *f, const struct an_group *g);
/*
 * The lock statistics (replay --lockstat): one table per (role, mode) of
 * acquisitions, acquisitions per pass (readers), wait and hold p50, p99 and
 * max; or "lock statistics not recorded" and why.  The compare renderers
 * show the same rows side by side, after the latencies.
 */
void render_text_lock_group(FILE *f, const struct an_group *g);
void render_text_notes(FILE *f, const char *prefix, const struct an_notes *w);
void render_text_compare(FILE *f, const struct an_compare *c, const struct an_notes *warnings);

void render_md_group_header(FILE *f, const struct an_group *g);
void render_md_group(FILE *f, const struct an_group *g, const char *heading_prefix);
void render_md_lock_group(FILE *f, const struct an_group *g, const char *heading_prefix);
void render_md_notes(FILE *f, const struct an_notes *w);
void render_md_compare(FILE *f, const struct an_compare *c, const struct an_notes *warnings,
		       const char *heading_prefix);
/* The statistics used, in one paragraph (for the end of every Markdown file). */
void render_md_method(FILE *f);

/* ---- gnuplot data (.dat) ----------------------------------------------- */

/*
 * One curve.  Each .dat file holds one block per series, separated by two
 * blank lines; a block starts with the series' label in double quotes (the
 * scripts use it as the legend through columnheader(1)).
 */
struct an_series {
	const char *label;
	const struct hist *h; /* cdf, spectrum */
	const double *vals;   /* maxlat: one value per run (ns) */
	size_t nvals;
	const double *x; /* readers: reader count, median, interval (ns) */
	const struct an_est *est;
	size_t npoints;
	const struct an_run *run; /* timeline: its series */
};

/**
 * render_dat_cdf - the data of cdf.gp
 * @path: the .dat file, written atomically
 * @s: the series (their @h: the histogram, each non-empty bucket a point)
 * @n: their number
 * @err: the reason on failure
 * @errlen: size of @err
 *
 * The other render_dat_*() take the same arguments and write, one row per
 * point: spectrum "one_over_1_minus_p latency_us" (24 points a decade, from
 * @h), maxlat "rank max_us" (@vals sorted), readers "readers median_us
 * low_us high_us" (@x, @est), timeline "t_s mean_us max_us" (@run's series,
 * intervals with operations only), lockwait like spectrum, from @h the
 * writers' mmap_lock write-mode wait (its own header says so).
 *
 * Return: 0, or -1 with @err set.
 */
int render_dat_cdf(const char *path, const struct an_series *s, size_t n, char *err, size_t errlen);
int render_dat_spectrum(const char *path, const struct an_series *s, size_t n, char *err,
			size_t errlen);
int render_dat_maxlat(const char *path, const struct an_series *s, size_t n, char *err,
		      size_t errlen);
int render_dat_readers(const char *path, const struct an_series *s, size_t n, char *err,
		       size_t errlen);
int render_dat_timeline(const char *path, const struct an_series *s, size_t n, char *err,
			size_t errlen);
int render_dat_lockwait(const char *path, const struct an_series *s, size_t n, char *err,
			size_t errlen);

/* ---- plots ------------------------------------------------------------- */

/**
 * an_plot_dir - where the .gp scripts are
 * @dir: the directory found
 * @size: size of @dir
 *
 * $VMATRACE_GNUPLOT_DIR, else <dir of the executable>/analysis (the source
 * tree), else <dir of the executable>/../share/vmatrace (installed), else
 * the compiled-in VMATRACE_DATADIR.
 *
 * Return: 0, or -1 when none has cdf.gp.
 */
int an_plot_dir(char *dir, size_t size);

/**
 * an_have_gnuplot - is there a gnuplot in $PATH?
 *
 * Return: true when an executable gnuplot was found.
 */
bool an_have_gnuplot(void);

/**
 * an_plot - draw one plot as PNG and SVG
 * @gpdir: from an_plot_dir()
 * @script: e.g. "cdf.gp"
 * @dat: its data file
 * @outbase: OUTBASE: OUTBASE.png and OUTBASE.svg are written
 * @title: the plot's title
 * @label: the script's optional axis label, or NULL
 * @err: gnuplot's complaint on failure
 * @errlen: size of @err
 *
 * Runs "gnuplot -c GPDIR/SCRIPT DATA OUT TITLE [LABEL]" once per format,
 * each to a temporary name renamed into place when gnuplot succeeded and
 * left a non-empty file.
 *
 * Return: 0, or -1 with @err set.
 */
int an_plot(const char *gpdir, const char *script, const char *dat, const char *outbase,
	    const char *title, const char *label, char *err, size_t errlen);

#endif /* VMT_RENDER_H */
