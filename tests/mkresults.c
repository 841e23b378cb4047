// SPDX-License-Identifier: GPL-2.0-only
/*
 * mkresults.c - write a synthetic results file with known latency
 * distributions, for the analysis tests (report, compare, plots)
 *
 *   mkresults -o FILE [--seed N] [--samples N] [--median NS] [--sigma S]
 *             [--host H] [--cpu-model M] [--cpus N] [--kernel K] [--sha HEX]
 *             [--readers N] [--reader KIND] [--duration S] [--partial]
 *             [--lost N] [--conflicts N] [--mismatches N] [--no-probe]
 *             [--lockstat [--wait-median NS] [--wait-sigma S] [--per-pass X]
 *              [--lock-lost N] [--lock-no-buckets]]
 *             [--lockstat-unavailable REASON]
 *
 * Writer latencies are log-normal with the given median (ns) and sigma,
 * split between mmap and munmap; readers, when there are some, take a
 * log-normal 100 us.  --lockstat adds a "lockstat" array as replay
 * --lockstat writes it: the writers' write-mode waits log-normal with the
 * given median (default 400 ns) and sigma (default 1), one acquisition per
 * op; readers' --per-pass acquisitions a pass (default 50 for smaps and
 * smaps_rollup, 0.02 for the per-VMA kinds).  --lockstat-unavailable
 * writes "lockstat": null and the reason, as replay does without root.
 * The same arguments give the same file.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hist.h"
#include "results.h"

static uint64_t rng;

static double unit(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

static double lognormal(double median, double sigma)
{
	double u1 = unit(), u2 = unit();

	if (u1 < 1e-300)
		u1 = 1e-300;
	return median * exp(sigma * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

static json_object *entry(const char *role, const char *op, const struct hist *h)
{
	json_object *o = results_hist_json(h, true);

	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "op", json_object_new_string(op));
	return o;
}

static json_object *probe_json(void)
{
	static const char *const kinds[] = { "maps", "smaps", "smaps_rollup", "procmap_query" };
	static const int mm[] = { 0, 1, 1, 0 };
	json_object *p = json_object_new_object(), *k = json_object_new_object();

	json_object_object_add(p, "measured", json_object_new_boolean(1));
	json_object_object_add(p, "method", json_object_new_string("tracefs mmap_lock events"));
	for (int i = 0; i < 4; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "measured", json_object_new_boolean(1));
		json_object_object_add(o, "per_pass", json_object_new_double(mm[i] ? 1.0 : 0.0));
		json_object_object_add(o, "takes_mmap_lock", json_object_new_boolean(mm[i]));
		json_object_object_add(
			o, "lock", json_object_new_string(mm[i] ? "mmap_lock" : "per-VMA lock"));
		json_object_object_add(k, kinds[i], o);
	}
	json_object_object_add(p, "kinds", k);
	return p;
}

/* A histogram of @n log-normal values, as lockstat_json() writes one. */
static json_object *lock_hist(unsigned long n, double median, double sigma, bool buckets)
{
	static struct hist h;

	hist_init(&h);
	for (unsigned long i = 0; i < n; i++) {
		uint64_t v = (uint64_t)llround(lognormal(median, sigma));

		hist_record(&h, v ? v : 1);
	}
	return results_hist_json(&h, buckets);
}

/* As the probe finds them on 6.17+: smaps and smaps_rollup take mmap_lock, the rest fall back rarely. */
static double default_per_pass(const char *reader)
{
	return !strcmp(reader, "smaps") || !strcmp(reader, "smaps_rollup") ? 50 : 0.02;
}

struct lock_args {
	unsigned long samples, readers, passes, lost;
	double wait_median, wait_sigma, per_pass;
	bool buckets;
};

/* The four objects of replay --lockstat, in its order. */
static json_object *lockstat_json(const struct lock_args *a)
{
	static const char *const rm[4][2] = { { "writer", "write" },
					      { "writer", "read" },
					      { "reader", "read" },
					      { "reader", "write" } };
	json_object *arr = json_object_new_array();

	for (int i = 0; i < 4; i++) {
		json_object *o = json_object_new_object();
		bool writer = i < 2, write = !strcmp(rm[i][1], "write");
		unsigned long acq;
		double wm, ws, hm;

		if (writer) {
			acq = write ? a->samples : a->samples / 2;
			wm = write ? a->wait_median : 250;
			ws = write ? a->wait_sigma : 0.2;
			hm = write ? 6000 : 2500;
		} else {
			acq = write ? 0 : (unsigned long)llround(a->per_pass * (double)a->passes);
			wm = 450;
			ws = 1;
			hm = 20000;
		}
		json_object_object_add(o, "role", json_object_new_string(rm[i][0]));
		json_object_object_add(o, "mode", json_object_new_string(rm[i][1]));
		json_object_object_add(o, "tasks",
				       json_object_new_int64(writer ? 1 : (int64_t)a->readers));
		json_object_object_add(o, "acquisitions", json_object_new_int64((int64_t)acq));
		json_object_object_add(o, "failed", json_object_new_int(0));
		if (!writer)
			json_object_object_add(
				o, "acquisitions_per_pass",
				a->passes ? json_object_new_double((double)acq / (double)a->passes)
					  : NULL);
		json_object_object_add(o, "wait", lock_hist(acq, wm, ws, a->buckets));
		json_object_object_add(o, "hold", lock_hist(acq, hm, 0.5, a->buckets));
		if (write) {
			json_object_object_add(o, "downgrades",
					       json_object_new_int64((int64_t)(acq / 2)));
			json_object_object_add(o, "downgraded_hold",
					       lock_hist(acq / 2, 3000, 0.5, a->buckets));
		}
		json_object_object_add(o, "unmatched", json_object_new_int(writer ? 0 : 1));
		json_object_object_add(o, "excluded_acquisitions", json_object_new_int(0));
		json_object_object_add(o, "lost_events", json_object_new_int64((int64_t)a->lost));
		json_object_array_add(arr, o);
	}
	return arr;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *host = "testhost", *model = "Test CPU", *kernel = "6.18.0-test";
	const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *reader = "maps";
	double median = 10000, sigma = 0.5, duration = 1;
	unsigned long samples = 20000, readers = 0, lost = 0, conflicts = 0, mismatches = 0;
	int cpus = 2, partial = 0, probe = 1, lockstat = 0, lock_buckets = 1;
	const char *unavailable = NULL;
	double wait_median = 400, wait_sigma = 1, per_pass = -1;
	unsigned long lock_lost = 0;
	static struct hist mm, mu, all, rd;
	json_object *root, *meta, *trace, *opts, *ops, *counts, *series, *skipped;
	char err[256];

	rng = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--partial")) {
			partial = 1;
			continue;
		}
		if (!strcmp(a, "--no-probe")) {
			probe = 0;
			continue;
		}
		if (!strcmp(a, "--lockstat")) {
			lockstat = 1;
			continue;
		}
		if (!strcmp(a, "--lock-no-buckets")) {
			lock_buckets = 0;
			continue;
		}
		if (!v) {
			fprintf(stderr, "mkresults: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "-o"))
			out = v;
		else if (!strcmp(a, "--seed"))
			rng = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--samples"))
			samples = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--median"))
			median = strtod(v, NULL);
		else if (!strcmp(a, "--sigma"))
			sigma = strtod(v, NULL);
		else if (!strcmp(a, "--host"))
			host = v;
		else if (!strcmp(a, "--cpu-model"))
			model = v;
		else if (!strcmp(a, "--cpus"))
			cpus = atoi(v);
		else if (!strcmp(a, "--kernel"))
			kernel = v;
		else if (!strcmp(a, "--sha"))
			sha = v;
		else if (!strcmp(a, "--readers"))
			readers = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--reader"))
			reader = v;
		else if (!strcmp(a, "--duration"))
			duration = strtod(v, NULL);
		else if (!strcmp(a, "--lost"))
			lost = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--conflicts"))
			conflicts = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--mismatches"))
			mismatches = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--wait-median"))
			wait_median = strtod(v, NULL);
		else if (!strcmp(a, "--wait-sigma"))
			wait_sigma = strtod(v, NULL);
		else if (!strcmp(a, "--per-pass"))
			per_pass = strtod(v, NULL);
		else if (!strcmp(a, "--lock-lost"))
			lock_lost = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--lockstat-unavailable"))
			unavailable = v;
		else {
			fprintf(stderr, "mkresults: unknown option %s\n", a);
			return 2;
		}
	}
	if (!out) {
		fprintf(stderr, "mkresults: -o FILE is required\n");
		return 2;
	}
	rng = rng * 0x2545f4914f6cdd1dull + 7;
	hist_init(&mm);
	hist_init(&mu);
	hist_init(&all);
	hist_init(&rd);
	series = json_object_new_array();
	for (unsigned long i = 0; i < samples; i++) {
		uint64_t v = (uint64_t)llround(lognormal(median, sigma));

		hist_record(i % 2 ? &mu : &mm, v ? v : 1);
		hist_record(&all, v ? v : 1);
	}
	for (unsigned long i = 0; readers && i < samples / 10; i++)
		hist_record(&rd, (uint64_t)llround(lognormal(100000, 0.3)));
	for (int t = 0; t < 10; t++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "t_s", json_object_new_double(t * duration / 10));
		json_object_object_add(p, "count", json_object_new_int64((int64_t)(samples / 10)));
		json_object_object_add(p, "mean_ns",
				       json_object_new_double(median * (1 + 0.1 * (t % 3))));
		json_object_object_add(p, "max_ns",
				       json_object_new_int64((int64_t)(median * 20 * (1 + t % 2))));
		json_object_array_add(series, p);
	}

	root = json_object_new_object();
	meta = json_object_new_object();
	json_object_object_add(meta, "vmatrace_version", json_object_new_string("test"));
	json_object_object_add(meta, "date", json_object_new_string("2026-01-01T00:00:00Z"));
	json_object_object_add(meta, "hostname", json_object_new_string(host));
	json_object_object_add(meta, "kernel", json_object_new_string(kernel));
	json_object_object_add(meta, "arch", json_object_new_string("x86_64"));
	json_object_object_add(meta, "cpu_model", json_object_new_string(model));
	json_object_object_add(meta, "cpus", json_object_new_int(cpus));
	json_object_object_add(meta, "page_size", json_object_new_int(4096));
	trace = json_object_new_object();
	json_object_object_add(trace, "path", json_object_new_string("synthetic.vmt"));
	json_object_object_add(trace, "sha256", json_object_new_string(sha));
	json_object_object_add(trace, "source", json_object_new_string("workload:synthetic"));
	json_object_object_add(trace, "lost_events", json_object_new_int64((int64_t)lost));
	json_object_object_add(meta, "trace", trace);
	opts = json_object_new_object();
	json_object_object_add(opts, "output", json_object_new_string(out));
	json_object_object_add(opts, "speed", json_object_new_double(1));
	json_object_object_add(opts, "duration", json_object_new_double(duration));
	json_object_object_add(opts, "readers", json_object_new_int64((int64_t)readers));
	json_object_object_add(opts, "reader", json_object_new_string(reader));
	json_object_object_add(opts, "reader-nice", json_object_new_int(15));
	json_object_object_add(opts, "reader-cpu", json_object_new_int(1));
	json_object_object_add(opts, "writer-cpu", json_object_new_int(0));
	json_object_object_add(opts, "quiet", json_object_new_boolean(1));
	if (lockstat || unavailable)
		json_object_object_add(opts, "lockstat", json_object_new_boolean(1));
	json_object_object_add(meta, "options", opts);
	json_object_object_add(meta, "probe", probe ? probe_json() : NULL);
	json_object_object_add(meta, "partial", json_object_new_boolean(partial));
	if (unavailable)
		json_object_object_add(meta, "lockstat_unavailable",
				       json_object_new_string(unavailable));
	json_object_object_add(root, "format", json_object_new_string("vmatrace-results"));
	json_object_object_add(root, "format_version", json_object_new_int(1));
	json_object_object_add(root, "meta", meta);
	ops = json_object_new_array();
	json_object_array_add(ops, entry("writer", "mmap", &mm));
	json_object_array_add(ops, entry("writer", "munmap", &mu));
	json_object_array_add(ops, entry("writer", "all", &all));
	if (readers)
		json_object_array_add(ops, entry("reader", reader, &rd));
	json_object_object_add(root, "ops", ops);
	counts = json_object_new_object();
	skipped = json_object_new_object();
	json_object_object_add(skipped, "unsupported", json_object_new_int(0));
	json_object_object_add(counts, "ops", json_object_new_int64((int64_t)samples));
	json_object_object_add(counts, "conflicts", json_object_new_int64((int64_t)conflicts));
	json_object_object_add(counts, "outcome_mismatches",
			       json_object_new_int64((int64_t)mismatches));
	json_object_object_add(counts, "skipped", skipped);
	json_object_object_add(counts, "reader_passes", json_object_new_int64((int64_t)rd.count));
	json_object_object_add(counts, "reader_errors", json_object_new_int(0));
	json_object_object_add(counts, "lost_events", json_object_new_int64((int64_t)lost));
	json_object_object_add(counts, "wall_ns", json_object_new_int64((int64_t)(duration * 1e9)));
	json_object_object_add(root, "counts", counts);
	json_object_object_add(root, "processes", json_object_new_array());
	json_object_object_add(root, "series", series);
	if (unavailable) {
		json_object_object_add(root, "lockstat", NULL);
	} else if (lockstat) {
		/* drawn after everything else, so the rest of the file is as without --lockstat */
		struct lock_args la = {
			.samples = samples,
			.readers = readers,
			.passes = rd.count,
			.lost = lock_lost,
			.wait_median = wait_median,
			.wait_sigma = wait_sigma,
			.per_pass = per_pass >= 0 ? per_pass : default_per_pass(reader),
			.buckets = lock_buckets,
		};

		json_object_object_add(root, "lockstat", lockstat_json(&la));
	}
	if (results_write_atomic(out, root, err, sizeof(err))) {
		fprintf(stderr, "mkresults: %s\n", err);
		return 1;
	}
	json_object_put(root);
	return 0;
}
