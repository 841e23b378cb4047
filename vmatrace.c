// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmatrace.c - the command table; every subcommand lives in its stage
 */
#include <stdio.h>
#include <string.h>

#include "lib/cmd.h"
#include "lib/util.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "workload", cmd_workload, "generate a synthetic trace (merge/split scenarios, mapper)" },
	{ "probe", cmd_probe, "which lock each reader kind takes on this kernel, measured" },
	{ "replay", cmd_replay, "replay a trace in many threads while readers read its maps, timing both" },
	{ "record", cmd_record, "capture a program's address-space syscalls live through ftrace" },
	{ "import", cmd_import, "convert a strace log, ftrace text or trace-cmd trace.dat into a trace" },
	{ "info", cmd_info, "what a trace holds: processes, threads, op mix, footprint" },
	{ "dump", cmd_dump, "print a trace as text, one line per record" },
	{ "convert", cmd_convert, "turn the text form back into a binary trace" },
	{ "report", cmd_report, "statistics, tables and plots of repetitions of one configuration" },
	{ "compare", cmd_compare, "compare two sets of runs (two kernels): ratios, intervals, verdicts" },
	{ "bench", cmd_bench, "the standard sweep of workloads, reader kinds and counts, with plots" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: vmatrace [--version] [--help] <command> [<args>]\n\n"
		     "vmatrace replays the address-space changes of real programs while\n"
		     "/proc/PID/maps readers run, to measure mmap_lock and per-VMA lock costs.\n\n"
		     "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "   %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n'vmatrace <command> --help' prints the usage of one command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("vmatrace %s\n", VMATRACE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option '%s'", argv[1]);
	return usage_error(NULL, "unknown command '%s'", argv[1]);
}
