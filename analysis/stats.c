// SPDX-License-Identifier: GPL-2.0-only
/*
 * stats.c - loading results files, and the statistics of repetitions
 * (see stats.h for the method, docs/analysis.md for why)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stats.h"

const char *const an_metric_names[AN_NMETRICS] = { "count", "p50", "p90", "p99",
						   "p99.9", "max", "mean" };
const char *const an_kind_names[AN_NKINDS] = { "maps", "smaps", "smaps_rollup", "procmap_query" };
const char *const an_verdict_names[] = { "-", "no significant difference", "faster", "slower" };
const char *const an_lk_metric_names[AN_LK_NMETRICS] = { "acquisitions", "per pass", "wait p50",
							 "wait p99",	 "wait max", "hold p50",
							 "hold p99",	 "hold max" };

/* The results files we read are tens of MiB at most; anything far larger is not one. */
#define AN_MAX_FILE (512u << 20)

int an_kind_index(const char *name)
{
	for (int k = 0; k < AN_NKINDS; k++)
		if (!strcmp(name, an_kind_names[k]))
			return k;
	return -1;
}

/* ---- loading ---------------------------------------------------------- */

struct ld {
	const char *path;
	char *err;
	size_t errlen;
};

static int ld_fail(struct ld *l, const char *fmt, ...) VMT_PRINTF(2, 3);
static int ld_fail(struct ld *l, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s: %s", l->path, msg);
	return -1;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static int get_obj(struct ld *l, json_object *o, const char *where, const char *key,
		   json_object **out, bool required)
{
	json_object *v = member(o, key);

	*out = NULL;
	if (!v || json_object_is_type(v, json_type_null)) {
		if (required)
			return ld_fail(l, "%s%s%s: missing", where, *where ? "." : "", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return ld_fail(l, "%s%s%s: not an object", where, *where ? "." : "", key);
	*out = v;
	return 0;
}

static int get_str(struct ld *l, json_object *o, const char *where, const char *key, char *buf,
		   size_t size, bool required)
{
	json_object *v = member(o, key);

	if (!v || json_object_is_type(v, json_type_null)) {
		buf[0] = '\0';
		return required ? ld_fail(l, "%s%s%s: missing", where, *where ? "." : "", key) : 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return ld_fail(l, "%s%s%s: not a string", where, *where ? "." : "", key);
	strlcpy_(buf, json_object_get_string(v), size);
	return 0;
}

static bool is_number(json_object *v)
{
	return v &&
	       (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double));
}

/* A finite number; @nonneg: and not negative.  Missing and not @required: @out keeps its value. */
static int get_num(struct ld *l, json_object *o, const char *where, const char *key, double *out,
		   bool required, bool nonneg)
{
	json_object *v = member(o, key);
	double d;

	if (!v || json_object_is_type(v, json_type_null))
		return required ? ld_fail(l, "%s%s%s: missing", where, *where ? "." : "", key) : 0;
	if (!is_number(v))
		return ld_fail(l, "%s%s%s: not a number", where, *where ? "." : "", key);
	d = json_object_get_double(v);
	if (!isfinite(d) || (nonneg && d < 0))
		return ld_fail(l, "%s%s%s: bad value %g", where, *where ? "." : "", key, d);
	*out = d;
	return 0;
}

static int get_u64(struct ld *l, json_object *o, const char *where, const char *key, uint64_t *out,
		   bool required)
{
	json_object *v = member(o, key);
	double d = 0;

	if (get_num(l, o, where, key, &d, required, true))
		return -1;
	if (!v || json_object_is_type(v, json_type_null))
		return 0;
	if (d > 1.8e19)
		return ld_fail(l, "%s%s%s: bad value %g", where, *where ? "." : "", key, d);
	*out = json_object_is_type(v, json_type_int) ? (uint64_t)json_object_get_int64(v)
						     : (uint64_t)d;
	return 0;
}

/* A number that must fit an int (options, CPU counts). */
static int get_small(struct ld *l, json_object *o, const char *where, const char *key, double *out,
		     bool required)
{
	if (get_num(l, o, where, key, out, required, false))
		return -1;
	if (*out > 1e9 || *out < -1e9)
		return ld_fail(l, "%s%s%s: bad value %g", where, *where ? "." : "", key, *out);
	return 0;
}

static char *read_all(struct ld *l, size_t *len)
{
	int fd = open(l->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	if (fd < 0) {
		ld_fail(l, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > AN_MAX_FILE) {
		ld_fail(l, "%s",
			S_ISDIR(st.st_mode)
				? "is a directory"
				: "not a results file (not a regular file of sane size)");
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ld_fail(l, "out of memory");
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ld_fail(l, "cannot read: %s", strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

static json_object *parse_json(struct ld *l, const char *text, size_t len)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *root;
	size_t end;

	if (len > INT32_MAX) {
		ld_fail(l, "too large");
		return NULL;
	}
	if (strspn(text, " \t\r\n") == len) {
		ld_fail(l, "empty file, not a results file");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		ld_fail(l, "out of memory");
		return NULL;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		ld_fail(l, "truncated: the JSON ends early, at byte %zu", len);
		return NULL;
	}
	if (jerr != json_tokener_success || !root) {
		ld_fail(l, "not valid JSON: %s near byte %zu", json_tokener_error_desc(jerr), end);
		json_object_put(root);
		return NULL;
	}
	if (end < len && strspn(text + end, " \t\r\n") != len - end) {
		ld_fail(l, "not valid JSON: trailing data after byte %zu", end);
		json_object_put(root);
		return NULL;
	}
	return root;
}

/* Rebuild the histogram from [[low, high, count], ...], checking each bucket is one of ours. */
static int load_buckets(struct ld *l, json_object *arr, const char *where, struct an_lat *lt)
{
	size_t n = json_object_array_length(arr);
	uint64_t total = 0;
	struct hist *h = malloc(sizeof(*h));

	if (!h)
		return ld_fail(l, "out of memory");
	hist_init(h);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i), *x[3];
		uint64_t v[3];
		unsigned int idx;

		if (!e || !json_object_is_type(e, json_type_array) ||
		    json_object_array_length(e) != 3)
			goto bad;
		for (int k = 0; k < 3; k++) {
			x[k] = json_object_array_get_idx(e, (size_t)k);
			if (!x[k] || !json_object_is_type(x[k], json_type_int) ||
			    json_object_get_int64(x[k]) < 0)
				goto bad;
			v[k] = (uint64_t)json_object_get_int64(x[k]);
		}
		idx = hist_index(v[0]);
		if (hist_bucket_low(idx) != v[0] || v[1] < v[0] ||
		    (idx != HIST_BUCKETS - 1 && hist_bucket_high(idx) != v[1])) {
			free(h);
			return ld_fail(l,
				       "%s.buckets[%zu]: [%" PRIu64 ", %" PRIu64
				       "] is not a bucket of the histogram",
				       where, i, v[0], v[1]);
		}
		h->b[idx] += v[2];
		total += v[2];
		continue;
	bad:
		free(h);
		return ld_fail(l, "%s.buckets[%zu]: not [low, high, count]", where, i);
	}
	if (total != (uint64_t)lt->v[AN_COUNT]) {
		free(h);
		return ld_fail(l, "%s: the buckets hold %" PRIu64 " samples, count says %.0f",
			       where, total, lt->v[AN_COUNT]);
	}
	h->count = total;
	h->sum = (uint64_t)llround(lt->v[AN_MEAN] * (double)total);
	h->min = total ? lt->min_ns : UINT64_MAX;
	h->max = (uint64_t)lt->v[AN_MAX];
	lt->h = h;
	return 0;
}

/* A latency summary at @where, and its histogram when it has buckets. */
static int load_hist(struct ld *l, json_object *o, const char *where, struct an_lat *lt)
{
	static const char *const keys[AN_NMETRICS] = { "count",	  "p50_ns", "p90_ns", "p99_ns",
						       "p999_ns", "max_ns", "mean_ns" };
	static const double qs[AN_NMETRICS] = { 0, 0.50, 0.90, 0.99, 0.999, 0, 0 };
	json_object *b;
	double mn = 0;
	uint64_t clamped = 0;

	for (int m = 0; m < AN_NMETRICS; m++)
		if (get_num(l, o, where, keys[m], &lt->v[m], true, true))
			return -1;
	if (get_num(l, o, where, "min_ns", &mn, false, true) ||
	    get_u64(l, o, where, "clamped", &clamped, false))
		return -1;
	/* integers in doubles: beyond 2^64 a conversion would be undefined */
	if (lt->v[AN_COUNT] > 1.8e19 || lt->v[AN_MAX] > 1.8e19 || mn > 1.8e19)
		return ld_fail(l, "%s: a count or latency beyond 2^64", where);
	lt->min_ns = (uint64_t)mn;
	b = member(o, "buckets");
	if (b && !json_object_is_type(b, json_type_null)) {
		if (!json_object_is_type(b, json_type_array))
			return ld_fail(l, "%s.buckets: not an array", where);
		if (load_buckets(l, b, where, lt))
			return -1;
		lt->h->clamped = clamped;
		/* the percentiles come from the distribution itself, not the summary */
		for (int m = AN_P50; m <= AN_P999; m++)
			lt->v[m] = (double)hist_quantile(lt->h, qs[m]);
	}
	return 0;
}

static int load_op(struct ld *l, json_object *o, size_t i, struct an_lat *lt)
{
	char where[32];

	snprintf(where, sizeof(where), "ops[%zu]", i);
	if (!o || !json_object_is_type(o, json_type_object))
		return ld_fail(l, "%s: not an object", where);
	if (get_str(l, o, where, "role", lt->role, sizeof(lt->role), true) ||
	    get_str(l, o, where, "op", lt->op, sizeof(lt->op), true))
		return -1;
	return load_hist(l, o, where, lt);
}

static int load_lock_entry(struct ld *l, json_object *o, size_t i, struct an_lockstat *x)
{
	json_object *wait, *hold, *pp;
	char where[48], sub[64];

	snprintf(where, sizeof(where), "lockstat[%zu]", i);
	if (!o || !json_object_is_type(o, json_type_object))
		return ld_fail(l, "%s: not an object", where);
	if (get_str(l, o, where, "role", x->role, sizeof(x->role), true) ||
	    get_str(l, o, where, "mode", x->mode, sizeof(x->mode), true))
		return -1;
	if (strcmp(x->role, "writer") && strcmp(x->role, "reader"))
		return ld_fail(l, "%s.role: '%s', not writer or reader", where, x->role);
	if (strcmp(x->mode, "write") && strcmp(x->mode, "read"))
		return ld_fail(l, "%s.mode: '%s', not write or read", where, x->mode);
	if (get_u64(l, o, where, "acquisitions", &x->acquisitions, true) ||
	    get_u64(l, o, where, "tasks", &x->tasks, false) ||
	    get_u64(l, o, where, "failed", &x->failed, false) ||
	    get_u64(l, o, where, "downgrades", &x->downgrades, false) ||
	    get_u64(l, o, where, "unmatched", &x->unmatched, false) ||
	    get_u64(l, o, where, "excluded_acquisitions", &x->excluded, false) ||
	    get_u64(l, o, where, "lost_events", &x->lost, false) ||
	    get_num(l, o, where, "acquisitions_per_pass", &x->per_pass, false, true) ||
	    get_obj(l, o, where, "wait", &wait, true) || get_obj(l, o, where, "hold", &hold, true))
		return -1;
	/* null when the readers made no pass: no rate, which is not a rate of 0 */
	pp = member(o, "acquisitions_per_pass");
	x->has_per_pass = pp && !json_object_is_type(pp, json_type_null);
	snprintf(sub, sizeof(sub), "%s.wait", where);
	if (load_hist(l, wait, sub, &x->wait))
		return -1;
	snprintf(sub, sizeof(sub), "%s.hold", where);
	return load_hist(l, hold, sub, &x->hold);
}

/*
 * "lockstat": absent (no --lockstat, or an older vmatrace), null (asked
 * for but unavailable: meta.lockstat_unavailable says why), or the array.
 */
static int load_lockstat(struct ld *l, json_object *root, json_object *meta, struct an_run *r)
{
	json_object *arr = NULL;
	size_t n;

	if (!json_object_object_get_ex(root, "lockstat", &arr)) {
		r->lockstat = AN_LOCKSTAT_ABSENT;
		return 0;
	}
	if (!arr || json_object_is_type(arr, json_type_null)) {
		r->lockstat = AN_LOCKSTAT_UNAVAILABLE;
		return get_str(l, meta, "meta", "lockstat_unavailable", r->lockstat_why,
			       sizeof(r->lockstat_why), false);
	}
	if (!json_object_is_type(arr, json_type_array))
		return ld_fail(l, "lockstat: not an array");
	n = json_object_array_length(arr);
	r->ls = calloc(n ? n : 1, sizeof(*r->ls));
	if (!r->ls)
		return ld_fail(l, "out of memory");
	r->lockstat = AN_LOCKSTAT_PRESENT;
	for (size_t i = 0; i < n; i++) {
		/* counted before loading, so that an_run_free() frees a half-loaded entry */
		r->nls = i + 1;
		if (load_lock_entry(l, json_object_array_get_idx(arr, i), i, &r->ls[i]))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->ls[j].role, r->ls[i].role) &&
			    !strcmp(r->ls[j].mode, r->ls[i].mode))
				return ld_fail(l, "lockstat[%zu]: %s %s a second time", i,
					       r->ls[i].role, r->ls[i].mode);
	}
	return 0;
}

static int load_probe(struct ld *l, json_object *meta, struct an_probe *p)
{
	json_object *probe, *kinds, *v;

	memset(p, 0, sizeof(*p));
	if (get_obj(l, meta, "meta", "probe", &probe, false))
		return -1;
	if (!probe)
		return 0;
	p->present = true;
	v = member(probe, "measured");
	p->measured = v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
	if (get_str(l, probe, "meta.probe", "method", p->method, sizeof(p->method), false) ||
	    get_obj(l, probe, "meta.probe", "kinds", &kinds, false))
		return -1;
	for (int k = 0; kinds && k < AN_NKINDS; k++) {
		json_object *ko;
		char where[64];

		snprintf(where, sizeof(where), "meta.probe.kinds");
		if (get_obj(l, kinds, where, an_kind_names[k], &ko, false))
			return -1;
		if (!ko)
			continue;
		snprintf(where, sizeof(where), "meta.probe.kinds.%s", an_kind_names[k]);
		v = member(ko, "takes_mmap_lock");
		if (!v || !json_object_is_type(v, json_type_boolean))
			return ld_fail(l, "%s.takes_mmap_lock: missing or not true/false", where);
		p->kind[k].present = true;
		p->kind[k].takes_mmap_lock = json_object_get_boolean(v);
		if (get_str(l, ko, where, "lock", p->kind[k].lock, sizeof(p->kind[k].lock),
			    false) ||
		    get_num(l, ko, where, "per_pass", &p->kind[k].per_pass, false, true))
			return -1;
		if (!p->kind[k].lock[0])
			strlcpy_(p->kind[k].lock,
				 p->kind[k].takes_mmap_lock ? "mmap_lock" : "per-VMA lock",
				 sizeof(p->kind[k].lock));
	}
	return 0;
}

static int load_options(struct ld *l, json_object *opts, struct an_run *r)
{
	json_object *v;
	double d;

	d = -1;
	if (get_small(l, opts, "meta.options", "readers", &d, true))
		return -1;
	if (d < 0)
		return ld_fail(l, "meta.options.readers: bad value %g", d);
	r->readers = (unsigned int)d;
	if (get_str(l, opts, "meta.options", "reader", r->reader, sizeof(r->reader),
		    r->readers > 0))
		return -1;
	if (!r->readers)
		r->reader[0] = '\0';
	d = 0;
	if (get_small(l, opts, "meta.options", "reader-nice", &d, false))
		return -1;
	r->reader_nice = (int)d;
	d = -1;
	if (get_small(l, opts, "meta.options", "reader-cpu", &d, false))
		return -1;
	r->reader_cpu = (int)d;
	d = -1;
	if (get_small(l, opts, "meta.options", "writer-cpu", &d, false))
		return -1;
	r->writer_cpu = (int)d;
	v = member(opts, "speed");
	r->speed = 0;
	if (v && is_number(v))
		r->speed = json_object_get_double(v);
	else if (v && !(json_object_is_type(v, json_type_string) &&
			!strcmp(json_object_get_string(v), "asap")))
		return ld_fail(l, "meta.options.speed: neither a number nor \"asap\"");
	r->duration_s = 0;
	return get_num(l, opts, "meta.options", "duration", &r->duration_s, false, true);
}

static int load_series(struct ld *l, json_object *arr, struct an_run *r)
{
	size_t n = json_object_array_length(arr);

	r->series = calloc(n ? n : 1, sizeof(*r->series));
	if (!r->series)
		return ld_fail(l, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(arr, i);
		struct an_point *pt = &r->series[i];
		char where[32];
		double mx = 0;

		snprintf(where, sizeof(where), "series[%zu]", i);
		if (!p || !json_object_is_type(p, json_type_object))
			return ld_fail(l, "%s: not an object", where);
		if (get_num(l, p, where, "t_s", &pt->t_s, true, true) ||
		    get_u64(l, p, where, "count", &pt->count, true) ||
		    get_num(l, p, where, "mean_ns", &pt->mean_ns, true, true) ||
		    get_num(l, p, where, "max_ns", &mx, true, true))
			return -1;
		if (mx > 1.8e19)
			return ld_fail(l, "%s.max_ns: beyond 2^64", where);
		pt->max_ns = (uint64_t)mx;
		r->nseries = i + 1;
	}
	return 0;
}

static int load_counts(struct ld *l, json_object *counts, struct an_run *r)
{
	json_object *sk;

	if (get_u64(l, counts, "counts", "ops", &r->ops, false) ||
	    get_u64(l, counts, "counts", "conflicts", &r->conflicts, false) ||
	    get_u64(l, counts, "counts", "outcome_mismatches", &r->mismatches, false) ||
	    get_u64(l, counts, "counts", "reader_passes", &r->reader_passes, false) ||
	    get_u64(l, counts, "counts", "reader_errors", &r->reader_errors, false) ||
	    get_u64(l, counts, "counts", "lost_events", &r->lost_events, false) ||
	    get_u64(l, counts, "counts", "wall_ns", &r->wall_ns, false) ||
	    get_obj(l, counts, "counts", "skipped", &sk, false))
		return -1;
	if (sk) {
		json_object_object_foreach(sk, key, val)
		{
			if (!is_number(val) || json_object_get_int64(val) < 0)
				return ld_fail(l, "counts.skipped.%s: not a count", key);
			r->skipped += (uint64_t)json_object_get_int64(val);
		}
	}
	return 0;
}

int an_run_load(const char *path, struct an_run *run, char *err, size_t errlen)
{
	struct ld l = { .path = path, .err = err, .errlen = errlen };
	json_object *root = NULL, *meta, *trace, *opts, *ops, *counts, *series, *v;
	char fmt[64], sbuf[4096];
	double d = 0;
	size_t len = 0;
	char *text;

	memset(run, 0, sizeof(*run));
	err[0] = '\0';
	text = read_all(&l, &len);
	if (!text)
		return -1;
	root = parse_json(&l, text, len);
	free(text);
	if (!root)
		return -1;
	if (!json_object_is_type(root, json_type_object)) {
		ld_fail(&l, "not a vmatrace results file (the JSON is not an object)");
		goto fail;
	}
	if (get_str(&l, root, "", "format", fmt, sizeof(fmt), false))
		goto fail;
	if (strcmp(fmt, "vmatrace-results")) {
		ld_fail(&l, "not a vmatrace results file (format is '%s')", fmt);
		goto fail;
	}
	if (get_num(&l, root, "", "format_version", &d, true, true))
		goto fail;
	if (d != 1) {
		ld_fail(&l, "format_version %g; this vmatrace reads version 1", d);
		goto fail;
	}
	run->path = strdup(path);
	if (!run->path) {
		ld_fail(&l, "out of memory");
		goto fail;
	}
	if (get_obj(&l, root, "", "meta", &meta, true) ||
	    get_str(&l, meta, "meta", "vmatrace_version", run->version, sizeof(run->version),
		    false) ||
	    get_str(&l, meta, "meta", "date", run->date, sizeof(run->date), false) ||
	    get_str(&l, meta, "meta", "hostname", run->hostname, sizeof(run->hostname), true) ||
	    get_str(&l, meta, "meta", "kernel", run->kernel, sizeof(run->kernel), true) ||
	    get_str(&l, meta, "meta", "arch", run->arch, sizeof(run->arch), false) ||
	    get_str(&l, meta, "meta", "cpu_model", run->cpu_model, sizeof(run->cpu_model), true) ||
	    get_small(&l, meta, "meta", "cpus", &d, true))
		goto fail;
	if (d < 0) {
		ld_fail(&l, "meta.cpus: bad value %g", d);
		goto fail;
	}
	run->cpus = (int)d;
	if (get_obj(&l, meta, "meta", "trace", &trace, true) ||
	    get_str(&l, trace, "meta.trace", "sha256", run->trace_sha, sizeof(run->trace_sha),
		    true) ||
	    get_str(&l, trace, "meta.trace", "path", sbuf, sizeof(sbuf), false) ||
	    get_str(&l, trace, "meta.trace", "source", run->trace_source, sizeof(run->trace_source),
		    false) ||
	    get_u64(&l, trace, "meta.trace", "lost_events", &run->trace_lost, false))
		goto fail;
	run->trace_path = strdup(sbuf);
	if (!run->trace_path) {
		ld_fail(&l, "out of memory");
		goto fail;
	}
	if (get_obj(&l, meta, "meta", "options", &opts, true) || load_options(&l, opts, run) ||
	    load_probe(&l, meta, &run->probe))
		goto fail;
	run->options = json_object_get(opts);
	v = member(meta, "partial");
	if (v && !json_object_is_type(v, json_type_boolean) &&
	    !json_object_is_type(v, json_type_null)) {
		ld_fail(&l, "meta.partial: not true/false");
		goto fail;
	}
	run->partial = v && json_object_get_boolean(v);

	ops = member(root, "ops");
	if (!ops || !json_object_is_type(ops, json_type_array)) {
		ld_fail(&l, "ops: %s", ops ? "not an array" : "missing");
		goto fail;
	}
	run->nlat = json_object_array_length(ops);
	run->lat = calloc(run->nlat ? run->nlat : 1, sizeof(*run->lat));
	if (!run->lat) {
		ld_fail(&l, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < run->nlat; i++)
		if (load_op(&l, json_object_array_get_idx(ops, i), i, &run->lat[i]))
			goto fail;
	if (get_obj(&l, root, "", "counts", &counts, true) || load_counts(&l, counts, run))
		goto fail;
	series = member(root, "series");
	if (series && !json_object_is_type(series, json_type_null)) {
		if (!json_object_is_type(series, json_type_array)) {
			ld_fail(&l, "series: not an array");
			goto fail;
		}
		if (load_series(&l, series, run))
			goto fail;
	}
	if (load_lockstat(&l, root, meta, run))
		goto fail;
	/* the trace's own count and the replay's are the same loss; keep the larger */
	if (run->trace_lost > run->lost_events)
		run->lost_events = run->trace_lost;
	json_object_put(root);
	return 0;
fail:
	json_object_put(root);
	an_run_free(run);
	return -1;
}

void an_run_free(struct an_run *run)
{
	for (size_t i = 0; run->lat && i < run->nlat; i++)
		free(run->lat[i].h);
	free(run->lat);
	for (size_t i = 0; run->ls && i < run->nls; i++) {
		free(run->ls[i].wait.h);
		free(run->ls[i].hold.h);
	}
	free(run->ls);
	free(run->series);
	free(run->path);
	free(run->trace_path);
	json_object_put(run->options);
	memset(run, 0, sizeof(*run));
}

const struct an_lat *an_run_find(const struct an_run *run, const char *role, const char *op)
{
	for (size_t i = 0; i < run->nlat; i++)
		if (!strcmp(run->lat[i].role, role) && !strcmp(run->lat[i].op, op))
			return &run->lat[i];
	return NULL;
}

const struct an_lockstat *an_run_lockstat(const struct an_run *run, const char *role,
					  const char *mode)
{
	for (size_t i = 0; i < run->nls; i++)
		if (!strcmp(run->ls[i].role, role) && !strcmp(run->ls[i].mode, mode))
			return &run->ls[i];
	return NULL;
}

const char *an_run_workload(const struct an_run *run, char *buf, size_t size)
{
	const char *base;
	char *dot;

	if (!strncmp(run->trace_source, "workload:", 9) && run->trace_source[9]) {
		strlcpy_(buf, run->trace_source + 9, size);
		return buf;
	}
	base = strrchr(run->trace_path, '/');
	strlcpy_(buf, base ? base + 1 : run->trace_path, size);
	while ((dot = strrchr(buf, '.')) && dot != buf &&
	       (!strcmp(dot, ".gz") || !strcmp(dot, ".vmt") || !strcmp(dot, ".txt")))
		*dot = '\0';
	if (!buf[0])
		strlcpy_(buf, "trace", size);
	return buf;
}

const char *an_run_label(const struct an_run *run, char *buf, size_t size)
{
	int k = an_kind_index(run->reader);
	char lock[64];

	if (!run->readers) {
		strlcpy_(buf, "no readers", size);
		return buf;
	}
	if (k >= 0 && run->probe.present && run->probe.kind[k].present)
		snprintf(lock, sizeof(lock), "%s%s", run->probe.kind[k].lock,
			 run->probe.measured ? "" : ", inferred");
	else
		strlcpy_(lock, "lock not probed", sizeof(lock));
	snprintf(buf, size, "%u %s reader%s (%s)", run->readers, run->reader,
		 run->readers == 1 ? "" : "s", lock);
	return buf;
}

/* ---- configurations --------------------------------------------------- */

/* Options that name outputs or change nothing measured. */
static bool option_ignored(const char *key)
{
	static const char *const ignored[] = { "output", "quiet", "layout", "no-probe" };

	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		if (!strcmp(key, ignored[i]))
			return true;
	return false;
}

static const char *value_text(json_object *v)
{
	if (!v)
		return "(absent)";
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/*
 * An option missing from one file: it is older than the option, which then
 * had its default.  Flags default to false and names of files to null, so
 * those are the same as absent; for other options the default is not known
 * here, and absent differs.
 */
static bool absent_default(json_object *v)
{
	return !v || json_object_is_type(v, json_type_null) ||
	       (json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v));
}

/* The first option that differs (both directions), or false. */
static bool option_diff(json_object *a, json_object *b, char *why, size_t size)
{
	for (int pass = 0; pass < 2; pass++) {
		json_object *x = pass ? b : a, *y = pass ? a : b;

		json_object_object_foreach(x, key, xv)
		{
			json_object *yv = member(y, key);
			char xs[256];

			if (option_ignored(key))
				continue;
			if (yv && json_object_equal(xv, yv))
				continue;
			if (!yv && absent_default(xv))
				continue;
			strlcpy_(xs, value_text(xv), sizeof(xs));
			if (pass)
				snprintf(why, size, "option --%s: '%s' vs '%s'", key,
					 value_text(yv), xs);
			else
				snprintf(why, size, "option --%s: '%s' vs '%s'", key, xs,
					 value_text(yv));
			return true;
		}
	}
	return false;
}

bool an_config_diff(const struct an_run *a, const struct an_run *b, bool machine_only, char *why,
		    size_t size)
{
	if (strcmp(a->trace_sha, b->trace_sha)) {
		snprintf(why, size, "different traces (sha256 %.12s... vs %.12s...)", a->trace_sha,
			 b->trace_sha);
		return true;
	}
	if (strcmp(a->hostname, b->hostname)) {
		snprintf(why, size, "different machines (hostname '%s' vs '%s')", a->hostname,
			 b->hostname);
		return true;
	}
	if (strcmp(a->cpu_model, b->cpu_model) || a->cpus != b->cpus) {
		snprintf(why, size, "different machines (%d x '%s' vs %d x '%s')", a->cpus,
			 a->cpu_model, b->cpus, b->cpu_model);
		return true;
	}
	if (machine_only)
		return false;
	if (strcmp(a->kernel, b->kernel)) {
		snprintf(why, size, "different kernels ('%s' vs '%s')", a->kernel, b->kernel);
		return true;
	}
	return option_diff(a->options, b->options, why, size);
}

void an_options_diff(const struct an_run *a, const struct an_run *b, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	json_object_object_foreach(a->options, key, av)
	{
		json_object *bv = member(b->options, key);
		char as[128];

		if (option_ignored(key) || (bv && json_object_equal(av, bv)) ||
		    (!bv && absent_default(av)))
			continue;
		strlcpy_(as, value_text(av), sizeof(as));
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0,
					 "%s--%s %s -> %s", used ? ", " : "", key, as,
					 value_text(bv));
		if (used >= size)
			return;
	}
	json_object_object_foreach(b->options, bkey, bv2)
	{
		if (option_ignored(bkey) || member(a->options, bkey) || absent_default(bv2))
			continue;
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0,
					 "%s--%s (absent) -> %s", used ? ", " : "", bkey,
					 value_text(bv2));
		if (used >= size)
			return;
	}
}

/* ---- statistics ------------------------------------------------------- */

uint64_t an_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double an_rand_unit(uint64_t *state)
{
	return (double)(an_rand(state) >> 11) * 0x1.0p-53;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of @x, sorting it in place. */
static double median_inplace(double *x, size_t n)
{
	if (!n)
		return NAN;
	qsort(x, n, sizeof(*x), cmp_double);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

double an_median(const double *x, size_t n)
{
	double *t, m;

	if (!n)
		return NAN;
	t = malloc(n * sizeof(*t));
	if (!t)
		return NAN;
	memcpy(t, x, n * sizeof(*t));
	m = median_inplace(t, n);
	free(t);
	return m;
}

double an_mean(const double *x, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += x[i];
	return n ? s / (double)n : NAN;
}

double an_cv(const double *x, size_t n)
{
	double m = an_mean(x, n), ss = 0;

	if (n < 2 || !(m > 0))
		return 0;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - m) * (x[i] - m);
	return sqrt(ss / (double)(n - 1)) / m;
}

/* The median of a resample of @x (with replacement) in @tmp. */
static double resample_median(const double *x, size_t n, double *tmp, uint64_t *st)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = x[an_rand(st) % n];
	return median_inplace(tmp, n);
}

/* The two-sided @level percentile interval of @boot (sorted here). */
static void percentile_interval(double *boot, size_t n, double level, double *lo, double *hi)
{
	double a = (1 - level) / 2;
	size_t il = (size_t)floor(a * (double)n + 1e-9),
	       ih = (size_t)ceil((1 - a) * (double)n - 1e-9);

	qsort(boot, n, sizeof(*boot), cmp_double);
	if (ih)
		ih--;
	if (il >= n)
		il = n - 1;
	if (ih >= n)
		ih = n - 1;
	*lo = boot[il];
	*hi = boot[ih];
}

int an_boot_median(const double *x, size_t n, unsigned int resamples, uint64_t seed, double level,
		   double *lo, double *hi)
{
	double *boot, *tmp;
	uint64_t st = seed;

	if (n < 2 || !resamples) {
		*lo = *hi = n ? x[0] : NAN;
		return -1;
	}
	boot = malloc(resamples * sizeof(*boot));
	tmp = malloc(n * sizeof(*tmp));
	if (!boot || !tmp) {
		free(boot);
		free(tmp);
		*lo = *hi = an_median(x, n);
		return -1;
	}
	for (unsigned int r = 0; r < resamples; r++)
		boot[r] = resample_median(x, n, tmp, &st);
	percentile_interval(boot, resamples, level, lo, hi);
	free(boot);
	free(tmp);
	return 0;
}

int an_boot_ratio(const double *a, size_t na, const double *b, size_t nb, unsigned int resamples,
		  uint64_t seed, double level, double *lo, double *hi)
{
	double *boot, *tmp;
	uint64_t st = seed;
	int ret = 0;

	*lo = *hi = NAN;
	if (na < 2 || nb < 2 || !resamples)
		return -1;
	boot = malloc(resamples * sizeof(*boot));
	tmp = malloc((na > nb ? na : nb) * sizeof(*tmp));
	if (!boot || !tmp) {
		ret = -1;
		goto out;
	}
	for (unsigned int r = 0; r < resamples; r++) {
		double ma = resample_median(a, na, tmp, &st), mb = resample_median(b, nb, tmp, &st);

		if (!(ma > 0)) {
			ret = -1;
			goto out;
		}
		boot[r] = mb / ma;
	}
	percentile_interval(boot, resamples, level, lo, hi);
out:
	free(boot);
	free(tmp);
	return ret;
}

static void estimate(const double *x, size_t n, struct an_est *e)
{
	memset(e, 0, sizeof(*e));
	e->n = (unsigned int)n;
	if (!n) {
		e->median = e->lo = e->hi = e->min = e->max = NAN;
		return;
	}
	e->median = an_median(x, n);
	e->ci = an_boot_median(x, n, AN_RESAMPLES, AN_SEED, AN_LEVEL, &e->lo, &e->hi) == 0;
	if (!e->ci)
		e->lo = e->hi = e->median;
	e->min = e->max = x[0];
	for (size_t i = 1; i < n; i++) {
		e->min = x[i] < e->min ? x[i] : e->min;
		e->max = x[i] > e->max ? x[i] : e->max;
	}
	e->cv = an_cv(x, n);
}

/* Rows in reading order: the writer's "all" first, its op kinds, then the readers. */
static int row_rank(const char *role, const char *op)
{
	if (!strcmp(role, "writer"))
		return strcmp(op, "all") ? 1 : 0;
	return strcmp(role, "reader") ? 3 : 2;
}

static int add_row(struct an_group *g, const char *role, const char *op)
{
	struct an_row *rows, *r;
	size_t at;

	for (size_t i = 0; i < g->nrows; i++)
		if (!strcmp(g->rows[i].role, role) && !strcmp(g->rows[i].op, op))
			return 0;
	rows = realloc(g->rows, (g->nrows + 1) * sizeof(*rows));
	if (!rows)
		return -1;
	g->rows = rows;
	/* stable insertion by rank keeps file order within a rank */
	at = g->nrows;
	while (at > 0 && row_rank(rows[at - 1].role, rows[at - 1].op) > row_rank(role, op))
		at--;
	memmove(&rows[at + 1], &rows[at], (g->nrows - at) * sizeof(*rows));
	r = &rows[at];
	memset(r, 0, sizeof(*r));
	strlcpy_(r->role, role, sizeof(r->role));
	strlcpy_(r->op, op, sizeof(r->op));
	g->nrows++;
	return 0;
}

static int add_lock_row(struct an_group *g, const char *role, const char *mode)
{
	struct an_lock_row *rows, *r;

	for (size_t i = 0; i < g->nlrows; i++)
		if (!strcmp(g->lrows[i].role, role) && !strcmp(g->lrows[i].mode, mode))
			return 0;
	rows = realloc(g->lrows, (g->nlrows + 1) * sizeof(*rows));
	if (!rows)
		return -1;
	g->lrows = rows;
	/* the files' order: writer write, writer read, reader read, reader write */
	r = &rows[g->nlrows++];
	memset(r, 0, sizeof(*r));
	strlcpy_(r->role, role, sizeof(r->role));
	strlcpy_(r->mode, mode, sizeof(r->mode));
	return 0;
}

/* One run's values of one (role, mode) into @r; @nv counts each metric's values. */
static int lock_row_add_run(struct an_lock_row *r, const struct an_lockstat *x, unsigned int *nv)
{
	const struct an_lat *wh[2] = { &x->wait, &x->hold };

	r->n++;
	r->acquisitions += x->acquisitions;
	r->failed += x->failed;
	r->downgrades += x->downgrades;
	r->unmatched += x->unmatched;
	r->excluded += x->excluded;
	r->vals[AN_LK_ACQ][nv[AN_LK_ACQ]++] = (double)x->acquisitions;
	if (x->has_per_pass)
		r->vals[AN_LK_PER_PASS][nv[AN_LK_PER_PASS]++] = x->per_pass;
	/* a run without a single wait has no wait percentile, which is not a wait of 0 */
	for (int k = 0; k < 2; k++) {
		int m0 = k ? AN_LK_HOLD_P50 : AN_LK_WAIT_P50;

		if (!(wh[k]->v[AN_COUNT] > 0))
			continue;
		r->vals[m0][nv[m0]++] = wh[k]->v[AN_P50];
		r->vals[m0 + 1][nv[m0 + 1]++] = wh[k]->v[AN_P99];
		r->vals[m0 + 2][nv[m0 + 2]++] = wh[k]->v[AN_MAX];
	}
	if (x->wait.h) {
		if (!r->wait_pooled) {
			r->wait_pooled = malloc(sizeof(*r->wait_pooled));
			if (!r->wait_pooled)
				return -1;
			hist_init(r->wait_pooled);
		}
		hist_merge(r->wait_pooled, x->wait.h);
	}
	return 0;
}

/* The lock statistics of the runs that have them; why the others have none. */
static int group_locks(struct an_group *g)
{
	for (size_t i = 0; i < g->nruns; i++) {
		const struct an_run *run = g->runs[i];

		if (run->lockstat != AN_LOCKSTAT_PRESENT) {
			/* the first such run's reason stands for all: they are repetitions */
			if (!g->lock_why[0])
				strlcpy_(g->lock_why,
					 run->lockstat == AN_LOCKSTAT_ABSENT
						 ? "replayed without --lockstat"
					 : run->lockstat_why[0]
						 ? run->lockstat_why
						 : "unavailable, for no recorded reason",
					 sizeof(g->lock_why));
			continue;
		}
		g->lock_runs++;
		for (size_t j = 0; j < run->nls; j++)
			if (add_lock_row(g, run->ls[j].role, run->ls[j].mode))
				return -1;
	}
	for (size_t k = 0; k < g->nlrows; k++) {
		struct an_lock_row *r = &g->lrows[k];
		unsigned int nv[AN_LK_NMETRICS] = { 0 };

		for (int m = 0; m < AN_LK_NMETRICS; m++) {
			r->vals[m] = malloc((g->nruns ? g->nruns : 1) * sizeof(double));
			if (!r->vals[m])
				return -1;
		}
		for (size_t i = 0; i < g->nruns; i++) {
			const struct an_lockstat *x = an_run_lockstat(g->runs[i], r->role, r->mode);

			if (x && lock_row_add_run(r, x, nv))
				return -1;
		}
		for (int m = 0; m < AN_LK_NMETRICS; m++)
			estimate(r->vals[m], nv[m], &r->est[m]);
	}
	return 0;
}

int an_group_build(struct an_group *g, struct an_run *const *runs, size_t nruns)
{
	memset(g, 0, sizeof(*g));
	g->runs = malloc((nruns ? nruns : 1) * sizeof(*g->runs));
	if (!g->runs)
		return -1;
	memcpy(g->runs, runs, nruns * sizeof(*runs));
	g->nruns = nruns;
	if (nruns)
		an_run_label(runs[0], g->label, sizeof(g->label));
	for (size_t i = 0; i < nruns; i++)
		for (size_t j = 0; j < runs[i]->nlat; j++)
			if (add_row(g, runs[i]->lat[j].role, runs[i]->lat[j].op))
				return -1;
	for (size_t k = 0; k < g->nrows; k++) {
		struct an_row *r = &g->rows[k];

		for (int m = 0; m < AN_NMETRICS; m++) {
			r->vals[m] = malloc((nruns ? nruns : 1) * sizeof(double));
			if (!r->vals[m])
				return -1;
		}
		for (size_t i = 0; i < nruns; i++) {
			const struct an_lat *lt = an_run_find(runs[i], r->role, r->op);

			if (!lt)
				continue;
			for (int m = 0; m < AN_NMETRICS; m++)
				r->vals[m][r->n] = lt->v[m];
			r->n++;
			if (lt->h) {
				if (!r->pooled) {
					r->pooled = malloc(sizeof(*r->pooled));
					if (!r->pooled)
						return -1;
					hist_init(r->pooled);
				}
				hist_merge(r->pooled, lt->h);
			}
		}
		for (int m = 0; m < AN_NMETRICS; m++)
			estimate(r->vals[m], r->n, &r->est[m]);
	}
	return group_locks(g);
}

void an_group_free(struct an_group *g)
{
	for (size_t k = 0; g->rows && k < g->nrows; k++) {
		for (int m = 0; m < AN_NMETRICS; m++)
			free(g->rows[k].vals[m]);
		free(g->rows[k].pooled);
	}
	for (size_t k = 0; g->lrows && k < g->nlrows; k++) {
		for (int m = 0; m < AN_LK_NMETRICS; m++)
			free(g->lrows[k].vals[m]);
		free(g->lrows[k].wait_pooled);
	}
	free(g->lrows);
	free(g->rows);
	free(g->runs);
	memset(g, 0, sizeof(*g));
}

const struct an_row *an_group_find(const struct an_group *g, const char *role, const char *op)
{
	for (size_t i = 0; i < g->nrows; i++)
		if (!strcmp(g->rows[i].role, role) && !strcmp(g->rows[i].op, op))
			return &g->rows[i];
	return NULL;
}

const struct an_lock_row *an_group_lock_find(const struct an_group *g, const char *role,
					     const char *mode)
{
	for (size_t i = 0; i < g->nlrows; i++)
		if (!strcmp(g->lrows[i].role, role) && !strcmp(g->lrows[i].mode, mode))
			return &g->lrows[i];
	return NULL;
}

/* ---- warnings --------------------------------------------------------- */

void an_note(struct an_notes *w, const char *fmt, ...)
{
	char buf[1024], **msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->msg[i], buf))
			return; /* the same warning once */
	msg = realloc(w->msg, (w->n + 1) * sizeof(*msg));
	if (!msg)
		return;
	w->msg = msg;
	w->msg[w->n] = strdup(buf);
	if (w->msg[w->n])
		w->n++;
}

void an_notes_free(struct an_notes *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->msg[i]);
	free(w->msg);
	memset(w, 0, sizeof(*w));
}

/* One warning for a count that is non-zero in some runs. */
static void warn_count(const struct an_group *g, const char *prefix, struct an_notes *w, size_t off,
		       const char *what)
{
	uint64_t total = 0;
	size_t runs = 0;

	for (size_t i = 0; i < g->nruns; i++) {
		uint64_t v = *(const uint64_t *)((const char *)g->runs[i] + off);

		total += v;
		runs += v > 0;
	}
	if (total)
		an_note(w, "%s%" PRIu64 " %s in %zu of %zu runs", prefix, total, what, runs,
			g->nruns);
}

size_t an_group_noise(const struct an_group *g, char *buf, size_t size)
{
	size_t n = 0, used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < g->nrows; k++) {
		const struct an_row *r = &g->rows[k];
		const struct an_est *e = &r->est[AN_MEAN];

		/* the rows a reader of the report looks at: all the writer's ops, and the readers */
		if (strcmp(r->role, "reader") && strcmp(r->op, "all"))
			continue;
		if (r->n < 2 || e->cv <= AN_NOISY_CV)
			continue;
		if (used < size)
			used += (size_t)snprintf(buf + used, size - used, "%s%s %s %.0f%%",
						 n ? ", " : "", r->role, r->op, 100 * e->cv);
		n++;
	}
	return n;
}

void an_reps_warning(size_t nruns, const char *prefix, struct an_notes *w)
{
	if (nruns >= 2 && nruns < AN_MIN_REPS)
		an_note(w,
			"%sonly %zu repetitions: the 95%% interval of a median is then the range of the values, which holds the true median only %.1f%% of the time (5 repetitions: 93.8%%)",
			prefix, nruns, 100 * (1 - pow(0.5, (double)nruns - 1)));
	else if (nruns == 1)
		an_note(w, "%sone run: no confidence interval, no verdict", prefix);
}

/* Lock statistics that are incomplete, or missing from some runs. */
static void lock_warnings(const struct an_group *g, const char *prefix, struct an_notes *w)
{
	uint64_t lost = 0;
	size_t runs = 0;

	for (size_t i = 0; i < g->nruns; i++) {
		const struct an_run *r = g->runs[i];
		uint64_t l = 0;

		/* every entry carries the session's count: the same loss, once */
		for (size_t j = 0; j < r->nls; j++)
			l = r->ls[j].lost > l ? r->ls[j].lost : l;
		lost += l;
		runs += l > 0;
	}
	if (lost)
		an_note(w,
			"%s%" PRIu64
			" mmap_lock events were lost by --lockstat in %zu of %zu runs: their lock statistics are incomplete",
			prefix, lost, runs, g->nruns);
	if (g->lock_runs && g->lock_runs < g->nruns)
		an_note(w,
			"%slock statistics were recorded in %zu of %zu runs only (the others: %s)",
			prefix, g->lock_runs, g->nruns, g->lock_why);
}

void an_group_warnings(const struct an_group *g, const char *prefix, unsigned int which,
		       struct an_notes *w)
{
	size_t partial = 0, unprobed = 0, inferred = 0;
	char first_partial[256] = "", noise[512];

	if (which & AN_WARN_RUNS) {
		for (size_t i = 0; i < g->nruns; i++) {
			const struct an_run *r = g->runs[i];
			int k = an_kind_index(r->reader);

			if (r->partial && !partial++)
				strlcpy_(first_partial, r->path, sizeof(first_partial));
			if (r->readers && (!r->probe.present || k < 0 || !r->probe.kind[k].present))
				unprobed++;
			else if (r->readers && !r->probe.measured)
				inferred++;
		}
		if (partial)
			an_note(w,
				"%s%zu of %zu runs are partial (interrupted; their counts cover less time), e.g. %s",
				prefix, partial, g->nruns, first_partial);
		warn_count(g, prefix, w, offsetof(struct an_run, lost_events),
			   "events were lost in the capture (the trace lacks them)");
		warn_count(
			g, prefix, w, offsetof(struct an_run, conflicts),
			"conflicts (an op whose relocated range was taken, or a cluster or snapshot mapping that found no place: counts.conflicts)");
		warn_count(g, prefix, w, offsetof(struct an_run, mismatches),
			   "outcome mismatches (ops that succeeded or failed unlike in the trace)");
		warn_count(g, prefix, w, offsetof(struct an_run, skipped), "skipped ops");
		warn_count(g, prefix, w, offsetof(struct an_run, reader_errors),
			   "failed reader passes");
		if (unprobed)
			an_note(w,
				"%sthe lock of the reader kind was not probed in %zu of %zu runs",
				prefix, unprobed, g->nruns);
		if (inferred)
			an_note(w,
				"%sthe lock of the reader kind was inferred from the kernel version, not measured, in %zu runs",
				prefix, inferred);
		lock_warnings(g, prefix, w);
	}
	if (which & AN_WARN_REPS)
		an_reps_warning(g->nruns, prefix, w);
	if ((which & AN_WARN_NOISE) && an_group_noise(g, noise, sizeof(noise)))
		an_note(w,
			"%snoisy repetitions: the mean latency varies across the runs by more than %.0f%% (coefficient of variation): %s",
			prefix, 100 * AN_NOISY_CV, noise);
}

/* ---- comparison ------------------------------------------------------- */

enum an_verdict an_verdict_of(const struct an_est *ratio, enum an_metric m, bool rate)
{
	if (!ratio->ci || !isfinite(ratio->lo) || !isfinite(ratio->hi))
		return AN_NO_VERDICT;
	if (m == AN_COUNT) {
		if (!rate)
			return AN_NO_VERDICT;
		return ratio->lo > 1 ? AN_FASTER : ratio->hi < 1 ? AN_SLOWER : AN_SAME;
	}
	return ratio->hi < 1 ? AN_FASTER : ratio->lo > 1 ? AN_SLOWER : AN_SAME;
}

static bool timed_runs(const struct an_group *g)
{
	for (size_t i = 0; i < g->nruns; i++)
		if (!(g->runs[i]->duration_s > 0) || g->runs[i]->partial)
			return false;
	return g->nruns > 0;
}

const char *an_lk_verdict_name(enum an_lk_metric m, enum an_verdict v)
{
	if (v == AN_FASTER)
		return an_lk_is_count(m) ? "fewer" : "shorter";
	if (v == AN_SLOWER)
		return an_lk_is_count(m) ? "more" : "longer";
	return an_verdict_names[v];
}

/* The lock statistics found on both sides, B against A, like the latencies. */
static int compare_locks(struct an_compare *c)
{
	if (c->a.lock_runs && !c->b.lock_runs)
		an_note(&c->only, "lock statistics: only in A (B: %s)", c->b.lock_why);
	else if (!c->a.lock_runs && c->b.lock_runs)
		an_note(&c->only, "lock statistics: only in B (A: %s)", c->a.lock_why);
	c->lrows = calloc(c->a.nlrows ? c->a.nlrows : 1, sizeof(*c->lrows));
	if (!c->lrows)
		return -1;
	for (size_t i = 0; i < c->a.nlrows; i++) {
		const struct an_lock_row *ra = &c->a.lrows[i],
					 *rb = an_group_lock_find(&c->b, ra->role, ra->mode);
		struct an_lock_cmp *cr;

		if (!rb) {
			if (c->b.lock_runs)
				an_note(&c->only, "mmap_lock %s %s: only in A", ra->role, ra->mode);
			continue;
		}
		cr = &c->lrows[c->nlrows++];
		cr->a = ra;
		cr->b = rb;
		for (int m = 0; m < AN_LK_NMETRICS; m++) {
			const struct an_est *ea = &ra->est[m], *eb = &rb->est[m];
			struct an_est *e = &cr->ratio[m];

			e->n = ea->n < eb->n ? ea->n : eb->n;
			e->median =
				ea->n && eb->n && ea->median > 0 ? eb->median / ea->median : NAN;
			e->ci = an_boot_ratio(ra->vals[m], ea->n, rb->vals[m], eb->n, AN_RESAMPLES,
					      AN_SEED, AN_LEVEL, &e->lo, &e->hi) == 0;
			if (!e->ci)
				e->lo = e->hi = e->median;
			/* lower or higher, whatever the metric: the rule of the latencies */
			cr->verdict[m] = an_verdict_of(e, AN_P50, false);
		}
	}
	for (size_t i = 0; c->a.lock_runs && i < c->b.nlrows; i++)
		if (!an_group_lock_find(&c->a, c->b.lrows[i].role, c->b.lrows[i].mode))
			an_note(&c->only, "mmap_lock %s %s: only in B", c->b.lrows[i].role,
				c->b.lrows[i].mode);
	return 0;
}

int an_compare_build(struct an_compare *c, struct an_run *const *a, size_t na,
		     struct an_run *const *b, size_t nb)
{
	memset(c, 0, sizeof(*c));
	if (an_group_build(&c->a, a, na) || an_group_build(&c->b, b, nb))
		return -1;
	c->counts_are_rates =
		timed_runs(&c->a) && timed_runs(&c->b) && a[0]->duration_s == b[0]->duration_s;
	c->rows = calloc(c->a.nrows ? c->a.nrows : 1, sizeof(*c->rows));
	if (!c->rows)
		return -1;
	for (size_t i = 0; i < c->a.nrows; i++) {
		const struct an_row *ra = &c->a.rows[i],
				    *rb = an_group_find(&c->b, ra->role, ra->op);
		struct an_cmp_row *cr;

		if (!rb) {
			an_note(&c->only, "%s %s: only in A", ra->role, ra->op);
			continue;
		}
		cr = &c->rows[c->nrows++];
		cr->a = ra;
		cr->b = rb;
		for (int m = 0; m < AN_NMETRICS; m++) {
			struct an_est *e = &cr->ratio[m];
			double ma = ra->est[m].median, mb = rb->est[m].median;

			e->n = ra->n < rb->n ? ra->n : rb->n;
			e->median = ma > 0 ? mb / ma : NAN;
			e->ci = an_boot_ratio(ra->vals[m], ra->n, rb->vals[m], rb->n, AN_RESAMPLES,
					      AN_SEED, AN_LEVEL, &e->lo, &e->hi) == 0;
			if (!e->ci)
				e->lo = e->hi = e->median;
			cr->verdict[m] = an_verdict_of(e, (enum an_metric)m, c->counts_are_rates);
		}
	}
	for (size_t i = 0; i < c->b.nrows; i++)
		if (!an_group_find(&c->a, c->b.rows[i].role, c->b.rows[i].op))
			an_note(&c->only, "%s %s: only in B", c->b.rows[i].role, c->b.rows[i].op);
	return compare_locks(c);
}

void an_compare_free(struct an_compare *c)
{
	an_group_free(&c->a);
	an_group_free(&c->b);
	free(c->rows);
	free(c->lrows);
	an_notes_free(&c->only);
	memset(c, 0, sizeof(*c));
}
