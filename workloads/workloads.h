/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * workloads.h - synthetic workloads: the seed email's merge/split scenarios,
 * the mapper benchmark, and the verifier that checks the scenarios against
 * the running kernel
 *
 * A scenario is data (scenarios.c): a start layout of VMAs in an area of a
 * few pages, and a cycle of steps that takes one kernel merge or split path
 * and comes back to the start layout.  The trace generator (generate.c) and
 * the verifier (verify.c) both turn the same steps into struct vmt_op with
 * wl_step_op(), so what is verified against the kernel is what is replayed.
 */
#ifndef VMT_WORKLOADS_H
#define VMT_WORKLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "procmap.h"
#include "vmt.h"

#define WL_MAX_VMAS 4  /* VMAs in a layout */
#define WL_MAX_STEPS 4 /* steps in a cycle */
#define WL_MAX_SETUP 8 /* setup steps a start layout needs */

/* A VMA of a layout: pages [start, end) from the area's base, PROT_* bits. */
struct wl_vma {
	int16_t start, end;
	uint8_t prot;
};

enum wl_op {
	WL_MMAP = 1, /* mmap MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS */
	WL_MUNMAP,
	WL_MPROTECT,
	WL_MREMAP, /* mremap [page, +npages) to to_npages, at to_page when mflags has MREMAP_FIXED */
};

/* One operation of a scenario and the layout the kernel leaves after it. */
struct wl_step {
	enum wl_op op;
	int16_t page, npages;		  /* the range [page, page + npages) */
	uint8_t prot;			  /* WL_MMAP, WL_MPROTECT */
	const char *path;		  /* the kernel path it takes, in the seed email's names */
	struct wl_vma after[WL_MAX_VMAS]; /* ends at the first empty entry */
	int16_t to_page, to_npages;	  /* WL_MREMAP: the destination and new size */
	uint8_t mflags;			  /* WL_MREMAP: MREMAP_* flags */
};

struct wl_scenario {
	const char *name;    /* the seed email's name, as a workload name */
	const char *title;   /* the seed email's heading */
	const char *summary; /* one line for --list */
	const char *diagram; /* the seed email's diagram */
	int16_t pages;	     /* size of the area the layouts live in */
	struct wl_vma start[WL_MAX_VMAS];
	unsigned int ncycle;
	struct wl_step cycle[WL_MAX_STEPS];
};

extern const struct wl_scenario wl_scenarios[];
extern const unsigned int wl_nscenarios;
/*
 * The patterns of the kernel's proc-maps-race selftest (split, resize,
 * remap), the same kind of table: not in all-scenarios or --verify all, which
 * are the seed email's ten.
 */
extern const struct wl_scenario wl_selftests[];
extern const unsigned int wl_nselftests;

/* The scenario called @name, or NULL. */
const struct wl_scenario *wl_scenario_find(const char *name);

/*
 * The steps that build a scenario's start layout in an empty area: one mmap
 * of each run of adjacent VMAs, read-write, then an mprotect of each VMA that
 * is not read-write.  Carved out of one mapping, VMAs of equal protection
 * have equal vm_flags (VM_ACCOUNT included) on every kernel, so every merge
 * the cycle expects is allowed (scenarios.c says why).  Returns the number of
 * steps, at most @max.
 */
unsigned int wl_scenario_setup(const struct wl_scenario *s, struct wl_step *steps,
			       unsigned int max);

/* Number of VMAs in a layout. */
unsigned int wl_layout_len(const struct wl_vma *layout);
bool wl_layout_equal(const struct wl_vma *a, unsigned int na, const struct wl_vma *b,
		     unsigned int nb);
/* "[0,1)rw- [1,3)r-- [3,4)rw-", "(empty)" for none. */
void wl_layout_format(char *buf, size_t size, const struct wl_vma *layout, unsigned int n);
/* "mprotect [1,2) rw-", "munmap [2,3)" */
void wl_step_format(char *buf, size_t size, const struct wl_step *st);
/* "rw-" */
const char *wl_prot_str(unsigned int prot, char buf[4]);

/*
 * wl_step_op - the trace operation of a step
 * @st: the step
 * @base: address of the area's first page
 * @page_size: bytes per page
 * @op: filled with kind, args and the return value of success; times,
 *	thread and flags are left to the caller
 */
void wl_step_op(const struct wl_step *st, uint64_t base, uint64_t page_size, struct vmt_op *op);

/* Print the --list NAME description of a scenario: diagram, setup, cycle. */
void wl_scenario_describe(FILE *out, const struct wl_scenario *s);

/* ---- the generator (generate.c, mapper.c) ---- */

/* A small, fast, seedable generator (splitmix64): the same seed, the same trace. */
struct wl_rng {
	uint64_t s;
};

static inline uint64_t wl_rng_next(struct wl_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) for 0 < n <= 2^32 (multiply-shift; the bias is below n / 2^32). */
static inline uint64_t wl_rng_below(struct wl_rng *r, uint64_t n)
{
	return ((wl_rng_next(r) >> 32) * n) >> 32;
}

/* Uniform in [0, 1). */
static inline double wl_rng_unit(struct wl_rng *r)
{
	return (double)(wl_rng_next(r) >> 11) * 0x1.0p-53;
}

/* One generating thread of a workload: its window, clock and position. */
struct wl_thread {
	uint32_t index; /* thread index in the trace */
	uint64_t t;	/* trace time at which its next op enters */
	uint64_t base;	/* its address window */
	uint64_t page_size;
	struct wl_rng rng;
	uint64_t nops; /* ops generated so far */
	/* scenario threads */
	const struct wl_scenario *sc;
	struct wl_step setup[WL_MAX_SETUP];
	unsigned int nsetup;
	/* mapper threads */
	uint64_t npages;
	uint8_t *mapped; /* bitmap: which pages of the region are mapped */
	/*
	 * Fill @op (kind, args, ret) with the thread's next operation, its
	 * median cost on a real kernel and the pause the thread takes after it.
	 */
	void (*next)(struct wl_thread *th, struct vmt_op *op, uint64_t *cost_ns,
		     uint64_t *pause_ns);
};

/* Address windows: far from where programs and their libraries live. */
#define WL_WINDOW_BASE 0x4000000000ull /* 256 GiB: below a 39-bit arm64 TASK_SIZE too */
#define WL_SCENARIO_WINDOW (2ull << 20)
#define WL_MAPPER_WINDOW (256ull << 20)
#define WL_MAPPER_REGION (128ull << 20)
#define WL_MAX_THREADS 1024

void wl_scenario_thread_init(struct wl_thread *th, const struct wl_scenario *s);
int wl_mapper_thread_init(struct wl_thread *th);
void wl_mapper_thread_free(struct wl_thread *th);

struct wl_options {
	const char *name;     /* workload */
	uint32_t threads;     /* per scenario for all-scenarios */
	uint64_t max_ops;     /* stop after this many ops in all, 0 for no limit */
	uint64_t duration_ns; /* stop at this trace time, 0 for no limit */
	uint64_t seed;
	const char *output;
};

/*
 * Every workload, by index: the scenarios in table order, then mapper and
 * all-scenarios.  wl_workload_find() returns the index of a name or -1.
 */
#define WL_MAPPER "mapper"
#define WL_ALL_SCENARIOS "all-scenarios"
unsigned int wl_workload_count(void);
const char *wl_workload_name(unsigned int i);
const char *wl_workload_summary(unsigned int i);
int wl_workload_find(const char *name);
/* Print the --list NAME description of workload @i. */
void wl_workload_describe(FILE *out, unsigned int i);
extern const char wl_mapper_description[];

/* The command line a trace records: the generator's, every choice explicit. */
void wl_cmdline(char *buf, size_t size, const struct wl_options *o);

/*
 * wl_generate - write the trace of a workload
 *
 * Returns 0, or -1 with a one-line message in @err.
 */
int wl_generate(const struct wl_options *o, char *err, size_t errlen);

/* ---- the verifier (verify.c) ---- */

/*
 * wl_verify - run scenarios' cycles in this process and check every layout
 * @names: scenario names; "all" (or "all-scenarios") for all of them
 * @method: how to read the layouts
 * @out: where the report goes
 *
 * Returns EXIT_OK when every step passed, EXIT_FAIL otherwise.
 */
int wl_verify(char *const *names, int nnames, enum procmap_method method, FILE *out);
/* The same for a list of scenarios, which need not be in the table (tests). */
int wl_verify_list(const struct wl_scenario *const *list, unsigned int n,
		   enum procmap_method method, FILE *out);

#endif /* VMT_WORKLOADS_H */
