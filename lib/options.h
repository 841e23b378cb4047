/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * options.h - one table per command: parse, usage text, and the JSON echo
 *
 * Like fio's options.c: each option is a row (name, type, offset into the
 * command's options struct, default, help); the same row parses the command
 * line, prints the help and records the value in the results, so the three
 * never disagree.
 */
#ifndef VMT_OPTIONS_H
#define VMT_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

enum opt_type {
	OPT_FLAG, /* bool, no argument */
	OPT_UINT, /* unsigned int */
	OPT_INT, /* int */
	OPT_I64, /* int64_t */
	OPT_DURATION, /* uint64_t ns: "10", "1.5s", "250ms" */
	OPT_SPEED, /* double: "asap" (0) or a positive factor */
	OPT_STRING, /* const char * */
	OPT_YESNO, /* bool from yes/no */
	OPT_ENUM, /* int index into .choices */
};

struct opt_def {
	const char *name; /* long option, without "--" */
	char short_name; /* 0 for none */
	enum opt_type type;
	size_t offset; /* into the options struct */
	const char *def; /* default as it would be typed, NULL for none */
	const char *arg; /* argument name in the help, e.g. "N" */
	const char *help;
	const char *const *choices; /* OPT_ENUM: NULL-terminated names */
	long min, max; /* OPT_UINT/OPT_INT bounds (both 0: unbounded) */
};

/*
 * options_parse - apply defaults, then the command line
 * Returns 0 with *@first_arg the index of the first non-option argument,
 * 1 if --help was given (usage printed), or EXIT_USAGE after a one-line error.
 */
int options_parse(const char *cmd, const char *synopsis, const struct opt_def *defs, void *base,
		  int argc, char **argv, int *first_arg);
void options_usage(FILE *out, const char *synopsis, const struct opt_def *defs);
/* Every option with its value, as a JSON object. */
json_object *options_json(const struct opt_def *defs, const void *base);

#endif /* VMT_OPTIONS_H */
