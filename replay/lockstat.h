/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lockstat.h - mmap_lock wait and hold times during a replay, per role and
 * mode, from the kernel's own mmap_lock tracepoints (see lockstat.c)
 *
 *   controller                         kernel
 *   ──────────                         ──────
 *   fork replay processes, readers
 *   ls = lockstat_start(writers, readers)   private instance, events on,
 *                                           filtered to those tasks
 *     (a thread drains the per-CPU buffers every few ms)
 *   ... the replay runs ...
 *   lockstat_stop(ls)                       tracing off, last drain,
 *                                           instance removed
 *   lockstat_json(ls, reader passes) → results "lockstat"
 *   lockstat_free(ls)
 *
 * Without root, tracefs or the tracepoints, lockstat_start() returns NULL
 * and says why in one line: the replay runs without lock statistics.
 */
#ifndef VMT_LOCKSTAT_H
#define VMT_LOCKSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

struct lockstat;

/* Start tracing the mmap_lock of @writers (every thread) and @readers; NULL and @why if not. */
struct lockstat *lockstat_start(const pid_t *writers, unsigned int nw, const pid_t *readers,
				unsigned int nr, char *why, size_t whylen);
/* Stop tracing, drain what is left, remove the instance; compute the statistics.  -1 on error. */
int lockstat_stop(struct lockstat *ls);
/* Why lockstat_stop() failed, or "" if it did not. */
const char *lockstat_error(const struct lockstat *ls);
/* The statistics as a JSON array of objects, one per (role, mode). */
json_object *lockstat_json(const struct lockstat *ls, uint64_t reader_passes);
/* Stop if still running, remove the instance if still there, and free @ls (NULL is fine). */
void lockstat_free(struct lockstat *ls);
/* Async-signal-safe: make a running lockstat (and any later lockstat_start()) stop quickly. */
void lockstat_interrupt(void);

#endif /* VMT_LOCKSTAT_H */
