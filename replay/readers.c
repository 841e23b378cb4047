// SPDX-License-Identifier: GPL-2.0-only
/*
 * readers.c - the monitors: read another process's memory map in full, again
 * and again, the way production monitors do, and time every pass
 *
 * A pass over one target is what a monitor does each time it samples:
 *
 *   maps, smaps, smaps_rollup   open /proc/PID/<file>, read(2) to EOF, close
 *                               (--reader-reopen no: keep the fd, pread from 0)
 *   procmap_query               PROCMAP_QUERY from address 0, then from the end
 *                               of each VMA returned, until ENOENT
 *
 * A PROCMAP_QUERY monitor opens /proc/PID/maps once and issues the ioctl on
 * it for as long as it watches the process, so the handle is opened once per
 * target before the loop and a pass is only the walk.
 *
 * Everything a pass needs (read buffer, paths, descriptors, handles) is set
 * up before the first pass: the loop itself makes system calls, reads the
 * clock and bumps counters, nothing else.  The kernel's cost is what is
 * measured, and an allocation or a lock here would put the reader's own
 * noise into the histogram.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "procmap.h"
#include "readers.h"

static const char *const kind_names[READER_KIND_NR] = {
	[READER_MAPS] = "maps",
	[READER_SMAPS] = "smaps",
	[READER_SMAPS_ROLLUP] = "smaps_rollup",
	[READER_PROCMAP_QUERY] = "procmap_query",
};

/**
 * reader_kind_name - the name of a reader kind, as the command line spells it
 * @kind: the kind
 *
 * Return: "maps", "smaps", "smaps_rollup", "procmap_query", or "?" if @kind
 * is out of range.
 */
const char *reader_kind_name(enum reader_kind kind)
{
	if ((unsigned int)kind >= READER_KIND_NR)
		return "?";
	return kind_names[kind];
}

/**
 * reader_kind_from_name - parse a reader kind
 * @name: a name as reader_kind_name() returns it
 *
 * Return: the kind, or -1 if @name is not one.
 */
int reader_kind_from_name(const char *name)
{
	if (!name)
		return -1;
	for (unsigned int i = 0; i < READER_KIND_NR; i++)
		if (!strcmp(name, kind_names[i]))
			return (int)i;
	return -1;
}

/**
 * reader_apply_sched - give the calling process a reader's nice level and CPU
 * @nice_level: -20..19
 * @cpu: the CPU to run on, or -1 to leave the affinity alone
 *
 * The nice level is set only when it differs from the current one, so an
 * unprivileged caller already at @nice_level does not fail for asking.
 * Linux keeps the nice level per thread: call this before starting threads.
 *
 * Return: 0, or -1 with errno set (EINVAL for an out-of-range argument,
 * EACCES/EPERM for a nice level below the current one without privilege).
 */
int reader_apply_sched(int nice_level, int cpu)
{
	cpu_set_t set;
	int cur;

	if (nice_level < -20 || nice_level > 19 || cpu < -1 || cpu >= CPU_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	cur = getpriority(PRIO_PROCESS, 0);
	if (cur == -1 && errno)
		return -1;
	if (cur != nice_level && setpriority(PRIO_PROCESS, 0, nice_level))
		return -1;
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return -1;
	}
	return 0;
}

/* What the loop keeps per target, all of it prepared before the first pass. */
struct target {
	pid_t pid;
	int fd;		    /* text kinds without reopen: the kept descriptor, -1 until opened */
	struct procmap *pm; /* procmap_query: the handle, NULL until opened */
	char path[48];	    /* /proc/PID/<file> */
	/* --check-tearing: the previous pass's VMAs and where the op log stood before it */
	struct vrange *prev;
	size_t nprev, cap_prev;
	bool have_prev;
	struct oplog_mark *mark_prev, *mark_cur;
};

/* What --check-tearing needs besides the targets: the pass's text and VMAs, scratch. */
struct tear_state {
	char *text; /* the whole of a text pass */
	size_t cap_text;
	struct vrange *cur, *changed;
	size_t cap_cur, cap_changed;
};

static const char *const kind_files[READER_KIND_NR] = {
	[READER_MAPS] = "maps",
	[READER_SMAPS] = "smaps",
	[READER_SMAPS_ROLLUP] = "smaps_rollup",
	[READER_PROCMAP_QUERY] = "maps",
};

/*
 * One pass over a text file; returns the bytes read or -1 with errno set.
 * A live process always has a VMA (and smaps_rollup a header line), so an
 * empty read means the target's mm is gone: proc_mem_open() opens the file of
 * an exited task without an mm, and reads of it return nothing.  That is a
 * failure, reported as ESRCH like the ioctl and smaps_rollup do.
 */
static ssize_t text_pass(const struct reader_config *cfg, struct target *t, char *buf,
			 struct tear_state *ts)
{
	size_t got = 0;
	ssize_t n;
	int fd = t->fd, saved;

	if (fd < 0) {
		fd = open(t->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		if (!cfg->reopen)
			t->fd = fd;
	}
	for (;;) {
		/*
		 * A kept descriptor is read with pread from offset 0: seq_file
		 * restarts its iterator at offset 0, and later preads continue
		 * where the last one ended, so no lseek is needed.
		 */
		if (ts) {
			/* checking: keep the whole text (grows only while the map does) */
			if (ts->cap_text - got < cfg->bufsize) {
				char *p = realloc(ts->text, ts->cap_text * 2 + cfg->bufsize);

				if (!p) {
					errno = ENOMEM;
					n = -1;
					break;
				}
				ts->text = p;
				ts->cap_text = ts->cap_text * 2 + cfg->bufsize;
			}
			buf = ts->text + got;
		}
		if (cfg->reopen)
			n = read(fd, buf, cfg->bufsize);
		else
			n = pread(fd, buf, cfg->bufsize, (off_t)got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	saved = errno;
	if (cfg->reopen)
		close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	if (!got) {
		errno = ESRCH;
		return -1;
	}
	return (ssize_t)got;
}

/* One PROCMAP_QUERY walk; returns the VMAs seen or -1 with errno set. */
static int64_t query_pass(struct target *t, struct procmap_vma *vma, struct tear_state *ts)
{
	int64_t vmas = 0;
	int r;

	if (!t->pm) {
		/* only for a target that could not be opened before the loop: it allocates */
		t->pm = procmap_open(t->pid, PROCMAP_METHOD_QUERY);
		if (!t->pm)
			return -1;
	}
	if (procmap_rewind(t->pm, 0))
		return -1;
	while ((r = procmap_next(t->pm, vma)) > 0) {
		if (ts) {
			if ((size_t)vmas == ts->cap_cur) {
				struct vrange *p = realloc(ts->cur, (ts->cap_cur * 2 + 256) * sizeof(*p));

				if (!p) {
					errno = ENOMEM;
					return -1;
				}
				ts->cur = p;
				ts->cap_cur = ts->cap_cur * 2 + 256;
			}
			ts->cur[vmas] = (struct vrange){ vma->start, vma->end };
		}
		vmas++;
	}
	if (r < 0)
		return -1;
	if (!vmas) {
		errno = ESRCH;
		return -1;
	}
	return vmas;
}

static void close_targets(struct target *tg, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (tg[i].fd >= 0)
			close(tg[i].fd);
		procmap_close(tg[i].pm);
		free(tg[i].prev);
		free(tg[i].mark_prev);
		free(tg[i].mark_cur);
	}
	free(tg);
}

/* Up to @max lines of @cur around [s, e), "start-end" each, into @out. */
static size_t around(char *out, size_t size, const struct vrange *v, size_t n, uint64_t s,
		     uint64_t e)
{
	size_t len = 0, first = 0;

	while (first < n && v[first].end <= s)
		first++;
	first = first >= 2 ? first - 2 : 0;
	for (size_t i = first; i < n && i < first + 5 && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%llx-%llx", i > first ? ", " : "",
					(unsigned long long)v[i].start, (unsigned long long)v[i].end);
	(void)e;
	return len < size ? len : size - 1;
}

/*
 * Check this pass of target @t against its previous one (tearing.h) and keep
 * it as the previous one for the next; runs after the pass was timed.
 */
static void tear_check(const struct reader_config *cfg, unsigned int ti, struct target *t,
		       struct tear_state *ts, size_t ncur, struct reader_stats *st)
{
	const struct oplog *log = cfg->logs[ti];
	struct oplog_mark *m;
	struct tear tear;
	long nchg, tears;

	if (t->have_prev) {
		nchg = oplog_collect(log, t->mark_prev, ts->changed, ts->cap_changed);
		if (nchg < 0) {
			st->unchecked++;
		} else {
			tears = tearing_check(t->prev, t->nprev, ts->cur, ncur, ts->changed, (size_t)nchg,
					      cfg->area_lo, cfg->area_hi, &tear);
			if (tears < 0) {
				st->unchecked++;
			} else {
				st->checked++;
				if (tears && st->tears < READER_TEAR_EXAMPLES) {
					char *x = st->tear_examples[st->tears];
					size_t len;

					len = (size_t)snprintf(x, 1024, "%s (pid %d); shown: ", tear.what, (int)t->pid);
					len += around(x + len, 1024 - len, ts->cur, ncur, tear.start, tear.end);
					len += (size_t)snprintf(x + len, 1024 - len, "; before: ");
					len += around(x + len, 1024 - len, t->prev, t->nprev, tear.start, tear.end);
					len += (size_t)snprintf(x + len, 1024 - len, "; ops meanwhile: ");
					around(x + len, 1024 - len, ts->changed, (size_t)nchg, tear.start, tear.end);
				}
				st->tears += (uint64_t)tears;
			}
		}
	}
	/* this pass becomes the previous one */
	if (ncur > t->cap_prev) {
		struct vrange *p = realloc(t->prev, ncur * sizeof(*p));

		if (!p) {
			t->have_prev = false;
			return;
		}
		t->prev = p;
		t->cap_prev = ncur;
	}
	memcpy(t->prev, ts->cur, ncur * sizeof(*t->prev));
	t->nprev = ncur;
	m = t->mark_prev;
	t->mark_prev = t->mark_cur;
	t->mark_cur = m;
	t->have_prev = true;
}

/**
 * reader_loop - read the targets' maps in turn until *@stop becomes non-zero
 * @cfg: what and how to read; cfg->bufsize must be non-zero for the text kinds
 * @targets: the processes to read, @ntargets of them, one pass each in turn
 * @stop: set by the controller (shared memory) to end the loop
 * @st: initialised here, then counts and times the passes
 *
 * See readers.h.  Failed passes are counted in st->errors with the last
 * errno in st->last_errno and are not timed; st->pass holds successful
 * passes only.  For procmap_query the /proc/PID/maps handle of each target
 * is opened once, before the first pass (a target that cannot be opened then
 * is retried at each of its passes), and a pass is the walk alone.
 *
 * Return: 0 once *@stop is set, or -1 with errno set if the loop could not
 * start: EINVAL for a bad argument, ENOMEM, or ENOTTY for procmap_query on a
 * kernel without the PROCMAP_QUERY ioctl (Linux 6.11+).
 */
int reader_loop(const struct reader_config *cfg, const pid_t *targets, unsigned int ntargets,
		volatile int *stop, struct reader_stats *st)
{
	struct procmap_vma vma;
	struct target *tg;
	bool query, check;
	char *buf = NULL;
	struct tear_state ts = { 0 }, *tsp = NULL;

	if (!cfg || !targets || !ntargets || !stop || !st ||
	    (unsigned int)cfg->kind >= READER_KIND_NR) {
		errno = EINVAL;
		return -1;
	}
	query = cfg->kind == READER_PROCMAP_QUERY;
	if (!query && (!cfg->bufsize || cfg->bufsize > SSIZE_MAX)) {
		errno = EINVAL;
		return -1;
	}
	hist_init(&st->pass);
	st->passes = st->bytes = st->vmas = st->errors = 0;
	st->last_errno = 0;
	st->checked = st->unchecked = st->tears = 0;
	check = cfg->logs && cfg->kind != READER_SMAPS_ROLLUP;

	tg = calloc(ntargets, sizeof(*tg));
	if (!tg)
		return -1;
	if (check) {
		ts.cap_changed = OPLOG_ENTRIES + OPLOG_SLOTS;
		ts.changed = malloc(ts.cap_changed * sizeof(*ts.changed));
		if (!ts.changed) {
			free(tg);
			errno = ENOMEM;
			return -1;
		}
		tsp = &ts;
	}
	for (unsigned int i = 0; i < ntargets; i++) {
		if (check) {
			tg[i].mark_prev = malloc(sizeof(*tg[i].mark_prev));
			tg[i].mark_cur = malloc(sizeof(*tg[i].mark_cur));
			if (!tg[i].mark_prev || !tg[i].mark_cur) {
				close_targets(tg, ntargets);
				free(ts.changed);
				errno = ENOMEM;
				return -1;
			}
		}
		tg[i].pid = targets[i];
		tg[i].fd = -1;
		snprintf(tg[i].path, sizeof(tg[i].path), "/proc/%d/%s", (int)targets[i],
			 kind_files[cfg->kind]);
	}
	if (query) {
		for (unsigned int i = 0; i < ntargets; i++) {
			tg[i].pm = procmap_open(tg[i].pid, PROCMAP_METHOD_QUERY);
			if (tg[i].pm)
				continue;
			if (errno == ENOTTY) {
				close_targets(tg, ntargets);
				errno = ENOTTY;
				return -1;
			}
			/* gone already: its passes fail and are counted */
		}
	} else {
		buf = malloc(cfg->bufsize);
		if (!buf) {
			close_targets(tg, ntargets);
			errno = ENOMEM;
			return -1;
		}
		if (!cfg->reopen)
			for (unsigned int i = 0; i < ntargets; i++)
				tg[i].fd = open(tg[i].path, O_RDONLY | O_CLOEXEC);
	}

	for (unsigned int i = 0; !*stop; i = i + 1 == ntargets ? 0 : i + 1) {
		struct timespec t0, t1;
		int64_t got;

		if (tsp && cfg->logs[i])
			oplog_mark(cfg->logs[i], tg[i].mark_cur); /* before the pass: see tearing.h */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (query)
			got = query_pass(&tg[i], &vma, tsp);
		else
			got = text_pass(cfg, &tg[i], buf, tsp);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (got < 0) {
			st->errors++;
			st->last_errno = errno;
			tg[i].have_prev = false;
			continue;
		}
		if (tsp && cfg->logs[i]) {
			size_t ncur = (size_t)got;

			if (!query) {
				/* a VMA line is at least "0-0 ---p 0 0:0 0\n": 18 bytes */
				size_t need = (size_t)got / 18 + 1;

				if (need > ts.cap_cur) {
					struct vrange *p = realloc(ts.cur, need * sizeof(*p));

					if (p) {
						ts.cur = p;
						ts.cap_cur = need;
					}
				}
				ncur = ts.cur ? tearing_parse(ts.text, (size_t)got, ts.cur, ts.cap_cur) : 0;
			}
			tear_check(cfg, i, &tg[i], &ts, ncur, st);
		}
		hist_record(&st->pass, (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
					       (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec);
		st->passes++;
		if (query)
			st->vmas += (uint64_t)got;
		else
			st->bytes += (uint64_t)got;
	}

	free(buf);
	free(ts.text);
	free(ts.cur);
	free(ts.changed);
	close_targets(tg, ntargets);
	return 0;
}
