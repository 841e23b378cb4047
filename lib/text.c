// SPDX-License-Identifier: GPL-2.0-only
/*
 * text.c - the text form of a trace: what `vmatrace dump` prints and
 * `vmatrace convert` reads back into the identical binary
 *
 * One record a line (docs/trace-format.md, "Text form"):
 *
 *   vmatrace-trace 1 source="workload:mapper" kernel="6.18.0" ... cmdline="..."
 *   process P0 t=0 pid=100 ppid=1 parent=- name="mapper"
 *   thread T0 t=0 process=P0 tid=100 name="mapper"
 *   file F0 dev=0x803 ino=1234 size=8192 flags=0 path="/usr/lib/libc.so.6"
 *   map P0 0x7f0000000000-0x7f0000002000 r-xp 0x0 F0 "/usr/lib/libc.so.6"
 *   1000 1500 T0 mmap(0x0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000
 *   2000 - T0 munmap(0x7f0000000000, 4096) = ?
 *   3000 800 T0 membarrier#324(0x0, 0x0, 0x0) = 0
 *   3500 900 T0 mmap(0x7f0000000000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000 [setup]
 *   exec T0 t=4000 "/usr/bin/true"
 *   comm T0 t=4000 "true"
 *   exit T0 t=5000 code=0
 *   lost t=6000 cpu=1 count=12
 *
 * An op line starts with its enter time (ns) and duration (ns, "-" when the
 * exit was not seen); flags are printed symbolically with any unknown bits
 * in hex, so every value survives the round trip.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vmt.h"
#include "util.h"

struct flag_name {
	uint64_t value;
	const char *name;
};

static const struct flag_name prot_flags[] = {
	{ 0x1, "PROT_READ" },	  { 0x2, "PROT_WRITE" },	  { 0x4, "PROT_EXEC" },
	{ 0x8, "PROT_SEM" },	  { 0x01000000, "PROT_GROWSDOWN" }, { 0x02000000, "PROT_GROWSUP" },
	{ 0, NULL },
};

/* The generic Linux values (x86_64 and arm64 agree on all of these). */
static const struct flag_name mmap_flags[] = {
	{ 0x10, "MAP_FIXED" },	      { 0x20, "MAP_ANONYMOUS" },     { 0x40, "MAP_32BIT" },
	{ 0x100, "MAP_GROWSDOWN" },   { 0x800, "MAP_DENYWRITE" },    { 0x1000, "MAP_EXECUTABLE" },
	{ 0x2000, "MAP_LOCKED" },     { 0x4000, "MAP_NORESERVE" },   { 0x8000, "MAP_POPULATE" },
	{ 0x10000, "MAP_NONBLOCK" },  { 0x20000, "MAP_STACK" },	     { 0x40000, "MAP_HUGETLB" },
	{ 0x80000, "MAP_SYNC" },      { 0x100000, "MAP_FIXED_NOREPLACE" },
	/* bits 26-31 are MAP_HUGE_* page sizes (or MAP_UNINITIALIZED on no-MMU): printed in hex */
	{ 0, NULL },
};

static const struct flag_name map_types[] = {
	{ 0x1, "MAP_SHARED" }, { 0x2, "MAP_PRIVATE" }, { 0x3, "MAP_SHARED_VALIDATE" }, { 0, NULL },
};

static const struct flag_name mremap_flags[] = {
	{ 0x1, "MREMAP_MAYMOVE" }, { 0x2, "MREMAP_FIXED" }, { 0x4, "MREMAP_DONTUNMAP" }, { 0, NULL },
};

static const struct flag_name advices[] = {
	{ 0, "MADV_NORMAL" },	     { 1, "MADV_RANDOM" },	     { 2, "MADV_SEQUENTIAL" },
	{ 3, "MADV_WILLNEED" },	     { 4, "MADV_DONTNEED" },	     { 8, "MADV_FREE" },
	{ 9, "MADV_REMOVE" },	     { 10, "MADV_DONTFORK" },	     { 11, "MADV_DOFORK" },
	{ 12, "MADV_MERGEABLE" },    { 13, "MADV_UNMERGEABLE" },     { 14, "MADV_HUGEPAGE" },
	{ 15, "MADV_NOHUGEPAGE" },   { 16, "MADV_DONTDUMP" },	     { 17, "MADV_DODUMP" },
	{ 18, "MADV_WIPEONFORK" },   { 19, "MADV_KEEPONFORK" },	     { 20, "MADV_COLD" },
	{ 21, "MADV_PAGEOUT" },	     { 22, "MADV_POPULATE_READ" },   { 23, "MADV_POPULATE_WRITE" },
	{ 24, "MADV_DONTNEED_LOCKED" }, { 25, "MADV_COLLAPSE" },     { 100, "MADV_HWPOISON" },
	{ 101, "MADV_SOFT_OFFLINE" }, { 102, "MADV_GUARD_INSTALL" }, { 103, "MADV_GUARD_REMOVE" },
	{ 0, NULL },
};

static const struct flag_name errnos[] = {
	{ EPERM, "EPERM" },   { ENOENT, "ENOENT" },   { ESRCH, "ESRCH" },   { EINTR, "EINTR" },
	{ EIO, "EIO" },	      { ENXIO, "ENXIO" },     { E2BIG, "E2BIG" },   { EBADF, "EBADF" },
	{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },   { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" },   { EEXIST, "EEXIST" },   { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
	{ ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },   { ETXTBSY, "ETXTBSY" }, { EFBIG, "EFBIG" },
	{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },   { ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { EDEADLK, "EDEADLK" }, { ENOTTY, "ENOTTY" },
	{ 0, NULL },
};

/* ---- printing ---- */

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* NAME|NAME|0xREST; @zero names the value 0 (NULL: print "0"). */
static void put_flags(FILE *out, uint64_t v, const struct flag_name *tab, const char *zero)
{
	bool first = true;

	if (!v) {
		fputs(zero ? zero : "0", out);
		return;
	}
	for (const struct flag_name *f = tab; f->name; f++) {
		if ((v & f->value) == f->value) {
			fprintf(out, "%s%s", first ? "" : "|", f->name);
			v &= ~f->value;
			first = false;
		}
	}
	if (v)
		fprintf(out, "%s0x%" PRIx64, first ? "" : "|", v);
}

static const char *lookup_value(const struct flag_name *tab, uint64_t v)
{
	for (const struct flag_name *f = tab; f->name; f++)
		if (f->value == v)
			return f->name;
	return NULL;
}

static void put_mmap_flags(FILE *out, uint64_t v)
{
	const char *type = lookup_value(map_types, v & 3);

	if (type) {
		fputs(type, out);
		v &= ~(uint64_t)3;
		if (v) {
			fputc('|', out);
			put_flags(out, v, mmap_flags, NULL);
		}
	} else {
		put_flags(out, v, mmap_flags, NULL);
	}
}

static void put_arg(FILE *out, enum vmt_arg_type type, uint64_t v)
{
	const char *name;

	switch (type) {
	case VMT_ARG_ADDR:
	case VMT_ARG_HEX:
		fprintf(out, "0x%" PRIx64, v);
		break;
	case VMT_ARG_LEN:
		fprintf(out, "%" PRIu64, v);
		break;
	case VMT_ARG_PROT:
		put_flags(out, v, prot_flags, "PROT_NONE");
		break;
	case VMT_ARG_MMAP_FLAGS:
		put_mmap_flags(out, v);
		break;
	case VMT_ARG_MREMAP_FLAGS:
		put_flags(out, v, mremap_flags, NULL);
		break;
	case VMT_ARG_ADVICE:
		name = lookup_value(advices, v);
		if (name)
			fputs(name, out);
		else
			fprintf(out, "%" PRIu64, v);
		break;
	case VMT_ARG_FD:
	case VMT_ARG_INT:
		fprintf(out, "%" PRId64, (int64_t)v);
		break;
	}
}

static void put_ret(FILE *out, const struct vmt_op *op)
{
	const char *name;

	if (op->flags & VMT_OPF_NO_EXIT) {
		fputc('?', out);
		return;
	}
	if (vmt_op_failed(op)) {
		name = lookup_value(errnos, (uint64_t)-op->ret);
		if (name) {
			fprintf(out, "-%s", name);
			return;
		}
	} else if (op->kind < VMT_OP_OTHER && vmt_op_descs[op->kind].ret_is_addr) {
		fprintf(out, "0x%" PRIx64, (uint64_t)op->ret);
		return;
	}
	fprintf(out, "%" PRId64, op->ret);
}

static void put_prot_letters(FILE *out, uint32_t prot)
{
	fprintf(out, "%c%c%c%c", prot & VMT_MAP_READ ? 'r' : '-', prot & VMT_MAP_WRITE ? 'w' : '-',
		prot & VMT_MAP_EXEC ? 'x' : '-', prot & VMT_MAP_SHARED ? 's' : 'p');
}

static void put_ref(FILE *out, char prefix, uint32_t idx)
{
	if (idx == VMT_NONE)
		fputc('-', out);
	else
		fprintf(out, "%c%" PRIu32, prefix, idx);
}

void vmt_text_header(FILE *out, const struct vmt_header *hdr)
{
	fprintf(out, "vmatrace-trace %u source=", VMT_VERSION);
	put_string(out, hdr->source);
	fputs(" kernel=", out);
	put_string(out, hdr->kernel);
	fputs(" arch=", out);
	put_string(out, hdr->arch);
	fputs(" hostname=", out);
	put_string(out, hdr->hostname);
	fprintf(out, " page_size=%" PRIu32 " clock=%s lost_events=%" PRIu64 " start_realtime_ns=%" PRIu64 " cmdline=",
		hdr->page_size, vmt_clock_name(hdr->clock), hdr->lost_events, hdr->start_realtime_ns);
	put_string(out, hdr->cmdline);
	fputc('\n', out);
}

static void put_op(FILE *out, const struct vmt_op *op)
{
	const struct vmt_op_desc *d = &vmt_op_descs[op->kind];
	unsigned int n = vmt_op_nargs(op);

	if (op->flags & VMT_OPF_NO_EXIT)
		fprintf(out, "%" PRIu64 " - T%" PRIu32 " ", op->t_enter, op->thread);
	else
		fprintf(out, "%" PRIu64 " %" PRIu64 " T%" PRIu32 " ", op->t_enter,
			op->t_exit - op->t_enter, op->thread);
	if (op->kind == VMT_OP_OTHER)
		fprintf(out, "%s#%" PRIu32 "(", op->name, op->nr);
	else
		fprintf(out, "%s(", d->name);
	for (unsigned int i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		if (op->kind == VMT_OP_OTHER)
			fprintf(out, "0x%" PRIx64, op->args[i]);
		else
			put_arg(out, d->arg_types[i], op->args[i]);
		if (op->kind == VMT_OP_MMAP && i == 4 && op->file != VMT_NONE)
			fprintf(out, "<F%" PRIu32 ">", op->file);
	}
	fputs(") = ", out);
	put_ret(out, op);
	if (op->flags & VMT_OPF_SETUP)
		fputs(" [setup]", out);
	fputc('\n', out);
}

void vmt_text_record(FILE *out, const struct vmt_reader *r, const struct vmt_record *rec)
{
	switch (rec->type) {
	case VMT_REC_OP:
		put_op(out, &rec->op);
		break;
	case VMT_REC_PROCESS:
		fprintf(out, "process P%" PRIu32 " t=%" PRIu64 " pid=%" PRIu32 " ppid=%" PRIu32 " parent=",
			vmt_reader_nprocesses(r) - 1, rec->process.t, rec->process.pid,
			rec->process.ppid);
		put_ref(out, 'P', rec->process.parent);
		fputs(" name=", out);
		put_string(out, rec->process.name);
		fputc('\n', out);
		break;
	case VMT_REC_THREAD:
		fprintf(out, "thread T%" PRIu32 " t=%" PRIu64 " process=P%" PRIu32 " tid=%" PRIu32 " name=",
			vmt_reader_nthreads(r) - 1, rec->thread.t, rec->thread.process, rec->thread.tid);
		put_string(out, rec->thread.name);
		fputc('\n', out);
		break;
	case VMT_REC_FILE:
		fprintf(out, "file F%" PRIu32 " dev=0x%" PRIx64 " ino=%" PRIu64 " size=%" PRIu64 " flags=%s path=",
			vmt_reader_nfiles(r) - 1, rec->file.dev, rec->file.ino, rec->file.size,
			rec->file.flags & VMT_FILEF_UNRESOLVED ? "unresolved" : "0");
		put_string(out, rec->file.path);
		fputc('\n', out);
		break;
	case VMT_REC_MAP:
		fprintf(out, "map P%" PRIu32 " 0x%" PRIx64 "-0x%" PRIx64 " ", rec->map.process,
			rec->map.start, rec->map.end);
		put_prot_letters(out, rec->map.prot);
		fprintf(out, " 0x%" PRIx64 " ", rec->map.pgoff);
		put_ref(out, 'F', rec->map.file);
		fputc(' ', out);
		put_string(out, rec->map.name);
		fputc('\n', out);
		break;
	case VMT_REC_EXEC:
	case VMT_REC_COMM:
		fprintf(out, "%s T%" PRIu32 " t=%" PRIu64 " ", rec->type == VMT_REC_EXEC ? "exec" : "comm",
			rec->event.thread, rec->event.t);
		put_string(out, rec->event.text);
		fputc('\n', out);
		break;
	case VMT_REC_EXIT:
		fprintf(out, "exit T%" PRIu32 " t=%" PRIu64 " code=%" PRId64 "\n", rec->event.thread,
			rec->event.t, rec->event.code);
		break;
	case VMT_REC_LOST:
		fprintf(out, "lost t=%" PRIu64 " cpu=%" PRIu32 " count=%" PRIu64 "\n", rec->lost.t,
			rec->lost.cpu, rec->lost.count);
		break;
	case VMT_REC_END:
		fprintf(out, "# end: %" PRIu64 " records, %" PRIu64 " ops, %" PRIu64 " lost events\n",
			rec->end.records, rec->end.ops, rec->end.lost_events);
		break;
	default:
		break;
	}
}

/* ---- parsing ---- */

struct vmt_text_parser {
	char *name;
	uint64_t line;
	bool seen_header;
	uint32_t nprocs, nthreads, nfiles;
	char err[512];
};

struct vmt_text_parser *vmt_text_parser_new(const char *name)
{
	struct vmt_text_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = strdup(name);
	if (!p->name) {
		free(p);
		return NULL;
	}
	return p;
}

void vmt_text_parser_free(struct vmt_text_parser *p)
{
	if (p) {
		free(p->name);
		free(p);
	}
}

const char *vmt_text_error(const struct vmt_text_parser *p)
{
	return p->err;
}

uint64_t vmt_text_line(const struct vmt_text_parser *p)
{
	return p->line;
}

static int perr(struct vmt_text_parser *p, const char *fmt, ...) VMT_PRINTF(2, 3);

static int perr(struct vmt_text_parser *p, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->err, sizeof(p->err), "%s: line %" PRIu64 ": %s", p->name, p->line, what);
	return -1;
}

static void skip_space(char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
}

/* A bare word: up to space, '=', '(', ')', ',', '<' or end. */
static char *word(char **s)
{
	char *start;

	skip_space(s);
	start = *s;
	while (**s && !strchr(" \t=(),<", **s))
		(*s)++;
	return start;
}

/* Parse a quoted string at *s into dst; returns 0 or -1 (message in p). */
static int parse_string(struct vmt_text_parser *p, char **s, char *dst, size_t size,
			const char *what)
{
	char *q = *s;
	size_t n = 0;

	skip_space(&q);
	if (*q != '"')
		return perr(p, "%s: expected a quoted string", what);
	q++;
	while (*q != '"') {
		int c = (unsigned char)*q;

		if (!c)
			return perr(p, "%s: unterminated string", what);
		if (c == '\\') {
			q++;
			switch (*q) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case 'x':
				if (!isxdigit((unsigned char)q[1]) || !isxdigit((unsigned char)q[2]))
					return perr(p, "%s: bad \\x escape", what);
				c = (int)strtol((char[]){ q[1], q[2], 0 }, NULL, 16);
				q += 2;
				break;
			default:
				return perr(p, "%s: unknown escape '\\%c'", what, *q ? *q : ' ');
			}
			if (!c)
				return perr(p, "%s: NUL byte in string", what);
		}
		if (n + 1 >= size)
			return perr(p, "%s: string longer than %zu bytes", what, size - 1);
		dst[n++] = (char)c;
		q++;
	}
	dst[n] = '\0';
	*s = q + 1;
	return 0;
}

/* Expect "key=" at *s. */
static int expect_key(struct vmt_text_parser *p, char **s, const char *key)
{
	size_t n = strlen(key);

	skip_space(s);
	if (strncmp(*s, key, n) || (*s)[n] != '=')
		return perr(p, "expected '%s='", key);
	*s += n + 1;
	return 0;
}

static int parse_num(struct vmt_text_parser *p, char **s, uint64_t *v, const char *what)
{
	char *w = word(s), save = **s;
	int ret;

	**s = '\0';
	ret = parse_u64(w, v, false);
	**s = save;
	if (ret)
		return perr(p, "%s: bad number '%.*s'", what, (int)(*s - w), w);
	return 0;
}

static int parse_snum(struct vmt_text_parser *p, char **s, int64_t *v, const char *what)
{
	char *w = word(s), save = **s;
	int ret;

	**s = '\0';
	ret = parse_i64(w, v);
	if (ret && *w != '-') {
		uint64_t u;

		ret = parse_u64(w, &u, false);
		*v = (int64_t)u;
	}
	**s = save;
	if (ret)
		return perr(p, "%s: bad number '%.*s'", what, (int)(*s - w), w);
	return 0;
}

static int key_num(struct vmt_text_parser *p, char **s, const char *key, uint64_t *v)
{
	return expect_key(p, s, key) || parse_num(p, s, v, key) ? -1 : 0;
}

static int key_u32(struct vmt_text_parser *p, char **s, const char *key, uint32_t *v)
{
	uint64_t x;

	if (key_num(p, s, key, &x))
		return -1;
	if (x > UINT32_MAX)
		return perr(p, "%s: %" PRIu64 " is too large", key, x);
	*v = (uint32_t)x;
	return 0;
}

/* A reference such as P3, T0, F12, or "-" for none when @allow_none. */
static int parse_ref(struct vmt_text_parser *p, char **s, char prefix, uint32_t limit,
		     bool allow_none, uint32_t *idx, const char *what)
{
	uint64_t v;

	skip_space(s);
	if (allow_none && **s == '-' && (!(*s)[1] || strchr(" \t", (*s)[1]))) {
		(*s)++;
		*idx = VMT_NONE;
		return 0;
	}
	if (**s != prefix)
		return perr(p, "%s: expected %c<number>", what, prefix);
	(*s)++;
	if (parse_num(p, s, &v, what))
		return -1;
	if (v >= limit)
		return perr(p, "%s: %c%" PRIu64 " is not defined on an earlier line", what, prefix, v);
	*idx = (uint32_t)v;
	return 0;
}

static int expect_end(struct vmt_text_parser *p, char *s)
{
	skip_space(&s);
	if (*s)
		return perr(p, "unexpected text '%.40s'", s);
	return 0;
}

/* Symbolic flags: NAME|NAME|0x10, or a plain number. */
static int parse_flags(struct vmt_text_parser *p, char *tok, const struct flag_name *tab,
		       const struct flag_name *tab2, const char *zero, uint64_t *out,
		       const char *what)
{
	uint64_t v = 0;
	char *save, *part;

	if (zero && !strcmp(tok, zero)) {
		*out = 0;
		return 0;
	}
	for (part = strtok_r(tok, "|", &save); part; part = strtok_r(NULL, "|", &save)) {
		uint64_t x;
		bool found = false;

		for (const struct flag_name *f = tab; f && f->name && !found; f++)
			if (!strcmp(f->name, part)) {
				x = f->value;
				found = true;
			}
		for (const struct flag_name *f = tab2; f && f->name && !found; f++)
			if (!strcmp(f->name, part)) {
				x = f->value;
				found = true;
			}
		if (!found && parse_u64(part, &x, false))
			return perr(p, "%s: unknown flag '%s'", what, part);
		v |= x;
	}
	*out = v;
	return 0;
}

static int parse_arg(struct vmt_text_parser *p, enum vmt_arg_type type, char *tok, uint64_t *v,
		     const char *what)
{
	int64_t sv;

	switch (type) {
	case VMT_ARG_PROT:
		return parse_flags(p, tok, prot_flags, NULL, "PROT_NONE", v, what);
	case VMT_ARG_MMAP_FLAGS:
		return parse_flags(p, tok, map_types, mmap_flags, NULL, v, what);
	case VMT_ARG_MREMAP_FLAGS:
		return parse_flags(p, tok, mremap_flags, NULL, NULL, v, what);
	case VMT_ARG_ADVICE:
		for (const struct flag_name *f = advices; f->name; f++)
			if (!strcmp(f->name, tok)) {
				*v = f->value;
				return 0;
			}
		break;
	case VMT_ARG_FD:
	case VMT_ARG_INT:
		if (!parse_i64(tok, &sv)) {
			*v = (uint64_t)sv;
			return 0;
		}
		break;
	default:
		if (!strcmp(tok, "NULL")) {
			*v = 0;
			return 0;
		}
		break;
	}
	if (parse_u64(tok, v, false))
		return perr(p, "%s: bad value '%s'", what, tok);
	return 0;
}

static int parse_ret(struct vmt_text_parser *p, char *tok, struct vmt_op *op)
{
	if (!strcmp(tok, "?")) {
		if (!(op->flags & VMT_OPF_NO_EXIT))
			return perr(p, "return value '?' needs the duration '-'");
		op->ret = 0;
		return 0;
	}
	if (op->flags & VMT_OPF_NO_EXIT)
		return perr(p, "an op without an exit (duration '-') returns '?'");
	if (tok[0] == '-' && isalpha((unsigned char)tok[1])) {
		for (const struct flag_name *f = errnos; f->name; f++)
			if (!strcmp(f->name, tok + 1)) {
				op->ret = -(int64_t)f->value;
				return 0;
			}
		return perr(p, "unknown errno name '%s'", tok + 1);
	}
	if (parse_i64(tok, &op->ret)) {
		uint64_t u;

		if (parse_u64(tok, &u, false))
			return perr(p, "bad return value '%s'", tok);
		op->ret = (int64_t)u;
	}
	return 0;
}

static int parse_op(struct vmt_text_parser *p, char *s, struct vmt_op *op)
{
	char *name, *args, *close, *hash, *tok, *next;
	uint64_t dur = 0;
	unsigned int n = 0, want;
	int kind;

	memset(op, 0, sizeof(*op));
	op->file = VMT_NONE;
	if (parse_num(p, &s, &op->t_enter, "time"))
		return -1;
	skip_space(&s);
	if (*s == '-' && (s[1] == ' ' || s[1] == '\t')) {
		op->flags |= VMT_OPF_NO_EXIT;
		s++;
	} else if (parse_num(p, &s, &dur, "duration")) {
		return -1;
	}
	if (op->t_enter + dur < op->t_enter)
		return perr(p, "duration overflows the time");
	op->t_exit = op->t_enter + dur;
	if (parse_ref(p, &s, 'T', p->nthreads, false, &op->thread, "thread"))
		return -1;
	skip_space(&s);
	name = s;
	args = strchr(s, '(');
	if (!args)
		return perr(p, "expected '(' after the operation name");
	*args++ = '\0';
	close = strrchr(args, ')');
	if (!close)
		return perr(p, "expected ')' after the arguments");
	*close = '\0';
	hash = strchr(name, '#');
	if (hash) {
		uint64_t nr;

		*hash = '\0';
		if (parse_u64(hash + 1, &nr, false) || nr > UINT32_MAX)
			return perr(p, "bad syscall number '%s'", hash + 1);
		if (strlen(name) >= sizeof(op->name))
			return perr(p, "syscall name too long");
		strcpy(op->name, name);
		op->nr = (uint32_t)nr;
		op->kind = VMT_OP_OTHER;
		want = VMT_MAX_ARGS;
	} else {
		kind = vmt_op_kind_from_name(name);
		if (kind < 0)
			return perr(p, "unknown operation '%s' (other syscalls are written name#nr)",
				    name);
		op->kind = (uint8_t)kind;
		want = vmt_op_descs[kind].nargs;
	}
	skip_space(&args);
	for (tok = *args ? args : NULL; tok; tok = next) {
		char *end, *fref;

		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*tok)
			return perr(p, "empty argument %u", n + 1);
		if (n >= want)
			return perr(p, "%s takes %u arguments", hash ? "a syscall" : name, want);
		fref = op->kind == VMT_OP_MMAP && n == 4 ? strchr(tok, '<') : NULL;
		if (fref) {
			char *fe = strchr(fref, '>');
			uint64_t f;

			if (!fe || fe[1] || fref[1] != 'F')
				return perr(p, "bad file reference in the fd argument (want fd<F0>)");
			*fe = '\0';
			if (parse_u64(fref + 2, &f, false))
				return perr(p, "bad file reference in the fd argument (want fd<F0>)");
			if (f >= p->nfiles)
				return perr(p, "file F%" PRIu64 " is not defined on an earlier line", f);
			op->file = (uint32_t)f;
			*fref = '\0';
		}
		if (op->kind == VMT_OP_OTHER) {
			if (parse_arg(p, VMT_ARG_INT, tok, &op->args[n], "argument"))
				return -1;
		} else if (parse_arg(p, vmt_op_descs[op->kind].arg_types[n], tok, &op->args[n],
				     vmt_op_descs[op->kind].arg_names[n])) {
			return -1;
		}
		n++;
	}
	if (op->kind == VMT_OP_OTHER)
		op->nargs = (uint8_t)n;
	else if (n != want)
		return perr(p, "%s takes %u arguments, got %u", name, want, n);
	s = close + 1;
	skip_space(&s);
	if (*s != '=')
		return perr(p, "expected '= <return value>' after the call");
	s++;
	tok = word(&s);
	if (*s == '(' || *s == ')' || *s == ',' || *s == '<' || *s == '=')
		return perr(p, "bad return value");
	{
		char save_c = *s;

		*s = '\0';
		if (parse_ret(p, tok, op))
			return -1;
		*s = save_c;
	}
	skip_space(&s);
	if (!strncmp(s, "[setup]", 7)) {
		op->flags |= VMT_OPF_SETUP;
		s += 7;
	}
	return expect_end(p, s);
}

static int parse_header(struct vmt_text_parser *p, char *s, struct vmt_header *hdr)
{
	uint64_t version, v;
	char clock[32];
	char *w;

	memset(hdr, 0, sizeof(*hdr));
	if (parse_num(p, &s, &version, "version"))
		return -1;
	if (version != VMT_VERSION)
		return perr(p, "text form version %" PRIu64 " is not %d", version, VMT_VERSION);
	hdr->version = VMT_VERSION;
	if (expect_key(p, &s, "source") ||
	    parse_string(p, &s, hdr->source, sizeof(hdr->source), "source") ||
	    expect_key(p, &s, "kernel") ||
	    parse_string(p, &s, hdr->kernel, sizeof(hdr->kernel), "kernel") ||
	    expect_key(p, &s, "arch") || parse_string(p, &s, hdr->arch, sizeof(hdr->arch), "arch") ||
	    expect_key(p, &s, "hostname") ||
	    parse_string(p, &s, hdr->hostname, sizeof(hdr->hostname), "hostname") ||
	    key_num(p, &s, "page_size", &v))
		return -1;
	if (v < 512 || v > UINT32_MAX || (v & (v - 1)))
		return perr(p, "bad page size %" PRIu64, v);
	hdr->page_size = (uint32_t)v;
	if (expect_key(p, &s, "clock"))
		return -1;
	w = word(&s);
	snprintf(clock, sizeof(clock), "%.*s", (int)(s - w), w);
	if (vmt_clock_from_name(clock) < 0)
		return perr(p, "unknown clock '%s'", clock);
	hdr->clock = (uint32_t)vmt_clock_from_name(clock);
	if (key_num(p, &s, "lost_events", &hdr->lost_events) ||
	    key_num(p, &s, "start_realtime_ns", &hdr->start_realtime_ns) ||
	    expect_key(p, &s, "cmdline") ||
	    parse_string(p, &s, hdr->cmdline, sizeof(hdr->cmdline), "cmdline"))
		return -1;
	return expect_end(p, s);
}

static int parse_prot_letters(struct vmt_text_parser *p, char **s, uint32_t *prot)
{
	char *w = word(s);

	if (*s - w != 4 || !strchr("r-", w[0]) || !strchr("w-", w[1]) || !strchr("x-", w[2]) ||
	    !strchr("sp", w[3]))
		return perr(p, "bad protection '%.*s' (want e.g. rw-p)", (int)(*s - w), w);
	*prot = (w[0] == 'r' ? VMT_MAP_READ : 0) | (w[1] == 'w' ? VMT_MAP_WRITE : 0) |
		(w[2] == 'x' ? VMT_MAP_EXEC : 0) | (w[3] == 's' ? VMT_MAP_SHARED : 0);
	return 0;
}

/* "P3" at the start of a definition line must be the next index. */
static int expect_index(struct vmt_text_parser *p, char **s, char prefix, uint32_t next)
{
	uint32_t idx;

	if (parse_ref(p, s, prefix, UINT32_MAX, false, &idx, "index"))
		return -1;
	if (idx != next)
		return perr(p, "%c%" PRIu32 " defined out of order (next is %c%" PRIu32 ")", prefix,
			    idx, prefix, next);
	return 0;
}

int vmt_text_parse_line(struct vmt_text_parser *p, char *line, struct vmt_header *hdr,
			struct vmt_record *rec)
{
	char *s = line, *kw;
	size_t len = strlen(line);

	p->line++;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	skip_space(&s);
	if (!*s || *s == '#')
		return 0;
	if (!p->seen_header) {
		if (strncmp(s, "vmatrace-trace", 14) || (s[14] != ' ' && s[14] != '\t'))
			return perr(p, "expected the 'vmatrace-trace 1 ...' header line first");
		p->seen_header = true;
		return parse_header(p, s + 14, hdr) ? -1 : 2;
	}
	memset(rec, 0, offsetof(struct vmt_record, op));
	if (isdigit((unsigned char)*s)) {
		rec->type = VMT_REC_OP;
		return parse_op(p, s, &rec->op) ? -1 : 1;
	}
	kw = word(&s);
	if (*s)
		*s++ = '\0';
	if (!strcmp(kw, "process")) {
		struct vmt_process *pr = &rec->process;

		rec->type = VMT_REC_PROCESS;
		if (expect_index(p, &s, 'P', p->nprocs) || key_num(p, &s, "t", &pr->t) ||
		    key_u32(p, &s, "pid", &pr->pid) || key_u32(p, &s, "ppid", &pr->ppid) ||
		    expect_key(p, &s, "parent") ||
		    parse_ref(p, &s, 'P', p->nprocs, true, &pr->parent, "parent") ||
		    expect_key(p, &s, "name") ||
		    parse_string(p, &s, pr->name, sizeof(pr->name), "name") || expect_end(p, s))
			return -1;
		p->nprocs++;
	} else if (!strcmp(kw, "thread")) {
		struct vmt_thread *t = &rec->thread;

		rec->type = VMT_REC_THREAD;
		if (expect_index(p, &s, 'T', p->nthreads) || key_num(p, &s, "t", &t->t) ||
		    expect_key(p, &s, "process") ||
		    parse_ref(p, &s, 'P', p->nprocs, false, &t->process, "process") ||
		    key_u32(p, &s, "tid", &t->tid) || expect_key(p, &s, "name") ||
		    parse_string(p, &s, t->name, sizeof(t->name), "name") || expect_end(p, s))
			return -1;
		p->nthreads++;
	} else if (!strcmp(kw, "file")) {
		struct vmt_file *f = &rec->file;
		char *w;

		rec->type = VMT_REC_FILE;
		if (expect_index(p, &s, 'F', p->nfiles) || key_num(p, &s, "dev", &f->dev) ||
		    key_num(p, &s, "ino", &f->ino) || key_num(p, &s, "size", &f->size) ||
		    expect_key(p, &s, "flags"))
			return -1;
		w = word(&s);
		if (s - w == 10 && !strncmp(w, "unresolved", 10))
			f->flags = VMT_FILEF_UNRESOLVED;
		else if (s - w == 1 && *w == '0')
			f->flags = 0;
		else
			return perr(p, "flags: want 0 or unresolved");
		if (expect_key(p, &s, "path") ||
		    parse_string(p, &s, f->path, sizeof(f->path), "path") || expect_end(p, s))
			return -1;
		p->nfiles++;
	} else if (!strcmp(kw, "map")) {
		struct vmt_map *m = &rec->map;
		char *dash;

		rec->type = VMT_REC_MAP;
		if (parse_ref(p, &s, 'P', p->nprocs, false, &m->process, "process"))
			return -1;
		skip_space(&s);
		dash = strchr(s, '-');
		if (!dash)
			return perr(p, "expected START-END");
		*dash = '\0';
		if (parse_num(p, &s, &m->start, "start"))
			return -1;
		s = dash + 1;
		if (parse_num(p, &s, &m->end, "end") || parse_prot_letters(p, &s, &m->prot) ||
		    parse_num(p, &s, &m->pgoff, "offset") ||
		    parse_ref(p, &s, 'F', p->nfiles, true, &m->file, "file") ||
		    parse_string(p, &s, m->name, sizeof(m->name), "name") || expect_end(p, s))
			return -1;
		if (m->end <= m->start)
			return perr(p, "empty or inverted range");
	} else if (!strcmp(kw, "exec") || !strcmp(kw, "comm") || !strcmp(kw, "exit")) {
		struct vmt_event *ev = &rec->event;

		ev->code = 0;
		ev->text[0] = '\0';
		rec->type = kw[1] == 'x' ? (kw[2] == 'e' ? VMT_REC_EXEC : VMT_REC_EXIT) : VMT_REC_COMM;
		if (parse_ref(p, &s, 'T', p->nthreads, false, &ev->thread, "thread") ||
		    key_num(p, &s, "t", &ev->t))
			return -1;
		if (rec->type == VMT_REC_EXIT) {
			if (expect_key(p, &s, "code") || parse_snum(p, &s, &ev->code, "code"))
				return -1;
		} else if (parse_string(p, &s, ev->text,
					rec->type == VMT_REC_COMM ? 64 : sizeof(ev->text), kw)) {
			return -1;
		}
		if (expect_end(p, s))
			return -1;
	} else if (!strcmp(kw, "lost")) {
		rec->type = VMT_REC_LOST;
		if (key_num(p, &s, "t", &rec->lost.t) || key_u32(p, &s, "cpu", &rec->lost.cpu) ||
		    key_num(p, &s, "count", &rec->lost.count) || expect_end(p, s))
			return -1;
	} else if (!strcmp(kw, "vmatrace-trace")) {
		return perr(p, "a second header line");
	} else {
		return perr(p, "unknown record '%s'", kw);
	}
	return 1;
}
