// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-compare.c - vmatrace compare: two sets of repetitions, B against A
 *
 * The documented use is two kernels on one box: the same trace replayed the
 * same way after each boot.  Different traces or machines would make the
 * ratio meaningless, so they are refused unless --force; a different
 * kernel, and different options, are what one compares, and are shown.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "cmd.h"
#include "options.h"

struct compare_options {
	const char *output;
	const char *label_a, *label_b;
	bool force;
	bool no_plots;
};

#define OFF(f) offsetof(struct compare_options, f)

static const struct opt_def compare_opts[] = {
	{ .name = "output",
	  .short_name = 'o',
	  .type = OPT_STRING,
	  .offset = OFF(output),
	  .arg = "DIR",
	  .help = "also write compare.txt, compare.md, data/*.dat and plots/*.png, *.svg into DIR" },
	{ .name = "label-a",
	  .type = OPT_STRING,
	  .offset = OFF(label_a),
	  .arg = "NAME",
	  .help = "name side A in the tables and legends (default: what its runs are)" },
	{ .name = "label-b",
	  .type = OPT_STRING,
	  .offset = OFF(label_b),
	  .arg = "NAME",
	  .help = "name side B" },
	{ .name = "force",
	  .type = OPT_FLAG,
	  .offset = OFF(force),
	  .help = "compare results of different traces or machines (with a warning)" },
	{ .name = "no-plots",
	  .type = OPT_FLAG,
	  .offset = OFF(no_plots),
	  .help = "with -o, write the plots' data but do not run gnuplot" },
	{ .name = NULL },
};

static const char compare_synopsis[] =
	"usage: vmatrace compare [options] A.json... -- B.json...\n"
	"\n"
	"Compare two sets of repetitions (results files of vmatrace replay), typically\n"
	"the same trace replayed the same way on two kernels of one machine.  For each\n"
	"(role, op) both sides' medians with 95% bootstrap intervals, the ratio B/A of\n"
	"the medians with its interval, and a verdict: faster, slower (the interval\n"
	"excludes 1) or no significant difference; the same for the lock statistics of\n"
	"runs made with --lockstat.  Results of different traces (meta.trace.sha256) or\n"
	"machines (hostname, CPU model, CPU count) are refused unless --force; each side\n"
	"must be repetitions of one configuration.\n";

struct compare_ctx {
	const struct an_compare *c;
	const struct an_notes *warnings;
};

static void print_text(FILE *f, const void *p)
{
	const struct compare_ctx *x = p;

	render_text_compare(f, x->c, x->warnings);
}

static void print_md(FILE *f, const void *p)
{
	const struct compare_ctx *x = p;

	fprintf(f, "# vmatrace compare: B / A\n\n");
	render_md_compare(f, x->c, x->warnings, "##");
	render_md_method(f);
}

/* Each side's runs must be repetitions of one configuration. */
static int check_side(struct an_run *runs, size_t n, const char *side, bool force,
		      struct an_notes *warnings)
{
	char why[1024];

	for (size_t i = 1; i < n; i++) {
		if (!an_config_diff(&runs[0], &runs[i], false, why, sizeof(why)))
			continue;
		if (!force)
			return error(
				"side %s mixes configurations: %s is not a repetition of %s: %s (--force compares anyway)",
				side, runs[i].path, runs[0].path, why);
		an_note(warnings, "side %s mixes configurations (--force): %s differs from %s: %s",
			side, runs[i].path, runs[0].path, why);
	}
	return 0;
}

static int draw(struct an_plotter *pl, const struct an_compare *c, char *err, size_t errlen)
{
	const struct an_row *ra = an_group_find(&c->a, "writer", "all");
	const struct an_row *rb = an_group_find(&c->b, "writer", "all");
	const struct an_lock_row *lwa, *lwb;
	char la[200], lb[200], title[512], wl[128];
	struct an_series s[2];

	snprintf(la, sizeof(la), "A: %s", c->a.label);
	snprintf(lb, sizeof(lb), "B: %s", c->b.label);
	an_run_workload(c->a.runs[0], wl, sizeof(wl));
	s[0] = (struct an_series){ .label = la,
				   .h = ra ? ra->pooled : NULL,
				   .vals = ra ? ra->vals[AN_MAX] : NULL,
				   .nvals = ra ? ra->n : 0,
				   .run = an_group_median_run(&c->a) };
	s[1] = (struct an_series){ .label = lb,
				   .h = rb ? rb->pooled : NULL,
				   .vals = rb ? rb->vals[AN_MAX] : NULL,
				   .nvals = rb ? rb->n : 0,
				   .run = an_group_median_run(&c->b) };
	snprintf(title, sizeof(title), "%s: writer latency, all ops, all runs of each side", wl);
	if (an_plotter_draw(pl, "cdf", "cdf.gp", render_dat_cdf, s, 2, title, NULL, err, errlen) ||
	    an_plotter_draw(pl, "spectrum", "spectrum.gp", render_dat_spectrum, s, 2, title, NULL,
			    err, errlen))
		return -1;
	snprintf(title, sizeof(title), "%s: maximum writer latency of each run, sorted", wl);
	if (an_plotter_draw(pl, "maxlat", "maxlat.gp", render_dat_maxlat, s, 2, title, NULL, err,
			    errlen))
		return -1;
	snprintf(title, sizeof(title), "%s: writer latency over time (the median run of each side)",
		 wl);
	if (an_plotter_draw(pl, "timeline", "timeline.gp", render_dat_timeline, s, 2, title, NULL,
			    err, errlen))
		return -1;
	/* the writers' wait for mmap_lock, when a side traced it (with buckets to draw) */
	lwa = an_group_lock_find(&c->a, "writer", "write");
	lwb = an_group_lock_find(&c->b, "writer", "write");
	if (!(lwa && lwa->wait_pooled) && !(lwb && lwb->wait_pooled))
		return 0;
	s[0] = (struct an_series){ .label = la, .h = lwa ? lwa->wait_pooled : NULL };
	s[1] = (struct an_series){ .label = lb, .h = lwb ? lwb->wait_pooled : NULL };
	snprintf(title, sizeof(title),
		 "%s: writers' mmap_lock wait (write mode), all runs of each side", wl);
	return an_plotter_draw(pl, "lock-wait", "lockwait.gp", render_dat_lockwait, s, 2, title,
			       NULL, err, errlen);
}

int cmd_compare(int argc, char **argv)
{
	struct compare_options opt = { 0 };
	struct an_notes warnings = { 0 };
	struct an_compare c = { 0 };
	struct an_run *a = NULL, *b = NULL, **ap = NULL, **bp = NULL;
	size_t na = 0, nb = 0;
	static char sep[] = "\001"; /* a non-option getopt leaves in place */
	int first, ret, dd = -1;
	char err[1024], why[1024], **nargv;
	bool sep_seen = false;

	/*
	 * getopt stops at "--", but options are welcome on both sides of it:
	 * stand a non-option in for the first "--", let getopt move the options
	 * out (it keeps the files in their order), then split at the stand-in.
	 */
	nargv = calloc((size_t)argc + 1, sizeof(*nargv));
	if (!nargv)
		return error("out of memory");
	for (int i = 0; i < argc; i++) {
		nargv[i] = argv[i];
		if (i && !strcmp(argv[i], "--") && !sep_seen) {
			nargv[i] = sep;
			sep_seen = true;
		}
	}
	ret = options_parse("compare", compare_synopsis, compare_opts, &opt, argc, nargv, &first);
	if (ret) {
		free(nargv);
		return ret == 1 ? EXIT_OK : ret;
	}
	for (int i = first; i < argc; i++)
		if (nargv[i] == sep) {
			dd = i;
			break;
		}
	if (dd < 0) {
		free(nargv);
		return usage_error("compare", "expected A.json... -- B.json...");
	}
	na = (size_t)(dd - first);
	nb = (size_t)(argc - dd - 1);
	if (!na || !nb) {
		free(nargv);
		return usage_error("compare", "each side needs at least one results file");
	}
	a = an_load_runs(nargv + first, na);
	b = a ? an_load_runs(nargv + dd + 1, nb) : NULL;
	free(nargv);
	if (!b) {
		an_free_runs(a, na);
		return EXIT_FAIL;
	}
	ret = EXIT_FAIL;
	if (check_side(a, na, "A", opt.force, &warnings) ||
	    check_side(b, nb, "B", opt.force, &warnings))
		goto out;
	if (an_config_diff(&a[0], &b[0], true, why, sizeof(why))) {
		if (!opt.force) {
			error("cannot compare %s with %s: %s (--force compares them anyway)",
			      b[0].path, a[0].path, why);
			goto out;
		}
		an_note(&warnings, "compared with --force although the sides have %s", why);
	}
	ap = calloc(na, sizeof(*ap));
	bp = calloc(nb, sizeof(*bp));
	if (!ap || !bp) {
		error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < na; i++)
		ap[i] = &a[i];
	for (size_t i = 0; i < nb; i++)
		bp[i] = &b[i];
	if (an_compare_build(&c, ap, na, bp, nb)) {
		error("out of memory");
		goto out;
	}
	/* name the sides by what differs, so legends say it */
	if (!strcmp(c.a.label, c.b.label) && strcmp(a[0].kernel, b[0].kernel)) {
		char t[200];

		fmt_into(t, sizeof(t), "%s, Linux %s", c.a.label, a[0].kernel);
		strlcpy_(c.a.label, t, sizeof(c.a.label));
		fmt_into(t, sizeof(t), "%s, Linux %s", c.b.label, b[0].kernel);
		strlcpy_(c.b.label, t, sizeof(c.b.label));
	}
	if (opt.label_a)
		strlcpy_(c.a.label, opt.label_a, sizeof(c.a.label));
	if (opt.label_b)
		strlcpy_(c.b.label, opt.label_b, sizeof(c.b.label));
	an_group_warnings(&c.a, "A: ", AN_WARN_ALL, &warnings);
	an_group_warnings(&c.b, "B: ", AN_WARN_ALL, &warnings);
	/* tracing costs the writer (docs/performance.md): the latencies carry it on one side only */
	if (!c.a.lock_runs != !c.b.lock_runs)
		an_note(&warnings,
			"side %s was traced with --lockstat and side %s was not: %s's latencies include the cost of the tracing",
			c.a.lock_runs ? "A" : "B", c.a.lock_runs ? "B" : "A",
			c.a.lock_runs ? "A" : "B");
	{
		struct compare_ctx ctx = { .c = &c, .warnings = &warnings };

		if (opt.output) {
			struct an_plotter pl;

			if (an_mkdirs(opt.output, err, sizeof(err)) ||
			    an_plotter_init(&pl, opt.output, !opt.no_plots, &warnings, err,
					    sizeof(err)) ||
			    draw(&pl, &c, err, sizeof(err)) ||
			    an_write_file(opt.output, "compare.txt", print_text, &ctx, err,
					  sizeof(err)) ||
			    an_write_file(opt.output, "compare.md", print_md, &ctx, err,
					  sizeof(err))) {
				error("%s", err);
				goto out;
			}
			print_text(stdout, &ctx);
			printf("\ncomparison: %s/compare.md (%zu plots in %s/plots)\n", opt.output,
			       pl.drawn, opt.output);
		} else {
			print_text(stdout, &ctx);
		}
	}
	ret = EXIT_OK;
out:
	an_compare_free(&c);
	an_notes_free(&warnings);
	free(ap);
	free(bp);
	an_free_runs(a, na);
	an_free_runs(b, nb);
	return ret;
}
