// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-stats.c - the analysis statistics: percentiles of known histograms
 * read back from results files, the loader's errors on damaged files, the
 * bootstrap intervals' coverage on synthetic data, configuration checks
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "analysis/render.h"
#include "results.h"
#include "analysis/stats.h"
#include "tap.h"

static char dir[] = "/tmp/vmatrace-unit-stats.XXXXXX";

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t st = 42;

static double unit(void)
{
	return an_rand_unit(&st);
}

static double gauss(void)
{
	double u1 = unit(), u2 = unit();

	return sqrt(-2 * log(u1 > 1e-300 ? u1 : 1e-300)) * cos(2 * M_PI * u2);
}

/* A minimal valid results file with one writer row "all" holding @h. */
static json_object *results_with(const struct hist *h, const char *host, const char *sha,
				 const char *reader, int readers)
{
	json_object *root = json_object_new_object(), *meta = json_object_new_object();
	json_object *trace = json_object_new_object(), *opts = json_object_new_object();
	json_object *ops = json_object_new_array(), *counts = json_object_new_object();
	json_object *e = results_hist_json(h, true);

	json_object_object_add(meta, "hostname", json_object_new_string(host));
	json_object_object_add(meta, "kernel", json_object_new_string("6.18.0"));
	json_object_object_add(meta, "cpu_model", json_object_new_string("cpu"));
	json_object_object_add(meta, "cpus", json_object_new_int(2));
	json_object_object_add(trace, "sha256", json_object_new_string(sha));
	json_object_object_add(trace, "path", json_object_new_string("t.vmt"));
	json_object_object_add(meta, "trace", trace);
	json_object_object_add(opts, "readers", json_object_new_int(readers));
	json_object_object_add(opts, "reader", json_object_new_string(reader));
	json_object_object_add(opts, "speed", json_object_new_string("asap"));
	json_object_object_add(meta, "options", opts);
	json_object_object_add(root, "format", json_object_new_string("vmatrace-results"));
	json_object_object_add(root, "format_version", json_object_new_int(1));
	json_object_object_add(root, "meta", meta);
	json_object_object_add(e, "role", json_object_new_string("writer"));
	json_object_object_add(e, "op", json_object_new_string("all"));
	json_object_array_add(ops, e);
	json_object_object_add(root, "ops", ops);
	json_object_object_add(counts, "conflicts", json_object_new_int(0));
	json_object_object_add(root, "counts", counts);
	return root;
}

static void write_json(const char *path, json_object *o)
{
	char err[256];

	if (results_write_atomic(path, o, err, sizeof(err)))
		tap_diag("cannot write %s: %s", path, err);
}

/* Write a fresh object and drop it. */
static void write_new(const char *path, json_object *o)
{
	write_json(path, o);
	json_object_put(o);
}

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fwrite(text, 1, len, f);
		fclose(f);
	}
}

/* Quantiles read back from a results file match the exact order statistics within the histogram's error. */
static void test_known_percentiles(void)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	static const enum an_metric ms[] = { AN_P50, AN_P90, AN_P99, AN_P999 };
	static struct hist h;
	const size_t n = 200000;
	uint64_t *vals = malloc(n * sizeof(*vals)), sum = 0;
	char path[256], err[512];
	struct an_run run;
	double worst = 0;
	int ok;

	/* 1..1000 once each: p50 is the 500th value, p99.9 the 999th */
	hist_init(&h);
	for (uint64_t v = 1; v <= 1000; v++)
		hist_record(&h, v);
	snprintf(path, sizeof(path), "%s/uniform.json", dir);
	write_new(path, results_with(&h, "h", "aa", "maps", 0));
	ok = an_run_load(path, &run, err, sizeof(err)) == 0;
	tap_ok(ok, "a results file of 1..1000 loads (%s)", ok ? "ok" : err);
	if (ok) {
		const struct an_lat *lt = an_run_find(&run, "writer", "all");
		static const double want[] = { 500, 900, 990, 999 };

		for (int i = 0; i < 4; i++) {
			double got = lt->v[ms[i]];

			tap_ok(fabs(got - want[i]) / want[i] <= 1.0 / 256 + 1e-9,
			       "1..1000: %s is %.0f (exact %.0f, within 1/256)",
			       an_metric_names[ms[i]], got, want[i]);
		}
		tap_ok(lt->v[AN_COUNT] == 1000 && lt->v[AN_MAX] == 1000 && lt->v[AN_MEAN] == 500.5,
		       "1..1000: count, max and mean are exact (%.0f, %.0f, %.1f)", lt->v[AN_COUNT],
		       lt->v[AN_MAX], lt->v[AN_MEAN]);
		tap_ok(lt->h && lt->h->count == 1000 && lt->min_ns == 1,
		       "the histogram is rebuilt from the buckets");
		an_run_free(&run);
	}

	/* a constant: every percentile is that value exactly */
	hist_init(&h);
	for (int i = 0; i < 5000; i++)
		hist_record(&h, 12345);
	snprintf(path, sizeof(path), "%s/constant.json", dir);
	write_new(path, results_with(&h, "h", "aa", "maps", 0));
	ok = an_run_load(path, &run, err, sizeof(err)) == 0;
	if (ok) {
		const struct an_lat *lt = an_run_find(&run, "writer", "all");

		tap_ok(lt->v[AN_P50] == 12345 && lt->v[AN_P999] == 12345 && lt->v[AN_MAX] == 12345,
		       "a constant 12345 ns: p50 = p99.9 = max = 12345");
		an_run_free(&run);
	} else {
		tap_ok(0, "a constant loads: %s", err);
	}

	/* log-normal latencies, median 20 us, long tail */
	hist_init(&h);
	for (size_t i = 0; i < n; i++) {
		vals[i] = (uint64_t)llround(20000 * exp(1.2 * gauss()));
		if (!vals[i])
			vals[i] = 1;
		hist_record(&h, vals[i]);
		sum += vals[i];
	}
	qsort(vals, n, sizeof(*vals), cmp_u64);
	snprintf(path, sizeof(path), "%s/lognormal.json", dir);
	write_new(path, results_with(&h, "h", "aa", "maps", 0));
	ok = an_run_load(path, &run, err, sizeof(err)) == 0;
	tap_ok(ok, "a log-normal results file loads");
	if (ok) {
		const struct an_lat *lt = an_run_find(&run, "writer", "all");

		for (int i = 0; i < 4; i++) {
			double exact = (double)vals[(size_t)ceil(qs[i] * (double)n) - 1];
			double e = fabs(lt->v[ms[i]] - exact) / exact;

			worst = e > worst ? e : worst;
		}
		tap_ok(worst <= 1.0 / 256 + 1e-9,
		       "log-normal: p50, p90, p99, p99.9 within 0.39%% of the exact order statistics (worst %.3f%%)",
		       worst * 100);
		tap_ok(lt->v[AN_MAX] == (double)vals[n - 1] && lt->v[AN_COUNT] == (double)n,
		       "log-normal: max and count exact");
		tap_ok(fabs(lt->v[AN_MEAN] - (double)sum / (double)n) <
			       1e-6 * (double)sum / (double)n,
		       "log-normal: mean exact");
		an_run_free(&run);
	}
	free(vals);
}

/* Damaged files give an error that names the file, never a crash. */
static void test_loader_errors(void)
{
	static struct hist h;
	json_object *good, *o, *arr;
	const char *text;
	char path[256], err[512], *copy;
	struct an_run run;
	size_t len, bad = 0, tries = 0;

	hist_init(&h);
	for (uint64_t v = 100; v < 5000; v += 7)
		hist_record(&h, v);
	good = results_with(&h, "h", "aa", "maps", 0);
	text = json_object_to_json_string_ext(good, JSON_C_TO_STRING_PRETTY);
	len = strlen(text);
	copy = strdup(text);
	snprintf(path, sizeof(path), "%s/trunc.json", dir);
	for (size_t cut = 0; cut < len; cut += 1 + len / 60) {
		tries++;
		write_text(path, copy, cut);
		if (an_run_load(path, &run, err, sizeof(err)) == 0) {
			an_run_free(&run);
			bad++;
			continue;
		}
		if (strncmp(err, path, strlen(path)) || !strchr(err, ':') || strchr(err, '\n'))
			bad++;
	}
	tap_ok(bad == 0,
	       "%zu truncations of a results file: each an error naming the file, in one line",
	       tries);
	write_text(path, "", 0);
	tap_ok(an_run_load(path, &run, err, sizeof(err)) < 0 && strstr(err, "empty"),
	       "an empty file: %s", err);
	write_text(path, "{\"format\": \"vmatrace-results\", ", 31);
	tap_ok(an_run_load(path, &run, err, sizeof(err)) < 0 && strstr(err, "truncated"),
	       "cut JSON: %s", err);
	write_text(path, "{\"a\": 1} x", 10);
	tap_ok(an_run_load(path, &run, err, sizeof(err)) < 0 && strstr(err, "trailing"),
	       "trailing garbage: %s", err);
	write_text(path, "[1, 2]", 6);
	tap_ok(an_run_load(path, &run, err, sizeof(err)) < 0 &&
		       strstr(err, "not a vmatrace results file"),
	       "a JSON array: %s", err);
	tap_ok(an_run_load("/nonexistent/r.json", &run, err, sizeof(err)) < 0 &&
		       strstr(err, "cannot open"),
	       "a missing file: %s", err);
	tap_ok(an_run_load(dir, &run, err, sizeof(err)) < 0 && strstr(err, "directory"),
	       "a directory: %s", err);

	/* one damaged field at a time */
	json_object_object_add(good, "format_version", json_object_new_int(2));
	write_json(path, good);
	tap_ok(an_run_load(path, &run, err, sizeof(err)) < 0 && strstr(err, "format_version 2"),
	       "a newer format: %s", err);
	json_object_object_add(good, "format_version", json_object_new_int(1));
	json_object_object_get_ex(good, "ops", &arr);
	o = json_object_array_get_idx(arr, 0);
	json_object_object_add(o, "p99_ns", json_object_new_string("fast"));
	write_json(path, good);
	tap_ok(an_run_load(path, &run, err, sizeof(err)) < 0 &&
		       strstr(err, "ops[0].p99_ns: not a number"),
	       "a string for a number: %s", err);
	json_object_object_add(o, "p99_ns", json_object_new_int(4000));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)h.count + 1));
	write_json(path, good);
	tap_ok(an_run_load(path, &run, err, sizeof(err)) < 0 && strstr(err, "the buckets hold"),
	       "a count the buckets do not hold: %s", err);
	json_object_object_add(o, "count", json_object_new_int64((int64_t)h.count));
	{
		json_object *b, *b0;

		json_object_object_get_ex(o, "buckets", &b);
		b0 = json_object_array_get_idx(b, 0);
		json_object_array_put_idx(b0, 1, json_object_new_int64(1000000));
		write_json(path, good);
		tap_ok(an_run_load(path, &run, err, sizeof(err)) < 0 &&
			       strstr(err, "not a bucket of the histogram"),
		       "a bucket of another layout: %s", err);
	}
	json_object_object_del(good, "ops");
	write_json(path, good);
	tap_ok(an_run_load(path, &run, err, sizeof(err)) < 0 && strstr(err, "ops: missing"),
	       "no ops: %s", err);
	json_object_put(good);
	free(copy);
}

/* The fraction of @trials intervals (n values each, log-normal, true median 1) that hold 1. */
static double median_coverage(size_t n, int trials, unsigned int resamples)
{
	double *x = malloc(n * sizeof(*x));
	int hits = 0;

	for (int t = 0; t < trials; t++) {
		double lo, hi;

		for (size_t i = 0; i < n; i++)
			x[i] = exp(0.7 * gauss());
		an_boot_median(x, n, resamples, (uint64_t)t + 1, AN_LEVEL, &lo, &hi);
		hits += lo <= 1 && 1 <= hi;
	}
	free(x);
	return (double)hits / trials;
}

/* The same for the ratio of two sides whose true medians differ by @ratio. */
static double ratio_coverage(size_t n, double ratio, double sigma, int trials,
			     unsigned int resamples, double *signif)
{
	double *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	int hits = 0, sig = 0;

	for (int t = 0; t < trials; t++) {
		double lo, hi;

		for (size_t i = 0; i < n; i++) {
			a[i] = exp(sigma * gauss());
			b[i] = ratio * exp(sigma * gauss());
		}
		an_boot_ratio(a, n, b, n, resamples, (uint64_t)t + 7, AN_LEVEL, &lo, &hi);
		hits += lo <= ratio && ratio <= hi;
		sig += lo > 1 || hi < 1;
	}
	free(a);
	free(b);
	*signif = (double)sig / trials;
	return (double)hits / trials;
}

static void test_bootstrap(void)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, same[] = { 7, 7, 7, 7, 7 };
	double x[] = { 3, 9, 4, 12, 5, 6, 8 }, lo, hi, lo2, hi2, c, sig;

	tap_ok(an_median(odd, 3) == 3 && an_median(even, 4) == 2.5,
	       "medians of odd and even samples");
	tap_ok(an_boot_median(same, 5, 1000, 1, 0.95, &lo, &hi) == 0 && lo == 7 && hi == 7,
	       "the interval of a constant is that constant");
	an_boot_median(x, 7, AN_RESAMPLES, AN_SEED, AN_LEVEL, &lo, &hi);
	an_boot_median(x, 7, AN_RESAMPLES, AN_SEED, AN_LEVEL, &lo2, &hi2);
	tap_ok(lo == lo2 && hi == hi2 && lo <= an_median(x, 7) && an_median(x, 7) <= hi,
	       "the same seed gives the same interval [%g, %g], around the median %g", lo, hi,
	       an_median(x, 7));
	tap_ok(an_boot_median(x, 1, 100, 1, 0.95, &lo, &hi) < 0 && lo == 3 && hi == 3,
	       "one value: no interval");
	tap_ok(an_cv(same, 5) == 0 && fabs(an_cv(even, 4) - 0.5164) < 1e-3,
	       "coefficient of variation");

	c = median_coverage(5, 2000, 2000);
	tap_ok(c >= 0.90,
	       "5 repetitions: the 95%% interval of the median holds the true median in %.1f%% of 2000 trials (>= 90%%; theory 93.8%%)",
	       100 * c);
	c = median_coverage(10, 1000, 2000);
	tap_ok(c >= 0.90, "10 repetitions: coverage %.1f%% of 1000 trials (>= 90%%)", 100 * c);
	c = median_coverage(3, 2000, 2000);
	tap_ok(c > 0.70 && c < 0.80,
	       "3 repetitions: coverage %.1f%%, as documented (75%%): too few for 95%%", 100 * c);
	c = ratio_coverage(5, 2.0, 0.5, 1000, 2000, &sig);
	tap_ok(c >= 0.90,
	       "ratio of medians, 5 runs a side (run-to-run sigma 0.5), true ratio 2: coverage %.1f%% of 1000 trials (>= 90%%)",
	       100 * c);
	c = ratio_coverage(5, 2.0, 0.2, 1000, 2000, &sig);
	tap_ok(c >= 0.90 && sig >= 0.90,
	       "with run-to-run sigma 0.2: coverage %.1f%%, and the 2x difference is called in %.1f%% of trials",
	       100 * c, 100 * sig);
	c = ratio_coverage(5, 1.0, 0.5, 1000, 2000, &sig);
	tap_ok(sig <= 0.10,
	       "equal sides, 5 runs each: a difference is called in only %.1f%% of 1000 trials (<= 10%%)",
	       100 * sig);
	{
		struct an_est e = { .n = 5, .median = 2, .lo = 1.5, .hi = 2.5, .ci = true };

		tap_ok(an_verdict_of(&e, AN_P99, false) == AN_SLOWER,
		       "a latency ratio above 1 is slower");
		tap_ok(an_verdict_of(&e, AN_COUNT, true) == AN_FASTER,
		       "more ops in a fixed time is faster");
		tap_ok(an_verdict_of(&e, AN_COUNT, false) == AN_NO_VERDICT,
		       "a count without a fixed time has no verdict");
		e.lo = 0.9;
		tap_ok(an_verdict_of(&e, AN_MEAN, false) == AN_SAME,
		       "an interval holding 1 is no significant difference");
		e.ci = false;
		tap_ok(an_verdict_of(&e, AN_MEAN, false) == AN_NO_VERDICT,
		       "no interval, no verdict");
	}
}

static void test_configs(void)
{
	static struct hist h;
	struct an_run a, b;
	char pa[256], pb[256], err[512], why[512];

	hist_init(&h);
	hist_record(&h, 1000);
	snprintf(pa, sizeof(pa), "%s/a.json", dir);
	snprintf(pb, sizeof(pb), "%s/b.json", dir);
	write_new(pa, results_with(&h, "h1", "aa", "maps", 2));
	write_new(pb, results_with(&h, "h1", "aa", "smaps", 2));
	if (an_run_load(pa, &a, err, sizeof(err)) || an_run_load(pb, &b, err, sizeof(err))) {
		tap_ok(0, "load: %s", err);
		return;
	}
	tap_ok(an_config_diff(&a, &b, false, why, sizeof(why)) && strstr(why, "--reader"),
	       "another reader kind is another configuration: %s", why);
	tap_ok(!an_config_diff(&a, &b, true, why, sizeof(why)), "but the same trace and machine");
	an_run_free(&b);
	write_new(pb, results_with(&h, "h2", "aa", "maps", 2));
	an_run_load(pb, &b, err, sizeof(err));
	tap_ok(an_config_diff(&a, &b, true, why, sizeof(why)) && strstr(why, "different machines"),
	       "another host is another machine: %s", why);
	an_run_free(&b);
	write_new(pb, results_with(&h, "h1", "bb", "maps", 2));
	an_run_load(pb, &b, err, sizeof(err));
	tap_ok(an_config_diff(&a, &b, true, why, sizeof(why)) && strstr(why, "different traces"),
	       "another sha256 is another trace: %s", why);
	an_run_free(&b);
	an_run_free(&a);
}

static void test_formats(void)
{
	char buf[128];
	struct an_est e = { .n = 5, .median = 5720, .lo = 5610, .hi = 5900, .ci = true };

	tap_ok(!strcmp(an_fmt_lat(buf, sizeof(buf), 5720, false), "5.72 us"), "5720 ns is %s", buf);
	tap_ok(!strcmp(an_fmt_lat(buf, sizeof(buf), 1750000, false), "1.75 ms"), "1750000 ns is %s",
	       buf);
	tap_ok(!strcmp(an_fmt_lat(buf, sizeof(buf), 821, false), "821 ns"), "821 ns is %s", buf);
	tap_ok(!strcmp(an_fmt_lat_ci(buf, sizeof(buf), &e, false), "5.72 us [5.61 .. 5.90]"),
	       "an interval shares the median's unit: %s", buf);
	tap_ok(!strcmp(an_fmt_count(buf, sizeof(buf), 1234567), "1,234,567"),
	       "counts have separators: %s", buf);
	tap_ok(!strcmp(an_fmt_ratio(buf, sizeof(buf), 0.0264), "0.0264x"),
	       "a small ratio keeps 3 digits: %s", buf);
	{
		struct an_est w = { .n = 5, .median = 3.4e6, .lo = 32600, .hi = 81e6, .ci = true };

		tap_ok(!strcmp(an_fmt_lat_ci(buf, sizeof(buf), &w, false),
			       "3.40 ms [0.0326 .. 81.0]"),
		       "a wide interval keeps 3 digits at both ends: %s", buf);
	}
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_known_percentiles();
	test_loader_errors();
	test_bootstrap();
	test_configs();
	test_formats();
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			tap_diag("cannot remove %s", dir);
	}
	return tap_done();
}
