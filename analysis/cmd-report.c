// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-report.c - vmatrace report: the repetitions of one configuration
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cmd.h"
#include "options.h"

struct report_options {
	const char *output;
	bool force;
	bool no_plots;
};

#define OFF(f) offsetof(struct report_options, f)

static const struct opt_def report_opts[] = {
	{ .name = "output",
	  .short_name = 'o',
	  .type = OPT_STRING,
	  .offset = OFF(output),
	  .arg = "DIR",
	  .help = "also write report.txt, report.md, data/*.dat and plots/*.png, *.svg into DIR" },
	{ .name = "force",
	  .type = OPT_FLAG,
	  .offset = OFF(force),
	  .help = "report runs of different configurations together (with a warning)" },
	{ .name = "no-plots",
	  .type = OPT_FLAG,
	  .offset = OFF(no_plots),
	  .help = "with -o, write the plots' data but do not run gnuplot" },
	{ .name = NULL },
};

static const char report_synopsis[] =
	"usage: vmatrace report R.json... [-o DIR] [--force] [--no-plots]\n"
	"\n"
	"Summarise repetitions of one configuration (results files of vmatrace replay):\n"
	"for each (role, op), the median over the runs of count, p50, p90, p99, p99.9,\n"
	"max and mean, with a 95% percentile-bootstrap confidence interval; the lock each\n"
	"reader kind took (as probed); warnings (lost events, conflicts, outcome\n"
	"mismatches, partial runs, noisy repetitions).  When the runs were made with\n"
	"--lockstat, also the replay processes' mmap_lock per (role, mode): acquisitions,\n"
	"acquisitions per reader pass, wait and hold p50, p99 and max.  Runs of different\n"
	"configurations are refused unless --force.  docs/analysis.md explains the\n"
	"statistics.\n";

struct report_ctx {
	const struct an_group *g;
	const struct an_notes *warnings;
};

static void print_text(FILE *f, const void *p)
{
	const struct report_ctx *c = p;

	render_text_group_header(f, c->g);
	if (c->warnings->n) {
		fputc('\n', f);
		render_text_notes(f, "warning: ", c->warnings);
	}
	render_text_group(f, c->g);
	render_text_lock_group(f, c->g);
}

static void print_md(FILE *f, const void *p)
{
	const struct report_ctx *c = p;
	char wl[128];

	fprintf(f, "# vmatrace report: %s, %s\n\n", an_run_workload(c->g->runs[0], wl, sizeof(wl)),
		c->g->label);
	render_md_group_header(f, c->g);
	if (c->warnings->n) {
		fprintf(f, "\n## Warnings\n\n");
		render_md_notes(f, c->warnings);
	}
	fprintf(f, "\n## Latency\n");
	render_md_group(f, c->g, "###");
	fprintf(f, "\n## Lock statistics\n");
	render_md_lock_group(f, c->g, "###");
	render_md_method(f);
}

static int draw(struct an_plotter *pl, const struct an_group *g, char *err, size_t errlen)
{
	struct an_series *s = calloc(g->nruns + 1, sizeof(*s));
	char(*labels)[64] = calloc(g->nruns + 1, sizeof(*labels));
	double *maxes = calloc(g->nruns + 1, sizeof(*maxes));
	char title[512], wl[128];
	size_t n = 0, nm = 0;
	int ret = -1;

	if (!s || !labels || !maxes) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	an_run_workload(g->runs[0], wl, sizeof(wl));
	for (size_t i = 0; i < g->nruns; i++) {
		const struct an_lat *lt = an_run_find(g->runs[i], "writer", "all");
		const char *base = strrchr(g->runs[i]->path, '/');

		fmt_into(labels[i], sizeof(labels[i]), "run %zu: %.50s", i + 1,
			 base ? base + 1 : g->runs[i]->path);
		s[n] = (struct an_series){ .label = labels[i],
					   .h = lt ? lt->h : NULL,
					   .run = g->runs[i] };
		n++;
		if (lt)
			maxes[nm++] = lt->v[AN_MAX];
	}
	snprintf(title, sizeof(title), "%s, %s: writer latency, all ops, each run", wl, g->label);
	if (an_plotter_draw(pl, "cdf", "cdf.gp", render_dat_cdf, s, n, title, NULL, err, errlen) ||
	    an_plotter_draw(pl, "spectrum", "spectrum.gp", render_dat_spectrum, s, n, title, NULL,
			    err, errlen))
		goto out;
	snprintf(title, sizeof(title), "%s, %s: writer latency over time, each run", wl, g->label);
	if (an_plotter_draw(pl, "timeline", "timeline.gp", render_dat_timeline, s, n, title, NULL,
			    err, errlen))
		goto out;
	s[0] = (struct an_series){ .label = g->label, .vals = maxes, .nvals = nm };
	snprintf(title, sizeof(title), "%s: maximum writer latency of each of %zu runs, sorted", wl,
		 nm);
	if (an_plotter_draw(pl, "maxlat", "maxlat.gp", render_dat_maxlat, s, 1, title, NULL, err,
			    errlen))
		goto out;
	/* the readers' own pass latency, when there were readers */
	n = 0;
	for (size_t i = 0; i < g->nruns; i++) {
		const struct an_run *r = g->runs[i];
		const struct an_lat *lt = r->readers ? an_run_find(r, "reader", r->reader) : NULL;

		if (lt)
			s[n++] = (struct an_series){ .label = labels[i], .h = lt->h };
	}
	if (n) {
		snprintf(title, sizeof(title), "%s, %s: reader pass latency, each run", wl,
			 g->label);
		if (an_plotter_draw(pl, "reader-cdf", "cdf.gp", render_dat_cdf, s, n, title,
				    "reader pass latency (µs)", err, errlen))
			goto out;
	}
	/* the writers' wait for mmap_lock, when the runs traced it */
	n = 0;
	for (size_t i = 0; g->lock_runs && i < g->nruns; i++) {
		const struct an_lockstat *x = an_run_lockstat(g->runs[i], "writer", "write");
		const char *base = strrchr(g->runs[i]->path, '/');

		if (!x || !x->wait.h)
			continue; /* no buckets (a file of an older vmatrace): nothing to draw */
		/* the legend names the reader kind and its lock, the plot's subject */
		fmt_into(labels[i], sizeof(labels[i]), "%.40s, run %zu (%.40s)", g->label, i + 1,
			 base ? base + 1 : g->runs[i]->path);
		s[n++] = (struct an_series){ .label = labels[i], .h = x->wait.h };
	}
	if (n) {
		snprintf(title, sizeof(title),
			 "%s, %s: writers' mmap_lock wait (write mode), each run", wl, g->label);
		if (an_plotter_draw(pl, "lock-wait", "lockwait.gp", render_dat_lockwait, s, n,
				    title, NULL, err, errlen))
			goto out;
	}
	ret = 0;
out:
	free(s);
	free(labels);
	free(maxes);
	return ret;
}

int cmd_report(int argc, char **argv)
{
	struct report_options opt = { 0 };
	struct an_notes warnings = { 0 };
	struct an_group g = { 0 };
	struct an_run *runs = NULL, **rp = NULL;
	char err[1024], why[1024];
	int first, ret;
	size_t n;

	ret = options_parse("report", report_synopsis, report_opts, &opt, argc, argv, &first);
	if (ret)
		return ret == 1 ? EXIT_OK : ret;
	if (first >= argc)
		return usage_error("report", "expected one or more results files");
	n = (size_t)(argc - first);
	runs = an_load_runs(argv + first, n);
	if (!runs)
		return EXIT_FAIL;
	ret = EXIT_FAIL;
	rp = calloc(n, sizeof(*rp));
	if (!rp) {
		error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rp[i] = &runs[i];
		if (i && an_config_diff(&runs[0], &runs[i], false, why, sizeof(why))) {
			if (!opt.force) {
				error("%s is not a repetition of %s: %s (--force reports them together)",
				      runs[i].path, runs[0].path, why);
				goto out;
			}
			an_note(&warnings, "mixed configurations (--force): %s differs from %s: %s",
				runs[i].path, runs[0].path, why);
		}
	}
	if (an_group_build(&g, rp, n)) {
		error("out of memory");
		goto out;
	}
	an_group_warnings(&g, "", AN_WARN_ALL, &warnings);
	if (opt.output) {
		struct report_ctx ctx = { .g = &g, .warnings = &warnings };
		struct an_plotter pl;

		if (an_mkdirs(opt.output, err, sizeof(err)) ||
		    an_plotter_init(&pl, opt.output, !opt.no_plots, &warnings, err, sizeof(err)) ||
		    draw(&pl, &g, err, sizeof(err)) ||
		    an_write_file(opt.output, "report.txt", print_text, &ctx, err, sizeof(err)) ||
		    an_write_file(opt.output, "report.md", print_md, &ctx, err, sizeof(err))) {
			error("%s", err);
			goto out;
		}
		print_text(stdout, &ctx);
		printf("\nreport: %s/report.md (%zu plots in %s/plots)\n", opt.output, pl.drawn,
		       opt.output);
	} else {
		struct report_ctx ctx = { .g = &g, .warnings = &warnings };

		print_text(stdout, &ctx);
	}
	ret = EXIT_OK;
out:
	an_group_free(&g);
	an_notes_free(&warnings);
	free(rp);
	an_free_runs(runs, n);
	return ret;
}
