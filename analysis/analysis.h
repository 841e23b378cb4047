/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * analysis.h - what report, compare and bench share: loading a list of
 * results files, and drawing a plot (its .dat file, then gnuplot)
 */
#ifndef VMT_ANALYSIS_H
#define VMT_ANALYSIS_H

#include <limits.h>

#include "render.h"
#include "stats.h"

/**
 * an_load_runs - load every file, or none
 * @paths: the results files
 * @n: their number
 *
 * Prints "vmatrace: error: FILE: what" for the first file that fails.
 *
 * Return: an array of @n runs (free with an_free_runs()), or NULL.
 */
struct an_run *an_load_runs(char *const *paths, size_t n);

/**
 * an_free_runs - free runs from an_load_runs()
 * @runs: the array, may be NULL
 * @n: its length
 */
void an_free_runs(struct an_run *runs, size_t n);

/**
 * an_group_median_run - the typical run of a group, for a timeline
 * @g: the group
 *
 * Return: the run whose writer "all" mean is closest to the group's median
 * mean; NULL for an empty group.
 */
const struct an_run *an_group_median_run(const struct an_group *g);

typedef int (*an_dat_fn)(const char *path, const struct an_series *s, size_t n, char *err,
			 size_t errlen);

struct an_plotter {
	char dir[PATH_MAX];   /* DIR: data in DIR/data, plots in DIR/plots */
	char gpdir[PATH_MAX]; /* where the .gp scripts are; "" when not drawing */
	size_t drawn, failed;
	struct an_notes *warnings; /* why plots are missing */
};

/**
 * an_plotter_init - prepare DIR/data and DIR/plots
 * @p: filled
 * @dir: DIR
 * @draw: false writes the .dat files only (--no-plots)
 * @warnings: where a missing gnuplot or script goes (a warning, not an error)
 * @err: the reason on failure
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err when the directories cannot be made.
 */
int an_plotter_init(struct an_plotter *p, const char *dir, bool draw, struct an_notes *warnings,
		    char *err, size_t errlen);

/**
 * an_plotter_draw - write one plot's data, then draw it
 * @p: from an_plotter_init()
 * @name: NAME: DIR/data/NAME.dat, DIR/plots/NAME.png and .svg
 * @script: the gnuplot script, e.g. "cdf.gp"
 * @dat: the renderer of the data file
 * @s: the series
 * @n: their number
 * @title: the plot's title
 * @label: the latency axis' label, NULL for the script's default
 * @err: the reason on failure
 * @errlen: size of @err
 *
 * A plot gnuplot fails to draw is a warning in @p->warnings.
 *
 * Return: 0, or -1 with @err when the data file cannot be written.
 */
int an_plotter_draw(struct an_plotter *p, const char *name, const char *script, an_dat_fn dat,
		    const struct an_series *s, size_t n, const char *title, const char *label,
		    char *err, size_t errlen);

typedef void (*an_print_fn)(FILE *f, const void *ctx);

/**
 * an_write_file - write DIR/NAME atomically with what @print prints
 * @dir: the directory
 * @name: the file's name in it
 * @print: prints the contents into the (temporary) file
 * @ctx: passed to @print
 * @err: the reason on failure
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set.
 */
int an_write_file(const char *dir, const char *name, an_print_fn print, const void *ctx, char *err,
		  size_t errlen);

#endif /* VMT_ANALYSIS_H */
