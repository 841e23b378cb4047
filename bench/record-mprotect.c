// SPDX-License-Identifier: GPL-2.0-only
/*
 * record-mprotect.c - the capture-overhead workload of bench/record-overhead.sh:
 * N mprotect calls that split and re-merge one page inside a larger mapping,
 * timed by the program itself
 *
 *   build/bench/record-mprotect [-n CALLS] [-p PAGES]
 *
 * The mapping is PAGES pages (default 16) of private anonymous memory.  Each
 * iteration makes the middle page read-only, which splits the VMA in three,
 * then read-write again, which merges the three back into one:
 *
 *       +------------------------- rw- -------------------------+
 *   ->  +-------- rw- --------+- r-- -+-------- rw- ------------+
 *   ->  +------------------------- rw- -------------------------+
 *
 * so every call does real VMA work under the mmap write lock, as the splits
 * and merges of the seed scenarios do.  The time is taken with
 * CLOCK_MONOTONIC around the loop only, so start-up and a tracer's arming
 * are not counted; the thread's CPU time is given too, which other load on
 * the machine does not inflate.  Output, one line:
 *
 *   calls 400000 elapsed_ns 612345678 ns_per_call 1530.9 cpu_ns 610000000
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const char usage[] = "usage: record-mprotect [-n CALLS] [-p PAGES]\n";

int main(int argc, char **argv)
{
	uint64_t calls = 400000, pages = 16, t0, t1, c0, c1;
	long page = sysconf(_SC_PAGESIZE);
	char *map, *mid;
	int c;

	while ((c = getopt(argc, argv, "n:p:h")) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, &calls, true) || calls < 2)
				return usage_error(NULL, "-n: expected a number of calls >= 2");
			break;
		case 'p':
			if (parse_u64(optarg, &pages, false) || pages < 3 || pages > 1 << 20)
				return usage_error(NULL, "-p: expected 3 to 1048576 pages");
			break;
		case 'h':
			return print_usage(usage);
		default:
			return usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	map = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return error("mmap: %s", strerror(errno));
	/* touch every page so the loop measures VMA work, not first faults */
	memset(map, 1, pages * page);
	mid = map + pages / 2 * page;
	c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (uint64_t i = 0; i < calls / 2; i++) {
		if (mprotect(mid, page, PROT_READ) || mprotect(mid, page, PROT_READ | PROT_WRITE))
			return error("mprotect: %s", strerror(errno));
	}
	t1 = now_ns(CLOCK_MONOTONIC);
	c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	printf("calls %" PRIu64 " elapsed_ns %" PRIu64 " ns_per_call %.1f cpu_ns %" PRIu64 "\n",
	       calls / 2 * 2, t1 - t0, (double)(t1 - t0) / (double)(calls / 2 * 2), c1 - c0);
	munmap(map, pages * page);
	return 0;
}
