// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-results.c - libFuzzer target: the results loader of report, compare
 * and bench (analysis/stats.c), on arbitrary bytes as a results file
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analysis/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct an_run run;
	char err[512], name[128];

	if (fd < 0) {
		fd = memfd_create("fuzz-results", 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	memset(&run, 0, sizeof(run));
	if (an_run_load(path, &run, err, sizeof(err)) == 0)
		(void)an_run_workload(&run, name, sizeof(name));
	an_run_free(&run);
	return 0;
}
