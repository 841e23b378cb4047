/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmt.h - the vmatrace trace format: records, reader and writer
 *
 * A trace (.vmt) is a header followed by checksummed chunks of records; the
 * last record is an END record carrying the counts, so a file cut at any byte
 * is detected.  docs/trace-format.md describes every field; this header is the
 * C view of it, shared by every stage (capture, workloads, replay, analysis).
 *
 * Library functions return -1 (or NULL) on failure and leave a one-line
 * message, naming the file and the offset, in the object's error buffer; they
 * never exit and never print.
 */
#ifndef VMT_H
#define VMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VMT_MAGIC "VMATRACE"
#define VMT_VERSION 1
#define VMT_CHUNK_MAGIC 0x31434d56u /* "VMC1" little endian */
#define VMT_CHUNK_TARGET (64 * 1024) /* writer flushes a chunk at this size */
#define VMT_CHUNK_MAX (1024 * 1024) /* reader refuses larger chunks */
#define VMT_HEADER_MAX (64 * 1024)
#define VMT_STR_MAX 4096 /* longest string in a record (a path) */
#define VMT_MAX_ARGS 6
/* Table sizes a reader accepts: bounded so a hostile file cannot make it allocate without end. */
#define VMT_MAX_PROCESSES (1u << 20)
#define VMT_MAX_THREADS (1u << 22)
#define VMT_MAX_FILES (1u << 22)
#define VMT_NONE UINT32_MAX /* "no process/thread/file" in index fields */

enum vmt_clock {
	VMT_CLOCK_UNKNOWN = 0,
	VMT_CLOCK_MONOTONIC = 1,
	VMT_CLOCK_BOOT = 2,
	VMT_CLOCK_REALTIME = 3,
	VMT_CLOCK_SYNTHETIC = 4, /* made up by a workload generator */
	VMT_CLOCK_LOCAL = 5, /* ftrace "local" clock */
	VMT_CLOCK_GLOBAL = 6, /* ftrace "global" clock */
	VMT_CLOCK_MONO_RAW = 7,
	VMT_CLOCK_NR
};

/* Record types; 0x40..0x7e are optional records a reader may skip. */
enum vmt_rec_type {
	VMT_REC_PROCESS = 0x01,
	VMT_REC_THREAD = 0x02,
	VMT_REC_FILE = 0x03,
	VMT_REC_MAP = 0x04,
	VMT_REC_OP = 0x05,
	VMT_REC_EXEC = 0x06,
	VMT_REC_EXIT = 0x07,
	VMT_REC_COMM = 0x08,
	VMT_REC_LOST = 0x09,
	VMT_REC_OPTIONAL_FIRST = 0x40,
	VMT_REC_OPTIONAL_LAST = 0x7e,
	VMT_REC_END = 0x7f,
};

/* Operation kinds.  The numbering is part of the file format. */
enum vmt_op_kind {
	VMT_OP_MMAP = 0,
	VMT_OP_MUNMAP = 1,
	VMT_OP_MPROTECT = 2,
	VMT_OP_PKEY_MPROTECT = 3,
	VMT_OP_MREMAP = 4,
	VMT_OP_BRK = 5,
	VMT_OP_MADVISE = 6,
	VMT_OP_PROCESS_MADVISE = 7,
	VMT_OP_MSEAL = 8,
	VMT_OP_OTHER = 9, /* any other syscall: number and name kept */
	VMT_OP_NR
};

/* vmt_op.flags */
#define VMT_OPF_NO_EXIT 0x01u /* the exit was never seen: t_exit and ret are unknown */
/* Builds the start state (a generator's setup): replayed, but not timed as part of the load. */
#define VMT_OPF_SETUP 0x02u
#define VMT_OPF_ALL (VMT_OPF_NO_EXIT | VMT_OPF_SETUP)

/* vmt_file.flags */
#define VMT_FILEF_UNRESOLVED 0x01u /* path/dev/inode could not be established */
#define VMT_FILEF_ALL VMT_FILEF_UNRESOLVED

/* vmt_map.prot, as in the maps file: r w x and s(hared) or p(rivate) */
#define VMT_MAP_READ 0x1u
#define VMT_MAP_WRITE 0x2u
#define VMT_MAP_EXEC 0x4u
#define VMT_MAP_SHARED 0x8u
#define VMT_MAP_ALL 0xfu

struct vmt_header {
	uint16_t version;
	uint32_t page_size;
	uint32_t clock; /* enum vmt_clock */
	uint64_t lost_events;
	uint64_t start_realtime_ns; /* wall-clock time the capture began, 0 if unknown */
	char source[256]; /* "record", "import:strace", "workload:mapper", ... */
	char kernel[256]; /* uname -r of the capture host */
	char arch[64]; /* uname -m of the capture host */
	char hostname[256];
	char cmdline[VMT_STR_MAX]; /* what was captured or generated */
};

struct vmt_process {
	uint64_t t; /* first seen */
	uint32_t pid;
	uint32_t ppid;
	uint32_t parent; /* process index of the parent, or VMT_NONE */
	char name[64];
};

struct vmt_thread {
	uint64_t t; /* created or first seen */
	uint32_t process; /* process index */
	uint32_t tid;
	char name[64];
};

struct vmt_file {
	uint64_t dev; /* st_dev as the kernel encodes it (new_encode_dev) */
	uint64_t ino;
	uint64_t size; /* bytes, 0 if unknown */
	uint32_t flags; /* VMT_FILEF_* */
	char path[VMT_STR_MAX];
};

/* One line of a process's memory map at the start of the capture. */
struct vmt_map {
	uint32_t process;
	uint32_t prot; /* VMT_MAP_* */
	uint64_t start, end;
	uint64_t pgoff; /* offset in the file, bytes */
	uint32_t file; /* file index or VMT_NONE */
	char name[VMT_STR_MAX]; /* [heap], [stack], path as printed, or "" */
};

/*
 * An address-space operation.  args[] are the raw syscall arguments in the
 * kernel's order (see vmt_op_desc); ret is the raw return value (-errno on
 * failure).  file is the file behind an mmap's fd (VMT_NONE otherwise).
 */
struct vmt_op {
	uint64_t t_enter, t_exit; /* ns, t_exit == t_enter when VMT_OPF_NO_EXIT */
	uint32_t thread;
	uint8_t kind; /* enum vmt_op_kind */
	uint8_t flags; /* VMT_OPF_* */
	uint8_t nargs; /* VMT_OP_OTHER only; fixed by kind otherwise */
	uint64_t args[VMT_MAX_ARGS];
	int64_t ret;
	uint32_t file;
	uint32_t nr; /* VMT_OP_OTHER: syscall number on the capture arch */
	char name[64]; /* VMT_OP_OTHER: syscall name, "" if unknown */
};

struct vmt_event {
	uint64_t t;
	uint32_t thread;
	int64_t code; /* EXIT: exit code */
	char text[VMT_STR_MAX]; /* EXEC: file name; COMM: new name */
};

struct vmt_lost {
	uint64_t t;
	uint32_t cpu;
	uint64_t count;
};

struct vmt_end {
	uint64_t records; /* every record before END */
	uint64_t ops;
	uint64_t processes, threads, files;
	uint64_t lost_events;
};

struct vmt_record {
	enum vmt_rec_type type;
	uint64_t offset; /* file offset of the record, for messages */
	union {
		struct vmt_process process;
		struct vmt_thread thread;
		struct vmt_file file;
		struct vmt_map map;
		struct vmt_op op;
		struct vmt_event event; /* EXEC, EXIT, COMM */
		struct vmt_lost lost;
		struct vmt_end end;
	};
};

/* ---- operation descriptions (ops.c) ---- */

enum vmt_arg_type {
	VMT_ARG_ADDR, /* printed in hex */
	VMT_ARG_LEN,
	VMT_ARG_PROT,
	VMT_ARG_MMAP_FLAGS,
	VMT_ARG_MREMAP_FLAGS,
	VMT_ARG_ADVICE,
	VMT_ARG_FD, /* signed */
	VMT_ARG_INT, /* signed decimal */
	VMT_ARG_HEX,
};

struct vmt_op_desc {
	const char *name;
	uint8_t nargs;
	const char *arg_names[VMT_MAX_ARGS];
	enum vmt_arg_type arg_types[VMT_MAX_ARGS];
	bool ret_is_addr;
};

extern const struct vmt_op_desc vmt_op_descs[VMT_OP_NR];

/* Number of arguments of an op (for OTHER, op->nargs). */
static inline unsigned int vmt_op_nargs(const struct vmt_op *op)
{
	return op->kind == VMT_OP_OTHER ? op->nargs : vmt_op_descs[op->kind].nargs;
}

int vmt_op_kind_from_name(const char *name); /* -1 if unknown */
const char *vmt_clock_name(uint32_t clock);
int vmt_clock_from_name(const char *name); /* -1 if unknown */
const char *vmt_rec_type_name(enum vmt_rec_type type);
/* The address range an op changes, in the traced address space; false if it has none. */
bool vmt_op_range(const struct vmt_op *op, uint64_t *start, uint64_t *end);
/* True when the op failed in the trace (a complete op returning -4095..-1). */
bool vmt_op_failed(const struct vmt_op *op);

/* ---- reader (trace.c) ---- */

struct vmt_reader;

/*
 * vmt_reader_open - open a trace and check its header
 * @path: file name, "-" for standard input
 *
 * Returns the reader, or NULL with a message in @err (size @errlen).
 */
struct vmt_reader *vmt_reader_open(const char *path, char *err, size_t errlen);
/*
 * vmt_reader_next - the next record
 *
 * Returns 1 with @rec filled, 0 after the END record has been read and checked
 * (rec then holds END), -1 on a damaged or truncated file (see vmt_reader_error).
 * Definition records are also kept in the reader's tables.
 */
int vmt_reader_next(struct vmt_reader *r, struct vmt_record *rec);
const char *vmt_reader_error(const struct vmt_reader *r);
const struct vmt_header *vmt_reader_header(const struct vmt_reader *r);
const struct vmt_process *vmt_reader_process(const struct vmt_reader *r, uint32_t idx);
const struct vmt_thread *vmt_reader_thread(const struct vmt_reader *r, uint32_t idx);
const struct vmt_file *vmt_reader_file(const struct vmt_reader *r, uint32_t idx);
uint32_t vmt_reader_nprocesses(const struct vmt_reader *r);
uint32_t vmt_reader_nthreads(const struct vmt_reader *r);
uint32_t vmt_reader_nfiles(const struct vmt_reader *r);
uint64_t vmt_reader_offset(const struct vmt_reader *r); /* bytes consumed so far */
void vmt_reader_close(struct vmt_reader *r);

/* ---- writer (trace.c) ---- */

struct vmt_writer;

/*
 * vmt_writer_open - start a trace at @path
 *
 * The trace is written to a temporary file beside @path and renamed over it
 * only by a successful vmt_writer_close(), so an existing file is replaced
 * only by a complete trace.
 */
struct vmt_writer *vmt_writer_open(const char *path, const struct vmt_header *hdr, char *err,
				   size_t errlen);
/* Each returns the index of the new entry, or -1. */
int64_t vmt_writer_add_process(struct vmt_writer *w, const struct vmt_process *p);
int64_t vmt_writer_add_thread(struct vmt_writer *w, const struct vmt_thread *t);
int64_t vmt_writer_add_file(struct vmt_writer *w, const struct vmt_file *f);
/* Write any non-END record (definitions included); times must not go backwards. */
int vmt_writer_write(struct vmt_writer *w, const struct vmt_record *rec);
int vmt_writer_op(struct vmt_writer *w, const struct vmt_op *op);
/* Lost events known only at the end of a capture; stored in the header and END. */
void vmt_writer_set_lost(struct vmt_writer *w, uint64_t lost_events);
/* Finish: END record, header update, fsync, rename.  Frees @w either way; on failure
 * the temporary file is removed and the message is left in @err. */
int vmt_writer_close(struct vmt_writer *w, char *err, size_t errlen);
/* Give up: remove the temporary file, keep whatever was at the path. */
void vmt_writer_abort(struct vmt_writer *w);
const char *vmt_writer_error(const struct vmt_writer *w);

/* Fill the host fields of a header (kernel, arch, hostname, page size, now). */
void vmt_header_init(struct vmt_header *hdr, const char *source, uint32_t clock);

/* ---- text form (text.c): `vmatrace dump` output, `vmatrace convert` input ---- */

/* Print the header line(s) and one line per record. */
void vmt_text_header(FILE *out, const struct vmt_header *hdr);
void vmt_text_record(FILE *out, const struct vmt_reader *r, const struct vmt_record *rec);

struct vmt_text_parser;
struct vmt_text_parser *vmt_text_parser_new(const char *name);
/*
 * vmt_text_parse_line - parse one line of the text form
 *
 * Returns 1 with @rec filled, 2 for the header line (@hdr filled),
 * 0 for a blank or comment line, -1 with a message naming the line on error.
 */
int vmt_text_parse_line(struct vmt_text_parser *p, char *line, struct vmt_header *hdr,
			struct vmt_record *rec);
const char *vmt_text_error(const struct vmt_text_parser *p);
uint64_t vmt_text_line(const struct vmt_text_parser *p); /* lines read so far */
void vmt_text_parser_free(struct vmt_text_parser *p);

#endif /* VMT_H */
