// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-import.c - vmatrace import: turn a strace log, ftrace text or a
 * trace-cmd trace.dat into a trace
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "import.h"
#include "util.h"
#include "vmt.h"

static const char import_usage[] =
	"usage: vmatrace import --from strace|ftrace|tracecmd FILE -o TRACE [options]\n"
	"\n"
	"Convert another tool's capture into a vmatrace trace (docs/importers.md):\n"
	"\n"
	"  strace    the log of: strace -f -ttt -T -y -e trace=%memory,%process,process_madvise\n"
	"                                  -o FILE CMD\n"
	"  ftrace    ftrace text: /sys/kernel/tracing/trace, 'trace-cmd report', or a\n"
	"            systrace/perfetto text export; syscalls:sys_enter_*/sys_exit_*\n"
	"            events or raw_syscalls:sys_enter/sys_exit\n"
	"  tracecmd  a trace-cmd trace.dat file, read with libtracecmd\n"
	"\n"
	"FILE may be gzip-compressed, or '-' for standard input (strace, ftrace).\n"
	"Malformed lines are reported with their line number and counted; the import\n"
	"still succeeds unless --strict is given.  TRACE is written only when the\n"
	"import succeeds.\n"
	"\n"
	"  -f, --from FORMAT    strace, ftrace or tracecmd\n"
	"  -o, --output TRACE   the trace to write\n"
	"  -a, --arch ARCH      syscall numbers of raw_syscalls events: x86_64 or arm64\n"
	"                       (default: what the input says or shows, else this host)\n"
	"      --pids MODE      tasks the input does not place in a process:\n"
	"                       'threads' of the first process (default for strace) or\n"
	"                       'processes' of their own (default for ftrace, tracecmd)\n"
	"      --clock NAME     the clock of the input's timestamps, for the header:\n"
	"                       monotonic, boot, realtime, local, global, mono_raw\n"
	"      --resolve-files  give strace's file paths the device, inode and size they\n"
	"                       have on this machine (only when importing on the capture\n"
	"                       host, right after the capture)\n"
	"      --strict         fail (exit 1, no trace) on any malformed line\n"
	"      --max-warnings N malformed lines shown one by one (default 10)\n"
	"  -h, --help           this text\n";

enum {
	OPT_PIDS = 256,
	OPT_CLOCK,
	OPT_RESOLVE,
	OPT_STRICT,
	OPT_MAX_WARNINGS,
};

/* Read @o->input in its format and write the trace; the exit status. */
static int import_file(const struct imp_options *o)
{
	struct imp *im = imp_new(o);
	int ret;

	if (!im)
		return error("out of memory");
	if (!strcmp(o->format, "strace"))
		ret = imp_read_strace(im, o->input);
	else if (!strcmp(o->format, "ftrace"))
		ret = imp_read_ftrace(im, o->input);
	else
		ret = imp_read_tracecmd(im, o->input);
	if (!ret)
		ret = imp_finish(im);
	imp_free(im);
	return ret ? EXIT_FAIL : EXIT_OK;
}

/*
 * A trace.dat is read by libtracecmd and libtraceevent, which some damaged
 * files crash (a SEGV in kbuffer_load_subbuffer, reads past a heap buffer:
 * found by tests/fuzz/fuzz-import-tracecmd, docs/fuzzing.md).  The import
 * runs in a child process, so such a file ends in a one-line error instead;
 * the trace it was writing is an unnamed temporary file, gone with it.  The
 * fuzz build reads in-process, where the fuzzer can see the crash.
 */
static int import_contained(const struct imp_options *o)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	return import_file(o);
#else
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return import_file(o); /* no process to spare: unprotected, but not refused */
	if (pid == 0)
		_exit(import_file(o));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error("%s: cannot wait for the reader: %s", o->input, strerror(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM)
		return 128 + WTERMSIG(status);
	error("cannot read '%s': libtracecmd crashed on it (%s): the file is damaged", o->input,
	      strsignal(WTERMSIG(status)));
	return EXIT_FAIL;
#endif
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "arch", required_argument, NULL, 'a' },
		{ "pids", required_argument, NULL, OPT_PIDS },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ "resolve-files", no_argument, NULL, OPT_RESOLVE },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "max-warnings", required_argument, NULL, OPT_MAX_WARNINGS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct imp_options o = { .arch = -1, .clock = -1, .max_warnings = 10 };
	uint64_t n;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "strace") && strcmp(optarg, "ftrace") &&
			    strcmp(optarg, "tracecmd"))
				return usage_error("import", "unknown format '%s'", optarg);
			o.format = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'a':
			o.arch = imp_arch_from_name(optarg);
			if (o.arch < 0)
				return usage_error("import", "unknown architecture '%s'", optarg);
			break;
		case OPT_PIDS:
			if (!strcmp(optarg, "threads"))
				o.pids = IMP_PIDS_THREADS;
			else if (!strcmp(optarg, "processes"))
				o.pids = IMP_PIDS_PROCESSES;
			else
				return usage_error("import", "unknown --pids mode '%s'", optarg);
			break;
		case OPT_CLOCK:
			o.clock = vmt_clock_from_name(optarg);
			if (o.clock < 0 || o.clock == VMT_CLOCK_SYNTHETIC)
				return usage_error("import", "unknown clock '%s'", optarg);
			break;
		case OPT_RESOLVE:
			o.resolve_files = true;
			break;
		case OPT_STRICT:
			o.strict = true;
			break;
		case OPT_MAX_WARNINGS:
			if (parse_u64(optarg, &n, false) || n > 1000000)
				return usage_error("import", "bad --max-warnings '%s'", optarg);
			o.max_warnings = (unsigned int)n;
			break;
		case 'h':
			return print_usage(import_usage);
		case ':':
			return usage_error("import", "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("import", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!o.format)
		return usage_error("import", "--from strace|ftrace|tracecmd is required");
	if (!o.output)
		return usage_error("import", "-o TRACE is required");
	if (optind + 1 != argc)
		return usage_error("import", "expected one input file");
	o.input = argv[optind];
	if (!strcmp(o.format, "tracecmd") && !strcmp(o.input, "-"))
		return usage_error("import", "a trace.dat cannot be read from standard input");

	return strcmp(o.format, "tracecmd") ? import_file(&o) : import_contained(&o);
}
