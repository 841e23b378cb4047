// SPDX-License-Identifier: GPL-2.0-only
/*
 * plan.c - the first pass over a trace: which processes to replay, and
 * where each part of their address spaces will go
 *
 * Every range an op touches (and every range of the initial snapshot) is
 * collected per process and coalesced, adjacency included, into clusters:
 *
 *   traced:   |--A--|--B--|    |--C--|               |--D--|
 *             [ cluster 0      ] [cl 1 ]               [cl 2 ]
 *
 * A cluster moves as one piece, so whatever was adjacent stays adjacent and
 * every merge and split happens as in the original; clusters are placed
 * REPLAY_GAP apart so two of them never touch.  Placement itself happens in
 * the replay process (engine.c), which knows its own address space.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "util.h"

const char *const skip_reason_names[SKIP_NR] = {
	[SKIP_DANGEROUS_ADVICE] = "dangerous_advice",
	[SKIP_UNSUPPORTED] = "unsupported",
	[SKIP_IMPOSSIBLE] = "impossible",
	[SKIP_NO_EXIT] = "no_exit",
};

struct range {
	uint64_t start, end;
};

struct ranges {
	struct range *r;
	size_t n, cap, nsorted;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge overlapping or touching ranges in place. */
static void coalesce(struct ranges *rs)
{
	size_t out = 0;

	if (!rs->n)
		return; /* no ranges: rs->r may be NULL, which qsort must not get */
	qsort(rs->r, rs->n, sizeof(*rs->r), cmp_range);
	for (size_t i = 0; i < rs->n; i++) {
		if (out && rs->r[i].start <= rs->r[out - 1].end) {
			if (rs->r[i].end > rs->r[out - 1].end)
				rs->r[out - 1].end = rs->r[i].end;
		} else {
			rs->r[out++] = rs->r[i];
		}
	}
	rs->n = rs->nsorted = out;
}

static int add_range(struct ranges *rs, uint64_t start, uint64_t end, uint64_t page)
{
	start &= ~(page - 1);
	end = (end + page - 1) & ~(page - 1);
	if (rs->n && rs->r[rs->n - 1].start == start && rs->r[rs->n - 1].end == end)
		return 0;
	if (rs->n == rs->cap) {
		if (rs->n - rs->nsorted >= 4096 && rs->n - rs->nsorted >= rs->nsorted) {
			coalesce(rs);
			if (rs->n < rs->cap / 2)
				goto add;
		}
		/* small at first: a trace can have 100 000 processes of one range each */
		size_t ncap = rs->cap ? rs->cap * 2 : 4;
		struct range *p = realloc(rs->r, ncap * sizeof(*p));

		if (!p)
			return -1;
		rs->r = p;
		rs->cap = ncap;
	}
add:
	rs->r[rs->n++] = (struct range){ start, end };
	return 0;
}

/*
 * Room for entry @n - 1 of a table that grows one entry at a time: doubled
 * when @n reaches a power of two, not reallocated for each of, say, 100 000
 * THREAD records.
 */
static void *grow(void *table, uint32_t n, size_t size)
{
	if (n & (n - 1))
		return table; /* still room since the last doubling */
	return realloc(table, (size_t)n * 2 * size);
}

/* The kernel's own mappings of a snapshot: never recreated. */
static bool special_map(const char *name)
{
	return !strcmp(name, "[vdso]") || !strcmp(name, "[vvar]") || !strcmp(name, "[vsyscall]") ||
	       !strcmp(name, "[vvar_vclock]") || !strcmp(name, "[uprobes]");
}

/* True when the op can be placed at all: a length, and inside a user address space. */
static bool op_possible(const struct vmt_op *op, uint64_t start, uint64_t end)
{
	(void)op;
	return end > start && end <= REPLAY_USER_LIMIT;
}

/* Add every range @op touches in the traced address space. */
static int op_ranges(struct ranges *rs, const struct vmt_op *op, uint64_t page, uint64_t *brk_lo,
		     uint64_t *brk_hi)
{
	uint64_t s, e;
	bool failed = vmt_op_failed(op);

	if (op->flags & VMT_OPF_NO_EXIT)
		return 0;
	switch (op->kind) {
	case VMT_OP_BRK:
		/* the heap: from the lowest break seen to the highest */
		if (!failed && op->ret > 0) {
			if ((uint64_t)op->ret < *brk_lo)
				*brk_lo = (uint64_t)op->ret;
			if ((uint64_t)op->ret > *brk_hi)
				*brk_hi = (uint64_t)op->ret;
		}
		return 0;
	case VMT_OP_MMAP:
		if (failed && !(op->args[3] & (0x10 | 0x100000))) /* MAP_FIXED, MAP_FIXED_NOREPLACE */
			return 0; /* the kernel was free to choose: it is replayed anywhere */
		break;
	case VMT_OP_MREMAP:
		if (!failed && op->args[2] && (uint64_t)op->ret + op->args[2] > (uint64_t)op->ret &&
		    add_range(rs, (uint64_t)op->ret, (uint64_t)op->ret + op->args[2], page))
			return -1;
		if ((op->args[3] & 2) && op->args[4] + op->args[2] > op->args[4] && /* MREMAP_FIXED */
		    op->args[4] + op->args[2] <= REPLAY_USER_LIMIT &&
		    add_range(rs, op->args[4], op->args[4] + op->args[2], page))
			return -1;
		break;
	default:
		break;
	}
	if (!vmt_op_range(op, &s, &e) || !op_possible(op, s, e))
		return 0;
	return add_range(rs, s, e, page);
}

int plan_build(const char *trace, int64_t pid, struct plan *plan, char *err, size_t errlen)
{
	struct vmt_reader *r = vmt_reader_open(trace, err, errlen);
	struct ranges *rs = NULL;
	uint64_t *brk_lo = NULL, *brk_hi = NULL;
	uint32_t cap = 0, nprocs = 0;
	struct vmt_record rec;
	int k, ret = -1;

	memset(plan, 0, sizeof(*plan));
	if (!r)
		return -1;
	plan->page_size = vmt_reader_header(r)->page_size;
	plan->lost_events = vmt_reader_header(r)->lost_events;
	while ((k = vmt_reader_next(r, &rec)) > 0) {
		uint32_t p;

		switch (rec.type) {
		case VMT_REC_PROCESS:
			nprocs = vmt_reader_nprocesses(r);
			if (nprocs > cap) {
				uint32_t ncap = cap ? cap * 2 : 16;
				void *a = realloc(rs, ncap * sizeof(*rs));
				void *b = a ? realloc(brk_lo, ncap * sizeof(*brk_lo)) : NULL;
				void *c = b ? realloc(brk_hi, ncap * sizeof(*brk_hi)) : NULL;
				void *d = c ? realloc(plan->procs, ncap * sizeof(*plan->procs)) : NULL;

				if (a)
					rs = a;
				if (b)
					brk_lo = b;
				if (c)
					brk_hi = c;
				if (d)
					plan->procs = d;
				if (!d) {
					snprintf(err, errlen, "%s: out of memory", trace);
					goto out;
				}
				memset(rs + cap, 0, (ncap - cap) * sizeof(*rs));
				memset(plan->procs + cap, 0, (ncap - cap) * sizeof(*plan->procs));
				cap = ncap;
			}
			p = nprocs - 1;
			plan->procs[p].process = p;
			plan->procs[p].pid = rec.process.pid;
			strlcpy_(plan->procs[p].name, rec.process.name, sizeof(plan->procs[p].name));
			brk_lo[p] = UINT64_MAX;
			brk_hi[p] = 0;
			break;
		case VMT_REC_FILE: {
			uint64_t *fs = grow(plan->file_size, vmt_reader_nfiles(r), sizeof(*fs));

			if (!fs) {
				snprintf(err, errlen, "%s: out of memory", trace);
				goto out;
			}
			plan->file_size = fs;
			fs[vmt_reader_nfiles(r) - 1] = rec.file.size;
			break;
		}
		case VMT_REC_THREAD: {
			uint8_t *to = grow(plan->thread_ops, vmt_reader_nthreads(r), 1);

			if (!to) {
				snprintf(err, errlen, "%s: out of memory", trace);
				goto out;
			}
			plan->thread_ops = to;
			to[vmt_reader_nthreads(r) - 1] = 0;
			plan->procs[rec.thread.process].nthreads++;
			plan->nthreads_total++;
			break;
		}
		case VMT_REC_MAP: {
			struct plan_proc *pp = &plan->procs[rec.map.process];

			if (rec.map.end > REPLAY_USER_LIMIT)
				break; /* [vsyscall] and the like: not replayable */
			if (add_range(&rs[rec.map.process], rec.map.start, rec.map.end, plan->page_size)) {
				snprintf(err, errlen, "%s: out of memory", trace);
				goto out;
			}
			if (special_map(rec.map.name))
				break; /* the replay process has its own */
			if (pp->nmaps == pp->maps_cap) {
				uint32_t ncap = pp->maps_cap ? pp->maps_cap * 2 : 64;
				struct plan_map *m = realloc(pp->maps, ncap * sizeof(*m));

				if (!m) {
					snprintf(err, errlen, "%s: out of memory", trace);
					goto out;
				}
				pp->maps = m;
				pp->maps_cap = ncap;
			}
			pp->maps[pp->nmaps++] = (struct plan_map){ .start = rec.map.start,
								   .end = rec.map.end,
								   .pgoff = rec.map.pgoff,
								   .prot = rec.map.prot,
								   .file = rec.map.file };
			break;
		}
		case VMT_REC_OP:
			p = vmt_reader_thread(r, rec.op.thread)->process;
			if (!plan->thread_ops[rec.op.thread]) {
				plan->thread_ops[rec.op.thread] = 1;
				plan->procs[p].nthreads_ops++;
			}
			if (!plan->ops)
				plan->t_first = rec.op.t_enter;
			plan->t_last = rec.op.t_enter;
			plan->ops++;
			plan->procs[p].ops++;
			/* a stand-in file must reach past the last page any mmap of it used */
			if (rec.op.kind == VMT_OP_MMAP && rec.op.file != VMT_NONE &&
			    rec.op.args[5] + rec.op.args[1] > rec.op.args[5] &&
			    rec.op.args[5] + rec.op.args[1] < (1ull << 50) &&
			    rec.op.args[5] + rec.op.args[1] > plan->file_size[rec.op.file])
				plan->file_size[rec.op.file] = rec.op.args[5] + rec.op.args[1];
			if (op_ranges(&rs[p], &rec.op, plan->page_size, &brk_lo[p], &brk_hi[p])) {
				snprintf(err, errlen, "%s: out of memory", trace);
				goto out;
			}
			break;
		default:
			break;
		}
	}
	if (k < 0) {
		snprintf(err, errlen, "%s", vmt_reader_error(r));
		goto out;
	}
	plan->nfiles = vmt_reader_nfiles(r);
	plan->nprocs = nprocs;
	if (pid >= 0) {
		uint32_t i;

		for (i = 0; i < nprocs && plan->procs[i].pid != (uint64_t)pid; i++)
			;
		if (i == nprocs) {
			snprintf(err, errlen, "%s: no process with pid %" PRId64 " in the trace", trace, pid);
			goto out;
		}
	}
	for (uint32_t p = 0; p < nprocs; p++) {
		struct plan_proc *pp = &plan->procs[p];

		if (brk_hi[p] > brk_lo[p] && add_range(&rs[p], brk_lo[p], brk_hi[p], plan->page_size)) {
			snprintf(err, errlen, "%s: out of memory", trace);
			goto out;
		}
		coalesce(&rs[p]);
		pp->clusters = calloc(rs[p].n ? rs[p].n : 1, sizeof(*pp->clusters));
		if (!pp->clusters) {
			snprintf(err, errlen, "%s: out of memory", trace);
			goto out;
		}
		for (size_t i = 0; i < rs[p].n; i++) {
			pp->clusters[i].start = rs[p].r[i].start;
			pp->clusters[i].end = rs[p].r[i].end;
			pp->footprint += rs[p].r[i].end - rs[p].r[i].start;
		}
		pp->nclusters = (uint32_t)rs[p].n;
	}
	ret = 0;
out:
	if (ret)
		plan->nprocs = nprocs;
	for (uint32_t p = 0; p < nprocs && rs; p++)
		free(rs[p].r);
	free(rs);
	free(brk_lo);
	free(brk_hi);
	vmt_reader_close(r);
	if (ret)
		plan_free(plan);
	return ret;
}

void plan_free(struct plan *plan)
{
	for (uint32_t p = 0; p < plan->nprocs; p++) {
		free(plan->procs[p].clusters);
		free(plan->procs[p].maps);
	}
	free(plan->procs);
	free(plan->thread_ops);
	free(plan->file_size);
	memset(plan, 0, sizeof(*plan));
}

const struct cluster *plan_cluster(const struct plan_proc *pp, uint64_t addr)
{
	uint32_t lo = 0, hi = pp->nclusters;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (pp->clusters[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pp->nclusters && pp->clusters[lo].start <= addr)
		return &pp->clusters[lo];
	return NULL;
}
