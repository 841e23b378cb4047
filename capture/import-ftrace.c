// SPDX-License-Identifier: GPL-2.0-only
/*
 * import-ftrace.c - ftrace events into ops: the event stream that ftrace
 * text and trace.dat share, and the reader of ftrace text
 *
 * The text comes in three dialects, all read here:
 *
 *   /sys/kernel/tracing/trace (syscall events in the syscall tracer's form):
 *      fmt-20321   [001] .....  2471.549515: sys_mmap(addr: 0, len: 0x12345, prot: 7, ...)
 *      fmt-20321   [001] .....  2471.549527: sys_mmap -> 0x7fa0f52d6000
 *      fmt-20321   [001] .....  2471.549515: sys_enter: NR 9 (0, 12345, 7, 22, ffffffff, 0)
 *      fmt-20321   [001] .....  2471.549528: sys_exit: NR 9 = 140329284886528
 *   trace-cmd report (the events' print formats; "NAME: " before each line
 *   when the file holds several buffers):
 *      bash-10413 [001]  1479.593244: sys_enter_mmap:  addr: 0x00000000, len: 0x00001000, ...
 *      bash-10413 [001]  1479.593250: sys_exit_mmap:   0x7f3541d2e000
 *   systrace, from atrace or perfetto's traceconv, with a TGID column:
 *      RenderThread-1234  ( 1200) [002] .... 1234.567890: sys_enter: NR 222 (0, 1000, 3, 22, ffffffff, 0)
 *      <...>-1240  (-----) [000] .... 1234.567990: sys_exit: NR 222 = 547608330240
 *
 * Enters and exits pair by thread.  A syscall seen both as a raw_syscalls
 * event and as a syscalls:* event is taken from the named one only.  Thread
 * and process come from the TGID column, or from task_newtask (its clone
 * flags say CLONE_THREAD or not), sched_process_fork, or a raw clone's
 * flags; a task none of these place is a process of its own.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "import.h"

#define CLONE_THREAD_FLAG 0x10000ull
#define MAX_NR 1024

struct named {
	char name[32];
};

struct imp_ftrace {
	struct imp *im;
	struct imp_fev *ev;
	size_t n, cap;
	struct named *named; /* syscalls seen as syscalls:* events */
	size_t nnamed, cap_named;
	uint64_t raw_ignored[MAX_NR], raw_ignored_big;
	bool has_task_exit, has_exec;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 256;
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

struct imp_ftrace *imp_ftrace_new(struct imp *im)
{
	struct imp_ftrace *fs = calloc(1, sizeof(*fs));

	if (fs)
		fs->im = im;
	return fs;
}

void imp_ftrace_free(struct imp_ftrace *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++)
		free((char *)fs->ev[i].text);
	free(fs->ev);
	free(fs->named);
	free(fs);
}

/* Would either architecture's number @nr be kept or used? */
static bool raw_relevant(int64_t nr)
{
	for (int a = 0; a < IMP_ARCH_NR; a++) {
		const struct imp_syscall *sc = imp_syscall_by_nr((enum imp_arch)a, nr);

		if (sc && sc->cls != IMP_SC_IGNORED)
			return true;
	}
	return false;
}

static void note_named(struct imp_ftrace *fs, const char *name)
{
	for (size_t i = 0; i < fs->nnamed; i++)
		if (!strcmp(fs->named[i].name, name))
			return;
	if (grow((void **)&fs->named, &fs->cap_named, fs->nnamed + 1, sizeof(*fs->named)))
		return;
	strlcpy_(fs->named[fs->nnamed++].name, name, sizeof(fs->named[0].name));
}

static bool is_named(const struct imp_ftrace *fs, const char *name)
{
	for (size_t i = 0; i < fs->nnamed; i++)
		if (!strcmp(fs->named[i].name, name))
			return true;
	return false;
}

int imp_ftrace_event(struct imp_ftrace *fs, const struct imp_fev *ev)
{
	struct imp_fev *e;

	if (ev->type == IMP_FEV_ENTER || ev->type == IMP_FEV_EXIT) {
		if (ev->raw && !raw_relevant(ev->nr)) {
			/* counted by number now, named at the end when the architecture is known */
			if (ev->type == IMP_FEV_ENTER) {
				if (ev->nr >= 0 && ev->nr < MAX_NR)
					fs->raw_ignored[ev->nr]++;
				else
					fs->raw_ignored_big++;
			}
			return 0;
		}
		if (!ev->raw) {
			const struct imp_syscall *sc = imp_syscall_by_name(ev->name);

			if (!sc || sc->cls == IMP_SC_IGNORED) {
				if (ev->type == IMP_FEV_ENTER)
					imp_ignored(fs->im, ev->name);
				return 0;
			}
			note_named(fs, ev->name);
		}
	}
	if (ev->type == IMP_FEV_TASK_EXIT)
		fs->has_task_exit = true;
	if (ev->type == IMP_FEV_EXEC)
		fs->has_exec = true;
	if (grow((void **)&fs->ev, &fs->cap, fs->n + 1, sizeof(*fs->ev)))
		return imp_error(fs->im, "out of memory");
	e = &fs->ev[fs->n];
	*e = *ev;
	e->text = NULL;
	if (ev->text) {
		e->text = strdup(ev->text);
		if (!e->text)
			return imp_error(fs->im, "out of memory");
	}
	fs->n++;
	return 0;
}

void imp_ftrace_other(struct imp_ftrace *fs, const char *event)
{
	imp_ignored(fs->im, event);
}

static const struct imp_syscall *fev_syscall(const struct imp_fev *e, int arch)
{
	return e->raw ? imp_syscall_by_nr((enum imp_arch)arch, e->nr)
		      : imp_syscall_by_name(e->name);
}

/*
 * Which architecture's numbers the raw events use, when nobody said: a
 * syscall that a task reports both as a syscalls:* event and, right next to
 * it, as a raw_syscalls event shows it (mmap is 9 on x86_64, 222 on arm64).
 */
static int guess_arch(struct imp_ftrace *fs, bool *any_raw)
{
	struct imp_idmap last = { 0 };
	uint64_t votes[IMP_ARCH_NR] = { 0 };
	int best = -1;

	*any_raw = false;
	for (size_t i = 0; i < fs->n; i++) {
		const struct imp_fev *e = &fs->ev[i], *o;
		int64_t j;

		if (e->type != IMP_FEV_ENTER)
			continue;
		*any_raw |= e->raw;
		j = imp_idmap_get(&last, e->tid);
		if (j >= 0) {
			o = &fs->ev[j];
			if (o->raw != e->raw) {
				const struct imp_fev *raw = e->raw ? e : o, *named = e->raw ? o : e;

				for (int a = 0; a < IMP_ARCH_NR; a++) {
					const struct imp_syscall *sc =
						imp_syscall_by_nr((enum imp_arch)a, raw->nr);

					if (sc && !strcmp(sc->name, named->name))
						votes[a]++;
				}
			}
		}
		if (imp_idmap_put(&last, e->tid, (int64_t)i))
			break;
	}
	imp_idmap_free(&last);
	for (int a = 0; a < IMP_ARCH_NR; a++)
		if (votes[a] && (best < 0 || votes[a] > votes[best]))
			best = a;
	return best;
}

struct pairer {
	struct imp_ftrace *fs;
	struct imp *im;
	int arch;
	struct imp_idmap pend[2];   /* tid -> event index of the pending enter: [raw], [named] */
	struct imp_idmap exit_code; /* tid -> code of its exit()/exit_group() */
};

static void add_op(struct pairer *pr, const struct imp_fev *en, const struct imp_fev *ex,
		   const struct imp_syscall *sc, int *ret)
{
	const struct vmt_op_desc *d;
	struct vmt_op op = { 0 };

	op.t_enter = en->t;
	if (ex) {
		op.t_exit = ex->t;
		op.ret = ex->ret;
	} else {
		op.t_exit = en->t;
		op.flags = VMT_OPF_NO_EXIT;
	}
	if (sc->cls == IMP_SC_OP) {
		d = &vmt_op_descs[sc->kind];
		if (en->nargs < d->nargs) {
			imp_malformed(pr->im, en->seq, "%s: expected %u arguments, found %u",
				      sc->name, d->nargs, en->nargs);
			return;
		}
		op.kind = sc->kind;
		memcpy(op.args, en->args, sizeof(op.args[0]) * d->nargs);
	} else {
		op.kind = VMT_OP_OTHER;
		op.nr = (uint32_t)(en->raw ? en->nr : sc->nr[pr->arch] >= 0 ? sc->nr[pr->arch] : 0);
		strlcpy_(op.name, sc->name, sizeof(op.name));
		op.nargs = (uint8_t)(sc->nargs < en->nargs ? sc->nargs : en->nargs);
		memcpy(op.args, en->args, sizeof(op.args[0]) * op.nargs);
	}
	if (imp_op(pr->im, en->seq, en->tid, &op, NULL))
		*ret = -1;
}

/* A syscall whose enter (and exit, unless @ex is NULL) were seen. */
static void complete(struct pairer *pr, const struct imp_fev *en, const struct imp_fev *ex,
		     int *ret)
{
	const struct imp_syscall *sc = fev_syscall(en, pr->arch);
	char what[32];

	if (!sc || sc->cls == IMP_SC_IGNORED) {
		if (sc)
			imp_ignored(pr->im, sc->name);
		else {
			snprintf(what, sizeof(what), "syscall %" PRId64, en->nr);
			imp_ignored(pr->im, what);
		}
		return;
	}
	switch (sc->cls) {
	case IMP_SC_OP:
	case IMP_SC_MEMORY:
		add_op(pr, en, ex, sc, ret);
		return;
	case IMP_SC_CLONE:
		imp_lifecycle(pr->im, sc->name);
		if (ex && ex->ret > 0 && ex->ret <= UINT32_MAX) {
			int thread = -1;

			if (!strcmp(sc->name, "clone") && en->nargs >= 1)
				/* the flags come first on x86_64 and arm64 alike */
				thread = !!(en->args[0] & CLONE_THREAD_FLAG);
			else if (!strcmp(sc->name, "fork") || !strcmp(sc->name, "vfork"))
				thread = 0;
			imp_clone(pr->im, en->t, en->seq, en->tid, (uint32_t)ex->ret, thread);
		}
		return;
	case IMP_SC_EXEC:
		imp_lifecycle(pr->im, sc->name);
		/* without sched_process_exec, the successful call still says the image changed */
		if (ex && ex->ret == 0 && !pr->fs->has_exec)
			imp_exec(pr->im, ex->t, ex->seq, en->tid, "");
		return;
	case IMP_SC_CLOSE:
		imp_lifecycle(pr->im, sc->name);
		if (ex && ex->ret == 0 && en->nargs >= 1)
			imp_close_fd(pr->im, ex->t, ex->seq, en->tid, (int32_t)en->args[0]);
		return;
	default:
		return;
	}
}

static void on_sys_enter(struct pairer *pr, size_t i, int *ret)
{
	const struct imp_fev *e = &pr->fs->ev[i];
	const struct imp_syscall *sc = fev_syscall(e, pr->arch);
	struct imp_idmap *pend = &pr->pend[!e->raw];
	int64_t j = imp_idmap_get(pend, e->tid);

	if (j >= 0) {
		/* a second enter: the first call's exit was lost */
		imp_note(pr->im, "syscall enters without an exit");
		complete(pr, &pr->fs->ev[j], NULL, ret);
	}
	if (sc && sc->cls == IMP_SC_EXIT) {
		/* exit and exit_group do not return: the task ends here */
		int64_t code = (int32_t)e->args[0];

		imp_lifecycle(pr->im, sc->name);
		imp_idmap_put(&pr->exit_code, e->tid, code);
		if (!pr->fs->has_task_exit)
			imp_exit(pr->im, e->t, e->seq, e->tid, code);
		imp_idmap_put(pend, e->tid, -1);
		return;
	}
	imp_idmap_put(pend, e->tid, (int64_t)i);
}

static bool same_call(const struct imp_fev *a, const struct imp_fev *b)
{
	return a->raw ? a->nr == b->nr : !strcmp(a->name, b->name);
}

static void on_sys_exit(struct pairer *pr, size_t i, int *ret)
{
	const struct imp_fev *e = &pr->fs->ev[i];
	struct imp_idmap *pend = &pr->pend[!e->raw];
	int64_t j = imp_idmap_get(pend, e->tid);

	const struct imp_syscall *sc;

	if (j >= 0 && same_call(&pr->fs->ev[j], e)) {
		complete(pr, &pr->fs->ev[j], e, ret);
	} else {
		if (j >= 0)
			complete(pr, &pr->fs->ev[j], NULL, ret);
		sc = fev_syscall(e, pr->arch);
		/*
		 * A new task returns from the clone its parent entered; any other
		 * exit alone means the capture began inside the call.
		 */
		if (sc && sc->cls == IMP_SC_CLONE && e->ret == 0)
			imp_note(pr->im, "clone returns in the new tasks");
		else
			imp_note(pr->im, "syscall exits without their enter");
	}
	imp_idmap_put(pend, e->tid, -1);
}

int imp_ftrace_finish(struct imp_ftrace *fs)
{
	struct imp *im = fs->im;
	struct pairer pr = { .fs = fs, .im = im };
	char what[48];
	bool any_raw;
	int ret = 0, guessed;

	guessed = guess_arch(fs, &any_raw);
	if (imp_opts(im)->arch < 0 && guessed >= 0) {
		imp_set_arch(im, (enum imp_arch)guessed);
	} else if (imp_opts(im)->arch < 0 && any_raw) {
		imp_remark(im,
			   "raw_syscalls numbers read as %s's (nothing in the input says; see --arch)",
			   imp_arch_name((enum imp_arch)imp_arch(im)));
	}
	pr.arch = imp_arch(im);

	for (size_t i = 0; i < fs->n && !ret; i++) {
		struct imp_fev *e = &fs->ev[i];
		const struct imp_syscall *sc;
		int64_t code;

		if (e->type != IMP_FEV_LOST && e->tid) {
			imp_task_seen(im, e->tid, e->t, e->seq, e->comm);
			if (e->tgid)
				imp_task_tgid(im, e->tid, e->tgid);
		}
		switch (e->type) {
		case IMP_FEV_ENTER:
		case IMP_FEV_EXIT:
			if (e->raw) {
				sc = imp_syscall_by_nr((enum imp_arch)pr.arch, e->nr);
				if (sc && is_named(fs, sc->name)) {
					/* the same call again, as its syscalls:* event tells it */
					if (e->type == IMP_FEV_ENTER)
						imp_note(im, "raw duplicates of syscalls:* events");
					break;
				}
			}
			if (e->type == IMP_FEV_ENTER)
				on_sys_enter(&pr, i, &ret);
			else
				on_sys_exit(&pr, i, &ret);
			break;
		case IMP_FEV_NEWTASK:
			imp_lifecycle(im, "task_newtask");
			imp_clone(im, e->t, e->seq, e->tid, e->pid2,
				  !!(e->flags & CLONE_THREAD_FLAG));
			break;
		case IMP_FEV_FORK:
			imp_lifecycle(im, "sched_process_fork");
			imp_clone(im, e->t, e->seq, e->tid, e->pid2, -1);
			break;
		case IMP_FEV_EXEC:
			imp_lifecycle(im, "sched_process_exec");
			imp_exec(im, e->t, e->seq, e->tid, e->text ? e->text : "");
			break;
		case IMP_FEV_TASK_EXIT:
			imp_lifecycle(im, "sched_process_exit");
			code = imp_idmap_get(&pr.exit_code, e->tid);
			/* ftrace has no exit code: the task's own exit call's, else 0 */
			imp_exit(im, e->t, e->seq, e->tid, code >= 0 ? code : 0);
			break;
		case IMP_FEV_RENAME:
			imp_lifecycle(im, "task_rename");
			if (e->text)
				imp_task_seen(im, e->pid2 ? e->pid2 : e->tid, e->t, e->seq,
					      e->text);
			break;
		case IMP_FEV_LOST:
			imp_lost(im, e->t, e->seq, e->cpu, e->count);
			break;
		}
	}
	/* calls still open at the end: entered, never seen to return */
	for (int s = 0; s < 2 && !ret; s++)
		for (size_t k = 0; k < pr.pend[s].cap; k++)
			if (pr.pend[s].keys[k] && pr.pend[s].vals[k] >= 0)
				complete(&pr, &fs->ev[pr.pend[s].vals[k]], NULL, &ret);
	for (int nr = 0; nr < MAX_NR; nr++) {
		const struct imp_syscall *sc;

		if (!fs->raw_ignored[nr])
			continue;
		sc = imp_syscall_by_nr((enum imp_arch)pr.arch, nr);
		if (sc)
			snprintf(what, sizeof(what), "%s", sc->name);
		else
			snprintf(what, sizeof(what), "syscall %d", nr);
		imp_ignored_n(im, what, fs->raw_ignored[nr]);
	}
	if (fs->raw_ignored_big)
		imp_ignored_n(im, "syscall numbers above 1023", fs->raw_ignored_big);
	imp_idmap_free(&pr.pend[0]);
	imp_idmap_free(&pr.pend[1]);
	imp_idmap_free(&pr.exit_code);
	imp_ftrace_free(fs);
	return ret;
}

/* ---- the text reader ---- */

struct ftext {
	struct imp *im;
	struct imp_ftrace *fs;
	uint64_t line, last_t;
};

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* A number as ftrace prints it: "0x1f", "1f" when @hex, else decimal; "-22". */
static int parse_num(const char *s, const char **end, bool hex, uint64_t *v)
{
	const char *p = skip_ws(s);
	bool neg = *p == '-';
	char *e;
	int base = hex ? 16 : 10;

	if (neg)
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		base = 16;
	}
	if (!isxdigit((unsigned char)*p))
		return -1;
	errno = 0;
	*v = strtoull(p, &e, base);
	if (errno || e == p)
		return -1;
	/* a bare value with hex digits in it is hex whatever @hex says */
	if (base == 10 && isxdigit((unsigned char)*e)) {
		*v = strtoull(p, &e, 16);
		if (errno)
			return -1;
	}
	if (neg)
		*v = -*v;
	*end = e;
	return 0;
}

/* "secs.frac:" into ns; NULL if @s is not a timestamp. */
static const char *parse_ts(const char *s, uint64_t *t)
{
	const char *p = s;
	uint64_t secs = 0, frac = 0;
	int digits = 0;

	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		secs = secs * 10 + (uint64_t)(*p++ - '0');
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (digits < 9) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				digits++;
			}
		}
		while (digits++ < 9)
			frac *= 10;
		*t = secs * 1000000000ull + frac;
	} else {
		*t = secs; /* a counter clock: its raw value */
	}
	if (*p != ':')
		return NULL;
	return p + 1;
}

/* The value of " key=value" in a key=value event body, up to the next known key. */
static bool kv(const char *body, const char *key, const char *const next[], char *out, size_t size)
{
	const char *p = body, *v, *end = NULL;
	size_t kl = strlen(key);

	for (;;) {
		p = strstr(p, key);
		if (!p)
			return false;
		if ((p == body || p[-1] == ' ') && p[kl] == '=')
			break;
		p += kl;
	}
	v = p + kl + 1;
	for (int i = 0; next && next[i]; i++) {
		char pat[40];
		const char *q;

		snprintf(pat, sizeof(pat), " %s=", next[i]);
		q = strstr(v, pat);
		if (q && (!end || q < end))
			end = q;
	}
	if (!end)
		end = v + strcspn(v, " ");
	snprintf(out, size, "%.*s", (int)(end - v), v);
	return true;
}

static int kv_num(const char *body, const char *key, bool hex, uint64_t *v)
{
	char buf[64];
	const char *e;

	if (!kv(body, key, NULL, buf, sizeof(buf)) || parse_num(buf, &e, hex, v) || *skip_ws(e))
		return -1;
	return 0;
}

/* "NR 9 (0, 1000, 3, 22, ffffffff, 0)" or perfetto's "id=9 args=[0, 4096, ...]". */
static int raw_enter(const char *b, struct imp_fev *ev)
{
	const char *p;
	uint64_t v;

	if (prefix(b, "NR ")) {
		if (parse_num(b + 3, &p, false, &v))
			return -1;
		ev->nr = (int64_t)v;
		p = skip_ws(p);
		if (*p++ != '(')
			return -1;
		while (ev->nargs < VMT_MAX_ARGS) {
			if (parse_num(p, &p, true, &ev->args[ev->nargs]))
				return -1;
			ev->nargs++;
			p = skip_ws(p);
			if (*p == ')')
				return 0;
			if (*p++ != ',')
				return -1;
		}
		return -1;
	}
	if (kv_num(b, "id", false, &v))
		return -1;
	ev->nr = (int64_t)v;
	p = strstr(b, "args");
	while (p && ev->nargs < VMT_MAX_ARGS) {
		p += 4;
		if (*p == '[' && isdigit((unsigned char)p[1])) /* args[0]=V */
			p = strchr(p, ']') ? strchr(p, ']') + 1 : p;
		if (*p++ != '=')
			return -1;
		if (*p == '[')
			p++;
		do {
			if (parse_num(p, &p, false, &ev->args[ev->nargs]))
				return -1;
			ev->nargs++;
			p = skip_ws(p);
		} while (*p == ',' && (p = p + 1) && ev->nargs < VMT_MAX_ARGS);
		p = strstr(p, "args");
	}
	return ev->nargs ? 0 : -1;
}

/* "NR 9 = 140329284886528" or "id=9 ret=140329284886528". */
static int raw_exit(const char *b, struct imp_fev *ev)
{
	const char *p;
	uint64_t v, r;

	if (prefix(b, "NR ")) {
		if (parse_num(b + 3, &p, false, &v))
			return -1;
		p = skip_ws(p);
		if (*p++ != '=' || parse_num(p, &p, false, &r))
			return -1;
	} else if (kv_num(b, "id", false, &v) || kv_num(b, "ret", false, &r)) {
		return -1;
	}
	ev->nr = (int64_t)v;
	ev->ret = (int64_t)r;
	return 0;
}

/* "addr: 0x0, len: 0x1000, ..." (or "addr=0x0 len=0x1000" from trace-cmd report -R) */
static int named_args(const char *b, struct imp_fev *ev)
{
	const char *p = skip_ws(b);

	while (*p && *p != ')') {
		const char *colon = p;
		uint64_t v;

		while (*colon && (isalnum((unsigned char)*colon) || *colon == '_'))
			colon++;
		if (*colon != ':' && *colon != '=')
			return -1;
		if (!strncmp(p, "__syscall_nr", (size_t)(colon - p))) {
			p = colon + 1 + strcspn(colon + 1, ", ");
		} else {
			if (ev->nargs >= VMT_MAX_ARGS || parse_num(colon + 1, &p, false, &v))
				return -1;
			ev->args[ev->nargs++] = v;
		}
		/* the kernel may add a decoded form after the value: "0x7ff \"/path\"" */
		while (*p && *p != ',' && *p != ')' &&
		       !(*p == ' ' && isalpha((unsigned char)p[1]) && strpbrk(p + 1, ":=")))
			p++;
		if (*p == ',')
			p++;
		p = skip_ws(p);
	}
	return 0;
}

static void set_name(struct imp_fev *ev, const char *s, size_t len)
{
	if (len >= sizeof(ev->name))
		len = sizeof(ev->name) - 1;
	memcpy(ev->name, s, len);
	ev->name[len] = '\0';
}

/* The part after the timestamp: "event: fields", or the syscall tracer's "sys_mmap(...)". */
static int parse_body(const char *b, struct imp_fev *ev)
{
	static const char *const exec_keys[] = { "pid", "old_pid", NULL };
	static const char *const rename_keys[] = { "oldcomm", "newcomm", "oom_score_adj", NULL };
	char buf[VMT_STR_MAX];
	const char *p = b, *colon;
	uint64_t v;
	size_t nl = 0;

	while (isalnum((unsigned char)p[nl]) || p[nl] == '_')
		nl++;
	/* "raw_syscalls:sys_enter:" as perf prints it: drop the system */
	if (p[nl] == ':' && (isalpha((unsigned char)p[nl + 1]) || p[nl + 1] == '_')) {
		p += nl + 1;
		nl = 0;
		while (isalnum((unsigned char)p[nl]) || p[nl] == '_')
			nl++;
	}
	if (!nl)
		return -1;
	if (prefix(p, "sys_") && (p[nl] == '(' || prefix(p + nl, " -> "))) {
		/* the syscall tracer's form of the syscalls:* events */
		ev->raw = false;
		set_name(ev, p + 4, nl - 4);
		if (p[nl] == '(') {
			ev->type = IMP_FEV_ENTER;
			return named_args(p + nl + 1, ev);
		}
		ev->type = IMP_FEV_EXIT;
		if (parse_num(p + nl + 4, &colon, true, &v))
			return -1;
		ev->ret = (int64_t)v;
		return 0;
	}
	if (p[nl] != ':')
		return -1;
	colon = skip_ws(p + nl + 1);
	if (nl == 9 && prefix(p, "sys_enter")) {
		ev->type = IMP_FEV_ENTER;
		ev->raw = true;
		return raw_enter(colon, ev);
	}
	if (nl == 8 && prefix(p, "sys_exit")) {
		ev->type = IMP_FEV_EXIT;
		ev->raw = true;
		return raw_exit(colon, ev);
	}
	if (prefix(p, "sys_enter_")) {
		ev->type = IMP_FEV_ENTER;
		set_name(ev, p + 10, nl - 10);
		return named_args(colon, ev);
	}
	if (prefix(p, "sys_exit_")) {
		const char *q = colon;

		ev->type = IMP_FEV_EXIT;
		set_name(ev, p + 9, nl - 9);
		/* "0x7f3541d2e000", or key=value: "__syscall_nr=9 ret=..." */
		if (strstr(q, "ret="))
			return kv_num(q, "ret", false, &v) ? -1 : (ev->ret = (int64_t)v, 0);
		if (parse_num(q, &q, true, &v))
			return -1;
		ev->ret = (int64_t)v;
		return 0;
	}
	if (nl == 12 && prefix(p, "task_newtask")) {
		ev->type = IMP_FEV_NEWTASK;
		if (kv_num(colon, "pid", false, &v) || v > UINT32_MAX)
			return -1;
		ev->pid2 = (uint32_t)v;
		return kv_num(colon, "clone_flags", true, &ev->flags);
	}
	if (nl == 18 && prefix(p, "sched_process_fork")) {
		ev->type = IMP_FEV_FORK;
		if (kv_num(colon, "child_pid", false, &v) || v > UINT32_MAX)
			return -1;
		ev->pid2 = (uint32_t)v;
		return 0;
	}
	if (nl == 18 && prefix(p, "sched_process_exec")) {
		ev->type = IMP_FEV_EXEC;
		if (!kv(colon, "filename", exec_keys, buf, sizeof(buf)))
			return -1;
		ev->text = strdup(buf);
		return ev->text ? 0 : -1;
	}
	if (nl == 18 && prefix(p, "sched_process_exit")) {
		ev->type = IMP_FEV_TASK_EXIT;
		if (kv_num(colon, "pid", false, &v) || v > UINT32_MAX)
			return -1;
		/* the exiting task, which need not be the one the line shows */
		ev->tid = (uint32_t)v;
		return 0;
	}
	if (nl == 11 && prefix(p, "task_rename")) {
		ev->type = IMP_FEV_RENAME;
		if (kv_num(colon, "pid", false, &v) || v > UINT32_MAX ||
		    !kv(colon, "newcomm", rename_keys, buf, sizeof(buf)))
			return -1;
		ev->pid2 = (uint32_t)v;
		ev->text = strdup(buf);
		return ev->text ? 0 : -1;
	}
	set_name(ev, p, nl);
	return 1; /* an event of another kind */
}

/* "CPU:2 [LOST 123 EVENTS]" (tracefs) or "CPU:2 [123 EVENTS DROPPED]" (trace-cmd report) */
static int lost_line(struct ftext *r, const char *s)
{
	struct imp_fev ev = { .type = IMP_FEV_LOST, .seq = r->line, .t = r->last_t };
	unsigned long long cpu, n = 0;
	const char *p = s + 3;

	p += *p == ':' ? 1 : 0;
	if (sscanf(p, "%llu [LOST %llu EVENTS]", &cpu, &n) != 2 &&
	    sscanf(p, "%llu [%llu EVENTS DROPPED]", &cpu, &n) != 2) {
		if (!strstr(p, "EVENTS DROPPED]") || sscanf(p, "%llu", &cpu) != 1)
			return -1;
		/* trace-cmd knows that events were dropped, not how many: at least one */
		n = 1;
		imp_remark(r->im,
			   "line %" PRIu64 ": events were dropped, number unknown (counted as 1)",
			   r->line);
	}
	ev.cpu = (uint32_t)cpu;
	ev.count = n;
	return imp_ftrace_event(r->fs, &ev);
}

static int do_text_line(struct ftext *r, char *line)
{
	struct imp_fev ev = { .seq = r->line };
	const char *s = skip_ws(line), *p, *open = NULL, *close;
	char left[512];
	size_t len;
	char *dash, *paren;
	int rc;

	if (!*s || *s == '#')
		return 0;
	if (prefix(s, "CPU:") || (prefix(s, "CPU ") && strstr(s, "EVENTS"))) {
		if (lost_line(r, s))
			imp_malformed(r->im, r->line, "bad lost-events line");
		return 0;
	}
	/* the cpu column "[001]" ends the task part */
	for (p = s + 1; (p = strchr(p, '[')); p++) {
		const char *q = p + 1;

		while (isdigit((unsigned char)*q))
			q++;
		if (q > p + 1 && *q == ']' && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == ')')) {
			open = p;
			break;
		}
	}
	if (!open) {
		/* the headers of trace-cmd report and atrace */
		if (prefix(s, "cpus=") || prefix(s, "version") || prefix(s, "TRACE:") ||
		    prefix(s, "trace-cmd")) {
			imp_note(r->im, "header lines");
			return 0;
		}
		imp_malformed(r->im, r->line, "not an event line: '%.60s'", s);
		return 0;
	}
	ev.cpu = (uint32_t)strtoul(open + 1, NULL, 10);
	len = (size_t)(open - s);
	if (len >= sizeof(left))
		len = sizeof(left) - 1;
	memcpy(left, s, len);
	left[len] = '\0';
	while (len && isspace((unsigned char)left[len - 1]))
		left[--len] = '\0';
	/* systrace's TGID column: "( 1200)" or "(-----)" */
	if (len && left[len - 1] == ')' && (paren = strrchr(left, '('))) {
		const char *g = skip_ws(paren + 1);

		if (isdigit((unsigned char)*g))
			ev.tgid = (uint32_t)strtoul(g, NULL, 10);
		*paren = '\0';
		len = strlen(left);
		while (len && isspace((unsigned char)left[len - 1]))
			left[--len] = '\0';
	}
	dash = strrchr(left, '-');
	if (!dash || !isdigit((unsigned char)dash[1]) || dash[1 + strspn(dash + 1, "0123456789")]) {
		imp_malformed(r->im, r->line, "no task-pid before the cpu column: '%.60s'", s);
		return 0;
	}
	ev.tid = (uint32_t)strtoul(dash + 1, NULL, 10);
	*dash = '\0';
	/* trace-cmd report names the buffer first when there are several: "inst:  comm-pid" */
	p = left;
	{
		const char *sp = strpbrk(left, " \t");

		if (sp && sp > left && sp[-1] == ':')
			p = skip_ws(sp);
	}
	strlcpy_(ev.comm, p, sizeof(ev.comm));
	if (!strcmp(ev.comm, "<...>") || !strcmp(ev.comm, "<unknown>"))
		ev.comm[0] = '\0';

	/* flags columns, then the timestamp */
	close = open + strcspn(open, "]") + 1;
	p = skip_ws(close);
	for (;;) {
		const char *after = parse_ts(p, &ev.t);

		if (after) {
			p = skip_ws(after);
			break;
		}
		p += strcspn(p, " \t");
		p = skip_ws(p);
		if (!*p) {
			imp_malformed(r->im, r->line, "no timestamp: '%.60s'", s);
			return 0;
		}
	}
	r->last_t = ev.t;
	rc = parse_body(p, &ev);
	if (rc < 0) {
		imp_malformed(r->im, r->line, "cannot parse event '%.60s'", p);
		free((char *)ev.text);
		return 0;
	}
	if (rc > 0) {
		imp_ftrace_other(r->fs, ev.name);
		return 0;
	}
	if (!ev.tid && ev.type != IMP_FEV_LOST) {
		imp_note(r->im, "events of pid 0");
		free((char *)ev.text);
		return 0;
	}
	rc = imp_ftrace_event(r->fs, &ev);
	free((char *)ev.text);
	return rc;
}

int imp_read_ftrace(struct imp *im, const char *path)
{
	struct ftext r = { .im = im };
	gzFile f = !strcmp(path, "-") ? gzdopen(0, "rb") : gzopen(path, "rb");
	char *buf = NULL;
	size_t cap = 1 << 16;
	int ret = 0, errnum;

	if (!f)
		return imp_error(im, "cannot open '%s': %s", path,
				 strerror(errno ? errno : ENOMEM));
	imp_set_default_pids(im, IMP_PIDS_PROCESSES);
	r.fs = imp_ftrace_new(im);
	buf = malloc(cap);
	if (!r.fs || !buf) {
		ret = imp_error(im, "out of memory");
		goto out;
	}
	while (gzgets(f, buf, (int)cap)) {
		size_t len = strlen(buf);

		r.line++;
		if (len && buf[len - 1] != '\n' && !gzeof(f)) {
			/* longer than any event line: skip the rest and report it */
			int c;

			while ((c = gzgetc(f)) >= 0 && c != '\n')
				;
			imp_malformed(im, r.line, "line longer than %zu bytes", cap);
			continue;
		}
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (do_text_line(&r, buf)) {
			ret = -1;
			goto out;
		}
	}
	gzerror(f, &errnum);
	if (errnum != Z_OK && errnum != Z_STREAM_END) {
		ret = imp_error(im, "cannot read '%s': %s", path, gzerror(f, &errnum));
		goto out;
	}
	imp_set_read(im, r.line, "lines");
	ret = imp_ftrace_finish(r.fs);
	r.fs = NULL;
out:
	imp_ftrace_free(r.fs);
	free(buf);
	gzclose(f);
	return ret;
}
