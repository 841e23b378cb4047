// SPDX-License-Identifier: GPL-2.0-only
/*
 * replay-layout.c - the layout a trace implies, worked out three ways that
 * do not use the replay engine, for tests/t0710-replay-fidelity.t to
 * compare with what `vmatrace replay --layout FILE` writes
 *
 *   replay-layout scenario TRACE   the scenario table (workloads/scenarios.c):
 *                                  each thread of a scenario workload has done
 *                                  n ops, so its window holds the start layout
 *                                  or the layout after step (n - setup) % cycle
 *   replay-layout model TRACE      a page model: which pages the mmap, munmap
 *                                  and mprotect calls leave mapped, with which
 *                                  protection, printed as maximal runs of equal
 *                                  protection (it knows nothing of anon_vma, so
 *                                  it is compared with the replay's layout
 *                                  after the same coalescing)
 *   replay-layout direct TRACE     the ops (anonymous mmap, munmap, mprotect,
 *                                  mremap) issued one after another in this
 *                                  process, at the traced addresses moved by
 *                                  a few TiB,
 *                                  every return value checked against the
 *                                  trace, then the VMAs read back with
 *                                  lib/procmap: the layout the kernel makes for
 *                                  that sequence
 *
 * Every mode prints one line per VMA (or run), in traced addresses and in the
 * format of the replay's --layout file: "0xSTART-0xEND rwxp".  Exit status 0,
 * 1 when the trace is outside what the mode understands (or an op of the
 * direct run returned something else than the trace says), 2 for usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "procmap.h"
#include "rangemap.h"
#include "replay/replay.h"
#include "vmt.h"
#include "workloads/workloads.h"

/* Where the direct run goes: the first of these offsets whose window is free here. */
static int64_t direct_offsets[] = { 1ll << 40, -(2ll << 40), 16ll << 40, -(16ll << 40) };
static uint64_t DIRECT_OFFSET; /* a multiple of 1 GiB, like the replay's deltas */
#define SHARED_BIT 0x100

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...)
{
	va_list ap;

	fputs("replay-layout: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void print_vma(uint64_t start, uint64_t end, unsigned int prot)
{
	printf("0x%" PRIx64 "-0x%" PRIx64 " %c%c%c%c\n", start, end, prot & PROT_READ ? 'r' : '-',
	       prot & PROT_WRITE ? 'w' : '-', prot & PROT_EXEC ? 'x' : '-',
	       prot & SHARED_BIT ? 's' : 'p');
}

static struct vmt_reader *open_trace(const char *path)
{
	char err[512];
	struct vmt_reader *r = vmt_reader_open(path, err, sizeof(err));

	if (!r)
		die("%s", err);
	return r;
}

/* ---- scenario: the table ---- */

struct scen_thread {
	const struct wl_scenario *sc;
	uint64_t ops, base;
};

static int mode_scenario(const char *path)
{
	struct vmt_reader *r = open_trace(path);
	struct scen_thread *th = NULL;
	struct vmt_record rec;
	uint32_t n = 0;
	uint64_t ps = vmt_reader_header(r)->page_size;
	int k;

	while ((k = vmt_reader_next(r, &rec)) > 0) {
		if (rec.type == VMT_REC_THREAD) {
			char name[64];

			th = realloc(th, (n + 1) * sizeof(*th));
			if (!th)
				die("out of memory");
			/* "merge-both" or, with --threads N, "merge-both/K" */
			snprintf(name, sizeof(name), "%s", rec.thread.name);
			name[strcspn(name, "/")] = '\0';
			th[n].sc = wl_scenario_find(name);
			if (!th[n].sc)
				die("thread %u '%s' is not a scenario", n, rec.thread.name);
			th[n].ops = 0;
			n++;
		} else if (rec.type == VMT_REC_OP) {
			struct scen_thread *t = &th[rec.op.thread];
			struct wl_step setup[WL_MAX_SETUP];

			/* the first op maps the first run of the start layout: the window's base */
			if (!t->ops++) {
				wl_scenario_setup(t->sc, setup, WL_MAX_SETUP);
				t->base = rec.op.args[0] - (uint64_t)setup[0].page * ps;
			}
		}
	}
	if (k < 0)
		die("%s", vmt_reader_error(r));
	vmt_reader_close(r);
	/* the generator gives thread k the k-th window: thread order is address order */
	for (uint32_t i = 0; i < n; i++) {
		struct wl_step setup[WL_MAX_SETUP];
		unsigned int nsetup = wl_scenario_setup(th[i].sc, setup, WL_MAX_SETUP);
		const struct wl_vma *l;

		if (i && th[i].base <= th[i - 1].base)
			die("thread %u's window is below thread %u's", i, i - 1);
		if (th[i].ops < nsetup)
			die("thread %u did %" PRIu64 " ops, fewer than its %u setup steps", i,
			    th[i].ops, nsetup);
		k = (int)((th[i].ops - nsetup) % th[i].sc->ncycle);
		l = k ? th[i].sc->cycle[k - 1].after : th[i].sc->start;
		for (unsigned int v = 0; v < wl_layout_len(l); v++)
			print_vma(th[i].base + (uint64_t)l[v].start * ps,
				  th[i].base + (uint64_t)l[v].end * ps, l[v].prot);
	}
	free(th);
	return 0;
}

/* ---- model: pages and their protection ---- */

struct covered {
	uint64_t (*r)[3];
	size_t n, cap;
};

static void collect(uint64_t start, uint64_t end, uint64_t value, void *arg)
{
	struct covered *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->r = realloc(c->r, c->cap * sizeof(*c->r));
		if (!c->r)
			die("out of memory");
	}
	c->r[c->n][0] = start;
	c->r[c->n][1] = end;
	c->r[c->n][2] = value;
	c->n++;
}

struct run {
	uint64_t start, end, value;
	bool open;
};

static void emit(uint64_t start, uint64_t end, uint64_t value, void *arg)
{
	struct run *run = arg;

	if (run->open && run->end == start && run->value == value) {
		run->end = end;
		return;
	}
	if (run->open)
		print_vma(run->start, run->end, (unsigned int)run->value);
	*run = (struct run){ start, end, value, true };
}

static int mode_model(const char *path)
{
	struct vmt_reader *r = open_trace(path);
	struct rangemap *m = rangemap_new();
	struct covered c = { 0 };
	struct run run = { 0 };
	struct vmt_record rec;
	uint64_t s, e, shared, nop = 0;
	int k;

	if (!m)
		die("out of memory");
	while ((k = vmt_reader_next(r, &rec)) > 0) {
		const struct vmt_op *op = &rec.op;

		if (rec.type == VMT_REC_MAP || rec.type == VMT_REC_EXEC)
			die("the model knows no initial snapshot and no exec");
		if (rec.type != VMT_REC_OP)
			continue;
		nop++;
		if (vmt_op_failed(op) || (op->flags & VMT_OPF_NO_EXIT))
			continue; /* a failed call changes nothing (the traces used here) */
		if (!vmt_op_range(op, &s, &e))
			die("op %" PRIu64 ": no range", nop);
		switch (op->kind) {
		case VMT_OP_MMAP:
			shared = (op->args[3] & 3) == MAP_SHARED ? SHARED_BIT : 0;
			if (!(op->args[3] & MAP_ANONYMOUS))
				die("op %" PRIu64 ": the model knows anonymous memory only", nop);
			if (rangemap_assign(m, s, e, op->args[2] | shared, NULL, NULL))
				die("out of memory");
			break;
		case VMT_OP_MUNMAP:
			if (rangemap_erase(m, s, e, NULL, NULL))
				die("out of memory");
			break;
		case VMT_OP_MPROTECT:
			/* only the mapped parts change; a successful mprotect has no hole */
			c.n = 0;
			if (rangemap_erase(m, s, e, collect, &c))
				die("out of memory");
			for (size_t i = 0; i < c.n; i++)
				if (rangemap_assign(m, c.r[i][0], c.r[i][1],
						    (c.r[i][2] & SHARED_BIT) | op->args[2], NULL,
						    NULL))
					die("out of memory");
			break;
		default:
			die("op %" PRIu64 ": the model knows mmap, munmap and mprotect only", nop);
		}
	}
	if (k < 0)
		die("%s", vmt_reader_error(r));
	vmt_reader_close(r);
	rangemap_walk(m, emit, &run);
	if (run.open)
		print_vma(run.start, run.end, (unsigned int)run.value);
	rangemap_free(m);
	free(c.r);
	return 0;
}

/* ---- direct: the kernel, without the replay engine ---- */

static int64_t issue(const struct vmt_op *op)
{
	void *a = (void *)(uintptr_t)(op->args[0] + DIRECT_OFFSET), *p;
	int flags = (int)op->args[3];

	switch (op->kind) {
	case VMT_OP_MMAP:
		if (!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))) {
			/* the kernel chose: the same place, never over anything */
			a = (void *)(uintptr_t)((uint64_t)op->ret + DIRECT_OFFSET);
			flags |= MAP_FIXED_NOREPLACE;
		}
		p = mmap(a, op->args[1], (int)op->args[2], flags, -1, 0);
		return p == MAP_FAILED ? -errno : (int64_t)((uintptr_t)p - DIRECT_OFFSET);
	case VMT_OP_MUNMAP:
		return munmap(a, op->args[1]) ? -errno : 0;
	case VMT_OP_MPROTECT:
		return mprotect(a, op->args[1], (int)op->args[2]) ? -errno : 0;
	case VMT_OP_MREMAP: {
		uint64_t dst = op->args[4] + DIRECT_OFFSET;

		if (!(flags & MREMAP_FIXED) && op->ret > 0 && (uint64_t)op->ret != op->args[0]) {
			/* the kernel moved it: to the same place */
			dst = (uint64_t)op->ret + DIRECT_OFFSET;
			flags |= MREMAP_MAYMOVE | MREMAP_FIXED;
		}
		p = mremap(a, op->args[1], op->args[2], flags, (void *)(uintptr_t)dst);
		return p == MAP_FAILED ? -errno : (int64_t)((uintptr_t)p - DIRECT_OFFSET);
	}
	default:
		return -ENOSYS;
	}
}

static int mode_direct(const char *path)
{
	struct vmt_reader *r = open_trace(path);
	struct procmap *pm;
	struct procmap_vma *v;
	struct vmt_record rec;
	uint64_t lo = UINT64_MAX, hi = 0, s, e, nop = 0, bad = 0;
	void *p;
	int k;

	if (vmt_reader_header(r)->page_size != (uint64_t)sysconf(_SC_PAGESIZE))
		die("the trace has another page size");
	while ((k = vmt_reader_next(r, &rec)) > 0) {
		const struct vmt_op *op = &rec.op;

		if (rec.type == VMT_REC_MAP || rec.type == VMT_REC_EXEC)
			die("the direct run knows no initial snapshot and no exec");
		if (rec.type != VMT_REC_OP)
			continue;
		if ((op->kind != VMT_OP_MMAP && op->kind != VMT_OP_MUNMAP &&
		     op->kind != VMT_OP_MPROTECT && op->kind != VMT_OP_MREMAP) ||
		    (op->kind == VMT_OP_MMAP && !(op->args[3] & MAP_ANONYMOUS)) ||
		    (op->flags & VMT_OPF_NO_EXIT))
			die("the direct run knows anonymous mmap, munmap, mprotect and mremap only");
		if (vmt_op_range(op, &s, &e)) {
			lo = s < lo ? s : lo;
			hi = e > hi ? e : hi;
		}
		/* where mmap and mremap put things */
		if ((op->kind == VMT_OP_MMAP || op->kind == VMT_OP_MREMAP) && op->ret > 0) {
			s = (uint64_t)op->ret;
			e = s + op->args[op->kind == VMT_OP_MMAP ? 1 : 2];
			lo = s < lo ? s : lo;
			hi = e > hi ? e : hi;
		}
	}
	if (k < 0)
		die("%s", vmt_reader_error(r));
	vmt_reader_close(r);
	if (lo >= hi)
		die("no range in the trace");
#ifdef REPLAY_TSAN
	/*
	 * ThreadSanitizer kills a process that maps outside its application
	 * ranges, where the offsets above lead: the window goes where the
	 * replay's own area is instead (replay/replay.h).
	 */
	direct_offsets[0] = (int64_t)(REPLAY_AREA_START - (lo & ~((1ull << 30) - 1)));
#endif
	/* the window must be free here; the trace starts from nothing */
	for (size_t i = 0; i < sizeof(direct_offsets) / sizeof(direct_offsets[0]); i++) {
		uint64_t off = (uint64_t)direct_offsets[i];

		if (lo + off < (1ull << 32) || hi + off > (1ull << 47) || lo + off > hi + off)
			continue;
		p = mmap((void *)(uintptr_t)(lo + off), hi - lo, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		munmap(p, hi - lo);
		if (p == (void *)(uintptr_t)(lo + off)) {
			DIRECT_OFFSET = off;
			break;
		}
	}
	if (!DIRECT_OFFSET)
		die("no free window for 0x%" PRIx64 "-0x%" PRIx64 " here", lo, hi);

	r = open_trace(path);
	while (vmt_reader_next(r, &rec) > 0) {
		int64_t got;

		if (rec.type != VMT_REC_OP)
			continue;
		nop++;
		got = issue(&rec.op);
		if (got != rec.op.ret && bad++ < 3)
			fprintf(stderr,
				"replay-layout: op %" PRIu64 " returned %" PRId64
				", the trace says %" PRId64 "\n",
				nop, got, rec.op.ret);
	}
	vmt_reader_close(r);

	pm = procmap_open(0, PROCMAP_METHOD_AUTO);
	v = malloc(sizeof(*v));
	if (!pm || !v || procmap_rewind(pm, lo + DIRECT_OFFSET))
		die("cannot read this process's VMAs: %s", strerror(errno));
	while (procmap_next(pm, v) > 0 && v->start < hi + DIRECT_OFFSET)
		print_vma(v->start - DIRECT_OFFSET, v->end - DIRECT_OFFSET,
			  (v->prot & VMT_MAP_READ ? PROT_READ : 0) |
				  (v->prot & VMT_MAP_WRITE ? PROT_WRITE : 0) |
				  (v->prot & VMT_MAP_EXEC ? PROT_EXEC : 0) |
				  (v->prot & VMT_MAP_SHARED ? SHARED_BIT : 0));
	procmap_close(pm);
	free(v);
	if (bad)
		die("%" PRIu64 " of %" PRIu64 " ops returned something else than the trace says",
		    bad, nop);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "scenario"))
		return mode_scenario(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "model"))
		return mode_model(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "direct"))
		return mode_direct(argv[2]);
	fputs("usage: replay-layout scenario|model|direct TRACE\n", stderr);
	return 2;
}
