// SPDX-License-Identifier: GPL-2.0-only
/*
 * import-strace.c - read a strace log
 *
 * The log of `strace -f -ttt -T -y -e trace=%memory,%process,process_madvise -o LOG CMD`
 * has one line per call, event or signal:
 *
 *   20224 1795635410.541381 mmap(NULL, 12288, PROT_READ, MAP_SHARED, 3</tmp/f>, 0) = 0x7f8d7a06a000 <0.000012>
 *   20224 1795635410.541467 mmap(NULL, 0, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 EINVAL (Invalid argument) <0.000008>
 *   20224 1795635410.546863 wait4(20232,  <unfinished ...>
 *   20232 1795635410.548592 mmap(NULL, 45056, ...) = 0x7f8d7a062000 <0.000041>
 *   20224 1795635410.549058 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 20232 <0.002186>
 *   20224 1795635410.549086 --- SIGCHLD {si_signo=SIGCHLD, ...} ---
 *   20232 1795635410.549038 +++ exited with 3 +++
 *
 * A call cut by another task's line is joined again: the unfinished text
 * and the resumed text make one call, timed from the first line.  The -T
 * duration gives the exit time; without -T the resumed line's time does.
 * Threads and processes come from clone/clone3/fork/vfork lines (strace
 * does not mark them otherwise); execve names the process.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "import.h"
#include "names.h"

#define MAX_ARGS 8

struct arg {
	const char *p;
	size_t len;
};

struct pending {
	uint32_t pid;
	uint64_t t, seq;
	char name[64];
	char *text; /* "mmap(NULL, 4096, ..." up to where the line was cut */
};

struct sreader {
	struct imp *im;
	uint64_t line;
	/* what the first line showed, which every line must then show */
	enum {
		TS_UNSET,
		TS_NONE,
		TS_EPOCH,
		TS_TIME_OF_DAY
	} ts;
	uint64_t day_ns, last_tod; /* -tt: add a day when the time of day wraps */
	bool no_pid_noted;
	struct pending *pend;
	size_t npend, cap_pend;
};

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "[pid 123] " or "123 " */
static const char *parse_pid(const char *s, uint32_t *pid, bool *have)
{
	const char *p = s;
	uint64_t v = 0;

	*have = false;
	if (starts(p, "[pid")) {
		p = skip_space(p + 4);
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			v = v * 10 + (uint64_t)(*p++ - '0');
		if (*p != ']' || v > UINT32_MAX)
			return NULL;
		*pid = (uint32_t)v;
		*have = true;
		return skip_space(p + 1);
	}
	while (isdigit((unsigned char)*p) && v <= UINT32_MAX)
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (p > s && (*p == ' ' || *p == '\t') && v <= UINT32_MAX) {
		*pid = (uint32_t)v;
		*have = true;
		return skip_space(p);
	}
	return s;
}

/* Fractional digits (up to 9) into ns. */
static uint64_t frac_ns(const char *p, const char **end)
{
	uint64_t ns = 0;
	int digits = 0;

	while (isdigit((unsigned char)*p)) {
		if (digits < 9) {
			ns = ns * 10 + (uint64_t)(*p - '0');
			digits++;
		}
		p++;
	}
	while (digits++ < 9)
		ns *= 10;
	*end = p;
	return ns;
}

/*
 * The timestamp: -ttt "1795635410.541381" (seconds since the epoch), -tt
 * "13:45:12.123456" or -t "13:45:12" (time of day).  Returns the rest of the
 * line, s itself when there is no timestamp, NULL when it is damaged.
 */
static const char *parse_time(struct sreader *r, const char *s, uint64_t *t, int *kind)
{
	const char *p = s;
	uint64_t a = 0, b = 0, c = 0;

	*kind = TS_NONE;
	if (!isdigit((unsigned char)*p))
		return s;
	while (isdigit((unsigned char)*p))
		a = a * 10 + (uint64_t)(*p++ - '0');
	if (*p == '.') {
		*t = a * 1000000000ull + frac_ns(p + 1, &p);
		*kind = TS_EPOCH;
	} else if (*p == ':') {
		p++;
		while (isdigit((unsigned char)*p))
			b = b * 10 + (uint64_t)(*p++ - '0');
		if (*p++ != ':')
			return NULL;
		while (isdigit((unsigned char)*p))
			c = c * 10 + (uint64_t)(*p++ - '0');
		*t = ((a * 60 + b) * 60 + c) * 1000000000ull;
		if (*p == '.')
			*t += frac_ns(p + 1, &p);
		*kind = TS_TIME_OF_DAY;
		/* a log that runs past midnight: the time of day falls back by hours */
		if (r->last_tod > *t + 12 * 3600 * 1000000000ull)
			r->day_ns += 24 * 3600 * 1000000000ull;
		r->last_tod = *t;
		*t += r->day_ns;
	} else {
		return s;
	}
	if (*p != ' ' && *p != '\t')
		return NULL;
	return skip_space(p);
}

static unsigned int hexval(char c)
{
	if (isdigit((unsigned char)c))
		return (unsigned int)(c - '0');
	return (unsigned int)(tolower((unsigned char)c) - 'a' + 10);
}

/* C-style escapes as strace prints them: \n \t \" \\ \123 \x41. */
static void unescape(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < len) {
			c = s[++i];
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'v':
				c = '\v';
				break;
			case 'f':
				c = '\f';
				break;
			case 'x': {
				unsigned int v = 0, n = 0;

				while (n < 2 && i + 1 < len && isxdigit((unsigned char)s[i + 1])) {
					char h = s[++i];

					v = v * 16 + hexval(h);
					n++;
				}
				c = (char)v;
				break;
			}
			default:
				if (c >= '0' && c <= '7') {
					unsigned int v = (unsigned int)(c - '0'), n = 1;

					while (n < 3 && i + 1 < len && s[i + 1] >= '0' &&
					       s[i + 1] <= '7') {
						v = v * 8 + (unsigned int)(s[++i] - '0');
						n++;
					}
					c = (char)v;
				}
				break;
			}
		}
		out[o++] = c;
	}
	out[o] = '\0';
}

/*
 * Split "a, {b, c}, 3</p,q>, \"x,y\")" at the commas outside brackets,
 * strings, comments and -y paths.  Returns the number of arguments, with
 * *end at the closing ')', or -1 when the list does not close.
 */
static int split_args(const char *s, struct arg *args, int max, const char **end)
{
	int depth = 0, n = 0;
	const char *start = s, *p;

	for (p = s; *p; p++) {
		char c = *p;

		if (c == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				return -1;
		} else if (c == '/' && p[1] == '*') {
			const char *q = strstr(p + 2, "*/");

			if (!q)
				return -1;
			p = q + 1;
		} else if (c == '<' && p > s && isdigit((unsigned char)p[-1]) && p[1] != '<') {
			/* an fd's path (-y): escaped by strace, so the first '>' ends it */
			const char *q = strchr(p + 1, '>');

			if (!q)
				return -1;
			p = q;
		} else if (c == '(' || c == '[' || c == '{') {
			depth++;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		} else if (c == ')') {
			if (!depth)
				break;
			depth--;
		} else if (c == ',' && !depth) {
			if (n < max) {
				args[n].p = start;
				args[n].len = (size_t)(p - start);
			}
			n++;
			start = p + 1;
		}
	}
	if (*p != ')')
		return -1;
	if (n || p > start) {
		if (n < max) {
			args[n].p = start;
			args[n].len = (size_t)(p - start);
		}
		n++;
	}
	for (int i = 0; i < n && i < max; i++) {
		while (args[i].len && isspace((unsigned char)args[i].p[0])) {
			args[i].p++;
			args[i].len--;
		}
		while (args[i].len && isspace((unsigned char)args[i].p[args[i].len - 1]))
			args[i].len--;
	}
	*end = p;
	return n;
}

/* An argument: its number, and an fd's path when -y printed one. */
static int parse_value(const struct arg *a, uint64_t *v, char *path, size_t pathsize,
		       const char **unknown, size_t *unknown_len)
{
	size_t len = a->len;
	const char *lt;

	if (path)
		path[0] = '\0';
	lt = memchr(a->p, '<', len);
	if (lt && lt > a->p && isdigit((unsigned char)lt[-1]) && lt[1] != '<' &&
	    a->p[len - 1] == '>') {
		if (path)
			unescape(lt + 1, (size_t)(a->p + len - 1 - (lt + 1)), path, pathsize);
		len = (size_t)(lt - a->p);
	}
	return vmt_parse_symbolic(a->p, len, v, unknown, unknown_len);
}

struct call {
	char name[64];
	struct arg args[MAX_ARGS];
	int nargs;
	bool has_ret;
	int64_t ret;
	bool has_dur;
	uint64_t dur;
};

/* "<0.000012>": seconds with a fraction, into ns. */
static uint64_t secs_ns(const char *p, const char **end)
{
	uint64_t s = 0;

	while (isdigit((unsigned char)*p))
		s = s * 10 + (uint64_t)(*p++ - '0');
	if (*p == '.')
		return s * 1000000000ull + frac_ns(p + 1, end);
	*end = p;
	return s * 1000000000ull;
}

/* "ENOMEM" at @p: its number, or -1; *end after the name. */
static int errno_at(const char *p, const char **end)
{
	const char *q = p;

	while (isalnum((unsigned char)*q) || *q == '_' || *q == '?')
		q++;
	*end = q;
	return q > p ? vmt_errno_value(p, (size_t)(q - p)) : -1;
}

/*
 * What follows the ')': " = 0x7f00 <0.000012>", " = -1 ENOMEM (Cannot
 * allocate memory) <0.000008>", " = ?", " = ? ERESTARTSYS (To be restarted)".
 */
static int parse_result(const char *s, struct call *c)
{
	const char *p = skip_space(s), *q;
	uint64_t v;
	char *end;
	int e;

	c->has_ret = c->has_dur = false;
	if (*p != '=')
		return -1;
	p = skip_space(p + 1);
	if (*p == '?') {
		p = skip_space(p + 1);
		if (*p == 'E') {
			/* interrupted, to be restarted: the call returned the kernel's code */
			e = errno_at(p, &q);
			if (e < 0)
				return -1;
			c->has_ret = true;
			c->ret = -e;
			p = q;
		}
	} else {
		bool neg = *p == '-';

		if (neg)
			p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		errno = 0;
		v = strtoull(p, &end, p[0] == '0' && (p[1] == 'x' || p[1] == 'X') ? 16 : 10);
		if (errno)
			return -1;
		p = skip_space(end);
		c->has_ret = true;
		c->ret = neg ? -(int64_t)v : (int64_t)v;
		if (neg && v == 1 && (isupper((unsigned char)*p) || *p == '(')) {
			/* -1 and the errno: a name, or "(errno N)" for one strace does not know */
			e = errno_at(p, &q);
			q = skip_space(q);
			if (e < 0 && starts(q, "(errno "))
				e = atoi(q + 7);
			if (e <= 0 || e > 4095)
				return -1;
			c->ret = -e;
			p = q;
		}
	}
	/* skip "(explanation)" and strace's notes after the value, up to -T's "<secs>" */
	for (;;) {
		p = skip_space(p);
		if (*p == '(') {
			int depth = 0;

			for (; *p; p++) {
				if (*p == '(')
					depth++;
				else if (*p == ')' && !--depth)
					break;
			}
			if (!*p)
				return -1;
			p++;
		} else if (*p == '<') {
			if (!strcmp(p, "<unavailable>"))
				return 0;
			c->dur = secs_ns(p + 1, &q);
			if (*q != '>' || q == p + 1)
				return -1;
			c->has_dur = true;
			return 0;
		} else if (!*p) {
			return 0;
		} else {
			while (*p && *p != ' ' && *p != '<')
				p++;
		}
	}
}

static bool has_token(const char *s, size_t len, const char *token)
{
	size_t tl = strlen(token);

	for (const char *p = s; p + tl <= s + len; p++) {
		if (!strncmp(p, token, tl) &&
		    (p == s || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
		    (p + tl == s + len || !(isalnum((unsigned char)p[tl]) || p[tl] == '_')))
			return true;
	}
	return false;
}

/* One complete call: "name(args) = ret <dur>", entered at @t by @pid. */
static int do_call(struct sreader *r, uint32_t pid, uint64_t t, uint64_t t_line, uint64_t seq,
		   const char *text, bool resumed)
{
	struct imp *im = r->im;
	const struct imp_syscall *sc;
	struct call c = { 0 };
	struct vmt_op op = { 0 };
	const char *p = text, *end;
	char path[VMT_STR_MAX], *cut;
	size_t nl = 0;
	int arch = imp_arch(im);
	int64_t nr = -1;

	while (isalnum((unsigned char)p[nl]) || p[nl] == '_')
		nl++;
	if (!nl || nl >= sizeof(c.name) || p[nl] != '(') {
		imp_malformed(im, r->line, "not a call: '%.60s'", text);
		return 0;
	}
	memcpy(c.name, p, nl);
	c.name[nl] = '\0';
	sc = imp_syscall_by_name(c.name);
	if (!sc && starts(c.name, "syscall_")) {
		/* a call strace has no name for: syscall_0x1ce or syscall_462 */
		char *e;

		nr = strtoll(c.name + 8, &e, 0);
		if (*e || nr < 0)
			nr = -1;
		sc = nr >= 0 ? imp_syscall_by_nr((enum imp_arch)arch, nr) : NULL;
	}
	/* a call not kept is counted by name: how strace decodes its arguments does not matter */
	if (!sc || sc->cls == IMP_SC_IGNORED || sc->cls == IMP_SC_CLOSE) {
		imp_ignored(im, c.name);
		return 0;
	}
	/* "<unfinished ...>)": the task died inside the call */
	cut = strstr(p, " <unfinished ...>)");
	if (cut) {
		char *copy = strdup(p);
		int ret;

		if (!copy)
			return imp_error(im, "out of memory");
		cut = copy + (cut - p);
		memmove(cut, cut + 17, strlen(cut + 17) + 1);
		ret = do_call(r, pid, t, t_line, seq, copy, resumed);
		free(copy);
		return ret;
	}
	c.nargs = split_args(p + nl + 1, c.args, MAX_ARGS, &end);
	if (c.nargs < 0) {
		imp_malformed(im, r->line, "unbalanced argument list: '%.60s'", text);
		return 0;
	}
	if (parse_result(end + 1, &c)) {
		imp_malformed(im, r->line, "cannot read the result of %s: '%.60s'", c.name,
			      end + 1);
		return 0;
	}
	op.t_enter = t;
	if (!c.has_ret) {
		op.flags = VMT_OPF_NO_EXIT;
		op.t_exit = t;
	} else {
		op.ret = c.ret;
		op.t_exit = c.has_dur ? t + c.dur : (resumed ? t_line : t);
	}

	switch (sc->cls) {
	case IMP_SC_OP: {
		const struct vmt_op_desc *d = &vmt_op_descs[sc->kind];
		const char *unk = NULL;
		size_t unk_len = 0;
		bool partial = false, have_path = false;
		int n = c.nargs;

		/* strace leaves mremap's new_addr out unless MREMAP_FIXED is set */
		if (sc->kind == VMT_OP_MREMAP && n == 4)
			n = 5;
		if (n != d->nargs || c.nargs > MAX_ARGS) {
			imp_malformed(im, r->line, "%s: expected %u arguments, found %d", c.name,
				      d->nargs, c.nargs);
			return 0;
		}
		op.kind = sc->kind;
		path[0] = '\0';
		for (int i = 0; i < c.nargs; i++) {
			/* mmap's fd, with -y, names the file */
			char *fdpath = sc->kind == VMT_OP_MMAP && i == 4 ? path : NULL;
			const char *u = NULL;
			size_t ul = 0;
			int rc = parse_value(&c.args[i], &op.args[i], fdpath, sizeof(path), &u, &ul);

			if (rc < 0 && sc->kind == VMT_OP_PROCESS_MADVISE && i == 1) {
				/* the iovec, printed decoded: its address is not in the log */
				op.args[i] = 0;
				continue;
			}
			if (rc < 0) {
				imp_malformed(im, r->line, "cannot read argument %d of %s: '%.*s'",
					      i + 1, c.name, (int)c.args[i].len, c.args[i].p);
				return 0;
			}
			if (rc > 0 && !partial) {
				partial = true;
				unk = u;
				unk_len = ul;
			}
		}
		have_path = path[0] != '\0';
		if (partial)
			imp_malformed(im, r->line, "unknown name '%.*s' in %s, taken as 0",
				      (int)unk_len, unk, c.name);
		return imp_op(im, seq, pid, &op, have_path ? path : NULL);
	}
	case IMP_SC_MEMORY:
		op.kind = VMT_OP_OTHER;
		op.nr = (uint32_t)(nr >= 0 ? nr : sc->nr[arch] >= 0 ? sc->nr[arch] : 0);
		strlcpy_(op.name, sc->name, sizeof(op.name));
		op.nargs = (uint8_t)(c.nargs < VMT_MAX_ARGS ? c.nargs : VMT_MAX_ARGS);
		/* arguments strace decodes (arrays, structures) have no number in the log: 0 */
		for (int i = 0; i < op.nargs; i++)
			if (parse_value(&c.args[i], &op.args[i], NULL, 0, NULL, NULL) < 0)
				op.args[i] = 0;
		return imp_op(im, seq, pid, &op, NULL);
	case IMP_SC_CLONE:
		imp_lifecycle(im, c.name);
		if (c.has_ret && c.ret > 0 && c.ret <= UINT32_MAX) {
			bool thread = false;

			for (int i = 0; i < c.nargs && i < MAX_ARGS; i++)
				thread |= has_token(c.args[i].p, c.args[i].len, "CLONE_THREAD");
			imp_clone(im, t, seq, pid, (uint32_t)c.ret, thread);
		}
		return 0;
	case IMP_SC_EXEC:
		imp_lifecycle(im, c.name);
		if (c.has_ret && c.ret == 0) {
			/* execve("/bin/true", ...), execveat(3</dir>, "true", ...) */
			const struct arg *a = &c.args[!strcmp(sc->name, "execveat") && c.nargs > 1];

			if (c.nargs && a->len >= 2 && a->p[0] == '"') {
				const char *q = a->p + a->len - 1;

				/* a long name is cut: "..." follows the closing quote */
				while (q > a->p && *q != '"')
					q--;
				unescape(a->p + 1, (size_t)(q - a->p - 1), path, sizeof(path));
			} else {
				path[0] = '\0';
			}
			imp_exec(im, op.t_exit, seq, pid, path);
		}
		return 0;
	case IMP_SC_EXIT:
		/* the exit itself is the "+++ exited with N +++" line */
		imp_lifecycle(im, c.name);
		return 0;
	default:
		imp_ignored(im, c.name);
		return 0;
	}
}

static int grow_pending(struct sreader *r)
{
	size_t ncap = r->cap_pend ? r->cap_pend * 2 : 16;
	struct pending *p;

	if (r->npend < r->cap_pend)
		return 0;
	p = realloc(r->pend, ncap * sizeof(*p));
	if (!p)
		return -1;
	r->pend = p;
	r->cap_pend = ncap;
	return 0;
}

static struct pending *find_pending(struct sreader *r, uint32_t pid)
{
	for (size_t i = 0; i < r->npend; i++)
		if (r->pend[i].pid == pid)
			return &r->pend[i];
	return NULL;
}

static void drop_pending(struct sreader *r, struct pending *p)
{
	free(p->text);
	*p = r->pend[--r->npend];
}

/* A call whose end never came: it entered, and that is all the log says. */
static int flush_pending(struct sreader *r, struct pending *p)
{
	char *text;
	size_t len = strlen(p->text);
	int ret;

	/* close the argument list so that the call parses; its result is unknown */
	text = malloc(len + 8);
	if (!text)
		return imp_error(r->im, "out of memory");
	memcpy(text, p->text, len);
	strcpy(text + len, ") = ?");
	ret = do_call(r, p->pid, p->t, p->t, p->seq, text, true);
	free(text);
	drop_pending(r, p);
	return ret;
}

static int do_exit_line(struct sreader *r, uint32_t pid, uint64_t t, const char *s)
{
	struct pending *p = find_pending(r, pid);
	int code;

	if (p && flush_pending(r, p))
		return -1;
	if (sscanf(s, "+++ exited with %d +++", &code) == 1) {
		imp_exit(r->im, t, r->line, pid, code);
	} else if (starts(s, "+++ killed by SIG")) {
		const char *n = s + 14, *e = n;

		while (isalnum((unsigned char)*e))
			e++;
		code = vmt_signal_value(n, (size_t)(e - n));
		if (code < 0) {
			imp_malformed(r->im, r->line, "unknown signal in '%.60s'", s);
			return 0;
		}
		/* killed: 128 + the signal, as a shell says it (and vmatrace record stores it) */
		imp_exit(r->im, t, r->line, pid, 128 + code);
	} else if (starts(s, "+++ superseded by execve")) {
		/* a thread that called execve takes the leader's pid; this tid ends here */
		imp_note(r->im, "superseded-by-execve lines");
	} else {
		imp_malformed(r->im, r->line, "unknown '+++' line: '%.60s'", s);
	}
	return 0;
}

static int do_line(struct sreader *r, char *line)
{
	struct imp *im = r->im;
	const char *s = line;
	uint32_t pid = 0;
	uint64_t t = 0;
	bool have_pid;
	int kind;

	s = parse_pid(s, &pid, &have_pid);
	if (!s) {
		imp_malformed(im, r->line, "bad pid prefix: '%.60s'", line);
		return 0;
	}
	s = parse_time(r, s, &t, &kind);
	if (!s) {
		imp_malformed(im, r->line, "bad timestamp: '%.60s'", line);
		return 0;
	}
	if (r->ts == TS_UNSET) {
		r->ts = kind;
		if (kind == TS_EPOCH) {
			imp_set_clock(im, VMT_CLOCK_REALTIME);
			imp_set_start_realtime(im, t);
		} else {
			imp_set_clock(im, VMT_CLOCK_UNKNOWN);
			if (kind == TS_NONE)
				imp_remark(im, "no timestamps: ops are timed by their line number "
					       "(capture with -ttt -T)");
			else
				imp_remark(im, "time-of-day timestamps: the trace's times count "
					       "from midnight (capture with -ttt)");
		}
	} else if ((int)r->ts != kind) {
		imp_malformed(im, r->line, "timestamp differs from the first line's: '%.60s'",
			      line);
		return 0;
	}
	if (kind == TS_NONE)
		t = r->line * 1000; /* order by line, 1 us apart */
	if (!have_pid && !r->no_pid_noted) {
		r->no_pid_noted = true;
		imp_remark(im, "lines without a pid are given pid 0 (capture with -f)");
	}
	/* -i prints the instruction pointer: "[00007f...] " */
	if (s[0] == '[' && isxdigit((unsigned char)s[1])) {
		const char *q = strchr(s, ']');

		if (q)
			s = skip_space(q + 1);
	}
	if (!*s) {
		imp_malformed(im, r->line, "nothing after the prefix");
		return 0;
	}
	if (starts(s, "+++ "))
		return do_exit_line(r, pid, t, s);
	if (starts(s, "--- ")) {
		imp_note(im, "signal lines");
		return 0;
	}
	if (starts(s, "strace: ") || starts(s, " > ")) {
		imp_note(im, "strace notes");
		return 0;
	}
	imp_task_seen(im, pid, t, r->line, NULL);

	if (starts(s, "<... ")) {
		/* "<... mmap resumed>) = 0x7f00 <0.000012>" */
		const char *n = s + 5, *e = strstr(n, " resumed>");
		struct pending *p = find_pending(r, pid);
		size_t nlen, tlen;
		char *text;
		int ret;

		if (!e) {
			imp_malformed(im, r->line, "bad resumed line: '%.60s'", s);
			return 0;
		}
		nlen = (size_t)(e - n);
		if (!p || strlen(p->name) != nlen || strncmp(p->name, n, nlen)) {
			imp_malformed(im, r->line,
				      "'%.*s' resumed, but no such call is unfinished in pid %" PRIu32,
				      (int)nlen, n, pid);
			return 0;
		}
		e += 9;
		if (starts(e, " <unfinished ...>"))
			e += 17;
		tlen = strlen(p->text);
		text = malloc(tlen + strlen(e) + 1);
		if (!text)
			return imp_error(im, "out of memory");
		memcpy(text, p->text, tlen);
		strcpy(text + tlen, e);
		ret = do_call(r, pid, p->t, t, p->seq, text, true);
		free(text);
		drop_pending(r, p);
		return ret;
	}
	if (isalpha((unsigned char)*s) || *s == '_') {
		const char *u = strstr(s, " <unfinished ...>");
		struct pending *p = find_pending(r, pid);
		size_t nl = 0;

		if (p && flush_pending(r, p))
			return -1;
		if (!u || u[17])
			return do_call(r, pid, t, t, r->line, s, false);
		/* the line was cut: keep it until its "<... resumed>" line */
		if (grow_pending(r))
			return imp_error(im, "out of memory");
		p = &r->pend[r->npend];
		while ((isalnum((unsigned char)s[nl]) || s[nl] == '_') && nl < sizeof(p->name) - 1)
			nl++;
		memcpy(p->name, s, nl);
		p->name[nl] = '\0';
		p->text = strndup(s, (size_t)(u - s));
		if (!p->text)
			return imp_error(im, "out of memory");
		p->pid = pid;
		p->t = t;
		p->seq = r->line;
		r->npend++;
		return 0;
	}
	imp_malformed(im, r->line, "cannot parse '%.60s'", line);
	return 0;
}

/* One line of any length from a plain or gzip-compressed file. */
static char *read_line(gzFile f, char **buf, size_t *cap)
{
	size_t len = 0;

	if (!*cap) {
		*cap = 4096;
		*buf = malloc(*cap);
		if (!*buf)
			return NULL;
	}
	for (;;) {
		if (!gzgets(f, *buf + len, (int)(*cap - len)))
			return len ? *buf : NULL;
		len += strlen(*buf + len);
		if (len && (*buf)[len - 1] == '\n')
			break;
		if (len + 1 < *cap)
			break; /* the last line, without a newline */
		if (*cap > (64u << 20))
			break; /* a 64 MiB line is damage: give it to the parser as it is */
		char *nb = realloc(*buf, *cap * 2);

		if (!nb)
			return NULL;
		*buf = nb;
		*cap *= 2;
	}
	while (len && ((*buf)[len - 1] == '\n' || (*buf)[len - 1] == '\r'))
		(*buf)[--len] = '\0';
	return *buf;
}

int imp_read_strace(struct imp *im, const char *path)
{
	struct sreader r = { .im = im };
	gzFile f = !strcmp(path, "-") ? gzdopen(0, "rb") : gzopen(path, "rb");
	char *buf = NULL, *line;
	size_t cap = 0;
	int ret = 0, errnum;

	if (!f)
		return imp_error(im, "cannot open '%s': %s", path,
				 strerror(errno ? errno : ENOMEM));
	imp_set_default_pids(im, IMP_PIDS_THREADS);
	while ((line = read_line(f, &buf, &cap))) {
		r.line++;
		if (!line[0])
			continue;
		if (do_line(&r, line)) {
			ret = -1;
			break;
		}
	}
	if (!ret && (gzerror(f, &errnum), errnum != Z_OK && errnum != Z_STREAM_END))
		ret = imp_error(im, "cannot read '%s': %s", path, gzerror(f, &errnum));
	/* calls still unfinished at the end of the log: entered, never seen to return */
	while (!ret && r.npend)
		ret = flush_pending(&r, &r.pend[0]);
	while (r.npend)
		drop_pending(&r, &r.pend[0]);
	free(r.pend);
	free(buf);
	gzclose(f);
	imp_set_read(im, r.line, "lines");
	return ret;
}
