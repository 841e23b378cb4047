/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * import-body.h - the libFuzzer body shared by the importer targets: the
 * input becomes the file `vmatrace import --from FUZZ_FORMAT` reads, exactly
 * as the command line would run it (run with -close_fd_mask=2 to keep its
 * warnings out of the fuzzer's output)
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char in[64], out[96];
	char *argv[] = { "import", "--from", FUZZ_FORMAT, in, "-o", out, NULL };

	if (fd < 0) {
		fd = memfd_create("fuzz-import", 0);
		snprintf(in, sizeof(in), "/proc/self/fd/%d", fd);
		snprintf(out, sizeof(out), "/tmp/vmatrace-fuzz-import.%d.vmt", (int)getpid());
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	optind = 1;
	cmd_import(6, argv);
	unlink(out);
	return 0;
}
