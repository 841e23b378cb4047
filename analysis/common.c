// SPDX-License-Identifier: GPL-2.0-only
/*
 * common.c - loading lists of results files and drawing plots, for report,
 * compare and bench
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

struct an_run *an_load_runs(char *const *paths, size_t n)
{
	struct an_run *runs = calloc(n ? n : 1, sizeof(*runs));
	char err[1024];

	if (!runs) {
		error("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (an_run_load(paths[i], &runs[i], err, sizeof(err))) {
			error("%s", err);
			an_free_runs(runs, i);
			return NULL;
		}
	}
	return runs;
}

void an_free_runs(struct an_run *runs, size_t n)
{
	for (size_t i = 0; runs && i < n; i++)
		an_run_free(&runs[i]);
	free(runs);
}

const struct an_run *an_group_median_run(const struct an_group *g)
{
	const struct an_row *r = an_group_find(g, "writer", "all");
	const struct an_run *best = g->nruns ? g->runs[0] : NULL;
	double med, bestd = INFINITY;

	if (!r || !r->n)
		return best;
	med = r->est[AN_MEAN].median;
	for (size_t i = 0; i < g->nruns; i++) {
		const struct an_lat *lt = an_run_find(g->runs[i], "writer", "all");

		if (lt && fabs(lt->v[AN_MEAN] - med) < bestd) {
			bestd = fabs(lt->v[AN_MEAN] - med);
			best = g->runs[i];
		}
	}
	return best;
}

int an_plotter_init(struct an_plotter *p, const char *dir, bool draw, struct an_notes *warnings,
		    char *err, size_t errlen)
{
	char sub[PATH_MAX + 16];

	memset(p, 0, sizeof(*p));
	p->warnings = warnings;
	strlcpy_(p->dir, dir, sizeof(p->dir));
	snprintf(sub, sizeof(sub), "%s/data", dir);
	if (an_mkdirs(sub, err, errlen))
		return -1;
	if (!draw)
		return 0;
	if (!an_have_gnuplot()) {
		an_note(warnings,
			"gnuplot is not installed (apt-get install gnuplot-nox): no plots; their data is in %s/data",
			dir);
		return 0;
	}
	if (an_plot_dir(p->gpdir, sizeof(p->gpdir))) {
		p->gpdir[0] = '\0';
		an_note(warnings,
			"the gnuplot scripts (cdf.gp...) are not next to vmatrace nor in share/vmatrace (set VMATRACE_GNUPLOT_DIR): no plots; their data is in %s/data",
			dir);
		return 0;
	}
	snprintf(sub, sizeof(sub), "%s/plots", dir);
	return an_mkdirs(sub, err, errlen);
}

int an_plotter_draw(struct an_plotter *p, const char *name, const char *script, an_dat_fn dat,
		    const struct an_series *s, size_t n, const char *title, const char *label,
		    char *err, size_t errlen)
{
	char datp[PATH_MAX + 64], outp[PATH_MAX + 64], perr[1024];

	snprintf(datp, sizeof(datp), "%s/data/%s.dat", p->dir, name);
	if (dat(datp, s, n, err, errlen))
		return -1;
	if (!p->gpdir[0])
		return 0;
	snprintf(outp, sizeof(outp), "%s/plots/%s", p->dir, name);
	if (an_plot(p->gpdir, script, datp, outp, title, label, perr, sizeof(perr))) {
		an_note(p->warnings, "plot %s not drawn: %s", name, perr);
		p->failed++;
	} else {
		p->drawn++;
	}
	return 0;
}

int an_write_file(const char *dir, const char *name, an_print_fn print, const void *ctx, char *err,
		  size_t errlen)
{
	char path[PATH_MAX + 64];
	struct an_out o;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (an_out_open(&o, path, err, errlen))
		return -1;
	print(o.f, ctx);
	return an_out_commit(&o, err, errlen);
}
