// SPDX-License-Identifier: GPL-2.0-only
/*
 * import.c - what every importer shares: the tasks, the ops and events of the
 * whole input, the files behind mmaps, the diagnostics, and the writing
 *
 * An input is read in full before anything is written: a strace log names a
 * thread's parent only when the clone returns, often after the thread's own
 * first lines; a trace.dat is sorted per CPU, not globally.  So the readers
 * add "items" (ops and lifecycle events, each with its time and input
 * position), and imp_finish() resolves which task belongs to which process,
 * sorts the items into time order and writes them, defining each process,
 * thread and file just before its first use.
 *
 * Tasks, processes and pid reuse:
 *
 *   tid 100 ──clone(CLONE_THREAD)──► tid 101      thread of 100's process
 *   tid 100 ──clone / fork──────────► tid 102      process of its own, parent 100's
 *   tid 103 (TGID column says 100)                 thread of 100's process
 *   tid 104 (nothing known)                        the reader's default (--pids)
 *
 * A tid names one task until that task exits; a later sighting of the same
 * tid is a new task.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "import.h"

#define NONE32 UINT32_MAX

struct task {
	uint32_t tid;
	uint32_t tgid; /* from the input; 0 unknown */
	uint64_t first_t, first_seq;
	int64_t creator; /* task index, -1 */
	int8_t thread;	 /* how it was created: 1 thread, 0 process, -1 unknown */
	bool exited, used;
	char name[64];	    /* the name it was first seen with */
	char comm[64];	    /* the name it has now, to notice renames */
	int64_t process;    /* resolved at the end */
	int64_t vmt_thread; /* THREAD record index once written */
};

struct proc {
	uint32_t pid, ppid;
	int64_t parent;	   /* proc index, -1 */
	int64_t leader;	   /* task index, -1 */
	int64_t vmt_index; /* PROCESS record index once written */
};

enum item_type {
	IT_DEF, /* the task is first seen: its THREAD record goes here */
	IT_OP,
	IT_EXEC,
	IT_COMM,
	IT_EXIT,
	IT_LOST,
	IT_CLOSE,
};

struct item {
	uint64_t t, seq;
	uint64_t idx;  /* insertion order: the last sort key */
	uint32_t task; /* NONE32 for LOST */
	uint8_t type;
	uint32_t str;  /* string index (EXEC file, COMM name, OP path), NONE32 */
	uint32_t op;   /* OP: index into ops */
	int64_t value; /* EXIT code, LOST count, CLOSE fd */
	uint32_t cpu;
};

struct counter {
	char name[64];
	uint64_t n;
};

struct counters {
	struct counter *c;
	size_t n, cap;
	uint64_t total;
};

/* string -> int64 map for file paths. */
struct strmap {
	const char **keys;
	int64_t *vals;
	size_t cap, n;
};

struct fdfile {
	int64_t proc, fd, file;
};

struct imp {
	struct imp_options o;
	int arch_set; /* -1 unless a reader found it */
	int clock;    /* -1 unless known */
	uint64_t start_realtime;
	char kernel[256], hostname[256];
	enum imp_pids default_pids;
	uint64_t read_count;
	const char *read_unit;

	struct task *tasks;
	size_t ntasks, cap_tasks;
	struct imp_idmap cur; /* tid -> current task */
	struct proc *procs;
	size_t nprocs, cap_procs;

	struct item *items;
	size_t nitems, cap_items;
	struct vmt_op *ops;
	size_t nops, cap_ops;
	char **strs;
	size_t nstrs, cap_strs;

	uint64_t malformed, first_malformed_line, lost;
	struct counters ignored, lifecycle, notes;
	unsigned int remarks;
};

/* ---- small containers ---- */

static int grow_array(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	q = realloc(*p, ncap * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

static size_t hash32(uint32_t k)
{
	uint64_t h = k * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32);
}

int imp_idmap_put(struct imp_idmap *m, uint32_t key, int64_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct imp_idmap nm = { 0 };

		nm.cap = m->cap ? m->cap * 2 : 256;
		nm.keys = calloc(nm.cap, sizeof(*nm.keys));
		nm.vals = calloc(nm.cap, sizeof(*nm.vals));
		if (!nm.keys || !nm.vals) {
			free(nm.keys);
			free(nm.vals);
			return -1;
		}
		for (i = 0; i < m->cap; i++)
			if (m->keys[i])
				imp_idmap_put(&nm, m->keys[i] - 1, m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = nm;
	}
	for (i = hash32(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key + 1) {
			m->vals[i] = val;
			return 0;
		}
	}
	m->keys[i] = key + 1;
	m->vals[i] = val;
	m->n++;
	return 0;
}

int64_t imp_idmap_get(const struct imp_idmap *m, uint32_t key)
{
	if (!m->cap)
		return -1;
	for (size_t i = hash32(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key + 1)
			return m->vals[i];
	return -1;
}

void imp_idmap_free(struct imp_idmap *m)
{
	free(m->keys);
	free(m->vals);
}

static size_t hash_str(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static int strmap_put(struct strmap *m, const char *key, int64_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct strmap nm = { 0 };

		nm.cap = m->cap ? m->cap * 2 : 64;
		nm.keys = calloc(nm.cap, sizeof(*nm.keys));
		nm.vals = calloc(nm.cap, sizeof(*nm.vals));
		if (!nm.keys || !nm.vals) {
			free(nm.keys);
			free(nm.vals);
			return -1;
		}
		for (i = 0; i < m->cap; i++)
			if (m->keys[i])
				strmap_put(&nm, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = nm;
	}
	for (i = hash_str(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
		if (!strcmp(m->keys[i], key)) {
			m->vals[i] = val;
			return 0;
		}
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

static int64_t strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return -1;
	for (size_t i = hash_str(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->keys[i], key))
			return m->vals[i];
	return -1;
}

static void count(struct counters *cs, const char *name, uint64_t n)
{
	cs->total += n;
	for (size_t i = 0; i < cs->n; i++) {
		if (!strncmp(cs->c[i].name, name, sizeof(cs->c[i].name) - 1)) {
			cs->c[i].n += n;
			return;
		}
	}
	if (grow_array((void **)&cs->c, &cs->cap, cs->n + 1, sizeof(*cs->c)))
		return; /* the total still counts it */
	strlcpy_(cs->c[cs->n].name, name, sizeof(cs->c[cs->n].name));
	cs->c[cs->n++].n = n;
}

static int cmp_counter(const void *a, const void *b)
{
	const struct counter *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* "name N, name N, ..." into @buf, most frequent first. */
static void format_counters(char *buf, size_t size, struct counters *cs, size_t max)
{
	size_t off = 0;

	buf[0] = '\0';
	qsort(cs->c, cs->n, sizeof(*cs->c), cmp_counter);
	for (size_t i = 0; i < cs->n && i < max && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s %" PRIu64, i ? ", " : "",
					cs->c[i].name, cs->c[i].n);
	if (cs->n > max && off < size)
		snprintf(buf + off, size - off, ", ... (%zu kinds)", cs->n);
}

/* ---- the import object ---- */

struct imp *imp_new(const struct imp_options *opts)
{
	struct imp *im = calloc(1, sizeof(*im));

	if (!im)
		return NULL;
	im->o = *opts;
	im->arch_set = -1;
	im->clock = opts->clock;
	im->read_unit = "lines";
	return im;
}

void imp_free(struct imp *im)
{
	if (!im)
		return;
	for (size_t i = 0; i < im->nstrs; i++)
		free(im->strs[i]);
	free(im->strs);
	free(im->tasks);
	free(im->procs);
	free(im->items);
	free(im->ops);
	imp_idmap_free(&im->cur);
	free(im->ignored.c);
	free(im->lifecycle.c);
	free(im->notes.c);
	free(im);
}

const struct imp_options *imp_opts(const struct imp *im)
{
	return &im->o;
}

int imp_error(struct imp *im, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	(void)im;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	error("%s", buf);
	return -1;
}

void imp_malformed(struct imp *im, uint64_t line, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!im->malformed++)
		im->first_malformed_line = line;
	if (im->malformed > im->o.max_warnings)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	warning("%s:%" PRIu64 ": %s", im->o.input, line, buf);
	if (im->malformed == im->o.max_warnings)
		warning("%s: further malformed lines are counted, not shown", im->o.input);
}

void imp_remark(struct imp *im, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (im->remarks++ > 20)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	warning("%s: %s", im->o.input, buf);
}

void imp_ignored(struct imp *im, const char *what)
{
	count(&im->ignored, what, 1);
}

void imp_ignored_n(struct imp *im, const char *what, uint64_t n)
{
	count(&im->ignored, what, n);
}

void imp_lifecycle(struct imp *im, const char *what)
{
	count(&im->lifecycle, what, 1);
}

void imp_note(struct imp *im, const char *what)
{
	count(&im->notes, what, 1);
}

void imp_set_arch(struct imp *im, enum imp_arch arch)
{
	im->arch_set = (int)arch;
}

int imp_arch(const struct imp *im)
{
	if (im->o.arch >= 0)
		return im->o.arch;
	if (im->arch_set >= 0)
		return im->arch_set;
	return imp_arch_host() >= 0 ? imp_arch_host() : IMP_ARCH_X86_64;
}

void imp_set_clock(struct imp *im, uint32_t clock)
{
	if (im->o.clock < 0)
		im->clock = (int)clock;
}

void imp_set_start_realtime(struct imp *im, uint64_t ns)
{
	im->start_realtime = ns;
}

void imp_set_host(struct imp *im, const char *kernel, const char *hostname)
{
	if (kernel)
		strlcpy_(im->kernel, kernel, sizeof(im->kernel));
	if (hostname)
		strlcpy_(im->hostname, hostname, sizeof(im->hostname));
}

void imp_set_default_pids(struct imp *im, enum imp_pids pids)
{
	im->default_pids = pids;
}

void imp_set_read(struct imp *im, uint64_t n, const char *unit)
{
	im->read_count = n;
	im->read_unit = unit;
}

static uint32_t add_str(struct imp *im, const char *s)
{
	char *copy;

	if (grow_array((void **)&im->strs, &im->cap_strs, im->nstrs + 1, sizeof(*im->strs)))
		return NONE32;
	copy = strdup(s);
	if (!copy)
		return NONE32;
	im->strs[im->nstrs] = copy;
	return (uint32_t)im->nstrs++;
}

static struct item *add_item(struct imp *im, enum item_type type, uint64_t t, uint64_t seq,
			     uint32_t task)
{
	struct item *it;

	if (grow_array((void **)&im->items, &im->cap_items, im->nitems + 1, sizeof(*im->items)))
		return NULL;
	it = &im->items[im->nitems];
	memset(it, 0, sizeof(*it));
	it->t = t;
	it->seq = seq;
	it->idx = im->nitems++;
	it->task = task;
	it->type = (uint8_t)type;
	it->str = NONE32;
	return it;
}

/* ---- tasks ---- */

static int64_t new_task(struct imp *im, uint32_t tid, uint64_t t, uint64_t seq)
{
	struct task *tk;

	if (grow_array((void **)&im->tasks, &im->cap_tasks, im->ntasks + 1, sizeof(*im->tasks)))
		return -1;
	tk = &im->tasks[im->ntasks];
	memset(tk, 0, sizeof(*tk));
	tk->tid = tid;
	tk->first_t = t;
	tk->first_seq = seq;
	tk->creator = -1;
	tk->thread = -1;
	tk->process = -1;
	tk->vmt_thread = -1;
	if (imp_idmap_put(&im->cur, tid, (int64_t)im->ntasks))
		return -1;
	return (int64_t)im->ntasks++;
}

/* The live task of @tid, created if there is none or the last one exited. */
static int64_t task_of(struct imp *im, uint32_t tid, uint64_t t, uint64_t seq)
{
	int64_t i = imp_idmap_get(&im->cur, tid);

	if (i < 0 || im->tasks[i].exited)
		return new_task(im, tid, t, seq);
	if (t < im->tasks[i].first_t) {
		im->tasks[i].first_t = t;
		im->tasks[i].first_seq = seq;
	}
	return i;
}

static void set_comm(struct imp *im, int64_t ti, uint64_t t, uint64_t seq, const char *comm)
{
	struct task *tk = &im->tasks[ti];
	struct item *it;

	if (!comm || !comm[0] || !strcmp(comm, "<...>"))
		return;
	if (!tk->name[0]) {
		strlcpy_(tk->name, comm, sizeof(tk->name));
		strlcpy_(tk->comm, comm, sizeof(tk->comm));
		return;
	}
	if (!strcmp(tk->comm, comm))
		return;
	strlcpy_(tk->comm, comm, sizeof(tk->comm));
	it = add_item(im, IT_COMM, t, seq, (uint32_t)ti);
	if (it)
		it->str = add_str(im, comm);
}

void imp_task_seen(struct imp *im, uint32_t tid, uint64_t t, uint64_t seq, const char *comm)
{
	int64_t ti = task_of(im, tid, t, seq);

	if (ti >= 0)
		set_comm(im, ti, t, seq, comm);
}

void imp_task_tgid(struct imp *im, uint32_t tid, uint32_t tgid)
{
	int64_t ti = imp_idmap_get(&im->cur, tid);

	if (ti >= 0 && tgid && !im->tasks[ti].tgid)
		im->tasks[ti].tgid = tgid;
}

void imp_clone(struct imp *im, uint64_t t, uint64_t seq, uint32_t parent, uint32_t child,
	       int thread)
{
	int64_t pi = task_of(im, parent, t, seq), ci;
	struct task *c;

	if (pi < 0)
		return;
	ci = imp_idmap_get(&im->cur, child);
	/*
	 * The same child told twice (task_newtask, then the clone's return) is
	 * one task.  A task nobody created yet that was first seen after this
	 * clone began is this child, seen before its parent's clone returned
	 * (a strace log shows it so), even if it has already exited.
	 */
	if (ci >= 0 && im->tasks[ci].creator != pi &&
	    (im->tasks[ci].creator >= 0 || (im->tasks[ci].exited && im->tasks[ci].first_t < t)))
		ci = -1;
	if (ci < 0)
		ci = new_task(im, child, t, seq);
	if (ci < 0)
		return;
	c = &im->tasks[ci];
	if (c->creator < 0) {
		c->creator = pi;
		c->thread = (int8_t)thread;
	} else if (c->thread < 0) {
		c->thread = (int8_t)thread; /* a second report knows more */
	}
	if (t < c->first_t) {
		c->first_t = t;
		c->first_seq = seq;
	}
	if (!c->name[0] && im->tasks[pi].comm[0]) {
		strlcpy_(c->name, im->tasks[pi].comm, sizeof(c->name));
		strlcpy_(c->comm, im->tasks[pi].comm, sizeof(c->comm));
	}
}

void imp_exec(struct imp *im, uint64_t t, uint64_t seq, uint32_t tid, const char *filename)
{
	int64_t ti = task_of(im, tid, t, seq);
	const char *base = strrchr(filename, '/');
	char comm[16];
	struct item *it;

	if (ti < 0)
		return;
	it = add_item(im, IT_EXEC, t, seq, (uint32_t)ti);
	if (!it)
		return;
	it->str = add_str(im, filename);
	im->tasks[ti].used = true;
	/* the kernel names the task after the file's last component, 15 bytes at most */
	strlcpy_(comm, base ? base + 1 : filename, sizeof(comm));
	set_comm(im, ti, t, seq, comm);
}

void imp_exit(struct imp *im, uint64_t t, uint64_t seq, uint32_t tid, int64_t code)
{
	int64_t ti = imp_idmap_get(&im->cur, tid);
	struct item *it;

	if (ti >= 0 && im->tasks[ti].exited)
		return; /* told twice (exit_group, then the task's exit event) */
	ti = task_of(im, tid, t, seq);
	if (ti < 0)
		return;
	it = add_item(im, IT_EXIT, t, seq, (uint32_t)ti);
	if (!it)
		return;
	it->value = code;
	im->tasks[ti].used = true;
	im->tasks[ti].exited = true;
}

void imp_lost(struct imp *im, uint64_t t, uint64_t seq, uint32_t cpu, uint64_t n)
{
	struct item *it = add_item(im, IT_LOST, t, seq, NONE32);

	if (!it)
		return;
	it->cpu = cpu;
	it->value = (int64_t)n;
	im->lost += n;
}

void imp_close_fd(struct imp *im, uint64_t t, uint64_t seq, uint32_t tid, int64_t fd)
{
	int64_t ti = task_of(im, tid, t, seq);
	struct item *it;

	if (ti < 0)
		return;
	it = add_item(im, IT_CLOSE, t, seq, (uint32_t)ti);
	if (it)
		it->value = fd;
}

/* An int argument that a 64-bit field holds zero-extended (ftrace) or sign-extended (strace). */
static uint64_t int_arg(uint64_t v)
{
	return v <= UINT32_MAX ? (uint64_t)(int64_t)(int32_t)(uint32_t)v : v;
}

int imp_op(struct imp *im, uint64_t seq, uint32_t tid, const struct vmt_op *op, const char *path)
{
	int64_t ti = task_of(im, tid, op->t_enter, seq);
	struct vmt_op *o;
	struct item *it;

	if (ti < 0 || grow_array((void **)&im->ops, &im->cap_ops, im->nops + 1, sizeof(*im->ops)))
		return imp_error(im, "out of memory");
	it = add_item(im, IT_OP, op->t_enter, seq, (uint32_t)ti);
	if (!it)
		return imp_error(im, "out of memory");
	o = &im->ops[im->nops];
	*o = *op;
	o->file = VMT_NONE;
	if (o->flags & VMT_OPF_NO_EXIT) {
		o->t_exit = o->t_enter;
		o->ret = 0;
	} else if (o->t_exit < o->t_enter) {
		o->t_exit = o->t_enter;
	}
	/* the same value whichever tool printed it: fd -1, not 4294967295 */
	if (o->kind == VMT_OP_MMAP)
		o->args[4] = int_arg(o->args[4]);
	else if (o->kind == VMT_OP_PKEY_MPROTECT)
		o->args[3] = int_arg(o->args[3]);
	else if (o->kind == VMT_OP_PROCESS_MADVISE)
		o->args[0] = int_arg(o->args[0]);
	it->op = (uint32_t)im->nops++;
	if (path)
		it->str = add_str(im, path);
	im->tasks[ti].used = true;
	return 0;
}

/* ---- processes ---- */

static int64_t new_proc(struct imp *im, uint32_t pid, int64_t parent, int64_t leader)
{
	struct proc *p;

	if (grow_array((void **)&im->procs, &im->cap_procs, im->nprocs + 1, sizeof(*im->procs)))
		return -1;
	p = &im->procs[im->nprocs];
	p->pid = pid;
	p->parent = parent;
	p->ppid = parent >= 0 ? im->procs[parent].pid : 0;
	p->leader = leader;
	p->vmt_index = -1;
	return (int64_t)im->nprocs++;
}

struct resolve {
	struct imp_idmap by_tgid; /* tgid -> proc */
	int64_t root;		  /* the process unexplained tasks join (policy threads) */
	enum imp_pids policy;
};

static int64_t resolve_task(struct imp *im, struct resolve *rs, int64_t ti, int depth)
{
	struct task *tk = &im->tasks[ti];
	int64_t p, parent;

	if (tk->process >= 0)
		return tk->process;
	if (depth > 10000)
		return -1; /* a creator cycle: only a broken input makes one */
	if (tk->tgid) {
		p = imp_idmap_get(&rs->by_tgid, tk->tgid);
		if (p >= 0 && tk->tgid == tk->tid && im->procs[p].leader >= 0 &&
		    im->tasks[im->procs[p].leader].tid == tk->tid)
			p = -1; /* the pid was reused: a new leader, a new process */
		if (p < 0) {
			parent = -1;
			if (tk->creator >= 0 && tk->thread != 1)
				parent = resolve_task(im, rs, tk->creator, depth + 1);
			p = new_proc(im, tk->tgid, parent, tk->tgid == tk->tid ? ti : -1);
			if (p < 0 || imp_idmap_put(&rs->by_tgid, tk->tgid, p))
				return -1;
		} else if (tk->tgid == tk->tid && im->procs[p].leader < 0) {
			im->procs[p].leader = ti;
		}
		return tk->process = p;
	}
	if (tk->creator >= 0 && tk->thread == 1)
		return tk->process = resolve_task(im, rs, tk->creator, depth + 1);
	if (tk->creator >= 0 && (tk->thread == 0 || rs->policy == IMP_PIDS_PROCESSES)) {
		parent = resolve_task(im, rs, tk->creator, depth + 1);
		return tk->process = new_proc(im, tk->tid, parent, ti);
	}
	if (tk->creator >= 0) /* created, but whether as a thread is unknown: policy threads */
		return tk->process = resolve_task(im, rs, tk->creator, depth + 1);
	if (rs->policy == IMP_PIDS_THREADS && rs->root >= 0)
		return tk->process = rs->root;
	p = new_proc(im, tk->tid, -1, ti);
	if (rs->policy == IMP_PIDS_THREADS)
		rs->root = p;
	return tk->process = p;
}

static int resolve_processes(struct imp *im)
{
	struct resolve rs = { .root = -1 };
	int ret = 0;

	rs.policy = im->o.pids != IMP_PIDS_DEFAULT ? im->o.pids : im->default_pids;
	if (rs.policy == IMP_PIDS_DEFAULT)
		rs.policy = IMP_PIDS_PROCESSES;
	/* tasks are numbered in the order they were first seen: the root comes first */
	for (size_t i = 0; i < im->ntasks; i++) {
		if (resolve_task(im, &rs, (int64_t)i, 0) < 0) {
			ret = imp_error(im, "out of memory");
			break;
		}
	}
	imp_idmap_free(&rs.by_tgid);
	return ret;
}

/* ---- writing ---- */

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->type == IT_DEF || y->type == IT_DEF) /* a task is defined before it acts */
		if (x->type != y->type)
			return x->type == IT_DEF ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

struct emit {
	struct imp *im;
	struct vmt_writer *w;
	struct strmap paths; /* path -> file index */
	struct fdfile *fds;  /* (process, fd) -> file, for inputs without paths */
	size_t nfds, cap_fds;
	uint64_t procs, threads, files, ops, failed, no_exit;
};

static int64_t write_proc(struct emit *e, int64_t pi, uint64_t t)
{
	struct imp *im = e->im;
	struct proc *p = &im->procs[pi];
	struct vmt_process rec = { 0 };
	int64_t parent = -1, idx;

	if (p->vmt_index >= 0)
		return p->vmt_index;
	if (p->parent >= 0 && p->parent != pi) {
		parent = write_proc(e, p->parent, t);
		if (parent < 0)
			return -1;
		p = &im->procs[pi];
	}
	rec.t = t;
	rec.pid = p->pid;
	rec.ppid = p->ppid;
	rec.parent = parent >= 0 ? (uint32_t)parent : VMT_NONE;
	if (p->leader >= 0)
		strlcpy_(rec.name, im->tasks[p->leader].name, sizeof(rec.name));
	idx = vmt_writer_add_process(e->w, &rec);
	if (idx >= 0) {
		p->vmt_index = idx;
		e->procs++;
	}
	return idx;
}

static int64_t write_thread(struct emit *e, int64_t ti, uint64_t t)
{
	struct imp *im = e->im;
	struct task *tk = &im->tasks[ti];
	struct vmt_thread rec = { 0 };
	int64_t pidx, idx;

	if (tk->vmt_thread >= 0)
		return tk->vmt_thread;
	pidx = write_proc(e, tk->process, t);
	if (pidx < 0)
		return -1;
	rec.t = t;
	rec.process = (uint32_t)pidx;
	rec.tid = tk->tid;
	strlcpy_(rec.name, tk->name, sizeof(rec.name));
	idx = vmt_writer_add_thread(e->w, &rec);
	if (idx >= 0) {
		tk->vmt_thread = idx;
		e->threads++;
	}
	return idx;
}

static uint64_t kernel_dev(dev_t d)
{
	uint64_t ma = major(d), mi = minor(d);

	/* new_encode_dev(), the form the trace format stores */
	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffull) << 12);
}

static int64_t file_by_path(struct emit *e, const char *path)
{
	struct vmt_file f = { 0 };
	struct stat st;
	int64_t idx = strmap_get(&e->paths, path);
	size_t len = strlen(path);

	if (idx >= 0)
		return idx;
	strlcpy_(f.path, path, sizeof(f.path));
	f.flags = VMT_FILEF_UNRESOLVED;
	/*
	 * Only when asked, and only for a path that can name a file here: the
	 * log does not say which host it came from, and a guessed inode would
	 * be worse than none.
	 */
	if (e->im->o.resolve_files && path[0] == '/' &&
	    !(len > 10 && !strcmp(path + len - 10, " (deleted)")) && !stat(path, &st) &&
	    S_ISREG(st.st_mode)) {
		f.dev = kernel_dev(st.st_dev);
		f.ino = st.st_ino;
		f.size = (uint64_t)st.st_size;
		f.flags = 0;
	}
	idx = vmt_writer_add_file(e->w, &f);
	if (idx < 0)
		return -1;
	e->files++;
	/* the key must outlive the map: it is the item's own string */
	if (strmap_put(&e->paths, path, idx))
		return -1;
	return idx;
}

static int64_t file_by_fd(struct emit *e, int64_t proc, int64_t fd)
{
	struct vmt_file f = { .flags = VMT_FILEF_UNRESOLVED };
	int64_t idx;

	for (size_t i = 0; i < e->nfds; i++)
		if (e->fds[i].proc == proc && e->fds[i].fd == fd)
			return e->fds[i].file;
	idx = vmt_writer_add_file(e->w, &f);
	if (idx < 0)
		return -1;
	e->files++;
	if (grow_array((void **)&e->fds, &e->cap_fds, e->nfds + 1, sizeof(*e->fds)))
		return -1;
	e->fds[e->nfds++] = (struct fdfile){ proc, fd, idx };
	return idx;
}

static void close_fd(struct emit *e, int64_t proc, int64_t fd)
{
	for (size_t i = 0; i < e->nfds; i++) {
		if (e->fds[i].proc == proc && e->fds[i].fd == fd) {
			e->fds[i] = e->fds[--e->nfds];
			return;
		}
	}
}

static int emit_item(struct emit *e, const struct item *it)
{
	struct imp *im = e->im;
	struct vmt_record rec = { 0 };
	struct task *tk = it->task != NONE32 ? &im->tasks[it->task] : NULL;
	int64_t th = -1;

	if (tk && it->type != IT_CLOSE) {
		th = write_thread(e, it->task, it->t);
		if (th < 0)
			return -1;
	}
	switch (it->type) {
	case IT_DEF:
		return 0;
	case IT_OP: {
		struct vmt_op *op = &im->ops[it->op];
		int64_t fd = (int64_t)op->args[4], file = -1;
		bool file_backed = op->kind == VMT_OP_MMAP && !(op->args[3] & 0x20) && fd >= 0;

		op->thread = (uint32_t)th;
		if (file_backed && it->str != NONE32)
			file = file_by_path(e, im->strs[it->str]);
		else if (file_backed && !vmt_op_failed(op))
			file = file_by_fd(e, tk->process, fd);
		if (file_backed && file < 0 && (it->str != NONE32 || !vmt_op_failed(op)))
			return -1;
		op->file = file >= 0 ? (uint32_t)file : VMT_NONE;
		e->ops++;
		e->failed += vmt_op_failed(op);
		e->no_exit += !!(op->flags & VMT_OPF_NO_EXIT);
		return vmt_writer_op(e->w, op);
	}
	case IT_EXEC:
	case IT_COMM:
	case IT_EXIT:
		if (it->type == IT_EXEC)
			rec.type = VMT_REC_EXEC;
		else if (it->type == IT_COMM)
			rec.type = VMT_REC_COMM;
		else
			rec.type = VMT_REC_EXIT;
		rec.event.t = it->t;
		rec.event.thread = (uint32_t)th;
		rec.event.code = it->value;
		if (it->str != NONE32)
			strlcpy_(rec.event.text, im->strs[it->str],
				 it->type == IT_COMM ? 64 : sizeof(rec.event.text));
		return vmt_writer_write(e->w, &rec);
	case IT_LOST:
		rec.type = VMT_REC_LOST;
		rec.lost.t = it->t;
		rec.lost.cpu = it->cpu;
		rec.lost.count = (uint64_t)it->value;
		return vmt_writer_write(e->w, &rec);
	case IT_CLOSE:
		close_fd(e, tk->process, it->value);
		return 0;
	}
	return 0;
}

static const char *source_name(const struct imp *im)
{
	if (!strcmp(im->o.format, "strace"))
		return "import:strace";
	if (!strcmp(im->o.format, "ftrace"))
		return "import:ftrace";
	return "import:tracecmd";
}

static void build_cmdline(struct imp *im, char *buf, size_t size)
{
	char ign[512];
	size_t off;

	off = (size_t)snprintf(buf, size,
			       "vmatrace import --from %s '%s': %" PRIu64 " %s, %" PRIu64
			       " malformed, %" PRIu64 " calls or events not kept",
			       im->o.format, im->o.input, im->read_count, im->read_unit,
			       im->malformed, im->ignored.total);
	if (im->ignored.n && off < size) {
		format_counters(ign, sizeof(ign), &im->ignored, 8);
		snprintf(buf + off, size - off, " (%s)", ign);
	}
}

static void print_summary(struct imp *im, struct emit *e)
{
	char buf[1024];

	fprintf(stderr,
		"vmatrace: imported %" PRIu64 " ops (%" PRIu64 " failed, %" PRIu64
		" without exit) of %" PRIu64 " processes, %" PRIu64 " threads and %" PRIu64
		" files from %" PRIu64 " %s of '%s'\n",
		e->ops, e->failed, e->no_exit, e->procs, e->threads, e->files, im->read_count,
		im->read_unit, im->o.input);
	if (im->lifecycle.n) {
		format_counters(buf, sizeof(buf), &im->lifecycle, 12);
		fprintf(stderr, "vmatrace: lifecycle used for the process tree: %s\n", buf);
	}
	if (im->ignored.n) {
		format_counters(buf, sizeof(buf), &im->ignored, 12);
		fprintf(stderr,
			"vmatrace: not kept, outside the memory set: %" PRIu64
			" calls or events: %s\n",
			im->ignored.total, buf);
	}
	if (im->notes.n) {
		format_counters(buf, sizeof(buf), &im->notes, 12);
		fprintf(stderr, "vmatrace: also seen: %s\n", buf);
	}
	if (im->lost)
		warning("%s: the capture lost %" PRIu64 " events: the trace misses operations",
			im->o.input, im->lost);
	if (im->malformed)
		warning("%s: %" PRIu64 " malformed lines, the first at line %" PRIu64
			" (the count is kept in the trace's command line)",
			im->o.input, im->malformed, im->first_malformed_line);
}

int imp_finish(struct imp *im)
{
	struct emit e = { .im = im };
	struct vmt_header h;
	char err[512];
	int arch = imp_arch(im), ret = -1;

	if (im->o.strict && im->malformed)
		return imp_error(im,
				 "'%s': %" PRIu64 " malformed lines, the first at line %" PRIu64
				 " (--strict)",
				 im->o.input, im->malformed, im->first_malformed_line);
	if (resolve_processes(im))
		return -1;
	for (size_t i = 0; i < im->ntasks; i++) {
		struct item *it;

		if (!im->tasks[i].used)
			continue;
		it = add_item(im, IT_DEF, im->tasks[i].first_t, im->tasks[i].first_seq,
			      (uint32_t)i);
		if (!it)
			return imp_error(im, "out of memory");
	}
	if (im->nitems)
		qsort(im->items, im->nitems, sizeof(*im->items), cmp_item);

	vmt_header_init(&h, source_name(im),
			im->clock >= 0 ? (uint32_t)im->clock : VMT_CLOCK_UNKNOWN);
	/* the importing host is not the capture host: say only what the input says */
	strlcpy_(h.arch, imp_arch_uname(arch), sizeof(h.arch));
	strlcpy_(h.kernel, im->kernel, sizeof(h.kernel));
	strlcpy_(h.hostname, im->hostname, sizeof(h.hostname));
	h.start_realtime_ns = im->start_realtime;
	build_cmdline(im, h.cmdline, sizeof(h.cmdline));

	e.w = vmt_writer_open(im->o.output, &h, err, sizeof(err));
	if (!e.w)
		return imp_error(im, "%s", err);
	for (size_t i = 0; i < im->nitems; i++) {
		if (emit_item(&e, &im->items[i])) {
			imp_error(im, "%s", vmt_writer_error(e.w));
			vmt_writer_abort(e.w);
			goto out;
		}
	}
	vmt_writer_set_lost(e.w, im->lost);
	if (vmt_writer_close(e.w, err, sizeof(err))) {
		imp_error(im, "%s", err);
		goto out;
	}
	print_summary(im, &e);
	ret = 0;
out:
	free(e.paths.keys);
	free(e.paths.vals);
	free(e.fds);
	return ret;
}
