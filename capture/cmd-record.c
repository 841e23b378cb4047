// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-record.c - vmatrace record: capture a program's address-space syscalls
 * live through ftrace (the engine is capture/record.c)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "record.h"
#include "tracefs-util.h"
#include "util.h"
#include "vmt.h"

static const char record_usage[] =
	"usage: vmatrace record [-o TRACE] [--duration S] [--buffer-kb N] [--no-children]\n"
	"                       [--] COMMAND [ARGS...]\n"
	"   or: vmatrace record [-o TRACE] [--duration S] [--buffer-kb N] [--no-children]\n"
	"                       -p PID[,PID...]\n"
	"\n"
	"Capture every mmap, munmap, mprotect, pkey_mprotect, mremap, brk, madvise,\n"
	"process_madvise and mseal call (those this kernel has) of a command, or of\n"
	"running processes, with the threads and processes they create, through a\n"
	"private tracefs instance (vmatrace-record-PID).  The command is held before\n"
	"exec until tracing is armed.  Needs root.\n"
	"\n"
	"  -o, --output TRACE   the trace to write (default trace.vmt), atomically\n"
	"  -p, --pid PID,...    attach to running processes and all their threads;\n"
	"                       their memory maps become the trace's initial state\n"
	"  --duration S         stop after S (\"10\", \"1.5s\", \"500ms\"); a command still\n"
	"                       running then is sent SIGTERM, attached ones are left\n"
	"  --buffer-kb N        ring buffer per CPU in KiB (default 16384); raise it\n"
	"                       if events are lost\n"
	"  --no-children        threads only: processes the target forks are not\n"
	"                       traced (the kernel still follows them; their events\n"
	"                       are dropped while decoding)\n"
	"  -h, --help           this text\n"
	"\n"
	"The capture ends when the command exits (descendants still running are no\n"
	"longer traced), when every attached process has exited, after --duration,\n"
	"or on SIGINT/SIGTERM; the trace is written in every case.\n"
	"\n"
	"Exit status: 0 the trace is complete; 1 failure, no trace written;\n"
	"2 usage error; 3 the trace was written but events were lost (see the\n"
	"summary; LOST records say where).  The command's own exit status is\n"
	"reported on standard error and stored in its EXIT record.\n";

static void on_signal(int sig)
{
	if (sig != SIGCHLD)
		record_interrupt();
}

/* SIGCHLD only has to cut the recorder's sleep short when the command ends. */
static void install_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NOCLDSTOP; /* no SA_RESTART: the sleep must end */
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int parse_pids(const char *arg, pid_t **pids, size_t *n)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;
		pid_t *p;

		if (parse_u64(tok, &v, false) || v == 0 || v > INT32_MAX) {
			ret = -1;
			break;
		}
		p = realloc(*pids, (*n + 1) * sizeof(*p));
		if (!p) {
			ret = -1;
			break;
		}
		*pids = p;
		(*pids)[(*n)++] = (pid_t)v;
	}
	if (!*n)
		ret = -1;
	free(copy);
	return ret;
}

/* The header's command line: the words joined, or the attached pids. */
static char *describe(char *const *argv, const pid_t *pids, size_t npids)
{
	size_t len = 0, cap = VMT_STR_MAX;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = '\0';
	if (argv) {
		for (size_t i = 0; argv[i]; i++)
			len += (size_t)snprintf(s + len, len < cap ? cap - len : 0, "%s%s",
						i ? " " : "", argv[i]);
	} else {
		len = (size_t)snprintf(s, cap, "-p ");
		for (size_t i = 0; i < npids; i++)
			len += (size_t)snprintf(s + len, len < cap ? cap - len : 0, "%s%d",
						i ? "," : "", (int)pids[i]);
	}
	return s;
}

static void progress(const struct record_stats *st, void *arg)
{
	double secs = (double)st->elapsed_ns / 1e9;

	*(bool *)arg = true;
	fprintf(stderr,
		"\rrecord: %" PRIu64 " events, %" PRIu64 " ops, %" PRIu64
		" lost, %.0f events/s, %.1f s   ",
		st->events, st->ops, st->lost, secs > 0 ? (double)st->events / secs : 0, secs);
}

static void report_status(const struct record_stats *st, const char *cmd)
{
	if (!st->pid)
		return;
	if (!st->status_known)
		fprintf(stderr, "record: '%s' (pid %d) was still running\n", cmd, (int)st->pid);
	else if (WIFEXITED(st->status))
		fprintf(stderr, "record: '%s' exited with status %d\n", cmd,
			WEXITSTATUS(st->status));
	else if (WIFSIGNALED(st->status))
		fprintf(stderr, "record: '%s' was killed by signal %d (%s)%s\n", cmd,
			WTERMSIG(st->status), strsignal(WTERMSIG(st->status)),
			WCOREDUMP(st->status) ? ", core dumped" : "");
}

static void report(const struct record_stats *st, const char *output)
{
	char t[32];

	fprintf(stderr,
		"record: wrote %s: %" PRIu64 " ops, %" PRIu64 " process%s, %" PRIu64
		" thread%s, %" PRIu64 " file%s, %" PRIu64 " events in %s\n",
		output, st->ops, st->processes, st->processes == 1 ? "" : "es", st->threads,
		st->threads == 1 ? "" : "s", st->files, st->files == 1 ? "" : "s", st->events,
		fmt_ns(t, sizeof(t), st->elapsed_ns));
	if (st->no_exit)
		fprintf(stderr, "record: %" PRIu64 " ops never returned while traced (NO_EXIT)\n",
			st->no_exit);
	if (st->unmatched_exits)
		fprintf(stderr,
			"record: %" PRIu64 " syscall exits without their enter (in flight at the "
			"start, or lost)\n",
			st->unmatched_exits);
	if (st->files_unresolved)
		fprintf(stderr,
			"record: %" PRIu64 " file mmaps whose file could not be established "
			"(marked unresolved)\n",
			st->files_unresolved);
	if (st->ignored)
		fprintf(stderr,
			"record: %" PRIu64 " events of child processes dropped (--no-children)\n",
			st->ignored);
	if (st->unknown_tasks)
		fprintf(stderr, "record: %" PRIu64 " tasks were first seen by their events\n",
			st->unknown_tasks);
	if (st->lost) {
		char line[1024];
		size_t len = 0;

		for (int i = 0; i < st->ncpus && len < sizeof(line); i++)
			if (st->lost_cpu[i])
				len += (size_t)snprintf(line + len, sizeof(line) - len,
							"%scpu%d %" PRIu64, len ? ", " : "", i,
							st->lost_cpu[i]);
		warning("%" PRIu64 " events were lost (%s)%s; the trace misses operations: "
			"raise --buffer-kb",
			st->lost, line, st->late ? ", some past the reorder window" : "");
	} else {
		fprintf(stderr, "record: 0 lost events\n");
	}
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "buffer-kb", required_argument, NULL, 'b' },
		{ "no-children", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct record_opts o = { .output = "trace.vmt", .buffer_kb = RECORD_BUFFER_KB_DEFAULT };
	struct record_stats st;
	pid_t *pids = NULL;
	size_t npids = 0;
	char err[1024], *cmdline = NULL;
	bool shown = false;
	uint64_t v;
	int c, ret;

	opterr = 0;
	/* "+": the command's own options are not ours */
	while ((c = getopt_long(argc, argv, "+:o:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg) {
				free(pids);
				return usage_error("record", "-o needs a file name");
			}
			o.output = optarg;
			break;
		case 'p':
			if (parse_pids(optarg, &pids, &npids)) {
				free(pids);
				return usage_error("record", "-p: expected PID[,PID...], got '%s'",
						   optarg);
			}
			break;
		case 'd':
			if (parse_duration_ns(optarg, &o.duration_ns) || !o.duration_ns) {
				free(pids);
				return usage_error("record",
						   "--duration: expected a positive time, got '%s'",
						   optarg);
			}
			break;
		case 'b':
			if (parse_u64(optarg, &v, false) || v < 4 || v > (1u << 24)) {
				free(pids);
				return usage_error("record",
						   "--buffer-kb: expected 4 to 16777216, got '%s'",
						   optarg);
			}
			o.buffer_kb = (unsigned int)v;
			break;
		case 'n':
			o.no_children = true;
			break;
		case 'h':
			free(pids);
			return print_usage(record_usage);
		case ':':
			free(pids);
			return usage_error("record", "'%s' needs a value", argv[optind - 1]);
		default:
			free(pids);
			return usage_error("record", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o.argv = argv + optind;
	if (!o.argv && !npids)
		return usage_error("record", "expected a command to run or -p PID");
	if (o.argv && npids) {
		free(pids);
		return usage_error("record", "give a command or -p, not both");
	}
	o.pids = pids;
	o.npids = npids;

	if (record_check(err, sizeof(err))) {
		free(pids);
		return error("%s", err);
	}
	tracing_remove_stale();
	cmdline = describe(o.argv, pids, npids);
	o.cmdline = cmdline;
	if (stderr_is_tty()) {
		o.progress = progress;
		o.progress_arg = &shown;
	}
	install_handlers();
	ret = record_run(&o, &st, err, sizeof(err));
	if (shown)
		fputc('\n', stderr);
	report_status(&st, o.argv ? o.argv[0] : "");
	if (ret) {
		ret = error("%s", err);
	} else {
		report(&st, o.output);
		ret = st.lost ? RECORD_EXIT_LOST : EXIT_OK;
	}
	record_stats_free(&st);
	free(cmdline);
	free(pids);
	return ret;
}
