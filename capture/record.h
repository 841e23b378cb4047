/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * record.h - live capture of address-space system calls through a private
 * tracefs instance: the engine behind `vmatrace record`
 *
 * The engine creates its own instance (vmatrace-record-<pid>), follows the
 * traced tasks with set_event_pid and the event-fork option, streams the
 * per-CPU ring buffers while the workload runs, pairs each syscall's enter
 * and exit events into one operation record, and writes the trace in time
 * order.  It never touches the global buffer or ftrace_enabled.  See
 * capture/record.c for the pipeline and docs/record.md for the user's view.
 *
 * Functions return -1 with a one-line message in @err and never exit or
 * print; the command (cmd-record.c) prints.
 */
#ifndef VMT_RECORD_H
#define VMT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Ring buffer per CPU unless --buffer-kb says otherwise. */
#define RECORD_BUFFER_KB_DEFAULT 16384
/* Exit status of `vmatrace record` when the trace was written but events were lost. */
#define RECORD_EXIT_LOST 3

struct record_stats;

struct record_opts {
	const char *output; /* trace file, written atomically */
	char *const *argv;  /* command to launch (NULL-terminated), or NULL with -p */
	const pid_t *pids;  /* processes to attach to, or NULL */
	size_t npids;
	uint64_t duration_ns;	/* stop after this long; 0: when the target ends */
	unsigned int buffer_kb; /* ring buffer per CPU */
	bool no_children;    /* threads only: other processes forked by the target are not traced */
	const char *cmdline; /* for the trace header */
	/* Called about twice a second while capturing, if set. */
	void (*progress)(const struct record_stats *st, void *arg);
	void *progress_arg;
};

struct record_stats {
	uint64_t events; /* ring-buffer events decoded */
	uint64_t ops;	 /* OP records written */
	uint64_t processes, threads, files;
	uint64_t files_unresolved; /* file-backed mmaps whose file could not be established */
	uint64_t no_exit;	   /* ops written with VMT_OPF_NO_EXIT */
	uint64_t
		unmatched_exits; /* exit events without their enter (in flight at attach, or lost) */
	uint64_t ignored;	 /* events of other processes dropped for --no-children */
	uint64_t unknown_tasks;	 /* tasks first seen by an event, identified through /proc */
	uint64_t lost;		 /* events lost in all, as stored in the trace header */
	uint64_t late;		 /* events that arrived after the reorder window (part of lost) */
	uint64_t *lost_cpu;	 /* lost per CPU, ncpus entries */
	int ncpus;
	uint64_t elapsed_ns; /* capture time so far */
	pid_t pid;	     /* the launched command, 0 with -p */
	int status;	     /* its wait status, when status_known */
	bool status_known;
	bool interrupted; /* stopped by record_interrupt() */
	bool timed_out;	  /* stopped by the duration */
};

/**
 * record_check - can this process record here?
 * @err: the reason when not
 * @errlen: size of @err
 *
 * Checks for root (or write access to the tracefs instances directory),
 * mounts tracefs at /sys/kernel/tracing if it is only unmounted, and checks
 * that the kernel has the syscall and task tracepoints.
 *
 * Return: 0, or -1 with a one-line message saying what is needed.
 */
int record_check(char *err, size_t errlen);

/**
 * record_run - capture a command or running processes into a trace
 * @o: what to capture and where
 * @st: filled with the counts, also on failure; free with record_stats_free()
 * @err: message on failure
 * @errlen: size of @err
 *
 * Blocks until the command exits (or every attached process has), the
 * duration has passed, or record_interrupt() is called.  The instance is
 * destroyed on every return path.  On failure nothing is left at
 * @o->output (an existing file there is kept).
 *
 * Return: 0 when the trace was written (check @st->lost), -1 on failure.
 */
int record_run(const struct record_opts *o, struct record_stats *st, char *err, size_t errlen);

/**
 * record_interrupt - make a running record_run() stop and write its trace
 *
 * Async-signal-safe: meant for SIGINT and SIGTERM handlers.
 */
void record_interrupt(void);

/**
 * record_stats_free - release what record_run() allocated in @st
 * @st: the statistics
 */
void record_stats_free(struct record_stats *st);

#endif /* VMT_RECORD_H */
