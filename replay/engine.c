// SPDX-License-Identifier: GPL-2.0-only
/*
 * engine.c - one replay process: relocate, order, pace and time the ops of
 * one traced process in as many threads as it had
 *
 *   dispatcher (this process's main thread)        workers (one per traced thread)
 *   ────────────────────────────────────────       ───────────────────────────────
 *   read the trace as a stream                     pop an entry from its ring
 *   relocate the op's addresses                    WAIT: until worker w has done n ops
 *   look up the last op on its range  ──ring──►    OP:   wait for its time (paced)
 *   push WAITs for other workers' ops,                   issue the syscall, time it
 *   then the op, to the op's worker                      count it done
 *
 * Ordering is per range, never global: an op waits only for the latest
 * earlier op of another worker that touched an overlapping range (the
 * rangemap remembers it), and a worker's own ops run in program order.
 * Every wait points at an op pushed earlier, so waits cannot form a cycle.
 *
 * Safety: every address an op uses is relocated into a cluster placed in
 * REPLAY_AREA (checked free with MAP_FIXED_NOREPLACE before use); mappings
 * the kernel chose in the trace are made with MAP_FIXED_NOREPLACE at their
 * relocated address; an op whose range is not in a placed cluster is not
 * issued.  So the replayer's own memory (heap, stacks, text, rings) is never
 * the target of any replayed call.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "procmap.h"
#include "rangemap.h"
#include "replay.h"
#include "tearing.h"
#include "util.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#define X_MAP_FIXED 0x10
#define X_MAP_ANONYMOUS 0x20
#define X_MAP_32BIT 0x40
#define X_MAP_SHARED_TYPE 0x3
#define X_MAP_LOCKED 0x2000
#define X_MAP_POPULATE 0x8000
#define X_MADV_POPULATE_READ 22
#define X_MADV_POPULATE_WRITE 23
/*
 * The most one op may populate (MAP_POPULATE, MAP_LOCKED, MADV_POPULATE_*):
 * enough for the mapper benchmark's 128 MiB populated arena, whose
 * anon_vma decides which of its VMAs merge, while a trace from a bigger
 * machine cannot exhaust this one.
 */
#define POPULATE_MAX (1ull << 30)
#define X_MREMAP_MAYMOVE 1
#define X_MREMAP_FIXED 2
#define X_MADV_HWPOISON 100
#define X_MADV_SOFT_OFFLINE 101

#define RING_SIZE 1024 /* entries per worker ring, a power of two */
#define SPIN_LOOPS 2000 /* busy polls before sleeping on a futex */
#define BUSY_WAIT_NS 50000 /* pacing: sleep until this close to the deadline, then spin */

enum rop_type {
	ROP_OP,
	ROP_WAIT,
	ROP_END,
};

/* Emulated or translated calls a worker issues. */
enum rop_call {
	CALL_MMAP,
	CALL_MUNMAP,
	CALL_MPROTECT,
	CALL_PKEY_MPROTECT,
	CALL_MREMAP,
	CALL_MADVISE,
	CALL_MSEAL,
};

/* One ring entry: everything a worker needs, already relocated. */
struct rop {
	uint8_t type; /* enum rop_type */
	uint8_t kind; /* enum vmt_op_kind, for the statistics */
	uint8_t call; /* enum rop_call */
	bool expect_fail; /* the op failed in the trace */
	bool kernel_chose; /* mmap at an address of the kernel's choosing: unmap if it lands */
	bool touch; /* touch the pages of a successful writable private mapping */
	bool setup; /* builds the start state: issued, not timed */
	bool inferred; /* a mapping the trace implies but never made: no outcome to compare */
	int32_t expect_errno;
	uint32_t wait_worker;
	uint64_t wait_done; /* WAIT: until worker wait_worker has done this many ops */
	uint64_t a[6];
	uint64_t expect_ret; /* relocated address an mmap/mremap should return */
	uint64_t sched_ns; /* absolute CLOCK_MONOTONIC deadline, 0 for as soon as possible */
	uint64_t trace_t; /* the traced op's enter time and thread, to name it in a mismatch */
	uint32_t trace_tid;
};

struct worker {
	pthread_t thread;
	unsigned int idx;
	struct engine *eng;
	/* producer and consumer indexes on their own cache lines */
	_Alignas(64) _Atomic uint32_t tail;
	_Alignas(64) _Atomic uint32_t head;
	_Atomic uint32_t consumer_sleeping;
	_Alignas(64) _Atomic uint64_t done; /* ops completed; futex on its low half */
	_Atomic uint32_t done_waiters;
	_Alignas(64) uint64_t pushed; /* ops pushed (dispatcher only) */
	struct rop ring[RING_SIZE];
	/* statistics: this thread only, merged after join */
	struct hist op[VMT_OP_NR], all, late, delay, pacing;
	uint64_t prev_end; /* when this worker's previous op returned */
	struct series_point *series;
	uint64_t ops, setup_ops, conflicts, mismatches, errors;
	uint32_t nmismatch_ex;
	struct replay_mismatch mismatch_ex[REPLAY_MISMATCH_EXAMPLES];
};

struct engine {
	const struct replay_options *opt;
	const struct plan *plan;
	const struct plan_proc *pp;
	struct replay_shm *shm;
	struct replay_stats *st;
	struct cluster *cl; /* this process's clusters with their placed deltas */
	bool *placed;
	int *file_fd; /* stand-in fd per traced file */
	int unknown_fd; /* stand-in for mmaps of files the trace could not identify */
	struct worker **workers;
	unsigned int nworkers;
	uint32_t *thread_worker; /* trace thread index -> worker, UINT32_MAX if not ours */
	uint32_t nthread_map;
	uint32_t next_worker; /* traced threads are dealt to workers round robin */
	struct rangemap *last; /* range -> (worker << 40 | done count after the op) */
	/*
	 * Traced ranges known to be mapped: made by a traced op or the initial
	 * snapshot since the last exec.  A successful op on memory outside it
	 * touched what the kernel mapped at exec (the program, ld.so, the stack)
	 * or what lost events hid: that memory is mapped first, untimed.
	 */
	struct rangemap *known;
	uint64_t *gaps; /* scratch: the unknown parts of one op's range, start-end pairs */
	size_t ngaps, gaps_cap;
	uint64_t gap_from; /* where the next unknown part would start */
	bool gaps_oom;
	uint64_t brk_cur; /* traced program break, 0 before the first brk */
	uint64_t page;
	uint64_t loop_offset_ns;
	uint64_t go_ns;
	uint64_t deadline_ns; /* --duration: no op starts after this; 0 for none */
	struct oplog *log; /* --check-tearing: what readers must know is changing */
	uint64_t snapshot_vmas; /* VMAs the snapshot may make (snapshot_budget()) */
};

static long futex(_Atomic uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, (uint32_t *)addr, op, val, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* ---- relocation ---- */

static const struct cluster *find_cluster(const struct engine *e, uint64_t addr, size_t *idx)
{
	const struct cluster *c = plan_cluster(&(struct plan_proc){ .clusters = e->cl,
								    .nclusters = e->pp->nclusters },
					       addr);

	if (c && idx)
		*idx = (size_t)(c - e->cl);
	return c;
}

/* Relocate [addr, addr + len): false if it is not inside one placed cluster. */
static bool reloc(const struct engine *e, uint64_t addr, uint64_t len, uint64_t *out)
{
	size_t i;
	const struct cluster *c = find_cluster(e, addr, &i);

	if (!c || !e->placed[i] || addr + len < addr || addr + len > c->end)
		return false;
	*out = addr + (uint64_t)c->delta;
	return true;
}

/*
 * Place each cluster at a free, REPLAY_ALIGN-congruent address of the replay
 * area; the check maps it PROT_NONE with MAP_FIXED_NOREPLACE and unmaps it.
 */
static void place_clusters(struct engine *e)
{
	uint64_t cursor = REPLAY_AREA_START;

	for (uint32_t i = 0; i < e->pp->nclusters; i++) {
		struct cluster *c = &e->cl[i];
		uint64_t size = c->end - c->start;

		for (int tries = 0; tries < 64; tries++) {
			uint64_t slot = ((cursor + REPLAY_ALIGN - 1) & ~(REPLAY_ALIGN - 1)) +
					(c->start & (REPLAY_ALIGN - 1));
			void *p;

			if (slot + size + REPLAY_GAP > REPLAY_AREA_END || slot + size < slot)
				break;
			p = mmap((void *)slot, size, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
			if (p == (void *)slot) {
				munmap(p, size);
				c->delta = (int64_t)(slot - c->start);
				e->placed[i] = true;
				e->st->placed_clusters++;
				cursor = slot + size + REPLAY_GAP;
				break;
			}
			if (p != MAP_FAILED)
				munmap(p, size); /* an old kernel took it as a hint */
			cursor = slot + REPLAY_ALIGN;
		}
		if (!e->placed[i])
			e->st->conflicts++;
	}
}

/* Unmap everything of every placed cluster: the state before the first op. */
static void reset_clusters(struct engine *e)
{
	for (uint32_t i = 0; i < e->pp->nclusters; i++) {
		struct vrange v = { e->cl[i].start + (uint64_t)e->cl[i].delta,
				    e->cl[i].end + (uint64_t)e->cl[i].delta };

		if (!e->placed[i])
			continue;
		/* readers must not take a reset for a tear: the dispatcher's slot says it */
		if (e->log)
			oplog_begin(e->log, e->nworkers, &v, 1);
		munmap((void *)v.start, v.end - v.start);
		if (e->log)
			oplog_end(e->log, e->nworkers);
	}
	e->brk_cur = 0;
	rangemap_clear(e->last);
	rangemap_clear(e->known);
}

/*
 * How many lines of the snapshot may be made: vm.max_map_count less the VMAs
 * this process has, less a reserve for what it maps itself while it replays
 * (the trace reader's buffers on every pass, the layout file).  A capture host
 * with a higher limit can have a snapshot that does not fit here; without the
 * reserve, the replay would run out of VMAs for its own memory and fail.
 */
#define VMA_RESERVE 512

static uint64_t snapshot_budget(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	unsigned long long max = 0;
	uint64_t have = 0;
	int c;

	if (!f || fscanf(f, "%llu", &max) != 1)
		max = 65530; /* the kernel's default */
	if (f)
		fclose(f);
	f = fopen("/proc/self/maps", "r");
	while (f && (c = getc(f)) != EOF)
		have += c == '\n';
	if (f)
		fclose(f);
	return max > have + VMA_RESERVE ? max - have - VMA_RESERVE : 0;
}

/* Recreate the initial snapshot: the neighbours the traced ops merged with. */
static void map_initial(struct engine *e)
{
	uint64_t made = 0;

	for (uint32_t i = 0; i < e->pp->nmaps; i++) {
		const struct plan_map *m = &e->pp->maps[i];
		int prot = (m->prot & VMT_MAP_READ ? PROT_READ : 0) |
			   (m->prot & VMT_MAP_WRITE ? PROT_WRITE : 0) |
			   (m->prot & VMT_MAP_EXEC ? PROT_EXEC : 0);
		int flags = (m->prot & VMT_MAP_SHARED ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED_NOREPLACE;
		int fd = -1;
		uint64_t addr;

		if (!reloc(e, m->start, m->end - m->start, &addr))
			continue;
		if (made >= e->snapshot_vmas) {
			e->st->conflicts++; /* no VMA left for it on this machine */
			continue;
		}
		if (m->file != VMT_NONE && e->file_fd[m->file] >= 0)
			fd = e->file_fd[m->file];
		else
			flags |= MAP_ANONYMOUS;
		if (e->log)
			oplog_begin(e->log, e->nworkers, &(struct vrange){ addr, addr + m->end - m->start }, 1);
		if (mmap((void *)addr, m->end - m->start, prot, flags, fd, fd >= 0 ? (off_t)m->pgoff : 0) ==
		    MAP_FAILED)
			e->st->conflicts++;
		else if (rangemap_assign(e->known, m->start, m->end, 1, NULL, NULL) == 0)
			made++;
		else
			made++; /* without room to note it, an op on it may map it again: EEXIST, ignored */
		if (e->log)
			oplog_end(e->log, e->nworkers);
	}
}

/* ---- workers ---- */

static void wait_done(struct worker *w, uint64_t n, volatile int *stop)
{
	for (int i = 0; atomic_load_explicit(&w->done, memory_order_acquire) < n; i++) {
		if (__atomic_load_n(stop, __ATOMIC_RELAXED))
			return;
		if (i < SPIN_LOOPS) {
			cpu_relax();
			continue;
		}
		uint64_t seen = atomic_load_explicit(&w->done, memory_order_acquire);

		if (seen >= n)
			return;
		atomic_fetch_add(&w->done_waiters, 1);
		/* futex on the low half of the counter (little endian); a timeout guards stop */
		struct timespec ts = { 0, 10000000 };

		syscall(SYS_futex, (uint32_t *)&w->done, FUTEX_WAIT_PRIVATE, (uint32_t)seen, &ts, NULL, 0);
		atomic_fetch_sub(&w->done_waiters, 1);
	}
}

static void pace(uint64_t deadline)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	if (now + BUSY_WAIT_NS < deadline) {
		uint64_t wake = deadline - BUSY_WAIT_NS;
		struct timespec ts = { (time_t)(wake / 1000000000ull), (long)(wake % 1000000000ull) };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	while (now_ns(CLOCK_MONOTONIC) < deadline)
		cpu_relax();
}

/*
 * Fault in a new mapping the way a program that uses it would.  At most
 * TOUCH_MAX bytes of each: a traced multi-GiB reservation made writable is
 * rarely used in full, and touching all of it could exhaust this machine.
 */
#define TOUCH_MAX (64ull << 20)

static void touch_pages(uint64_t addr, uint64_t len, uint64_t page)
{
	if (len > TOUCH_MAX)
		len = TOUCH_MAX;
	for (uint64_t p = addr; p < addr + len; p += page)
		*(volatile char *)p = 1;
}

/* Issue one call; returns the raw result (-errno on failure). */
static int64_t issue(const struct rop *r)
{
	long ret;

	switch (r->call) {
	case CALL_MMAP: {
		void *p = mmap((void *)r->a[0], r->a[1], (int)r->a[2], (int)r->a[3], (int)r->a[4],
			       (off_t)r->a[5]);

		return p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
	}
	case CALL_MUNMAP:
		ret = munmap((void *)r->a[0], r->a[1]);
		break;
	case CALL_MPROTECT:
		ret = mprotect((void *)r->a[0], r->a[1], (int)r->a[2]);
		break;
	case CALL_PKEY_MPROTECT:
		ret = syscall(SYS_pkey_mprotect, r->a[0], r->a[1], r->a[2], r->a[3]);
		break;
	case CALL_MREMAP: {
		void *p = mremap((void *)r->a[0], r->a[1], r->a[2], (int)r->a[3], (void *)r->a[4]);

		return p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
	}
	case CALL_MADVISE:
		ret = madvise((void *)r->a[0], r->a[1], (int)r->a[2]);
		break;
	case CALL_MSEAL:
#ifdef SYS_mseal
		ret = syscall(SYS_mseal, r->a[0], r->a[1], r->a[2]);
#else
		ret = syscall(462, r->a[0], r->a[1], r->a[2]);
#endif
		break;
	default:
		return -ENOSYS;
	}
	return ret < 0 ? -errno : ret;
}

/* The relocated ranges a call changes, for the readers' tearing check. */
static unsigned int rop_ranges(const struct rop *r, struct vrange *v)
{
	switch (r->call) {
	case CALL_MMAP:
		if (!r->a[0])
			return 0; /* placed by the kernel outside the replay area */
		v[0] = (struct vrange){ r->a[0], r->a[0] + r->a[1] };
		return 1;
	case CALL_MREMAP:
		v[0] = (struct vrange){ r->a[0], r->a[0] + (r->a[1] > r->a[2] ? r->a[1] : r->a[2]) };
		if (!r->a[4])
			return 1;
		v[1] = (struct vrange){ r->a[4], r->a[4] + r->a[2] };
		return 2;
	default:
		v[0] = (struct vrange){ r->a[0], r->a[0] + r->a[1] };
		return 1;
	}
}

/* Count an outcome that differs from the trace's, keeping the first few. */
static void mismatch(struct worker *w, const struct rop *r, int64_t ret)
{
	if (w->nmismatch_ex < REPLAY_MISMATCH_EXAMPLES) {
		struct replay_mismatch *m = &w->mismatch_ex[w->nmismatch_ex++];

		m->t = r->trace_t;
		m->tid = r->trace_tid;
		m->kind = r->kind;
		m->traced = r->expect_fail ? -(int64_t)r->expect_errno : (int64_t)r->expect_ret;
		m->replayed = ret;
	}
	w->mismatches++;
}

static void run_op(struct worker *w, const struct rop *r)
{
	struct engine *e = w->eng;
	uint64_t t0, t1, prev_end = w->prev_end;
	int64_t ret;
	bool failed;

	/* --duration is over, or will be by the op's time: it is not issued (nor waited for) */
	if (e->deadline_ns && r->sched_ns >= e->deadline_ns)
		return;
	if (r->sched_ns)
		pace(r->sched_ns);
	t0 = now_ns(CLOCK_MONOTONIC);
	if (e->deadline_ns && t0 >= e->deadline_ns)
		return;
	if (e->log) {
		struct vrange v[2];

		oplog_begin(e->log, w->idx, v, rop_ranges(r, v));
		ret = issue(r);
		oplog_end(e->log, w->idx);
	} else {
		ret = issue(r);
	}
	t1 = now_ns(CLOCK_MONOTONIC);
	w->prev_end = t1;
	if (r->setup) {
		if (r->inferred)
			return; /* counted as made; EEXIST means the memory was there after all */
		w->setup_ops++;
		goto outcome;
	}
	hist_record(&w->op[r->kind], t1 - t0);
	hist_record(&w->all, t1 - t0);
	if (r->sched_ns) {
		uint64_t ready = r->sched_ns > prev_end ? r->sched_ns : prev_end;

		hist_record(&w->late, t0 > r->sched_ns ? t0 - r->sched_ns : 0);
		hist_record(&w->delay, t1 > r->sched_ns ? t1 - r->sched_ns : 0);
		hist_record(&w->pacing, t0 > ready ? t0 - ready : 0);
	}
	if (w->series && e->opt->interval_ns && t1 >= e->go_ns) {
		uint64_t i = (t1 - e->go_ns) / e->opt->interval_ns;

		if (i < REPLAY_SERIES_MAX) {
			w->series[i].count++;
			w->series[i].sum_ns += t1 - t0;
			if (t1 - t0 > w->series[i].max_ns)
				w->series[i].max_ns = t1 - t0;
		}
	}
	w->ops++;
outcome:
	failed = ret < 0 && ret >= -4095;
	if (failed != r->expect_fail || (failed && -ret != r->expect_errno)) {
		if (failed && ret == -EEXIST && !r->expect_fail)
			w->conflicts++; /* the relocated range was taken */
		else
			mismatch(w, r, ret);
	} else if (!failed && r->expect_ret && (uint64_t)ret != r->expect_ret) {
		mismatch(w, r, ret);
	}
	if (!failed && r->kernel_chose && r->call == CALL_MMAP)
		munmap((void *)(uintptr_t)ret, r->a[1]); /* failed in the trace: keep the layout */
	else if (!failed && r->touch)
		touch_pages(r->call == CALL_MREMAP ? (uint64_t)ret : r->a[0],
			    r->call == CALL_MREMAP ? r->a[2] : r->a[1], e->page);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	volatile int *stop = &w->eng->shm->stop;

	/* the default 50 us timer slack would be lateness of its own */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	for (;;) {
		uint32_t head = atomic_load_explicit(&w->head, memory_order_relaxed);
		int spins = 0;
		struct rop *r;

		while (atomic_load_explicit(&w->tail, memory_order_acquire) == head) {
			if (++spins < SPIN_LOOPS) {
				cpu_relax();
				continue;
			}
			/* seq_cst, with push(): either it sees the new tail or push() sees us asleep */
			atomic_store(&w->consumer_sleeping, 1);
			if (atomic_load(&w->tail) == head) {
				struct timespec ts = { 0, 10000000 };

				syscall(SYS_futex, (uint32_t *)&w->tail, FUTEX_WAIT_PRIVATE, head, &ts,
					NULL, 0);
			}
			atomic_store(&w->consumer_sleeping, 0);
		}
		r = &w->ring[head & (RING_SIZE - 1)];
		if (r->type == ROP_END)
			break;
		if (r->type == ROP_WAIT) {
			wait_done(w->eng->workers[r->wait_worker], r->wait_done, stop);
		} else if (!__atomic_load_n(stop, __ATOMIC_RELAXED)) {
			run_op(w, r);
		}
		if (r->type == ROP_OP) {
			atomic_fetch_add_explicit(&w->done, 1, memory_order_release);
			if (atomic_load(&w->done_waiters))
				futex((_Atomic uint32_t *)&w->done, FUTEX_WAKE_PRIVATE, INT32_MAX);
		}
		atomic_store_explicit(&w->head, head + 1, memory_order_release);
	}
	return NULL;
}

/* ---- dispatcher ---- */

static void push(struct worker *w, const struct rop *r)
{
	uint32_t tail = atomic_load_explicit(&w->tail, memory_order_relaxed);

	while (tail - atomic_load_explicit(&w->head, memory_order_acquire) >= RING_SIZE) {
		struct timespec ts = { 0, 20000 };

		nanosleep(&ts, NULL);
	}
	w->ring[tail & (RING_SIZE - 1)] = *r;
	/*
	 * seq_cst, not just release: a release store may pass the load of
	 * consumer_sleeping below (x86 store buffer), and a worker going to
	 * sleep at that moment would miss the entry until its futex timeout.
	 */
	atomic_store(&w->tail, tail + 1);
	if (atomic_load(&w->consumer_sleeping))
		futex(&w->tail, FUTEX_WAKE_PRIVATE, 1);
	if (r->type == ROP_OP)
		w->pushed++;
}

struct dep_ctx {
	uint64_t *need; /* per worker: done count to wait for */
	unsigned int self;
};

static void note_dep(uint64_t start, uint64_t end, uint64_t value, void *arg)
{
	struct dep_ctx *d = arg;
	unsigned int w = (unsigned int)(value >> 40);
	uint64_t n = value & ((1ull << 40) - 1);

	(void)start;
	(void)end;
	if (w != d->self && n > d->need[w])
		d->need[w] = n;
}

/* Push the WAITs that order @r after earlier ops of other workers on its ranges, then @r. */
static int push_ordered(struct engine *e, unsigned int wi, struct rop *r, const uint64_t *rs,
			unsigned int nranges, uint64_t *need)
{
	struct worker *w = e->workers[wi];
	struct dep_ctx d = { need, wi };
	uint64_t tag = (uint64_t)wi << 40 | (w->pushed + 1);

	if (e->nworkers > 1) {
		memset(need, 0, e->nworkers * sizeof(*need));
		for (unsigned int i = 0; i < nranges; i++)
			if (rangemap_assign(e->last, rs[2 * i], rs[2 * i + 1], tag, note_dep, &d))
				return -1;
		for (unsigned int o = 0; o < e->nworkers; o++) {
			struct rop wr = { .type = ROP_WAIT, .wait_worker = o, .wait_done = need[o] };

			/* already done: no need to queue a wait */
			if (need[o] && atomic_load_explicit(&e->workers[o]->done,
							    memory_order_acquire) < need[o])
				push(w, &wr);
		}
	}
	r->type = ROP_OP;
	push(w, r);
	return 0;
}

/* Only private anonymous memory is touched: a stand-in file may end before the mapping does. */
static bool touchable(uint64_t prot, uint64_t flags)
{
	return (prot & PROT_WRITE) && (flags & X_MAP_SHARED_TYPE) == MAP_PRIVATE &&
	       (flags & X_MAP_ANONYMOUS);
}

/*
 * Turn a traced op into a relocated call.  Returns 1 to push it, 0 when it
 * is skipped (counted), -1 on error.  @rs receives its traced ranges.
 */
static int translate(struct engine *e, const struct vmt_op *op, struct rop *r, uint64_t *rs,
		     unsigned int *nranges)
{
	const uint64_t *a = op->args;
	uint64_t x;
	bool failed = vmt_op_failed(op);

	memset(r, 0, sizeof(*r));
	r->kind = op->kind;
	r->setup = op->flags & VMT_OPF_SETUP;
	r->expect_fail = failed;
	r->expect_errno = failed ? (int32_t)-op->ret : 0;
	*nranges = 0;
	if (op->flags & VMT_OPF_NO_EXIT) {
		e->st->skipped[SKIP_NO_EXIT]++;
		return 0;
	}
	switch (op->kind) {
	case VMT_OP_MMAP: {
		uint64_t flags = a[3] & ~(uint64_t)X_MAP_32BIT, target;
		bool fixed = flags & (X_MAP_FIXED | MAP_FIXED_NOREPLACE);

		if (!a[1] || a[1] >= REPLAY_USER_LIMIT)
			goto impossible;
		/*
		 * Memory is bounded: a mapping of more than POPULATE_MAX made with
		 * MAP_POPULATE or MAP_LOCKED is mapped without them (counted).  (A
		 * lost MAP_LOCKED also loses VM_LOCKED, which keeps it from merging
		 * with unlocked neighbours.)
		 */
		if ((flags & (X_MAP_POPULATE | X_MAP_LOCKED)) && a[1] > POPULATE_MAX && !failed) {
			flags &= ~(uint64_t)(X_MAP_POPULATE | X_MAP_LOCKED);
			e->st->bounded++;
		}
		if (fixed) {
			target = a[0];
		} else if (!failed) {
			target = (uint64_t)op->ret;
			flags |= MAP_FIXED_NOREPLACE;
		} else {
			target = 0; /* failed where the kernel chose: try it anywhere */
			r->kernel_chose = true;
		}
		/*
		 * Address 0 is an address like any other here (MAP_FIXED at 0): only
		 * the kernel's own choice goes unrelocated.  Issued as it is, a MAP_FIXED
		 * mmap at 0 would replace whatever this process has from there on.
		 */
		if (!r->kernel_chose) {
			if (!reloc(e, target, a[1], &x))
				goto impossible;
			rs[0] = target;
			rs[1] = target + a[1];
			*nranges = 1;
		} else {
			x = 0;
		}
		r->call = CALL_MMAP;
		r->a[0] = x;
		r->a[1] = a[1];
		r->a[2] = a[2];
		r->a[3] = flags;
		if (flags & X_MAP_ANONYMOUS)
			r->a[4] = (uint64_t)-1;
		else if (op->file != VMT_NONE && e->file_fd[op->file] >= 0)
			r->a[4] = (uint64_t)e->file_fd[op->file];
		else
			r->a[4] = (uint64_t)e->unknown_fd;
		r->a[5] = (flags & X_MAP_ANONYMOUS) ? 0 : a[5];
		r->expect_ret = failed || !x ? 0 : x;
		r->touch = e->opt->touch && touchable(a[2], flags);
		return 1;
	}
	case VMT_OP_MUNMAP:
	case VMT_OP_MPROTECT:
	case VMT_OP_PKEY_MPROTECT:
	case VMT_OP_MADVISE:
	case VMT_OP_MSEAL:
		if (op->kind == VMT_OP_MADVISE &&
		    (a[2] == X_MADV_HWPOISON || a[2] == X_MADV_SOFT_OFFLINE)) {
			e->st->skipped[SKIP_DANGEROUS_ADVICE]++;
			return 0;
		}
		if (!a[1] || !reloc(e, a[0], a[1], &x))
			goto impossible;
		r->call = op->kind == VMT_OP_MUNMAP	   ? CALL_MUNMAP :
			  op->kind == VMT_OP_MPROTECT	   ? CALL_MPROTECT :
			  op->kind == VMT_OP_PKEY_MPROTECT ? CALL_PKEY_MPROTECT :
			  op->kind == VMT_OP_MADVISE	   ? CALL_MADVISE :
							     CALL_MSEAL;
		r->a[0] = x;
		r->a[1] = a[1];
		r->a[2] = a[2];
		if (op->kind == VMT_OP_MADVISE && !failed && a[1] > POPULATE_MAX &&
		    (a[2] == X_MADV_POPULATE_READ || a[2] == X_MADV_POPULATE_WRITE)) {
			r->a[1] = POPULATE_MAX; /* faults in the first POPULATE_MAX bytes only */
			e->st->bounded++;
		}
		/* protection keys are not replayed: the replayer owns none of the traced keys */
		r->a[3] = (uint64_t)-1;
		rs[0] = a[0];
		rs[1] = a[0] + a[1];
		*nranges = 1;
		return 1;
	case VMT_OP_MREMAP: {
		uint64_t flags = a[3], dst = 0, old;
		uint64_t span = a[1] > a[2] ? a[1] : a[2];

		if (!a[2] || !reloc(e, a[0], a[1] ? a[1] : 1, &old))
			goto impossible;
		if (flags & X_MREMAP_FIXED) {
			if (!reloc(e, a[4], a[2], &dst))
				goto impossible;
		} else if (!failed && (uint64_t)op->ret != a[0]) {
			/* the kernel moved it: move it to the same relocated place */
			if (!reloc(e, (uint64_t)op->ret, a[2], &dst))
				goto impossible;
			flags |= X_MREMAP_MAYMOVE | X_MREMAP_FIXED;
		}
		r->call = CALL_MREMAP;
		r->a[0] = old;
		r->a[1] = a[1];
		r->a[2] = a[2];
		r->a[3] = flags;
		r->a[4] = dst;
		if (!failed)
			r->expect_ret = dst ? dst : old;
		rs[0] = a[0];
		rs[1] = a[0] + span;
		*nranges = 1;
		if (dst) {
			uint64_t tdst = (flags & X_MREMAP_FIXED) && !(a[3] & X_MREMAP_FIXED) ?
						(uint64_t)op->ret : a[4];

			rs[2] = tdst;
			rs[3] = tdst + a[2];
			*nranges = 2;
		}
		/* not touched: whether the grown part is anonymous is not known here */
		return 1;
	}
	case VMT_OP_BRK: {
		uint64_t want = (e->page - 1), lo, hi;

		/* brk is emulated with anonymous mappings that merge left, as the heap does */
		if (failed || op->ret <= 0 || (uint64_t)op->ret >= REPLAY_USER_LIMIT)
			goto impossible; /* brk returns a user address, never an error */
		if (!e->brk_cur) {
			e->brk_cur = (uint64_t)op->ret; /* the first break: nothing mapped yet */
			return 0;
		}
		lo = (e->brk_cur + want) & ~want;
		hi = ((uint64_t)op->ret + want) & ~want;
		e->brk_cur = (uint64_t)op->ret;
		if (lo == hi)
			return 0;
		if (hi > lo) {
			if (!reloc(e, lo, hi - lo, &x))
				goto impossible;
			r->call = CALL_MMAP;
			r->a[0] = x;
			r->a[1] = hi - lo;
			r->a[2] = PROT_READ | PROT_WRITE;
			r->a[3] = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
			r->a[4] = (uint64_t)-1;
			r->expect_ret = x;
			r->touch = e->opt->touch;
			rs[0] = lo;
			rs[1] = hi;
		} else {
			if (!reloc(e, hi, lo - hi, &x))
				goto impossible;
			r->call = CALL_MUNMAP;
			r->a[0] = x;
			r->a[1] = lo - hi;
			rs[0] = hi;
			rs[1] = lo;
		}
		r->expect_fail = false;
		r->expect_errno = 0;
		*nranges = 1;
		return 1;
	}
	default:
		e->st->skipped[SKIP_UNSUPPORTED]++;
		return 0;
	}
impossible:
	e->st->skipped[SKIP_IMPOSSIBLE]++;
	return 0;
}

/* rangemap callback: note the gap before each known part of the range being filled. */
static void note_known(uint64_t start, uint64_t end, uint64_t value, void *arg)
{
	struct engine *e = arg;

	(void)value;
	if (start > e->gap_from && !e->gaps_oom) {
		if (2 * e->ngaps + 2 > e->gaps_cap) {
			size_t cap = e->gaps_cap * 2;
			uint64_t *g = realloc(e->gaps, cap * sizeof(*g));

			if (!g) {
				e->gaps_oom = true;
				return;
			}
			e->gaps = g;
			e->gaps_cap = cap;
		}
		e->gaps[2 * e->ngaps] = e->gap_from;
		e->gaps[2 * e->ngaps + 1] = start;
		e->ngaps++;
	}
	e->gap_from = end;
}

/*
 * Before a successful op that needs [start, end) mapped (mprotect, madvise,
 * the old range of mremap...): map the parts of it that no traced op made,
 * as private anonymous read-write memory, the way the kernel set up the
 * data of a program and its stack at exec.  They are setup ops: not timed,
 * counted in inferred_mappings.
 */
static int fill_gaps(struct engine *e, unsigned int wi, const struct rop *op, uint64_t start,
		     uint64_t end, uint64_t *need)
{
	if (start >= end)
		return 0;
	if (!e->gaps) {
		e->gaps_cap = 64;
		e->gaps = malloc(e->gaps_cap * sizeof(*e->gaps));
		if (!e->gaps)
			return -1;
	}
	e->ngaps = 0;
	e->gaps_oom = false;
	e->gap_from = start;
	/* the known parts are reported in address order; the end is a known part of length 0 */
	if (rangemap_assign(e->known, start, end, 1, note_known, e))
		return -1;
	note_known(end, end, 0, e);
	if (e->gaps_oom)
		return -1;
	for (size_t i = 0; i < e->ngaps; i++) {
		uint64_t gs = e->gaps[2 * i], ge = e->gaps[2 * i + 1], x, rs[2] = { gs, ge };
		struct rop g = { .kind = VMT_OP_MMAP, .call = CALL_MMAP, .setup = true, .inferred = true };

		if (!reloc(e, gs, ge - gs, &x))
			continue;
		g.a[0] = x;
		g.a[1] = ge - gs;
		g.a[2] = PROT_READ | PROT_WRITE;
		g.a[3] = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
		g.a[4] = (uint64_t)-1;
		g.trace_t = op->trace_t;
		g.trace_tid = op->trace_tid;
		if (push_ordered(e, wi, &g, rs, 1, need))
			return -1;
		e->st->inferred++;
	}
	return 0;
}

/*
 * Keep the known-mapped ranges in step with a translated op, mapping first
 * what it needs and the trace never made.  @rs: its traced ranges.
 */
static int track_known(struct engine *e, unsigned int wi, const struct rop *r, const uint64_t *rs,
		       unsigned int nranges, uint64_t *need)
{
	if (r->expect_fail || !nranges)
		return 0;
	switch (r->call) {
	case CALL_MMAP:
		return rangemap_assign(e->known, rs[0], rs[1], 1, NULL, NULL);
	case CALL_MUNMAP:
		return rangemap_erase(e->known, rs[0], rs[1], NULL, NULL);
	case CALL_MREMAP:
		/* old length 0 duplicates a shared mapping: the old range stays */
		if (r->a[1] && (fill_gaps(e, wi, r, rs[0], rs[0] + r->a[1], need) ||
				rangemap_erase(e->known, rs[0], rs[0] + r->a[1], NULL, NULL)))
			return -1;
		if (nranges == 2)
			return rangemap_assign(e->known, rs[2], rs[3], 1, NULL, NULL);
		return rangemap_assign(e->known, rs[0], rs[0] + r->a[2], 1, NULL, NULL);
	default:
		return fill_gaps(e, wi, r, rs[0], rs[1], need);
	}
}

/* Wait until every worker has run everything pushed to it. */
static void drain(struct engine *e)
{
	for (unsigned int i = 0; i < e->nworkers; i++)
		wait_done(e->workers[i], e->workers[i]->pushed, &e->shm->stop);
}

static int map_threads(struct engine *e, uint32_t thread, uint32_t process)
{
	if (thread >= e->nthread_map) {
		uint32_t n = e->nthread_map ? e->nthread_map * 2 : 64;
		uint32_t *m;

		while (n <= thread)
			n *= 2;
		m = realloc(e->thread_worker, n * sizeof(*m));
		if (!m)
			return -1;
		for (uint32_t i = e->nthread_map; i < n; i++)
			m[i] = UINT32_MAX;
		e->thread_worker = m;
		e->nthread_map = n;
	}
	if (process == e->pp->process)
		e->thread_worker[thread] = e->plan->thread_ops[thread] ? e->next_worker++ % e->nworkers : 0;
	return 0;
}

static bool time_is_up(const struct engine *e)
{
	return e->deadline_ns && now_ns(CLOCK_MONOTONIC) >= e->deadline_ns;
}

/* One pass over the trace; returns 0, or -1 with st->error set. */
static int dispatch_pass(struct engine *e, uint64_t *need)
{
	char err[512];
	struct vmt_reader *r = vmt_reader_open(e->opt->trace, err, sizeof(err));
	struct vmt_record *rec = malloc(sizeof(*rec));
	uint64_t rs[4], n = 0;
	struct rop op;
	int k = 0, ret = -1;

	if (!r || !rec) {
		strlcpy_(e->st->error, r ? "out of memory" : err, sizeof(e->st->error));
		goto out;
	}
	while (!e->shm->stop && (k = vmt_reader_next(r, rec)) > 0) {
		unsigned int nranges;
		uint32_t wi;

		if (rec->type == VMT_REC_THREAD) {
			if (map_threads(e, vmt_reader_nthreads(r) - 1, rec->thread.process))
				goto oom;
			continue;
		}
		if (rec->type == VMT_REC_EXEC && vmt_reader_thread(r, rec->event.thread)->process ==
							 e->pp->process) {
			/* a new program: its address space starts empty */
			drain(e);
			reset_clusters(e);
			e->st->execs++;
			continue;
		}
		if (rec->type != VMT_REC_OP || rec->op.thread >= e->nthread_map)
			continue;
		wi = e->thread_worker[rec->op.thread];
		if (wi == UINT32_MAX)
			continue;
		k = translate(e, &rec->op, &op, rs, &nranges);
		if (k <= 0)
			continue;
		op.trace_t = rec->op.t_enter;
		op.trace_tid = vmt_reader_thread(r, rec->op.thread)->tid;
		if (track_known(e, wi, &op, rs, nranges, need))
			goto oom;
		if (e->opt->speed > 0)
			op.sched_ns = e->go_ns + e->loop_offset_ns +
				      (uint64_t)((double)(rec->op.t_enter - e->plan->t_first) / e->opt->speed);
		if (push_ordered(e, wi, &op, rs, nranges, need))
			goto oom;
		if ((++n & 63) == 0) {
			e->st->progress += 64;
			if (time_is_up(e))
				break;
		}
	}
	if (!e->shm->stop && k < 0 && !time_is_up(e)) {
		strlcpy_(e->st->error, vmt_reader_error(r), sizeof(e->st->error));
		goto out;
	}
	ret = 0;
	goto out;
oom:
	strlcpy_(e->st->error, "out of memory", sizeof(e->st->error));
out:
	free(rec);
	vmt_reader_close(r);
	return ret;
}

/* ---- setup and teardown ---- */

static int open_standins(struct engine *e, const char *dir)
{
	char path[4096];

	e->file_fd = calloc(e->plan->nfiles ? e->plan->nfiles : 1, sizeof(*e->file_fd));
	if (!e->file_fd)
		return -1;
	for (uint32_t i = 0; i < e->plan->nfiles; i++) {
		snprintf(path, sizeof(path), "%s/F%" PRIu32, dir, i);
		e->file_fd[i] = open(path, O_RDWR | O_CLOEXEC);
	}
	snprintf(path, sizeof(path), "%s/unknown", dir);
	e->unknown_fd = open(path, O_RDWR | O_CLOEXEC);
	return 0;
}

static void fail(struct replay_stats *st, const char *fmt, ...) VMT_PRINTF(2, 3);

static void write_layout(struct engine *e)
{
	char path[4096];
	struct procmap *pm;
	struct procmap_vma *v;
	struct afile af;
	int fd;
	FILE *f;

	if (e->plan->nprocs == 1 || e->opt->pid >= 0)
		snprintf(path, sizeof(path), "%s", e->opt->layout_out);
	else
		snprintf(path, sizeof(path), "%s.%" PRIu32, e->opt->layout_out, e->pp->pid);
	/* like the results: the file appears complete or not at all */
	fd = afile_open(&af, path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f && fd >= 0)
		close(fd);
	pm = procmap_open(0, PROCMAP_METHOD_AUTO);
	v = malloc(sizeof(*v));
	/* a layout asked for and not written fails the run, as results not written do */
	if (!f || !pm || !v || procmap_rewind(pm, REPLAY_AREA_START)) {
		fail(e->st, "cannot write the layout to '%.200s': %s", path, strerror(errno));
		goto out;
	}
	/* traced addresses again, so the layout compares with what the trace implies */
	while (procmap_next(pm, v) > 0 && v->start < REPLAY_AREA_END) {
		for (uint32_t i = 0; i < e->pp->nclusters; i++) {
			uint64_t s = e->cl[i].start + (uint64_t)e->cl[i].delta;

			if (e->placed[i] && v->start >= s && v->end <= s + (e->cl[i].end - e->cl[i].start)) {
				fprintf(f, "0x%" PRIx64 "-0x%" PRIx64 " %c%c%c%c\n", v->start - (uint64_t)e->cl[i].delta,
					v->end - (uint64_t)e->cl[i].delta, v->prot & VMT_MAP_READ ? 'r' : '-',
					v->prot & VMT_MAP_WRITE ? 'w' : '-', v->prot & VMT_MAP_EXEC ? 'x' : '-',
					v->prot & VMT_MAP_SHARED ? 's' : 'p');
				break;
			}
		}
	}
	if (fflush(f) || ferror(f) || afile_commit(&af))
		fail(e->st, "cannot write the layout to '%.200s': %s", path, strerror(errno));
out:
	free(v);
	procmap_close(pm);
	if (f)
		fclose(f);
	afile_close(&af);
}

static void merge_worker(struct replay_stats *st, struct worker *w)
{
	for (int k = 0; k < VMT_OP_NR; k++)
		hist_merge(&st->op[k], &w->op[k]);
	hist_merge(&st->all, &w->all);
	hist_merge(&st->late, &w->late);
	hist_merge(&st->delay, &w->delay);
	hist_merge(&st->pacing, &w->pacing);
	st->ops += w->ops;
	st->setup_ops += w->setup_ops;
	st->conflicts += w->conflicts;
	st->mismatches += w->mismatches;
	for (uint32_t i = 0; i < w->nmismatch_ex && st->nmismatch_ex < REPLAY_MISMATCH_EXAMPLES; i++)
		st->mismatch_ex[st->nmismatch_ex++] = w->mismatch_ex[i];
	st->errors += w->errors;
	if (w->series) {
		for (uint32_t i = 0; i < REPLAY_SERIES_MAX; i++) {
			st->series[i].count += w->series[i].count;
			st->series[i].sum_ns += w->series[i].sum_ns;
			if (w->series[i].max_ns > st->series[i].max_ns)
				st->series[i].max_ns = w->series[i].max_ns;
			if (w->series[i].count && i + 1 > st->nseries)
				st->nseries = i + 1;
		}
	}
}

static void fail(struct replay_stats *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->error, sizeof(st->error), fmt, ap);
	va_end(ap);
	st->state = REPLAY_FAILED;
}

int replay_process_main(const struct replay_options *opt, const struct plan *plan,
			const struct plan_proc *pp, const char *standin_dir, struct replay_shm *shm,
			struct replay_stats *st)
{
	struct engine e = { .opt = opt, .plan = plan, .pp = pp, .shm = shm, .st = st };
	uint64_t *need = NULL;
	unsigned int started = 0;
	int ret = EXIT_FAIL;

	st->pid = getpid();
	e.page = plan->page_size;
	if ((uint64_t)sysconf(_SC_PAGESIZE) != e.page) {
		fail(st, "the trace has %" PRIu64 "-byte pages, this machine %ld", e.page,
		     sysconf(_SC_PAGESIZE));
		return EXIT_FAIL;
	}
	if (opt->writer_cpu >= 0) {
		/* pin only: the replay keeps the nice level it was started with */
		int nice_now;

		errno = 0;
		nice_now = getpriority(PRIO_PROCESS, 0);
		if ((nice_now == -1 && errno) || reader_apply_sched(nice_now, opt->writer_cpu)) {
			fail(st, "cannot pin the replay to CPU %d: %s", opt->writer_cpu,
			     strerror(errno));
			return EXIT_FAIL;
		}
	}
	/* a worker per traced thread that has ops: threads that never touch memory cost nothing */
	e.nworkers = opt->threads ? opt->threads : (pp->nthreads_ops ? pp->nthreads_ops : 1);
	st->threads = e.nworkers;
	e.cl = calloc(pp->nclusters ? pp->nclusters : 1, sizeof(*e.cl));
	e.placed = calloc(pp->nclusters ? pp->nclusters : 1, sizeof(*e.placed));
	e.workers = calloc(e.nworkers, sizeof(*e.workers));
	need = calloc(e.nworkers, sizeof(*need));
	e.last = rangemap_new();
	e.known = rangemap_new();
	if (!e.cl || !e.placed || !e.workers || !need || !e.last || !e.known || open_standins(&e, standin_dir)) {
		fail(st, "out of memory");
		goto out;
	}
	memcpy(e.cl, pp->clusters, pp->nclusters * sizeof(*e.cl));
	place_clusters(&e);
	if (shm->oplogs) {
		e.log = &shm->oplogs[st - shm->replays];
		e.log->nslots = e.nworkers + 1; /* the workers, and the dispatcher's resets */
		if (e.log->nslots > OPLOG_SLOTS) {
			atomic_store(&e.log->unusable, 1); /* readers count their passes unchecked */
			e.log = NULL;
		}
	}
	for (unsigned int i = 0; i < e.nworkers; i++) {
		struct worker *w = aligned_alloc(64, (sizeof(*w) + 63) & ~(size_t)63);

		if (!w) {
			fail(st, "out of memory");
			goto out;
		}
		memset(w, 0, sizeof(*w));
		w->idx = i;
		w->eng = &e;
		for (int k = 0; k < VMT_OP_NR; k++)
			hist_init(&w->op[k]);
		hist_init(&w->all);
		hist_init(&w->late);
		hist_init(&w->delay);
		hist_init(&w->pacing);
		if (opt->interval_ns)
			w->series = calloc(REPLAY_SERIES_MAX, sizeof(*w->series));
		e.workers[i] = w;
	}
	for (; started < e.nworkers; started++) {
		/* pthread_create() returns the error; it does not set errno */
		int err = pthread_create(&e.workers[started]->thread, NULL, worker_main,
					 e.workers[started]);

		if (err) {
			fail(st, "cannot start replay thread %u: %s", started, strerror(err));
			__atomic_store_n(&shm->stop, 1, __ATOMIC_RELAXED); /* the workers started read it */
			goto join;
		}
	}
	/*
	 * The workers inherited the writer CPU; the dispatcher leaves it to them:
	 * a worker busy-waiting for its next deadline must not share its CPU with
	 * the thread that feeds it.
	 */
	if (opt->writer_cpu >= 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cpu_set_t set;

		CPU_ZERO(&set);
		for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
			if (c != opt->writer_cpu)
				CPU_SET(c, &set);
		if (CPU_COUNT(&set))
			sched_setaffinity(0, sizeof(set), &set); /* this thread only */
	}
	/* counted with the workers' stacks there */
	e.snapshot_vmas = pp->nmaps ? snapshot_budget() : 0;
	map_initial(&e);
	st->state = REPLAY_READY;
	while (!shm->go && !shm->stop) {
		struct timespec ts = { 0, 200000 };

		nanosleep(&ts, NULL);
	}
	e.go_ns = shm->go_ns;
	e.deadline_ns = opt->duration_ns ? e.go_ns + opt->duration_ns : 0;
	st->t_start = now_ns(CLOCK_MONOTONIC);
	st->state = REPLAY_RUNNING;
	for (uint64_t loop = 0; !shm->stop; loop++) {
		if (dispatch_pass(&e, need)) {
			st->state = REPLAY_FAILED;
			break;
		}
		drain(&e);
		st->loops++;
		if ((opt->loops && st->loops >= opt->loops) || (!opt->loops && !opt->duration_ns) ||
		    time_is_up(&e) || shm->stop)
			break;
		/* every pass starts from the trace's start state, snapshot included */
		reset_clusters(&e);
		map_initial(&e);
		/*
		 * The next pass starts when the trace starts again, one span of it
		 * after this pass did: every process of a trace replays pass k
		 * together, as the traced processes ran together, and one that ends
		 * early (a short-lived helper) waits for the others instead of
		 * repeating itself alone.  A pass that ran late starts the next now.
		 */
		if (opt->speed > 0) {
			uint64_t span = (uint64_t)((double)(e.plan->t_last - e.plan->t_first) / opt->speed);
			uint64_t late = now_ns(CLOCK_MONOTONIC) - e.go_ns;

			e.loop_offset_ns = late > e.loop_offset_ns + span ? late : e.loop_offset_ns + span;
			if (e.deadline_ns && e.go_ns + e.loop_offset_ns >= e.deadline_ns)
				break; /* the next pass would start after --duration */
		}
	}
	drain(&e);
	st->t_end = now_ns(CLOCK_MONOTONIC);
join:
	for (unsigned int i = 0; i < started; i++) {
		struct rop end = { .type = ROP_END };

		push(e.workers[i], &end);
		pthread_join(e.workers[i]->thread, NULL);
		merge_worker(st, e.workers[i]);
	}
	if (opt->layout_out && st->state != REPLAY_FAILED)
		write_layout(&e);
	if (st->state != REPLAY_FAILED) {
		st->state = REPLAY_DONE;
		ret = EXIT_OK;
	}
out:
	for (unsigned int i = 0; e.workers && i < e.nworkers; i++) {
		if (e.workers[i])
			free(e.workers[i]->series);
		free(e.workers[i]);
	}
	free(e.workers);
	free(e.cl);
	free(e.placed);
	free(e.file_fd);
	free(e.thread_worker);
	free(need);
	rangemap_free(e.last);
	rangemap_free(e.known);
	free(e.gaps);
	/* stay a target until the readers have stopped, so no pass meets a dead process */
	while (!shm->release) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	return ret;
}
