// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-hist.c - the latency histogram: bucket bounds, the 1% error bound
 * from 1 ns to 100 s, quantiles of known distributions, merging
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "tap.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	static struct hist h, h2, m;
	uint64_t worst_v = 0, *vals;
	double worst = 0;
	unsigned int bad = 0;
	const size_t n = 200000;

	/* Every bucket's bounds tile the value range without gaps or overlaps. */
	for (unsigned int i = 0; i + 1 < HIST_BUCKETS; i++)
		if (hist_bucket_high(i) + 1 != hist_bucket_low(i + 1) || hist_index(hist_bucket_low(i)) != i ||
		    hist_index(hist_bucket_high(i)) != i)
			bad++;
	tap_ok(bad == 0, "%u buckets tile [0, %" PRIu64 "] exactly", HIST_BUCKETS, (uint64_t)HIST_MAX_NS);

	/* The reported value of every value from 1 ns to 100 s is within 1%. */
	for (uint64_t v = 1; v <= 100000000000ull; v += 1 + v / 1000) {
		uint64_t r = hist_bucket_value(hist_index(v));
		double err = fabs((double)r - (double)v) / (double)v;

		if (err > worst) {
			worst = err;
			worst_v = v;
		}
	}
	tap_ok(worst <= 0.01, "relative error <= 1%% from 1 ns to 100 s (worst %.3f%% at %" PRIu64 " ns)",
	       worst * 100, worst_v);
	tap_ok(HIST_MAX_NS >= 100000000000ull, "the range reaches 100 s (%.1f s)", HIST_MAX_NS / 1e9);

	/* Quantiles of a known sample agree with the exact order statistics. */
	hist_init(&h);
	vals = malloc(n * sizeof(*vals));
	srand(7);
	for (size_t i = 0; i < n; i++) {
		/* log-uniform from 100 ns to 10 ms, like latencies */
		vals[i] = (uint64_t)exp(log(100.0) + (log(1e7) - log(100.0)) * rand() / (double)RAND_MAX);
		hist_record(&h, vals[i]);
	}
	qsort(vals, n, sizeof(*vals), cmp_u64);
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t exact = vals[(size_t)ceil(qs[i] * n) - 1], got = hist_quantile(&h, qs[i]);
		double err = fabs((double)got - (double)exact) / (double)exact;

		tap_ok(err <= 0.01, "p%g = %" PRIu64 " ns, exact %" PRIu64 " ns (error %.3f%%)", qs[i] * 100,
		       got, exact, err * 100);
	}
	tap_ok(hist_quantile(&h, 1) == vals[n - 1] && hist_quantile(&h, 0) == vals[0],
	       "min and max are exact");
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += vals[i];
	tap_ok(fabs(hist_mean(&h) - (double)sum / n) < 1e-6, "the mean is exact");

	/* Merging two halves equals recording everything in one. */
	hist_init(&h2);
	hist_init(&m);
	for (size_t i = 0; i < n; i++)
		hist_record(i % 2 ? &h2 : &m, vals[i]);
	hist_merge(&m, &h2);
	tap_ok(!memcmp(&m, &h, sizeof(h)), "merging per-thread histograms gives the single histogram");

	/* Values beyond the range are clamped and counted, never lost. */
	hist_init(&h2);
	hist_record(&h2, 1000ull * 1000000000ull);
	tap_ok(h2.clamped == 1 && h2.count == 1 && h2.max == 1000ull * 1000000000ull,
	       "a 1000 s value is counted as clamped with its exact max");
	hist_init(&h2);
	tap_ok(hist_quantile(&h2, 0.5) == 0 && hist_mean(&h2) == 0, "an empty histogram reports 0");
	free(vals);
	return tap_done();
}
