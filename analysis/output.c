// SPDX-License-Identifier: GPL-2.0-only
/*
 * output.c - files written atomically, and the number formats every
 * renderer shares (so the terminal and the Markdown agree digit for digit)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render.h"

int an_out_open(struct an_out *o, const char *path, char *err, size_t errlen)
{
	int fd;

	memset(o, 0, sizeof(*o));
	fd = afile_open(&o->af, path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
		afile_close(&o->af);
		return -1;
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		afile_close(&o->af);
		return -1;
	}
	return 0;
}

int an_out_commit(struct an_out *o, char *err, size_t errlen)
{
	int bad = fflush(o->f) || ferror(o->f) || afile_commit(&o->af);

	if (bad)
		snprintf(err, errlen, "cannot write '%s': %s", o->af.path, strerror(errno));
	fclose(o->f);
	o->f = NULL;
	afile_close(&o->af);
	return bad ? -1 : 0;
}

void an_out_abort(struct an_out *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	afile_close(&o->af);
}

int an_mkdirs(const char *path, char *err, size_t errlen)
{
	char buf[4096];

	strlcpy_(buf, path, sizeof(buf));
	for (char *p = buf + 1;; p++) {
		bool end = !*p;

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) && errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory '%s': %s", buf,
				 strerror(errno));
			return -1;
		}
		if (end)
			break;
		*p = '/';
	}
	return 0;
}

/* Three significant digits of @v (already in its unit). */
static int digits(double v)
{
	int d;

	v = fabs(v);
	if (v >= 0.9995 || v == 0)
		return v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
	/* below 1: keep three significant digits, 0.0326 rather than 0.03 */
	d = 2 - (int)floor(log10(v));
	return d > 6 ? 6 : d;
}

static const char *lat_unit(double ns, double *scale, bool utf8)
{
	if (ns < 1e3) {
		*scale = 1;
		return "ns";
	}
	if (ns < 1e6) {
		*scale = 1e3;
		return utf8 ? "µs" : "us";
	}
	if (ns < 1e9) {
		*scale = 1e6;
		return "ms";
	}
	*scale = 1e9;
	return "s";
}

const char *an_fmt_lat(char *buf, size_t size, double ns, bool utf8)
{
	double sc;
	const char *u;

	if (!isfinite(ns)) {
		strlcpy_(buf, "-", size);
		return buf;
	}
	u = lat_unit(ns, &sc, utf8);
	snprintf(buf, size, "%.*f %s", digits(ns / sc), ns / sc, u);
	return buf;
}

const char *an_fmt_lat_ci(char *buf, size_t size, const struct an_est *e, bool utf8)
{
	double sc, lo, hi;
	const char *u;

	if (!e->n || !isfinite(e->median)) {
		strlcpy_(buf, "-", size);
		return buf;
	}
	u = lat_unit(e->median, &sc, utf8);
	if (!e->ci) {
		snprintf(buf, size, "%.*f %s", digits(e->median / sc), e->median / sc, u);
		return buf;
	}
	lo = e->lo / sc;
	hi = e->hi / sc;
	snprintf(buf, size, "%.*f %s [%.*f .. %.*f]", digits(e->median / sc), e->median / sc, u,
		 digits(lo), lo, digits(hi), hi);
	return buf;
}

const char *an_fmt_count(char *buf, size_t size, double v)
{
	char raw[32], out[48];
	size_t len, o = 0;

	if (!isfinite(v)) {
		strlcpy_(buf, "-", size);
		return buf;
	}
	snprintf(raw, sizeof(raw), "%.0f", v < 0 ? 0 : v);
	len = strlen(raw);
	for (size_t i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = raw[i];
	}
	out[o] = '\0';
	strlcpy_(buf, out, size);
	return buf;
}

const char *an_fmt_count_ci(char *buf, size_t size, const struct an_est *e)
{
	char m[48], lo[48], hi[48];

	if (!e->n) {
		strlcpy_(buf, "-", size);
		return buf;
	}
	an_fmt_count(m, sizeof(m), e->median);
	if (!e->ci) {
		strlcpy_(buf, m, size);
		return buf;
	}
	snprintf(buf, size, "%s [%s .. %s]", m, an_fmt_count(lo, sizeof(lo), e->lo),
		 an_fmt_count(hi, sizeof(hi), e->hi));
	return buf;
}

static void ratio_digits(char *buf, size_t size, double r)
{
	if (!isfinite(r))
		strlcpy_(buf, "-", size);
	else
		snprintf(buf, size, "%.*f", digits(r), r);
}

const char *an_fmt_ratio(char *buf, size_t size, double r)
{
	char v[32];

	ratio_digits(v, sizeof(v), r);
	fmt_into(buf, size, "%s%s", v, isfinite(r) ? "x" : "");
	return buf;
}

const char *an_fmt_ratio_ci(char *buf, size_t size, const struct an_est *e)
{
	char m[32], lo[32], hi[32];

	an_fmt_ratio(m, sizeof(m), e->median);
	if (!e->ci || !isfinite(e->median)) {
		strlcpy_(buf, m, size);
		return buf;
	}
	ratio_digits(lo, sizeof(lo), e->lo);
	ratio_digits(hi, sizeof(hi), e->hi);
	snprintf(buf, size, "%s [%s .. %s]", m, lo, hi);
	return buf;
}

const char *an_fmt_num(char *buf, size_t size, double v)
{
	if (!isfinite(v))
		strlcpy_(buf, "-", size);
	else
		snprintf(buf, size, "%.*f", digits(v), v);
	return buf;
}

const char *an_fmt_num_ci(char *buf, size_t size, const struct an_est *e)
{
	char m[32], lo[32], hi[32];

	if (!e->n || !isfinite(e->median)) {
		strlcpy_(buf, "-", size);
		return buf;
	}
	an_fmt_num(m, sizeof(m), e->median);
	if (!e->ci) {
		strlcpy_(buf, m, size);
		return buf;
	}
	snprintf(buf, size, "%s [%s .. %s]", m, an_fmt_num(lo, sizeof(lo), e->lo),
		 an_fmt_num(hi, sizeof(hi), e->hi));
	return buf;
}

const char *an_fmt_lk(char *buf, size_t size, enum an_lk_metric m, double v, bool utf8)
{
	if (m == AN_LK_ACQ)
		return an_fmt_count(buf, size, v);
	if (m == AN_LK_PER_PASS)
		return an_fmt_num(buf, size, v);
	return an_fmt_lat(buf, size, v, utf8);
}

const char *an_fmt_lk_ci(char *buf, size_t size, enum an_lk_metric m, const struct an_est *e,
			 bool utf8)
{
	if (m == AN_LK_ACQ)
		return an_fmt_count_ci(buf, size, e);
	if (m == AN_LK_PER_PASS)
		return an_fmt_num_ci(buf, size, e);
	return an_fmt_lat_ci(buf, size, e, utf8);
}

const char *an_fmt_metric(char *buf, size_t size, enum an_metric m, double v, bool utf8)
{
	return m == AN_COUNT ? an_fmt_count(buf, size, v) : an_fmt_lat(buf, size, v, utf8);
}

static void opt_append(char *buf, size_t size, size_t *used, json_object *opts, const char *key,
		       bool only_if_set)
{
	json_object *v = NULL;
	char val[128];

	if (!json_object_object_get_ex(opts, key, &v) || !v ||
	    json_object_is_type(v, json_type_null))
		return;
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		if (only_if_set && !json_object_get_boolean(v))
			return;
		if (!strcmp(key, "reader-reopen"))
			strlcpy_(val, json_object_get_boolean(v) ? "yes" : "no", sizeof(val));
		else
			val[0] = '\0';
		break;
	case json_type_int:
	case json_type_double:
		if (only_if_set && json_object_get_double(v) == 0)
			return;
		snprintf(val, sizeof(val), "%g", json_object_get_double(v));
		break;
	default:
		strlcpy_(val, json_object_get_string(v), sizeof(val));
	}
	if (*used < size)
		*used += (size_t)snprintf(buf + *used, size - *used, "%s--%s%s%s", *used ? " " : "",
					  key, val[0] ? " " : "", val);
}

const char *an_fmt_options(char *buf, size_t size, const struct an_run *r)
{
	size_t used = 0;
	json_object *v = NULL;

	buf[0] = '\0';
	opt_append(buf, size, &used, r->options, "speed", false);
	opt_append(buf, size, &used, r->options, "duration", true);
	opt_append(buf, size, &used, r->options, "loop", true);
	opt_append(buf, size, &used, r->options, "threads", true);
	if (json_object_object_get_ex(r->options, "pid", &v) && json_object_get_int64(v) >= 0)
		opt_append(buf, size, &used, r->options, "pid", false);
	opt_append(buf, size, &used, r->options, "readers", false);
	if (r->readers) {
		opt_append(buf, size, &used, r->options, "reader", false);
		opt_append(buf, size, &used, r->options, "reader-nice", true);
		if (r->reader_cpu >= 0)
			opt_append(buf, size, &used, r->options, "reader-cpu", false);
		if (json_object_object_get_ex(r->options, "reader-reopen", &v) &&
		    !json_object_get_boolean(v))
			opt_append(buf, size, &used, r->options, "reader-reopen", false);
	}
	if (r->writer_cpu >= 0)
		opt_append(buf, size, &used, r->options, "writer-cpu", false);
	opt_append(buf, size, &used, r->options, "touch", true);
	return buf;
}

const char *an_fmt_probe(char *buf, size_t size, const struct an_probe *p)
{
	size_t used = 0;

	if (!p->present) {
		strlcpy_(buf, "not probed (the runs were made with --no-probe or without tracefs)",
			 size);
		return buf;
	}
	buf[0] = '\0';
	for (int k = 0; k < AN_NKINDS && used < size; k++) {
		if (!p->kind[k].present)
			continue;
		if (p->measured)
			used += (size_t)snprintf(buf + used, size - used,
						 "%s%s: %s (%.1f mmap_lock acquisitions a pass)",
						 used ? ", " : "", an_kind_names[k],
						 p->kind[k].lock, p->kind[k].per_pass);
		else
			used += (size_t)snprintf(buf + used, size - used, "%s%s: %s",
						 used ? ", " : "", an_kind_names[k],
						 p->kind[k].lock);
	}
	if (used < size)
		snprintf(buf + used, size - used, "; %s",
			 p->measured ? "measured with the mmap_lock tracepoints"
				     : "inferred from the kernel version, not measured");
	return buf;
}
