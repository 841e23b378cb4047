// SPDX-License-Identifier: GPL-2.0-only
/*
 * selftests.c - the modifications of the kernel's proc-maps-race selftest
 * (tools/testing/selftests/proc/proc-maps-race.c) as workloads
 *
 * The selftest changes a VMA over and over while a reader checks the maps
 * lines at a page boundary for tearing.  Its three patterns, as cycles that
 * return to their start layout, so they run under `vmatrace replay
 * --check-tearing` with readers of every kind and under --verify like the
 * seed email's scenarios.  Layouts are in pages of the workload's area.
 */
#include <sys/mman.h>

#include "util.h"
#include "workloads.h"

#define RW (PROT_READ | PROT_WRITE)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

const struct wl_scenario wl_selftests[] = {
	/*
	 * Split: map a page with another protection over the start of the VMA
	 * (the VMA splits), then map it back as it was (it merges again).
	 */
	{
		.name = "selftest-split",
		.title = "proc-maps-race: tearing from split",
		.summary = "mmap a page of another protection over a VMA's start, then back",
		.diagram = "  |-----------|     |--.--------|     |-----------|\n"
			   "  |    vma    |  -> |x.  vma   |  -> |    vma    |\n"
			   "  |-----------|     |--.--------|     |-----------|\n",
		.pages = 4,
		.start = { { 0, 3, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MMAP, 0, 1, RWX, "split (new mapping over the start)",
			  { { 0, 1, RWX }, { 1, 3, RW } } },
			{ WL_MMAP, 0, 1, RW, "new-merge-right", { { 0, 3, RW } } },
		},
	},
	/*
	 * Resize: mremap the VMA down to its first page in place, then back up
	 * to three pages in place.
	 */
	{
		.name = "selftest-resize",
		.title = "proc-maps-race: tearing from resize",
		.summary = "mremap a 3-page VMA to 1 page in place, then back to 3",
		.diagram = "  |-----------|     |---|             |-----------|\n"
			   "  |    vma    |  -> |vma|          -> |    vma    |\n"
			   "  |-----------|     |---|             |-----------|\n",
		.pages = 4,
		.start = { { 0, 3, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MREMAP, 0, 3, 0, "shrink in place", { { 0, 1, RW } }, 0, 1, 0 },
			{ WL_MREMAP, 0, 1, 0, "expand in place", { { 0, 3, RW } }, 0, 3, 0 },
		},
	},
	/*
	 * Remap: move the last page of the next VMA into the middle of the VMA
	 * with MREMAP_DONTUNMAP (the source stays mapped), then map the middle
	 * page afresh.  The move unmaps the middle page first (a split in
	 * three); on 6.18 an anonymous VMA never faulted in takes its new
	 * address as its offset when moved, so the moved page then merges with
	 * both sides again.  (The selftest's pages are faulted in: there the
	 * moved page stays a VMA of its own.)  --verify checks which this
	 * kernel does.
	 */
	{
		.name = "selftest-remap",
		.title = "proc-maps-race: tearing from remap",
		.summary = "mremap a page of the next VMA into a VMA's middle, then map it back",
		.diagram = "  |-----------| |---------|     |---.---.---| |---------|\n"
			   "  |    vma    | |  next  x|  -> |   .x  .   | |  next   |\n"
			   "  |-----------| |---------|     |---.---.---| |---------|\n",
		.pages = 8,
		.start = { { 0, 3, RW }, { 4, 7, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MREMAP, 6, 1, 0, "split in three, the moved page merges both",
			  { { 0, 3, RW }, { 4, 7, RW } }, 1, 1,
			  MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP },
			{ WL_MMAP, 1, 1, RW, "split in three, then new-merge-both",
			  { { 0, 3, RW }, { 4, 7, RW } } },
		},
	},
};

const unsigned int wl_nselftests = ARRAY_SIZE(wl_selftests);
