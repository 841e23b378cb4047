// SPDX-License-Identifier: GPL-2.0-only
/*
 * render-dat.c - the data files the gnuplot scripts (analysis/NAME.gp) plot
 *
 * Every file has one block per series, blocks separated by two blank lines
 * (gnuplot's "index"), each opened by its label in double quotes, which the
 * scripts use as the legend (columnheader(1)).  Latencies are in
 * microseconds, the unit of every plot's axis.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

static void block_start(FILE *f, size_t i, const char *label)
{
	if (i)
		fputs("\n\n", f);
	fputc('"', f);
	for (const char *p = label; *p; p++)
		fputc(*p == '"' ? '\'' : *p, f); /* a quote would end the label */
	fputs("\"\n", f);
}

static int open_dat(struct an_out *o, const char *path, const char *what, char *err, size_t errlen)
{
	if (an_out_open(o, path, err, errlen))
		return -1;
	fprintf(o->f,
		"# vmatrace %s\n# one block per series, opened by its label; latencies in microseconds\n",
		what);
	return 0;
}

int render_dat_cdf(const char *path, const struct an_series *s, size_t n, char *err, size_t errlen)
{
	struct an_out o;

	if (open_dat(&o, path, "latency CDF: latency_us fraction_at_or_below", err, errlen))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct hist *h = s[i].h;
		uint64_t seen = 0;

		block_start(o.f, i, s[i].label);
		if (!h || !h->count) {
			fputs("NaN NaN\n", o.f); /* keeps the block, so legends stay in order */
			continue;
		}
		fprintf(o.f, "%.6g 0\n", (double)h->min / 1e3);
		for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
			uint64_t hi;

			if (!h->b[b])
				continue;
			seen += h->b[b];
			/* the bucket's upper bound: every sample in it is at or below */
			hi = b == HIST_BUCKETS - 1 ? h->max : hist_bucket_high(b);
			hi = hi > h->max ? h->max : hi < h->min ? h->min : hi;
			fprintf(o.f, "%.6g %.9g\n", (double)hi / 1e3,
				(double)seen / (double)h->count);
		}
	}
	return an_out_commit(&o, err, errlen);
}

static int spectrum(const char *path, const char *what, const struct an_series *s, size_t n,
		    char *err, size_t errlen)
{
	struct an_out o;

	if (open_dat(&o, path, what, err, errlen))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct hist *h = s[i].h;

		block_start(o.f, i, s[i].label);
		if (!h || !h->count) {
			fputs("NaN NaN\n", o.f);
			continue;
		}
		/* x = 1/(1-p) from 1 (p = 0) to count (the last sample); then the max */
		for (int k = 0;; k++) {
			double x = pow(10, k / 24.0);

			if (x >= (double)h->count)
				break;
			fprintf(o.f, "%.6g %.6g\n", x, (double)hist_quantile(h, 1 - 1 / x) / 1e3);
		}
		fprintf(o.f, "%.6g %.6g\n", (double)h->count, (double)h->max / 1e3);
	}
	return an_out_commit(&o, err, errlen);
}

int render_dat_spectrum(const char *path, const struct an_series *s, size_t n, char *err,
			size_t errlen)
{
	return spectrum(path, "percentile spectrum: one_over_1_minus_p latency_us", s, n, err,
			errlen);
}

int render_dat_lockwait(const char *path, const struct an_series *s, size_t n, char *err,
			size_t errlen)
{
	return spectrum(
		path,
		"writers' mmap_lock wait, write mode (replay --lockstat), percentile spectrum: one_over_1_minus_p wait_us",
		s, n, err, errlen);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int render_dat_maxlat(const char *path, const struct an_series *s, size_t n, char *err,
		      size_t errlen)
{
	struct an_out o;

	if (open_dat(&o, path, "maximum latency of each run, sorted: rank max_us", err, errlen))
		return -1;
	for (size_t i = 0; i < n; i++) {
		double *v = malloc((s[i].nvals ? s[i].nvals : 1) * sizeof(*v));

		if (!v) {
			an_out_abort(&o);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(v, s[i].vals, s[i].nvals * sizeof(*v));
		qsort(v, s[i].nvals, sizeof(*v), cmp_double);
		block_start(o.f, i, s[i].label);
		if (!s[i].nvals)
			fputs("NaN NaN\n", o.f);
		for (size_t k = 0; k < s[i].nvals; k++)
			fprintf(o.f, "%zu %.6g\n", k + 1, v[k] / 1e3);
		free(v);
	}
	return an_out_commit(&o, err, errlen);
}

int render_dat_readers(const char *path, const struct an_series *s, size_t n, char *err,
		       size_t errlen)
{
	struct an_out o;

	if (open_dat(&o, path, "latency against reader processes: readers median_us low_us high_us",
		     err, errlen))
		return -1;
	for (size_t i = 0; i < n; i++) {
		block_start(o.f, i, s[i].label);
		if (!s[i].npoints)
			fputs("NaN NaN NaN NaN\n", o.f);
		for (size_t k = 0; k < s[i].npoints; k++) {
			const struct an_est *e = &s[i].est[k];

			if (!e->n)
				continue;
			fprintf(o.f, "%g %.6g %.6g %.6g\n", s[i].x[k], e->median / 1e3, e->lo / 1e3,
				e->hi / 1e3);
		}
	}
	return an_out_commit(&o, err, errlen);
}

int render_dat_timeline(const char *path, const struct an_series *s, size_t n, char *err,
			size_t errlen)
{
	struct an_out o;

	if (open_dat(&o, path, "writer latency over time: t_s mean_us max_us (intervals with ops)",
		     err, errlen))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct an_run *r = s[i].run;
		size_t rows = 0;

		block_start(o.f, i, s[i].label);
		for (size_t k = 0; r && k < r->nseries; k++) {
			if (!r->series[k].count)
				continue;
			fprintf(o.f, "%.6g %.6g %.6g\n", r->series[k].t_s,
				r->series[k].mean_ns / 1e3, (double)r->series[k].max_ns / 1e3);
			rows++;
		}
		if (!rows)
			fputs("NaN NaN NaN\n", o.f);
	}
	return an_out_commit(&o, err, errlen);
}
