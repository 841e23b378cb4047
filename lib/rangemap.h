/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rangemap.h - disjoint address ranges, each carrying a 64-bit value
 *
 * Assigning a value to [start, end) overwrites whatever the range held,
 * splitting ranges that stick out at either edge; the old values that were
 * covered are reported first.  The replayer keeps "which op last touched
 * these addresses" in one, to order ops of different threads on overlapping
 * ranges.  A red-black tree (libbsd's sys/tree.h) keeps every operation
 * O(log n + k) in the number of ranges n and the ranges covered k.
 */
#ifndef VMT_RANGEMAP_H
#define VMT_RANGEMAP_H

#include <stddef.h>
#include <stdint.h>

struct rangemap;

/* Called for each part of an old range that an assignment covers. */
typedef void (*rangemap_fn)(uint64_t start, uint64_t end, uint64_t value, void *ctx);

struct rangemap *rangemap_new(void);
void rangemap_free(struct rangemap *m);
void rangemap_clear(struct rangemap *m);
size_t rangemap_count(const struct rangemap *m);

/*
 * rangemap_assign - set [start, end) to @value
 * @fn: if not NULL, called first for every covered part of an existing range
 *
 * Return: 0, or -1 (ENOMEM) with the map unchanged.
 */
int rangemap_assign(struct rangemap *m, uint64_t start, uint64_t end, uint64_t value,
		    rangemap_fn fn, void *ctx);
/* Remove [start, end) (reporting covered parts to @fn like assign); -1 on ENOMEM. */
int rangemap_erase(struct rangemap *m, uint64_t start, uint64_t end, rangemap_fn fn, void *ctx);
/* Call @fn for every range in address order. */
void rangemap_walk(const struct rangemap *m, rangemap_fn fn, void *ctx);

#endif /* VMT_RANGEMAP_H */
