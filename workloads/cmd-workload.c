// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-workload.c - vmatrace workload: generate a synthetic trace, list the
 * workloads, or verify the scenarios against the running kernel
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "util.h"
#include "workloads.h"

#define DEFAULT_OPS 100000

static const char workload_usage[] =
	"usage: vmatrace workload NAME [--threads N] [--ops N | --duration S] [--seed N] -o FILE\n"
	"       vmatrace workload --list [NAME...|all]\n"
	"       vmatrace workload --verify [--method M] NAME...|all\n"
	"\n"
	"Write a synthetic trace of workload NAME: one process whose threads each run\n"
	"the workload in an address window of their own, on a synthetic clock.  Each\n"
	"merge/split scenario of the seed email is a cycle that takes its kernel path\n"
	"and returns to its start layout; 'vmatrace workload --list NAME' shows it.\n"
	"\n"
	"  -o, --output FILE   the trace to write\n"
	"  -t, --threads N     threads, each with its own copy (default 1; 1 to 1024);\n"
	"                      all-scenarios runs N threads per scenario\n"
	"  -n, --ops N         stop after N operations in all (default 100000)\n"
	"  -d, --duration S    stop at S of trace time instead: 10, 1.5s, 250ms\n"
	"  -s, --seed N        seed of the random choices and of the timing (default 1);\n"
	"                      the same options give the same trace, byte for byte\n"
	"  -l, --list          list the workloads; with NAMEs, describe each: the seed\n"
	"                      email's diagram, the start layout and the cycle\n"
	"      --verify        run each named scenario's cycle in this process and check\n"
	"                      the VMA layout after every step; exit 1 on any FAIL\n"
	"      --method M      how --verify reads the VMAs: auto (default),\n"
	"                      procmap_query (the ioctl) or maps (/proc/self/maps)\n"
	"  -h, --help          this text\n";

enum {
	OPT_VERIFY = 256,
	OPT_METHOD
};

static void list_workloads(FILE *out)
{
	for (unsigned int i = 0; i < wl_workload_count(); i++)
		fprintf(out, "  %-20s %s\n", wl_workload_name(i), wl_workload_summary(i));
}

static int list(char **names, int n)
{
	unsigned int shown = 0;

	if (!n) {
		list_workloads(stdout);
		return EXIT_OK;
	}
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], "all") && wl_workload_find(names[i]) < 0)
			return usage_error("workload", "unknown workload '%s'", names[i]);
	for (int i = 0; i < n; i++) {
		for (unsigned int w = 0; w < wl_workload_count(); w++) {
			if (strcmp(names[i], "all") && strcmp(names[i], wl_workload_name(w)))
				continue;
			if (shown++)
				fputc('\n', stdout);
			wl_workload_describe(stdout, w);
		}
	}
	return EXIT_OK;
}

static int verify(char **names, int n, enum procmap_method method)
{
	if (!n)
		return usage_error("workload", "--verify needs a scenario name or 'all'");
	for (int i = 0; i < n; i++) {
		if (!strcmp(names[i], "all") || !strcmp(names[i], WL_ALL_SCENARIOS))
			continue;
		if (wl_workload_find(names[i]) < 0)
			return usage_error("workload", "unknown workload '%s'", names[i]);
		if (!wl_scenario_find(names[i]))
			return usage_error(
				"workload",
				"'%s' is not a scenario; --verify takes scenario names or 'all'",
				names[i]);
	}
	return wl_verify(names, n, method, stdout);
}

int cmd_workload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "list", no_argument, NULL, 'l' },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wl_options o = { .threads = 1, .seed = 1 };
	bool do_list = false, do_verify = false, gen_opts = false;
	int method = PROCMAP_METHOD_AUTO, c;
	const char *method_arg = NULL;
	uint64_t v;
	char err[512];

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:t:n:d:s:lh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			gen_opts = true;
			break;
		case 't':
			if (parse_u64(optarg, &v, false) || v < 1 || v > WL_MAX_THREADS)
				return usage_error("workload", "--threads takes 1 to %d, not '%s'",
						   WL_MAX_THREADS, optarg);
			o.threads = (uint32_t)v;
			gen_opts = true;
			break;
		case 'n':
			if (parse_u64(optarg, &o.max_ops, false) || !o.max_ops)
				return usage_error("workload",
						   "--ops takes a positive count, not '%s'",
						   optarg);
			gen_opts = true;
			break;
		case 'd':
			if (parse_duration_ns(optarg, &o.duration_ns) || !o.duration_ns)
				return usage_error(
					"workload",
					"--duration takes a positive time (10, 1.5s, 250ms), not '%s'",
					optarg);
			gen_opts = true;
			break;
		case 's':
			if (parse_u64(optarg, &o.seed, false))
				return usage_error("workload", "--seed takes a number, not '%s'",
						   optarg);
			gen_opts = true;
			break;
		case 'l':
			do_list = true;
			break;
		case OPT_VERIFY:
			do_verify = true;
			break;
		case OPT_METHOD:
			method_arg = optarg;
			method = procmap_method_from_name(optarg);
			if (method < 0)
				return usage_error(
					"workload",
					"--method takes auto, procmap_query or maps, not '%s'",
					optarg);
			break;
		case 'h':
			print_usage(workload_usage);
			printf("\nworkloads:\n");
			list_workloads(stdout);
			return EXIT_OK;
		case ':':
			return usage_error("workload", "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 128)
				return usage_error("workload", "unknown option '-%c'", optopt);
			return usage_error("workload", "unknown option '%s'", argv[optind - 1]);
		}
	}
	argv += optind;
	argc -= optind;

	if (do_list && do_verify)
		return usage_error("workload", "--list and --verify exclude each other");
	if (method_arg && !do_verify)
		return usage_error("workload", "--method goes with --verify");
	if ((do_list || do_verify) && gen_opts)
		return usage_error("workload", "--%s takes no trace options",
				   do_list ? "list" : "verify");
	if (do_list)
		return list(argv, argc);
	if (do_verify)
		return verify(argv, argc, (enum procmap_method)method);

	if (argc != 1)
		return usage_error("workload", argc ? "expected one workload name"
						    : "expected a workload name");
	o.name = argv[0];
	if (wl_workload_find(o.name) < 0)
		return usage_error("workload", "unknown workload '%s'", o.name);
	if (o.max_ops && o.duration_ns)
		return usage_error("workload", "--ops and --duration exclude each other");
	if (!o.output)
		return usage_error("workload", "missing -o FILE");
	if (!o.max_ops && !o.duration_ns)
		o.max_ops = DEFAULT_OPS;
	if (wl_generate(&o, err, sizeof(err)))
		return error("%s", err);
	return EXIT_OK;
}
