// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-trace.c - libFuzzer target: the binary trace reader
 *
 * The input is handed to the reader as a file (a memfd, since the reader
 * opens paths) and read to the end; every record and every table lookup the
 * tools make is exercised, so a crash, a hang or a leak is the reader's.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct vmt_reader *r;
	struct vmt_record rec;
	char err[512];

	if (fd < 0) {
		fd = memfd_create("fuzz-trace", 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	r = vmt_reader_open(path, err, sizeof(err));
	if (!r)
		return 0;
	while (vmt_reader_next(r, &rec) > 0) {
		/* what info and replay look up for each op */
		if (rec.type == VMT_REC_OP) {
			uint64_t s, e;

			(void)vmt_reader_thread(r, rec.op.thread)->process;
			(void)vmt_op_range(&rec.op, &s, &e);
			(void)vmt_op_failed(&rec.op);
		}
	}
	vmt_reader_close(r);
	return 0;
}
