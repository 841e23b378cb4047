// SPDX-License-Identifier: GPL-2.0-only
/*
 * render-md.c - report and compare as Markdown, for reading on a forge or
 * pasting into a review
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "bench.h"
#include "render.h"

void render_md_group_header(FILE *f, const struct an_group *g)
{
	const struct an_run *r;
	char buf[2048], wl[128];

	if (!g->nruns)
		return;
	r = g->runs[0];
	fprintf(f, "- **configuration:** %s, %s\n", an_run_workload(r, wl, sizeof(wl)), g->label);
	fprintf(f, "- **runs:** %zu:", g->nruns);
	for (size_t i = 0; i < g->nruns && i < 8; i++)
		fprintf(f, "%s `%s`", i ? "," : "", r == g->runs[i] ? r->path : g->runs[i]->path);
	if (g->nruns > 8)
		fprintf(f, " and %zu more", g->nruns - 8);
	fprintf(f, "\n- **trace:** `%s` (sha256 `%.16s…`, %s)\n", r->trace_path, r->trace_sha,
		r->trace_source[0] ? r->trace_source : "unknown source");
	fprintf(f, "- **machine:** %s: %d × %s, %s, Linux %s\n", r->hostname, r->cpus, r->cpu_model,
		r->arch, r->kernel);
	fprintf(f, "- **replay options:** `%s`\n", an_fmt_options(buf, sizeof(buf), r));
	fprintf(f, "- **locks:** %s\n", an_fmt_probe(buf, sizeof(buf), &r->probe));
}

void render_md_group(FILE *f, const struct an_group *g, const char *hp)
{
	char med[96], lo[48], hi[48];

	for (size_t k = 0; k < g->nrows; k++) {
		const struct an_row *r = &g->rows[k];

		fprintf(f, "\n%s %s %s", hp, r->role, r->op);
		if (r->n != g->nruns)
			fprintf(f, " (in %u of %zu runs)", r->n, g->nruns);
		fprintf(f,
			"\n\n| metric | median [95%% interval] | min over runs | max over runs |\n"
			"|---|--:|--:|--:|\n");
		for (int m = 0; m < AN_NMETRICS; m++) {
			const struct an_est *e = &r->est[m];

			if (m == AN_COUNT)
				an_fmt_count_ci(med, sizeof(med), e);
			else
				an_fmt_lat_ci(med, sizeof(med), e, true);
			fprintf(f, "| %s | %s | %s | %s |\n", an_metric_names[m], med,
				an_fmt_metric(lo, sizeof(lo), (enum an_metric)m, e->min, true),
				an_fmt_metric(hi, sizeof(hi), (enum an_metric)m, e->max, true));
		}
	}
}

static bool lock_row_empty(const struct an_lock_row *r)
{
	return !r->acquisitions && !r->failed;
}

static void md_lock_totals(FILE *f, const struct an_lock_row *r)
{
	char a[48], b[48], c[48], d[48];

	fprintf(f, "\nSums over %u run%s: failed %s, unmatched %s, excluded %s", r->n,
		r->n == 1 ? "" : "s", an_fmt_count(a, sizeof(a), (double)r->failed),
		an_fmt_count(b, sizeof(b), (double)r->unmatched),
		an_fmt_count(c, sizeof(c), (double)r->excluded));
	if (!strcmp(r->mode, "write"))
		fprintf(f, ", downgrades %s", an_fmt_count(d, sizeof(d), (double)r->downgrades));
	fprintf(f, ".\n");
}

void render_md_lock_group(FILE *f, const struct an_group *g, const char *hp)
{
	char med[96], lo[48], hi[48];

	if (!g->lock_runs) {
		fprintf(f, "\nLock statistics not recorded: %s.\n", g->lock_why);
		return;
	}
	fprintf(f,
		"\nThe replay processes' `mmap_lock`, from the kernel's tracepoints (`--lockstat`), in %zu of %zu runs: "
		"*wait* is from asking for the lock to getting it, *hold* from getting it to releasing it (a write "
		"hold ends at a downgrade); *per pass* is a reader's acquisitions per pass over a replay process, "
		"which for a per-VMA reader kind is its rate of falling back to `mmap_lock`. These runs were traced: "
		"set their latencies beside those of traced runs only (docs/performance.md).\n",
		g->lock_runs, g->nruns);
	for (size_t k = 0; k < g->nlrows; k++) {
		const struct an_lock_row *r = &g->lrows[k];

		if (lock_row_empty(r)) {
			fprintf(f, "\n%s mmap_lock %s %s\n\nNo acquisitions in %u run%s.\n", hp,
				r->role, r->mode, r->n, r->n == 1 ? "" : "s");
			continue;
		}
		fprintf(f, "\n%s mmap_lock %s %s", hp, r->role, r->mode);
		if (r->n != g->lock_runs)
			fprintf(f, " (in %u of %zu runs)", r->n, g->lock_runs);
		fprintf(f,
			"\n\n| metric | median [95%% interval] | min over runs | max over runs |\n"
			"|---|--:|--:|--:|\n");
		for (int m = 0; m < AN_LK_NMETRICS; m++) {
			const struct an_est *e = &r->est[m];

			if (m == AN_LK_PER_PASS && strcmp(r->role, "reader"))
				continue;
			fprintf(f, "| %s | %s | %s | %s |\n", an_lk_metric_names[m],
				an_fmt_lk_ci(med, sizeof(med), (enum an_lk_metric)m, e, true),
				an_fmt_lk(lo, sizeof(lo), (enum an_lk_metric)m, e->min, true),
				an_fmt_lk(hi, sizeof(hi), (enum an_lk_metric)m, e->max, true));
		}
		md_lock_totals(f, r);
	}
}

static void md_lock_compare(FILE *f, const struct an_compare *c, const char *hp)
{
	char x[96], y[96], r[96];

	if (!c->a.lock_runs && !c->b.lock_runs) {
		if (!strcmp(c->a.lock_why, c->b.lock_why))
			fprintf(f, "\nLock statistics not recorded: %s.\n", c->a.lock_why);
		else
			fprintf(f, "\nLock statistics not recorded: A: %s; B: %s.\n", c->a.lock_why,
				c->b.lock_why);
		return;
	}
	if (!c->nlrows)
		return;
	fprintf(f,
		"\nLock statistics (`--lockstat`): the replay processes' `mmap_lock`, from the kernel's tracepoints. "
		"The verdict says whether B's median is lower (*fewer*, *shorter*) or higher (*more*, *longer*) than A's, "
		"when the interval of B/A excludes 1.\n");
	for (size_t i = 0; i < c->nlrows; i++) {
		const struct an_lock_cmp *cr = &c->lrows[i];

		if (lock_row_empty(cr->a) && lock_row_empty(cr->b)) {
			fprintf(f, "\n%s mmap_lock %s %s\n\nNo acquisitions on either side.\n", hp,
				cr->a->role, cr->a->mode);
			continue;
		}
		fprintf(f,
			"\n%s mmap_lock %s %s\n\n| metric | A: median [95%%] | B: median [95%%] | B/A [95%%] | verdict |\n"
			"|---|--:|--:|--:|---|\n",
			hp, cr->a->role, cr->a->mode);
		for (int m = 0; m < AN_LK_NMETRICS; m++) {
			enum an_verdict v = cr->verdict[m];

			if (m == AN_LK_PER_PASS && strcmp(cr->a->role, "reader"))
				continue;
			fprintf(f, "| %s | %s | %s | %s | %s%s%s |\n", an_lk_metric_names[m],
				an_fmt_lk_ci(x, sizeof(x), (enum an_lk_metric)m, &cr->a->est[m],
					     true),
				an_fmt_lk_ci(y, sizeof(y), (enum an_lk_metric)m, &cr->b->est[m],
					     true),
				an_fmt_ratio_ci(r, sizeof(r), &cr->ratio[m]),
				v == AN_FASTER || v == AN_SLOWER ? "**" : "",
				an_lk_verdict_name((enum an_lk_metric)m, v),
				v == AN_FASTER || v == AN_SLOWER ? "**" : "");
		}
	}
}

void render_md_notes(FILE *f, const struct an_notes *w)
{
	for (size_t i = 0; i < w->n; i++)
		fprintf(f, "- ⚠ %s\n", w->msg[i]);
}

void render_md_compare(FILE *f, const struct an_compare *c, const struct an_notes *warnings,
		       const char *hp)
{
	const struct an_run *a, *b;
	char x[96], y[96], r[96], wl[128], diff[2048];

	if (!c->a.nruns || !c->b.nruns)
		return;
	a = c->a.runs[0];
	b = c->b.runs[0];
	fprintf(f, "- **A:** %zu runs of %s, %s%s%s\n", c->a.nruns,
		an_run_workload(a, wl, sizeof(wl)), c->a.label,
		strstr(c->a.label, a->kernel) ? "" : ", Linux ",
		strstr(c->a.label, a->kernel) ? "" : a->kernel);
	fprintf(f, "- **B:** %zu runs of %s, %s%s%s\n", c->b.nruns,
		an_run_workload(b, wl, sizeof(wl)), c->b.label,
		strstr(c->b.label, b->kernel) ? "" : ", Linux ",
		strstr(c->b.label, b->kernel) ? "" : b->kernel);
	fprintf(f, "- **trace:** `%s` (sha256 `%.16s…`)%s\n", a->trace_path, a->trace_sha,
		strcmp(a->trace_sha, b->trace_sha) ? "; **B has another trace** (--force)"
						   : ", both sides");
	fprintf(f, "- **machine:** %s: %d × %s%s\n", a->hostname, a->cpus, a->cpu_model,
		strcmp(a->hostname, b->hostname) || strcmp(a->cpu_model, b->cpu_model) ||
				a->cpus != b->cpus
			? "; **B ran on another machine** (--force)"
			: ", both sides");
	an_options_diff(a, b, diff, sizeof(diff));
	fprintf(f, "- **options that differ:** %s\n", diff[0] ? diff : "none");
	if (warnings && warnings->n) {
		fputc('\n', f);
		render_md_notes(f, warnings);
	}
	for (size_t i = 0; i < c->nrows; i++) {
		const struct an_cmp_row *cr = &c->rows[i];

		fprintf(f,
			"\n%s %s %s\n\n| metric | A: median [95%%] | B: median [95%%] | B/A [95%%] | verdict |\n"
			"|---|--:|--:|--:|---|\n",
			hp, cr->a->role, cr->a->op);
		for (int m = 0; m < AN_NMETRICS; m++) {
			enum an_verdict v = cr->verdict[m];

			if (m == AN_COUNT) {
				an_fmt_count_ci(x, sizeof(x), &cr->a->est[m]);
				an_fmt_count_ci(y, sizeof(y), &cr->b->est[m]);
			} else {
				an_fmt_lat_ci(x, sizeof(x), &cr->a->est[m], true);
				an_fmt_lat_ci(y, sizeof(y), &cr->b->est[m], true);
			}
			fprintf(f, "| %s | %s | %s | %s | %s%s%s |\n", an_metric_names[m], x, y,
				an_fmt_ratio_ci(r, sizeof(r), &cr->ratio[m]),
				v == AN_FASTER || v == AN_SLOWER ? "**" : "", an_verdict_names[v],
				v == AN_FASTER || v == AN_SLOWER ? "**" : "");
		}
	}
	md_lock_compare(f, c, hp);
	if (c->only.n) {
		fprintf(f, "\nNot compared (on one side only):\n\n");
		for (size_t i = 0; i < c->only.n; i++)
			fprintf(f, "- %s\n", c->only.msg[i]);
	}
}

void render_md_method(FILE *f)
{
	fprintf(f,
		"\n---\n\n*Statistics.* Each run gives one value of each metric (count, p50 … max, "
		"mean, from its latency histogram, ≤ 0.4%% error). The tables give the median over "
		"the runs and its 95%% confidence interval by the percentile bootstrap over runs "
		"(%d resamples, fixed seed: the same files give the same numbers). B/A is the ratio "
		"of medians, bootstrapped by resampling both sides; the verdict is *faster* or "
		"*slower* only when its interval excludes 1 (for counts of ops in a fixed time, "
		"more is faster). With 5 runs the interval of a median is the range of the runs "
		"(coverage 93.8%%); fewer runs cover less. See docs/analysis.md.\n",
		AN_RESAMPLES);
}

/* ---- the sweep --------------------------------------------------------- */

static const struct an_cmp_row *writer_all(const struct an_compare *c)
{
	for (size_t i = 0; i < c->nrows; i++)
		if (!strcmp(c->rows[i].a->role, "writer") && !strcmp(c->rows[i].a->op, "all"))
			return &c->rows[i];
	return NULL;
}

static const char *verdict_md(enum an_verdict v)
{
	return v == AN_FASTER ? "**faster**" : v == AN_SLOWER ? "**slower**" : an_verdict_names[v];
}

static void md_headline_workload(FILE *f, const struct an_bench *b, size_t w)
{
	const struct an_cell *none = an_bench_cell(b, w, 0, -1);
	char v[AN_NMETRICS][48], rate[48], vs[96];
	bool any = false, anylock = false;

	for (int k = -1; k < AN_NKINDS; k++) {
		const struct an_cell *c =
			k < 0 ? none : an_bench_cell(b, w, b->headline_readers, k);
		const struct an_row *row =
			c && c->nruns ? an_group_find(&c->g, "writer", "all") : NULL;
		const struct an_pair *p = k >= 0 ? an_bench_pair(b->base, b->nbase, none, c) : NULL;
		const struct an_cmp_row *cr = p ? writer_all(&p->c) : NULL;

		if (!row)
			continue;
		if (!any) {
			fprintf(f, "\n### %s\n\n", b->wl[w].name);
			fprintf(f,
				"| readers | lock (probed) | ops/s | p50 | p99 | p99.9 | max | mean | mean vs none [95%%] |\n"
				"|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
			any = true;
		}
		for (int m = AN_P50; m < AN_NMETRICS; m++)
			an_fmt_lat(v[m], sizeof(v[m]), row->est[m].median, true);
		an_fmt_count(rate, sizeof(rate),
			     b->duration_s > 0 ? row->est[AN_COUNT].median / b->duration_s
					       : row->est[AN_COUNT].median);
		if (cr)
			an_fmt_ratio_ci(vs, sizeof(vs), &cr->ratio[AN_MEAN]);
		else
			strlcpy_(vs, k < 0 ? "" : "-", sizeof(vs));
		if (k < 0)
			fprintf(f, "| none | – ");
		else
			fprintf(f, "| %u × %s | %s ", c->readers, an_kind_names[k],
				b->lock_name[k][0] ? b->lock_name[k] : "unknown");
		fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", rate, v[AN_P50], v[AN_P99],
			v[AN_P999], v[AN_MAX], v[AN_MEAN], vs);
	}
	if (!any)
		return;
	for (size_t i = 0; i < b->nlocks; i++) {
		const struct an_pair *p = &b->locks[i];
		const struct an_cmp_row *cr;
		char r[3][64];

		if (p->a->wl != w || p->a->readers != b->headline_readers ||
		    !(cr = writer_all(&p->c)))
			continue;
		if (!anylock) {
			fprintf(f,
				"\nmmap_lock readers (B) against per-VMA-lock readers (A), writer latency of all ops, B/A of medians [95%% interval]:\n\n"
				"| B / A | mean | verdict | p99 | verdict | max | verdict |\n|---|--:|---|--:|---|--:|---|\n");
			anylock = true;
		}
		fprintf(f, "| %s / %s | %s | %s | %s | %s | %s | %s |\n", an_kind_names[p->b->kind],
			an_kind_names[p->a->kind],
			an_fmt_ratio_ci(r[0], sizeof(r[0]), &cr->ratio[AN_MEAN]),
			verdict_md(cr->verdict[AN_MEAN]),
			an_fmt_ratio_ci(r[1], sizeof(r[1]), &cr->ratio[AN_P99]),
			verdict_md(cr->verdict[AN_P99]),
			an_fmt_ratio_ci(r[2], sizeof(r[2]), &cr->ratio[AN_MAX]),
			verdict_md(cr->verdict[AN_MAX]));
	}
}

/* What the lock statistics say of each reader kind at the headline count. */
static void md_lock_headline(FILE *f, const struct an_bench *b, size_t w)
{
	const struct an_cell *none = an_bench_cell(b, w, 0, -1);
	char acq[48], v[3][48], pp[48];
	bool any = false;

	for (int k = -1; k < AN_NKINDS; k++) {
		const struct an_cell *c =
			k < 0 ? none : an_bench_cell(b, w, b->headline_readers, k);
		const struct an_lock_row *ww, *rr;

		if (!c || !c->nruns || !c->g.lock_runs)
			continue;
		ww = an_group_lock_find(&c->g, "writer", "write");
		rr = an_group_lock_find(&c->g, "reader", "read");
		if (!any) {
			fprintf(f,
				"\n%s, medians over the runs:\n\n"
				"| readers | lock (probed) | writer write-lock acquisitions | wait p50 | wait p99 | wait max | reader acquisitions per pass |\n"
				"|---|---|--:|--:|--:|--:|--:|\n",
				b->wl[w].name);
			any = true;
		}
		an_fmt_lk(acq, sizeof(acq), AN_LK_ACQ, ww ? ww->est[AN_LK_ACQ].median : NAN, true);
		for (int m = 0; m < 3; m++)
			an_fmt_lk(v[m], sizeof(v[m]), (enum an_lk_metric)(AN_LK_WAIT_P50 + m),
				  ww ? ww->est[AN_LK_WAIT_P50 + m].median : NAN, true);
		if (k >= 0 && rr && rr->est[AN_LK_PER_PASS].n)
			an_fmt_num(pp, sizeof(pp), rr->est[AN_LK_PER_PASS].median);
		else
			strlcpy_(pp, "–", sizeof(pp));
		if (k < 0)
			fprintf(f, "| none | – ");
		else
			fprintf(f, "| %u × %s | %s ", c->readers, an_kind_names[k],
				b->lock_name[k][0] ? b->lock_name[k] : "unknown");
		fprintf(f, "| %s | %s | %s | %s | %s |\n", acq, v[0], v[1], v[2], pp);
	}
}

void render_md_headline(FILE *f, const struct an_bench *b)
{
	for (size_t w = 0; w < b->nwl; w++)
		md_headline_workload(f, b, w);
}

static void md_plot(FILE *f, const struct an_bench *b, const char *wl, const char *name,
		    const char *alt)
{
	if (!b->plotted) {
		fprintf(f, "- %s: data in `data/%s-%s.dat` (not drawn)\n", alt, wl, name);
		return;
	}
	fprintf(f,
		"![%s: %s](plots/%s-%s.png)\n\n[SVG](plots/%s-%s.svg) · [data](data/%s-%s.dat)\n\n",
		wl, alt, wl, name, wl, name, wl, name);
}

void render_md_index(FILE *f, const struct an_bench *b)
{
	const struct an_run *r = b->nruns ? &b->runs[0] : NULL;
	char opts[1024];

	fprintf(f, "# vmatrace bench, %s\n\n", b->started);
	fprintf(f, "How much do readers of a process's memory map slow the threads that change it, "
		   "with readers that take `mmap_lock` and readers that take per-VMA locks? Each "
		   "workload was replayed at its own pace with");
	for (size_t i = 0; i < b->nreaders; i++)
		fprintf(f, "%s%u", i ? (i + 1 == b->nreaders ? " and " : ", ") : " ",
			b->readers[i]);
	fprintf(f, " reader processes of each kind; this page has the headline, the plots and what "
		   "was run. [report.md](report.md) has every configuration, "
		   "[compare.md](compare.md) every comparison.\n\n");
	if (r)
		fprintf(f, "- **machine:** %s: %d × %s, %s, Linux %s; vmatrace %s\n", r->hostname,
			r->cpus, r->cpu_model, r->arch, r->kernel,
			r->version[0] ? r->version : "?");
	fprintf(f, "- **runs:** %zu of %zu finished%s%s, %.1f minutes in all\n", b->finished,
		b->planned, b->failed ? ", **some failed** (see the warnings)" : "",
		b->interrupted ? " (**interrupted**)" : "", b->elapsed_s / 60);
	fprintf(f,
		"- **each run:** %g s of replay at `--speed %g`; %u repetitions of every configuration\n",
		b->duration_s, b->speed, b->reps);
	if (b->load_start >= 0)
		fprintf(f,
			"- **load average** (1 minute): %.1f when the sweep started, %.1f when it ended (with its own runs)\n",
			b->load_start, b->load_end);
	if (b->warnings.n) {
		fprintf(f, "\n## Warnings\n\n");
		render_md_notes(f, &b->warnings);
	}
	fprintf(f,
		"\n## Headline: writer latency with %u reader%s of each kind\n\n"
		"Medians over the runs of each configuration; the lock is what `vmatrace probe` "
		"measured the kind to take on this kernel, recorded in every results file. "
		"ops/s is the writer's throughput: without readers the replay keeps the trace's own "
		"pace, fewer means the writer fell behind it. \"mean vs none\" is the ratio of the "
		"mean writer latency to the one without readers, with its 95%% bootstrap interval.\n",
		b->headline_readers, b->headline_readers == 1 ? "" : "s");
	render_md_headline(f, b);
	if (b->lockstat) {
		fprintf(f,
			"\n## Lock statistics\n\n"
			"Every run traced the replay processes' `mmap_lock` with the kernel's tracepoints "
			"(`--lockstat`): how long the writers waited for it in write mode, and how often "
			"a reader took it per pass (for a per-VMA reader kind, its rate of falling back to "
			"`mmap_lock`). The tracing slows the writer, so every latency on this page is of "
			"a traced run. [report.md](report.md) has every (role, mode).\n");
		for (size_t w = 0; w < b->nwl; w++)
			md_lock_headline(f, b, w);
	}
	fprintf(f, "\n## Plots\n");
	for (size_t w = 0; w < b->nwl; w++) {
		const char *wl = b->wl[w].name;

		fprintf(f, "\n### %s\n\n", wl);
		md_plot(f, b, wl, "cdf", "CDF of writer latency");
		md_plot(f, b, wl, "spectrum", "percentile spectrum of writer latency");
		md_plot(f, b, wl, "maxlat", "maximum writer latency of each run, sorted");
		md_plot(f, b, wl, "readers-p99", "writer p99 latency against reader count");
		md_plot(f, b, wl, "readers-mean", "writer mean latency against reader count");
		md_plot(f, b, wl, "timeline", "writer latency over time");
		md_plot(f, b, wl, "reader-cdf", "CDF of reader pass latency");
		if (b->lockstat)
			md_plot(f, b, wl, "lock-wait",
				"writers' mmap_lock wait in write mode, percentile spectrum");
	}
	fprintf(f, "\n## What was run\n\n");
	fprintf(f, "Workloads (traces):\n\n");
	for (size_t w = 0; w < b->nwl; w++)
		fprintf(f, "- **%s**: %s\n", b->wl[w].name, b->wl[w].how);
	snprintf(opts, sizeof(opts),
		 "--speed %g --duration %gs --readers N --reader KIND --reader-nice %d", b->speed,
		 b->duration_s, b->reader_nice);
	if (b->reader_cpu >= 0)
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), " --reader-cpu %d",
			 b->reader_cpu);
	if (b->writer_cpu >= 0)
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), " --writer-cpu %d",
			 b->writer_cpu);
	if (b->lockstat)
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), " --lockstat");
	fprintf(f,
		"\nEach run is `vmatrace replay TRACE %s -o runs/WORKLOAD/readersN-KIND.REP.json` "
		"(no readers: `--readers 0 --no-probe`), for N in {",
		opts);
	for (size_t i = 0; i < b->nreaders; i++)
		fprintf(f, "%s%u", i ? ", " : "", b->readers[i]);
	fprintf(f, "} and KIND in {");
	for (int k = 0, n = 0; k < AN_NKINDS; k++)
		if (b->kind_on[k])
			fprintf(f, "%s%s", n++ ? ", " : "", an_kind_names[k]);
	fprintf(f,
		"}. The sweep goes in %u rounds; each round runs every configuration once, in a "
		"shuffled order (fixed seed), so a drifting machine does not favour any configuration.\n",
		b->reps);
	fprintf(f,
		"\nThe lock each reader kind took, as the runs' probes measured it:\n\n| kind | lock |\n|---|---|\n");
	for (int k = 0; k < AN_NKINDS; k++)
		if (b->kind_on[k])
			fprintf(f, "| %s | %s%s |\n", an_kind_names[k],
				b->lock_name[k][0] ? b->lock_name[k] : "unknown",
				b->lock_inferred[k] ? " (inferred, not measured)" : "");
	fprintf(f,
		"\nTo redo the statistics of one configuration, or compare two:\n\n"
		"    vmatrace report runs/mapper/readers2-smaps.*.json -o report-smaps\n"
		"    vmatrace compare runs/mapper/readers2-maps.*.json -- runs/mapper/readers2-smaps.*.json\n");
	fprintf(f,
		"\n## Files\n\n"
		"- `index.md` (this page), `headline.txt` (the table `vmatrace bench` printed)\n"
		"- `report.md`, `report.txt`: every configuration, every (role, op), every metric\n"
		"- `compare.md`, `compare.txt`: mmap_lock kinds against per-VMA kinds, and every reader configuration against none\n"
		"- `runs/WORKLOAD/*.json`: the results files (docs/results-format.md); `*.log` for runs that failed\n"
		"- `traces/`: the generated workload traces\n"
		"- `data/*.dat`, `plots/*.png`, `plots/*.svg`: the plots and their data (redraw with `gnuplot -c analysis/NAME.gp data/X.dat out.png TITLE`)\n");
	render_md_method(f);
}

void render_md_bench_report(FILE *f, const struct an_bench *b)
{
	fprintf(f, "# vmatrace bench report: every configuration\n");
	if (b->warnings.n) {
		fprintf(f, "\n## Warnings\n\n");
		render_md_notes(f, &b->warnings);
	}
	for (size_t i = 0; i < b->ncells; i++) {
		const struct an_cell *c = &b->cells[i];

		fprintf(f, "\n## %s, %s\n\n", b->wl[c->wl].name, c->label);
		if (!c->nruns) {
			fprintf(f, "No run finished.\n");
			continue;
		}
		render_md_group_header(f, &c->g);
		if (c->warnings.n) {
			fputc('\n', f);
			render_md_notes(f, &c->warnings);
		}
		render_md_group(f, &c->g, "###");
		if (c->g.lock_runs)
			render_md_lock_group(f, &c->g, "###");
	}
	render_md_method(f);
}

void render_md_bench_compare(FILE *f, const struct an_bench *b)
{
	fprintf(f,
		"# vmatrace bench comparisons\n\n## mmap_lock readers (B) against per-VMA-lock readers (A), as probed\n");
	if (!b->nlocks)
		fprintf(f,
			"\nNone: on this kernel the reader kinds do not take both locks (see index.md's warnings).\n");
	for (size_t i = 0; i < b->nlocks; i++) {
		const struct an_pair *p = &b->locks[i];

		fprintf(f, "\n### %s: %s against %s\n\n", b->wl[p->a->wl].name, p->b->label,
			p->a->label);
		render_md_compare(f, &p->c, NULL, "####");
	}
	fprintf(f, "\n## Each reader configuration (B) against no readers (A)\n");
	for (size_t i = 0; i < b->nbase; i++) {
		const struct an_pair *p = &b->base[i];

		fprintf(f, "\n### %s: %s against no readers\n\n", b->wl[p->a->wl].name,
			p->b->label);
		render_md_compare(f, &p->c, NULL, "####");
	}
	render_md_method(f);
}
