/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * results.h - pieces of the results file (docs/results-format.md): latency
 * summaries, machine description, trace identity, atomic writing
 */
#ifndef VMT_RESULTS_H
#define VMT_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "hist.h"

/* {"count", "mean_ns", "min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns",
 *  "buckets": [[low_ns, high_ns, count], ...] (non-empty buckets only)} */
json_object *results_hist_json(const struct hist *h, bool with_buckets);
/* Add date, hostname, kernel, arch, cpu_model, cpus, page_size, vmatrace_version to @meta. */
void results_host_meta(json_object *meta);
/* The sha256 of a file as 64 hex digits; -1 with a message in @err. */
int results_file_sha256(const char *path, char hex[65], char *err, size_t errlen);
/* Write @o to @path through a temporary file and a rename; -1 with a message in @err. */
int results_write_atomic(const char *path, json_object *o, char *err, size_t errlen);

#endif /* VMT_RESULTS_H */
