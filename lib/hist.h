/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hist.h - log-linear latency histogram
 *
 * Values (nanoseconds) below 2^HIST_SUB_BITS have a bucket each.  Above, each
 * power of two [2^e, 2^(e+1)) is cut into 2^HIST_SUB_BITS equal buckets, so a
 * bucket is at most 1/128 of its lower bound wide.  A value is reported as
 * the middle of its bucket: the relative error is at most 1/256 (0.39%), well
 * inside the 1% the results promise, from 1 ns to HIST_MAX_NS (~137 s, above
 * 100 s).  Larger values land in the last bucket and are counted as clamped;
 * count, sum, min and max are exact.
 *
 * The buckets are a fixed array (HIST_BUCKETS * 8 = 32 KiB): recording is an
 * index computation and one increment, with no allocation and no lock, so each
 * replay thread and reader keeps its own and they are merged at the end.
 */
#ifndef VMT_HIST_H
#define VMT_HIST_H

#include <stdbool.h>
#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_EXP 37 /* 2^37 ns = 137 s */
#define HIST_BUCKETS (HIST_SUB + (HIST_MAX_EXP - HIST_SUB_BITS) * HIST_SUB)
#define HIST_MAX_NS ((1ull << HIST_MAX_EXP) - 1)

struct hist {
	uint64_t count, sum, min, max, clamped;
	uint64_t b[HIST_BUCKETS];
};

static inline unsigned int hist_index(uint64_t v)
{
	unsigned int e;

	if (v < HIST_SUB)
		return (unsigned int)v;
	if (v > HIST_MAX_NS)
		return HIST_BUCKETS - 1;
	e = 63u - (unsigned int)__builtin_clzll(v); /* 2^e <= v < 2^(e+1), e >= 7 */
	return HIST_SUB + (e - HIST_SUB_BITS) * HIST_SUB +
	       (unsigned int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

static inline void hist_record(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	if (v > HIST_MAX_NS)
		h->clamped++;
}

void hist_init(struct hist *h);
void hist_merge(struct hist *dst, const struct hist *src);
/* The lowest and highest value a bucket holds. */
uint64_t hist_bucket_low(unsigned int idx);
uint64_t hist_bucket_high(unsigned int idx);
/* The value reported for a bucket: its middle (exact below 2^HIST_SUB_BITS). */
uint64_t hist_bucket_value(unsigned int idx);
/* The value at quantile q (0..1, e.g. 0.99): the reported value of the bucket holding
 * the ceil(q * count)-th smallest sample, clamped to [min, max]; 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

#endif /* VMT_HIST_H */
