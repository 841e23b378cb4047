// SPDX-License-Identifier: GPL-2.0-only
/*
 * trace.c - read and write vmatrace trace files (docs/trace-format.md)
 *
 *   +--------+---------+---------+-----+---------------+
 *   | header | chunk 0 | chunk 1 | ... | chunk n (END) |
 *   +--------+---------+---------+-----+---------------+
 *
 * A chunk is a 16-byte head (magic, payload length, record count, crc32 of
 * the payload) and at most VMT_CHUNK_MAX bytes of records.  A record is a
 * type byte, a LEB128 body length and the body; integers in bodies are
 * LEB128 (signed ones zigzag-encoded) and times are deltas from the previous
 * timed record.  The reader checks every length, index, checksum and count,
 * so damage and truncation are reported with the offset instead of being
 * replayed.  Files are read through zlib, which passes plain files through
 * unchanged and lets gzip-compressed traces be read as shipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "afile.h"
#include "vmt.h"
#include "util.h"

#define CHUNK_HEAD 16
#define REC_MAX (3 * VMT_STR_MAX) /* no encoded record is larger */

/* ---- little-endian fixed-width fields ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ---- a cursor over a record body, with bounds and canonical-form checks ---- */

struct cursor {
	const uint8_t *p, *end;
	const char *bad; /* first problem found, NULL while all is well */
};

static inline uint64_t cur_varint(struct cursor *c)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	/* Fast path: one byte. */
	if (c->p < c->end && !(*c->p & 0x80))
		return *c->p++;
	for (;;) {
		uint8_t b;

		if (c->p >= c->end) {
			c->bad = c->bad ? c->bad : "record body ends inside a number";
			return 0;
		}
		b = *c->p++;
		if (shift == 63 && b > 1) {
			c->bad = c->bad ? c->bad : "number does not fit in 64 bits";
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (!b && shift) {
				c->bad = c->bad ? c->bad : "number is not minimally encoded";
				return 0;
			}
			return v;
		}
		shift += 7;
	}
}

static inline uint8_t cur_u8(struct cursor *c)
{
	if (c->p >= c->end) {
		c->bad = c->bad ? c->bad : "record body too short";
		return 0;
	}
	return *c->p++;
}

static uint32_t cur_u32(struct cursor *c, const char *what)
{
	uint64_t v = cur_varint(c);

	if (v > UINT32_MAX && !c->bad)
		c->bad = what;
	return (uint32_t)v;
}

/* An index stored +1 so that 0 means "none". */
static uint32_t cur_ref(struct cursor *c, uint32_t limit, const char *what)
{
	uint64_t v = cur_varint(c);

	if (!v)
		return VMT_NONE;
	if (v > limit && !c->bad)
		c->bad = what;
	return (uint32_t)(v - 1);
}

static void cur_str(struct cursor *c, char *dst, size_t size)
{
	uint64_t n = cur_varint(c);

	if (c->bad) {
		dst[0] = '\0';
		return;
	}
	if (n >= size) {
		c->bad = "string longer than its field";
		dst[0] = '\0';
		return;
	}
	if ((uint64_t)(c->end - c->p) < n) {
		c->bad = "string runs past the end of its record";
		dst[0] = '\0';
		return;
	}
	if (memchr(c->p, '\0', n)) {
		c->bad = "string contains a NUL byte";
		dst[0] = '\0';
		return;
	}
	memcpy(dst, c->p, n);
	dst[n] = '\0';
	c->p += n;
}

/* ---- encoding ---- */

struct enc {
	uint8_t *p, *end;
	bool overflow;
};

static inline void enc_varint(struct enc *e, uint64_t v)
{
	if (e->end - e->p < 10) {
		e->overflow = true;
		return;
	}
	while (v >= 0x80) {
		*e->p++ = (uint8_t)v | 0x80;
		v >>= 7;
	}
	*e->p++ = (uint8_t)v;
}

static void enc_u8(struct enc *e, uint8_t v)
{
	if (e->p >= e->end) {
		e->overflow = true;
		return;
	}
	*e->p++ = v;
}

static void enc_ref(struct enc *e, uint32_t idx)
{
	enc_varint(e, idx == VMT_NONE ? 0 : (uint64_t)idx + 1);
}

static void enc_str(struct enc *e, const char *s)
{
	size_t n = strlen(s);

	enc_varint(e, n);
	if ((size_t)(e->end - e->p) < n) {
		e->overflow = true;
		return;
	}
	memcpy(e->p, s, n);
	e->p += n;
}

/* ---- header ---- */

static const char *const header_strings[] = { "source", "kernel", "arch", "hostname", "cmdline" };

static char *header_field(struct vmt_header *h, int i, size_t *size)
{
	switch (i) {
	case 0: *size = sizeof(h->source); return h->source;
	case 1: *size = sizeof(h->kernel); return h->kernel;
	case 2: *size = sizeof(h->arch); return h->arch;
	case 3: *size = sizeof(h->hostname); return h->hostname;
	default: *size = sizeof(h->cmdline); return h->cmdline;
	}
}

static size_t header_encode(const struct vmt_header *hdr, uint8_t *buf)
{
	struct vmt_header h = *hdr;
	size_t off = 40;

	memcpy(buf, VMT_MAGIC, 8);
	put16(buf + 8, VMT_VERSION);
	put16(buf + 10, 0);
	put32(buf + 16, h.page_size);
	put32(buf + 20, h.clock);
	put64(buf + 24, h.lost_events);
	put64(buf + 32, h.start_realtime_ns);
	for (size_t i = 0; i < ARRAY_SIZE(header_strings); i++) {
		size_t size;
		const char *s = header_field(&h, (int)i, &size);
		size_t n = strnlen(s, size - 1);

		put16(buf + off, (uint16_t)n);
		memcpy(buf + off + 2, s, n);
		off += 2 + n;
	}
	put32(buf + 12, (uint32_t)(off + 4));
	put32(buf + off, (uint32_t)crc32(0, buf, (uInt)off));
	return off + 4;
}

void vmt_header_init(struct vmt_header *hdr, const char *source, uint32_t clock)
{
	struct utsname u;
	struct timespec ts;

	memset(hdr, 0, sizeof(*hdr));
	hdr->version = VMT_VERSION;
	hdr->clock = clock;
	hdr->page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	clock_gettime(CLOCK_REALTIME, &ts);
	hdr->start_realtime_ns = ts_to_ns(&ts);
	strlcpy_(hdr->source, source, sizeof(hdr->source));
	if (!uname(&u)) {
		strlcpy_(hdr->kernel, u.release, sizeof(hdr->kernel));
		strlcpy_(hdr->arch, u.machine, sizeof(hdr->arch));
		strlcpy_(hdr->hostname, u.nodename, sizeof(hdr->hostname));
	}
}

/* ---- reader ---- */

struct vmt_reader {
	gzFile gz;
	char *path;
	struct vmt_header hdr;
	uint64_t offset; /* bytes of the file consumed */
	uint8_t *chunk; /* current chunk payload */
	size_t chunk_len, chunk_pos;
	uint64_t chunk_off; /* file offset of the payload */
	uint32_t chunk_records, chunk_seen;
	bool done, failed;
	uint64_t now; /* time of the last timed record */
	uint64_t records, ops, lost;
	struct vmt_process *procs;
	struct vmt_thread *threads;
	struct vmt_file *files;
	uint32_t nprocs, nthreads, nfiles;
	uint32_t cap_procs, cap_threads, cap_files;
	char err[512];
};

static int rfail(struct vmt_reader *r, uint64_t off, const char *fmt, ...) VMT_PRINTF(3, 4);

static int rfail(struct vmt_reader *r, uint64_t off, const char *fmt, ...)
{
	char what[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "%s: offset %" PRIu64 ": %s", r->path, off, what);
	r->failed = true;
	return -1;
}

/* Read exactly @n bytes; returns bytes read (short only at end of file) or -1. */
static ssize_t rread(struct vmt_reader *r, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		int k = gzread(r->gz, (uint8_t *)buf + got, (unsigned int)(n - got));

		if (k < 0) {
			int zerr;
			const char *msg = gzerror(r->gz, &zerr);

			if (zerr == Z_ERRNO)
				rfail(r, r->offset + got, "read error: %s", strerror(errno));
			else
				rfail(r, r->offset + got, "bad compressed data: %s", msg);
			return -1;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static int read_header(struct vmt_reader *r)
{
	uint8_t fixed[40], *buf;
	uint32_t len, crc;
	ssize_t n;
	size_t off = 40;

	n = rread(r, fixed, sizeof(fixed));
	if (n < 0)
		return -1;
	if (n < 8 || memcmp(fixed, VMT_MAGIC, 8))
		return rfail(r, 0, "not a vmatrace trace (bad magic)");
	if (n < (ssize_t)sizeof(fixed))
		return rfail(r, (uint64_t)n, "file ends inside the header");
	r->hdr.version = get16(fixed + 8);
	if (r->hdr.version > VMT_VERSION)
		return rfail(r, 8, "trace format version %u is newer than this vmatrace reads (%u)",
			     r->hdr.version, VMT_VERSION);
	if (r->hdr.version == 0)
		return rfail(r, 8, "bad trace format version 0");
	if (get16(fixed + 10))
		return rfail(r, 10, "unknown header flags 0x%x", get16(fixed + 10));
	len = get32(fixed + 12);
	if (len < 40 + 2 * ARRAY_SIZE(header_strings) + 4 || len > VMT_HEADER_MAX)
		return rfail(r, 12, "bad header length %" PRIu32, len);
	buf = malloc(len);
	if (!buf)
		return rfail(r, 12, "out of memory");
	memcpy(buf, fixed, sizeof(fixed));
	n = rread(r, buf + 40, len - 40);
	if (n < 0)
		goto fail;
	if ((size_t)n < len - 40) {
		rfail(r, 40 + (uint64_t)n, "file ends inside the header");
		goto fail;
	}
	crc = get32(buf + len - 4);
	if (crc != (uint32_t)crc32(0, buf, len - 4)) {
		rfail(r, len - 4, "header checksum mismatch (damaged header)");
		goto fail;
	}
	r->hdr.page_size = get32(buf + 16);
	r->hdr.clock = get32(buf + 20);
	r->hdr.lost_events = get64(buf + 24);
	r->hdr.start_realtime_ns = get64(buf + 32);
	if (r->hdr.page_size < 512 || (r->hdr.page_size & (r->hdr.page_size - 1))) {
		rfail(r, 16, "bad page size %" PRIu32, r->hdr.page_size);
		goto fail;
	}
	if (r->hdr.clock >= VMT_CLOCK_NR) {
		rfail(r, 20, "unknown clock %" PRIu32, r->hdr.clock);
		goto fail;
	}
	for (size_t i = 0; i < ARRAY_SIZE(header_strings); i++) {
		size_t size, slen;
		char *dst = header_field(&r->hdr, (int)i, &size);

		if (off + 2 > len - 4) {
			rfail(r, off, "header ends before its %s string", header_strings[i]);
			goto fail;
		}
		slen = get16(buf + off);
		if (slen >= size || off + 2 + slen > len - 4) {
			rfail(r, off, "bad length %zu of the header's %s string", slen, header_strings[i]);
			goto fail;
		}
		memcpy(dst, buf + off + 2, slen);
		dst[slen] = '\0';
		if (strlen(dst) != slen) {
			rfail(r, off, "header's %s string contains a NUL byte", header_strings[i]);
			goto fail;
		}
		off += 2 + slen;
	}
	if (off != len - 4) {
		rfail(r, off, "%zu unexpected bytes at the end of the header", len - 4 - off);
		goto fail;
	}
	r->offset = len;
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

struct vmt_reader *vmt_reader_open(const char *path, char *err, size_t errlen)
{
	struct vmt_reader *r = calloc(1, sizeof(*r));
	int fd;

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->path = strdup(path);
	r->chunk = malloc(VMT_CHUNK_MAX);
	if (!r->path || !r->chunk) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		goto fail;
	}
	r->gz = gzdopen(fd, "rb");
	if (!r->gz) {
		close(fd);
		snprintf(err, errlen, "cannot open '%s': out of memory", path);
		goto fail;
	}
	gzbuffer(r->gz, 256 * 1024);
	if (read_header(r)) {
		snprintf(err, errlen, "%s", r->err);
		goto fail;
	}
	return r;
fail:
	vmt_reader_close(r);
	return NULL;
}

void vmt_reader_close(struct vmt_reader *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	free(r->path);
	free(r->chunk);
	free(r->procs);
	free(r->threads);
	free(r->files);
	free(r);
}

const char *vmt_reader_error(const struct vmt_reader *r)
{
	return r->err;
}

const struct vmt_header *vmt_reader_header(const struct vmt_reader *r)
{
	return &r->hdr;
}

const struct vmt_process *vmt_reader_process(const struct vmt_reader *r, uint32_t idx)
{
	return idx < r->nprocs ? &r->procs[idx] : NULL;
}

const struct vmt_thread *vmt_reader_thread(const struct vmt_reader *r, uint32_t idx)
{
	return idx < r->nthreads ? &r->threads[idx] : NULL;
}

const struct vmt_file *vmt_reader_file(const struct vmt_reader *r, uint32_t idx)
{
	return idx < r->nfiles ? &r->files[idx] : NULL;
}

uint32_t vmt_reader_nprocesses(const struct vmt_reader *r)
{
	return r->nprocs;
}

uint32_t vmt_reader_nthreads(const struct vmt_reader *r)
{
	return r->nthreads;
}

uint32_t vmt_reader_nfiles(const struct vmt_reader *r)
{
	return r->nfiles;
}

uint64_t vmt_reader_offset(const struct vmt_reader *r)
{
	return r->offset;
}

/* Make room for one more entry; the VMT_MAX_* caps bound what a file can make us allocate. */
static int table_grow(void **tab, uint32_t n, uint32_t *cap, size_t elem)
{
	uint32_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*tab, (size_t)ncap * elem);
	if (!p)
		return -1;
	*tab = p;
	*cap = ncap;
	return 0;
}

/* A process index that must name an earlier PROCESS record. */
static uint32_t cur_process(struct cursor *c, const struct vmt_reader *r)
{
	uint64_t v = cur_varint(c);

	if (v >= r->nprocs && !c->bad)
		c->bad = "process index not defined by an earlier PROCESS record";
	return (uint32_t)v;
}

static int next_chunk(struct vmt_reader *r)
{
	uint8_t head[CHUNK_HEAD];
	uint64_t off = r->offset;
	ssize_t n = rread(r, head, sizeof(head));
	uint32_t len;

	if (n < 0)
		return -1;
	if (n == 0)
		return rfail(r, off, "file ends without an END record (truncated)");
	if (n < CHUNK_HEAD)
		return rfail(r, off, "file ends inside a chunk header (truncated)");
	if (get32(head) != VMT_CHUNK_MAGIC)
		return rfail(r, off, "bad chunk magic 0x%08" PRIx32, get32(head));
	len = get32(head + 4);
	r->chunk_records = get32(head + 8);
	if (!len || len > VMT_CHUNK_MAX)
		return rfail(r, off + 4, "bad chunk length %" PRIu32, len);
	if (!r->chunk_records || r->chunk_records > len)
		return rfail(r, off + 8, "bad chunk record count %" PRIu32, r->chunk_records);
	n = rread(r, r->chunk, len);
	if (n < 0)
		return -1;
	if ((size_t)n < len)
		return rfail(r, off + CHUNK_HEAD + (uint64_t)n, "file ends inside a chunk (truncated)");
	if ((uint32_t)crc32(0, r->chunk, len) != get32(head + 12))
		return rfail(r, off + 12, "chunk checksum mismatch (damaged data in bytes %" PRIu64
			     "..%" PRIu64 ")", off + CHUNK_HEAD, off + CHUNK_HEAD + len - 1);
	r->chunk_len = len;
	r->chunk_pos = 0;
	r->chunk_seen = 0;
	r->chunk_off = off + CHUNK_HEAD;
	r->offset = off + CHUNK_HEAD + len;
	return 0;
}

static uint32_t cur_thread(struct cursor *c, const struct vmt_reader *r)
{
	uint64_t v = cur_varint(c);

	if (v >= r->nthreads && !c->bad)
		c->bad = "thread index not defined by an earlier THREAD record";
	return (uint32_t)v;
}

static void cur_time(struct cursor *c, struct vmt_reader *r, uint64_t *t)
{
	uint64_t dt = cur_varint(c);

	if (r->now + dt < r->now && !c->bad)
		c->bad = "time overflows 64 bits";
	r->now += dt;
	*t = r->now;
}

static void decode_op(struct cursor *c, struct vmt_reader *r, struct vmt_op *op)
{
	unsigned int nargs;
	uint64_t dur = 0;

	cur_time(c, r, &op->t_enter);
	op->thread = cur_thread(c, r);
	op->kind = cur_u8(c);
	op->flags = cur_u8(c);
	if (op->kind >= VMT_OP_NR && !c->bad)
		c->bad = "unknown operation kind";
	if (op->flags & ~VMT_OPF_ALL && !c->bad)
		c->bad = "unknown operation flags";
	if (c->bad)
		return;
	if (!(op->flags & VMT_OPF_NO_EXIT))
		dur = cur_varint(c);
	op->t_exit = op->t_enter + dur;
	if (op->t_exit < op->t_enter && !c->bad)
		c->bad = "operation duration overflows";
	op->file = VMT_NONE;
	if (op->kind == VMT_OP_OTHER) {
		op->nr = cur_u32(c, "syscall number too large");
		op->nargs = cur_u8(c);
		if (op->nargs > VMT_MAX_ARGS && !c->bad)
			c->bad = "more than 6 syscall arguments";
		cur_str(c, op->name, sizeof(op->name));
		if (op->name[strspn(op->name, "abcdefghijklmnopqrstuvwxyz"
					      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] && !c->bad)
			c->bad = "syscall name is not an identifier";
		nargs = op->nargs <= VMT_MAX_ARGS ? op->nargs : 0;
	} else {
		op->nr = 0;
		op->name[0] = '\0';
		nargs = vmt_op_descs[op->kind].nargs;
		op->nargs = (uint8_t)nargs;
	}
	for (unsigned int i = 0; i < nargs; i++)
		op->args[i] = (uint64_t)unzigzag(cur_varint(c));
	for (unsigned int i = nargs; i < VMT_MAX_ARGS; i++)
		op->args[i] = 0;
	op->ret = (op->flags & VMT_OPF_NO_EXIT) ? 0 : unzigzag(cur_varint(c));
	if (op->kind == VMT_OP_MMAP)
		op->file = cur_ref(c, r->nfiles, "file index not defined by an earlier FILE record");
}

static int decode_end(struct vmt_reader *r, struct cursor *c, struct vmt_end *e, uint64_t off)
{
	e->records = cur_varint(c);
	e->ops = cur_varint(c);
	e->processes = cur_varint(c);
	e->threads = cur_varint(c);
	e->files = cur_varint(c);
	e->lost_events = cur_varint(c);
	if (c->bad)
		return rfail(r, off, "bad END record: %s", c->bad);
	if (c->p != c->end)
		return rfail(r, off, "END record has %td unexpected bytes", c->end - c->p);
	if (e->records != r->records)
		return rfail(r, off, "END record counts %" PRIu64 " records, file has %" PRIu64,
			     e->records, r->records);
	if (e->ops != r->ops || e->processes != r->nprocs || e->threads != r->nthreads ||
	    e->files != r->nfiles)
		return rfail(r, off, "END record counts do not match the records read");
	if (e->lost_events != r->hdr.lost_events)
		return rfail(r, off, "END record lost-event count %" PRIu64 " differs from the header's %" PRIu64,
			     e->lost_events, r->hdr.lost_events);
	if (r->chunk_pos != r->chunk_len || r->chunk_seen != r->chunk_records)
		return rfail(r, off, "records follow the END record");
	uint8_t extra;
	ssize_t n = rread(r, &extra, 1);

	if (n < 0)
		return -1;
	if (n)
		return rfail(r, r->offset, "data after the END record");
	r->done = true;
	return 0;
}

int vmt_reader_next(struct vmt_reader *r, struct vmt_record *rec)
{
	struct cursor c;
	uint64_t len, off;
	uint8_t type;

	if (r->failed)
		return -1;
	if (r->done)
		return 0;
again:
	if (r->chunk_pos >= r->chunk_len) {
		if (r->chunk_len && r->chunk_seen != r->chunk_records)
			return rfail(r, r->chunk_off + r->chunk_len,
				     "chunk holds %" PRIu32 " records, its head says %" PRIu32,
				     r->chunk_seen, r->chunk_records);
		if (next_chunk(r))
			return -1;
	}
	off = r->chunk_off + r->chunk_pos;
	c.p = r->chunk + r->chunk_pos;
	c.end = r->chunk + r->chunk_len;
	c.bad = NULL;
	type = cur_u8(&c);
	len = cur_varint(&c);
	if (c.bad)
		return rfail(r, off, "bad record length: %s", c.bad);
	if (len > (uint64_t)(c.end - c.p))
		return rfail(r, off, "record runs past the end of its chunk");
	c.end = c.p + len;
	r->chunk_pos = (size_t)(c.end - r->chunk);
	if (++r->chunk_seen > r->chunk_records)
		return rfail(r, off, "chunk holds more records than its head says");
	rec->type = type;
	rec->offset = off;

	switch (type) {
	case VMT_REC_OP:
		decode_op(&c, r, &rec->op);
		r->ops++;
		break;
	case VMT_REC_PROCESS: {
		struct vmt_process *p = &rec->process;

		cur_time(&c, r, &p->t);
		p->pid = cur_u32(&c, "pid too large");
		p->ppid = cur_u32(&c, "ppid too large");
		p->parent = cur_ref(&c, r->nprocs, "parent process not defined earlier");
		cur_str(&c, p->name, sizeof(p->name));
		if (c.bad)
			break;
		if (r->nprocs >= VMT_MAX_PROCESSES)
			return rfail(r, off, "more than %u processes", VMT_MAX_PROCESSES);
		if (table_grow((void **)&r->procs, r->nprocs, &r->cap_procs, sizeof(*p)))
			return rfail(r, off, "out of memory");
		r->procs[r->nprocs++] = *p;
		break;
	}
	case VMT_REC_THREAD: {
		struct vmt_thread *t = &rec->thread;

		cur_time(&c, r, &t->t);
		t->process = cur_process(&c, r);
		t->tid = cur_u32(&c, "tid too large");
		cur_str(&c, t->name, sizeof(t->name));
		if (c.bad)
			break;
		if (r->nthreads >= VMT_MAX_THREADS)
			return rfail(r, off, "more than %u threads", VMT_MAX_THREADS);
		if (table_grow((void **)&r->threads, r->nthreads, &r->cap_threads, sizeof(*t)))
			return rfail(r, off, "out of memory");
		r->threads[r->nthreads++] = *t;
		break;
	}
	case VMT_REC_FILE: {
		struct vmt_file *f = &rec->file;

		f->dev = cur_varint(&c);
		f->ino = cur_varint(&c);
		f->size = cur_varint(&c);
		f->flags = cur_u32(&c, "file flags too large");
		if (f->flags & ~VMT_FILEF_ALL && !c.bad)
			c.bad = "unknown file flags";
		cur_str(&c, f->path, sizeof(f->path));
		if (c.bad)
			break;
		if (r->nfiles >= VMT_MAX_FILES)
			return rfail(r, off, "more than %u files", VMT_MAX_FILES);
		if (table_grow((void **)&r->files, r->nfiles, &r->cap_files, sizeof(*f)))
			return rfail(r, off, "out of memory");
		r->files[r->nfiles++] = *f;
		break;
	}
	case VMT_REC_MAP: {
		struct vmt_map *m = &rec->map;
		uint64_t mlen;

		m->process = cur_process(&c, r);
		m->prot = cur_u32(&c, "bad map protection");
		if (m->prot & ~VMT_MAP_ALL && !c.bad)
			c.bad = "unknown map protection bits";
		m->start = cur_varint(&c);
		mlen = cur_varint(&c);
		m->end = m->start + mlen;
		if ((m->end < m->start || !mlen) && !c.bad)
			c.bad = "bad map range";
		m->pgoff = cur_varint(&c);
		m->file = cur_ref(&c, r->nfiles, "file index not defined by an earlier FILE record");
		cur_str(&c, m->name, sizeof(m->name));
		break;
	}
	case VMT_REC_EXEC:
	case VMT_REC_EXIT:
	case VMT_REC_COMM: {
		struct vmt_event *ev = &rec->event;

		cur_time(&c, r, &ev->t);
		ev->thread = cur_thread(&c, r);
		ev->code = 0;
		ev->text[0] = '\0';
		if (type == VMT_REC_EXIT)
			ev->code = unzigzag(cur_varint(&c));
		else if (type == VMT_REC_COMM)
			cur_str(&c, ev->text, 64);
		else
			cur_str(&c, ev->text, sizeof(ev->text));
		break;
	}
	case VMT_REC_LOST:
		cur_time(&c, r, &rec->lost.t);
		rec->lost.cpu = cur_u32(&c, "cpu number too large");
		rec->lost.count = cur_varint(&c);
		/* LOST records say where events were lost; the header says how many in all */
		if (r->lost + rec->lost.count < r->lost ||
		    r->lost + rec->lost.count > r->hdr.lost_events) {
			if (!c.bad)
				c.bad = "LOST records count more events than the header's lost-event count";
			break;
		}
		r->lost += rec->lost.count;
		break;
	case VMT_REC_END:
		return decode_end(r, &c, &rec->end, off) ? -1 : 0;
	default:
		if (type >= VMT_REC_OPTIONAL_FIRST && type <= VMT_REC_OPTIONAL_LAST) {
			r->records++;
			goto again; /* an optional record of a later minor revision */
		}
		return rfail(r, off, "unknown record type 0x%02x", type);
	}
	if (c.bad)
		return rfail(r, off, "bad %s record: %s", vmt_rec_type_name(type), c.bad);
	if (c.p != c.end)
		return rfail(r, off, "%s record has %td unexpected bytes", vmt_rec_type_name(type),
			     c.end - c.p);
	r->records++;
	return 1;
}

/* ---- writer ---- */

struct vmt_writer {
	FILE *f;
	struct afile af; /* nameless until vmt_writer_close() */
	uint8_t hbuf[VMT_HEADER_MAX];
	size_t hlen;
	struct vmt_header hdr;
	uint8_t *chunk; /* VMT_CHUNK_TARGET + REC_MAX */
	size_t chunk_len;
	uint32_t chunk_records;
	uint64_t now, records, ops, lost;
	uint32_t nprocs, nthreads, nfiles;
	bool failed;
	char err[512];
};

static int wfail(struct vmt_writer *w, const char *fmt, ...) VMT_PRINTF(2, 3);

static int wfail(struct vmt_writer *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return -1;
}

const char *vmt_writer_error(const struct vmt_writer *w)
{
	return w->err;
}

struct vmt_writer *vmt_writer_open(const char *path, const struct vmt_header *hdr, char *err,
				   size_t errlen)
{
	struct vmt_writer *w = calloc(1, sizeof(*w));
	int fd = -1;

	if (!w)
		goto oom;
	w->af.fd = -1;
	w->chunk = malloc(VMT_CHUNK_TARGET + REC_MAX);
	if (!w->chunk)
		goto oom;
	if (!strcmp(path, "-")) {
		snprintf(err, errlen, "cannot write a binary trace to standard output; name a file");
		goto fail;
	}
	if (hdr->page_size < 512 || (hdr->page_size & (hdr->page_size - 1)) ||
	    hdr->clock >= VMT_CLOCK_NR) {
		snprintf(err, errlen, "%s: bad page size or clock in the header", path);
		goto fail;
	}
	fd = afile_open(&w->af, path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
		goto fail;
	}
	w->f = fdopen(fd, "wb");
	if (!w->f) {
		close(fd);
		goto oom;
	}
	setvbuf(w->f, NULL, _IOFBF, 1 << 20);
	w->hdr = *hdr;
	w->hdr.version = VMT_VERSION;
	w->hlen = header_encode(&w->hdr, w->hbuf);
	if (fwrite(w->hbuf, 1, w->hlen, w->f) != w->hlen) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		vmt_writer_abort(w);
		return NULL;
	}
	return w;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	if (w) {
		afile_close(&w->af);
		free(w->chunk);
		free(w);
	}
	return NULL;
}

static int flush_chunk(struct vmt_writer *w)
{
	uint8_t head[CHUNK_HEAD];

	if (!w->chunk_len)
		return 0;
	put32(head, VMT_CHUNK_MAGIC);
	put32(head + 4, (uint32_t)w->chunk_len);
	put32(head + 8, w->chunk_records);
	put32(head + 12, (uint32_t)crc32(0, w->chunk, (uInt)w->chunk_len));
	if (fwrite(head, 1, CHUNK_HEAD, w->f) != CHUNK_HEAD ||
	    fwrite(w->chunk, 1, w->chunk_len, w->f) != w->chunk_len) {
		w->failed = true;
		return wfail(w, "cannot write '%s': %s", w->af.path, strerror(errno));
	}
	w->chunk_len = 0;
	w->chunk_records = 0;
	return 0;
}

static int check_time(struct vmt_writer *w, uint64_t t, struct enc *e)
{
	if (t < w->now)
		return wfail(w, "time %" PRIu64 " is before the previous record's %" PRIu64
			     " (records must be in time order)", t, w->now);
	enc_varint(e, t - w->now);
	return 0;
}

static int check_str(struct vmt_writer *w, const char *s, size_t max, const char *what)
{
	if (strnlen(s, max) >= max)
		return wfail(w, "%s longer than %zu bytes", what, max - 1);
	return 0;
}

static int check_thread(struct vmt_writer *w, uint32_t thread)
{
	if (thread >= w->nthreads)
		return wfail(w, "thread T%" PRIu32 " is not defined", thread);
	return 0;
}

static int encode_op(struct vmt_writer *w, const struct vmt_op *op, struct enc *e)
{
	unsigned int nargs;

	if (op->kind >= VMT_OP_NR)
		return wfail(w, "unknown operation kind %u", op->kind);
	if (op->flags & ~VMT_OPF_ALL)
		return wfail(w, "unknown operation flags 0x%x", op->flags);
	if (check_thread(w, op->thread))
		return -1;
	if (!(op->flags & VMT_OPF_NO_EXIT) && op->t_exit < op->t_enter)
		return wfail(w, "operation exits before it enters");
	if (op->kind == VMT_OP_MMAP && op->file != VMT_NONE && op->file >= w->nfiles)
		return wfail(w, "file F%" PRIu32 " is not defined", op->file);
	if (op->kind == VMT_OP_OTHER && op->nargs > VMT_MAX_ARGS)
		return wfail(w, "more than %d syscall arguments", VMT_MAX_ARGS);
	if (op->kind == VMT_OP_OTHER && check_str(w, op->name, sizeof(op->name), "syscall name"))
		return -1;
	/* a syscall name is an identifier: the text form prints it bare */
	if (op->kind == VMT_OP_OTHER && op->name[strspn(op->name, "abcdefghijklmnopqrstuvwxyz"
							 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")])
		return wfail(w, "syscall name '%s' is not made of letters, digits and '_'", op->name);
	if (check_time(w, op->t_enter, e))
		return -1;
	enc_varint(e, op->thread);
	enc_u8(e, op->kind);
	enc_u8(e, op->flags);
	if (!(op->flags & VMT_OPF_NO_EXIT))
		enc_varint(e, op->t_exit - op->t_enter);
	if (op->kind == VMT_OP_OTHER) {
		enc_varint(e, op->nr);
		enc_u8(e, op->nargs);
		enc_str(e, op->name);
		nargs = op->nargs;
	} else {
		nargs = vmt_op_descs[op->kind].nargs;
	}
	for (unsigned int i = 0; i < nargs; i++)
		enc_varint(e, zigzag((int64_t)op->args[i]));
	if (!(op->flags & VMT_OPF_NO_EXIT))
		enc_varint(e, zigzag(op->ret));
	if (op->kind == VMT_OP_MMAP)
		enc_ref(e, op->file);
	return 0;
}

static int encode_record(struct vmt_writer *w, const struct vmt_record *rec, struct enc *e)
{
	switch (rec->type) {
	case VMT_REC_OP:
		return encode_op(w, &rec->op, e);
	case VMT_REC_PROCESS: {
		const struct vmt_process *p = &rec->process;

		if (w->nprocs >= VMT_MAX_PROCESSES)
			return wfail(w, "more than %u processes", VMT_MAX_PROCESSES);
		if (p->parent != VMT_NONE && p->parent >= w->nprocs)
			return wfail(w, "parent process P%" PRIu32 " is not defined", p->parent);
		if (check_str(w, p->name, sizeof(p->name), "process name") ||
		    check_time(w, p->t, e))
			return -1;
		enc_varint(e, p->pid);
		enc_varint(e, p->ppid);
		enc_ref(e, p->parent);
		enc_str(e, p->name);
		return 0;
	}
	case VMT_REC_THREAD: {
		const struct vmt_thread *t = &rec->thread;

		if (w->nthreads >= VMT_MAX_THREADS)
			return wfail(w, "more than %u threads", VMT_MAX_THREADS);
		if (t->process >= w->nprocs)
			return wfail(w, "process P%" PRIu32 " is not defined", t->process);
		if (check_str(w, t->name, sizeof(t->name), "thread name") ||
		    check_time(w, t->t, e))
			return -1;
		enc_varint(e, t->process);
		enc_varint(e, t->tid);
		enc_str(e, t->name);
		return 0;
	}
	case VMT_REC_FILE: {
		const struct vmt_file *f = &rec->file;

		if (w->nfiles >= VMT_MAX_FILES)
			return wfail(w, "more than %u files", VMT_MAX_FILES);
		if (f->flags & ~VMT_FILEF_ALL)
			return wfail(w, "unknown file flags 0x%x", f->flags);
		if (check_str(w, f->path, sizeof(f->path), "file path"))
			return -1;
		enc_varint(e, f->dev);
		enc_varint(e, f->ino);
		enc_varint(e, f->size);
		enc_varint(e, f->flags);
		enc_str(e, f->path);
		return 0;
	}
	case VMT_REC_MAP: {
		const struct vmt_map *m = &rec->map;

		if (m->process >= w->nprocs)
			return wfail(w, "process P%" PRIu32 " is not defined", m->process);
		if (m->prot & ~VMT_MAP_ALL)
			return wfail(w, "unknown map protection bits 0x%x", m->prot);
		if (m->end <= m->start)
			return wfail(w, "empty or inverted map range");
		if (m->file != VMT_NONE && m->file >= w->nfiles)
			return wfail(w, "file F%" PRIu32 " is not defined", m->file);
		if (check_str(w, m->name, sizeof(m->name), "map name"))
			return -1;
		enc_varint(e, m->process);
		enc_varint(e, m->prot);
		enc_varint(e, m->start);
		enc_varint(e, m->end - m->start);
		enc_varint(e, m->pgoff);
		enc_ref(e, m->file);
		enc_str(e, m->name);
		return 0;
	}
	case VMT_REC_EXEC:
	case VMT_REC_EXIT:
	case VMT_REC_COMM: {
		const struct vmt_event *ev = &rec->event;
		size_t max = rec->type == VMT_REC_COMM ? 64 : sizeof(ev->text);

		if (check_thread(w, ev->thread) || check_str(w, ev->text, max, "event text") ||
		    check_time(w, ev->t, e))
			return -1;
		enc_varint(e, ev->thread);
		if (rec->type == VMT_REC_EXIT)
			enc_varint(e, zigzag(ev->code));
		else
			enc_str(e, ev->text);
		return 0;
	}
	case VMT_REC_LOST:
		if (check_time(w, rec->lost.t, e))
			return -1;
		enc_varint(e, rec->lost.cpu);
		enc_varint(e, rec->lost.count);
		return 0;
	case VMT_REC_END:
		return wfail(w, "the END record is written by closing the trace");
	default:
		return wfail(w, "unknown record type 0x%02x", rec->type);
	}
}

static int append_record(struct vmt_writer *w, uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t head[11];
	struct enc e = { head, head + sizeof(head), false };
	size_t hl;

	enc_u8(&e, type);
	enc_varint(&e, len);
	hl = (size_t)(e.p - head);
	if (w->chunk_len && w->chunk_len + hl + len > VMT_CHUNK_TARGET && flush_chunk(w))
		return -1;
	memcpy(w->chunk + w->chunk_len, head, hl);
	memcpy(w->chunk + w->chunk_len + hl, body, len);
	w->chunk_len += hl + len;
	w->chunk_records++;
	return 0;
}

int vmt_writer_write(struct vmt_writer *w, const struct vmt_record *rec)
{
	uint8_t body[REC_MAX];
	struct enc e = { body, body + sizeof(body), false };
	uint64_t saved_now = w->now;

	if (w->failed)
		return wfail(w, "an earlier write to '%s' failed", w->af.path);
	if (encode_record(w, rec, &e))
		return -1;
	if (e.overflow)
		return wfail(w, "record too large");
	if (append_record(w, (uint8_t)rec->type, body, (size_t)(e.p - body)))
		return -1;
	switch (rec->type) {
	case VMT_REC_OP:
		w->now = rec->op.t_enter;
		w->ops++;
		break;
	case VMT_REC_PROCESS:
		w->now = rec->process.t;
		w->nprocs++;
		break;
	case VMT_REC_THREAD:
		w->now = rec->thread.t;
		w->nthreads++;
		break;
	case VMT_REC_FILE:
		w->nfiles++;
		break;
	case VMT_REC_EXEC:
	case VMT_REC_EXIT:
	case VMT_REC_COMM:
		w->now = rec->event.t;
		break;
	case VMT_REC_LOST:
		w->now = rec->lost.t;
		w->lost += rec->lost.count;
		break;
	default:
		w->now = saved_now;
		break;
	}
	w->records++;
	return 0;
}

int vmt_writer_op(struct vmt_writer *w, const struct vmt_op *op)
{
	uint8_t body[REC_MAX];
	struct enc e = { body, body + sizeof(body), false };

	/* The hot path of generators and capture: no vmt_record copy. */
	if (w->failed)
		return wfail(w, "an earlier write to '%s' failed", w->af.path);
	if (encode_op(w, op, &e))
		return -1;
	if (append_record(w, VMT_REC_OP, body, (size_t)(e.p - body)))
		return -1;
	w->now = op->t_enter;
	w->ops++;
	w->records++;
	return 0;
}

int64_t vmt_writer_add_process(struct vmt_writer *w, const struct vmt_process *p)
{
	struct vmt_record rec = { .type = VMT_REC_PROCESS };

	rec.process = *p;
	return vmt_writer_write(w, &rec) ? -1 : (int64_t)w->nprocs - 1;
}

int64_t vmt_writer_add_thread(struct vmt_writer *w, const struct vmt_thread *t)
{
	struct vmt_record rec = { .type = VMT_REC_THREAD };

	rec.thread = *t;
	return vmt_writer_write(w, &rec) ? -1 : (int64_t)w->nthreads - 1;
}

int64_t vmt_writer_add_file(struct vmt_writer *w, const struct vmt_file *f)
{
	struct vmt_record rec = { .type = VMT_REC_FILE };

	rec.file = *f;
	return vmt_writer_write(w, &rec) ? -1 : (int64_t)w->nfiles - 1;
}

void vmt_writer_set_lost(struct vmt_writer *w, uint64_t lost_events)
{
	w->hdr.lost_events = lost_events;
}

void vmt_writer_abort(struct vmt_writer *w)
{
	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	afile_close(&w->af); /* nothing of it is left */
	free(w->chunk);
	free(w);
}

int vmt_writer_close(struct vmt_writer *w, char *err, size_t errlen)
{
	uint8_t body[64];
	struct enc e = { body, body + sizeof(body), false };
	size_t hlen;
	int ret = -1;

	if (w->failed) {
		wfail(w, "an earlier write to '%s' failed", w->af.path);
		goto out;
	}
	if (w->lost > w->hdr.lost_events) {
		wfail(w, "LOST records count %" PRIu64 " events, the header %" PRIu64
		      " (set the lost-event count first)", w->lost, w->hdr.lost_events);
		goto out;
	}
	enc_varint(&e, w->records);
	enc_varint(&e, w->ops);
	enc_varint(&e, w->nprocs);
	enc_varint(&e, w->nthreads);
	enc_varint(&e, w->nfiles);
	enc_varint(&e, w->hdr.lost_events);
	if (append_record(w, VMT_REC_END, body, (size_t)(e.p - body)) || flush_chunk(w))
		goto out;
	hlen = header_encode(&w->hdr, w->hbuf);
	if (hlen != w->hlen) {
		wfail(w, "header size changed while writing '%s'", w->af.path);
		goto out;
	}
	/* complete: only now does the file get its name, replacing any old one whole */
	if (fseek(w->f, 0, SEEK_SET) || fwrite(w->hbuf, 1, hlen, w->f) != hlen || fflush(w->f) ||
	    afile_commit(&w->af)) {
		wfail(w, "cannot write '%s': %s", w->af.path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret) {
		snprintf(err, errlen, "%s", w->err);
		vmt_writer_abort(w);
		return -1;
	}
	fclose(w->f); /* flushed and synced: nothing left to fail */
	afile_close(&w->af);
	free(w->chunk);
	free(w);
	return 0;
}
