// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-text.c - libFuzzer target: the text form parser of `vmatrace convert`
 *
 * Each input is a text trace: its lines go through the parser and, as
 * convert does, every parsed record through the writer (to a scratch file
 * that is then aborted), so the parser and the writer's checks meet
 * arbitrary input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmt_record rec;
	static char out[64];
	struct vmt_text_parser *p = vmt_text_parser_new("fuzz");
	struct vmt_writer *w = NULL;
	struct vmt_header hdr;
	char err[512], *buf = malloc(size + 1), *line, *next;

	if (!out[0])
		snprintf(out, sizeof(out), "/tmp/vmatrace-fuzz-text.%d.vmt", getpid());
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = buf; line; line = next) {
		int k;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		k = vmt_text_parse_line(p, line, &hdr, &rec);
		if (k < 0)
			break;
		if (k == 2 && !w)
			w = vmt_writer_open(out, &hdr, err, sizeof(err));
		else if (k == 1 && w && vmt_writer_write(w, &rec))
			break;
	}
	vmt_writer_abort(w);
	vmt_text_parser_free(p);
	free(buf);
	return 0;
}
