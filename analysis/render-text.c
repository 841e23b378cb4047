// SPDX-License-Identifier: GPL-2.0-only
/*
 * render-text.c - report and compare for the terminal (plain ASCII, so
 * columns line up in any terminal and in a pasted email)
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "bench.h"
#include "render.h"

static void runs_line(FILE *f, const struct an_group *g)
{
	fprintf(f, "runs      %zu:", g->nruns);
	for (size_t i = 0; i < g->nruns && i < 6; i++)
		fprintf(f, " %s", g->runs[i]->path);
	if (g->nruns > 6)
		fprintf(f, " ... (%zu more)", g->nruns - 6);
	fputc('\n', f);
}

void render_text_group_header(FILE *f, const struct an_group *g)
{
	const struct an_run *r;
	char buf[2048], wl[128];

	if (!g->nruns)
		return;
	r = g->runs[0];
	fprintf(f, "%s, %s\n", an_run_workload(r, wl, sizeof(wl)), g->label);
	runs_line(f, g);
	fprintf(f, "trace     %s (sha256 %.16s..., %s)\n", r->trace_path, r->trace_sha,
		r->trace_source[0] ? r->trace_source : "unknown source");
	fprintf(f, "machine   %s: %d x %s, %s, Linux %s\n", r->hostname, r->cpus, r->cpu_model,
		r->arch, r->kernel);
	fprintf(f, "replay    %s\n", an_fmt_options(buf, sizeof(buf), r));
	fprintf(f, "locks     %s\n", an_fmt_probe(buf, sizeof(buf), &r->probe));
	fprintf(f,
		"method    median of the runs, 95%% percentile-bootstrap interval over runs (%d resamples, fixed seed)\n",
		AN_RESAMPLES);
}

void render_text_group(FILE *f, const struct an_group *g)
{
	char med[96], lo[48], hi[48];

	for (size_t k = 0; k < g->nrows; k++) {
		const struct an_row *r = &g->rows[k];

		fprintf(f, "\n%s %s", r->role, r->op);
		if (r->n != g->nruns)
			fprintf(f, " (in %u of %zu runs)", r->n, g->nruns);
		fprintf(f, "\n  %-8s %-34s %s\n", "metric", "median [95% interval]",
			"range over runs");
		for (int m = 0; m < AN_NMETRICS; m++) {
			const struct an_est *e = &r->est[m];

			if (m == AN_COUNT)
				an_fmt_count_ci(med, sizeof(med), e);
			else
				an_fmt_lat_ci(med, sizeof(med), e, false);
			an_fmt_metric(lo, sizeof(lo), (enum an_metric)m, e->min, false);
			an_fmt_metric(hi, sizeof(hi), (enum an_metric)m, e->max, false);
			fprintf(f, "  %-8s %-34s %s .. %s\n", an_metric_names[m], med, lo, hi);
		}
	}
}

/* Sums over the runs that explain the table: what was not timed, or not counted. */
static void lock_totals(FILE *f, const struct an_lock_row *r, const char *lead)
{
	char a[48], b[48], c[48], d[48];

	fprintf(f, "%sfailed %s, unmatched %s, excluded %s", lead,
		an_fmt_count(a, sizeof(a), (double)r->failed),
		an_fmt_count(b, sizeof(b), (double)r->unmatched),
		an_fmt_count(c, sizeof(c), (double)r->excluded));
	if (!strcmp(r->mode, "write"))
		fprintf(f, ", downgrades %s", an_fmt_count(d, sizeof(d), (double)r->downgrades));
	fprintf(f, " (sums over %u run%s)\n", r->n, r->n == 1 ? "" : "s");
}

/* A row that has nothing to tabulate: no acquisition in any run. */
static bool lock_row_empty(const struct an_lock_row *r)
{
	return !r->acquisitions && !r->failed;
}

void render_text_lock_group(FILE *f, const struct an_group *g)
{
	char med[96], lo[48], hi[48];

	if (!g->lock_runs) {
		fprintf(f, "\nlock statistics not recorded: %s\n", g->lock_why);
		return;
	}
	fprintf(f,
		"\nlock statistics (--lockstat): the replay processes' mmap_lock, from the kernel's tracepoints, in %zu of %zu runs\n"
		"          traced runs: set their latencies beside those of traced runs only\n",
		g->lock_runs, g->nruns);
	for (size_t k = 0; k < g->nlrows; k++) {
		const struct an_lock_row *r = &g->lrows[k];

		if (lock_row_empty(r)) {
			fprintf(f, "\nmmap_lock %s %s: no acquisitions in %u run%s\n", r->role,
				r->mode, r->n, r->n == 1 ? "" : "s");
			continue;
		}
		fprintf(f, "\nmmap_lock %s %s", r->role, r->mode);
		if (r->n != g->lock_runs)
			fprintf(f, " (in %u of %zu runs)", r->n, g->lock_runs);
		fprintf(f, "\n  %-13s %-34s %s\n", "metric", "median [95% interval]",
			"range over runs");
		for (int m = 0; m < AN_LK_NMETRICS; m++) {
			const struct an_est *e = &r->est[m];

			if (m == AN_LK_PER_PASS && strcmp(r->role, "reader"))
				continue;
			an_fmt_lk_ci(med, sizeof(med), (enum an_lk_metric)m, e, false);
			an_fmt_lk(lo, sizeof(lo), (enum an_lk_metric)m, e->min, false);
			an_fmt_lk(hi, sizeof(hi), (enum an_lk_metric)m, e->max, false);
			if (e->n)
				fprintf(f, "  %-13s %-34s %s .. %s\n", an_lk_metric_names[m], med,
					lo, hi);
			else
				fprintf(f, "  %-13s %s\n", an_lk_metric_names[m], med);
		}
		lock_totals(f, r, "  totals        ");
	}
}

void render_text_notes(FILE *f, const char *prefix, const struct an_notes *w)
{
	for (size_t i = 0; i < w->n; i++)
		fprintf(f, "%s%s\n", prefix, w->msg[i]);
}

static void side_line(FILE *f, const char *name, const struct an_group *g)
{
	const struct an_run *r = g->runs[0];
	char wl[128];

	/* the label names the kernel already when the sides differ by it */
	fprintf(f, "%s  %zu run%s: %s, %s%s%s\n", name, g->nruns, g->nruns == 1 ? "" : "s",
		an_run_workload(r, wl, sizeof(wl)), g->label,
		strstr(g->label, r->kernel) ? "" : ", Linux ",
		strstr(g->label, r->kernel) ? "" : r->kernel);
}

/* What is the same and what differs between the sides (compare refuses other traces and machines). */
static void context_lines(FILE *f, const struct an_compare *c)
{
	const struct an_run *a = c->a.runs[0], *b = c->b.runs[0];
	char diff[2048];

	fprintf(f, "trace     %s (sha256 %.16s...)%s\n", a->trace_path, a->trace_sha,
		strcmp(a->trace_sha, b->trace_sha) ? "; B has another trace (--force)"
						   : ", both sides");
	fprintf(f, "machine   %s: %d x %s%s\n", a->hostname, a->cpus, a->cpu_model,
		strcmp(a->hostname, b->hostname) || strcmp(a->cpu_model, b->cpu_model) ||
				a->cpus != b->cpus
			? "; B ran on another machine (--force)"
			: ", both sides");
	if (strcmp(a->kernel, b->kernel))
		fprintf(f, "kernels   A: Linux %s, B: Linux %s\n", a->kernel, b->kernel);
	else
		fprintf(f, "kernel    Linux %s, both sides\n", a->kernel);
	an_options_diff(a, b, diff, sizeof(diff));
	fprintf(f, "options   %s\n", diff[0] ? diff : "the same");
	fprintf(f,
		"method    B/A is the ratio of B's median to A's; interval: 95%% percentile bootstrap over runs, both sides resampled (%d resamples, fixed seed); a verdict needs the interval to exclude 1\n",
		AN_RESAMPLES);
}

static void text_lock_compare(FILE *f, const struct an_compare *c)
{
	char a[96], b[96], r[96];

	if (!c->a.lock_runs && !c->b.lock_runs) {
		if (!strcmp(c->a.lock_why, c->b.lock_why))
			fprintf(f, "\nlock statistics not recorded: %s\n", c->a.lock_why);
		else
			fprintf(f, "\nlock statistics not recorded: A: %s; B: %s\n", c->a.lock_why,
				c->b.lock_why);
		return;
	}
	if (!c->nlrows)
		return; /* on one side only: the notes say so */
	fprintf(f,
		"\nlock statistics (--lockstat): the replay processes' mmap_lock, from the kernel's tracepoints\n");
	for (size_t i = 0; i < c->nlrows; i++) {
		const struct an_lock_cmp *cr = &c->lrows[i];

		if (lock_row_empty(cr->a) && lock_row_empty(cr->b)) {
			fprintf(f, "\nmmap_lock %s %s: no acquisitions on either side\n",
				cr->a->role, cr->a->mode);
			continue;
		}
		fprintf(f, "\nmmap_lock %s %s\n  %-13s %-30s %-30s %-30s %s\n", cr->a->role,
			cr->a->mode, "metric", "A median [95%]", "B median [95%]", "B/A [95%]",
			"verdict");
		for (int m = 0; m < AN_LK_NMETRICS; m++) {
			if (m == AN_LK_PER_PASS && strcmp(cr->a->role, "reader"))
				continue;
			an_fmt_lk_ci(a, sizeof(a), (enum an_lk_metric)m, &cr->a->est[m], false);
			an_fmt_lk_ci(b, sizeof(b), (enum an_lk_metric)m, &cr->b->est[m], false);
			an_fmt_ratio_ci(r, sizeof(r), &cr->ratio[m]);
			fprintf(f, "  %-13s %-30s %-30s %-30s %s\n", an_lk_metric_names[m], a, b, r,
				an_lk_verdict_name((enum an_lk_metric)m, cr->verdict[m]));
		}
	}
}

void render_text_compare(FILE *f, const struct an_compare *c, const struct an_notes *warnings)
{
	char a[96], b[96], r[96];

	if (!c->a.nruns || !c->b.nruns)
		return;
	side_line(f, "A", &c->a);
	side_line(f, "B", &c->b);
	context_lines(f, c);
	for (size_t i = 0; i < c->nrows; i++) {
		const struct an_cmp_row *cr = &c->rows[i];

		fprintf(f, "\n%s %s\n  %-8s %-30s %-30s %-30s %s\n", cr->a->role, cr->a->op,
			"metric", "A median [95%]", "B median [95%]", "B/A [95%]", "verdict");
		for (int m = 0; m < AN_NMETRICS; m++) {
			if (m == AN_COUNT) {
				an_fmt_count_ci(a, sizeof(a), &cr->a->est[m]);
				an_fmt_count_ci(b, sizeof(b), &cr->b->est[m]);
			} else {
				an_fmt_lat_ci(a, sizeof(a), &cr->a->est[m], false);
				an_fmt_lat_ci(b, sizeof(b), &cr->b->est[m], false);
			}
			an_fmt_ratio_ci(r, sizeof(r), &cr->ratio[m]);
			fprintf(f, "  %-8s %-30s %-30s %-30s %s\n", an_metric_names[m], a, b, r,
				m == AN_COUNT && !c->counts_are_rates
					? "-"
					: an_verdict_names[cr->verdict[m]]);
		}
	}
	text_lock_compare(f, c);
	if (c->only.n) {
		fputc('\n', f);
		render_text_notes(f, "not compared: ", &c->only);
	}
	if (warnings && warnings->n) {
		fputc('\n', f);
		render_text_notes(f, "warning: ", warnings);
	}
}

/* ---- the sweep --------------------------------------------------------- */

static void headline_workload(FILE *f, const struct an_bench *b, size_t w)
{
	const struct an_cell *none = an_bench_cell(b, w, 0, -1);
	char v[AN_NMETRICS][48], rate[48], vs[64], who[64];
	bool any = false;

	for (int k = -1; k < AN_NKINDS; k++) {
		const struct an_cell *c =
			k < 0 ? none : an_bench_cell(b, w, b->headline_readers, k);
		const struct an_row *row =
			c && c->nruns ? an_group_find(&c->g, "writer", "all") : NULL;
		const struct an_pair *p = k >= 0 ? an_bench_pair(b->base, b->nbase, none, c) : NULL;

		if (!row)
			continue;
		if (!any) {
			fprintf(f, "%s: writer latency, all ops; medians of %u run%s of %g s\n",
				b->wl[w].name, b->reps, b->reps == 1 ? "" : "s", b->duration_s);
			fprintf(f, "  %-18s %-13s %10s %10s %10s %10s %10s %10s  %s\n", "readers",
				"lock", "ops/s", "p50", "p99", "p99.9", "max", "mean",
				"mean vs none [95%]");
			any = true;
		}
		for (int m = AN_P50; m < AN_NMETRICS; m++)
			an_fmt_lat(v[m], sizeof(v[m]), row->est[m].median, false);
		an_fmt_count(rate, sizeof(rate),
			     b->duration_s > 0 ? row->est[AN_COUNT].median / b->duration_s
					       : row->est[AN_COUNT].median);
		if (p) {
			const struct an_cmp_row *cr = NULL;

			for (size_t i = 0; i < p->c.nrows; i++)
				if (!strcmp(p->c.rows[i].a->role, "writer") &&
				    !strcmp(p->c.rows[i].a->op, "all"))
					cr = &p->c.rows[i];
			if (cr)
				an_fmt_ratio_ci(vs, sizeof(vs), &cr->ratio[AN_MEAN]);
			else
				strlcpy_(vs, "-", sizeof(vs));
		} else {
			strlcpy_(vs, k < 0 ? "" : "-", sizeof(vs));
		}
		if (k < 0)
			strlcpy_(who, "none", sizeof(who));
		else
			snprintf(who, sizeof(who), "%u %s", c->readers, an_kind_names[k]);
		fprintf(f, "  %-18s %-13s %10s %10s %10s %10s %10s %10s%s%s\n", who,
			k < 0		     ? "-"
			: b->lock_name[k][0] ? b->lock_name[k]
					     : "unknown",
			rate, v[AN_P50], v[AN_P99], v[AN_P999], v[AN_MAX], v[AN_MEAN],
			vs[0] ? "  " : "", vs);
	}
	if (!any)
		return;
	for (size_t i = 0; i < b->nlocks; i++) {
		const struct an_pair *p = &b->locks[i];
		char r[3][64];

		if (p->a->wl != w || p->a->readers != b->headline_readers)
			continue;
		for (size_t j = 0; j < p->c.nrows; j++) {
			const struct an_cmp_row *cr = &p->c.rows[j];

			if (strcmp(cr->a->role, "writer") || strcmp(cr->a->op, "all"))
				continue;
			fprintf(f, "  %s (%s) / %s (%s): mean %s %s, p99 %s, max %s\n",
				an_kind_names[p->b->kind], b->lock_name[p->b->kind],
				an_kind_names[p->a->kind], b->lock_name[p->a->kind],
				an_fmt_ratio_ci(r[0], sizeof(r[0]), &cr->ratio[AN_MEAN]),
				an_verdict_names[cr->verdict[AN_MEAN]],
				an_fmt_ratio_ci(r[1], sizeof(r[1]), &cr->ratio[AN_P99]),
				an_fmt_ratio_ci(r[2], sizeof(r[2]), &cr->ratio[AN_MAX]));
		}
	}
	fputc('\n', f);
}

void render_text_headline(FILE *f, const struct an_bench *b)
{
	const struct an_run *r = b->nruns ? &b->runs[0] : NULL;
	char rc[32] = "", wc[32] = "";

	if (b->reader_cpu >= 0)
		snprintf(rc, sizeof(rc), " on CPU %d", b->reader_cpu);
	if (b->writer_cpu >= 0)
		snprintf(wc, sizeof(wc), ", the writer on CPU %d", b->writer_cpu);
	fprintf(f, "vmatrace bench: %u reader%s of each kind at nice %d%s%s, --speed %g\n",
		b->headline_readers, b->headline_readers == 1 ? "" : "s", b->reader_nice, rc, wc,
		b->speed);
	if (r)
		fprintf(f, "machine: %s, %d x %s, Linux %s\n", r->hostname, r->cpus, r->cpu_model,
			r->kernel);
	fputc('\n', f);
	for (size_t w = 0; w < b->nwl; w++)
		headline_workload(f, b, w);
	if (b->warnings.n)
		render_text_notes(f, "warning: ", &b->warnings);
}

void render_text_bench_report(FILE *f, const struct an_bench *b)
{
	fprintf(f, "vmatrace bench report: every configuration of the sweep\n");
	if (b->warnings.n) {
		fputc('\n', f);
		render_text_notes(f, "warning: ", &b->warnings);
	}
	for (size_t i = 0; i < b->ncells; i++) {
		const struct an_cell *c = &b->cells[i];

		fprintf(f, "\n==== %s, %s ====\n", b->wl[c->wl].name, c->label);
		if (!c->nruns) {
			fprintf(f, "no run finished\n");
			continue;
		}
		render_text_group_header(f, &c->g);
		render_text_notes(f, "warning: ", &c->warnings);
		render_text_group(f, &c->g);
		/* a sweep without --lockstat says so once, in index.md */
		if (c->g.lock_runs)
			render_text_lock_group(f, &c->g);
	}
}

void render_text_bench_compare(FILE *f, const struct an_bench *b)
{
	fprintf(f,
		"vmatrace bench comparisons\n\nmmap_lock kinds (B) against per-VMA kinds (A), as probed:\n");
	if (!b->nlocks)
		fprintf(f,
			"none: this kernel's readers do not take both locks (see the warnings)\n");
	for (size_t i = 0; i < b->nlocks; i++) {
		const struct an_pair *p = &b->locks[i];

		fprintf(f, "\n==== %s: %s against %s ====\n", b->wl[p->a->wl].name, p->b->label,
			p->a->label);
		render_text_compare(f, &p->c, NULL);
	}
	fprintf(f, "\n\nEach reader configuration (B) against no readers (A):\n");
	for (size_t i = 0; i < b->nbase; i++) {
		const struct an_pair *p = &b->base[i];

		fprintf(f, "\n==== %s: %s against no readers ====\n", b->wl[p->a->wl].name,
			p->b->label);
		render_text_compare(f, &p->c, NULL);
	}
}
