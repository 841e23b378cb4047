// SPDX-License-Identifier: GPL-2.0-only
/*
 * read-trace.c - how fast the trace reader decodes: ops/s and MB/s
 *
 *   build/bench/read-trace TRACE [REPEAT]
 *
 * Reads TRACE REPEAT times (default 5) through the library reader, touching
 * every op so nothing is optimised away, and prints the median and best
 * rates.  The page cache is warm after the first pass: this measures
 * decoding, which is what bounds replay start-up and info.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"
#include "vmt.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int repeat = argc > 2 ? atoi(argv[2]) : 5;
	double *secs;
	uint64_t ops = 0, sink = 0;
	struct stat st;

	if (argc < 2 || repeat < 1) {
		fprintf(stderr, "usage: read-trace TRACE [REPEAT]\n");
		return 2;
	}
	if (stat(argv[1], &st)) {
		perror(argv[1]);
		return 1;
	}
	secs = calloc((size_t)repeat, sizeof(*secs));
	for (int i = 0; i < repeat; i++) {
		char err[512];
		struct vmt_record rec;
		struct vmt_reader *r;
		uint64_t t0 = now_ns(CLOCK_MONOTONIC);
		int k;

		r = vmt_reader_open(argv[1], err, sizeof(err));
		if (!r) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		ops = 0;
		while ((k = vmt_reader_next(r, &rec)) > 0) {
			if (rec.type == VMT_REC_OP) {
				ops++;
				sink += rec.op.args[0] ^ (uint64_t)rec.op.ret;
			}
		}
		if (k < 0) {
			fprintf(stderr, "%s\n", vmt_reader_error(r));
			return 1;
		}
		vmt_reader_close(r);
		secs[i] = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	}
	qsort(secs, (size_t)repeat, sizeof(*secs), cmp_double);
	printf("trace            %s\n", argv[1]);
	printf("ops              %" PRIu64 "\n", ops);
	printf("bytes            %jd (%.1f per op)\n", (intmax_t)st.st_size,
	       ops ? (double)st.st_size / (double)ops : 0.0);
	printf("passes           %d\n", repeat);
	printf("median           %.3f s  %.1f M ops/s  %.0f MB/s\n", secs[repeat / 2],
	       (double)ops / secs[repeat / 2] / 1e6, (double)st.st_size / secs[repeat / 2] / 1e6);
	printf("best             %.3f s  %.1f M ops/s  %.0f MB/s\n", secs[0],
	       (double)ops / secs[0] / 1e6, (double)st.st_size / secs[0] / 1e6);
	printf("checksum         %" PRIx64 "\n", sink);
	free(secs);
	return 0;
}
