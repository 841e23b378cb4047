// SPDX-License-Identifier: GPL-2.0-only
/*
 * results.c - latency summaries, machine description and atomic writing
 * for results files
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "results.h"
#include "util.h"

static json_object *u64(uint64_t v)
{
	return json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

json_object *results_hist_json(const struct hist *h, bool with_buckets)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "count", u64(h->count));
	json_object_object_add(o, "mean_ns", json_object_new_double(hist_mean(h)));
	json_object_object_add(o, "min_ns", u64(h->count ? h->min : 0));
	json_object_object_add(o, "p50_ns", u64(hist_quantile(h, 0.50)));
	json_object_object_add(o, "p90_ns", u64(hist_quantile(h, 0.90)));
	json_object_object_add(o, "p99_ns", u64(hist_quantile(h, 0.99)));
	json_object_object_add(o, "p999_ns", u64(hist_quantile(h, 0.999)));
	json_object_object_add(o, "max_ns", u64(h->count ? h->max : 0));
	if (h->clamped)
		json_object_object_add(o, "clamped", u64(h->clamped));
	if (with_buckets) {
		json_object *b = json_object_new_array();

		for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
			json_object *e;

			if (!h->b[i])
				continue;
			e = json_object_new_array();
			json_object_array_add(e, u64(hist_bucket_low(i)));
			json_object_array_add(e, u64(i == HIST_BUCKETS - 1 ? h->max : hist_bucket_high(i)));
			json_object_array_add(e, u64(h->b[i]));
			json_object_array_add(b, e);
		}
		json_object_object_add(o, "buckets", b);
	}
	return o;
}

static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	strlcpy_(buf, "unknown", size);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon && (!strncmp(line, "model name", 10) || !strncmp(line, "Model", 5) ||
			      !strncmp(line, "CPU part", 8))) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			strlcpy_(buf, colon, size);
			break;
		}
	}
	fclose(f);
}

void results_host_meta(json_object *meta)
{
	struct utsname u;
	char date[64], model[256];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	uname(&u);
	cpu_model(model, sizeof(model));
	json_object_object_add(meta, "vmatrace_version", json_object_new_string(VMATRACE_VERSION));
	json_object_object_add(meta, "date", json_object_new_string(date));
	json_object_object_add(meta, "hostname", json_object_new_string(u.nodename));
	json_object_object_add(meta, "kernel", json_object_new_string(u.release));
	json_object_object_add(meta, "kernel_version", json_object_new_string(u.version));
	json_object_object_add(meta, "arch", json_object_new_string(u.machine));
	json_object_object_add(meta, "cpu_model", json_object_new_string(model));
	json_object_object_add(meta, "cpus", json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_object_add(meta, "page_size", json_object_new_int((int)sysconf(_SC_PAGESIZE)));
}

int results_file_sha256(const char *path, char hex[65], char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[1 << 16];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (ok && (n = read(fd, buf, sizeof(buf))) > 0)
		ok = EVP_DigestUpdate(ctx, buf, (size_t)n);
	if (ok && n < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		ok = 0;
	} else if (ok) {
		ok = EVP_DigestFinal_ex(ctx, md, &mdlen);
	}
	if (!ok && !err[0])
		snprintf(err, errlen, "%s: sha256 failed", path);
	EVP_MD_CTX_free(ctx);
	close(fd);
	for (unsigned int i = 0; ok && i < mdlen && i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return ok ? 0 : -1;
}

/* All of @n bytes; a full disk shows as a short write first, then ENOSPC. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0)
			errno = ENOSPC;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int results_write_atomic(const char *path, json_object *o, char *err, size_t errlen)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text);
	struct afile af;
	int fd = afile_open(&af, path), ret = -1;

	if (fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	if (write_all(fd, text, len) || write_all(fd, "\n", 1) || afile_commit(&af)) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	afile_close(&af);
	return ret;
}
