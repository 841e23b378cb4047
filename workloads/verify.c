// SPDX-License-Identifier: GPL-2.0-only
/*
 * verify.c - vmatrace workload --verify: run each scenario's cycle in this
 * process and check the VMA layout after every step
 *
 * As tools/testing/selftests/mm/merge.c does, each scenario gets a fresh
 * carve-out: its area plus one guard page on each side, reserved with
 * mmap(PROT_NONE).  The area is then unmapped, and the scenario's own setup
 * steps place its VMAs, exactly as the generated trace does: the same steps
 * through the same wl_step_op(), only the base address differs.  The guards
 * stay PROT_NONE, so nothing outside the area can merge with it, and nothing
 * else can be mapped into its holes while it runs.  The pages are never
 * touched, so no anon_vma is made and none can block a merge.
 *
 * The layout is read back with PROCMAP_QUERY (or /proc/self/maps) after the
 * setup and after every step of two rounds of the cycle: the second round
 * starts from what the first left, as every later round of a trace does.
 * Results are kept and printed once the scenario's carve-out is gone, so no
 * stdio buffer can be allocated into a scenario's area while it runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workloads.h"
#include "util.h"

#define ROUNDS 2
#define MAX_SEEN 16 /* VMAs kept of an observed layout; more is a failure anyway */
#define MAX_RESULTS (1 + ROUNDS * WL_MAX_STEPS)

struct result {
	char step[8]; /* "setup", "1.2" */
	char op[48];
	const char *path;
	char expect[160];
	char got[160];
	bool pass;
};

static int64_t exec_op(const struct vmt_op *op)
{
	void *addr = (void *)(uintptr_t)op->args[0];
	size_t len = (size_t)op->args[1];
	void *p;

	switch (op->kind) {
	case VMT_OP_MMAP:
		p = mmap(addr, len, (int)op->args[2], (int)op->args[3], (int)(int64_t)op->args[4],
			 (off_t)op->args[5]);
		return p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
	case VMT_OP_MUNMAP:
		return munmap(addr, len) ? -errno : 0;
	case VMT_OP_MPROTECT:
		return mprotect(addr, len, (int)op->args[2]) ? -errno : 0;
	case VMT_OP_MREMAP:
		p = mremap(addr, len, (size_t)op->args[2], (int)op->args[3], (void *)(uintptr_t)op->args[4]);
		return p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
	default:
		return -ENOSYS;
	}
}

static int16_t clamp_page(int64_t p)
{
	return (int16_t)(p < INT16_MIN ? INT16_MIN : p > INT16_MAX ? INT16_MAX : p);
}

/* The VMAs that meet [base, base + pages), in pages from base. */
static int observe(struct procmap *pm, uint64_t base, uint64_t page_size, int16_t pages,
		   struct wl_vma *seen, unsigned int *n)
{
	uint64_t end = base + (uint64_t)pages * page_size;
	struct procmap_vma vma;
	int r;

	*n = 0;
	if (procmap_rewind(pm, base))
		return -1;
	while ((r = procmap_next(pm, &vma)) > 0 && vma.start < end) {
		struct wl_vma v;

		v.start = clamp_page(((int64_t)vma.start - (int64_t)base) / (int64_t)page_size);
		v.end = clamp_page(((int64_t)vma.end - (int64_t)base) / (int64_t)page_size);
		v.prot = (uint8_t)((vma.prot & VMT_MAP_READ ? PROT_READ : 0) |
				   (vma.prot & VMT_MAP_WRITE ? PROT_WRITE : 0) |
				   (vma.prot & VMT_MAP_EXEC ? PROT_EXEC : 0));
		if (*n < MAX_SEEN)
			seen[(*n)++] = v;
	}
	return r < 0 ? -1 : 0;
}

/* Run @st, then compare the layout with @expect; fills @res. */
static int check_step(struct procmap *pm, const struct wl_scenario *s, uint64_t base,
		      uint64_t page_size, const struct wl_step *steps, unsigned int nsteps,
		      const struct wl_vma *expect, struct result *res)
{
	struct wl_vma seen[MAX_SEEN];
	unsigned int nseen;
	const char *failed = NULL;
	int64_t ret = 0;

	wl_layout_format(res->expect, sizeof(res->expect), expect, wl_layout_len(expect));
	for (unsigned int i = 0; i < nsteps && !failed; i++) {
		const struct wl_step *st = &steps[i];
		struct vmt_op op;

		/* never let a wrong table map over anything but the carve-out */
		if (st->page < 0 || st->npages <= 0 || st->page + st->npages > s->pages ||
		    (st->op == WL_MREMAP && (st->to_page < 0 || st->to_npages <= 0 ||
					     st->to_page + st->to_npages > s->pages ||
					     st->page + st->to_npages > s->pages))) {
			failed = "step outside the area";
			break;
		}
		wl_step_op(st, base, page_size, &op);
		ret = exec_op(&op);
		if (ret != op.ret)
			failed = vmt_op_descs[op.kind].name;
	}
	if (failed) {
		if (ret < 0 && ret >= -4095)
			fmt_into(res->got, sizeof(res->got), "%s failed: %s", failed,
				 strerror((int)-ret));
		else
			fmt_into(res->got, sizeof(res->got), "%s", failed);
		res->pass = false;
		return 0;
	}
	if (observe(pm, base, page_size, s->pages, seen, &nseen))
		return -1;
	wl_layout_format(res->got, sizeof(res->got), seen, nseen);
	res->pass = wl_layout_equal(seen, nseen, expect, wl_layout_len(expect));
	return 0;
}

static int run_scenario(const struct wl_scenario *s, struct procmap *pm, uint64_t page_size,
			struct result *res, unsigned int *nres)
{
	struct wl_step setup[WL_MAX_SETUP];
	unsigned int nsetup = wl_scenario_setup(s, setup, WL_MAX_SETUP);
	size_t area = (size_t)s->pages * page_size, total = area + 2 * page_size;
	char *carve;
	uint64_t base;
	int ret = 0;

	*nres = 0;
	carve = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (carve == MAP_FAILED)
		return error("cannot reserve %zu bytes for %s: %s", total, s->name,
			     strerror(errno));
	base = (uint64_t)(uintptr_t)carve + page_size;
	if (munmap(carve + page_size, area)) {
		ret = error("cannot unmap the area of %s: %s", s->name, strerror(errno));
		goto out;
	}

	strlcpy_(res[0].step, "setup", sizeof(res[0].step));
	fmt_into(res[0].op, sizeof(res[0].op), "%u op%s", nsetup, nsetup == 1 ? "" : "s");
	res[0].path = "-";
	if (check_step(pm, s, base, page_size, setup, nsetup, s->start, &res[0]))
		goto perr;
	(*nres)++;
	/* the rounds run on from whatever the setup left, even a wrong layout */
	for (unsigned int round = 1; round <= ROUNDS; round++) {
		for (unsigned int i = 0; i < s->ncycle; i++) {
			const struct wl_step *st = &s->cycle[i];
			struct result *r = &res[*nres];

			fmt_into(r->step, sizeof(r->step), "%u.%u", round, i + 1);
			wl_step_format(r->op, sizeof(r->op), st);
			r->path = st->path;
			if (check_step(pm, s, base, page_size, st, 1, st->after, r))
				goto perr;
			(*nres)++;
		}
	}
	goto out;
perr:
	ret = error("cannot read the VMAs of this process (%s): %s",
		    procmap_method_name(procmap_method(pm)), strerror(errno));
out:
	munmap(carve, total);
	return ret;
}

int wl_verify_list(const struct wl_scenario *const *list, unsigned int n,
		   enum procmap_method method, FILE *out)
{
	uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	unsigned int steps = 0, failed = 0;
	struct procmap *pm;

	pm = procmap_open(0, method);
	if (!pm)
		return error("cannot read /proc/self/maps with %s: %s", procmap_method_name(method),
			     strerror(errno));
	fprintf(out,
		"# method: %s; layouts in pages from each scenario's area, %" PRIu64
		"-byte pages\n",
		procmap_method_name(procmap_method(pm)), page_size);
	fprintf(out, "# %-19s %-5s  %-18s  %-31s  %-26s  %-26s  %s\n", "scenario", "step",
		"operation", "kernel path", "expected", "observed", "result");
	for (unsigned int i = 0; i < n; i++) {
		struct result res[MAX_RESULTS];
		unsigned int nres;

		memset(res, 0, sizeof(res));
		if (run_scenario(list[i], pm, page_size, res, &nres)) {
			procmap_close(pm);
			return EXIT_FAIL;
		}
		for (unsigned int j = 0; j < nres; j++) {
			fprintf(out, "%-21s %-5s  %-18s  %-31s  %-26s  %-26s  %s\n", list[i]->name,
				res[j].step, res[j].op, res[j].path, res[j].expect, res[j].got,
				res[j].pass ? "PASS" : "FAIL");
			steps++;
			failed += !res[j].pass;
		}
	}
	procmap_close(pm);
	fprintf(out, "# %u scenarios, %u steps: %u passed, %u failed\n", n, steps, steps - failed,
		failed);
	fflush(out);
	return failed ? EXIT_FAIL : EXIT_OK;
}

int wl_verify(char *const *names, int nnames, enum procmap_method method, FILE *out)
{
	const struct wl_scenario *list[64];
	unsigned int n = 0;

	for (int i = 0; i < nnames; i++) {
		if (!strcmp(names[i], "all") || !strcmp(names[i], WL_ALL_SCENARIOS)) {
			for (unsigned int j = 0; j < wl_nscenarios && n < ARRAY_SIZE(list); j++)
				list[n++] = &wl_scenarios[j];
		} else if (n < ARRAY_SIZE(list)) {
			list[n] = wl_scenario_find(names[i]);
			if (!list[n])
				return error("'%s' is not a scenario", names[i]);
			n++;
		}
	}
	return wl_verify_list(list, n, method, out);
}
