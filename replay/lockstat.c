// SPDX-License-Identifier: GPL-2.0-only
/*
 * lockstat.c - mmap_lock wait and hold times during a replay, from the
 * kernel's mmap_lock tracepoints
 *
 * The replay's own timings say how long an op or a read took; these say why:
 * how long each side waited for mmap_lock and held it, and how often a reader
 * of a per-VMA kind still fell back to mmap_lock.  The kernel brackets every
 * mmap_lock operation with tracepoints (include/linux/mmap_lock.h):
 *
 *   lock, killable lock, trylock    start_locking(mm, write)
 *                                   acquire_returned(mm, write, success)
 *   unlock                          released(mm, write)
 *   downgrade (munmap does it)      acquire_returned(mm, read, success)
 *                                   while the write lock is held: no start
 *
 * and for each task, in time order, they pair up as
 *
 *   start_locking ──wait──► acquire_returned(success) ──hold──► released
 *                           acquire_returned(failure): a failed trylock or an
 *                           interrupted killable lock, counted as failed
 *
 * A task waits for one lock at a time, so it has at most one start pending;
 * it may hold several (another process's mm while faulting in its own), so
 * the locks it holds are a small stack matched on (mm, mode).  A downgrade
 * ends the write lock's exclusive hold, which is what the write hold time
 * measures (readers may enter after it); the shared rest until the release
 * is kept apart as "downgraded_hold".
 *
 * Where the events come from.  A private instance vmatrace-lockstat-<pid>
 * (never the top-level buffer), its set_event_pid listing every thread of
 * the replay processes and the readers, with event-fork so that a thread
 * created later is followed too.  Filtering by pid happens before an event
 * is written, so the rest of the machine costs nothing.  The buffers run
 * with overwrite off, so a full buffer drops the newest events, and the
 * kernel counts them (per_cpu/cpuN/stats): they are reported as lost_events.
 * A thread of ours reads every CPU's buffer every LS_DRAIN_NS, so the buffer
 * only has to hold what arrives in between (see LS_BUFFER_KB_MAX).
 *
 * Order.  Each CPU's buffer is in time order, but a task that migrates
 * leaves its events on two CPUs, and a drain reads the CPUs one after the
 * other.  So events wait in per-CPU queues and are merged by timestamp
 * (trace_clock "mono", the same clock as CLOCK_MONOTONIC) only up to
 * LS_REORDER_NS before the drain began: by then every CPU has committed
 * anything older (an event is reserved and committed with preemption off).
 *
 * Which mm.  The events name the mm but not whose it is, and a reader locks
 * its own mm too (page faults that fall back, its own allocations, the
 * exit).  A replay process only ever locks its own mm, so the replay mms
 * are learned from the writers' events: each writer process's mm is the one
 * its threads lock (any other is counted as excluded, and should be 0).
 * Statistics are kept per (role, mode, mm) while tracing, and only the
 * replay mms are summed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>
#include <tracefs.h>

#include "hist.h"
#include "lockstat.h"
#include "results.h"
#include "tracefs-util.h"
#include "util.h"

#define LS_SYSTEM "mmap_lock"
#define NSEC_PER_MSEC 1000000ull
#define LS_DRAIN_NS (10 * NSEC_PER_MSEC)
#define LS_REORDER_NS (20 * NSEC_PER_MSEC)
/*
 * The buffer of each CPU.  An event takes 32 bytes in it.  The heaviest
 * load measured, the mapper's loop at full speed, makes about 550,000
 * events a second (every op locks once or twice, and each lock is three
 * events); the mapper replay with two smaps readers about 250,000 (each
 * 4 KiB of smaps is a lock).  8 MiB a CPU holds half a second of the
 * former, so a draining thread starved for hundreds of milliseconds on a
 * loaded machine still loses nothing.  On a machine with many CPUs, where
 * the same events spread over more buffers, the total is capped.
 */
#define LS_BUFFER_KB_MAX 8192u
#define LS_BUFFER_KB_MIN 1024u
#define LS_BUFFER_KB_TOTAL 65536u
/* Locks one task holds at once: its own mm's and another's is the usual most. */
#define LS_HELD_MAX 4
/* Distinct mms a writer process may be seen locking before the rest is lumped. */
#define LS_WRITER_MMS 4

enum ev_kind {
	EV_START,
	EV_ACQUIRE,
	EV_RELEASE,
	EV_NR
};

static const char *const event_names[EV_NR] = {
	"mmap_lock_start_locking",
	"mmap_lock_acquire_returned",
	"mmap_lock_released",
};

enum role {
	ROLE_WRITER,
	ROLE_READER,
	ROLE_NR,
	ROLE_NONE = ROLE_NR, /* a task we follow but do not count (a reader's child) */
};

static const char *const role_names[ROLE_NR] = { "writer", "reader" };
static const char *const mode_names[2] = { "read", "write" };

static volatile sig_atomic_t interrupted;

/**
 * lockstat_interrupt - make a running lockstat stop quickly
 *
 * Async-signal-safe: it only sets a flag.  The draining thread then turns
 * tracing off and ends, lockstat_stop() skips the rest of the buffers, and
 * lockstat_start() fails with EINTR.  The flag stays set, so a signal just
 * before lockstat_start() is not lost.
 */
void lockstat_interrupt(void)
{
	/* atomic: the draining thread reads it (a lock-free store is async-signal-safe) */
	__atomic_store_n(&interrupted, 1, __ATOMIC_RELAXED);
}

static bool was_interrupted(void)
{
	return __atomic_load_n(&interrupted, __ATOMIC_RELAXED);
}

/* One event as the merge needs it: 24 bytes, not the kernel's record. */
struct ev {
	uint64_t ts, mm;
	int32_t tid;
	uint8_t kind, write, success;
};

/* A FIFO of one CPU's decoded events, oldest first; cap is a power of two. */
struct evq {
	struct ev *v;
	size_t head, n, cap;
};

/* A field of a record: our kernel, so our byte order. */
struct field {
	unsigned int off, size;
};

struct lcpu {
	struct tracefs_cpu *tcpu;
	struct evq q;
	uint64_t missed; /* missed events the ring-buffer pages mark */
};

struct lock_slot {
	uint64_t mm, ts;
	bool write, downgraded;
};

struct task {
	int32_t tid; /* 0: a free slot of the table */
	uint8_t role;
	int32_t proc; /* writer process index for ROLE_WRITER, else -1 */
	bool pending; /* a start_locking without its acquire_returned yet */
	struct lock_slot start;
	unsigned int nheld;
	struct lock_slot held[LS_HELD_MAX];
};

/* What one role did to one mm in one mode. */
struct mmstat {
	struct mmstat *next;
	uint64_t mm;
	uint8_t role, write;
	uint64_t acquisitions, failed, downgrades, unmatched;
	struct hist wait, hold, downgraded_hold;
};

#define MMSTAT_BUCKETS 64

struct writer_proc {
	pid_t pid;
	uint64_t mm[LS_WRITER_MMS], count[LS_WRITER_MMS];
};

/* The sum over the replay mms of one (role, mode). */
struct lockstat_mode {
	uint64_t acquisitions, failed, downgrades, unmatched, excluded;
	struct hist wait, hold, downgraded_hold;
};

struct lockstat {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct kbuffer *kbuf;
	int ids[EV_NR];
	/* where the fields are in a record: read directly, this is the hot path */
	struct field f_type, f_pid, f_mm[EV_NR], f_write[EV_NR], f_success;
	struct lcpu *cpus;
	int ncpus;
	void *page;
	int page_size;
	unsigned int buffer_kb; /* per CPU */
	unsigned int max_pages; /* a buffer's worth: one drain of a CPU reads no more */

	/* the tasks, by tid: open addressing, a power of two */
	struct task *tasks;
	size_t ntasks, tasks_cap;
	struct writer_proc *wprocs;
	unsigned int nw;
	pid_t *readers;
	unsigned int nr;
	struct mmstat *mmstats[MMSTAT_BUCKETS];

	pthread_t thread;
	bool thread_running;
	volatile int stop;
	bool stopped;
	int err_no;
	char err[256];

	/* the results, filled by lockstat_stop() */
	uint64_t lost, tasks_seen[ROLE_NR];
	struct lockstat_mode res[ROLE_NR][2];
};

static void set_error(struct lockstat *ls, int err, const char *fmt, ...) VMT_PRINTF(3, 4);
static void set_error(struct lockstat *ls, int err, const char *fmt, ...)
{
	va_list ap;

	/* the first failure is the one that explains the rest */
	if (ls->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(ls->err, sizeof(ls->err), fmt, ap);
	va_end(ap);
	ls->err_no = err;
}

/* ---- tasks ---------------------------------------------------------------- */

static size_t tid_hash(int32_t tid, size_t cap)
{
	return (size_t)(((uint32_t)tid * 2654435761u) & (uint32_t)(cap - 1));
}

static struct task *task_find(struct lockstat *ls, int32_t tid)
{
	size_t i = tid_hash(tid, ls->tasks_cap);

	while (ls->tasks[i].tid) {
		if (ls->tasks[i].tid == tid)
			return &ls->tasks[i];
		i = (i + 1) & (ls->tasks_cap - 1);
	}
	return NULL;
}

static int tasks_grow(struct lockstat *ls)
{
	size_t ncap = ls->tasks_cap ? ls->tasks_cap * 2 : 64;
	struct task *t = calloc(ncap, sizeof(*t));

	if (!t)
		return -1;
	for (size_t j = 0; j < ls->tasks_cap; j++) {
		size_t i;

		if (!ls->tasks[j].tid)
			continue;
		i = tid_hash(ls->tasks[j].tid, ncap);
		while (t[i].tid)
			i = (i + 1) & (ncap - 1);
		t[i] = ls->tasks[j];
	}
	free(ls->tasks);
	ls->tasks = t;
	ls->tasks_cap = ncap;
	return 0;
}

/* Add @tid (if new); NULL with errno when out of memory. */
static struct task *task_add(struct lockstat *ls, int32_t tid, enum role role, int32_t proc)
{
	struct task *t;
	size_t i;

	if (ls->tasks_cap) {
		t = task_find(ls, tid);
		if (t)
			return t;
	}
	if ((ls->ntasks + 1) * 2 > ls->tasks_cap && tasks_grow(ls))
		return NULL;
	i = tid_hash(tid, ls->tasks_cap);
	while (ls->tasks[i].tid)
		i = (i + 1) & (ls->tasks_cap - 1);
	t = &ls->tasks[i];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->role = (uint8_t)role;
	t->proc = proc;
	ls->ntasks++;
	return t;
}

/* The thread group of @tid from /proc; 0 when it is gone. */
static pid_t tgid_of(int32_t tid)
{
	char path[64], line[128];
	pid_t tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Tgid:", 5)) {
			tgid = (pid_t)strtol(line + 5, NULL, 10);
			break;
		}
	}
	fclose(f);
	return tgid;
}

/*
 * A task we did not list: event-fork added it, so it is a thread or a child
 * of one we did.  A thread of a writer or reader process takes that role;
 * anything else (a child process, or a task already gone) is not counted.
 */
static struct task *task_resolve(struct lockstat *ls, int32_t tid)
{
	pid_t tgid = tgid_of(tid);

	for (unsigned int i = 0; tgid && i < ls->nw; i++)
		if (ls->wprocs[i].pid == tgid)
			return task_add(ls, tid, ROLE_WRITER, (int32_t)i);
	for (unsigned int i = 0; tgid && i < ls->nr; i++)
		if (ls->readers[i] == tgid)
			return task_add(ls, tid, ROLE_READER, -1);
	return task_add(ls, tid, ROLE_NONE, -1);
}

/*
 * Add every thread of process @pid; with @list, also append their tids to it
 * (space-separated, for set_event_pid).  -1 with errno when the process's
 * threads cannot be listed (it is gone).
 */
static int add_threads(struct lockstat *ls, pid_t pid, enum role role, int32_t proc, char **list,
		       size_t *len)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		long tid = strtol(de->d_name, NULL, 10);
		bool known;

		if (tid <= 0)
			continue;
		known = ls->tasks_cap && task_find(ls, (int32_t)tid);
		if (!task_add(ls, (int32_t)tid, role, proc))
			goto oom;
		if (!known && list) {
			char *l = realloc(*list, *len + 16);

			if (!l)
				goto oom;
			*list = l;
			*len += (size_t)snprintf(l + *len, 16, "%ld ", tid);
		}
	}
	closedir(d);
	return 0;
oom:
	closedir(d);
	errno = ENOMEM;
	return -1;
}

/* ---- statistics per (role, mode, mm) -------------------------------------- */

static struct mmstat *mmstat_get(struct lockstat *ls, unsigned int role, bool write, uint64_t mm)
{
	uint64_t h = (mm >> 6) ^ (mm >> 16) ^ role ^ ((unsigned int)write << 1);
	unsigned int b = (unsigned int)(h % MMSTAT_BUCKETS);
	struct mmstat *s;

	for (s = ls->mmstats[b]; s; s = s->next)
		if (s->mm == mm && s->role == role && s->write == write)
			return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->mm = mm;
	s->role = (uint8_t)role;
	s->write = write;
	hist_init(&s->wait);
	hist_init(&s->hold);
	hist_init(&s->downgraded_hold);
	s->next = ls->mmstats[b];
	ls->mmstats[b] = s;
	return s;
}

/* A writer process's acquisitions by mm: the most frequent is its own. */
static void writer_count(struct lockstat *ls, const struct task *t, uint64_t mm)
{
	struct writer_proc *w;

	if (t->role != ROLE_WRITER || t->proc < 0)
		return;
	w = &ls->wprocs[t->proc];
	for (unsigned int i = 0; i < LS_WRITER_MMS; i++) {
		if (w->mm[i] == mm || !w->count[i]) {
			w->mm[i] = mm;
			w->count[i]++;
			return;
		}
	}
	/* a fifth mm: foreign anyway, and excluded as every mm not a replay one is */
}

/* Remove held slot @i of @t. */
static void held_drop(struct task *t, unsigned int i)
{
	memmove(&t->held[i], &t->held[i + 1], (t->nheld - i - 1) * sizeof(t->held[0]));
	t->nheld--;
}

/* The most recent lock @t holds on @mm in @write mode, or -1. */
static int held_find(const struct task *t, uint64_t mm, bool write)
{
	for (int i = (int)t->nheld - 1; i >= 0; i--)
		if (t->held[i].mm == mm && t->held[i].write == write)
			return i;
	return -1;
}

static int held_push(struct lockstat *ls, struct task *t, uint64_t mm, bool write, uint64_t ts)
{
	if (t->nheld == LS_HELD_MAX) {
		/* its release was lost (or it was never traced): give it up */
		struct mmstat *old = mmstat_get(ls, t->role, t->held[0].write, t->held[0].mm);

		if (!old)
			return -1;
		old->unmatched++;
		held_drop(t, 0);
	}
	t->held[t->nheld++] = (struct lock_slot){ .mm = mm, .ts = ts, .write = write };
	return 0;
}

static uint64_t elapsed(uint64_t from, uint64_t to)
{
	return to > from ? to - from : 0;
}

/* One event, in time order for its task.  -1 only when out of memory. */
static int account(struct lockstat *ls, const struct ev *e)
{
	struct task *t;
	struct mmstat *s;
	int i;

	if (e->tid <= 0)
		return 0; /* the idle task is never ours, and tid 0 marks a free slot */
	t = task_find(ls, e->tid);
	if (!t)
		t = task_resolve(ls, e->tid);
	if (!t)
		return -1;
	if (t->role == ROLE_NONE)
		return 0;
	s = mmstat_get(ls, t->role, e->write, e->mm);
	if (!s)
		return -1;

	switch (e->kind) {
	case EV_START:
		/* a task waits for one lock at a time: an older start lost its acquire */
		if (t->pending) {
			struct mmstat *old = mmstat_get(ls, t->role, t->start.write, t->start.mm);

			if (!old)
				return -1;
			old->unmatched++;
		}
		t->pending = true;
		t->start = (struct lock_slot){ .mm = e->mm, .ts = e->ts, .write = e->write };
		return 0;
	case EV_ACQUIRE:
		if (t->pending && t->start.mm == e->mm && t->start.write == e->write) {
			t->pending = false;
			if (!e->success) {
				s->failed++;
				return 0;
			}
			s->acquisitions++;
			writer_count(ls, t, e->mm);
			hist_record(&s->wait, elapsed(t->start.ts, e->ts));
			return held_push(ls, t, e->mm, e->write, e->ts);
		}
		if (!e->write && e->success && (i = held_find(t, e->mm, true)) >= 0) {
			/* a downgrade: the exclusive part of the write hold ends here */
			struct mmstat *w = mmstat_get(ls, t->role, true, e->mm);

			if (!w)
				return -1;
			w->downgrades++;
			hist_record(&w->hold, elapsed(t->held[i].ts, e->ts));
			t->held[i].write = false;
			t->held[i].downgraded = true;
			t->held[i].ts = e->ts;
			return 0;
		}
		/* its start was before tracing began, or lost: no wait to measure */
		s->unmatched++;
		if (!e->success) {
			s->failed++;
			return 0;
		}
		s->acquisitions++;
		writer_count(ls, t, e->mm);
		return held_push(ls, t, e->mm, e->write, e->ts);
	case EV_RELEASE:
		i = held_find(t, e->mm, e->write);
		if (i < 0) {
			s->unmatched++;
			return 0;
		}
		if (t->held[i].downgraded) {
			struct mmstat *w = mmstat_get(ls, t->role, true, e->mm);

			if (!w)
				return -1;
			hist_record(&w->downgraded_hold, elapsed(t->held[i].ts, e->ts));
		} else {
			hist_record(&s->hold, elapsed(t->held[i].ts, e->ts));
		}
		held_drop(t, (unsigned int)i);
		return 0;
	}
	return 0;
}

/* ---- reading the buffers ---------------------------------------------------- */

static int evq_push(struct evq *q, const struct ev *e)
{
	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 4096;
		struct ev *v = malloc(ncap * sizeof(*v));

		if (!v)
			return -1;
		/* unroll the ring into the new array, oldest first */
		for (size_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) & (q->cap - 1)];
		free(q->v);
		q->v = v;
		q->head = 0;
		q->cap = ncap;
	}
	q->v[(q->head + q->n) & (q->cap - 1)] = *e;
	q->n++;
	return 0;
}

static const struct ev *evq_peek(const struct evq *q)
{
	return q->n ? &q->v[q->head] : NULL;
}

static void evq_pop(struct evq *q)
{
	q->head = (q->head + 1) & (q->cap - 1);
	q->n--;
}

/* An unsigned field of @data (@size bytes); 0 when the record is too short for it. */
static uint64_t field_get(const void *data, unsigned int size, const struct field *f)
{
	const unsigned char *p = (const unsigned char *)data + f->off;
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;

	if (f->off + f->size > size)
		return 0;
	switch (f->size) {
	case 1:
		return *p;
	case 2:
		memcpy(&v2, p, 2);
		return v2;
	case 4:
		memcpy(&v4, p, 4);
		return v4;
	default:
		memcpy(&v8, p, 8);
		return v8;
	}
}

static int decode(struct lockstat *ls, struct lcpu *c, void *data, unsigned int size,
		  unsigned long long ts)
{
	int id = (int)field_get(data, size, &ls->f_type);
	struct ev e;
	int k;

	for (k = 0; k < EV_NR && ls->ids[k] != id; k++)
		;
	if (k == EV_NR)
		return 0;
	e = (struct ev){
		.ts = ts,
		.mm = field_get(data, size, &ls->f_mm[k]),
		.tid = (int32_t)field_get(data, size, &ls->f_pid),
		.kind = (uint8_t)k,
		.write = field_get(data, size, &ls->f_write[k]) != 0,
		.success = k != EV_ACQUIRE || field_get(data, size, &ls->f_success) != 0,
	};
	return evq_push(&c->q, &e);
}

/* Read what one CPU's buffer holds now into its queue. */
static int drain_cpu(struct lockstat *ls, int cpu)
{
	struct lcpu *c = &ls->cpus[cpu];
	unsigned long long ts;
	void *data;
	int n, missed;

	if (!c->tcpu)
		return 0;
	/* bounded, or a CPU filling as fast as it is read would keep us here */
	for (unsigned int pages = 0; pages < ls->max_pages && !was_interrupted(); pages++) {
		n = tracefs_cpu_read(c->tcpu, ls->page, true);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			set_error(ls, errno, "cannot read the trace buffer of CPU %d: %s", cpu,
				  strerror(errno));
			return -1;
		}
		if (n <= 0)
			return 0;
		if (kbuffer_load_subbuffer(ls->kbuf, ls->page) < 0) {
			set_error(ls, EPROTO, "cannot parse a trace buffer page of CPU %d", cpu);
			return -1;
		}
		missed = kbuffer_missed_events(ls->kbuf);
		if (missed)
			c->missed += missed > 0 ? (uint64_t)missed : 1;
		for (data = kbuffer_read_event(ls->kbuf, &ts); data;
		     data = kbuffer_next_event(ls->kbuf, &ts)) {
			if (decode(ls, c, data, kbuffer_event_size(ls->kbuf), ts)) {
				set_error(ls, ENOMEM, "out of memory for the lock events");
				return -1;
			}
		}
	}
	return 0;
}

/* Account the queued events up to @upto, merged across CPUs by time. */
static int merge(struct lockstat *ls, uint64_t upto)
{
	for (;;) {
		struct lcpu *best = NULL;
		const struct ev *e, *b = NULL;

		/* a linear scan: CPUs are few next to the events each round */
		for (int i = 0; i < ls->ncpus; i++) {
			e = evq_peek(&ls->cpus[i].q);
			if (e && (!b || e->ts < b->ts)) {
				b = e;
				best = &ls->cpus[i];
			}
		}
		if (!b || b->ts > upto)
			return 0;
		if (account(ls, b)) {
			set_error(ls, ENOMEM, "out of memory for the lock statistics");
			return -1;
		}
		evq_pop(&best->q);
	}
}

/* One round: read every CPU, then account what is certainly complete. */
static int drain(struct lockstat *ls, bool last)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < ls->ncpus; i++)
		if (drain_cpu(ls, i))
			return -1;
	return merge(ls, last ? UINT64_MAX : t0 - LS_REORDER_NS);
}

static void *drain_main(void *arg)
{
	struct lockstat *ls = arg;
	const struct timespec period = { 0, (long)LS_DRAIN_NS };

	while (!__atomic_load_n(&ls->stop, __ATOMIC_ACQUIRE) && !was_interrupted()) {
		nanosleep(&period, NULL);
		if (drain(ls, false))
			break;
	}
	if (was_interrupted())
		tracefs_trace_off(ls->inst); /* the buffers stop filling; stop() skips them */
	return NULL;
}

/* overrun, commit overrun and dropped events of every CPU, from the kernel's counters */
static uint64_t lost_events(struct lockstat *ls)
{
	uint64_t stats = 0, missed = 0;
	char path[64];

	for (int i = 0; i < ls->ncpus; i++) {
		char *buf, *p;

		missed += ls->cpus[i].missed;
		snprintf(path, sizeof(path), "per_cpu/cpu%d/stats", i);
		buf = tracefs_instance_file_read(ls->inst, path, NULL);
		for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
			if (!strncmp(p, "overrun:", 8))
				stats += strtoull(p + 8, NULL, 10);
			else if (!strncmp(p, "commit overrun:", 15))
				stats += strtoull(p + 15, NULL, 10);
			else if (!strncmp(p, "dropped events:", 15))
				stats += strtoull(p + 15, NULL, 10);
		}
		free(buf);
	}
	/* the pages mark overwritten events only; the counters have the dropped too */
	return stats > missed ? stats : missed;
}

/* ---- start and stop ------------------------------------------------------- */

/* Where field @name of @ev is; -1 if it is missing or not an integer we can read. */
static int field_of(struct tep_event *ev, const char *name, bool common, struct field *f)
{
	struct tep_format_field *tf =
		common ? tep_find_common_field(ev, name) : tep_find_field(ev, name);

	if (!tf || tf->offset < 0 ||
	    (tf->size != 1 && tf->size != 2 && tf->size != 4 && tf->size != 8))
		return -1;
	f->off = (unsigned int)tf->offset;
	f->size = (unsigned int)tf->size;
	return 0;
}

/*
 * A parser for the ring-buffer pages and the three events only: what
 * tracefs_local_events_system() would give, without the kallsyms, printk
 * formats and comm names it loads too (a tenth of a second, and not needed
 * to read numbers out of three events).
 */
static int setup_parser(struct lockstat *ls, char *why, size_t whylen)
{
	char *buf;
	int len = 0;

	ls->tep = tep_alloc();
	if (!ls->tep) {
		fmt_into(why, whylen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	/* the kernel writes in our byte order: it is our kernel */
	tep_set_file_bigendian(ls->tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	buf = tracefs_instance_file_read(NULL, "events/header_page", &len);
	if (!buf || len <= 0 ||
	    tep_parse_header_page(ls->tep, buf, (unsigned long)len, (int)sizeof(long))) {
		free(buf);
		fmt_into(why, whylen, "cannot read the format of the trace buffer pages: %s",
			 strerror(errno ? errno : EPROTO));
		errno = errno ? errno : EPROTO;
		return -1;
	}
	free(buf);
	tep_set_long_size(ls->tep, tep_get_header_page_size(ls->tep));
	for (int k = 0; k < EV_NR; k++) {
		struct tep_event *ev = NULL;

		buf = tracefs_event_file_read(NULL, LS_SYSTEM, event_names[k], "format", &len);
		if (!buf || len <= 0) {
			free(buf);
			fmt_into(why, whylen, "this kernel has no %s tracepoint", event_names[k]);
			errno = ENOENT;
			return -1;
		}
		if (tep_parse_format(ls->tep, &ev, buf, (unsigned long)len, LS_SYSTEM) || !ev) {
			free(buf);
			fmt_into(why, whylen, "cannot parse the format of the %s event",
				 event_names[k]);
			errno = EPROTO;
			return -1;
		}
		free(buf);
		ls->ids[k] = ev->id;
		if (field_of(ev, "common_type", true, &ls->f_type) ||
		    field_of(ev, "common_pid", true, &ls->f_pid) ||
		    field_of(ev, "mm", false, &ls->f_mm[k]) ||
		    field_of(ev, "write", false, &ls->f_write[k]) ||
		    (k == EV_ACQUIRE && field_of(ev, "success", false, &ls->f_success))) {
			fmt_into(why, whylen,
				 "the %s event has no usable type, pid, mm, write or success field",
				 event_names[k]);
			errno = EPROTO;
			return -1;
		}
	}
	ls->kbuf = tep_kbuffer(ls->tep);
	ls->page_size = tep_get_sub_buffer_size(ls->tep);
	if (ls->page_size <= 0)
		ls->page_size = (int)sysconf(_SC_PAGESIZE);
	ls->page = malloc((size_t)ls->page_size);
	ls->max_pages = ls->buffer_kb * 1024 / (unsigned int)ls->page_size + 1;
	if (!ls->kbuf || !ls->page) {
		fmt_into(why, whylen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Quiet, sized, on CLOCK_MONOTONIC, dropping rather than overwriting, following forks. */
static int setup_instance(struct lockstat *ls, char *why, size_t whylen)
{
	char kb[16];

	snprintf(kb, sizeof(kb), "%u", ls->buffer_kb);
	ls->inst = tracing_instance_create("lockstat");
	if (!ls->inst) {
		fmt_into(why, whylen,
			 "cannot create the tracefs instance 'vmatrace-lockstat-%d': %s",
			 (int)getpid(), strerror(errno));
		return -1;
	}
	/* the clock first: changing it empties the buffers, cheaper while they are small */
	if (tracefs_trace_off(ls->inst) ||
	    tracefs_instance_file_write(ls->inst, "trace_clock", "mono") < 0 ||
	    tracefs_instance_file_write(ls->inst, "buffer_size_kb", kb) < 0 ||
	    tracefs_option_disable(ls->inst, TRACEFS_OPTION_OVERWRITE) ||
	    tracefs_option_enable(ls->inst, TRACEFS_OPTION_EVENT_FORK)) {
		fmt_into(why, whylen, "cannot set up the tracefs instance: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * set_event_pid: every thread of the writers and readers.  Threads made
 * between the listing and the write are caught by listing again after it
 * (from then on event-fork adds them).
 */
static int setup_pids(struct lockstat *ls, const pid_t *writers, const pid_t *readers, char *why,
		      size_t whylen)
{
	char *list = NULL;
	size_t len = 0;
	int ret = -1, n;

	for (int round = 0; round < 2; round++) {
		for (unsigned int i = 0; i < ls->nw + ls->nr; i++) {
			bool w = i < ls->nw;
			pid_t pid = w ? writers[i] : readers[i - ls->nw];

			if (add_threads(ls, pid, w ? ROLE_WRITER : ROLE_READER, w ? (int32_t)i : -1,
					&list, &len)) {
				if (errno == ENOENT)
					errno = ESRCH;
				fmt_into(why, whylen,
					 "cannot list the threads of %s process %d: %s",
					 w ? "replay" : "reader", (int)pid, strerror(errno));
				goto out;
			}
		}
		if (!len)
			continue;
		if (round == 0)
			n = tracefs_instance_file_write(ls->inst, "set_event_pid", list);
		else
			n = tracefs_instance_file_append(ls->inst, "set_event_pid", list);
		if (n < 0) {
			fmt_into(why, whylen, "cannot write the pids to set_event_pid: %s",
				 strerror(errno));
			goto out;
		}
		len = 0;
	}
	ret = 0;
out:
	free(list);
	return ret;
}

static int open_cpus(struct lockstat *ls, char *why, size_t whylen)
{
	int opened = 0;

	for (int i = 0; i < ls->ncpus; i++) {
		/* a possible but absent CPU has no buffer */
		ls->cpus[i].tcpu = tracefs_cpu_open(ls->inst, i, true);
		opened += ls->cpus[i].tcpu != NULL;
	}
	if (!opened) {
		fmt_into(why, whylen, "cannot open the instance's per-CPU buffers: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static void close_cpus(struct lockstat *ls)
{
	for (int i = 0; ls->cpus && i < ls->ncpus; i++) {
		if (ls->cpus[i].tcpu)
			tracefs_cpu_close(ls->cpus[i].tcpu);
		ls->cpus[i].tcpu = NULL;
	}
}

static int enable_events(struct lockstat *ls, char *why, size_t whylen)
{
	for (int k = 0; k < EV_NR; k++) {
		if (tracefs_event_enable(ls->inst, LS_SYSTEM, event_names[k])) {
			fmt_into(why, whylen, "cannot enable the %s event: %s", event_names[k],
				 strerror(errno));
			return -1;
		}
	}
	if (tracefs_trace_on(ls->inst)) {
		fmt_into(why, whylen, "cannot turn tracing on in the instance: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The draining thread takes no signals: the caller's handlers run where it expects them. */
static int start_thread(struct lockstat *ls)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&ls->thread, NULL, drain_main, ls);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		return -1;
	}
	/* so that top and perf tell it from the caller's threads */
	pthread_setname_np(ls->thread, "vmatrace-lockst");
	ls->thread_running = true;
	return 0;
}

static void stop_thread(struct lockstat *ls)
{
	if (!ls->thread_running)
		return;
	__atomic_store_n(&ls->stop, 1, __ATOMIC_RELEASE);
	pthread_join(ls->thread, NULL);
	ls->thread_running = false;
}

/* Tear down what start made; the statistics stay. */
static int teardown(struct lockstat *ls)
{
	int ret = 0;

	if (ls->inst)
		tracefs_trace_off(ls->inst);
	stop_thread(ls);
	close_cpus(ls);
	if (ls->inst && tracing_instance_remove(ls->inst)) {
		set_error(ls, errno,
			  "cannot remove the tracefs instance 'vmatrace-lockstat-%d': %s",
			  (int)getpid(), strerror(errno));
		ret = -1;
	}
	ls->inst = NULL;
	return ret;
}

/**
 * lockstat_start - trace the mmap_lock of the replay processes
 * @writers: the replay processes, @nw of them (at least one); every thread
 *           of theirs is traced, also threads they create later
 * @nw: how many
 * @readers: the reader processes, @nr of them (may be NULL when @nr is 0)
 * @nr: how many
 * @why: where a one-line reason goes when lockstat cannot start
 * @whylen: its size
 *
 * Creates a private instance vmatrace-lockstat-<our pid> (removing the
 * vmatrace-* instances of dead pids first), enables the three mmap_lock
 * events filtered to those tasks, and starts a thread that drains the
 * per-CPU buffers every few milliseconds.  Needs root and tracefs (mounted
 * here if it is not).  The statistics cover what happens from now until
 * lockstat_stop().
 *
 * Return: the running lockstat, or NULL with errno set and the reason in
 * @why: EPERM not root, ENOENT no tracefs or no mmap_lock events, ESRCH a
 * process is gone, EINTR after lockstat_interrupt(), EINVAL, ENOMEM.  The
 * caller says so and replays without lock statistics.
 */
struct lockstat *lockstat_start(const pid_t *writers, unsigned int nw, const pid_t *readers,
				unsigned int nr, char *why, size_t whylen)
{
	struct lockstat *ls;
	int saved;

	if (!writers || !nw || (nr && !readers) || !why || !whylen) {
		if (why && whylen)
			fmt_into(why, whylen, "no replay process to trace");
		errno = EINVAL;
		return NULL;
	}
	why[0] = '\0';
	if (was_interrupted()) {
		fmt_into(why, whylen, "interrupted");
		errno = EINTR;
		return NULL;
	}
	if (geteuid()) {
		fmt_into(why, whylen, "not root: the mmap_lock tracepoints need root and tracefs");
		errno = EPERM;
		return NULL;
	}
	if (tracing_check(LS_SYSTEM, event_names[EV_ACQUIRE], why, whylen))
		return NULL;
	tracing_remove_stale();

	ls = calloc(1, sizeof(*ls));
	if (!ls) {
		fmt_into(why, whylen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ls->nw = nw;
	ls->nr = nr;
	ls->wprocs = calloc(nw, sizeof(*ls->wprocs));
	ls->readers = calloc(nr ? nr : 1, sizeof(*ls->readers));
	if (!ls->wprocs || !ls->readers || tasks_grow(ls)) {
		fmt_into(why, whylen, "out of memory");
		errno = ENOMEM;
		goto fail;
	}
	ls->ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (ls->ncpus < 1)
		ls->ncpus = 1;
	ls->buffer_kb = LS_BUFFER_KB_TOTAL / (unsigned int)ls->ncpus;
	if (ls->buffer_kb > LS_BUFFER_KB_MAX)
		ls->buffer_kb = LS_BUFFER_KB_MAX;
	if (ls->buffer_kb < LS_BUFFER_KB_MIN)
		ls->buffer_kb = LS_BUFFER_KB_MIN;
	ls->cpus = calloc((size_t)ls->ncpus, sizeof(*ls->cpus));
	if (!ls->cpus) {
		fmt_into(why, whylen, "out of memory");
		errno = ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < nw; i++)
		ls->wprocs[i].pid = writers[i];
	if (nr)
		memcpy(ls->readers, readers, nr * sizeof(*readers));

	if (setup_parser(ls, why, whylen) || setup_instance(ls, why, whylen) ||
	    setup_pids(ls, writers, readers, why, whylen) || open_cpus(ls, why, whylen) ||
	    enable_events(ls, why, whylen))
		goto fail;
	if (was_interrupted()) {
		fmt_into(why, whylen, "interrupted");
		errno = EINTR;
		goto fail;
	}
	if (start_thread(ls)) {
		fmt_into(why, whylen, "cannot start the thread that reads the trace: %s",
			 strerror(errno));
		goto fail;
	}
	return ls;
fail:
	saved = errno;
	lockstat_free(ls);
	errno = saved;
	return NULL;
}

/* Sum the replay mms of every (role, mode); the rest is counted as excluded. */
static int compute(struct lockstat *ls)
{
	uint64_t *own;

	for (unsigned int r = 0; r < ROLE_NR; r++) {
		for (unsigned int m = 0; m < 2; m++) {
			struct lockstat_mode *x = &ls->res[r][m];

			memset(x, 0, sizeof(*x));
			hist_init(&x->wait);
			hist_init(&x->hold);
			hist_init(&x->downgraded_hold);
		}
	}
	own = calloc(ls->nw, sizeof(*own));
	if (!own) {
		set_error(ls, ENOMEM, "out of memory for the lock statistics");
		return -1;
	}
	/* each writer process's own mm: the one its threads locked most */
	for (unsigned int i = 0; i < ls->nw; i++) {
		const struct writer_proc *w = &ls->wprocs[i];
		uint64_t best = 0;

		for (unsigned int k = 0; k < LS_WRITER_MMS; k++) {
			if (w->count[k] > best) {
				best = w->count[k];
				own[i] = w->mm[k];
			}
		}
	}
	for (unsigned int b = 0; b < MMSTAT_BUCKETS; b++) {
		for (const struct mmstat *s = ls->mmstats[b]; s; s = s->next) {
			struct lockstat_mode *x = &ls->res[s->role][s->write];
			bool replay = false;

			for (unsigned int i = 0; i < ls->nw && !replay; i++)
				replay = own[i] && own[i] == s->mm;
			if (!replay) {
				x->excluded += s->acquisitions;
				continue;
			}
			x->acquisitions += s->acquisitions;
			x->failed += s->failed;
			x->downgrades += s->downgrades;
			x->unmatched += s->unmatched;
			hist_merge(&x->wait, &s->wait);
			hist_merge(&x->hold, &s->hold);
			hist_merge(&x->downgraded_hold, &s->downgraded_hold);
		}
	}
	free(own);
	for (size_t i = 0; i < ls->tasks_cap; i++)
		if (ls->tasks[i].tid && ls->tasks[i].role < ROLE_NR)
			ls->tasks_seen[ls->tasks[i].role]++;
	return 0;
}

/**
 * lockstat_stop - stop tracing and compute the statistics
 * @ls: from lockstat_start()
 *
 * Turns tracing off, reads what the buffers still hold (not after
 * lockstat_interrupt(): then what was read so far is what counts), reads the
 * kernel's count of lost events, removes the instance and computes the
 * statistics for lockstat_json().  Calling it again does nothing.
 *
 * Return: 0, or -1 with errno set and lockstat_error() saying why: reading
 * the buffers failed (the statistics cover what was read before), or the
 * instance could not be removed.
 */
int lockstat_stop(struct lockstat *ls)
{
	if (!ls) {
		errno = EINVAL;
		return -1;
	}
	if (ls->stopped)
		goto out;
	tracefs_trace_off(ls->inst);
	stop_thread(ls);
	if (!ls->err[0] && !was_interrupted())
		drain(ls, true);
	else
		merge(ls, UINT64_MAX); /* what is queued is complete: tracing is off */
	ls->lost = lost_events(ls);
	teardown(ls);
	compute(ls);
	ls->stopped = true;
out:
	if (ls->err[0]) {
		errno = ls->err_no ? ls->err_no : EIO;
		return -1;
	}
	return 0;
}

/**
 * lockstat_error - why lockstat_stop() failed
 * @ls: a stopped lockstat
 *
 * Return: one line without a trailing period, or "" when nothing failed.
 */
const char *lockstat_error(const struct lockstat *ls)
{
	return ls ? ls->err : "";
}

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/**
 * lockstat_json - the statistics as JSON
 * @ls: stopped with lockstat_stop()
 * @reader_passes: the readers' passes in all, 0 if unknown
 *
 * An array with one object per (role, mode), in the order writer/write,
 * writer/read, reader/read, reader/write.  Only acquisitions of a replay
 * process's mm count.  Each object has:
 *   "role": "writer" | "reader", "mode": "read" | "write"
 *   "tasks": the tasks of that role traced
 *   "acquisitions": successful acquisitions (a downgrade is not one)
 *   "failed": failed trylocks and interrupted killable locks
 *   "acquisitions_per_pass" (readers only): acquisitions / @reader_passes,
 *     null when @reader_passes is 0; for a per-VMA reader kind, the rate of
 *     falling back to mmap_lock
 *   "wait", "hold": histograms (results_hist_json() with buckets, so that
 *     report and compare can pool runs and draw the wait's spectrum), ns
 *     from start_locking to acquire_returned, and from that to released
 *     (for write: to the release or the downgrade, whichever ends the
 *     exclusive hold)
 *   "downgrades", "downgraded_hold" (write only): write locks downgraded to
 *     read, and how long they were held shared after that
 *   "unmatched": events whose partner was not traced (around the start of
 *     tracing, or lost): the wait or hold of those is not in the histograms
 *   "excluded_acquisitions": acquisitions of other mms (a reader's own),
 *     not counted above
 *   "lost_events": events the kernel dropped in the whole session (the same
 *     in every object; 0 means the figures are complete)
 *
 * Return: a new array (json_object_put() it), or NULL with errno set
 * (EINVAL when @ls is not stopped, ENOMEM).
 */
json_object *lockstat_json(const struct lockstat *ls, uint64_t reader_passes)
{
	static const struct {
		enum role role;
		bool write;
	} order[] = {
		{ ROLE_WRITER, true },
		{ ROLE_WRITER, false },
		{ ROLE_READER, false },
		{ ROLE_READER, true },
	};
	json_object *a;

	if (!ls || !ls->stopped) {
		errno = EINVAL;
		return NULL;
	}
	a = json_object_new_array();
	if (!a)
		goto oom;
	for (unsigned int i = 0; i < ARRAY_SIZE(order); i++) {
		const struct lockstat_mode *x = &ls->res[order[i].role][order[i].write];
		json_object *o = json_object_new_object();

		if (!o || json_object_array_add(a, o)) {
			json_object_put(o);
			goto oom;
		}
		json_object_object_add(o, "role",
				       json_object_new_string(role_names[order[i].role]));
		json_object_object_add(o, "mode",
				       json_object_new_string(mode_names[order[i].write]));
		json_object_object_add(o, "tasks", u64(ls->tasks_seen[order[i].role]));
		json_object_object_add(o, "acquisitions", u64(x->acquisitions));
		json_object_object_add(o, "failed", u64(x->failed));
		if (order[i].role == ROLE_READER && reader_passes)
			json_object_object_add(o, "acquisitions_per_pass",
					       json_object_new_double((double)x->acquisitions /
								      (double)reader_passes));
		else if (order[i].role == ROLE_READER)
			json_object_object_add(o, "acquisitions_per_pass", NULL);
		json_object_object_add(o, "wait", results_hist_json(&x->wait, true));
		json_object_object_add(o, "hold", results_hist_json(&x->hold, true));
		if (order[i].write) {
			json_object_object_add(o, "downgrades", u64(x->downgrades));
			json_object_object_add(o, "downgraded_hold",
					       results_hist_json(&x->downgraded_hold, true));
		}
		json_object_object_add(o, "unmatched", u64(x->unmatched));
		json_object_object_add(o, "excluded_acquisitions", u64(x->excluded));
		json_object_object_add(o, "lost_events", u64(ls->lost));
	}
	return a;
oom:
	json_object_put(a);
	errno = ENOMEM;
	return NULL;
}

/**
 * lockstat_free - release a lockstat
 * @ls: from lockstat_start(), or NULL
 *
 * When lockstat_stop() was not called (an error path of the caller), stops
 * tracing and removes the instance first, without computing anything.
 */
void lockstat_free(struct lockstat *ls)
{
	if (!ls)
		return;
	if (!ls->stopped)
		teardown(ls);
	for (int i = 0; ls->cpus && i < ls->ncpus; i++)
		free(ls->cpus[i].q.v);
	free(ls->cpus);
	for (unsigned int b = 0; b < MMSTAT_BUCKETS; b++) {
		while (ls->mmstats[b]) {
			struct mmstat *s = ls->mmstats[b];

			ls->mmstats[b] = s->next;
			free(s);
		}
	}
	if (ls->kbuf)
		kbuffer_free(ls->kbuf);
	if (ls->tep)
		tep_free(ls->tep);
	free(ls->page);
	free(ls->tasks);
	free(ls->wprocs);
	free(ls->readers);
	free(ls);
}
