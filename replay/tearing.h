/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tearing.h - checking that readers never see a torn memory map
 *
 * The per-VMA /proc/PID/maps series promises that a reader sees every VMA
 * either before or after a concurrent change, never a hole where memory
 * stayed mapped.  The check, per reader and target:
 *
 *      pass k-1          pass k
 *   |-----------|  ...  |--------|      time
 *   ^ h(k-1)                     ^ h(k, end)
 *
 *   kept = (ranges shown by pass k-1) minus (ranges of every op logged from
 *          h(k-1) to h(k, end), and of the ops in flight at h(k-1))
 *
 * Every address of `kept` was mapped during pass k-1 and touched by no op
 * from the start of pass k-1 to the end of pass k, so it was mapped during
 * all of pass k: pass k must show it.  A gap there is a tear.  Entries out of
 * order or overlapping are tears too, unless a concurrent op touched them
 * (a VMA can legitimately be shown before and after its change).  Taking
 * more ops than strictly overlapped only shrinks `kept`: the check can miss
 * a tear, never invent one.
 *
 * The op log is a ring in shared memory written by the replay workers
 * (each op's relocated ranges, published with a sequence number) plus one
 * in-flight slot per worker; readers only read it.
 */
#ifndef VMT_TEARING_H
#define VMT_TEARING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vrange {
	uint64_t start, end;
};

#define OPLOG_ENTRIES (1u << 18) /* ops a reader's two passes may span */
#define OPLOG_SLOTS 4096 /* in-flight slots: one per worker, one for the dispatcher */

struct oplog_entry {
	_Atomic uint64_t seq; /* n + 1 once entry n is written */
	uint64_t start, end;
};

struct oplog_slot {
	_Atomic uint64_t start; /* 0: idle */
	_Atomic uint64_t end;
};

struct oplog {
	_Atomic uint64_t head; /* entries handed out */
	uint32_t nslots;
	/* more workers than slots: in-flight ops could be missed, so nothing is checked */
	_Atomic int unusable;
	struct oplog_slot slot[OPLOG_SLOTS];
	struct oplog_entry e[OPLOG_ENTRIES];
};

/* Writer side (a replay worker): announce an op's ranges before issuing it, then finish it. */
void oplog_begin(struct oplog *log, unsigned int worker, const struct vrange *r, unsigned int n);
void oplog_end(struct oplog *log, unsigned int worker);

/* Reader side: where the log stands, and what is in flight, at the start of a pass. */
struct oplog_mark {
	uint64_t head;
	unsigned int ninflight;
	struct vrange inflight[OPLOG_SLOTS];
};
void oplog_mark(const struct oplog *log, struct oplog_mark *m);
/*
 * Append to @out (capacity @cap) the ranges of the ops logged from @from to
 * the current head, plus @from's in-flight ops.  Returns the count, or -1 if
 * the ring has wrapped past @from (the pass cannot be checked).
 */
long oplog_collect(const struct oplog *log, const struct oplog_mark *from, struct vrange *out,
		   size_t cap);

/* Parse the VMA ranges of maps or smaps text (smaps: the header lines). Returns the count. */
size_t tearing_parse(const char *text, size_t len, struct vrange *out, size_t cap);

struct tear {
	char what[160]; /* e.g. "gap 0x...-0x... inside memory mapped throughout" */
	uint64_t start, end;
};

/*
 * tearing_check - compare pass k with pass k-1
 * @prev, @nprev: pass k-1's entries, as shown
 * @cur, @ncur: pass k's entries, as shown
 * @changed, @nchanged: ranges touched by ops concurrent with the two passes (any order)
 * @lo, @hi: the part of the address space to judge (the replay area)
 * @t: the first tear found, if any
 *
 * Return: the number of tears (0 for a consistent pair), -1 on ENOMEM.
 */
long tearing_check(const struct vrange *prev, size_t nprev, const struct vrange *cur, size_t ncur,
		   struct vrange *changed, size_t nchanged, uint64_t lo, uint64_t hi, struct tear *t);

#endif /* VMT_TEARING_H */
