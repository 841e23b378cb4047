// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench.c - what the standard sweep shows: per-configuration statistics,
 * the lock each reader kind took, and the comparisons
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

const struct an_cell *an_bench_cell(const struct an_bench *b, size_t wl, unsigned int readers,
				    int kind)
{
	for (size_t i = 0; i < b->ncells; i++) {
		const struct an_cell *c = &b->cells[i];

		if (c->wl == wl && c->readers == readers && (readers == 0 || c->kind == kind))
			return c;
	}
	return NULL;
}

const struct an_pair *an_bench_pair(const struct an_pair *p, size_t n, const struct an_cell *a,
				    const struct an_cell *bc)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].a == a && p[i].b == bc)
			return &p[i];
	return NULL;
}

/*
 * The lock of each kind from the probes the runs recorded.  Runs that
 * disagree (a kernel change mid-sweep?) leave the kind unknown, with a
 * warning: the comparison is never made on a guess.
 */
static void find_locks(struct an_bench *b)
{
	for (int k = 0; k < AN_NKINDS; k++) {
		size_t mm = 0, pv = 0, unprobed = 0, inferred = 0;

		for (size_t i = 0; i < b->nruns; i++) {
			const struct an_run *r = &b->runs[i];

			if (!r->readers || an_kind_index(r->reader) != k)
				continue;
			if (!r->probe.present || !r->probe.kind[k].present) {
				unprobed++;
				continue;
			}
			if (r->probe.kind[k].takes_mmap_lock)
				mm++;
			else
				pv++;
			inferred += !r->probe.measured;
			strlcpy_(b->lock_name[k], r->probe.kind[k].lock, sizeof(b->lock_name[k]));
		}
		b->lock[k] = AN_LOCK_UNKNOWN;
		b->lock_inferred[k] = inferred > 0;
		if (mm && pv) {
			an_note(&b->warnings,
				"the probe says %s took mmap_lock in %zu runs and not in %zu: it is left out of the lock comparison",
				an_kind_names[k], mm, pv);
			strlcpy_(b->lock_name[k], "varied", sizeof(b->lock_name[k]));
		} else if (mm || pv) {
			b->lock[k] = mm ? AN_LOCK_MMAP : AN_LOCK_PER_VMA;
		} else if (unprobed) {
			an_note(&b->warnings,
				"the lock %s takes was not probed: it is left out of the lock comparison",
				an_kind_names[k]);
			strlcpy_(b->lock_name[k], "not probed", sizeof(b->lock_name[k]));
		}
		if (inferred)
			an_note(&b->warnings,
				"the lock %s takes was inferred from the kernel version, not measured (the probe needs root and tracefs)",
				an_kind_names[k]);
	}
}

static int add_pair(struct an_pair **arr, size_t *n, const struct an_cell *a,
		    const struct an_cell *bc)
{
	struct an_pair *p;

	if (!a || !bc || !a->nruns || !bc->nruns)
		return 0;
	p = realloc(*arr, (*n + 1) * sizeof(*p));
	if (!p)
		return -1;
	*arr = p;
	p = &p[*n];
	memset(p, 0, sizeof(*p));
	p->a = a;
	p->b = bc;
	if (an_compare_build(&p->c, a->runs, a->nruns, bc->runs, bc->nruns))
		return -1;
	strlcpy_(p->c.a.label, a->label, sizeof(p->c.a.label));
	strlcpy_(p->c.b.label, bc->label, sizeof(p->c.b.label));
	(*n)++;
	return 0;
}

/* The largest coefficient of variation among a group's writer "all" and reader rows. */
static double worst_cv(const struct an_group *g, const char **what)
{
	double worst = 0;

	for (size_t k = 0; k < g->nrows; k++) {
		const struct an_row *r = &g->rows[k];

		if ((strcmp(r->role, "reader") && strcmp(r->op, "all")) || r->n < 2)
			continue;
		if (r->est[AN_MEAN].cv > worst) {
			worst = r->est[AN_MEAN].cv;
			*what = r->role;
		}
	}
	return worst;
}

/*
 * One warning for noise across the sweep, naming the worst three
 * configurations; report.md has every configuration's own.
 */
static void noise_warning(struct an_bench *b)
{
	size_t worst[3] = { SIZE_MAX, SIZE_MAX, SIZE_MAX }, noisy = 0, configs = 0;
	double wcv[3] = { 0, 0, 0 };
	char list[1024] = "";
	size_t used = 0;

	for (size_t i = 0; i < b->ncells; i++) {
		const char *what = "";
		char buf[8];
		double cv;

		if (!b->cells[i].nruns)
			continue;
		configs++;
		if (!an_group_noise(&b->cells[i].g, buf, sizeof(buf)))
			continue;
		noisy++;
		cv = worst_cv(&b->cells[i].g, &what);
		for (int k = 0; k < 3; k++) {
			if (cv <= wcv[k])
				continue;
			memmove(&worst[k + 1], &worst[k], (size_t)(2 - k) * sizeof(worst[0]));
			memmove(&wcv[k + 1], &wcv[k], (size_t)(2 - k) * sizeof(wcv[0]));
			worst[k] = i;
			wcv[k] = cv;
			break;
		}
	}
	if (!noisy)
		return;
	for (int k = 0; k < 3 && worst[k] != SIZE_MAX; k++) {
		const struct an_cell *c = &b->cells[worst[k]];
		const char *what = "";

		worst_cv(&c->g, &what);
		used += (size_t)snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0,
					 "%s%s, %s (%s %.0f%%)", k ? "; " : "", b->wl[c->wl].name,
					 c->label, what, 100 * wcv[k]);
	}
	an_note(&b->warnings,
		"noisy repetitions in %zu of %zu configurations: the mean latency of the writer or the readers varies across the runs with a coefficient of variation above %.0f%%; the worst: %s (report.md has each configuration's)",
		noisy, configs, 100 * AN_NOISY_CV, list);
}

/*
 * Tracing slows the writer (docs/performance.md), so a sweep with it is
 * said to be one everywhere its latencies are read; and a sweep that asked
 * for lock statistics but got none (not root) says why once.
 */
static void lockstat_warning(struct an_bench *b)
{
	const char *why = NULL;
	size_t with = 0;

	for (size_t i = 0; i < b->ncells; i++) {
		with += b->cells[i].g.lock_runs > 0;
		if (!why && b->cells[i].nruns && !b->cells[i].g.lock_runs)
			why = b->cells[i].g.lock_why;
	}
	if (with)
		an_note(&b->warnings,
			"every run traced the mmap_lock (--lockstat): the tracing slows the writer, so set these latencies beside those of other traced runs only");
	else if (why)
		an_note(&b->warnings, "--lockstat: no run has lock statistics: %s", why);
}

int an_bench_analyse(struct an_bench *b)
{
	bool any_pv = false, any_mm = false;
	size_t minruns = SIZE_MAX;

	for (size_t i = 0; i < b->ncells; i++) {
		struct an_cell *c = &b->cells[i];
		char prefix[256];

		if (an_group_build(&c->g, c->runs, c->nruns))
			return -1;
		if (c->nruns)
			strlcpy_(c->label, c->g.label, sizeof(c->label));
		snprintf(prefix, sizeof(prefix), "%s, %s: ", b->wl[c->wl].name, c->label);
		/* the index gets one line for repetitions and one for noise, not one per configuration */
		an_group_warnings(&c->g, prefix, AN_WARN_RUNS, &b->warnings);
		an_group_warnings(&c->g, "", AN_WARN_ALL, &c->warnings);
		if (c->failed)
			an_note(&b->warnings, "%s%zu of %zu runs failed (their logs are in runs/)",
				prefix, c->failed, c->planned);
		if (c->nruns && c->nruns < minruns)
			minruns = c->nruns;
	}
	if (minruns != SIZE_MAX)
		an_reps_warning(minruns, "", &b->warnings);
	/* half a CPU's worth of other work already shows in the tails */
	if (b->cpus > 0 && b->load_start >= 0.5 * b->cpus)
		an_note(&b->warnings,
			"the machine was busy: load average %.1f on %d CPUs when the sweep started; other work adds noise to every number",
			b->load_start, b->cpus);
	noise_warning(b);
	if (b->lockstat)
		lockstat_warning(b);
	find_locks(b);
	for (int k = 0; k < AN_NKINDS; k++) {
		any_pv |= b->kind_on[k] && b->lock[k] == AN_LOCK_PER_VMA;
		any_mm |= b->kind_on[k] && b->lock[k] == AN_LOCK_MMAP;
	}
	if (!any_pv || !any_mm)
		an_note(&b->warnings,
			"no lock comparison on this kernel: %s; compare two kernels instead (vmatrace compare)",
			!any_pv && !any_mm ? "no reader kind's lock is known"
			: !any_pv	   ? "no reader kind took per-VMA locks (as probed)"
					   : "no reader kind took mmap_lock (as probed)");
	for (size_t w = 0; w < b->nwl; w++) {
		for (size_t r = 0; r < b->nreaders; r++) {
			unsigned int n = b->readers[r];

			if (!n)
				continue;
			for (int ka = 0; ka < AN_NKINDS; ka++) {
				const struct an_cell *none = an_bench_cell(b, w, 0, -1);
				const struct an_cell *ca = an_bench_cell(b, w, n, ka);

				if (add_pair(&b->base, &b->nbase, none, ca))
					return -1;
				if (b->lock[ka] != AN_LOCK_PER_VMA)
					continue;
				for (int kb = 0; kb < AN_NKINDS; kb++)
					if (b->lock[kb] == AN_LOCK_MMAP &&
					    add_pair(&b->locks, &b->nlocks, ca,
						     an_bench_cell(b, w, n, kb)))
						return -1;
			}
		}
	}
	return 0;
}

void an_bench_free(struct an_bench *b)
{
	for (size_t i = 0; i < b->nlocks; i++)
		an_compare_free(&b->locks[i].c);
	for (size_t i = 0; i < b->nbase; i++)
		an_compare_free(&b->base[i].c);
	free(b->locks);
	free(b->base);
	for (size_t i = 0; i < b->ncells; i++) {
		an_group_free(&b->cells[i].g);
		an_notes_free(&b->cells[i].warnings);
		free(b->cells[i].runs);
	}
	free(b->cells);
	for (size_t i = 0; i < b->nruns; i++)
		an_run_free(&b->runs[i]);
	free(b->runs);
	free(b->wl);
	an_notes_free(&b->warnings);
	memset(b, 0, sizeof(*b));
}
