// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-readers.c - the reader loop against real target processes: every kind
 * with and without reopening, several targets, a target that dies while it
 * is read, one that is gone before, bad arguments, and the scheduling knobs
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay/readers.h"
#include "tap.h"

#define TARGET_PAGES 100

static volatile int stop;
/* When set, the first tick SIGKILLs this pid and the second one stops the loop. */
static volatile pid_t kill_at_first_tick;
static volatile int ticks;

/* No SA_RESTART: the loop's reads see EINTR, as a reader's do under the controller's signals. */
static void on_alarm(int sig)
{
	(void)sig;
	if (kill_at_first_tick && ticks++ == 0) {
		kill(kill_at_first_tick, SIGKILL);
		return;
	}
	stop = 1;
}

static void arm(unsigned int ms)
{
	struct itimerval it = { { 0, (long)ms * 1000 }, { 0, (long)ms * 1000 } };

	stop = 0;
	ticks = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* A process with TARGET_PAGES VMAs of alternating protection that waits to be killed. */
static pid_t start_target(void)
{
	int p[2];
	pid_t pid;
	char ch;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		long pg = sysconf(_SC_PAGESIZE);
		char *m = mmap(NULL, (size_t)pg * TARGET_PAGES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			_exit(1);
		for (long i = 0; i < TARGET_PAGES; i++) {
			m[i * pg] = 1;
			if (i & 1)
				mprotect(m + i * pg, (size_t)pg, PROT_READ);
		}
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &ch, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static void stop_target(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int run(enum reader_kind kind, bool reopen, const pid_t *t, unsigned int n, unsigned int ms,
	       struct reader_stats *st)
{
	const struct reader_config cfg = {
		.kind = kind,
		.nice = 0,
		.cpu = -1,
		.reopen = reopen,
		.bufsize = 4096,
	};
	int ret;

	arm(ms);
	ret = reader_loop(&cfg, t, n, &stop, st);
	disarm();
	return ret;
}

int main(void)
{
	static struct reader_stats st;
	struct sigaction sa;
	pid_t t[2];
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	/* names */
	for (int k = 0; k < READER_KIND_NR; k++)
		tap_ok(reader_kind_from_name(reader_kind_name(k)) == k, "kind %s round-trips",
		       reader_kind_name(k));
	tap_ok(reader_kind_from_name("bogus") == -1 && reader_kind_from_name(NULL) == -1,
	       "an unknown kind name is -1");
	tap_ok(!strcmp(reader_kind_name(READER_KIND_NR), "?"), "an out-of-range kind is '?'");

	t[0] = start_target();
	t[1] = start_target();
	if (t[0] < 0 || t[1] < 0) {
		tap_ok(0, "start the target processes: %s", strerror(errno));
		return tap_done();
	}

	/* every kind, with and without reopening, ~0.2 s each */
	for (int k = 0; k < READER_KIND_NR; k++) {
		for (int reopen = 1; reopen >= 0; reopen--) {
			const char *name = reader_kind_name(k);
			bool query = k == READER_PROCMAP_QUERY;

			if (query && !reopen)
				continue; /* the handle is kept either way */
			ret = run(k, reopen, t, 1, 200, &st);
			if (ret && errno == ENOTTY && query) {
				tap_skip(
					"procmap_query: this kernel has no PROCMAP_QUERY (Linux 6.11+)");
				continue;
			}
			tap_ok(ret == 0 && st.passes > 0 && st.errors == 0 &&
				       st.pass.count == st.passes && st.pass.min > 0,
			       "%s%s: %" PRIu64 " passes in 0.2 s, %" PRIu64
			       " errors (errno %d), all timed",
			       name, reopen ? "" : " (kept fd)", st.passes, st.errors,
			       st.last_errno);
			if (query)
				tap_ok(st.bytes == 0 &&
					       st.vmas >= (uint64_t)TARGET_PAGES * st.passes,
				       "%s: >= %d VMAs a pass (%.1f)", name, TARGET_PAGES,
				       st.passes ? (double)st.vmas / (double)st.passes : 0.0);
			else if (k == READER_SMAPS_ROLLUP)
				tap_ok(st.vmas == 0 && st.bytes > 0, "%s: %.0f bytes a pass", name,
				       st.passes ? (double)st.bytes / (double)st.passes : 0.0);
			else
				/* a maps line is at least 50 bytes, an smaps entry far more */
				tap_ok(st.vmas == 0 && st.bytes >= 50ull * TARGET_PAGES * st.passes,
				       "%s: the whole file each pass (%.0f bytes, > 4096: several reads)",
				       name,
				       st.passes ? (double)st.bytes / (double)st.passes : 0.0);
		}
	}

	/* two targets in turn: the same bytes per pass as one target, give or take */
	ret = run(READER_MAPS, true, t, 2, 200, &st);
	tap_ok(ret == 0 && st.passes >= 2 && st.errors == 0,
	       "two targets: %" PRIu64 " passes, no errors", st.passes);

	/* a target that dies while it is read: counted errors, no crash, the loop goes on */
	for (int k = 0; k < READER_KIND_NR; k++) {
		for (int reopen = 1; reopen >= 0; reopen--) {
			pid_t victim;

			if (k == READER_PROCMAP_QUERY && !reopen)
				continue;
			victim = start_target();
			kill_at_first_tick = victim;
			ret = run(k, reopen, &victim, 1, 100, &st);
			kill_at_first_tick = 0;
			waitpid(victim, NULL, 0);
			if (ret && errno == ENOTTY) {
				tap_skip("procmap_query: this kernel has no PROCMAP_QUERY");
				continue;
			}
			tap_ok(ret == 0 && st.passes > 0 && st.errors > 0 &&
				       (st.last_errno == ESRCH || st.last_errno == ENOENT),
			       "%s%s: a target killed mid-run: %" PRIu64 " passes, then %" PRIu64
			       " errors (%s)",
			       reader_kind_name(k), reopen ? "" : " (kept fd)", st.passes,
			       st.errors, strerror(st.last_errno));
		}
	}

	/* a target gone before the loop starts */
	{
		pid_t dead = start_target();

		stop_target(dead);
		for (int k = 0; k < READER_KIND_NR; k++) {
			ret = run(k, true, &dead, 1, 50, &st);
			tap_ok(ret == 0 && st.passes == 0 && st.errors > 0 && st.pass.count == 0,
			       "%s: a dead target gives %" PRIu64 " errors (%s), no passes",
			       reader_kind_name(k), st.errors, strerror(st.last_errno));
		}
		/* one dead and one live target: the live one is still read */
		pid_t mixed[2] = { dead, t[0] };

		ret = run(READER_SMAPS, false, mixed, 2, 100, &st);
		tap_ok(ret == 0 && st.passes > 0 && st.errors > 0,
		       "a dead target next to a live one: %" PRIu64 " passes, %" PRIu64 " errors",
		       st.passes, st.errors);
	}

	/* bad arguments fail before the loop, with EINVAL */
	{
		struct reader_config cfg = { .kind = READER_MAPS, .reopen = true, .bufsize = 0 };

		stop = 1;
		errno = 0;
		tap_ok(reader_loop(&cfg, t, 1, &stop, &st) == -1 && errno == EINVAL,
		       "bufsize 0 is EINVAL");
		cfg.bufsize = 4096;
		errno = 0;
		tap_ok(reader_loop(&cfg, t, 0, &stop, &st) == -1 && errno == EINVAL,
		       "no targets is EINVAL");
		cfg.kind = READER_KIND_NR;
		errno = 0;
		tap_ok(reader_loop(&cfg, t, 1, &stop, &st) == -1 && errno == EINVAL,
		       "an unknown kind is EINVAL");
		cfg.kind = READER_MAPS;
		tap_ok(reader_loop(&cfg, t, 1, &stop, &st) == 0 && st.passes == 0,
		       "a loop told to stop before it starts makes no pass");
	}

	/* scheduling, in a child so the test keeps its own */
	{
		pid_t c = fork();
		int status = -1;

		if (c == 0) {
			cpu_set_t set;

			if (reader_apply_sched(7, 0))
				_exit(1);
			if (getpriority(PRIO_PROCESS, 0) != 7)
				_exit(2);
			if (sched_getaffinity(0, sizeof(set), &set) || CPU_COUNT(&set) != 1 ||
			    !CPU_ISSET(0, &set))
				_exit(3);
			if (reader_apply_sched(7, -1)) /* same nice, no CPU: nothing to do */
				_exit(4);
			errno = 0;
			if (reader_apply_sched(20, -1) != -1 || errno != EINVAL)
				_exit(5);
			if (reader_apply_sched(0, CPU_SETSIZE) != -1 || errno != EINVAL)
				_exit(6);
			_exit(0);
		}
		waitpid(c, &status, 0);
		tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "reader_apply_sched sets nice 7 and CPU 0, rejects bad values (child status %d)",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}

	stop_target(t[0]);
	stop_target(t[1]);
	return tap_done();
}
