// SPDX-License-Identifier: GPL-2.0-only
/*
 * rangemap.c - disjoint address ranges with values, on libbsd's red-black tree
 */
#include <bsd/sys/tree.h>
#include <errno.h>
#include <stdlib.h>

#include "rangemap.h"

struct node {
	RB_ENTRY(node) link;
	uint64_t start, end, value;
};

static int node_cmp(const struct node *a, const struct node *b)
{
	return a->start < b->start ? -1 : a->start > b->start;
}

/* rmt: the tree type; generated with external linkage, as the static variant leaves unused
 * functions behind */
RB_HEAD(rmt, node);
RB_PROTOTYPE(rmt, node, link, node_cmp)
RB_GENERATE(rmt, node, link, node_cmp)

struct rangemap {
	struct rmt root;
	size_t count;
};

struct rangemap *rangemap_new(void)
{
	struct rangemap *m = calloc(1, sizeof(*m));

	if (m)
		RB_INIT(&m->root);
	return m;
}

void rangemap_clear(struct rangemap *m)
{
	struct node *n, *next;

	RB_FOREACH_SAFE(n, rmt, &m->root, next) {
		RB_REMOVE(rmt, &m->root, n);
		free(n);
	}
	m->count = 0;
}

void rangemap_free(struct rangemap *m)
{
	if (m) {
		rangemap_clear(m);
		free(m);
	}
}

size_t rangemap_count(const struct rangemap *m)
{
	return m->count;
}

/* The first node that ends after @addr: the one covering it, or the next one. */
static struct node *first_ending_after(struct rangemap *m, uint64_t addr)
{
	struct node key = { .start = addr };
	struct node *n = RB_NFIND(rmt, &m->root, &key), *prev;

	prev = n ? RB_PREV(rmt, &m->root, n) : RB_MAX(rmt, &m->root);
	if (prev && prev->end > addr)
		return prev;
	return n;
}

/*
 * Take [start, end) out of the tree, reporting what it covered; the two
 * edge pieces that stick out are kept.  Allocates at most one node (a range
 * split in the middle), before changing anything.
 */
static int cut(struct rangemap *m, uint64_t start, uint64_t end, rangemap_fn fn, void *ctx)
{
	struct node *n = first_ending_after(m, start), *next;

	if (n && n->start < start && n->end > end) {
		/* [start, end) inside one range: split it in three */
		struct node *tail = malloc(sizeof(*tail));

		if (!tail)
			return -1;
		if (fn)
			fn(start, end, n->value, ctx);
		*tail = (struct node){ .start = end, .end = n->end, .value = n->value };
		n->end = start;
		RB_INSERT(rmt, &m->root, tail);
		m->count++;
		return 0;
	}
	for (; n && n->start < end; n = next) {
		uint64_t s = n->start > start ? n->start : start;
		uint64_t e = n->end < end ? n->end : end;

		next = RB_NEXT(rmt, &m->root, n);
		if (fn)
			fn(s, e, n->value, ctx);
		if (n->start < start) {
			n->end = start; /* keep the head */
		} else if (n->end > end) {
			/* keep the tail: the key changes, but its order among the nodes does not */
			n->start = end;
		} else {
			RB_REMOVE(rmt, &m->root, n);
			free(n);
			m->count--;
		}
	}
	return 0;
}

int rangemap_assign(struct rangemap *m, uint64_t start, uint64_t end, uint64_t value,
		    rangemap_fn fn, void *ctx)
{
	struct node *n;

	if (start >= end)
		return 0;
	n = malloc(sizeof(*n));
	if (!n) {
		errno = ENOMEM;
		return -1;
	}
	if (cut(m, start, end, fn, ctx)) {
		free(n);
		errno = ENOMEM;
		return -1;
	}
	*n = (struct node){ .start = start, .end = end, .value = value };
	RB_INSERT(rmt, &m->root, n);
	m->count++;
	return 0;
}

int rangemap_erase(struct rangemap *m, uint64_t start, uint64_t end, rangemap_fn fn, void *ctx)
{
	if (start >= end)
		return 0;
	if (cut(m, start, end, fn, ctx)) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void rangemap_walk(const struct rangemap *m, rangemap_fn fn, void *ctx)
{
	struct node *n;

	RB_FOREACH(n, rmt, (struct rmt *)&m->root)
		fn(n->start, n->end, n->value, ctx);
}
