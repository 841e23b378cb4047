// SPDX-License-Identifier: GPL-2.0-only
/*
 * options.c - table-driven option parsing, help and JSON echo
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "util.h"

#define FIELD(base, off, type) ((type *)((char *)(base) + (off)))

static int set_value(const char *cmd, const struct opt_def *d, void *base, const char *val)
{
	uint64_t u;
	int64_t i;

	switch (d->type) {
	case OPT_FLAG:
		*FIELD(base, d->offset, bool) = true;
		return 0;
	case OPT_YESNO:
		if (!strcmp(val, "yes") || !strcmp(val, "no")) {
			*FIELD(base, d->offset, bool) = val[0] == 'y';
			return 0;
		}
		break;
	case OPT_UINT:
		if (!parse_u64(val, &u, false) && u <= UINT32_MAX &&
		    (!(d->min || d->max) || ((long)u >= d->min && (long)u <= d->max))) {
			*FIELD(base, d->offset, unsigned int) = (unsigned int)u;
			return 0;
		}
		break;
	case OPT_INT:
		if (!parse_i64(val, &i) && i >= INT32_MIN && i <= INT32_MAX &&
		    (!(d->min || d->max) || (i >= d->min && i <= d->max))) {
			*FIELD(base, d->offset, int) = (int)i;
			return 0;
		}
		break;
	case OPT_I64:
		if (!parse_i64(val, &i)) {
			*FIELD(base, d->offset, int64_t) = i;
			return 0;
		}
		break;
	case OPT_DURATION:
		if (!parse_duration_ns(val, &u)) {
			*FIELD(base, d->offset, uint64_t) = u;
			return 0;
		}
		break;
	case OPT_SPEED: {
		char *end;
		double v;

		if (!strcmp(val, "asap")) {
			*FIELD(base, d->offset, double) = 0;
			return 0;
		}
		v = strtod(val, &end);
		if (end != val && !*end && v > 0 && v < 1e9) {
			*FIELD(base, d->offset, double) = v;
			return 0;
		}
		break;
	}
	case OPT_STRING:
		*FIELD(base, d->offset, const char *) = val;
		return 0;
	case OPT_ENUM:
		for (int k = 0; d->choices[k]; k++)
			if (!strcmp(d->choices[k], val)) {
				*FIELD(base, d->offset, int) = k;
				return 0;
			}
		break;
	}
	return usage_error(cmd, "bad value '%s' for --%s", val, d->name);
}

void options_usage(FILE *out, const char *synopsis, const struct opt_def *defs)
{
	fputs(synopsis, out);
	fputs("\noptions:\n", out);
	for (const struct opt_def *d = defs; d->name; d++) {
		char left[64];

		if (d->type == OPT_FLAG)
			snprintf(left, sizeof(left), "--%s", d->name);
		else
			snprintf(left, sizeof(left), "--%s %s", d->name, d->arg ? d->arg : "X");
		if (d->short_name)
			fprintf(out, "  -%c, %-26s %s", d->short_name, left, d->help);
		else
			fprintf(out, "      %-26s %s", left, d->help);
		if (d->type == OPT_ENUM) {
			fputs(" (", out);
			for (int k = 0; d->choices[k]; k++)
				fprintf(out, "%s%s", k ? ", " : "", d->choices[k]);
			fputc(')', out);
		}
		if (d->def)
			fprintf(out, " [%s]", d->def);
		fputc('\n', out);
	}
	fputs("  -h, --help                       this text\n", out);
}

int options_parse(const char *cmd, const char *synopsis, const struct opt_def *defs, void *base,
		  int argc, char **argv, int *first_arg)
{
	struct option lopts[64];
	char sopts[128] = "h";
	size_t n = 0, sl = 1;
	int c;

	for (const struct opt_def *d = defs; d->name; d++) {
		if (d->def && set_value(cmd, d, base, d->def))
			return EXIT_USAGE; /* a bad default is a bug, said loudly */
		lopts[n++] = (struct option){ d->name, d->type == OPT_FLAG ? no_argument : required_argument,
					      NULL, (int)(256 + (d - defs)) };
		if (d->short_name) {
			sopts[sl++] = d->short_name;
			if (d->type != OPT_FLAG)
				sopts[sl++] = ':';
		}
	}
	lopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lopts[n] = (struct option){ NULL, 0, NULL, 0 };
	sopts[sl] = '\0';
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		const struct opt_def *d = NULL;

		if (c == 'h') {
			options_usage(stdout, synopsis, defs);
			return 1;
		}
		if (c >= 256) {
			d = &defs[c - 256];
		} else if (c != '?' && c != ':') {
			for (const struct opt_def *x = defs; x->name && !d; x++)
				if (x->short_name == c)
					d = x;
		}
		if (!d) {
			/* a long option without its value leaves optopt = its val, 256 + index */
			if (c == ':' ||
			    (c == '?' && optopt && (optopt >= 256 || strchr(sopts, optopt))))
				return usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
		if (set_value(cmd, d, base, optarg))
			return EXIT_USAGE;
	}
	*first_arg = optind;
	return 0;
}

json_object *options_json(const struct opt_def *defs, const void *base)
{
	json_object *o = json_object_new_object();

	for (const struct opt_def *d = defs; d->name; d++) {
		json_object *v = NULL;

		switch (d->type) {
		case OPT_FLAG:
		case OPT_YESNO:
			v = json_object_new_boolean(*FIELD(base, d->offset, bool));
			break;
		case OPT_UINT:
			v = json_object_new_int64(*FIELD(base, d->offset, unsigned int));
			break;
		case OPT_INT:
			v = json_object_new_int(*FIELD(base, d->offset, int));
			break;
		case OPT_I64:
			v = json_object_new_int64(*FIELD(base, d->offset, int64_t));
			break;
		case OPT_DURATION:
			v = json_object_new_double((double)*FIELD(base, d->offset, uint64_t) / 1e9);
			break;
		case OPT_SPEED: {
			double s = *FIELD(base, d->offset, double);

			v = s > 0 ? json_object_new_double(s) : json_object_new_string("asap");
			break;
		}
		case OPT_STRING: {
			const char *s = *FIELD(base, d->offset, const char *);

			v = s ? json_object_new_string(s) : NULL;
			break;
		}
		case OPT_ENUM:
			v = json_object_new_string(d->choices[*FIELD(base, d->offset, int)]);
			break;
		}
		json_object_object_add(o, d->name, v);
	}
	return o;
}
