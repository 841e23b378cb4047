// SPDX-License-Identifier: GPL-2.0-only
/*
 * tearing.c - the op log shared with the readers, and the tearing check
 * (see tearing.h for why the check is sound)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tearing.h"

void oplog_begin(struct oplog *log, unsigned int worker, const struct vrange *r, unsigned int n)
{
	uint64_t first;

	if (!n)
		return;
	/*
	 * The slot first: a reader that marks its pass after this op has taken
	 * its entry number sees the entry; one that marks before sees the slot.
	 */
	if (worker < OPLOG_SLOTS) {
		atomic_store_explicit(&log->slot[worker].end, r[0].end, memory_order_relaxed);
		atomic_store_explicit(&log->slot[worker].start, r[0].start | 1, memory_order_seq_cst);
	}
	first = atomic_fetch_add_explicit(&log->head, n, memory_order_seq_cst);
	for (unsigned int i = 0; i < n; i++) {
		struct oplog_entry *e = &log->e[(first + i) & (OPLOG_ENTRIES - 1)];

		e->start = r[i].start;
		e->end = r[i].end;
		atomic_store_explicit(&e->seq, first + i + 1, memory_order_release);
	}
}

void oplog_end(struct oplog *log, unsigned int worker)
{
	if (worker < OPLOG_SLOTS)
		atomic_store_explicit(&log->slot[worker].start, 0, memory_order_release);
}

void oplog_mark(const struct oplog *log, struct oplog_mark *m)
{
	m->head = atomic_load_explicit(&((struct oplog *)log)->head, memory_order_seq_cst);
	m->ninflight = 0;
	for (unsigned int i = 0; i < log->nslots && i < OPLOG_SLOTS; i++) {
		struct oplog_slot *s = (struct oplog_slot *)&log->slot[i];
		uint64_t start = atomic_load_explicit(&s->start, memory_order_acquire);

		/* bit 0 marks a slot in use: a range may start at address 0 */
		if (start)
			m->inflight[m->ninflight++] = (struct vrange){
				start & ~1ull, atomic_load_explicit(&s->end, memory_order_relaxed)
			};
	}
}

long oplog_collect(const struct oplog *log, const struct oplog_mark *from, struct vrange *out,
		   size_t cap)
{
	uint64_t head = atomic_load_explicit(&((struct oplog *)log)->head, memory_order_acquire);
	size_t n = 0;

	if (atomic_load(&((struct oplog *)log)->unusable) || head - from->head > OPLOG_ENTRIES ||
	    head - from->head + from->ninflight > cap)
		return -1;
	for (unsigned int i = 0; i < from->ninflight; i++)
		out[n++] = from->inflight[i];
	for (uint64_t k = from->head; k < head; k++) {
		const struct oplog_entry *e = &log->e[k & (OPLOG_ENTRIES - 1)];
		uint64_t seq;
		int spins = 0;

		/*
		 * The worker is between taking the number and writing the entry,
		 * maybe preempted there: yield to it, for up to ~50 ms.
		 */
		while ((seq = atomic_load_explicit(&((struct oplog_entry *)e)->seq,
						   memory_order_acquire)) != k + 1) {
			if (seq > k + 1 || ++spins > 50000)
				return -1; /* overwritten, or its writer died */
			if (spins > 100) {
				struct timespec ts = { 0, 1000 };

				nanosleep(&ts, NULL);
			}
		}
		out[n].start = e->start;
		out[n].end = e->end;
		/* a later lap may have overwritten it while we copied */
		if (atomic_load_explicit(&((struct oplog_entry *)e)->seq, memory_order_acquire) != k + 1)
			return -1;
		n++;
	}
	return (long)n;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t tearing_parse(const char *text, size_t len, struct vrange *out, size_t cap)
{
	const char *p = text, *end = text + len;
	size_t n = 0;

	while (p < end && n < cap) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;
		uint64_t s = 0, e = 0;
		int d;

		if (!nl)
			nl = end;
		/* a VMA line starts "start-end " in lowercase hex; smaps' field lines do not */
		while (q < nl && (d = hex_digit(*q)) >= 0)
			s = s << 4 | (uint64_t)d, q++;
		if (q > p && q < nl && *q == '-') {
			const char *r = ++q;

			while (q < nl && (d = hex_digit(*q)) >= 0)
				e = e << 4 | (uint64_t)d, q++;
			if (q > r && q < nl && *q == ' ')
				out[n++] = (struct vrange){ s, e };
		}
		p = nl + 1;
	}
	return n;
}

static int cmp_vrange(const void *a, const void *b)
{
	const struct vrange *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Sort and merge overlapping or touching ranges, clipped to [lo, hi); returns the count. */
static size_t normalise(struct vrange *r, size_t n, uint64_t lo, uint64_t hi)
{
	size_t out = 0;

	if (!n)
		return 0; /* r may be NULL */
	qsort(r, n, sizeof(*r), cmp_vrange);
	for (size_t i = 0; i < n; i++) {
		uint64_t s = r[i].start < lo ? lo : r[i].start;
		uint64_t e = r[i].end > hi ? hi : r[i].end;

		if (s >= e)
			continue;
		if (out && s <= r[out - 1].end) {
			if (e > r[out - 1].end)
				r[out - 1].end = e;
		} else {
			r[out++] = (struct vrange){ s, e };
		}
	}
	return out;
}

/* True if [s, e) meets one of the sorted disjoint ranges @c. */
static bool meets(const struct vrange *c, size_t n, uint64_t s, uint64_t e)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* the first range ending after s */
		size_t mid = lo + (hi - lo) / 2;

		if (c[mid].end <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && c[lo].start < e;
}

static void note(struct tear *t, long count, uint64_t s, uint64_t e, const char *what)
{
	if (count || !t)
		return;
	t->start = s;
	t->end = e;
	snprintf(t->what, sizeof(t->what), "%s 0x%" PRIx64 "-0x%" PRIx64, what, s, e);
}

long tearing_check(const struct vrange *prev, size_t nprev, const struct vrange *cur, size_t ncur,
		   struct vrange *changed, size_t nchanged, uint64_t lo, uint64_t hi, struct tear *t)
{
	struct vrange *p = malloc((nprev ? nprev : 1) * sizeof(*p));
	struct vrange *k = malloc((ncur ? ncur : 1) * sizeof(*k));
	size_t np, nk, nc, j = 0;
	long tears = 0;

	if (!p || !k) {
		free(p);
		free(k);
		errno = ENOMEM;
		return -1;
	}
	nc = normalise(changed, nchanged, 0, UINT64_MAX);

	/* entries in order and apart, unless a concurrent change explains it */
	for (size_t i = 1; i < ncur; i++) {
		uint64_t s = cur[i].start < cur[i - 1].start ? cur[i].start : cur[i - 1].start;
		uint64_t e = cur[i].end > cur[i - 1].end ? cur[i].end : cur[i - 1].end;

		if (cur[i].start >= cur[i - 1].end || e <= lo || s >= hi)
			continue;
		if (!meets(changed, nc, s, e)) {
			note(t, tears, s, e, "entries out of order or overlapping, nothing changed them:");
			tears++;
		}
	}

	/* what pass k-1 showed and nothing touched since must still be there */
	if (nprev)
		memcpy(p, prev, nprev * sizeof(*p));
	if (ncur)
		memcpy(k, cur, ncur * sizeof(*k));
	np = normalise(p, nprev, lo, hi);
	nk = normalise(k, ncur, lo, hi);
	for (size_t i = 0; i < np; i++) {
		uint64_t s = p[i].start;

		/* walk [s, p[i].end) through the changed ranges: the rest is kept */
		while (s < p[i].end) {
			size_t c = 0;
			uint64_t e = p[i].end;

			/* the first changed range ending after s */
			{
				size_t a = 0, b = nc;

				while (a < b) {
					size_t mid = a + (b - a) / 2;

					if (changed[mid].end <= s)
						a = mid + 1;
					else
						b = mid;
				}
				c = a;
			}
			if (c < nc && changed[c].start <= s) {
				s = changed[c].end; /* inside a change: skip it */
				continue;
			}
			if (c < nc && changed[c].start < e)
				e = changed[c].start;
			/* [s, e) is kept: the current pass must cover all of it */
			while (j < nk && k[j].end <= s)
				j++;
			for (size_t m = j; s < e;) {
				if (m >= nk || k[m].start > s) {
					uint64_t ge = m < nk && k[m].start < e ? k[m].start : e;

					note(t, tears, s, ge, "gap inside memory mapped throughout:");
					tears++;
					s = ge;
					continue;
				}
				s = k[m].end < e ? k[m].end : e;
				m++;
			}
		}
	}
	free(p);
	free(k);
	return tears;
}
