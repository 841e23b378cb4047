// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-rangemap.c - the range map against a page-by-page model under random
 * assignments and erasures, and the covered parts it reports
 */
#include <stdlib.h>
#include <string.h>

#include "rangemap.h"
#include "tap.h"

#define PAGES 512
#define NONE UINT64_MAX

static uint64_t model[PAGES], seen[PAGES];
static int bad_walk;
static uint64_t walk_next;

static void check_walk(uint64_t start, uint64_t end, uint64_t value, void *ctx)
{
	(void)ctx;
	if (start >= end || start < walk_next)
		bad_walk++;
	walk_next = end;
	for (uint64_t p = start; p < end && p < PAGES; p++)
		if (model[p] != value)
			bad_walk++;
		else
			seen[p] = 1;
}

static void covered(uint64_t start, uint64_t end, uint64_t value, void *ctx)
{
	int *bad = ctx;

	for (uint64_t p = start; p < end; p++)
		if (model[p] != value)
			(*bad)++;
		else
			model[p] = NONE; /* each page is reported once */
}

int main(void)
{
	struct rangemap *m = rangemap_new();
	int bad_cov = 0, bad_state = 0;

	for (int i = 0; i < PAGES; i++)
		model[i] = NONE;
	srand(3);
	for (int it = 0; it < 20000; it++) {
		uint64_t s = (uint64_t)(rand() % PAGES), len = (uint64_t)(1 + rand() % 40), v = (uint64_t)it;
		uint64_t e = s + len > PAGES ? PAGES : s + len;
		int erase = rand() % 4 == 0;

		if (erase)
			rangemap_erase(m, s, e, covered, &bad_cov);
		else
			rangemap_assign(m, s, e, v, covered, &bad_cov);
		/* covered() cleared what was reported: nothing inside may remain */
		for (uint64_t p = s; p < e; p++)
			if (model[p] != NONE)
				bad_cov++;
		for (uint64_t p = s; p < e; p++)
			model[p] = erase ? NONE : v;
		if (it % 500 == 0 || it == 19999) {
			memset(seen, 0, sizeof(seen));
			walk_next = 0;
			rangemap_walk(m, check_walk, NULL);
			for (int p = 0; p < PAGES; p++) {
				if ((model[p] != NONE) != (seen[p] != 0))
					bad_state++;
			}
		}
	}
	tap_ok(bad_cov == 0, "every covered part is reported once with its value (20000 random ops)");
	tap_ok(bad_state == 0 && bad_walk == 0, "the map equals a page-by-page model, walked in order");
	rangemap_clear(m);
	tap_ok(rangemap_count(m) == 0, "clear empties it");
	rangemap_assign(m, 0, 100, 1, NULL, NULL);
	rangemap_assign(m, 40, 60, 2, NULL, NULL);
	tap_ok(rangemap_count(m) == 3, "assigning inside a range splits it in three");
	rangemap_erase(m, 0, 1000, NULL, NULL);
	tap_ok(rangemap_count(m) == 0, "erasing everything leaves nothing");
	rangemap_assign(m, 0x7ffffffff000ull, 0xfffffffffffff000ull, 9, NULL, NULL);
	tap_ok(rangemap_count(m) == 1, "a range up to the top of the 64-bit space works");
	rangemap_free(m);
	return tap_done();
}
