// SPDX-License-Identifier: GPL-2.0-only
/*
 * generate.c - write the trace of a synthetic workload
 *
 * Every generating thread has its own clock, address window and random
 * stream; a min-heap on the clocks merges the threads into the one time
 * order a trace needs.  Nothing depends on the host but the page size and
 * architecture, so the same command line gives the same bytes: the header's
 * capture time, host name and kernel release are left empty.
 *
 * Synthetic time.  An op lasts its kind's median cost on a real kernel,
 * spread as real ops spread; then its thread pauses.  The medians were
 * measured on a 6.18 x86_64 guest (2 vCPUs) with layouts as small as the
 * scenarios': mmap of a hole 1.5 us, mprotect that splits or merges 1.9 us,
 * munmap 1.7 us (mapper.c has the mapper's own).  The spread is shaped after
 * the same measurements: durations uniform in [0.85, 1.30] x median, and one
 * op in 128 another 2 to 8 times slower (an interrupt, a preemption).  A
 * scenario thread pauses 5 to 15 us between ops (10 us on average, the
 * mapper's pause: a busy allocator, the regime where readers' interference
 * shows); a mapper pauses exactly 10 us.  Threads start within the first
 * 10 us so that they interleave from the first op.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "workloads.h"
#include "util.h"

#define COST_MMAP 1500
#define COST_MPROTECT 1900
#define COST_MUNMAP 1700
#define PAUSE_MIN 5000
#define PAUSE_SPAN 10000

#define TRACE_PID 1000 /* the generated process; thread k has tid TRACE_PID + k */

static const char *const extra_names[] = { WL_MAPPER, WL_ALL_SCENARIOS };
static const char *const extra_summaries[] = {
	"random 4 KiB mmap/munmap in 128 MiB, 10 us apart (the kernel review's benchmark)",
	"the ten scenarios at once, one thread each, each in its own window",
};

unsigned int wl_workload_count(void)
{
	return wl_nscenarios + wl_nselftests + ARRAY_SIZE(extra_names);
}

/* Workload @i as a scenario (the email's ten, then the selftest's patterns), or NULL. */
static const struct wl_scenario *workload_scenario(unsigned int i)
{
	if (i < wl_nscenarios)
		return &wl_scenarios[i];
	i -= wl_nscenarios;
	return i < wl_nselftests ? &wl_selftests[i] : NULL;
}

const char *wl_workload_name(unsigned int i)
{
	const struct wl_scenario *s = workload_scenario(i);

	if (s)
		return s->name;
	i -= wl_nscenarios + wl_nselftests;
	return i < ARRAY_SIZE(extra_names) ? extra_names[i] : NULL;
}

const char *wl_workload_summary(unsigned int i)
{
	const struct wl_scenario *s = workload_scenario(i);

	if (s)
		return s->summary;
	i -= wl_nscenarios + wl_nselftests;
	return i < ARRAY_SIZE(extra_summaries) ? extra_summaries[i] : NULL;
}

int wl_workload_find(const char *name)
{
	for (unsigned int i = 0; i < wl_workload_count(); i++)
		if (!strcmp(wl_workload_name(i), name))
			return (int)i;
	return -1;
}

void wl_workload_describe(FILE *out, unsigned int i)
{
	const char *name = wl_workload_name(i);

	if (workload_scenario(i)) {
		wl_scenario_describe(out, workload_scenario(i));
	} else if (!strcmp(name, WL_MAPPER)) {
		fprintf(out, "%s: %s\n\n%s", name, wl_workload_summary(i), wl_mapper_description);
	} else {
		fprintf(out, "%s: %s\n\n", name, wl_workload_summary(i));
		fprintf(out,
			"  the threads run the ten scenarios in list order, each in a window\n"
			"  of its own; --threads N runs N threads per scenario, 10 x N in all\n");
	}
}

void wl_cmdline(char *buf, size_t size, const struct wl_options *o)
{
	char limit[64];

	if (o->duration_ns)
		fmt_into(limit, sizeof(limit), "--duration %" PRIu64 "ns", o->duration_ns);
	else
		fmt_into(limit, sizeof(limit), "--ops %" PRIu64, o->max_ops);
	fmt_into(buf, size, "vmatrace workload %s --threads %" PRIu32 " %s --seed %" PRIu64,
		 o->name, o->threads, limit, o->seed);
}

static void scenario_next(struct wl_thread *th, struct vmt_op *op, uint64_t *cost_ns,
			  uint64_t *pause_ns)
{
	const struct wl_scenario *s = th->sc;
	const struct wl_step *st;

	if (th->nops < th->nsetup)
		st = &th->setup[th->nops];
	else
		st = &s->cycle[(th->nops - th->nsetup) % s->ncycle];
	wl_step_op(st, th->base, th->page_size, op);
	/* the start layout is setup: replayed, not timed */
	op->flags = th->nops < th->nsetup ? VMT_OPF_SETUP : 0;
	switch (st->op) {
	case WL_MMAP:
		*cost_ns = COST_MMAP;
		break;
	case WL_MPROTECT:
	case WL_MREMAP:
		*cost_ns = COST_MPROTECT;
		break;
	default:
		*cost_ns = COST_MUNMAP;
		break;
	}
	*pause_ns = PAUSE_MIN + wl_rng_below(&th->rng, PAUSE_SPAN + 1);
}

void wl_scenario_thread_init(struct wl_thread *th, const struct wl_scenario *s)
{
	th->sc = s;
	th->nsetup = wl_scenario_setup(s, th->setup, WL_MAX_SETUP);
	th->next = scenario_next;
}

static uint64_t spread(struct wl_rng *r, uint64_t median)
{
	double f = 0.85 + 0.45 * wl_rng_unit(r);
	uint64_t ns;

	if (wl_rng_below(r, 128) == 0)
		f *= 2 + 6 * wl_rng_unit(r);
	ns = (uint64_t)((double)median * f);
	return ns ? ns : 1;
}

/* A min-heap of thread indices on (next op time, index): ties go to the lower thread. */
struct heap {
	uint32_t *idx;
	uint32_t n;
	const struct wl_thread *th;
};

static bool heap_less(const struct heap *h, uint32_t a, uint32_t b)
{
	const struct wl_thread *x = &h->th[h->idx[a]], *y = &h->th[h->idx[b]];

	return x->t < y->t || (x->t == y->t && x->index < y->index);
}

static void heap_swap(struct heap *h, uint32_t a, uint32_t b)
{
	uint32_t t = h->idx[a];

	h->idx[a] = h->idx[b];
	h->idx[b] = t;
}

static void heap_down(struct heap *h, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && heap_less(h, l, m))
			m = l;
		if (r < h->n && heap_less(h, r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

static void heap_build(struct heap *h)
{
	for (uint32_t i = h->n / 2; i-- > 0;)
		heap_down(h, i);
}

static void thread_name(char *buf, size_t size, const char *name, uint32_t copy, uint32_t copies)
{
	if (copies == 1)
		strlcpy_(buf, name, size);
	else
		fmt_into(buf, size, "%s/%" PRIu32, name, copy);
}

static void free_threads(struct wl_thread *th, uint32_t n)
{
	if (!th)
		return;
	for (uint32_t k = 0; k < n; k++)
		wl_mapper_thread_free(&th[k]);
	free(th);
}

int wl_generate(const struct wl_options *o, char *err, size_t errlen)
{
	int widx = wl_workload_find(o->name);
	bool mapper, all;
	struct vmt_header hdr;
	struct vmt_process proc = { 0 };
	struct wl_thread *th = NULL;
	struct heap heap = { 0 };
	struct vmt_writer *w = NULL;
	struct wl_rng seeds = { o->seed };
	uint32_t nthreads, k;
	uint64_t written = 0;
	char source[256];

	if (widx < 0) {
		fmt_into(err, errlen, "unknown workload '%s'", o->name);
		return -1;
	}
	if (!o->threads || o->threads > WL_MAX_THREADS || (!o->max_ops && !o->duration_ns)) {
		fmt_into(err, errlen, "bad workload options");
		return -1;
	}
	mapper = !strcmp(o->name, WL_MAPPER);
	all = !strcmp(o->name, WL_ALL_SCENARIOS);
	nthreads = all ? o->threads * wl_nscenarios : o->threads;

	fmt_into(source, sizeof(source), "workload:%s", o->name);
	vmt_header_init(&hdr, source, VMT_CLOCK_SYNTHETIC);
	hdr.start_realtime_ns = 0;
	hdr.kernel[0] = '\0';
	hdr.hostname[0] = '\0';
	wl_cmdline(hdr.cmdline, sizeof(hdr.cmdline), o);

	th = calloc(nthreads, sizeof(*th));
	heap.idx = calloc(nthreads, sizeof(*heap.idx));
	if (!th || !heap.idx)
		goto oom;
	for (k = 0; k < nthreads; k++) {
		struct wl_thread *t = &th[k];

		t->index = k;
		t->page_size = hdr.page_size;
		/* thread k's stream is the k-th draw of the seed's: it does not depend on N */
		t->rng.s = wl_rng_next(&seeds);
		if (mapper) {
			t->base = WL_WINDOW_BASE + (uint64_t)k * WL_MAPPER_WINDOW;
			if (wl_mapper_thread_init(t))
				goto oom;
		} else {
			const struct wl_scenario *s =
				all ? &wl_scenarios[k / o->threads] : workload_scenario(widx);

			t->base = WL_WINDOW_BASE + (uint64_t)k * WL_SCENARIO_WINDOW;
			wl_scenario_thread_init(t, s);
		}
		t->t = wl_rng_below(&t->rng, PAUSE_SPAN);
		heap.idx[k] = k;
	}
	heap.n = nthreads;
	heap.th = th;
	heap_build(&heap);

	w = vmt_writer_open(o->output, &hdr, err, errlen);
	if (!w)
		goto fail;
	proc.pid = TRACE_PID;
	proc.parent = VMT_NONE;
	strlcpy_(proc.name, o->name, sizeof(proc.name));
	if (vmt_writer_add_process(w, &proc) < 0)
		goto werr;
	for (k = 0; k < nthreads; k++) {
		struct vmt_thread t = { 0 };
		const char *name = mapper ? WL_MAPPER : th[k].sc->name;

		t.tid = TRACE_PID + k;
		thread_name(t.name, sizeof(t.name), name, k % o->threads, o->threads);
		if (vmt_writer_add_thread(w, &t) < 0)
			goto werr;
	}

	for (;;) {
		struct wl_thread *t = &th[heap.idx[0]];
		struct vmt_op op;
		uint64_t cost, pause;

		if ((o->max_ops && written >= o->max_ops) ||
		    (o->duration_ns && t->t >= o->duration_ns))
			break;
		memset(&op, 0, sizeof(op));
		t->next(t, &op, &cost, &pause);
		op.thread = t->index;
		op.t_enter = t->t;
		op.t_exit = t->t + spread(&t->rng, cost);
		if (vmt_writer_op(w, &op))
			goto werr;
		t->t = op.t_exit + pause;
		t->nops++;
		written++;
		heap_down(&heap, 0);
	}
	free_threads(th, nthreads);
	free(heap.idx);
	return vmt_writer_close(w, err, errlen);

oom:
	fmt_into(err, errlen, "out of memory for %" PRIu32 " threads", nthreads);
	goto fail;
werr:
	fmt_into(err, errlen, "%s: %s", o->output, vmt_writer_error(w));
fail:
	vmt_writer_abort(w);
	free_threads(th, nthreads);
	free(heap.idx);
	return -1;
}
