// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-convert.c - vmatrace convert: the text form back into a binary trace
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"
#include "vmt.h"

static const char convert_usage[] =
	"usage: vmatrace convert TEXT|- -o TRACE\n"
	"\n"
	"Turn the text form printed by 'vmatrace dump' (or written by hand, see\n"
	"docs/trace-format.md) into a binary trace.  'vmatrace dump T | vmatrace\n"
	"convert - -o T2' makes T2 byte-for-byte identical to T.  TRACE is replaced\n"
	"only when the whole input converted without error.\n"
	"\n"
	"  -o, --output TRACE  the trace to write (required)\n"
	"  -h, --help          this text\n";

int cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = NULL, *in_path;
	struct vmt_text_parser *p = NULL;
	struct vmt_writer *w = NULL;
	struct vmt_header hdr;
	struct vmt_record *rec = NULL;
	char err[512], *line = NULL;
	size_t cap = 0;
	FILE *in;
	int c, ret = EXIT_FAIL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'h': return print_usage(convert_usage);
		default: return usage_error("convert", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return usage_error("convert", "expected one text file (or - for standard input)");
	if (!out_path)
		return usage_error("convert", "-o TRACE is required");
	in_path = argv[optind];
	in = strcmp(in_path, "-") ? fopen(in_path, "r") : stdin;
	if (!in)
		return error("cannot open '%s': %m", in_path);
	p = vmt_text_parser_new(strcmp(in_path, "-") ? in_path : "<stdin>");
	rec = malloc(sizeof(*rec));
	if (!p || !rec) {
		error("out of memory");
		goto out;
	}
	while (getline(&line, &cap, in) >= 0) {
		int k = vmt_text_parse_line(p, line, &hdr, rec);

		if (k < 0) {
			error("%s", vmt_text_error(p));
			goto out;
		}
		if (k == 2) {
			w = vmt_writer_open(out_path, &hdr, err, sizeof(err));
			if (!w) {
				error("%s", err);
				goto out;
			}
		} else if (k == 1 && vmt_writer_write(w, rec)) {
			error("%s: line %" PRIu64 ": %s", strcmp(in_path, "-") ? in_path : "<stdin>",
			      vmt_text_line(p), vmt_writer_error(w));
			goto out;
		}
	}
	if (ferror(in)) {
		error("cannot read '%s': %m", in_path);
		goto out;
	}
	if (!w) {
		error("%s: no 'vmatrace-trace' header line", strcmp(in_path, "-") ? in_path : "<stdin>");
		goto out;
	}
	ret = vmt_writer_close(w, err, sizeof(err)) ? error("%s", err) : EXIT_OK;
	w = NULL;
out:
	vmt_writer_abort(w);
	vmt_text_parser_free(p);
	free(rec);
	free(line);
	if (in != stdin)
		fclose(in);
	return ret;
}
