// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-tearing.c - the tearing check on synthetic snapshots: every torn one
 * caught, no consistent one (nor a VMA shown before and after its change)
 * flagged; the maps/smaps parser; the op log's bookkeeping
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tap.h"
#include "replay/tearing.h"

#define P 0x1000ull
#define LO (100 * P)
#define HI (1000 * P)

static long check(const struct vrange *prev, size_t np, const struct vrange *cur, size_t nc,
		  const struct vrange *chg, size_t nchg, struct tear *t)
{
	struct vrange c[64];

	if (nchg) /* chg is NULL when there is no change: no memcpy from NULL */
		memcpy(c, chg, nchg * sizeof(*c));
	return tearing_check(prev, np, cur, nc, c, nchg, LO, HI, t);
}

#define R(a, b) { (a) * P, (b) * P }
#define N(x) (sizeof(x) / sizeof((x)[0]))

static void hand_made(void)
{
	struct tear t;
	const struct vrange prev[] = { R(100, 110), R(110, 120), R(130, 140) };
	const struct vrange same[] = { R(100, 110), R(110, 120), R(130, 140) };
	const struct vrange merged[] = { R(100, 120), R(130, 140) };
	const struct vrange hole[] = { R(100, 110), R(130, 140) };
	const struct vrange part[] = { R(100, 110), R(112, 120), R(130, 140) };
	const struct vrange dup[] = { R(100, 110), R(100, 120), R(130, 140) };
	const struct vrange disorder[] = { R(130, 140), R(100, 110), R(110, 120) };
	const struct vrange chg_110_120[] = { R(110, 120) };
	const struct vrange chg_111_120[] = { R(111, 120) };
	const struct vrange outside_prev[] = { R(10, 20), R(100, 110) };
	const struct vrange outside_cur[] = { R(100, 110) };

	tap_ok(check(prev, N(prev), same, N(same), NULL, 0, &t) == 0, "an unchanged map: no tear");
	tap_ok(check(prev, N(prev), merged, N(merged), NULL, 0, &t) == 0,
	       "two VMAs shown merged cover the same memory: no tear");
	tap_ok(check(prev, N(prev), hole, N(hole), NULL, 0, &t) == 1 && t.start == 110 * P &&
		       t.end == 120 * P,
	       "a VMA missing with nothing changing it is a tear at its range: %s", t.what);
	tap_ok(check(prev, N(prev), hole, N(hole), chg_110_120, 1, &t) == 0,
	       "the same hole where an op ran is legitimate (unmapped meanwhile)");
	tap_ok(check(prev, N(prev), part, N(part), chg_111_120, 1, &t) == 1 && t.start == 110 * P &&
		       t.end == 111 * P,
	       "a hole wider than the change: the untouched page is a tear: %s", t.what);
	tap_ok(check(prev, N(prev), dup, N(dup), chg_110_120, 1, &t) == 0,
	       "a VMA shown before and after its change (overlapping lines) is legitimate");
	tap_ok(check(prev, N(prev), dup, N(dup), NULL, 0, &t) == 1,
	       "the same overlap with no change is a tear: %s", t.what);
	tap_ok(check(prev, N(prev), disorder, N(disorder), NULL, 0, &t) >= 1,
	       "entries out of order with no change: a tear: %s", t.what);
	tap_ok(check(outside_prev, N(outside_prev), outside_cur, N(outside_cur), NULL, 0, &t) == 0,
	       "a hole outside the judged area (the replayer's own memory) is not judged");
	tap_ok(check(prev, N(prev), NULL, 0, NULL, 0, &t) == 2,
	       "an empty snapshot: each run of mapped memory is a tear (2)");
}

/*
 * A random layout of VMAs; ops that change random ranges; the snapshot a
 * correct reader may show: every VMA untouched by the ops as it was, the
 * touched part in any mix of before and after.  The check must accept all of
 * them; then one page of untouched memory is removed and it must be caught.
 */
static void randomised(void)
{
	unsigned int missed = 0, false_alarm = 0, trials = 3000;
	struct tear t;

	srand(11);
	for (unsigned int trial = 0; trial < trials; trial++) {
		struct vrange prev[64], cur[128], chg[8];
		size_t np = 0, nc = 0, nchg = 1 + (size_t)(rand() % 3);
		uint64_t a = 100;

		/* pass k-1: VMAs with random gaps */
		while (a < 900 && np < 40) {
			uint64_t len = 1 + (uint64_t)(rand() % 20);

			if (rand() % 3)
				prev[np++] = (struct vrange){ a * P, (a + len) * P };
			a += len;
		}
		for (size_t i = 0; i < nchg; i++) {
			uint64_t s = 100 + (uint64_t)(rand() % 800);

			chg[i] = (struct vrange){ s * P, (s + 1 + (uint64_t)(rand() % 15)) * P };
		}
		/* pass k: untouched pages as before; touched pages anything (here: dropped or kept) */
		for (size_t i = 0; i < np; i++) {
			uint64_t s = prev[i].start;

			for (uint64_t pg = prev[i].start; pg <= prev[i].end; pg += P) {
				bool touched = false, end = pg == prev[i].end;

				for (size_t c = 0; c < nchg && !end; c++)
					touched |= pg >= chg[c].start && pg < chg[c].end;
				if (end || (touched && rand() % 2)) {
					if (pg > s)
						cur[nc++] = (struct vrange){ s, pg };
					s = pg + P;
				}
			}
		}
		if (check(prev, np, cur, nc, chg, nchg, &t) != 0)
			false_alarm++;
		/* remove one untouched page, if there is one */
		for (size_t i = 0; i < nc; i++) {
			uint64_t pg = cur[i].start;
			bool touched = false;

			for (size_t c = 0; c < nchg; c++)
				touched |= pg >= chg[c].start && pg < chg[c].end;
			if (touched)
				continue;
			cur[i].start += P;
			if (check(prev, np, cur, nc, chg, nchg, &t) < 1)
				missed++;
			break;
		}
	}
	tap_ok(false_alarm == 0, "%u random consistent snapshots (before/after mixes): no tear (%u)",
	       trials, false_alarm);
	tap_ok(missed == 0, "the same with one untouched page missing: every one caught (%u missed)",
	       missed);
}

static void parsing(void)
{
	static const char maps[] =
		"7f0000000000-7f0000001000 r--p 00000000 08:01 123 /usr/lib/x.so\n"
		"7f0000001000-7f0000003000 rw-p 00000000 00:00 0 \n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
	static const char smaps[] =
		"7f0000000000-7f0000001000 r--p 00000000 08:01 123 /usr/lib/x.so\n"
		"Size:                  4 kB\n"
		"KernelPageSize:        4 kB\n"
		"Anonymous:             0 kB\n"
		"VmFlags: rd mr mw me sd\n"
		"7f0000001000-7f0000003000 rw-p 00000000 00:00 0 \n"
		"Size:                  8 kB\n";
	struct vrange r[8];
	size_t n = tearing_parse(maps, sizeof(maps) - 1, r, 8);

	tap_ok(n == 3 && r[0].start == 0x7f0000000000ull && r[1].end == 0x7f0000003000ull &&
		       r[2].start == 0xffffffffff600000ull,
	       "maps text: every line's range (%zu)", n);
	n = tearing_parse(smaps, sizeof(smaps) - 1, r, 8);
	tap_ok(n == 2 && r[1].start == 0x7f0000001000ull, "smaps text: the VMA header lines only (%zu)", n);
	n = tearing_parse(maps, 20, r, 8);
	tap_ok(n == 0, "a line cut before its first space is not taken");
}

static void op_log(void)
{
	struct oplog *log = mmap(NULL, sizeof(*log), PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static struct oplog_mark m;
	struct vrange out[16], r[2] = { R(200, 201), R(300, 302) };
	long n;

	log->nslots = 2;
	oplog_begin(log, 1, r, 2);
	oplog_mark(log, &m);
	tap_ok(m.ninflight == 1 && m.inflight[0].start == 200 * P && m.head == 2,
	       "a mark sees the op in flight and the log's head");
	oplog_end(log, 1);
	oplog_begin(log, 0, r + 1, 1);
	oplog_end(log, 0);
	n = oplog_collect(log, &m, out, 16);
	tap_ok(n == 2 && out[0].start == 200 * P && out[1].start == 300 * P,
	       "collect: what was in flight at the mark and what was logged since (%ld)", n);
	for (unsigned int i = 0; i < OPLOG_ENTRIES + 1; i++)
		oplog_begin(log, 0, r, 1);
	tap_ok(oplog_collect(log, &m, out, 16) == -1,
	       "a mark the ring has wrapped past cannot be checked");
	munmap(log, sizeof(*log));
}

int main(void)
{
	hand_made();
	randomised();
	parsing();
	op_log();
	return tap_done();
}
