// SPDX-License-Identifier: GPL-2.0-only
/*
 * mapper.c - the kernel review's benchmark as a workload
 *
 * The numbers in the per-VMA /proc/PID/maps series come from Paul McKenney's
 * test: one process unmaps and remaps 4 KiB pages in a 128 MiB region of
 * anonymous memory while two processes read its /proc/PID/maps, and the
 * latency of every mmap and munmap is measured.  As a trace, precisely:
 *
 *  1. The region is mapped first, as the test does before its loop:
 *	mmap(base, 128 MiB, PROT_WRITE,
 *	     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0)
 *     The test lets the kernel choose the address; the trace fixes it at the
 *     thread's window so the trace replays as it is and relocation stays a
 *     plain offset.
 *  2. Then, for every op, a page p of the region is drawn uniformly and a
 *     coin is tossed (both from the seeded generator):
 *	heads: mmap(p, 4 KiB, PROT_WRITE,
 *		    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0)
 *	tails: munmap(p, 4 KiB)
 *     whatever p's state, as in the test: half the maps replace a mapped page
 *     (an unmap and a map in one call) and half the unmaps find nothing to
 *     unmap, yet still take mmap_lock for writing.  The region settles with
 *     half its pages mapped, in about a quarter as many VMAs as pages (8192
 *     with 4 KiB pages), far below vm.max_map_count.
 *  3. Each op is followed by a 10 us pause, the review's setting.
 *
 * "4 KiB" is one page: the trace uses the generating host's page size.  With
 * --threads N, each thread runs its own mapper in its own 256 MiB window.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "workloads.h"

#define MAPPER_PAUSE_NS 10000

const char wl_mapper_description[] =
	"  Paul McKenney's test from the review of the per-VMA /proc/PID/maps series:\n"
	"  a thread maps and unmaps single pages of a 128 MiB anonymous region.\n"
	"\n"
	"  setup   mmap the region, PROT_WRITE, MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE\n"
	"  loop    draw a page p uniformly and toss a coin, whatever p's state:\n"
	"            heads  mmap p, one page, PROT_WRITE, the same flags\n"
	"            tails  munmap p, one page\n"
	"          then pause 10 us\n"
	"  threads each its own region, in windows 256 MiB apart\n";

/*
 * Median costs on a 6.18 x86_64 guest (2 vCPUs), measured in the steady
 * state of this loop (~9000 VMAs): mapping into a hole with MAP_POPULATE
 * 5.0 us, mapping over a mapped page 8.4 us, unmapping a mapped page 5.3 us,
 * unmapping a hole 0.5 us; populating the region 2.3 us a page after 1.5 us
 * of setup (75 ms for 128 MiB).  The generator adds the spread.
 */
#define COST_MAP_HOLE 5000
#define COST_MAP_OVER 8400
#define COST_UNMAP_MAPPED 5300
#define COST_UNMAP_HOLE 500
#define COST_REGION_BASE 1500
#define COST_REGION_PAGE 2300

static bool is_mapped(const struct wl_thread *th, uint64_t p)
{
	return th->mapped[p / 8] & (1u << (p % 8));
}

static void set_mapped(struct wl_thread *th, uint64_t p, bool on)
{
	if (on)
		th->mapped[p / 8] |= (uint8_t)(1u << (p % 8));
	else
		th->mapped[p / 8] &= (uint8_t) ~(1u << (p % 8));
}

static void mapper_next(struct wl_thread *th, struct vmt_op *op, uint64_t *cost_ns,
			uint64_t *pause_ns)
{
	const uint64_t flags = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	uint64_t p, addr;
	bool map;

	for (unsigned int i = 0; i < VMT_MAX_ARGS; i++)
		op->args[i] = 0;
	op->file = VMT_NONE;
	op->nargs = 0;
	*pause_ns = MAPPER_PAUSE_NS;
	if (th->nops == 0) {
		op->kind = VMT_OP_MMAP;
		op->args[0] = th->base;
		op->args[1] = th->npages * th->page_size;
		op->args[2] = PROT_WRITE;
		op->args[3] = flags;
		op->args[4] = (uint64_t)-1;
		op->ret = (int64_t)th->base;
		op->flags = VMT_OPF_SETUP; /* the region is not part of the measured load */
		for (p = 0; p < th->npages; p++)
			set_mapped(th, p, true);
		*cost_ns = COST_REGION_BASE + COST_REGION_PAGE * th->npages;
		return;
	}
	p = wl_rng_below(&th->rng, th->npages);
	map = wl_rng_next(&th->rng) >> 63;
	addr = th->base + p * th->page_size;
	op->args[0] = addr;
	op->args[1] = th->page_size;
	if (map) {
		op->kind = VMT_OP_MMAP;
		op->args[2] = PROT_WRITE;
		op->args[3] = flags;
		op->args[4] = (uint64_t)-1;
		op->ret = (int64_t)addr;
		*cost_ns = is_mapped(th, p) ? COST_MAP_OVER : COST_MAP_HOLE;
	} else {
		op->kind = VMT_OP_MUNMAP;
		op->ret = 0;
		*cost_ns = is_mapped(th, p) ? COST_UNMAP_MAPPED : COST_UNMAP_HOLE;
	}
	set_mapped(th, p, map);
}

int wl_mapper_thread_init(struct wl_thread *th)
{
	th->npages = WL_MAPPER_REGION / th->page_size;
	th->mapped = calloc((th->npages + 7) / 8, 1);
	if (!th->mapped)
		return -1;
	th->next = mapper_next;
	return 0;
}

void wl_mapper_thread_free(struct wl_thread *th)
{
	free(th->mapped);
	th->mapped = NULL;
}
