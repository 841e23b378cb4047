/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * readers.h - the monitors: processes that read another process's memory
 * map the way production monitors do, timing every pass; and the probe that
 * measures which lock each kind of read takes on the running kernel
 */
#ifndef VMT_READERS_H
#define VMT_READERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "hist.h"
#include "tearing.h"

enum reader_kind {
	READER_MAPS, /* read /proc/PID/maps in full */
	READER_SMAPS, /* read /proc/PID/smaps in full */
	READER_SMAPS_ROLLUP, /* read /proc/PID/smaps_rollup */
	READER_PROCMAP_QUERY, /* walk every VMA with the PROCMAP_QUERY ioctl */
	READER_KIND_NR
};

const char *reader_kind_name(enum reader_kind kind);
int reader_kind_from_name(const char *name); /* -1 if unknown */

struct reader_config {
	enum reader_kind kind;
	int nice; /* nice level of the reader processes */
	int cpu; /* CPU to pin them to, -1 for none */
	bool reopen; /* open, read, close each pass (true) or keep the fd and pread from 0 */
	size_t bufsize; /* read(2) size for the text kinds */
	/*
	 * --check-tearing: the op log of each target's replay process (NULL: no
	 * check), and the part of the address space judged (the replay area).
	 * smaps_rollup shows no VMAs and is never checked.
	 */
	struct oplog *const *logs;
	uint64_t area_lo, area_hi;
};

#define READER_TEAR_EXAMPLES 3

/*
 * What one reader process measured; lives in shared memory written by the
 * reader and read by the controller after the reader has exited.
 */
struct reader_stats {
	struct hist pass; /* ns per full pass over one target */
	uint64_t passes, bytes, vmas, errors;
	int last_errno;
	/* --check-tearing: pairs of passes checked, not checkable (log wrapped), tears */
	uint64_t checked, unchecked, tears;
	char tear_examples[READER_TEAR_EXAMPLES][1024];
};

/*
 * reader_loop - read the targets' maps in turn until *@stop becomes non-zero
 * @cfg: what and how to read
 * @targets: the processes to read, @ntargets of them, one pass each in turn
 * @stop: set by the controller (shared memory) to end the loop
 * @st: where to count and time the passes
 *
 * Runs in a reader process after it applied @cfg's nice level and CPU.  A
 * pass is timed with CLOCK_MONOTONIC from before open (or the first read)
 * to after close (or the last read or ioctl).  A target that has exited ends
 * nothing: its failures are counted in st->errors.
 *
 * Return: 0, or -1 if the loop could not start (errno set).
 */
int reader_loop(const struct reader_config *cfg, const pid_t *targets, unsigned int ntargets,
		volatile int *stop, struct reader_stats *st);

/* Apply nice level and CPU affinity of @cfg to the calling process; -1 with errno on failure. */
int reader_apply_sched(int nice_level, int cpu);

/* What the probe found for one reader kind. */
struct probe_kind {
	bool measured;
	uint64_t passes;
	uint64_t acquisitions; /* mmap_lock acquisitions of the target's mm by the reader */
	double per_pass;
	bool takes_mmap_lock; /* per_pass >= 0.5 */
};

struct probe_result {
	bool measured; /* false: inferred from the kernel version */
	char method[64]; /* "tracefs mmap_lock events" or "inferred from kernel X.Y" */
	char reason[256]; /* why it is inferred (not root, no tracefs, ...) */
	char kernel[128];
	struct probe_kind kinds[READER_KIND_NR];
};

/*
 * probe_run - measure which lock each reader kind takes on this kernel
 * @res: filled in; on failure to measure, filled by inference and
 *       res->measured is false with res->reason saying why
 * @passes: passes of each reader kind to trace
 *
 * Uses a private tracefs instance (removed before returning, also stale ones
 * of earlier killed runs) with the mmap_lock events filtered to a reader
 * process, counting the acquisitions of the target process's mm.
 *
 * Return: 0 (measured or inferred), -1 only on internal errors.
 */
int probe_run(struct probe_result *res, unsigned int passes);

/* The probe as JSON: {"measured": bool, "method": ..., "kinds": {"maps": {...}, ...}}. */
json_object *probe_to_json(const struct probe_result *res);

#endif /* VMT_READERS_H */
