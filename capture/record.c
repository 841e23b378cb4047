// SPDX-License-Identifier: GPL-2.0-only
/*
 * record.c - vmatrace record: live capture of address-space syscalls through
 * a private tracefs instance, decoded with libtraceevent
 *
 * One thread does everything, in rounds (see RECORD_POLL_NS):
 *
 *   cpu0 trace_pipe_raw ─ read ─► decode ─► queue 0 ─┐
 *   cpu1 trace_pipe_raw ─ read ─► decode ─► queue 1 ─┼─► merge ─► pair ─► out-heap ─► writer
 *   ...                             │                ┘  (< W)    enter/   (by time)   (< W)
 *                                   │                            exit
 *                                   └─ mmap exit: which file is mapped there, asked now
 *
 * Reorder window.  A round notes the time T, then reads every CPU's buffer
 * until it is empty.  An event stamped before T is then in hand, unless its
 * writer had reserved it but not yet committed it, which takes microseconds
 * with preemption off, or longer only if the (virtual) CPU is descheduled
 * right then.  So events older than W = T - RECORD_WINDOW_NS (100 ms) are
 * merged across CPUs in time order, enter and exit are paired per thread,
 * and the rest wait for the next round.  An event that turns up older than a
 * W already used is counted as lost ("late"), never written out of order.
 * The window costs memory only: at a million events a second, 100 ms of
 * events is about 8 MB.
 *
 * Pairing.  An op takes its place in the trace at its enter time but is
 * complete only at its exit, so ops wait in a heap ordered by (time,
 * arrival); the head is written once it is below W and complete.  An op
 * whose exit never comes (the thread exited, the capture stopped, or the
 * exit was lost) is written with VMT_OPF_NO_EXIT: at the next enter of its
 * thread, at its thread's exit, after RECORD_EXIT_WAIT_NS, or at the end.
 *
 * File identity.  The fd of an mmap is often closed microseconds after the
 * call (ld.so does so), long before a tracer can look, but the mapping
 * stays.  So when the decoder meets the exit of a successful, not anonymous
 * mmap it asks the kernel at once which VMA covers the returned address
 * (PROCMAP_QUERY, or the maps file) and stats its /proc/PID/map_files link:
 * device, inode, size and path.  That answer is trusted only if the VMA's
 * file offset agrees with the mmap's offset and no munmap, MAP_FIXED mmap,
 * mremap or exec of the process touched the address between the mmap's
 * enter and the moment of the look-up; the op is held until the merge has
 * passed that moment, so every such change has been seen.  Otherwise the
 * file is written as VMT_FILEF_UNRESOLVED, one FILE record per such mmap
 * (two unknown files must not look alike to a replay).  Known files get one
 * FILE record per (dev, ino).
 *
 * Following tasks.  set_event_pid holds the traced tids; with the
 * event-fork option the kernel adds every child and thread they create, so
 * nothing is missed between a clone and the tracer noticing it.  The
 * kernel cannot follow threads without also following child processes, so
 * --no-children drops the events of other processes here (counted as
 * "ignored").  task_newtask's clone flags tell threads from processes.
 *
 * Lost events.  The instance runs with overwrite off, so a full buffer drops
 * new events; per_cpu/cpuN/stats counts them ("dropped events", with
 * "overrun" and "commit overrun" for completeness) and the ring-buffer pages
 * mark missed events.  Both are read every round; an increase becomes a LOST
 * record and adds to the header's count.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>
#include <tracefs.h>

#include "import.h"
#include "procmap.h"
#include "record.h"
#include "tracefs-util.h"
#include "util.h"
#include "vmt.h"

#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull
/*
 * The loop sleeps in poll() on the buffers (buffer_percent 0: woken by the
 * first event) for at most RECORD_POLL_NS.  When the last round was small,
 * it reads at once, so that an mmap's file is looked up within tens of
 * microseconds; when it was large (more than RECORD_BATCH_EVENTS), it lets
 * RECORD_BATCH_NS of events gather first, so a busy workload costs the
 * kernel at most 500 wake-ups a second and us one read per page.
 */
#define RECORD_POLL_NS (50 * NSEC_PER_MSEC)
#define RECORD_BATCH_NS (2 * NSEC_PER_MSEC)
#define RECORD_BATCH_EVENTS 4096
#define RECORD_BUSY_PAGES 4
#define RECORD_WINDOW_NS (100 * NSEC_PER_MSEC)
#define RECORD_EXIT_WAIT_NS (10 * NSEC_PER_SEC)
/* Ops waiting for their exit beyond this many queued records are given up (NO_EXIT). */
#define RECORD_QUEUE_MAX (4u << 20)
#define RECORD_PROGRESS_NS (500 * NSEC_PER_MSEC)
/* Address changes remembered per process for the file-identity check. */
#define RECORD_HIST 64
#define INSTANCE_PREFIX "vmatrace-record-"
#define COMM_LEN 16

static volatile sig_atomic_t interrupted;

void record_interrupt(void)
{
	interrupted = 1;
}

/* ---- small containers ---------------------------------------------------- */

/* ---- what the capture knows ---------------------------------------------- */

struct rfile {
	uint64_t dev, ino, size;
	uint32_t flags; /* VMT_FILEF_* */
	uint32_t idx;	/* FILE index once written, else VMT_NONE */
	struct rfile *next;
	char path[];
};

/* A change of the address space that may have replaced a mapping. */
struct change {
	uint64_t t, start, end;
	uint64_t seq; /* of the op that made it, so an mmap does not void itself */
};

/* A resolved mmap whose answer a later-processed change could still void. */
struct validation {
	struct qrec *q;
	uint64_t addr, until;
};

struct rproc {
	int32_t pid, ppid;
	struct rproc *parent;
	uint32_t idx;  /* PROCESS index once written */
	bool ignored;  /* --no-children: not traced */
	bool launched; /* the command we started */
	struct change hist[RECORD_HIST];
	unsigned int nhist, hist_next;
	uint64_t hist_lost; /* newest time pushed out of hist */
	struct validation *val;
	size_t nval, capval;
	struct rproc *next;
};

struct rtask {
	int32_t tid;
	struct rproc *proc;
	struct qrec *pending; /* op waiting for its exit */
	uint32_t idx;	      /* THREAD index once written */
	bool attached;	      /* found in /proc at attach time */
	bool exited;
	struct rtask *next;
};

/* A record waiting in the out-heap. */
struct qrec {
	uint64_t t, seq;
	uint64_t hold; /* not written before the merge has passed this time */
	uint8_t type;  /* enum vmt_rec_type */
	uint8_t kind, flags;
	bool complete, group_dead;
	struct rtask *task;
	struct rproc *proc;
	struct rfile *file;
	uint64_t args[VMT_MAX_ARGS]; /* MAP: start, end, pgoff, prot; LOST: count */
	uint64_t t_exit;
	int64_t ret;  /* OP: return value; EXIT: code */
	uint32_t cpu; /* LOST */
	char *str;    /* PROCESS/THREAD/COMM name, EXEC file name, MAP name */
	struct qrec *free_next;
};

/* ---- decoded events -------------------------------------------------------- */

enum ev_type {
	EV_NONE,
	EV_ENTER,
	EV_EXIT,
	EV_NEWTASK,
	EV_EXEC,
	EV_TEXIT,
	EV_RENAME
};

/* What the decoder learnt about the file behind an mmap, at once. */
struct fileres {
	uint64_t resolved_at;
	uint64_t vma_start, vma_end, vma_pgoff;
	uint64_t dev, ino, size;
	char path[];
};

struct ev {
	uint64_t ts;
	int32_t tid;
	uint8_t type, kind;
	union {
		uint64_t args[VMT_MAX_ARGS];
		struct {
			int64_t ret;
			struct fileres *res;
		} exit;
		struct {
			int32_t pid;
			uint64_t flags;
			char comm[COMM_LEN];
		} newtask;
		struct {
			int32_t pid, old_pid;
			char *filename;
		} exec;
		struct {
			bool group_dead, has_group_dead;
		} texit;
		struct {
			char comm[COMM_LEN];
		} rename;
	};
};

/* Events of one CPU, in its ring buffer's order: a growable ring. */
struct evq {
	struct ev *v;
	size_t head, n, cap;
};

struct fld {
	uint16_t off, size;
	bool sign, dynamic, relative, present;
};

struct evdesc {
	uint8_t type, kind, nargs;
	uint8_t int_args; /* ENTER: bit i set: argument i is an int to the kernel */
	uint16_t min_size;
	/* ENTER: the arguments; EXIT: ret; NEWTASK: pid, comm, clone_flags;
	 * EXEC: filename, pid, old_pid; TEXIT: group_dead; RENAME: newcomm */
	struct fld f[VMT_MAX_ARGS];
};

struct rcpu {
	struct tracefs_cpu *tcpu;
	int fd; /* its trace_pipe_raw, ours so it can be polled */
	int stats_fd;
	struct evq q;
	uint64_t missed; /* missed events marked in the pages */
	uint64_t stats;	 /* overrun + commit overrun + dropped, per the stats file */
	uint64_t late;
	uint64_t reported; /* already in LOST records */
	uint64_t last_ts;  /* of the newest event decoded */
	bool busy;	   /* read whole pages only, see drain_cpu() */
};

/* The out-heap: a binary min-heap of records by (t, seq). */
struct qheap {
	struct qrec **v;
	size_t n, cap;
};

struct ctx {
	const struct record_opts *o;
	struct record_stats *st;
	char *err;
	size_t errlen;
	/* tracefs and decoding */
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct kbuffer *kbuf;
	struct evdesc *desc;
	int max_id;
	struct fld f_type, f_pid;
	uint16_t common_size;
	struct rcpu *cpus;
	int ncpus;
	struct pollfd *pfd;
	int npfd;
	void *page;
	int page_size;
	bool kinds[VMT_OP_NR]; /* op kinds this kernel can trace */
	/* state */
	struct imp_idmap tasks, procs, mmap_anon; /* tid/pid -> pointer or value */
	struct rtask *all_tasks;
	struct rproc *all_procs;
	struct rfile **ftab;
	uint32_t ftab_cap, ftab_n;
	struct rfile *all_files;
	struct qheap heap;
	struct qrec *free_q;
	uint64_t seq;
	uint64_t t0, merged_upto, prev_round;
	/* output */
	struct vmt_writer *w;
	struct vmt_record *rec;
	struct vmt_file *vfile;
	struct vmt_op op;
	struct procmap_vma *vma;
	enum procmap_method pm_method;
	long pagesz;
	/* target */
	pid_t child;
	int go_fd, fail_fd;
};

static int fail(struct ctx *c, const char *fmt, ...) VMT_PRINTF(2, 3);
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	/* keep the first, most specific message */
	if (c->err[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int oom(struct ctx *c)
{
	return fail(c, "out of memory");
}

/* ---- checks and stale instances ------------------------------------------ */

int record_check(char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *dir;

	if (!tracing_mounted()) {
		if (geteuid() != 0) {
			fmt_into(err, errlen,
				 "record needs root: tracefs is not mounted and a "
				 "tracefs instance must be created (run it as root)");
			return -1;
		}
		if (mount("nodev", TRACING_MOUNT, "tracefs", 0, NULL)) {
			if (errno == ENODEV)
				fmt_into(err, errlen,
					 "this kernel has no tracefs (CONFIG_FTRACE is off)");
			else
				fmt_into(err, errlen,
					 "tracefs is not mounted and mounting it on %s failed: %s "
					 "(try: mount -t tracefs nodev %s)",
					 TRACING_MOUNT, strerror(errno), TRACING_MOUNT);
			return -1;
		}
	}
	dir = tracefs_tracing_dir();
	if (!dir) {
		fmt_into(err, errlen, "cannot find the tracefs mount");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/instances", dir);
	if (access(path, W_OK)) {
		if (errno == EACCES || errno == EPERM)
			fmt_into(err, errlen,
				 "record needs root: it creates a tracefs instance in '%s'", path);
		else
			fmt_into(err, errlen, "cannot create tracefs instances in '%s': %s", path,
				 strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_mprotect", dir);
	if (access(path, F_OK)) {
		fmt_into(err, errlen,
			 "this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS is off)");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/events/task/task_newtask", dir);
	if (access(path, F_OK)) {
		fmt_into(err, errlen, "this kernel has no task:task_newtask tracepoint");
		return -1;
	}
	return 0;
}

/* ---- the out-heap and its records ------------------------------------------ */

static bool q_before(const struct qrec *a, const struct qrec *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int heap_push(struct ctx *c, struct qrec *q)
{
	struct qheap *h = &c->heap;
	size_t i;

	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 4096;
		struct qrec **v = realloc(h->v, ncap * sizeof(*v));

		if (!v)
			return oom(c);
		h->v = v;
		h->cap = ncap;
	}
	i = h->n++;
	while (i) {
		size_t parent = (i - 1) / 2;

		if (!q_before(q, h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = q;
	return 0;
}

static struct qrec *heap_pop(struct ctx *c)
{
	struct qheap *h = &c->heap;
	struct qrec *top = h->v[0], *last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l >= h->n)
			break;
		if (l + 1 < h->n && q_before(h->v[l + 1], h->v[l]))
			l++;
		if (!q_before(h->v[l], last))
			break;
		h->v[m] = h->v[l];
		i = l;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

/* A new record at time @t, not yet in the heap. */
static struct qrec *qrec_new(struct ctx *c, enum vmt_rec_type type, uint64_t t)
{
	struct qrec *q = c->free_q;

	if (q)
		c->free_q = q->free_next;
	else if (!(q = malloc(sizeof(*q)))) {
		oom(c);
		return NULL;
	}
	memset(q, 0, sizeof(*q));
	q->type = (uint8_t)type;
	q->t = t;
	q->seq = c->seq++;
	q->complete = true;
	return q;
}

static void qrec_free(struct ctx *c, struct qrec *q)
{
	free(q->str);
	q->str = NULL;
	q->free_next = c->free_q;
	c->free_q = q;
}

/* Queue a record that is complete as it is. */
static int queue(struct ctx *c, enum vmt_rec_type type, uint64_t t, struct rtask *task,
		 struct rproc *proc, const char *str, struct qrec **out)
{
	struct qrec *q = qrec_new(c, type, t);

	if (!q)
		return -1;
	q->task = task;
	q->proc = proc;
	if (str && !(q->str = strdup(str))) {
		qrec_free(c, q);
		return oom(c);
	}
	if (heap_push(c, q)) {
		qrec_free(c, q);
		return -1;
	}
	if (out)
		*out = q;
	return 0;
}

/* ---- files ----------------------------------------------------------------- */

static uint32_t file_hash(uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino ^ (dev << 32) ^ (dev >> 32)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32);
}

static struct rfile *file_alloc(struct ctx *c, uint64_t dev, uint64_t ino, uint64_t size,
				uint32_t flags, const char *path)
{
	size_t len = strnlen(path, VMT_STR_MAX - 1);
	struct rfile *f = malloc(sizeof(*f) + len + 1);

	if (!f) {
		oom(c);
		return NULL;
	}
	f->dev = dev;
	f->ino = ino;
	f->size = size;
	f->flags = flags;
	f->idx = VMT_NONE;
	memcpy(f->path, path, len);
	f->path[len] = '\0';
	f->next = c->all_files;
	c->all_files = f;
	return f;
}

/* One rfile per (dev, ino); the first path and size seen are kept. */
static struct rfile *file_intern(struct ctx *c, uint64_t dev, uint64_t ino, uint64_t size,
				 const char *path)
{
	uint32_t i;
	struct rfile *f;

	if ((c->ftab_n + 1) * 2 > c->ftab_cap) {
		uint32_t ncap = c->ftab_cap ? c->ftab_cap * 2 : 256;
		struct rfile **t = calloc(ncap, sizeof(*t));

		if (!t) {
			oom(c);
			return NULL;
		}
		for (uint32_t j = 0; j < c->ftab_cap; j++) {
			if (!(f = c->ftab[j]))
				continue;
			i = file_hash(f->dev, f->ino) & (ncap - 1);
			while (t[i])
				i = (i + 1) & (ncap - 1);
			t[i] = f;
		}
		free(c->ftab);
		c->ftab = t;
		c->ftab_cap = ncap;
	}
	i = file_hash(dev, ino) & (c->ftab_cap - 1);
	while ((f = c->ftab[i])) {
		if (f->dev == dev && f->ino == ino)
			return f;
		i = (i + 1) & (c->ftab_cap - 1);
	}
	f = file_alloc(c, dev, ino, size, 0, path);
	if (!f)
		return NULL;
	c->ftab[i] = f;
	c->ftab_n++;
	return f;
}

/* A file we could not establish: its own record, so it never matches another. */
static struct rfile *file_unresolved(struct ctx *c)
{
	return file_alloc(c, 0, 0, 0, VMT_FILEF_UNRESOLVED, "");
}

/*
 * The file behind the VMA at [start, end) of @pid: stat through map_files
 * gives the file's own dev, ino and size; the VMA's numbers are the fallback.
 */
static void vma_file_stat(pid_t pid, const struct procmap_vma *vma, uint64_t *dev, uint64_t *ino,
			  uint64_t *size)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid,
		 vma->start, vma->end);
	if (!stat(path, &st)) {
		*dev = st.st_dev;
		*ino = st.st_ino;
		*size = (uint64_t)st.st_size;
	} else {
		*dev = makedev(vma->dev_major, vma->dev_minor);
		*ino = vma->inode;
		*size = 0;
	}
}

/*
 * Called by the decoder at the exit of a file mmap, as early as it can:
 * which file is mapped at @addr in @tid's address space now.  NULL when
 * nothing file-backed covers it (or the task is gone).
 */
static struct fileres *resolve_now(struct ctx *c, int32_t tid, uint64_t addr)
{
	struct procmap_vma *vma = c->vma;
	uint64_t t = now_ns(CLOCK_MONOTONIC);
	struct fileres *res = NULL;
	struct procmap *pm;
	size_t len;

	/* opened each time: after an exec the tid has a new address space */
	pm = procmap_open(tid, c->pm_method);
	if (!pm)
		return NULL;
	if (!procmap_rewind(pm, addr) && procmap_next(pm, vma) == 1 && vma->start <= addr &&
	    addr < vma->end && vma->inode) {
		len = strnlen(vma->name, VMT_STR_MAX - 1);
		res = malloc(sizeof(*res) + len + 1);
		if (res) {
			res->resolved_at = t;
			res->vma_start = vma->start;
			res->vma_end = vma->end;
			res->vma_pgoff = vma->pgoff;
			vma_file_stat(tid, vma, &res->dev, &res->ino, &res->size);
			memcpy(res->path, vma->name, len);
			res->path[len] = '\0';
		}
	}
	procmap_close(pm);
	return res;
}

/* ---- processes and threads ---------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void comm_copy(char dst[COMM_LEN], const char *src)
{
	size_t n = strnlen(src, COMM_LEN - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Name, Tgid and PPid of a task from /proc; false if it is gone. */
static bool proc_status(int32_t tid, int32_t *tgid, int32_t *ppid, char name[COMM_LEN])
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Name:\t", 6)) {
			line[strcspn(line, "\n")] = '\0';
			comm_copy(name, line + 6);
		} else if (!strncmp(line, "Tgid:", 5)) {
			*tgid = (int32_t)strtol(line + 5, NULL, 10);
			found = true;
		} else if (!strncmp(line, "PPid:", 5)) {
			*ppid = (int32_t)strtol(line + 5, NULL, 10);
		}
	}
	fclose(f);
	return found;
}

static struct rproc *proc_find(struct ctx *c, int32_t pid)
{
	int64_t v = imp_idmap_get(&c->procs, (uint32_t)pid);

	return v < 0 ? NULL : (struct rproc *)(uintptr_t)v;
}

static struct rtask *task_find(struct ctx *c, int32_t tid)
{
	int64_t v = imp_idmap_get(&c->tasks, (uint32_t)tid);

	return v < 0 ? NULL : (struct rtask *)(uintptr_t)v;
}

static struct rproc *proc_new(struct ctx *c, int32_t pid, int32_t ppid, struct rproc *parent,
			      const char *name, uint64_t t, bool ignored)
{
	struct rproc *p = calloc(1, sizeof(*p));

	if (!p) {
		oom(c);
		return NULL;
	}
	p->pid = pid;
	p->ppid = ppid;
	p->parent = parent;
	p->idx = VMT_NONE;
	p->ignored = ignored;
	p->next = c->all_procs;
	c->all_procs = p;
	if (imp_idmap_put(&c->procs, (uint32_t)pid, (int64_t)(uintptr_t)p)) {
		oom(c);
		return NULL;
	}
	if (!ignored && queue(c, VMT_REC_PROCESS, t, NULL, p, name, NULL))
		return NULL;
	return p;
}

static struct rtask *task_new(struct ctx *c, int32_t tid, struct rproc *p, const char *name,
			      uint64_t t)
{
	struct rtask *k = calloc(1, sizeof(*k));

	if (!k) {
		oom(c);
		return NULL;
	}
	k->tid = tid;
	k->proc = p;
	k->idx = VMT_NONE;
	k->next = c->all_tasks;
	c->all_tasks = k;
	if (imp_idmap_put(&c->tasks, (uint32_t)tid, (int64_t)(uintptr_t)k)) {
		oom(c);
		return NULL;
	}
	if (!p->ignored && queue(c, VMT_REC_THREAD, t, k, NULL, name, NULL))
		return NULL;
	return k;
}

/*
 * A task first met through one of its events: its creation was lost, or it
 * was made while -p was attaching.  /proc tells its process if it still
 * runs; if not, it becomes a process of its own, which keeps it from being
 * merged into an address space it may not belong to.
 */
static struct rtask *task_unknown(struct ctx *c, int32_t tid, uint64_t t)
{
	int32_t tgid = tid, ppid = 0;
	char name[COMM_LEN] = "?";
	struct rproc *p;

	c->st->unknown_tasks++;
	proc_status(tid, &tgid, &ppid, name);
	p = proc_find(c, tgid);
	if (!p) {
		struct rproc *parent = proc_find(c, ppid);

		p = proc_new(c, tgid, ppid, parent, name, t,
			     c->o->no_children || (parent && parent->ignored));
		if (!p)
			return NULL;
	}
	return task_new(c, tid, p, name, t);
}

static struct rtask *task_get(struct ctx *c, int32_t tid, uint64_t t)
{
	struct rtask *k = task_find(c, tid);

	return k ? k : task_unknown(c, tid, t);
}

/* ---- tracefs ------------------------------------------------------------------ */

static int fld_init(struct ctx *c, struct tep_event *ev, struct tep_format_field *f,
		    struct fld *out, uint16_t *min_size)
{
	if (!f)
		return fail(c, "event %s:%s lacks a field vmatrace needs", ev->system, ev->name);
	out->off = (uint16_t)f->offset;
	out->size = (uint16_t)f->size;
	out->sign = f->flags & TEP_FIELD_IS_SIGNED;
	out->dynamic = f->flags & TEP_FIELD_IS_DYNAMIC;
	out->relative = f->flags & TEP_FIELD_IS_RELATIVE;
	out->present = true;
	if (out->off + out->size > *min_size)
		*min_size = (uint16_t)(out->off + out->size);
	return 0;
}

static inline uint64_t fld_u64(const void *data, const struct fld *f)
{
	const uint8_t *p = (const uint8_t *)data + f->off;

	switch (f->size) {
	case 1:
		return f->sign ? (uint64_t)(int64_t)(int8_t)p[0] : p[0];
	case 2: {
		uint16_t v;

		memcpy(&v, p, 2);
		return f->sign ? (uint64_t)(int64_t)(int16_t)v : v;
	}
	case 4: {
		uint32_t v;

		memcpy(&v, p, 4);
		return f->sign ? (uint64_t)(int64_t)(int32_t)v : v;
	}
	default: {
		uint64_t v;

		memcpy(&v, p, 8);
		return v;
	}
	}
}

/* A char[] field, or a __data_loc/__rel_loc string, into @dst (terminated). */
static void fld_str(const void *data, int size, const struct fld *f, char *dst, size_t dstlen)
{
	const char *s = (const char *)data + f->off;
	size_t n = f->size;

	if (f->dynamic) {
		uint32_t loc;
		size_t off;

		memcpy(&loc, s, 4);
		off = loc & 0xffff;
		n = loc >> 16;
		if (f->relative)
			off += f->off + f->size;
		if (off > (size_t)size || n > (size_t)size - off)
			n = 0;
		s = (const char *)data + off;
	}
	n = strnlen(s, n);
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/*
 * The arguments the kernel reads as int although the event records a whole
 * register (mmap's fd is "unsigned long" in the x86-64 and arm64 entry
 * points, then truncated by fget()).  A caller may leave anything in the
 * upper half; the trace keeps the value the kernel used, sign-extended, so
 * fd -1 is -1 as in strace and the text form.
 */
static uint8_t int_args(int kind)
{
	switch (kind) {
	case VMT_OP_MMAP:
		return 1u << 4; /* fd */
	case VMT_OP_PKEY_MPROTECT:
		return 1u << 3; /* pkey */
	case VMT_OP_MADVISE:
		return 1u << 2; /* advice */
	case VMT_OP_PROCESS_MADVISE:
		return 1u << 0 | 1u << 3; /* pidfd, advice */
	default:
		return 0;
	}
}

static struct tep_event *find_event(struct ctx *c, const char *sys, const char *name)
{
	return tep_find_event_by_name(c->tep, sys, name);
}

static int add_desc(struct ctx *c, struct tep_event *ev, const struct evdesc *d)
{
	if (ev->id < 0 || ev->id > c->max_id)
		return fail(c, "event %s:%s has an unexpected id %d", ev->system, ev->name, ev->id);
	c->desc[ev->id] = *d;
	return 0;
}

static int enable(struct ctx *c, const char *sys, const char *name)
{
	if (tracefs_event_enable(c->inst, sys, name))
		return fail(c, "cannot enable the event %s:%s: %s", sys, name, strerror(errno));
	return 0;
}

/*
 * The events to enable and how to decode them.  A syscall's arguments are
 * the fields after __syscall_nr, in the kernel's order, which is the order
 * of the trace format (lib/ops.c), so they are taken by position.
 */
static int setup_events(struct ctx *c)
{
	static const char *const systems[] = { "syscalls", "sched", "task", NULL };
	struct tep_event *ev;
	struct tep_format_field *f;
	char name[64];
	int max_id = 0;

	c->tep = tracefs_local_events_system(NULL, systems);
	if (!c->tep)
		return fail(c, "cannot read the event formats from tracefs");
	c->kbuf = tep_kbuffer(c->tep);
	if (!c->kbuf)
		return fail(c, "cannot set up the ring-buffer decoder");
	for (int i = 0; i < tep_get_events_count(c->tep); i++) {
		ev = tep_get_event(c->tep, i);
		if (ev && ev->id > max_id)
			max_id = ev->id;
	}
	c->max_id = max_id;
	c->desc = calloc((size_t)max_id + 1, sizeof(*c->desc));
	if (!c->desc)
		return oom(c);

	ev = find_event(c, "syscalls", "sys_enter_mprotect");
	if (!ev)
		return fail(
			c,
			"this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS is off)");
	c->common_size = 0;
	if (fld_init(c, ev, tep_find_common_field(ev, "common_type"), &c->f_type,
		     &c->common_size) ||
	    fld_init(c, ev, tep_find_common_field(ev, "common_pid"), &c->f_pid, &c->common_size))
		return -1;

	for (int k = 0; k < VMT_OP_NR; k++) {
		struct evdesc d = { .type = EV_ENTER, .kind = (uint8_t)k };
		const struct vmt_op_desc *od = &vmt_op_descs[k];
		struct tep_event *exit_ev;

		if (k == VMT_OP_OTHER)
			continue;
		snprintf(name, sizeof(name), "sys_enter_%s", od->name);
		ev = find_event(c, "syscalls", name);
		snprintf(name, sizeof(name), "sys_exit_%s", od->name);
		exit_ev = find_event(c, "syscalls", name);
		if (!ev || !exit_ev)
			continue; /* this kernel lacks the syscall (mseal before 6.10) */
		d.min_size = c->common_size;
		f = tep_find_field(ev, "__syscall_nr");
		if (!f)
			return fail(c, "event syscalls:%s has no __syscall_nr field", ev->name);
		f = f->next;
		for (d.nargs = 0; f && d.nargs < VMT_MAX_ARGS; f = f->next, d.nargs++)
			if (fld_init(c, ev, f, &d.f[d.nargs], &d.min_size))
				return -1;
		if (d.nargs != od->nargs || f)
			return fail(c, "event syscalls:%s has %d arguments, vmatrace expects %d",
				    ev->name, d.nargs + (f != NULL), od->nargs);
		d.int_args = int_args(k);
		if (add_desc(c, ev, &d))
			return -1;
		memset(&d, 0, sizeof(d));
		d.type = EV_EXIT;
		d.kind = (uint8_t)k;
		d.min_size = c->common_size;
		if (fld_init(c, exit_ev, tep_find_field(exit_ev, "ret"), &d.f[0], &d.min_size) ||
		    add_desc(c, exit_ev, &d))
			return -1;
		c->kinds[k] = true;
	}
	if (!c->kinds[VMT_OP_MMAP] || !c->kinds[VMT_OP_MUNMAP] || !c->kinds[VMT_OP_MPROTECT])
		return fail(c, "this kernel lacks the mmap, munmap or mprotect syscall events");

	{
		struct evdesc d = { .type = EV_NEWTASK, .min_size = c->common_size };

		ev = find_event(c, "task", "task_newtask");
		if (!ev)
			return fail(c, "this kernel has no task:task_newtask tracepoint");
		if (fld_init(c, ev, tep_find_field(ev, "pid"), &d.f[0], &d.min_size) ||
		    fld_init(c, ev, tep_find_field(ev, "comm"), &d.f[1], &d.min_size) ||
		    fld_init(c, ev, tep_find_field(ev, "clone_flags"), &d.f[2], &d.min_size) ||
		    add_desc(c, ev, &d))
			return -1;
	}
	ev = find_event(c, "sched", "sched_process_exec");
	if (ev) {
		struct evdesc d = { .type = EV_EXEC, .min_size = c->common_size };

		if (fld_init(c, ev, tep_find_field(ev, "filename"), &d.f[0], &d.min_size) ||
		    fld_init(c, ev, tep_find_field(ev, "pid"), &d.f[1], &d.min_size) ||
		    fld_init(c, ev, tep_find_field(ev, "old_pid"), &d.f[2], &d.min_size) ||
		    add_desc(c, ev, &d))
			return -1;
	}
	ev = find_event(c, "sched", "sched_process_exit");
	if (ev) {
		struct evdesc d = { .type = EV_TEXIT, .min_size = c->common_size };

		/* group_dead arrived in 6.x; without it the leader's exit stands for the process's */
		f = tep_find_field(ev, "group_dead");
		if ((f && fld_init(c, ev, f, &d.f[0], &d.min_size)) || add_desc(c, ev, &d))
			return -1;
	}
	ev = find_event(c, "task", "task_rename");
	if (ev) {
		struct evdesc d = { .type = EV_RENAME, .min_size = c->common_size };

		if (fld_init(c, ev, tep_find_field(ev, "newcomm"), &d.f[0], &d.min_size) ||
		    add_desc(c, ev, &d))
			return -1;
	}
	return 0;
}

static int enable_events(struct ctx *c)
{
	char name[64];

	for (int k = 0; k < VMT_OP_NR; k++) {
		if (!c->kinds[k])
			continue;
		snprintf(name, sizeof(name), "sys_enter_%s", vmt_op_descs[k].name);
		if (enable(c, "syscalls", name))
			return -1;
		snprintf(name, sizeof(name), "sys_exit_%s", vmt_op_descs[k].name);
		if (enable(c, "syscalls", name))
			return -1;
	}
	if (enable(c, "task", "task_newtask"))
		return -1;
	if (find_event(c, "sched", "sched_process_exec") &&
	    enable(c, "sched", "sched_process_exec"))
		return -1;
	if (find_event(c, "sched", "sched_process_exit") &&
	    enable(c, "sched", "sched_process_exit"))
		return -1;
	if (find_event(c, "task", "task_rename") && enable(c, "task", "task_rename"))
		return -1;
	return 0;
}

static int setup_instance(struct ctx *c)
{
	char name[64], kb[32];

	snprintf(name, sizeof(name), INSTANCE_PREFIX "%d", (int)getpid());
	c->inst = tracefs_instance_create(name);
	if (c->inst && !tracefs_instance_is_new(c->inst)) {
		/* our own pid's leftover: a run killed before a reboot of the pid space */
		tracefs_instance_destroy(c->inst);
		tracefs_instance_free(c->inst);
		c->inst = tracefs_instance_create(name);
	}
	if (!c->inst || !tracefs_instance_is_new(c->inst))
		return fail(c, "cannot create the tracefs instance '%s': %s", name,
			    strerror(errno));
	/* quiet until everything is set, so the first events are the target's own */
	if (tracefs_trace_off(c->inst))
		return fail(c, "cannot stop tracing in the instance: %s", strerror(errno));
	snprintf(kb, sizeof(kb), "%u", c->o->buffer_kb);
	if (tracefs_instance_file_write(c->inst, "buffer_size_kb", kb) < 0)
		return fail(c, "cannot set a %u KiB buffer per CPU: %s", c->o->buffer_kb,
			    strerror(errno));
	if (tracefs_instance_file_write(c->inst, "trace_clock", "mono") < 0)
		return fail(c, "cannot set the trace clock 'mono' (CLOCK_MONOTONIC): %s",
			    strerror(errno));
	/* a full buffer drops new events and counts them, rather than eating unread ones */
	if (tracefs_option_disable(c->inst, TRACEFS_OPTION_OVERWRITE))
		return fail(c, "cannot turn the overwrite option off: %s", strerror(errno));
	if (tracefs_option_enable(c->inst, TRACEFS_OPTION_EVENT_FORK))
		return fail(c, "cannot turn the event-fork option on: %s", strerror(errno));
	return 0;
}

static int open_cpus(struct ctx *c)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	char path[64];

	if (n < 1)
		n = 1;
	c->page_size = tep_get_sub_buffer_size(c->tep);
	if (c->page_size <= 0)
		c->page_size = (int)c->pagesz;
	c->ncpus = (int)n;
	c->cpus = calloc((size_t)n, sizeof(*c->cpus));
	c->pfd = calloc((size_t)n, sizeof(*c->pfd));
	c->st->lost_cpu = calloc((size_t)n, sizeof(*c->st->lost_cpu));
	c->page = malloc((size_t)c->page_size);
	if (!c->cpus || !c->pfd || !c->st->lost_cpu || !c->page)
		return oom(c);
	c->st->ncpus = c->ncpus;
	/* wake a poller at the first event; the loop does its own batching */
	if (tracefs_instance_file_write(c->inst, "buffer_percent", "0") < 0)
		return fail(c, "cannot set buffer_percent: %s", strerror(errno));
	for (int i = 0; i < c->ncpus; i++) {
		struct rcpu *r = &c->cpus[i];

		r->fd = r->stats_fd = -1;
		snprintf(path, sizeof(path), "per_cpu/cpu%d/trace_pipe_raw", i);
		r->fd = tracefs_instance_file_open(c->inst, path, O_RDONLY | O_NONBLOCK);
		if (r->fd < 0)
			continue; /* a possible but absent CPU has no buffer to read */
		r->tcpu = tracefs_cpu_alloc_fd(r->fd, c->page_size, true);
		if (!r->tcpu)
			return oom(c);
		snprintf(path, sizeof(path), "per_cpu/cpu%d/stats", i);
		r->stats_fd = tracefs_instance_file_open(c->inst, path, O_RDONLY);
		c->pfd[c->npfd].fd = r->fd;
		c->pfd[c->npfd++].events = POLLIN;
	}
	if (!c->npfd)
		return fail(c, "cannot open the instance's per-CPU buffers: %s", strerror(errno));
	return 0;
}

static void close_cpus(struct ctx *c)
{
	for (int i = 0; c->cpus && i < c->ncpus; i++) {
		if (c->cpus[i].tcpu)
			tracefs_cpu_free_fd(c->cpus[i].tcpu);
		c->cpus[i].tcpu = NULL;
		if (c->cpus[i].fd >= 0)
			close(c->cpus[i].fd);
		c->cpus[i].fd = -1;
		if (c->cpus[i].stats_fd >= 0)
			close(c->cpus[i].stats_fd);
		c->cpus[i].stats_fd = -1;
	}
}

static void destroy_instance(struct ctx *c)
{
	if (!c->inst)
		return;
	close_cpus(c);
	tracefs_trace_off(c->inst);
	tracefs_instance_destroy(c->inst);
	tracefs_instance_free(c->inst);
	c->inst = NULL;
}

/* ---- decoding -------------------------------------------------------------- */

static struct ev *evq_push(struct ctx *c, struct evq *q)
{
	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 4096;
		struct ev *v = malloc(ncap * sizeof(*v));

		if (!v) {
			oom(c);
			return NULL;
		}
		for (size_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->head = 0;
		q->cap = ncap;
	}
	return &q->v[(q->head + q->n++) % q->cap];
}

static inline bool ret_failed(int64_t ret)
{
	return ret < 0 && ret >= -4095;
}

/* Whether the enter of @tid's mmap at or before @ts, already decoded, was anonymous. */
static bool enter_said_anon(struct ctx *c, int32_t tid, uint64_t ts)
{
	int64_t v = imp_idmap_get(&c->mmap_anon, (uint32_t)tid);

	return v >= 0 && (v & 1) && (uint64_t)v >> 1 <= ts;
}

static int decode_event(struct ctx *c, int cpu, const void *data, int size, uint64_t ts)
{
	const struct evdesc *d;
	struct ev *e;
	uint64_t type;
	int32_t tid;

	if (size < c->common_size)
		return 0;
	type = fld_u64(data, &c->f_type);
	if (type > (uint64_t)c->max_id)
		return 0;
	d = &c->desc[type];
	if (!d->type || size < d->min_size)
		return 0;
	tid = (int32_t)fld_u64(data, &c->f_pid);
	c->st->events++;
	if (ts > c->cpus[cpu].last_ts)
		c->cpus[cpu].last_ts = ts;
	if (ts < c->merged_upto) {
		/* older than a watermark already used: it cannot be placed any more */
		c->cpus[cpu].late++;
		return 0;
	}
	e = evq_push(c, &c->cpus[cpu].q);
	if (!e)
		return -1;
	e->ts = ts;
	e->tid = tid;
	e->type = d->type;
	e->kind = d->kind;
	switch (d->type) {
	case EV_ENTER:
		for (int i = 0; i < d->nargs; i++) {
			e->args[i] = fld_u64(data, &d->f[i]);
			if (d->int_args & 1u << i)
				e->args[i] = (uint64_t)(int64_t)(int32_t)e->args[i];
		}
		if (d->kind == VMT_OP_MMAP &&
		    imp_idmap_put(&c->mmap_anon, (uint32_t)tid, (int64_t)(ts << 1 | !!(e->args[3] & MAP_ANONYMOUS))))
			return oom(c);
		break;
	case EV_EXIT:
		e->exit.ret = (int64_t)fld_u64(data, &d->f[0]);
		e->exit.res = NULL;
		/*
		 * Look the file up now, while the mapping is fresh; skip it when the
		 * enter, decoded already on this or another CPU, said anonymous.
		 */
		if (d->kind == VMT_OP_MMAP && !ret_failed(e->exit.ret) &&
		    !enter_said_anon(c, tid, ts))
			e->exit.res = resolve_now(c, tid, (uint64_t)e->exit.ret);
		break;
	case EV_NEWTASK:
		e->newtask.pid = (int32_t)fld_u64(data, &d->f[0]);
		fld_str(data, size, &d->f[1], e->newtask.comm, COMM_LEN);
		e->newtask.flags = fld_u64(data, &d->f[2]);
		break;
	case EV_EXEC: {
		char buf[VMT_STR_MAX];

		fld_str(data, size, &d->f[0], buf, sizeof(buf));
		e->exec.pid = (int32_t)fld_u64(data, &d->f[1]);
		e->exec.old_pid = (int32_t)fld_u64(data, &d->f[2]);
		e->exec.filename = strdup(buf);
		if (!e->exec.filename)
			return oom(c);
		break;
	}
	case EV_TEXIT:
		e->texit.has_group_dead = d->f[0].present;
		e->texit.group_dead = d->f[0].present && fld_u64(data, &d->f[0]);
		break;
	case EV_RENAME:
		fld_str(data, size, &d->f[0], e->rename.comm, COMM_LEN);
		break;
	}
	return 0;
}

static int decode_page(struct ctx *c, int cpu)
{
	unsigned long long ts;
	void *data;
	int missed;

	if (kbuffer_load_subbuffer(c->kbuf, c->page) < 0)
		return fail(c, "cannot parse a ring-buffer page of CPU %d", cpu);
	missed = kbuffer_missed_events(c->kbuf);
	if (missed)
		c->cpus[cpu].missed += missed > 0 ? (uint64_t)missed : 1;
	for (data = kbuffer_read_event(c->kbuf, &ts); data; data = kbuffer_next_event(c->kbuf, &ts))
		if (decode_event(c, cpu, data, kbuffer_event_size(c->kbuf), ts))
			return -1;
	return 0;
}

/*
 * Read one CPU's buffer until it is empty.  A busy CPU (it filled
 * RECORD_BUSY_PAGES pages since the last round) is read through splice,
 * which hands over whole pages only: the page its writer is filling stays
 * put, so the reader never copies events out from under the writer, which
 * costs the traced program cache-line transfers on every event.  Its last
 * page is read with the next batch, at most a page of events later, unless
 * the whole pages were old (we were not scheduled for a while): then the
 * partial page could fall behind the window.  A quiet CPU's partial page is
 * read at once: it may hold an old event, or an mmap whose file is still to
 * be looked up.  @final takes everything.
 */
static int drain_cpu(struct ctx *c, int cpu, uint64_t t_round, bool final)
{
	struct rcpu *r = &c->cpus[cpu];
	int n, pages = 0;

	if (!r->tcpu)
		return 0;
	if (r->busy) {
		while ((n = tracefs_cpu_buffered_read(r->tcpu, c->page, true)) > 0) {
			if (decode_page(c, cpu))
				return -1;
			pages++;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail(c, "cannot read the ring buffer of CPU %d: %s", cpu,
				    strerror(errno));
	}
	if (final || pages < RECORD_BUSY_PAGES || r->last_ts + RECORD_WINDOW_NS / 2 < t_round) {
		while ((n = tracefs_cpu_read(r->tcpu, c->page, true)) > 0) {
			if (decode_page(c, cpu))
				return -1;
			pages++;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail(c, "cannot read the ring buffer of CPU %d: %s", cpu,
				    strerror(errno));
	}
	r->busy = pages >= RECORD_BUSY_PAGES;
	return 0;
}

/* "overrun", "commit overrun" and "dropped events" of per_cpu/cpuN/stats, summed. */
static uint64_t cpu_stats_lost(struct rcpu *r)
{
	char buf[1024], *p;
	uint64_t sum = 0;
	ssize_t n;

	if (r->stats_fd < 0)
		return r->stats;
	n = pread(r->stats_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return r->stats;
	buf[n] = '\0';
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "overrun:", 8))
			sum += strtoull(p + 8, NULL, 10);
		else if (!strncmp(p, "commit overrun:", 15))
			sum += strtoull(p + 15, NULL, 10);
		else if (!strncmp(p, "dropped events:", 15))
			sum += strtoull(p + 15, NULL, 10);
	}
	return sum;
}

/* New losses since the last round become LOST records at the last round's time. */
static int account_lost(struct ctx *c)
{
	uint64_t total = 0;

	for (int i = 0; i < c->ncpus; i++) {
		struct rcpu *r = &c->cpus[i];
		uint64_t lost, s = cpu_stats_lost(r);
		struct qrec *q;

		if (s > r->stats)
			r->stats = s;
		/* the page markers and the stats count the same losses: take the larger */
		lost = (r->stats > r->missed ? r->stats : r->missed) + r->late;
		if (lost > r->reported) {
			if (queue(c, VMT_REC_LOST, c->prev_round, NULL, NULL, NULL, &q))
				return -1;
			q->cpu = (uint32_t)i;
			q->args[0] = lost - r->reported;
			r->reported = lost;
		}
		c->st->lost_cpu[i] = lost;
		total += lost;
	}
	c->st->lost = total;
	c->st->late = 0;
	for (int i = 0; i < c->ncpus; i++)
		c->st->late += c->cpus[i].late;
	return 0;
}

/* ---- pairing and lifecycle (events in time order) ------------------------------ */

static void no_exit(struct ctx *c, struct rtask *k)
{
	struct qrec *q = k->pending;

	if (!q)
		return;
	q->flags |= VMT_OPF_NO_EXIT;
	q->complete = true;
	k->pending = NULL;
	(void)c;
}

static uint64_t range_end(uint64_t start, uint64_t len, long page)
{
	uint64_t end = start + len;

	if (end < start || end > UINT64_MAX - (uint64_t)page)
		return UINT64_MAX;
	return (end + (uint64_t)page - 1) & ~((uint64_t)page - 1);
}

/*
 * The address space of @p changed over [start, end) at @t: remember it for
 * mmaps whose exit comes later, and void resolved mmaps looked up after it.
 */
static int note_change(struct ctx *c, struct rproc *p, uint64_t t, uint64_t start, uint64_t end,
		       uint64_t seq)
{
	size_t out = 0;

	/* a ring: the oldest entry makes room, and its time is remembered */
	if (p->nhist == RECORD_HIST)
		p->hist_lost = p->hist[p->hist_next].t;
	else
		p->nhist++;
	p->hist[p->hist_next] = (struct change){ t, start, end, seq };
	p->hist_next = (p->hist_next + 1) % RECORD_HIST;
	for (size_t i = 0; i < p->nval; i++) {
		struct validation *v = &p->val[i];

		if (v->until <= t)
			continue; /* looked up before this change: settled, drop it */
		if (v->addr >= start && v->addr < end &&
		    !(v->q->file->flags & VMT_FILEF_UNRESOLVED)) {
			v->q->file = file_unresolved(c);
			if (!v->q->file)
				return -1;
			c->st->files_unresolved++;
		}
		p->val[out++] = *v;
	}
	p->nval = out;
	return 0;
}

/* Did another op replace the mapping at @addr after @q entered (among changes seen so far)? */
static bool changed_since(const struct rproc *p, const struct qrec *q, uint64_t addr)
{
	if (p->hist_lost >= q->t)
		return true; /* forgotten changes might have */
	for (unsigned int i = 0; i < p->nhist; i++) {
		const struct change *ch = &p->hist[i];

		if (ch->t >= q->t && ch->seq != q->seq && addr >= ch->start && addr < ch->end)
			return true;
	}
	return false;
}

/* Ops that can replace a mapping, recorded at their enter. */
static int op_changes(struct ctx *c, struct rproc *p, const struct qrec *q)
{
	const uint64_t *a = q->args;

	switch (q->kind) {
	case VMT_OP_MUNMAP:
		return note_change(c, p, q->t, a[0], range_end(a[0], a[1], c->pagesz), q->seq);
	case VMT_OP_MMAP:
		if (!(a[3] & MAP_FIXED))
			return 0;
		return note_change(c, p, q->t, a[0], range_end(a[0], a[1], c->pagesz), q->seq);
	case VMT_OP_MREMAP:
		if (note_change(c, p, q->t, a[0], range_end(a[0], a[1], c->pagesz), q->seq))
			return -1;
		if (a[3] & MREMAP_FIXED)
			return note_change(c, p, q->t, a[4], range_end(a[4], a[2], c->pagesz),
					   q->seq);
		return 0;
	default:
		return 0;
	}
}

/* The exit of a file mmap: decide its file from what the decoder looked up. */
static int mmap_file(struct ctx *c, struct rproc *p, struct qrec *q, struct fileres *res)
{
	uint64_t addr = (uint64_t)q->ret, off = q->args[5];

	if ((q->args[3] & MAP_ANONYMOUS) || ret_failed(q->ret))
		return 0; /* nothing file-backed was mapped */
	if (!res || addr < res->vma_start || addr >= res->vma_end ||
	    res->vma_pgoff + (addr - res->vma_start) != off || changed_since(p, q, addr)) {
		q->file = file_unresolved(c);
		if (!q->file)
			return -1;
		c->st->files_unresolved++;
		return 0;
	}
	q->file = file_intern(c, res->dev, res->ino, res->size, res->path);
	if (!q->file)
		return -1;
	q->hold = res->resolved_at;
	if (p->nval == p->capval) {
		size_t ncap = p->capval ? p->capval * 2 : 8;
		struct validation *v = realloc(p->val, ncap * sizeof(*v));

		if (!v)
			return oom(c);
		p->val = v;
		p->capval = ncap;
	}
	p->val[p->nval++] = (struct validation){ q, addr, res->resolved_at };
	return 0;
}

static int on_enter(struct ctx *c, struct ev *e)
{
	struct rtask *k = task_get(c, e->tid, e->ts);
	struct qrec *q;

	if (!k)
		return -1;
	if (k->proc->ignored) {
		c->st->ignored++;
		return 0;
	}
	no_exit(c, k); /* its exit was lost */
	q = qrec_new(c, VMT_REC_OP, e->ts);
	if (!q)
		return -1;
	q->task = k;
	q->kind = e->kind;
	memcpy(q->args, e->args, sizeof(q->args));
	q->complete = false;
	if (heap_push(c, q)) {
		qrec_free(c, q);
		return -1;
	}
	k->pending = q;
	return op_changes(c, k->proc, q);
}

static int on_exit_ev(struct ctx *c, struct ev *e)
{
	struct rtask *k = task_find(c, e->tid);
	struct fileres *res = e->exit.res;
	struct qrec *q;
	int ret = 0;

	e->exit.res = NULL;
	if (k && k->proc->ignored) {
		c->st->ignored++;
	} else if (!k || !k->pending || k->pending->kind != e->kind) {
		/* in flight when -p attached, or its enter was lost */
		c->st->unmatched_exits++;
		if (k)
			no_exit(c, k);
	} else {
		q = k->pending;
		k->pending = NULL;
		q->t_exit = e->ts;
		q->ret = e->exit.ret;
		q->complete = true;
		if (q->kind == VMT_OP_MMAP)
			ret = mmap_file(c, k->proc, q, res);
	}
	free(res);
	return ret;
}

static int on_newtask(struct ctx *c, struct ev *e)
{
	struct rtask *parent = task_get(c, e->tid, e->ts), *old;
	struct rproc *p;

	if (!parent)
		return -1;
	old = task_find(c, e->newtask.pid);
	if (old && old->attached && !old->exited)
		return 0; /* created while -p attached: already listed from /proc */
	if (e->newtask.flags & CLONE_THREAD) {
		p = parent->proc;
	} else {
		p = proc_new(c, e->newtask.pid, parent->proc->pid, parent->proc, e->newtask.comm,
			     e->ts, parent->proc->ignored || c->o->no_children);
		if (!p)
			return -1;
	}
	return task_new(c, e->newtask.pid, p, e->newtask.comm, e->ts) ? 0 : -1;
}

static int on_exec(struct ctx *c, struct ev *e)
{
	struct rtask *k = task_find(c, e->exec.old_pid);
	struct qrec *q;

	if (!k)
		k = task_get(c, e->tid, e->ts);
	if (!k)
		return -1;
	/* a non-leader that execs takes over the leader's pid */
	if (e->exec.old_pid != e->exec.pid && imp_idmap_put(&c->tasks, (uint32_t)e->exec.pid, (int64_t)(uintptr_t)k))
		return oom(c);
	if (k->proc->ignored) {
		c->st->ignored++;
		return 0;
	}
	if (note_change(c, k->proc, e->ts, 0, UINT64_MAX, UINT64_MAX))
		return -1;
	if (queue(c, VMT_REC_EXEC, e->ts, k, NULL, NULL, &q))
		return -1;
	q->str = e->exec.filename;
	e->exec.filename = NULL;
	return 0;
}

static int on_texit(struct ctx *c, struct ev *e)
{
	struct rtask *k = task_find(c, e->tid);
	struct qrec *q;

	if (!k || k->exited)
		return 0;
	k->exited = true;
	no_exit(c, k);
	if (k->proc->ignored) {
		c->st->ignored++;
		return 0;
	}
	if (queue(c, VMT_REC_EXIT, e->ts, k, NULL, NULL, &q))
		return -1;
	q->ret = -1; /* unknown, unless it is the end of the command we wait for */
	q->group_dead = e->texit.has_group_dead ? e->texit.group_dead : k->tid == k->proc->pid;
	return 0;
}

static int on_rename(struct ctx *c, struct ev *e)
{
	struct rtask *k = task_get(c, e->tid, e->ts);

	if (!k)
		return -1;
	if (k->proc->ignored) {
		c->st->ignored++;
		return 0;
	}
	return queue(c, VMT_REC_COMM, e->ts, k, NULL, e->rename.comm, NULL);
}

static int process_event(struct ctx *c, struct ev *e)
{
	switch (e->type) {
	case EV_ENTER:
		return on_enter(c, e);
	case EV_EXIT:
		return on_exit_ev(c, e);
	case EV_NEWTASK:
		return on_newtask(c, e);
	case EV_EXEC:
		return on_exec(c, e);
	case EV_TEXIT:
		return on_texit(c, e);
	case EV_RENAME:
		return on_rename(c, e);
	}
	return 0;
}

static void ev_release(struct ev *e)
{
	if (e->type == EV_EXIT)
		free(e->exit.res);
	else if (e->type == EV_EXEC)
		free(e->exec.filename);
}

/* Merge the CPU queues in time order and process every event older than @w. */
static int merge(struct ctx *c, uint64_t w)
{
	for (;;) {
		struct rcpu *best = NULL;
		struct ev *e;
		int ret;

		/* a linear scan: a handful of CPUs, and most rounds move thousands of events */
		for (int i = 0; i < c->ncpus; i++) {
			struct evq *q = &c->cpus[i].q;

			if (q->n && q->v[q->head].ts < w &&
			    (!best || q->v[q->head].ts < best->q.v[best->q.head].ts))
				best = &c->cpus[i];
		}
		if (!best)
			break;
		e = &best->q.v[best->q.head];
		ret = process_event(c, e);
		ev_release(e);
		best->q.head = (best->q.head + 1) % best->q.cap;
		best->q.n--;
		if (ret)
			return -1;
	}
	if (w > c->merged_upto)
		c->merged_upto = w;
	return 0;
}

/* ---- writing ------------------------------------------------------------------- */

static int64_t exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

static int werr(struct ctx *c)
{
	return fail(c, "%s", vmt_writer_error(c->w));
}

static int file_index(struct ctx *c, struct rfile *f, uint32_t *idx)
{
	struct vmt_file *vf = c->vfile; /* not c->rec: a MAP record is being built there */
	int64_t i;

	if (f->idx == VMT_NONE) {
		memset(vf, 0, sizeof(*vf));
		vf->dev = f->dev;
		vf->ino = f->ino;
		vf->size = f->size;
		vf->flags = f->flags;
		strlcpy_(vf->path, f->path, sizeof(vf->path));
		i = vmt_writer_add_file(c->w, vf);
		if (i < 0)
			return werr(c);
		f->idx = (uint32_t)i;
		c->st->files++;
	}
	*idx = f->idx;
	return 0;
}

static int thread_index(struct ctx *c, const struct rtask *k, uint32_t *idx)
{
	if (k->idx == VMT_NONE)
		return fail(c, "internal error: thread %d used before its definition", (int)k->tid);
	*idx = k->idx;
	return 0;
}

static int write_op(struct ctx *c, const struct qrec *q)
{
	struct vmt_op *op = &c->op;

	op->t_enter = q->t;
	op->flags = q->flags;
	op->t_exit = (q->flags & VMT_OPF_NO_EXIT) ? q->t : q->t_exit;
	op->ret = (q->flags & VMT_OPF_NO_EXIT) ? 0 : q->ret;
	op->kind = q->kind;
	op->nargs = 0;
	op->nr = 0;
	op->name[0] = '\0';
	memcpy(op->args, q->args, sizeof(op->args));
	op->file = VMT_NONE;
	if (thread_index(c, q->task, &op->thread))
		return -1;
	if (q->file && file_index(c, q->file, &op->file))
		return -1;
	if (vmt_writer_op(c->w, op))
		return werr(c);
	c->st->ops++;
	if (q->flags & VMT_OPF_NO_EXIT)
		c->st->no_exit++;
	return 0;
}

static int write_rec(struct ctx *c, struct qrec *q)
{
	struct vmt_record *rec = c->rec;
	int64_t idx;

	if (q->type == VMT_REC_OP)
		return write_op(c, q);
	memset(rec, 0, offsetof(struct vmt_record, process));
	rec->type = q->type;
	switch (q->type) {
	case VMT_REC_PROCESS: {
		struct vmt_process *p = &rec->process;

		memset(p, 0, sizeof(*p));
		p->t = q->t;
		p->pid = (uint32_t)q->proc->pid;
		p->ppid = (uint32_t)q->proc->ppid;
		p->parent = q->proc->parent ? q->proc->parent->idx : VMT_NONE;
		strlcpy_(p->name, q->str ? q->str : "", sizeof(p->name));
		idx = vmt_writer_add_process(c->w, p);
		if (idx < 0)
			return werr(c);
		q->proc->idx = (uint32_t)idx;
		c->st->processes++;
		return 0;
	}
	case VMT_REC_THREAD: {
		struct vmt_thread *t = &rec->thread;

		memset(t, 0, sizeof(*t));
		t->t = q->t;
		t->process = q->task->proc->idx;
		t->tid = (uint32_t)q->task->tid;
		strlcpy_(t->name, q->str ? q->str : "", sizeof(t->name));
		if (t->process == VMT_NONE)
			return fail(c, "internal error: thread %d before its process", (int)t->tid);
		idx = vmt_writer_add_thread(c->w, t);
		if (idx < 0)
			return werr(c);
		q->task->idx = (uint32_t)idx;
		c->st->threads++;
		return 0;
	}
	case VMT_REC_MAP: {
		struct vmt_map *m = &rec->map;

		m->process = q->proc->idx;
		m->start = q->args[0];
		m->end = q->args[1];
		m->pgoff = q->args[2];
		m->prot = (uint32_t)q->args[3];
		m->file = VMT_NONE;
		if (q->file && file_index(c, q->file, &m->file))
			return -1;
		strlcpy_(m->name, q->str ? q->str : "", sizeof(m->name));
		break;
	}
	case VMT_REC_EXEC:
	case VMT_REC_EXIT:
	case VMT_REC_COMM: {
		struct vmt_event *ev = &rec->event;

		ev->t = q->t;
		if (thread_index(c, q->task, &ev->thread))
			return -1;
		ev->code = q->ret;
		if (q->type == VMT_REC_EXIT && q->group_dead && q->task->proc->launched &&
		    c->st->status_known)
			ev->code = exit_code(c->st->status);
		strlcpy_(ev->text, q->str ? q->str : "", sizeof(ev->text));
		break;
	}
	case VMT_REC_LOST:
		rec->lost.t = q->t;
		rec->lost.cpu = q->cpu;
		rec->lost.count = q->args[0];
		break;
	default:
		return fail(c, "internal error: record type %d queued", q->type);
	}
	if (vmt_writer_write(c->w, rec))
		return werr(c);
	return 0;
}

/*
 * Write what is settled: records below @w, complete, and past their hold.
 * With @final everything goes, waiting ops as NO_EXIT.
 */
static int flush(struct ctx *c, uint64_t w, bool final)
{
	while (c->heap.n) {
		struct qrec *q = c->heap.v[0];

		if (!final && q->t >= w)
			break;
		if (!q->complete) {
			if (!final && w - q->t <= RECORD_EXIT_WAIT_NS &&
			    c->heap.n <= RECORD_QUEUE_MAX)
				break;
			/* waited long enough: if the exit still comes it counts as unmatched */
			if (q->task->pending == q)
				no_exit(c, q->task);
			q->flags |= VMT_OPF_NO_EXIT;
			q->complete = true;
		}
		if (!final && q->hold >= w)
			break;
		heap_pop(c);
		if (write_rec(c, q)) {
			qrec_free(c, q);
			return -1;
		}
		qrec_free(c, q);
	}
	return 0;
}

/* One round: read every CPU dry, merge what is older than the window, write what is settled. */
static int round_trip(struct ctx *c, uint64_t t_round, bool final)
{
	uint64_t w;

	for (int i = 0; i < c->ncpus; i++)
		if (drain_cpu(c, i, t_round, final))
			return -1;
	if (account_lost(c))
		return -1;
	c->prev_round = t_round;
	w = final ? UINT64_MAX : t_round > RECORD_WINDOW_NS ? t_round - RECORD_WINDOW_NS : 0;
	if (merge(c, w))
		return -1;
	if (final) {
		for (struct rtask *k = c->all_tasks; k; k = k->next)
			no_exit(c, k);
	}
	return flush(c, w, final);
}

/* ---- the target ---------------------------------------------------------------- */

/*
 * Fork the command and hold it before exec: the child waits for a byte on
 * a pipe, which comes once tracing is armed for its pid.  exec's failure
 * comes back through a close-on-exec pipe.
 */
static int launch(struct ctx *c, char *const argv[])
{
	int go[2], failp[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return fail(c, "pipe: %s", strerror(errno));
	if (pipe2(failp, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return fail(c, "pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		close(go[0]);
		close(go[1]);
		close(failp[0]);
		close(failp[1]);
		return fail(c, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		sigset_t all;
		char b;
		int e;

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		close(go[1]);
		close(failp[0]);
		/* EOF instead of a byte: the recorder gave up before arming */
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		e = errno;
		if (write(failp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(failp[1]);
	c->child = pid;
	c->go_fd = go[1];
	c->fail_fd = failp[0];
	c->st->pid = pid;
	return 0;
}

/* Let the held command go; fails if exec did. */
static int release(struct ctx *c, const char *cmd)
{
	ssize_t n;
	int e = 0;

	if (write(c->go_fd, "x", 1) != 1)
		return fail(c, "cannot start '%s': %s", cmd, strerror(errno));
	close(c->go_fd);
	c->go_fd = -1;
	do
		n = read(c->fail_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(c->fail_fd);
	c->fail_fd = -1;
	if (n == (ssize_t)sizeof(e))
		return fail(c, "cannot run '%s': %s", cmd, strerror(e));
	return 0;
}

/*
 * After a failure: a child still held before exec exits at once when its
 * pipe closes and is reaped; a running one is told to end, like at a stop.
 */
static void abandon_child(struct ctx *c)
{
	bool held = c->go_fd >= 0;
	int status;

	if (c->go_fd >= 0)
		close(c->go_fd);
	if (c->fail_fd >= 0)
		close(c->fail_fd);
	c->go_fd = c->fail_fd = -1;
	if (c->child <= 0 || c->st->status_known)
		return;
	if (!held)
		kill(c->child, SIGTERM);
	if (waitpid(c->child, &status, held ? 0 : WNOHANG) == c->child) {
		c->st->status = status;
		c->st->status_known = true;
	}
}

static int write_pids(struct ctx *c, const char *list, bool append)
{
	int n = append ? tracefs_instance_file_append(c->inst, "set_event_pid", list)
		       : tracefs_instance_file_write(c->inst, "set_event_pid", list);

	if (n < 0)
		return fail(c, "cannot write set_event_pid: %s", strerror(errno));
	return 0;
}

static int setup_command(struct ctx *c)
{
	const char *argv0 = c->o->argv[0];
	char name[COMM_LEN], pid[32];
	struct rproc *p;
	struct rtask *k;

	comm_copy(name, base_name(argv0));
	p = proc_new(c, c->child, getpid(), NULL, name, c->t0, false);
	if (!p)
		return -1;
	p->launched = true;
	k = task_new(c, c->child, p, name, c->t0);
	if (!k)
		return -1;
	snprintf(pid, sizeof(pid), "%d", (int)c->child);
	return write_pids(c, pid, false);
}

/* A sorted set of tids: what set_event_pid holds. */
struct tidset {
	int32_t *v;
	size_t n;
};

static int cmp_tid(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static bool tidset_has(const struct tidset *s, int32_t tid)
{
	return s && s->n && bsearch(&tid, s->v, s->n, sizeof(*s->v), cmp_tid);
}

/* The tids in the instance's set_event_pid now, event-fork's additions included. */
static int read_pids(struct ctx *c, struct tidset *s)
{
	char *text = tracefs_instance_file_read(c->inst, "set_event_pid", NULL), *p, *end;
	size_t cap = 0;

	s->v = NULL;
	s->n = 0;
	if (!text)
		return fail(c, "cannot read set_event_pid: %s", strerror(errno));
	for (p = text;; p = end) {
		long tid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (s->n == cap) {
			int32_t *v = realloc(s->v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!v) {
				free(text);
				return oom(c);
			}
			s->v = v;
		}
		s->v[s->n++] = (int32_t)tid;
	}
	free(text);
	qsort(s->v, s->n, sizeof(*s->v), cmp_tid);
	return 0;
}

/*
 * Define the threads of @p found in /proc that are not known yet and append
 * to @list, for set_event_pid, the tids that are new (!@have) or missing
 * from @have, the kernel's list.
 */
static int list_threads(struct ctx *c, struct rproc *p, char **list, size_t *len,
			const struct tidset *have, uint64_t t)
{
	char path[64], comm[COMM_LEN + 2];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)p->pid);
	dir = opendir(path);
	if (!dir)
		return have ? 0 : fail(c, "cannot read '%s': %s", path, strerror(errno));
	while ((d = readdir(dir))) {
		int32_t tid = (int32_t)strtol(d->d_name, NULL, 10);
		struct rtask *k;
		char num[16];
		size_t n;
		FILE *f;

		if (tid <= 0 || tidset_has(have, tid))
			continue;
		if (task_find(c, tid))
			goto add; /* known, but the kernel's list lost it */
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)p->pid, (int)tid);
		comm[0] = '\0';
		f = fopen(path, "re");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		comm[strcspn(comm, "\n")] = '\0';
		k = task_new(c, tid, p, comm, t);
		if (!k)
			break;
		k->attached = true;
add:
		n = (size_t)snprintf(num, sizeof(num), "%d ", (int)tid);
		{
			char *l = realloc(*list, *len + n + 1);

			if (!l) {
				oom(c);
				break;
			}
			memcpy(l + *len, num, n + 1);
			*list = l;
			*len += n;
		}
	}
	closedir(dir);
	return c->err[0] ? -1 : 0;
}

/* The initial memory map of an attached process, as MAP records. */
static int snapshot_maps(struct ctx *c, struct rproc *p)
{
	struct procmap_vma *vma = c->vma;
	struct procmap *pm = procmap_open(p->pid, c->pm_method);
	struct qrec *q;
	int n;

	if (!pm)
		return fail(c, "cannot read the memory map of process %d: %s", (int)p->pid,
			    strerror(errno));
	procmap_rewind(pm, 0);
	while ((n = procmap_next(pm, vma)) == 1) {
		struct rfile *f = NULL;

		if (vma->inode) {
			uint64_t dev, ino, size;

			vma_file_stat(p->pid, vma, &dev, &ino, &size);
			f = file_intern(c, dev, ino, size, vma->name);
			if (!f)
				break;
		}
		if (queue(c, VMT_REC_MAP, c->t0, NULL, p, vma->name, &q))
			break;
		q->args[0] = vma->start;
		q->args[1] = vma->end;
		q->args[2] = vma->pgoff;
		q->args[3] = vma->prot;
		q->file = f;
	}
	procmap_close(pm);
	if (c->err[0])
		return -1;
	if (n < 0)
		return fail(c, "cannot read the memory map of process %d: %s", (int)p->pid,
			    strerror(errno));
	return 0;
}

static int setup_attach(struct ctx *c)
{
	char *list = NULL;
	size_t len = 0;
	int ret = -1;

	for (size_t i = 0; i < c->o->npids; i++) {
		int32_t pid = c->o->pids[i], tgid = pid, ppid = 0;
		char name[COMM_LEN] = "?";
		struct rproc *p;

		if (!proc_status(pid, &tgid, &ppid, name)) {
			fail(c, "no process %d", (int)pid);
			goto out;
		}
		if (tgid != pid) {
			fail(c, "%d is a thread of process %d: give the process id", (int)pid,
			     (int)tgid);
			goto out;
		}
		if (pid == getpid()) {
			fail(c, "cannot trace vmatrace itself");
			goto out;
		}
		if (proc_find(c, pid))
			continue;
		p = proc_new(c, pid, ppid, proc_find(c, ppid), name, c->t0, false);
		if (!p || list_threads(c, p, &list, &len, NULL, c->t0))
			goto out;
	}
	ret = write_pids(c, list ? list : "", false);
out:
	free(list);
	return ret;
}

/*
 * After arming: the threads made between the listing and the write of
 * set_event_pid, then the initial maps.  A thread made after the write is
 * in the kernel's list already (event-fork); one made before it is not, and
 * is appended.  Only what is missing from the kernel's list is written:
 * the kernel builds a new list from the old one on every write, and a
 * thread that event-fork adds to the old one meanwhile is lost, so writes
 * are kept to the rare case that needs one, and checked again after.
 */
static int finish_attach(struct ctx *c)
{
	size_t ntids = 0, nprocs = 0;

	for (int round = 0; round < 8; round++) {
		struct tidset have;
		char *list = NULL;
		size_t len = 0;

		if (read_pids(c, &have))
			return -1;
		ntids = have.n;
		for (struct rproc *p = c->all_procs; p; p = p->next)
			if (list_threads(c, p, &list, &len, &have, c->t0)) {
				free(have.v);
				free(list);
				return -1;
			}
		free(have.v);
		if (!list)
			break;
		if (write_pids(c, list, true)) {
			free(list);
			return -1;
		}
		free(list);
	}
	for (struct rproc *p = c->all_procs; p; p = p->next) {
		if (snapshot_maps(c, p))
			return -1;
		nprocs++;
	}
	/* like strace -p: from this line on, nothing the processes do is missed */
	fprintf(stderr, "record: attached to %zu process%s, %zu task%s\n", nprocs,
		nprocs == 1 ? "" : "es", ntids, ntids == 1 ? "" : "s");
	return 0;
}

/* Gone or a zombie: either way it makes no more calls. */
static bool process_gone(pid_t pid)
{
	char path[64], buf[512], *s;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	return !s || s[1] != ' ' || s[2] == 'Z' || s[2] == 'X';
}

static bool target_done(struct ctx *c)
{
	if (c->child > 0) {
		int status;

		if (waitpid(c->child, &status, WNOHANG) == c->child) {
			c->st->status = status;
			c->st->status_known = true;
		}
		return c->st->status_known;
	}
	for (size_t i = 0; i < c->o->npids; i++)
		if (!process_gone(c->o->pids[i]))
			return false;
	return true;
}

/* ---- the run ------------------------------------------------------------------- */

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };

	nanosleep(&ts, NULL);
}

/*
 * Until an event arrives or @t: poll the buffers, then, after a busy round,
 * give the batch a moment to fill.  A signal (SIGCHLD, SIGINT) cuts either
 * short, which is what we want.
 */
static void wait_for_events(struct ctx *c, uint64_t t, bool busy)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	if (now >= t)
		return;
	if (poll(c->pfd, (nfds_t)c->npfd, (int)((t - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC)) >
		    0 &&
	    busy) {
		now = now_ns(CLOCK_MONOTONIC);
		if (now < t)
			sleep_ns(t - now < RECORD_BATCH_NS ? t - now : RECORD_BATCH_NS);
	}
}

static void free_ctx(struct ctx *c)
{
	while (c->all_tasks) {
		struct rtask *k = c->all_tasks;

		c->all_tasks = k->next;
		free(k);
	}
	while (c->all_procs) {
		struct rproc *p = c->all_procs;

		c->all_procs = p->next;
		free(p->val);
		free(p);
	}
	while (c->all_files) {
		struct rfile *f = c->all_files;

		c->all_files = f->next;
		free(f);
	}
	while (c->heap.n)
		qrec_free(c, heap_pop(c));
	free(c->heap.v);
	while (c->free_q) {
		struct qrec *q = c->free_q;

		c->free_q = q->free_next;
		free(q);
	}
	for (int i = 0; c->cpus && i < c->ncpus; i++) {
		struct evq *q = &c->cpus[i].q;

		for (size_t j = 0; j < q->n; j++)
			ev_release(&q->v[(q->head + j) % q->cap]);
		free(q->v);
	}
	free(c->cpus);
	free(c->pfd);
	free(c->ftab);
	imp_idmap_free(&c->tasks);
	imp_idmap_free(&c->procs);
	imp_idmap_free(&c->mmap_anon);
	free(c->desc);
	free(c->page);
	free(c->rec);
	free(c->vfile);
	free(c->vma);
	if (c->kbuf)
		kbuffer_free(c->kbuf);
	if (c->tep)
		tep_free(c->tep);
}

static int start_writer(struct ctx *c)
{
	struct vmt_header hdr;
	char err[512];

	vmt_header_init(&hdr, "record", VMT_CLOCK_MONOTONIC);
	strlcpy_(hdr.cmdline, c->o->cmdline ? c->o->cmdline : "", sizeof(hdr.cmdline));
	c->w = vmt_writer_open(c->o->output, &hdr, err, sizeof(err));
	if (!c->w)
		return fail(c, "%s", err);
	return 0;
}

/* Which way of reading maps this kernel offers, probed once. */
static enum procmap_method probe_pm_method(void)
{
	struct procmap *pm = procmap_open(0, PROCMAP_METHOD_AUTO);
	enum procmap_method m = PROCMAP_METHOD_MAPS;

	if (pm) {
		m = procmap_method(pm);
		procmap_close(pm);
	}
	return m;
}

int record_run(const struct record_opts *o, struct record_stats *st, char *err, size_t errlen)
{
	struct ctx ctx = { 0 }, *c = &ctx;
	uint64_t deadline = 0, next_progress, now, events;
	int ret = -1;

	memset(st, 0, sizeof(*st));
	err[0] = '\0';
	c->o = o;
	c->st = st;
	c->err = err;
	c->errlen = errlen;
	c->go_fd = c->fail_fd = -1;
	c->pagesz = sysconf(_SC_PAGESIZE);
	c->pm_method = probe_pm_method();
	c->rec = malloc(sizeof(*c->rec));
	c->vma = malloc(sizeof(*c->vma));
	c->vfile = malloc(sizeof(*c->vfile));
	if (!c->rec || !c->vma || !c->vfile) {
		oom(c);
		goto out;
	}
	/* the child first: nothing of ours (the trace file, the buffers) is inherited */
	if (o->argv && launch(c, o->argv))
		goto out;
	if (setup_instance(c) || setup_events(c) || open_cpus(c) || start_writer(c))
		goto out;
	c->t0 = now_ns(CLOCK_MONOTONIC);
	c->prev_round = c->t0;
	if (o->argv ? setup_command(c) : setup_attach(c))
		goto out;
	if (enable_events(c))
		goto out;
	if (tracefs_trace_on(c->inst)) {
		fail(c, "cannot start tracing in the instance: %s", strerror(errno));
		goto out;
	}
	if (o->argv ? release(c, o->argv[0]) : finish_attach(c))
		goto out;

	now = now_ns(CLOCK_MONOTONIC);
	next_progress = now + RECORD_PROGRESS_NS;
	if (o->duration_ns)
		deadline = c->t0 + o->duration_ns;
	for (;;) {
		now = now_ns(CLOCK_MONOTONIC);
		st->elapsed_ns = now - c->t0;
		if (interrupted) {
			st->interrupted = true;
			break;
		}
		if (deadline && now >= deadline) {
			st->timed_out = true;
			break;
		}
		if (target_done(c))
			break;
		events = st->events;
		if (round_trip(c, now, false))
			goto out;
		if (o->progress && now >= next_progress) {
			o->progress(st, o->progress_arg);
			next_progress = now + RECORD_PROGRESS_NS;
		}
		now += RECORD_POLL_NS;
		if (deadline && deadline < now)
			now = deadline;
		wait_for_events(c, now, st->events - events > RECORD_BATCH_EVENTS);
	}

	/* stop, then read what the buffers still hold */
	tracefs_trace_off(c->inst);
	now = now_ns(CLOCK_MONOTONIC);
	st->elapsed_ns = now - c->t0;
	if (round_trip(c, now, true))
		goto out;
	destroy_instance(c);
	if (c->child > 0 && !st->status_known) {
		/* like perf record: a command still running when we stop is told to end */
		kill(c->child, SIGTERM);
		for (int i = 0; i < 100 && !target_done(c); i++)
			sleep_ns(10 * NSEC_PER_MSEC);
	}
	vmt_writer_set_lost(c->w, st->lost);
	ret = vmt_writer_close(c->w, err, errlen);
	c->w = NULL;
out:
	destroy_instance(c);
	if (c->w)
		vmt_writer_abort(c->w);
	if (ret)
		abandon_child(c);
	free_ctx(c);
	return ret;
}

void record_stats_free(struct record_stats *st)
{
	free(st->lost_cpu);
	st->lost_cpu = NULL;
}
