// SPDX-License-Identifier: GPL-2.0-only
/*
 * mprotect-loop.c - the minimal C loop a replay is compared with: the same
 * mprotect calls as `vmatrace workload split-new-below`, issued back to back
 *
 *   build/bench/mprotect-loop OPS
 *
 * Maps 4 pages read-write, then alternates mprotect(upper 2 pages, PROT_READ)
 * (split, new below) and mprotect(upper 2 pages, PROT_READ|PROT_WRITE) (merge
 * left full), and prints the wall time of the loop in ns.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	struct timespec t0, t1;
	char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < ops; i++) {
		if (mprotect(p + 2 * page, 2 * page, i & 1 ? PROT_READ | PROT_WRITE : PROT_READ)) {
			perror("mprotect");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%" PRIu64 "\n", (uint64_t)((uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
					    (uint64_t)(t1.tv_nsec - t0.tv_nsec)));
	return 0;
}
