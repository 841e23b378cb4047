// SPDX-License-Identifier: GPL-2.0-only
/*
 * scenarios.c - the ten merge/split scenarios of the seed email, as data
 *
 * Lorenzo Stoakes listed every way a VMA merges or splits while /proc/PID/maps
 * readers run (shared/seeds/vma-merge-scenarios-email.txt).  Each scenario
 * here is a start layout of anonymous VMAs in a small area and a cycle whose
 * first step takes the named kernel path and whose last step brings the area
 * back to the start layout, so the cycle can repeat for as long as a trace
 * lasts.  Layouts are in pages from the area's base; the area sits in a
 * window of its own with unmapped pages around it, so nothing outside the
 * scenario is ever a merge candidate.
 *
 * The paths are those of mm/vma.c (Linux 6.12 and later; checked on 6.18 by
 * vmatrace workload --verify):
 *
 *  - an mprotect that changes a VMA, or part of one, first tries
 *    vma_merge_existing_range(): a range that starts at the VMA's start may
 *    merge with prev, one that ends at its end with next.  Failing that,
 *    vma_modify() splits: split_vma(vma, start, new_below = 1) when the range
 *    starts inside the VMA, split_vma(vma, end, new_below = 0) when it ends
 *    inside it.  So changing the top part of a VMA is "split, new below" and
 *    changing its bottom part is "split, new above".
 *  - a new mapping placed next to compatible VMAs goes through
 *    vma_merge_new_range(), which extends prev and/or next.
 *  - munmap splits the same way before it detaches: __split_vma(vma, start, 1)
 *    when the range starts inside the first VMA, __split_vma(vma, end, 0) when
 *    it ends inside the last.
 *
 * Merges need equal vm_flags, and VM_ACCOUNT is one of them: a private
 * mapping gets it when it is writable; mprotect() to read-only drops it again
 * only on newer kernels and only while the VMA has no anon_vma.  So every VMA
 * of a start layout is carved out of one read-write mapping
 * (wl_scenario_setup()) and no step maps a read-only page anew: then VMAs of
 * equal protection agree on VM_ACCOUNT on every kernel, and the protection
 * alone decides what merges.  The pages are never touched, so no anon_vma is ever made and
 * anon_vma compatibility never stands in a merge's way.
 *
 * Several scenarios are each other's way back (merge-left-partial undoes
 * merge-right-partial and the other way round; a split-new-below is undone by
 * a merge-left-full), so pairs of workloads share their two operations and
 * differ in where the cycle starts: each workload's start layout is the one
 * its named path needs, and its first step is that path.
 */
#include <string.h>
#include <sys/mman.h>

#include "workloads.h"
#include "util.h"

#define RW (PROT_READ | PROT_WRITE)
#define RO PROT_READ

const struct wl_scenario wl_scenarios[] = {
	/*
	 * Merge both: the middle VMA becomes compatible with prev and next, prev
	 * extends to next's end, middle and next are detached and freed.
	 * Back: mprotect the middle back; a range strictly inside a VMA cannot
	 * merge, so vma_modify() splits at start (new below) and at end (new above).
	 */
	{
		.name = "merge-both",
		.title = "Merge both (merge with change to EXISTING VMA)",
		.summary = "mprotect middle to match prev and next: prev extends over both",
		.diagram = "       start    end\n"
			   "          |<---->|\n"
			   "  |-------********-------|\n"
			   "    prev   middle   next\n"
			   "   extend  delete  delete\n",
		.pages = 6,
		.start = { { 0, 2, RW }, { 2, 4, RO }, { 4, 6, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MPROTECT, 2, 2, RW, "merge-both", { { 0, 6, RW } } },
			{ WL_MPROTECT, 2, 2, RO, "split-new-below+split-new-above",
			  { { 0, 2, RW }, { 2, 4, RO }, { 4, 6, RW } } },
		},
	},
	/*
	 * Merge left full: all of middle becomes compatible with prev, which
	 * extends over it; middle is freed.  Nothing compatible follows middle.
	 * Back: mprotect the top of prev: split, new below.
	 */
	{
		.name = "merge-left-full",
		.title = "Merge left full (merge with change to EXISTING VMA)",
		.summary = "mprotect all of middle to match prev: prev extends, middle is freed",
		.diagram = "        start        end\n"
			   "          |<--------->|\n"
			   "  |-------*************\n"
			   "    prev     middle\n"
			   "   extend    delete\n",
		.pages = 4,
		.start = { { 0, 2, RW }, { 2, 4, RO } },
		.ncycle = 2,
		.cycle = {
			{ WL_MPROTECT, 2, 2, RW, "merge-left-full", { { 0, 4, RW } } },
			{ WL_MPROTECT, 2, 2, RO, "split-new-below", { { 0, 2, RW }, { 2, 4, RO } } },
		},
	},
	/*
	 * Merge left partial: the bottom of middle becomes compatible with prev;
	 * prev extends to end, middle starts at end.
	 * Back: mprotect the top of prev to match middle, a merge right partial.
	 */
	{
		.name = "merge-left-partial",
		.title = "Merge left partial (merge with change to EXISTING VMA)",
		.summary = "mprotect the bottom of middle to match prev: prev extends, middle shrinks",
		.diagram = "        start   end\n"
			   "          |<---->|\n"
			   "  |-------*************\n"
			   "    prev     middle\n"
			   "   extend  partial overwrite\n",
		.pages = 4,
		.start = { { 0, 2, RW }, { 2, 4, RO } },
		.ncycle = 2,
		.cycle = {
			{ WL_MPROTECT, 2, 1, RW, "merge-left-partial", { { 0, 3, RW }, { 3, 4, RO } } },
			{ WL_MPROTECT, 2, 1, RO, "merge-right-partial", { { 0, 2, RW }, { 2, 4, RO } } },
		},
	},
	/*
	 * Merge right full: all of middle becomes compatible with next, which
	 * extends down over it; middle is freed.  Nothing compatible precedes it.
	 * Back: mprotect the bottom of next: split, new above.
	 */
	{
		.name = "merge-right-full",
		.title = "Merge right full (merge with change to EXISTING VMA)",
		.summary = "mprotect all of middle to match next: next extends down, middle is freed",
		.diagram = "  start        end\n"
			   "    |<--------->|\n"
			   "    *************-------|\n"
			   "       middle     next\n"
			   "       delete    extend\n",
		.pages = 4,
		.start = { { 0, 2, RO }, { 2, 4, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MPROTECT, 0, 2, RW, "merge-right-full", { { 0, 4, RW } } },
			{ WL_MPROTECT, 0, 2, RO, "split-new-above", { { 0, 2, RO }, { 2, 4, RW } } },
		},
	},
	/*
	 * Merge right partial: the top of middle becomes compatible with next;
	 * middle ends at start, next starts at start.  The one merge where the
	 * VMA that survives is next, not the one being changed.
	 * Back: mprotect the bottom of next to match middle, a merge left partial.
	 */
	{
		.name = "merge-right-partial",
		.title = "Merge right partial (merge with change to EXISTING VMA)",
		.summary = "mprotect the top of middle to match next: middle shrinks, next extends down",
		.diagram = "    start    end\n"
			   "      |<----->|\n"
			   "  *************-------|\n"
			   "     middle     next\n"
			   "     shrink    extend\n",
		.pages = 4,
		.start = { { 0, 2, RO }, { 2, 4, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MPROTECT, 1, 1, RW, "merge-right-partial", { { 0, 1, RO }, { 1, 4, RW } } },
			{ WL_MPROTECT, 1, 1, RO, "merge-left-partial", { { 0, 2, RO }, { 2, 4, RW } } },
		},
	},
	/*
	 * New merge both: a mapping placed in the hole between prev and next;
	 * prev extends to next's end, next is freed, no new VMA is made.
	 * Back: munmap the same pages: split at start (new below) and at end (new
	 * above), then the middle piece is detached.
	 */
	{
		.name = "new-merge-both",
		.title = "Merge both (merge due to introduction of proposed NEW VMA)",
		.summary = "mmap into the hole between prev and next: prev extends over it and next",
		.diagram = "        start     end\n"
			   "          |<------>|\n"
			   "  |-------..........-------|\n"
			   "    prev  (proposed)  next\n"
			   "   extend            delete\n",
		.pages = 5,
		.start = { { 0, 2, RW }, { 3, 5, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MMAP, 2, 1, RW, "new-merge-both", { { 0, 5, RW } } },
			{ WL_MUNMAP, 2, 1, 0, "split-new-below+split-new-above",
			  { { 0, 2, RW }, { 3, 5, RW } } },
		},
	},
	/*
	 * New merge left: a mapping placed right after prev; prev extends.  The
	 * path of brk() and of the stack's relocation at exec.
	 * Back: munmap it: split, new below, then the top piece is detached.
	 */
	{
		.name = "new-merge-left",
		.title = "Merge left (merge due to introduction of proposed NEW VMA)",
		.summary = "mmap right after prev: prev extends (the brk() path)",
		.diagram = "        start     end\n"
			   "          |<------>|\n"
			   "  |-------..........\n"
			   "    prev  (proposed)\n"
			   "   extend\n",
		.pages = 3,
		.start = { { 0, 2, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MMAP, 2, 1, RW, "new-merge-left", { { 0, 3, RW } } },
			{ WL_MUNMAP, 2, 1, 0, "split-new-below", { { 0, 2, RW } } },
		},
	},
	/*
	 * New merge right: a mapping placed right before next; next extends down.
	 * Back: munmap it: split, new above, then the bottom piece is detached.
	 */
	{
		.name = "new-merge-right",
		.title = "Merge right (merge due to introduction of proposed NEW VMA)",
		.summary = "mmap right before next: next extends down",
		.diagram = "  start     end\n"
			   "    |<------>|\n"
			   "    ..........-------|\n"
			   "    (proposed)  next\n"
			   "               extend\n",
		.pages = 3,
		.start = { { 1, 3, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MMAP, 0, 1, RW, "new-merge-right", { { 0, 3, RW } } },
			{ WL_MUNMAP, 0, 1, 0, "split-new-above", { { 1, 3, RW } } },
		},
	},
	/*
	 * Split, new below: mprotect [addr, vma->vm_end).  The range starts inside
	 * the VMA, so split_vma(vma, addr, new_below = 1): the new VMA is
	 * [vm_start, addr) with the old protection, vma keeps [addr, vm_end) and
	 * takes the new one.  Nothing compatible follows, so no merge first.
	 * Back: mprotect the top back, a merge left full.
	 */
	{
		.name = "split-new-below",
		.title = "Split VMA, new below",
		.summary = "mprotect the top of a VMA: a new VMA takes the part below addr",
		.diagram = "      addr\n"
			   "  |-----.-----|\n"
			   "  | new .     |\n"
			   "  |-----.-----|\n"
			   "       vma\n",
		.pages = 4,
		.start = { { 0, 4, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MPROTECT, 2, 2, RO, "split-new-below", { { 0, 2, RW }, { 2, 4, RO } } },
			{ WL_MPROTECT, 2, 2, RW, "merge-left-full", { { 0, 4, RW } } },
		},
	},
	/*
	 * Split, new above: mprotect [vma->vm_start, addr).  The range ends inside
	 * the VMA, so split_vma(vma, addr, new_below = 0): the new VMA is
	 * [addr, vm_end) with the old protection, vma keeps [vm_start, addr) and
	 * takes the new one.  Nothing compatible precedes, so no merge first.
	 * Back: mprotect the bottom back, a merge right full.
	 */
	{
		.name = "split-new-above",
		.title = "Split VMA, otherwise (new above)",
		.summary = "mprotect the bottom of a VMA: a new VMA takes the part above addr",
		.diagram = "      addr\n"
			   "  |-----.-----|\n"
			   "  |     . new |\n"
			   "  |-----.-----|\n"
			   "       vma\n",
		.pages = 4,
		.start = { { 0, 4, RW } },
		.ncycle = 2,
		.cycle = {
			{ WL_MPROTECT, 0, 2, RO, "split-new-above", { { 0, 2, RO }, { 2, 4, RW } } },
			{ WL_MPROTECT, 0, 2, RW, "merge-right-full", { { 0, 4, RW } } },
		},
	},
};

const unsigned int wl_nscenarios = ARRAY_SIZE(wl_scenarios);

const struct wl_scenario *wl_scenario_find(const char *name)
{
	for (unsigned int i = 0; i < wl_nscenarios; i++)
		if (!strcmp(wl_scenarios[i].name, name))
			return &wl_scenarios[i];
	for (unsigned int i = 0; i < wl_nselftests; i++)
		if (!strcmp(wl_selftests[i].name, name))
			return &wl_selftests[i];
	return NULL;
}

unsigned int wl_layout_len(const struct wl_vma *layout)
{
	unsigned int n = 0;

	while (n < WL_MAX_VMAS && layout[n].end > layout[n].start)
		n++;
	return n;
}

bool wl_layout_equal(const struct wl_vma *a, unsigned int na, const struct wl_vma *b,
		     unsigned int nb)
{
	if (na != nb)
		return false;
	for (unsigned int i = 0; i < na; i++)
		if (a[i].start != b[i].start || a[i].end != b[i].end || a[i].prot != b[i].prot)
			return false;
	return true;
}

const char *wl_prot_str(unsigned int prot, char buf[4])
{
	buf[0] = prot & PROT_READ ? 'r' : '-';
	buf[1] = prot & PROT_WRITE ? 'w' : '-';
	buf[2] = prot & PROT_EXEC ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

void wl_layout_format(char *buf, size_t size, const struct wl_vma *layout, unsigned int n)
{
	size_t len = 0;
	char p[4];

	if (!size)
		return;
	buf[0] = '\0';
	if (!n) {
		strlcpy_(buf, "(empty)", size);
		return;
	}
	for (unsigned int i = 0; i < n && len < size; i++) {
		int w = snprintf(buf + len, size - len, "%s[%d,%d)%s", i ? " " : "",
				 layout[i].start, layout[i].end, wl_prot_str(layout[i].prot, p));

		if (w < 0)
			break;
		len += (size_t)w;
	}
}

static const char *op_name(enum wl_op op)
{
	switch (op) {
	case WL_MMAP:
		return "mmap";
	case WL_MUNMAP:
		return "munmap";
	case WL_MPROTECT:
		return "mprotect";
	case WL_MREMAP:
		return "mremap";
	}
	return "?";
}

void wl_step_format(char *buf, size_t size, const struct wl_step *st)
{
	char p[4];

	if (st->op == WL_MUNMAP)
		fmt_into(buf, size, "munmap [%d,%d)", st->page, st->page + st->npages);
	else if (st->op == WL_MREMAP)
		fmt_into(buf, size, "mremap [%d,%d) to [%d,%d)", st->page, st->page + st->npages,
			 st->mflags & MREMAP_FIXED ? st->to_page : st->page,
			 (st->mflags & MREMAP_FIXED ? st->to_page : st->page) + st->to_npages);
	else
		fmt_into(buf, size, "%s [%d,%d) %s", op_name(st->op), st->page,
			 st->page + st->npages, wl_prot_str(st->prot, p));
}

static void add_setup(struct wl_step *steps, unsigned int max, unsigned int *n, enum wl_op op,
		      int start, int end, uint8_t prot)
{
	if (*n < max) {
		memset(&steps[*n], 0, sizeof(steps[*n]));
		steps[*n].op = op;
		steps[*n].page = (int16_t)start;
		steps[*n].npages = (int16_t)(end - start);
		steps[*n].prot = prot;
		steps[*n].path = "setup";
	}
	(*n)++;
}

unsigned int wl_scenario_setup(const struct wl_scenario *s, struct wl_step *steps, unsigned int max)
{
	unsigned int len = wl_layout_len(s->start), n = 0, i, j;

	/* one read-write mapping per run of adjacent VMAs */
	for (i = 0; i < len; i = j) {
		for (j = i + 1; j < len && s->start[j].start == s->start[j - 1].end; j++)
			;
		add_setup(steps, max, &n, WL_MMAP, s->start[i].start, s->start[j - 1].end, RW);
	}
	for (i = 0; i < len; i++)
		if (s->start[i].prot != RW)
			add_setup(steps, max, &n, WL_MPROTECT, s->start[i].start, s->start[i].end,
				  s->start[i].prot);
	return n < max ? n : max;
}

void wl_step_op(const struct wl_step *st, uint64_t base, uint64_t page_size, struct vmt_op *op)
{
	uint64_t addr = base + (uint64_t)st->page * page_size;

	memset(op->args, 0, sizeof(op->args));
	op->nargs = 0;
	op->file = VMT_NONE;
	op->args[0] = addr;
	op->args[1] = (uint64_t)st->npages * page_size;
	op->ret = 0;
	switch (st->op) {
	case WL_MMAP:
		op->kind = VMT_OP_MMAP;
		op->args[2] = st->prot;
		op->args[3] = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS;
		op->args[4] = (uint64_t)-1; /* fd */
		op->ret = (int64_t)addr;
		break;
	case WL_MUNMAP:
		op->kind = VMT_OP_MUNMAP;
		break;
	case WL_MPROTECT:
		op->kind = VMT_OP_MPROTECT;
		op->args[2] = st->prot;
		break;
	case WL_MREMAP:
		op->kind = VMT_OP_MREMAP;
		op->args[2] = (uint64_t)st->to_npages * page_size;
		op->args[3] = st->mflags;
		if (st->mflags & MREMAP_FIXED) {
			op->args[4] = base + (uint64_t)st->to_page * page_size;
			op->ret = (int64_t)op->args[4];
		} else {
			op->ret = (int64_t)addr; /* resized in place */
		}
		break;
	}
}

void wl_scenario_describe(FILE *out, const struct wl_scenario *s)
{
	struct wl_step setup[WL_MAX_SETUP];
	unsigned int nsetup = wl_scenario_setup(s, setup, WL_MAX_SETUP);
	char layout[256], step[64];
	const char *p;

	fprintf(out, "%s: %s\n  %s\n\n", s->name, s->title, s->summary);
	/* the diagram, indented */
	for (p = s->diagram; *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(out, "  %.*s\n", n, p);
		p += n + (nl ? 1 : 0);
	}
	wl_layout_format(layout, sizeof(layout), s->start, wl_layout_len(s->start));
	fprintf(out, "\n  area    %d pages, in a window of its own between unmapped pages\n",
		s->pages);
	fprintf(out, "  start   %s\n  setup  ", layout);
	for (unsigned int i = 0; i < nsetup; i++) {
		wl_step_format(step, sizeof(step), &setup[i]);
		fprintf(out, "%s %s", i ? ";" : "", step);
	}
	fprintf(out, "\n");
	for (unsigned int i = 0; i < s->ncycle; i++) {
		const struct wl_step *st = &s->cycle[i];

		wl_step_format(step, sizeof(step), st);
		wl_layout_format(layout, sizeof(layout), st->after, wl_layout_len(st->after));
		fprintf(out, "  %-7s %d. %-20s %-31s -> %s\n", i ? "" : "cycle", i + 1, step,
			st->path, layout);
	}
}
