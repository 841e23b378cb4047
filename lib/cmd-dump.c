// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-dump.c - vmatrace dump: a trace as text, one record a line
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "cmd.h"
#include "util.h"
#include "vmt.h"

static const char dump_usage[] =
	"usage: vmatrace dump [-o FILE] TRACE\n"
	"\n"
	"Print TRACE in the text form of docs/trace-format.md: the header line, the\n"
	"process, thread and file definitions, the initial maps and one line per\n"
	"operation.  'vmatrace convert' turns this text back into the identical trace.\n"
	"\n"
	"  -o, --output FILE   write to FILE instead of standard output; FILE is\n"
	"                      replaced only when the whole trace was read\n"
	"  -h, --help          this text\n";

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = NULL;
	struct vmt_reader *r;
	struct vmt_record rec;
	struct afile af = { .fd = -1 };
	char err[512];
	FILE *out = stdout;
	int c, fd, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'h': return print_usage(dump_usage);
		default: return usage_error("dump", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return usage_error("dump", "expected one trace file");
	r = vmt_reader_open(argv[optind], err, sizeof(err));
	if (!r)
		return error("%s", err);
	if (out_path) {
		/* FILE appears only when the whole trace was read and written */
		fd = afile_open(&af, out_path);
		out = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!out) {
			error("cannot create '%s': %m", out_path);
			if (fd >= 0)
				close(fd);
			afile_close(&af);
			vmt_reader_close(r);
			return EXIT_FAIL;
		}
	}
	vmt_text_header(out, vmt_reader_header(r));
	while ((ret = vmt_reader_next(r, &rec)) > 0)
		vmt_text_record(out, r, &rec);
	if (ret < 0)
		error("%s", vmt_reader_error(r));
	else
		vmt_text_record(out, r, &rec);
	vmt_reader_close(r);
	if (fflush(out) || ferror(out) || (ret >= 0 && out_path && afile_commit(&af))) {
		if (ret >= 0)
			error("cannot write '%s': %m", out_path ? out_path : "<stdout>");
		ret = -1;
	}
	if (out != stdout) {
		fclose(out);
		afile_close(&af); /* not committed: nothing is left */
	}
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}
