// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-workload.c - the scenario table, the traces the generator writes, and
 * the verifier
 *
 * The table is checked against a page model that knows nothing of the kernel
 * but "adjacent pages of equal protection are one VMA": every expected layout
 * must be what the steps do to the pages, every cycle must come back to its
 * start.  Generated traces are read back and then replayed as they are in
 * this process: every op must return what the trace says.  The verifier must
 * pass the real table and fail a deliberately wrong one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"
#include "vmt.h"
#include "workloads/workloads.h"

#define MODEL_PAGES 64
#define RW (PROT_READ | PROT_WRITE)

static char dir[] = "/tmp/vmt-unit-wl.XXXXXX";

/* ---- the page model ---- */

struct model {
	int prot[MODEL_PAGES]; /* -1: unmapped */
};

static void model_init(struct model *m)
{
	for (int i = 0; i < MODEL_PAGES; i++)
		m->prot[i] = -1;
}

/*
 * Apply a step; returns a complaint when the step is not the clean kind the
 * scenarios promise (a new mapping only into a hole, mprotect and munmap only
 * of mapped pages), NULL otherwise.
 */
static const char *model_apply(struct model *m, const struct wl_step *st, int16_t pages)
{
	if (st->page < 0 || st->npages <= 0 || st->page + st->npages > pages)
		return "range outside the area";
	for (int p = st->page; p < st->page + st->npages; p++) {
		switch (st->op) {
		case WL_MMAP:
			if (m->prot[p] >= 0)
				return "mmap over a mapped page";
			m->prot[p] = st->prot;
			break;
		case WL_MUNMAP:
			if (m->prot[p] < 0)
				return "munmap of a hole";
			m->prot[p] = -1;
			break;
		case WL_MPROTECT:
			if (m->prot[p] < 0)
				return "mprotect of a hole";
			m->prot[p] = st->prot;
			break;
		default:
			return "unknown op";
		}
	}
	return NULL;
}

static unsigned int model_layout(const struct model *m, struct wl_vma *out, unsigned int max)
{
	unsigned int n = 0;

	for (int p = 0; p < MODEL_PAGES;) {
		int q = p + 1;

		if (m->prot[p] < 0) {
			p++;
			continue;
		}
		while (q < MODEL_PAGES && m->prot[q] == m->prot[p])
			q++;
		if (n < max)
			out[n] = (struct wl_vma){ (int16_t)p, (int16_t)q, (uint8_t)m->prot[p] };
		n++;
		p = q;
	}
	return n;
}

static bool model_is(const struct model *m, const struct wl_vma *want, char *got, size_t size)
{
	struct wl_vma v[MODEL_PAGES];
	unsigned int n = model_layout(m, v, MODEL_PAGES);

	wl_layout_format(got, size, v, n);
	return wl_layout_equal(v, n, want, wl_layout_len(want));
}

static void test_table(void)
{
	char got[256], want[256];

	tap_ok(wl_nscenarios == 10, "ten scenarios (%u)", wl_nscenarios);
	for (unsigned int i = 0; i < wl_nscenarios; i++) {
		const struct wl_scenario *s = &wl_scenarios[i];
		struct wl_step setup[64];
		unsigned int nsetup = wl_scenario_setup(s, setup, 64), nstart;
		const char *bad = NULL;
		struct model m;
		bool ok;

		tap_ok(wl_scenario_find(s->name) == s && wl_workload_find(s->name) == (int)i,
		       "%s: found by name", s->name);
		tap_ok(s->title && *s->title && s->summary && strlen(s->summary) < 80 &&
			       s->diagram && strchr(s->diagram, '|'),
		       "%s: title, one-line summary and diagram", s->name);
		nstart = wl_layout_len(s->start);
		ok = nstart > 0 && s->pages > 0 && s->pages <= MODEL_PAGES;
		for (unsigned int v = 0; v < nstart && ok; v++)
			ok = s->start[v].start >= 0 && s->start[v].end <= s->pages &&
			     (v == 0 || s->start[v].start >= s->start[v - 1].end);
		tap_ok(ok, "%s: start layout sorted and inside its %d pages", s->name, s->pages);
		tap_ok(nsetup <= WL_MAX_SETUP, "%s: setup takes %u steps", s->name, nsetup);

		model_init(&m);
		for (unsigned int k = 0; k < nsetup && !bad; k++)
			bad = model_apply(&m, &setup[k], s->pages);
		wl_layout_format(want, sizeof(want), s->start, nstart);
		tap_ok(!bad && model_is(&m, s->start, got, sizeof(got)),
		       "%s: setup builds %s (model: %s%s%s)", s->name, want, got, bad ? ", " : "",
		       bad ? bad : "");
		tap_ok(s->ncycle >= 2 && s->ncycle <= WL_MAX_STEPS &&
			       !strcmp(s->cycle[0].path, s->name),
		       "%s: the cycle's first step takes the named path", s->name);
		for (unsigned int k = 0; k < s->ncycle; k++) {
			const struct wl_step *st = &s->cycle[k];

			bad = model_apply(&m, st, s->pages);
			wl_layout_format(want, sizeof(want), st->after, wl_layout_len(st->after));
			tap_ok(!bad && model_is(&m, st->after, got, sizeof(got)),
			       "%s: step %u (%s) leaves %s (model: %s%s%s)", s->name, k + 1,
			       st->path, want, got, bad ? ", " : "", bad ? bad : "");
		}
		tap_ok(model_is(&m, s->start, got, sizeof(got)),
		       "%s: the cycle returns to the start layout", s->name);
	}

	wl_layout_format(got, sizeof(got), wl_scenarios[0].start,
			 wl_layout_len(wl_scenarios[0].start));
	tap_ok(!strcmp(got, "[0,2)rw- [2,4)r-- [4,6)rw-"), "layout text: %s", got);
	wl_layout_format(got, sizeof(got), NULL, 0);
	tap_ok(!strcmp(got, "(empty)"), "an empty layout reads (empty)");
	wl_step_format(got, sizeof(got), &wl_scenario_find("new-merge-both")->cycle[1]);
	tap_ok(!strcmp(got, "munmap [2,3)"), "step text: %s", got);
}

static void test_names(void)
{
	bool unique = true;

	tap_ok(wl_workload_count() == 15, "fifteen workloads: the ten, three selftest patterns, two more");
	for (unsigned int i = 0; i < wl_workload_count(); i++)
		for (unsigned int j = i + 1; j < wl_workload_count(); j++)
			if (!strcmp(wl_workload_name(i), wl_workload_name(j)))
				unique = false;
	tap_ok(unique, "workload names are unique");
	tap_ok(wl_workload_find("mapper") == 13 && wl_workload_find("all-scenarios") == 14,
	       "mapper and all-scenarios follow the scenarios");
	tap_ok(wl_nselftests == 3 && wl_workload_find("selftest-split") == 10,
	       "the selftest patterns follow the ten");
	tap_ok(wl_workload_find("merge") < 0 && !wl_scenario_find("mapper"),
	       "no prefix matching; mapper is not a scenario");
}

/* ---- generated traces ---- */

struct trace_check {
	uint64_t ops, setup, by_kind[VMT_OP_NR];
	uint32_t threads;
	uint64_t last_t;
	char why[256];
};

/* Read a trace back and check what every generated op must satisfy. */
static int check_trace(const char *path, const char *name, struct trace_check *c)
{
	struct vmt_reader *r;
	struct vmt_record rec;
	const struct vmt_header *h;
	char err[512], source[300];
	uint64_t ps, prev_t = 0;
	static bool measured[4096]; /* per thread: a measured op was seen */
	int ret;

	memset(c, 0, sizeof(*c));
	memset(measured, 0, sizeof(measured));
	r = vmt_reader_open(path, err, sizeof(err));
	if (!r) {
		fmt_into(c->why, sizeof(c->why), "%s", err);
		return -1;
	}
	h = vmt_reader_header(r);
	ps = h->page_size;
	fmt_into(source, sizeof(source), "workload:%s", name);
	if (strcmp(h->source, source) || h->clock != VMT_CLOCK_SYNTHETIC ||
	    strncmp(h->cmdline, "vmatrace workload ", 18) || h->start_realtime_ns) {
		fmt_into(c->why, sizeof(c->why), "header: source '%s' clock %u cmdline '%s'",
			 h->source, h->clock, h->cmdline);
		goto bad;
	}
	while ((ret = vmt_reader_next(r, &rec)) > 0) {
		const struct vmt_op *op = &rec.op;
		uint64_t flags;

		if (rec.type != VMT_REC_OP)
			continue;
		c->ops++;
		c->by_kind[op->kind]++;
		/* setup ops build the start layout: only before a thread's first measured op */
		if (op->thread < 4096 && !(op->flags & VMT_OPF_SETUP))
			measured[op->thread] = true;
		c->setup += !!(op->flags & VMT_OPF_SETUP);
		if (op->t_enter < prev_t || op->t_exit <= op->t_enter ||
		    (op->flags & ~VMT_OPF_SETUP) || op->thread >= 4096 ||
		    ((op->flags & VMT_OPF_SETUP) && measured[op->thread])) {
			fmt_into(c->why, sizeof(c->why), "op %" PRIu64 ": times or flags", c->ops);
			goto bad;
		}
		prev_t = op->t_enter;
		c->last_t = op->t_enter;
		if (op->args[0] % ps || !op->args[1] || op->args[1] % ps ||
		    op->args[0] < WL_WINDOW_BASE) {
			fmt_into(c->why, sizeof(c->why), "op %" PRIu64 ": range not page-aligned",
				 c->ops);
			goto bad;
		}
		switch (op->kind) {
		case VMT_OP_MMAP:
			flags = op->args[3];
			if ((flags & (MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS)) !=
				    (MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS) ||
			    op->args[4] != (uint64_t)-1 || op->args[5] ||
			    op->ret != (int64_t)op->args[0] || op->file != VMT_NONE ||
			    (op->args[2] & ~(uint64_t)(RW | PROT_EXEC))) {
				fmt_into(c->why, sizeof(c->why), "op %" PRIu64 ": bad mmap",
					 c->ops);
				goto bad;
			}
			break;
		case VMT_OP_MREMAP:
			/* in place, or to a fixed page of the same window */
			if (op->ret != (int64_t)((op->args[3] & MREMAP_FIXED) ? op->args[4] : op->args[0]) ||
			    (op->ret & (int64_t)(ps - 1)) || !op->args[2]) {
				fmt_into(c->why, sizeof(c->why), "op %" PRIu64 ": bad mremap", c->ops);
				goto bad;
			}
			break;
		case VMT_OP_MUNMAP:
		case VMT_OP_MPROTECT:
			if (op->ret) {
				fmt_into(c->why, sizeof(c->why), "op %" PRIu64 ": ret %" PRId64,
					 c->ops, op->ret);
				goto bad;
			}
			break;
		default:
			fmt_into(c->why, sizeof(c->why), "op %" PRIu64 ": kind %u", c->ops,
				 op->kind);
			goto bad;
		}
	}
	if (ret < 0) {
		fmt_into(c->why, sizeof(c->why), "%s", vmt_reader_error(r));
		goto bad;
	}
	c->threads = vmt_reader_nthreads(r);
	if (vmt_reader_nprocesses(r) != 1) {
		fmt_into(c->why, sizeof(c->why), "%u processes", vmt_reader_nprocesses(r));
		goto bad;
	}
	vmt_reader_close(r);
	return 0;
bad:
	vmt_reader_close(r);
	return -1;
}

static int gen(const char *name, uint32_t threads, uint64_t ops, uint64_t dur, uint64_t seed,
	       const char *file, char *path, size_t size)
{
	struct wl_options o = { name, threads, ops, dur, seed, path };
	char err[512];

	fmt_into(path, size, "%s/%s", dir, file);
	if (wl_generate(&o, err, sizeof(err))) {
		tap_diag("%s", err);
		return -1;
	}
	return 0;
}

static int64_t exec_op(const struct vmt_op *op)
{
	void *a = (void *)(uintptr_t)op->args[0], *p;

	switch (op->kind) {
	case VMT_OP_MMAP:
		p = mmap(a, op->args[1], (int)op->args[2], (int)op->args[3],
			 (int)(int64_t)op->args[4], (off_t)op->args[5]);
		return p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
	case VMT_OP_MUNMAP:
		return munmap(a, op->args[1]) ? -errno : 0;
	case VMT_OP_MPROTECT:
		return mprotect(a, op->args[1], (int)op->args[2]) ? -errno : 0;
	case VMT_OP_MREMAP:
		p = mremap(a, op->args[1], op->args[2], (int)op->args[3],
			   (void *)(uintptr_t)op->args[4]);
		return p == MAP_FAILED ? -errno : (int64_t)(uintptr_t)p;
	default:
		return -ENOSYS;
	}
}

/*
 * Replay a trace as it is, at its own addresses, in this process: the range it
 * touches must be free (checked with MAP_FIXED_NOREPLACE), and every op must
 * return what the trace recorded.  Returns the number of mismatches, -1 if
 * the range is taken here.
 */
static int64_t replay_as_is(const char *path, uint64_t *nops)
{
	struct vmt_reader *r;
	struct vmt_record rec;
	uint64_t lo = UINT64_MAX, hi = 0, s, e;
	int64_t bad = 0;
	char err[512];
	void *p;

	*nops = 0;
	r = vmt_reader_open(path, err, sizeof(err));
	if (!r)
		return -1;
	while (vmt_reader_next(r, &rec) > 0) {
		if (rec.type == VMT_REC_OP && vmt_op_range(&rec.op, &s, &e)) {
			lo = s < lo ? s : lo;
			hi = e > hi ? e : hi;
		}
	}
	vmt_reader_close(r);
	if (lo >= hi)
		return -1;
	p = mmap((void *)(uintptr_t)lo, hi - lo, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	if ((uint64_t)(uintptr_t)p != lo) {
		munmap(p, hi - lo);
		return -1;
	}
	munmap(p, hi - lo); /* the trace starts from an empty window */
	r = vmt_reader_open(path, err, sizeof(err));
	while (r && vmt_reader_next(r, &rec) > 0) {
		if (rec.type != VMT_REC_OP)
			continue;
		(*nops)++;
		if (exec_op(&rec.op) != rec.op.ret && bad++ < 3)
			tap_diag("op %" PRIu64 " returned %" PRId64 ", the trace says %" PRId64,
				 *nops, exec_op(&rec.op), rec.op.ret);
	}
	vmt_reader_close(r);
	munmap((void *)(uintptr_t)lo, hi - lo);
	return bad;
}

/* The first @n ops of thread 0 in two traces are the same. */
static bool same_thread0(const char *a, const char *b, unsigned int n)
{
	struct vmt_reader *ra, *rb;
	struct vmt_record x, y;
	char err[512];
	bool same = true;

	ra = vmt_reader_open(a, err, sizeof(err));
	rb = vmt_reader_open(b, err, sizeof(err));
	for (unsigned int i = 0; ra && rb && i < n && same; i++) {
		do
			same = vmt_reader_next(ra, &x) > 0;
		while (same && (x.type != VMT_REC_OP || x.op.thread));
		do
			same = same && vmt_reader_next(rb, &y) > 0;
		while (same && (y.type != VMT_REC_OP || y.op.thread));
		same = same && x.op.t_enter == y.op.t_enter && x.op.t_exit == y.op.t_exit &&
		       x.op.kind == y.op.kind && !memcmp(x.op.args, y.op.args, sizeof(x.op.args));
	}
	vmt_reader_close(ra);
	vmt_reader_close(rb);
	return ra && rb && same;
}

static void test_generate(void)
{
	char path[512], path2[512];
	struct trace_check c;
	uint64_t n;
	int64_t bad;
	bool ok;

	for (unsigned int i = 0; i < wl_workload_count(); i++) {
		const char *name = wl_workload_name(i);
		bool all = !strcmp(name, WL_ALL_SCENARIOS);
		uint64_t ops = strcmp(name, WL_MAPPER) ? 500 : 3000;

		if (gen(name, 1, ops, 0, 1, name, path, sizeof(path))) {
			tap_ok(0, "%s: generated", name);
			continue;
		}
		ok = !check_trace(path, name, &c) && c.ops == ops &&
		     c.threads == (all ? wl_nscenarios : 1);
		tap_ok(ok,
		       "%s: %" PRIu64 " aligned, fixed, successful ops in order, %u thread(s)%s%s",
		       name, c.ops, c.threads, *c.why ? ": " : "", c.why);
		{
			/* the start layout (or the mapper's region) is marked setup, nothing else */
			uint64_t want = 0;
			const struct wl_scenario *sc = wl_scenario_find(name);
			struct wl_step steps[WL_MAX_SETUP];

			if (!strcmp(name, WL_MAPPER))
				want = 1;
			else if (sc)
				want = wl_scenario_setup(sc, steps, WL_MAX_SETUP);
			else
				for (unsigned int k = 0; k < wl_nscenarios; k++)
					want += wl_scenario_setup(&wl_scenarios[k], steps, WL_MAX_SETUP);
			tap_ok(c.setup == want, "%s: %" PRIu64 " setup ops, the start layout's %" PRIu64,
			       name, c.setup, want);
		}
		bad = replay_as_is(path, &n);
		if (bad < 0)
			tap_skip("the trace's address window is in use in this process");
		else
			tap_ok(bad == 0 && n == ops,
			       "%s: replayed as it is, all %" PRIu64
			       " ops return what the trace says",
			       name, n);
	}

	/* threads get windows of their own; all-scenarios: N per scenario */
	ok = !gen("merge-both", 4, 400, 0, 1, "mb4", path, sizeof(path)) &&
	     !check_trace(path, "merge-both", &c) && c.threads == 4;
	tap_ok(ok, "--threads 4: four threads (%u)", c.threads);
	bad = replay_as_is(path, &n);
	if (bad < 0)
		tap_skip("the trace's address window is in use in this process");
	else
		tap_ok(bad == 0 && n == 400, "four copies of merge-both replay as they are");
	ok = !gen(WL_ALL_SCENARIOS, 3, 900, 0, 1, "all3", path, sizeof(path)) &&
	     !check_trace(path, WL_ALL_SCENARIOS, &c) && c.threads == 30;
	tap_ok(ok, "all-scenarios --threads 3: thirty threads (%u)", c.threads);

	/* --duration bounds trace time */
	ok = !gen(WL_MAPPER, 2, 0, 200000000, 1, "md", path, sizeof(path)) &&
	     !check_trace(path, WL_MAPPER, &c) && c.last_t < 200000000 && c.ops > 1000;
	tap_ok(ok, "--duration 200ms: %" PRIu64 " ops, the last at %" PRIu64 " ns", c.ops,
	       c.last_t);
	/* mapper: the region first, then a fair coin */
	ok = !gen(WL_MAPPER, 1, 10001, 0, 5, "m", path, sizeof(path)) &&
	     !check_trace(path, WL_MAPPER, &c) && c.by_kind[VMT_OP_MMAP] > 4500 &&
	     c.by_kind[VMT_OP_MUNMAP] > 4500;
	tap_ok(ok, "mapper: %" PRIu64 " maps and %" PRIu64 " unmaps", c.by_kind[VMT_OP_MMAP],
	       c.by_kind[VMT_OP_MUNMAP]);

	/* thread 0 does the same whether it has company or not */
	gen(WL_MAPPER, 1, 200, 0, 9, "s1", path, sizeof(path));
	gen(WL_MAPPER, 3, 600, 0, 9, "s2", path2, sizeof(path2));
	tap_ok(same_thread0(path, path2, 150), "a thread's ops do not depend on --threads");
}

/* ---- the verifier ---- */

static int count_lines(const char *text, const char *word)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, word)); p += strlen(word))
		n++;
	return n;
}

static void test_verify(void)
{
	const struct wl_scenario *all[16], *one[1];
	struct wl_scenario broken;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int ret;

	for (unsigned int i = 0; i < wl_nscenarios; i++)
		all[i] = &wl_scenarios[i];
	for (int method = PROCMAP_METHOD_AUTO; method <= PROCMAP_METHOD_MAPS; method++) {
		if (method == PROCMAP_METHOD_QUERY) {
			struct procmap *pm = procmap_open(0, PROCMAP_METHOD_QUERY);

			if (!pm) {
				tap_skip("this kernel has no PROCMAP_QUERY ioctl");
				continue;
			}
			procmap_close(pm);
		}
		out = open_memstream(&text, &len);
		ret = wl_verify_list(all, wl_nscenarios, (enum procmap_method)method, out);
		fclose(out);
		tap_ok(ret == EXIT_OK && count_lines(text, " PASS\n") == 50 &&
			       !strstr(text, "FAIL"),
		       "verify all with method %s: 50 steps PASS",
		       procmap_method_name((enum procmap_method)method));
		if (ret != EXIT_OK)
			tap_diag("%s", text);
		free(text);
		text = NULL;
	}

	/* a table that expects no merge where the kernel merges must fail */
	broken = *wl_scenario_find("merge-both");
	broken.cycle[0].after[0] = (struct wl_vma){ 0, 2, RW };
	broken.cycle[0].after[1] = (struct wl_vma){ 2, 4, RW };
	broken.cycle[0].after[2] = (struct wl_vma){ 4, 6, RW };
	one[0] = &broken;
	out = open_memstream(&text, &len);
	ret = wl_verify_list(one, 1, PROCMAP_METHOD_AUTO, out);
	fclose(out);
	tap_ok(ret == EXIT_FAIL && count_lines(text, " FAIL\n") == 2 &&
		       strstr(text, "[0,2)rw- [2,4)rw- [4,6)rw-  [0,6)rw-"),
	       "a wrong expected layout FAILs, showing both layouts");
	free(text);
	text = NULL;

	/* a step outside its area is refused, not run */
	broken = *wl_scenario_find("new-merge-left");
	broken.cycle[0].page = 3;
	one[0] = &broken;
	out = open_memstream(&text, &len);
	ret = wl_verify_list(one, 1, PROCMAP_METHOD_AUTO, out);
	fclose(out);
	tap_ok(ret == EXIT_FAIL && strstr(text, "step outside the area"),
	       "a step outside the area FAILs without running");
	free(text);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_table();
	test_names();
	test_generate();
	test_verify();
	for (unsigned int i = 0; i < wl_workload_count(); i++) {
		char path[512];

		fmt_into(path, sizeof(path), "%s/%s", dir, wl_workload_name(i));
		unlink(path);
	}
	{
		static const char *const extra[] = { "mb4", "all3", "md", "m", "s1", "s2" };
		char path[512];

		for (unsigned int i = 0; i < ARRAY_SIZE(extra); i++) {
			fmt_into(path, sizeof(path), "%s/%s", dir, extra[i]);
			unlink(path);
		}
	}
	rmdir(dir);
	return tap_done();
}
