/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * replay.h - the replay engine: plan, relocation, worker threads, timing
 *
 *   controller ──fork──► replay process (one per traced process)
 *       │                   dispatcher thread: streams the trace, relocates
 *       │                   each op, orders it, pushes it to a worker's ring
 *       │                   worker threads: pace, issue the syscall, time it
 *       └──fork──► reader processes: read the replay processes' maps
 *
 * Everything the controller collects lives in one shared anonymous mapping
 * made before the forks (struct replay_shm); each process writes only its
 * own slot, and the controller reads a slot after its writer has exited.
 */
#ifndef VMT_REPLAY_H
#define VMT_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hist.h"
#include "readers.h"
#include "vmt.h"

/*
 * Where relocated clusters go: far from the kernel's top-down mmap area and the
 * heap, and above AddressSanitizer's x86_64 shadow (which ends at 0x10007fff7fff).
 *
 * ThreadSanitizer (x86_64) lets an application map only inside its "app"
 * ranges and kills the process on an mmap elsewhere; its shadow and metadata
 * take 0x010000000000-0x550000000000.  Under TSan the area is the bottom of
 * its middle app range (0x550000000000-0x568000000000), below the lowest
 * place a PIE binary and its heap load (0x555555554000): 320 GiB, enough
 * for the tests.
 *
 * AddressSanitizer's allocator maps and unmaps at 0x600000000000-0x640000000000
 * all the time, and glibc's heap grows and shrinks above the program: the
 * area ends below both, or the readers would take those unlogged changes for
 * tears (53 TiB).
 */
#if defined(__SANITIZE_THREAD__)
#define REPLAY_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define REPLAY_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_ASAN 1
#endif
#endif
#if defined(REPLAY_TSAN)
#define REPLAY_AREA_START 0x550000000000ull /* 85 TiB */
#define REPLAY_AREA_END 0x555000000000ull /* 85.3 TiB */
#else
/*
 * Below the replayer's own program and heap: x86_64 loads a PIE at 2/3 of
 * the address space, 0x555555554000 plus up to 1 TiB of randomisation, with
 * the heap just above.  A heap that glibc trims while the replay runs must
 * not be inside the area the tearing check watches.
 */
#define REPLAY_AREA_START 0x200000000000ull /* 32 TiB */
#define REPLAY_AREA_END 0x550000000000ull /* 85 TiB */
#endif
#define REPLAY_ALIGN (1ull << 30) /* deltas keep the 1 GiB alignment of every address */
#define REPLAY_GAP (1ull << 30) /* unmapped space between clusters: they never merge */
#define REPLAY_USER_LIMIT (1ull << 56) /* a traced address at or above this is impossible */

struct replay_options {
	const char *trace;
	const char *output;
	int64_t pid; /* -1: every traced process */
	unsigned int threads; /* 0: one worker per traced thread */
	double speed; /* 0: as fast as possible; else scale of the original pacing */
	unsigned int loops; /* 0: once, or as many as --duration needs */
	uint64_t duration_ns;
	unsigned int readers;
	int reader_kind; /* enum reader_kind */
	int reader_nice;
	int reader_cpu; /* -1: any */
	int writer_cpu; /* -1: any */
	bool reader_reopen;
	bool touch;
	bool check_tearing;
	bool lockstat;
	bool no_probe;
	bool quiet;
	const char *layout_out; /* write each replay process's final layout here */
	uint64_t interval_ns; /* writer latency series interval */
};

/* A run of the traced address space that is relocated as one piece. */
struct cluster {
	uint64_t start, end; /* traced addresses, page aligned */
	int64_t delta; /* replay address = traced address + delta */
};

/*
 * A line of the initial snapshot, as the replay needs it: without its name
 * (a 4 KiB buffer in struct vmt_map), so that a snapshot of many thousands of
 * VMAs stays small.
 */
struct plan_map {
	uint64_t start, end;
	uint64_t pgoff;
	uint32_t prot; /* VMT_MAP_* */
	uint32_t file; /* file index or VMT_NONE */
};

/* The plan for one traced process, from a first pass over the trace. */
struct plan_proc {
	uint32_t process; /* index in the trace */
	uint32_t pid; /* traced pid */
	char name[64];
	uint64_t ops;
	uint32_t nthreads;
	uint32_t nthreads_ops; /* threads with at least one op: the workers it needs */
	struct cluster *clusters;
	uint32_t nclusters;
	uint64_t footprint; /* bytes of all clusters */
	struct plan_map *maps; /* initial snapshot, but for the kernel's special mappings */
	uint32_t nmaps, maps_cap;
};

enum skip_reason {
	SKIP_DANGEROUS_ADVICE, /* madvise HWPOISON, SOFT_OFFLINE */
	SKIP_UNSUPPORTED, /* other syscalls, process_madvise */
	SKIP_IMPOSSIBLE, /* length 0, beyond the address space, kernel half */
	SKIP_NO_EXIT, /* never completed in the trace: its outcome is unknown */
	SKIP_NR
};

extern const char *const skip_reason_names[SKIP_NR];

struct plan {
	struct plan_proc *procs;
	uint32_t nprocs;
	uint32_t nthreads_total;
	uint64_t t_first, t_last; /* trace time of the first and last op */
	uint8_t *thread_ops; /* per trace thread index: 1 if it has ops */
	uint64_t *file_size; /* stand-in size of each traced file */
	uint32_t nfiles;
	uint64_t ops;
	uint64_t lost_events;
	uint32_t page_size;
};

/* plan.c */
int plan_build(const char *trace, int64_t pid, struct plan *plan, char *err, size_t errlen);
void plan_free(struct plan *plan);
/* The cluster holding traced address @addr, or NULL. */
const struct cluster *plan_cluster(const struct plan_proc *pp, uint64_t addr);

/* Per-interval writer latency, for "latency over time" plots. */
#define REPLAY_SERIES_MAX 4096
struct series_point {
	uint64_t count, sum_ns, max_ns;
};

/* What one replay process measured; a slot of the shared memory. */
/* An op whose outcome differed from the trace's, for the results (at most REPLAY_MISMATCH_EXAMPLES kept) */
#define REPLAY_MISMATCH_EXAMPLES 8
struct replay_mismatch {
	uint64_t t; /* the op's traced enter time, ns */
	uint32_t tid; /* traced thread */
	uint8_t kind; /* enum vmt_op_kind */
	int64_t traced; /* what the trace says it returned: -errno, 0, or an address (relocated) */
	int64_t replayed; /* what it returned here */
};

struct replay_stats {
	pid_t pid;
	uint32_t process; /* index of the traced process in the plan (set by the controller) */
	uint32_t threads; /* replay threads it ran */
	volatile int state; /* enum replay_state */
	volatile uint64_t progress; /* ops handed to workers so far, for the progress line */
	char error[256];
	uint64_t t_start, t_end; /* CLOCK_MONOTONIC of the timed phase */
	uint64_t ops, setup_ops, loops, conflicts, mismatches, errors, execs;
	uint64_t inferred; /* mappings made for memory the trace uses but never mapped */
	uint64_t bounded; /* MAP_POPULATE/MAP_LOCKED dropped, MADV_POPULATE_* cut, above 1 GiB */
	uint64_t skipped[SKIP_NR];
	uint64_t placed_clusters;
	uint32_t nmismatch_ex;
	struct replay_mismatch mismatch_ex[REPLAY_MISMATCH_EXAMPLES];
	struct hist op[VMT_OP_NR]; /* service time per kind */
	struct hist all;
	struct hist late; /* start - schedule, paced replay only */
	/* start - max(schedule, the worker's previous op's end): the pacer's own error */
	struct hist pacing;
	struct hist delay; /* end - schedule: what a caller waiting on the schedule saw */
	uint32_t nseries;
	struct series_point series[REPLAY_SERIES_MAX];
};

enum replay_state {
	REPLAY_STARTING,
	REPLAY_READY, /* set up, waiting for go */
	REPLAY_RUNNING,
	REPLAY_DONE,
	REPLAY_FAILED,
};

struct replay_shm {
	volatile int stop; /* controller: stop now (Ctrl-C, duration) */
	volatile int go; /* controller: start the timed replay */
	volatile int readers_stop;
	volatile int release; /* controller: readers are done, replay processes may exit */
	uint64_t go_ns; /* CLOCK_MONOTONIC of go: the schedule's zero */
	uint32_t nreplays, nreaders;
	struct replay_stats *replays; /* nreplays slots, in the same mapping */
	struct reader_stats *readers; /* nreaders slots */
	struct oplog *oplogs; /* --check-tearing: one per replay process, else NULL */
};

/* engine.c: the body of one replay process; returns its exit code. */
int replay_process_main(const struct replay_options *opt, const struct plan *plan,
			const struct plan_proc *pp, const char *standin_dir, struct replay_shm *shm,
			struct replay_stats *st);

#endif /* VMT_REPLAY_H */
