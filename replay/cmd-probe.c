// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-probe.c - vmatrace probe: which lock each reader kind takes on this
 * kernel, measured with the mmap_lock tracepoints (replay/probe.c)
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "probe.h"
#include "readers.h"
#include "util.h"

#define PROBE_PASSES_DEFAULT 100
#define PROBE_PASSES_MAX 100000

static const char probe_usage[] =
	"usage: vmatrace probe [--json] [--passes N]\n"
	"\n"
	"Measure which lock one pass of each reader kind takes on the running kernel:\n"
	"a reader process reads a target process's maps, smaps or smaps_rollup, or\n"
	"walks its VMAs with PROCMAP_QUERY, while the mmap_lock tracepoints count its\n"
	"acquisitions of the target's mmap_lock, in a private tracefs instance.\n"
	"About 0 per pass means the kind takes per-VMA locks; 1 or more, mmap_lock.\n"
	"This needs root and tracefs; without them the answer is inferred from the\n"
	"kernel version (per-VMA maps and PROCMAP_QUERY from Linux 6.17) and says so.\n"
	"\n"
	"  --json        print the result as one JSON object\n"
	"  --passes N    passes of each kind to trace (default 100, at most 100000)\n"
	"  -h, --help    this text\n";

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
	probe_interrupt();
}

static void print_text(const struct probe_result *res)
{
	for (unsigned int k = 0; k < READER_KIND_NR; k++) {
		const struct probe_kind *pk = &res->kinds[k];
		const char *lock = pk->takes_mmap_lock ? "mmap_lock" : "per-VMA lock";

		if (pk->measured)
			printf("%-14s %8.2f per pass  %-12s  (measured)\n",
			       reader_kind_name((enum reader_kind)k), pk->per_pass, lock);
		else
			printf("%-14s %8s per pass  %-12s  (inferred: %s)\n",
			       reader_kind_name((enum reader_kind)k), "-", lock,
			       res->reason[0] ? res->reason : res->method);
	}
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "passes", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa, old_int, old_term;
	struct probe_result res;
	bool json = false;
	uint64_t passes = PROBE_PASSES_DEFAULT;
	int c, ret, saved;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			if (parse_u64(optarg, &passes, false) || !passes ||
			    passes > PROBE_PASSES_MAX)
				return usage_error("probe", "--passes wants 1 to %d, not '%s'",
						   PROBE_PASSES_MAX, optarg);
			break;
		case 'h':
			return print_usage(probe_usage);
		case ':':
			return usage_error("probe", "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("probe", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error("probe", "unexpected argument '%s'", argv[optind]);

	/*
	 * The probe owns a tracefs instance and two children while it runs:
	 * Ctrl-C or SIGTERM only asks it to stop, so that it removes them, and
	 * the signal is delivered again afterwards for the usual exit status.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	ret = probe_run(&res, (unsigned int)passes);
	saved = errno;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (ret) {
		if (saved == EINTR) {
			error("interrupted");
			if (caught)
				raise(caught);
			return EXIT_FAIL;
		}
		return error("probe failed: %s", strerror(saved));
	}

	if (json) {
		json_object *o = probe_to_json(&res);

		if (!o)
			return error("out of memory");
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_text(&res);
	}
	if (fflush(stdout))
		return error("cannot write output: %s", strerror(errno));
	return EXIT_OK;
}
