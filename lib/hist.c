// SPDX-License-Identifier: GPL-2.0-only
/*
 * hist.c - log-linear latency histogram (see hist.h for the error bound)
 */
#include <math.h>
#include <string.h>

#include "hist.h"

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->clamped += src->clamped;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_bucket_low(unsigned int idx)
{
	unsigned int e, sub;

	if (idx < HIST_SUB)
		return idx;
	e = (idx - HIST_SUB) / HIST_SUB + HIST_SUB_BITS;
	sub = (idx - HIST_SUB) % HIST_SUB;
	return (1ull << e) + ((uint64_t)sub << (e - HIST_SUB_BITS));
}

uint64_t hist_bucket_high(unsigned int idx)
{
	if (idx < HIST_SUB)
		return idx;
	if (idx == HIST_BUCKETS - 1)
		return UINT64_MAX;
	return hist_bucket_low(idx + 1) - 1;
}

uint64_t hist_bucket_value(unsigned int idx)
{
	uint64_t lo = hist_bucket_low(idx);

	if (idx < HIST_SUB)
		return lo;
	if (idx == HIST_BUCKETS - 1)
		return lo; /* clamped values: no upper bound to split */
	return lo + (hist_bucket_low(idx + 1) - lo) / 2;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, v;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			v = hist_bucket_value(i);
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0;
}
