/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * import.h - turning other tools' captures into a vmatrace trace
 *
 *   strace log ──► import-strace.c ─┐
 *   ftrace text ─► import-ftrace.c ─┼─► import.c: tasks, ops, files ──► .vmt
 *   trace.dat ──► import-tracecmd.c ┘   (processes resolved, sorted, written)
 *
 * The readers only parse.  import.c owns what is common: the task table
 * (which tid belongs to which process), the ops and events collected from
 * the whole input, the files behind mmaps, the diagnostics (malformed lines,
 * ignored calls), and at the end the sort into time order and the writing.
 * ftrace text and trace.dat share one more layer, the ftrace event stream
 * (struct imp_fev), which pairs syscall enters with exits.
 *
 * Everything here returns -1 on failure with a message already reported
 * through imp_error(); nothing exits.
 */
#ifndef VMT_IMPORT_H
#define VMT_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"
#include "vmt.h"

/* ---- architectures and syscall numbers (syscalls.c) ---- */

enum imp_arch {
	IMP_ARCH_X86_64,
	IMP_ARCH_ARM64,
	IMP_ARCH_NR
};

/* What an importer does with a syscall. */
enum imp_sc_class {
	IMP_SC_OP,     /* an operation kind of the trace format */
	IMP_SC_MEMORY, /* another memory-management call: kept as an 'other' op */
	IMP_SC_CLONE,  /* clone, clone3, fork, vfork: who is a thread of whom */
	IMP_SC_EXEC,
	IMP_SC_EXIT,	/* exit, exit_group */
	IMP_SC_CLOSE,	/* ends the file an fd named (ftrace imports key files by fd) */
	IMP_SC_IGNORED, /* known by name only, to report what was not kept */
};

struct imp_syscall {
	const char *name;
	int nr[IMP_ARCH_NR]; /* -1: the architecture has no such call */
	uint8_t cls;	     /* enum imp_sc_class */
	uint8_t kind;	     /* IMP_SC_OP: enum vmt_op_kind */
	uint8_t nargs;	     /* arguments the kernel takes */
};

/* imp_syscall_by_name - the table entry of a call strace or a syscalls:* event names; NULL */
const struct imp_syscall *imp_syscall_by_name(const char *name);
/* imp_syscall_by_nr - the table entry of syscall @nr on @arch; NULL if not in the table */
const struct imp_syscall *imp_syscall_by_nr(enum imp_arch arch, int64_t nr);
/* imp_arch_name - "x86_64" or "arm64", as --arch takes them */
const char *imp_arch_name(enum imp_arch arch);
/* imp_arch_uname - "x86_64" or "aarch64", as uname -m (and a trace header) says */
const char *imp_arch_uname(enum imp_arch arch);
/* imp_arch_from_name - x86_64/amd64 or arm64/aarch64 to enum imp_arch; -1 if neither */
int imp_arch_from_name(const char *name);
/* imp_arch_host - the running machine's architecture, or -1 if it is neither */
int imp_arch_host(void);

/* ---- the import (import.c) ---- */

enum imp_pids {
	IMP_PIDS_DEFAULT,   /* each reader's documented default */
	IMP_PIDS_THREADS,   /* unexplained pids are threads of the first process */
	IMP_PIDS_PROCESSES, /* unexplained pids are processes of their own */
};

struct imp_options {
	const char *format; /* "strace", "ftrace", "tracecmd" */
	const char *input;
	const char *output;
	int arch;  /* enum imp_arch, or -1 when not given */
	int clock; /* enum vmt_clock, or -1 when not given */
	enum imp_pids pids;
	bool strict;		   /* a malformed line fails the import */
	bool resolve_files;	   /* stat strace's paths on this machine */
	unsigned int max_warnings; /* malformed lines shown one by one */
};

struct imp;

/* imp_new - an empty import with options @opts (copied; the strings must outlive it); NULL */
struct imp *imp_new(const struct imp_options *opts);
/* imp_free - free @im and everything it collected */
void imp_free(struct imp *im);
/* imp_opts - the options @im was made with */
const struct imp_options *imp_opts(const struct imp *im);

/* imp_error - report a failure of the whole import ("vmatrace: error: ..."); returns -1 */
int imp_error(struct imp *im, const char *fmt, ...) VMT_PRINTF(2, 3);
/*
 * imp_malformed - a line (or record) that could not be used in full
 * @line: its number in the input
 *
 * Warned as "FILE:LINE: message" up to the warning limit, counted always;
 * imp_finish() fails on any when --strict was given.
 */
void imp_malformed(struct imp *im, uint64_t line, const char *fmt, ...) VMT_PRINTF(3, 4);
/* imp_ignored - a call or event seen and not kept, counted under @what for the summary */
void imp_ignored(struct imp *im, const char *what);
/* imp_ignored_n - the same, @n times */
void imp_ignored_n(struct imp *im, const char *what, uint64_t n);
/* imp_lifecycle - a call or event used for the task tree only, counted under @what */
void imp_lifecycle(struct imp *im, const char *what);
/* imp_note - an input line that is no event (a signal, a tracer's note), counted under @what */
void imp_note(struct imp *im, const char *what);
/* imp_remark - a warning about the whole input, printed whatever the warning limit */
void imp_remark(struct imp *im, const char *fmt, ...) VMT_PRINTF(2, 3);

/*
 * Facts about the capture, for the header; each may be left unset.
 * imp_arch() is the architecture in force: --arch, else one a reader set,
 * else the host's (x86_64 on any other host).
 */
void imp_set_arch(struct imp *im, enum imp_arch arch);
int imp_arch(const struct imp *im);
void imp_set_clock(struct imp *im, uint32_t clock); /* --clock wins */
void imp_set_start_realtime(struct imp *im, uint64_t ns);
void imp_set_host(struct imp *im, const char *kernel, const char *hostname);
/* imp_set_default_pids - the reader's --pids default (see docs/importers.md) */
void imp_set_default_pids(struct imp *im, enum imp_pids pids);
/* imp_set_read - how much input was read, for the summary: (im, 1234, "lines") */
void imp_set_read(struct imp *im, uint64_t n, const char *unit);

/*
 * The tasks.  A tid names a task until it exits; after that the same tid is
 * a new task (pid reuse).  @t is in ns; @seq orders events of equal time
 * (the line or record number of the input).
 *
 * imp_task_seen - @tid did something at @t, showing the name @comm (NULL or
 *	"" if the input has none); a changed name becomes a COMM record
 * imp_task_tgid - the input says @tid belongs to process @tgid
 * imp_clone - @parent created @child at @t: @thread 1 as a thread of its
 *	process, 0 as a process, -1 unknown; told twice, the task is one
 * imp_exec - @tid executed @filename at @t: an EXEC record, and the name
 * imp_exit - @tid ended at @t with exit status @code: an EXIT record
 * imp_lost - the capture lost @count events on @cpu: a LOST record
 * imp_close_fd - @tid closed @fd: the next mmap of that fd is another file
 */
void imp_task_seen(struct imp *im, uint32_t tid, uint64_t t, uint64_t seq, const char *comm);
void imp_task_tgid(struct imp *im, uint32_t tid, uint32_t tgid);
void imp_clone(struct imp *im, uint64_t t, uint64_t seq, uint32_t parent, uint32_t child,
	       int thread);
void imp_exec(struct imp *im, uint64_t t, uint64_t seq, uint32_t tid, const char *filename);
void imp_exit(struct imp *im, uint64_t t, uint64_t seq, uint32_t tid, int64_t code);
void imp_lost(struct imp *im, uint64_t t, uint64_t seq, uint32_t cpu, uint64_t count);
void imp_close_fd(struct imp *im, uint64_t t, uint64_t seq, uint32_t tid, int64_t fd);

/*
 * imp_op - add an operation made by @tid
 * @op: filled but for thread and file; op->t_enter is its place in time
 * @path: the file behind an mmap's fd when the input names it (strace -y),
 *        else NULL: a file-backed mmap then gets an unresolved file per
 *        process and fd, until the fd is closed
 */
int imp_op(struct imp *im, uint64_t seq, uint32_t tid, const struct vmt_op *op, const char *path);

/*
 * imp_finish - write the trace
 *
 * Resolves which task belongs to which process, sorts everything into time
 * order, writes the trace atomically and prints the summary.  Returns 0, or
 * -1 (reported) with nothing written: --strict and a malformed line, or a
 * failure to write.
 */
int imp_finish(struct imp *im);

/* ---- the ftrace event stream (import-ftrace.c), shared with trace.dat ---- */

enum imp_fev_type {
	IMP_FEV_ENTER, /* a syscall entry: raw_syscalls:sys_enter or syscalls:sys_enter_* */
	IMP_FEV_EXIT,
	IMP_FEV_NEWTASK,   /* task:task_newtask: pid2 was created, flags = clone flags */
	IMP_FEV_FORK,	   /* sched:sched_process_fork: pid2 was forked */
	IMP_FEV_EXEC,	   /* sched:sched_process_exec: text = file name */
	IMP_FEV_TASK_EXIT, /* sched:sched_process_exit */
	IMP_FEV_RENAME,	   /* task:task_rename: text = the new name */
	IMP_FEV_LOST,	   /* count events lost on cpu */
};

struct imp_fev {
	uint64_t t, seq;
	uint32_t tid;
	uint32_t tgid; /* 0: unknown */
	uint32_t cpu;
	uint8_t type; /* enum imp_fev_type */
	bool raw;     /* raw_syscalls: nr is the number; else name is the call */
	uint8_t nargs;
	int64_t nr;
	char name[32]; /* the syscall ("mmap") of a syscalls:* event */
	char comm[16]; /* the task's name as the line shows it, "" if unknown */
	uint64_t args[VMT_MAX_ARGS];
	int64_t ret;
	uint32_t pid2;	  /* NEWTASK, FORK: the new task */
	uint64_t flags;	  /* NEWTASK: clone flags */
	uint64_t count;	  /* LOST */
	const char *text; /* EXEC: file name, RENAME: new name; copied */
};

struct imp_ftrace;

/* imp_ftrace_new - an empty event stream feeding @im; NULL */
struct imp_ftrace *imp_ftrace_new(struct imp *im);
/*
 * imp_ftrace_event - collect one event, in input order
 *
 * @ev is copied (its text too).  Syscalls that the import neither keeps nor
 * uses are counted and dropped here.  Returns 0 or -1 (out of memory).
 */
int imp_ftrace_event(struct imp_ftrace *fs, const struct imp_fev *ev);
/* imp_ftrace_other - an event of another kind: kept out, counted by name */
void imp_ftrace_other(struct imp_ftrace *fs, const char *event);
/*
 * imp_ftrace_finish - settle the architecture, pair enters with exits and
 * hand ops and lifecycle to the import; frees @fs.  Returns 0 or -1.
 */
int imp_ftrace_finish(struct imp_ftrace *fs);
/* imp_ftrace_free - free @fs without finishing it (NULL is fine) */
void imp_ftrace_free(struct imp_ftrace *fs);

/* ---- a small tid-keyed map (import.c), for the readers' per-task state ---- */

struct imp_idmap {
	uint32_t *keys; /* key + 1; 0 is empty */
	int64_t *vals;
	size_t cap, n;
};

/* imp_idmap_put - map @key to @val (a zeroed map is empty); 0, or -1 out of memory */
int imp_idmap_put(struct imp_idmap *m, uint32_t key, int64_t val);
/* imp_idmap_get - the value of @key, -1 if absent */
int64_t imp_idmap_get(const struct imp_idmap *m, uint32_t key);
/* imp_idmap_free - free the map's arrays */
void imp_idmap_free(struct imp_idmap *m);

/*
 * ---- the readers ----
 * imp_read_strace, imp_read_ftrace, imp_read_tracecmd - read the file at
 * @path (gzip or plain; "-" is standard input for the text formats) into
 * @im.  Malformed lines are reported and counted, not fatal.  Returns 0, or
 * -1 (reported) when the file cannot be read.
 */
int imp_read_strace(struct imp *im, const char *path);
int imp_read_ftrace(struct imp *im, const char *path);
int imp_read_tracecmd(struct imp *im, const char *path);

#endif /* VMT_IMPORT_H */
