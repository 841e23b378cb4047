// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-lockstat.c - the mmap_lock statistics against real processes
 *
 *   writer: 2 threads, mmap / mprotect / munmap in a loop, among 64 VMAs
 *   that stay put (so smaps has something to read)
 *   reader: reads the writer's /proc/PID/smaps, or its maps while also
 *   mapping and unmapping memory of its own (own-mm locks that must not
 *   count)
 *
 * Each session traces for LS_TEST_MS and checks what the kernel says
 * about those two: the writer takes mmap_lock for writing, with waits and
 * holds measured; smaps takes it at least once a pass; maps (per-VMA locks
 * from 6.17) seldom; the readers' own locks are seen but excluded; no
 * instance is left behind, after an interrupt too.  Unprivileged, through
 * setpriv as nobody, lockstat_start() must refuse and say why.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/lockstat.h"
#include "tap.h"

#define LS_TEST_MS 500
#define STABLE_VMAS 64
#define TRACING "/sys/kernel/tracing"

struct shared {
	volatile int stop;
	volatile uint64_t passes;
	volatile uint64_t ops;
};

static struct shared *sh;

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void child_setup(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
}

static void *writer_loop(void *arg)
{
	long pg = sysconf(_SC_PAGESIZE);

	(void)arg;
	while (!sh->stop) {
		char *p = mmap(NULL, (size_t)pg * 4, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			continue;
		p[0] = 1;
		mprotect(p + pg, (size_t)pg, PROT_READ);
		munmap(p, (size_t)pg * 4);
		__atomic_add_fetch(&sh->ops, 3, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void __attribute__((noreturn)) writer_main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	pthread_t th;
	char *p;

	child_setup();
	p = mmap(NULL, (size_t)pg * 2 * STABLE_VMAS, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (int i = 0; i < 2 * STABLE_VMAS; i++) {
		p[(long)i * pg] = 1;
		if (i & 1)
			mprotect(p + (long)i * pg, (size_t)pg, PROT_READ);
	}
	if (pthread_create(&th, NULL, writer_loop, NULL))
		_exit(1);
	writer_loop(NULL);
	pthread_join(th, NULL);
	_exit(0);
}

/* Read @path in full, @own_mm: also map, touch and unmap memory of our own each pass. */
static void __attribute__((noreturn)) reader_main(pid_t target, const char *file, bool own_mm)
{
	static char buf[64 * 1024];
	long pg = sysconf(_SC_PAGESIZE);
	char path[64];

	child_setup();
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)target, file);
	while (!sh->stop) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			_exit(1);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		if (own_mm) {
			char *p = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p != MAP_FAILED) {
				p[0] = 1;
				munmap(p, (size_t)pg * 2);
			}
		}
		sh->passes++;
	}
	_exit(0);
}

static void reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static json_object *find(json_object *a, const char *role, const char *mode)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *o = json_object_array_get_idx(a, i), *r, *m;

		if (json_object_object_get_ex(o, "role", &r) &&
		    json_object_object_get_ex(o, "mode", &m) &&
		    !strcmp(json_object_get_string(r), role) &&
		    !strcmp(json_object_get_string(m), mode))
			return o;
	}
	return NULL;
}

/* A number at @key ("hold.count" goes one level down); -1 when absent or null. */
static double num(json_object *o, const char *key)
{
	char k[64];
	const char *dot = strchr(key, '.');
	json_object *v;

	if (dot) {
		snprintf(k, sizeof(k), "%.*s", (int)(dot - key), key);
		if (!json_object_object_get_ex(o, k, &o))
			return -1;
		key = dot + 1;
	}
	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return -1;
	return json_object_get_double(v);
}

static bool instance_exists(pid_t pid)
{
	char path[128];

	snprintf(path, sizeof(path), TRACING "/instances/vmatrace-lockstat-%d", (int)pid);
	return access(path, F_OK) == 0;
}

/* A pid that is not in use now. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return 999999;
	waitpid(pid, NULL, 0);
	while (kill(pid, 0) == 0 || errno != ESRCH)
		pid += 100000;
	return pid;
}

/*
 * One session: a writer and a reader of @file, traced for LS_TEST_MS.
 * Returns the JSON (NULL on failure, reported), with the reader's passes
 * over the traced time in *@passes.
 */
static json_object *session(const char *file, bool own_mm, uint64_t *passes, double *seconds)
{
	pid_t writer, reader = -1;
	struct lockstat *ls;
	json_object *j = NULL;
	uint64_t p0, t0;
	char why[256];

	memset(sh, 0, sizeof(*sh));
	writer = fork();
	if (writer == 0)
		writer_main();
	if (writer > 0)
		reader = fork();
	if (reader == 0)
		reader_main(writer, file, own_mm);
	if (writer < 0 || reader < 0) {
		tap_ok(0, "%s: fork: %s", file, strerror(errno));
		goto out;
	}
	/* both busy before tracing starts */
	for (int i = 0; i < 2000 && (!sh->passes || !sh->ops); i++)
		sleep_ms(1);
	p0 = sh->passes;
	t0 = mono_ns();
	ls = lockstat_start(&writer, 1, &reader, 1, why, sizeof(why));
	if (!tap_ok(ls != NULL, "%s: lockstat_start", file)) {
		tap_diag("%s", why);
		goto out;
	}
	tap_ok(instance_exists(getpid()), "%s: instance vmatrace-lockstat-%d while running", file,
	       (int)getpid());
	sleep_ms(LS_TEST_MS);
	*passes = sh->passes - p0;
	*seconds = (double)(mono_ns() - t0) / 1e9;
	if (!tap_ok(lockstat_stop(ls) == 0, "%s: lockstat_stop", file))
		tap_diag("%s", lockstat_error(ls));
	tap_ok(!instance_exists(getpid()), "%s: the instance is gone after stop", file);
	j = lockstat_json(ls, *passes);
	tap_ok(j != NULL, "%s: lockstat_json", file);
	lockstat_free(ls);
out:
	sh->stop = 1;
	reap(reader);
	reap(writer);
	return j;
}

static void check_smaps(void)
{
	uint64_t passes = 0;
	double secs = 0;
	pid_t dead = dead_pid();
	char stale[128];
	json_object *j, *ww, *rr;

	snprintf(stale, sizeof(stale), TRACING "/instances/vmatrace-lockstat-%d", (int)dead);
	if (!tap_ok(mkdir(stale, 0755) == 0, "a stale instance of dead pid %d", (int)dead))
		tap_diag("mkdir %s: %s", stale, strerror(errno));
	j = session("smaps", false, &passes, &secs);
	tap_ok(access(stale, F_OK) != 0, "the stale instance was removed");
	if (!j)
		return;
	ww = find(j, "writer", "write");
	rr = find(j, "reader", "read");
	tap_ok(json_object_array_length(j) == 4 && ww && rr && find(j, "writer", "read") &&
		       find(j, "reader", "write"),
	       "four objects: writer and reader, read and write");
	tap_diag("%.2f s: writer %.0f write acquisitions (wait p50 %.0f ns, hold p50 %.0f ns, "
		 "%.0f downgrades), smaps reader %.0f acquisitions in %" PRIu64 " passes, "
		 "%.0f of its own mm excluded, %.0f lost",
		 secs, num(ww, "acquisitions"), num(ww, "wait.p50_ns"), num(ww, "hold.p50_ns"),
		 num(ww, "downgrades"), num(rr, "acquisitions"), passes,
		 num(rr, "excluded_acquisitions"), num(ww, "lost_events"));
	tap_ok(num(ww, "acquisitions") > 0, "writer: write acquisitions (%.0f)",
	       num(ww, "acquisitions"));
	tap_ok(num(ww, "wait.count") > 0 && num(ww, "wait.max_ns") > 0,
	       "writer: write wait histogram filled (%.0f waits)", num(ww, "wait.count"));
	tap_ok(num(ww, "hold.count") > 0 && num(ww, "hold.p50_ns") > 0,
	       "writer: write hold histogram filled (%.0f holds)", num(ww, "hold.count"));
	tap_ok(num(ww, "downgrades") > 0 && num(ww, "downgraded_hold.count") > 0,
	       "writer: munmap's downgrades seen (%.0f)", num(ww, "downgrades"));
	tap_ok(num(ww, "excluded_acquisitions") == 0,
	       "writer: every acquisition is of its own mm (%.0f excluded)",
	       num(ww, "excluded_acquisitions"));
	tap_ok(num(ww, "tasks") == 2, "writer: both threads traced (%.0f)", num(ww, "tasks"));
	tap_ok(passes > 10, "the smaps reader made %" PRIu64 " passes", passes);
	tap_ok(num(rr, "acquisitions_per_pass") >= 1,
	       "smaps reader: %.2f mmap_lock read acquisitions per pass (>= 1)",
	       num(rr, "acquisitions_per_pass"));
	tap_ok(num(rr, "hold.count") > 0 && num(rr, "wait.count") > 0,
	       "smaps reader: wait and hold histograms filled");
	tap_ok(num(find(j, "reader", "write"), "acquisitions") == 0,
	       "smaps reader: no write acquisition of the writer's mm");
	tap_ok(num(ww, "lost_events") == 0, "no event lost (%.0f)", num(ww, "lost_events"));
	json_object_put(j);
}

static void check_maps(void)
{
	uint64_t passes = 0;
	double secs = 0;
	json_object *j, *rr, *rw;

	j = session("maps", true, &passes, &secs);
	if (!j)
		return;
	rr = find(j, "reader", "read");
	rw = find(j, "reader", "write");
	tap_diag("%.2f s: maps reader %.0f acquisitions of the writer's mm in %" PRIu64
		 " passes; %.0f read and %.0f write acquisitions of its own mm excluded",
		 secs, num(rr, "acquisitions"), passes, num(rr, "excluded_acquisitions"),
		 num(rw, "excluded_acquisitions"));
	tap_ok(passes > 10, "the maps reader made %" PRIu64 " passes", passes);
	tap_ok(num(rr, "acquisitions_per_pass") >= 0 && num(rr, "acquisitions_per_pass") < 0.5,
	       "maps reader: %.3f mmap_lock acquisitions per pass (< 0.5: per-VMA locks)",
	       num(rr, "acquisitions_per_pass"));
	tap_ok(num(rw, "excluded_acquisitions") >= (double)passes / 2,
	       "maps reader: its own mmaps' write locks were traced (%.0f) and excluded",
	       num(rw, "excluded_acquisitions"));
	tap_ok(num(rw, "acquisitions") == 0, "maps reader: none of them counted");
	json_object_put(j);
}

static void check_interrupt(void)
{
	pid_t writer;
	struct lockstat *ls;
	char why[256];
	uint64_t t0;
	int r;

	memset(sh, 0, sizeof(*sh));
	writer = fork();
	if (writer == 0)
		writer_main();
	if (!tap_ok(writer > 0, "interrupt: fork"))
		return;
	for (int i = 0; i < 2000 && !sh->ops; i++)
		sleep_ms(1);
	ls = lockstat_start(&writer, 1, NULL, 0, why, sizeof(why));
	if (tap_ok(ls != NULL, "interrupt: lockstat_start without readers")) {
		sleep_ms(100);
		lockstat_interrupt();
		t0 = mono_ns();
		r = lockstat_stop(ls);
		tap_ok(r == 0, "interrupt: lockstat_stop succeeds");
		tap_ok(mono_ns() - t0 < 1000000000ull,
		       "interrupt: and returns within 1 s (%.1f ms)",
		       (double)(mono_ns() - t0) / 1e6);
		tap_ok(!instance_exists(getpid()), "interrupt: the instance is gone");
		lockstat_free(ls);
	} else {
		tap_diag("%s", why);
	}
	ls = lockstat_start(&writer, 1, NULL, 0, why, sizeof(why));
	tap_ok(!ls && errno == EINTR, "after an interrupt, lockstat_start fails with EINTR (%s)",
	       why);
	lockstat_free(ls);
	tap_ok(!instance_exists(getpid()), "and leaves no instance");
	sh->stop = 1;
	reap(writer);
}

/* As nobody: lockstat_start() on ourselves must refuse; prints the outcome on stdout. */
static int unprivileged_main(void)
{
	pid_t self = getpid();
	char why[256] = "";
	struct lockstat *ls = lockstat_start(&self, 1, NULL, 0, why, sizeof(why));

	printf("%s errno=%d why=%s\n", ls ? "started" : "null", ls ? 0 : errno, why);
	lockstat_free(ls);
	return 0;
}

static void check_unprivileged(const char *self)
{
	char out[512] = "";
	int p[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (access("/usr/bin/setpriv", X_OK) && access("/bin/setpriv", X_OK)) {
		tap_skip("unprivileged: no setpriv");
		return;
	}
	if (pipe(p)) {
		tap_ok(0, "unprivileged: pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		/* nobody cannot enter the test's private directory */
		if (chdir("/"))
			_exit(127);
		execlp("setpriv", "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
		       self, "--unprivileged", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && (n = read(p[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0)
		len += n;
	out[len] = '\0';
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		tap_skip("unprivileged: cannot run this test as nobody via setpriv");
		return;
	}
	out[strcspn(out, "\n")] = '\0';
	tap_ok(!strncmp(out, "null errno=1 ", 13),
	       "unprivileged: lockstat_start returns NULL, EPERM");
	tap_ok(strstr(out, "root") && strstr(out, "tracefs"),
	       "unprivileged: the reason mentions root and tracefs (%s)", out);
	tap_ok(!instance_exists(pid), "unprivileged: no instance made");
}

/* Why the root part cannot run here, or NULL. */
static const char *root_missing(void)
{
	if (geteuid())
		return "not root: the mmap_lock tracepoints need root";
	if (access(TRACING "/instances", F_OK) && mount("nodev", TRACING, "tracefs", 0, NULL))
		return "tracefs is not mounted at " TRACING " and cannot be";
	if (access(TRACING "/events/mmap_lock/mmap_lock_start_locking", F_OK))
		return "this kernel has no mmap_lock tracepoints";
	return NULL;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	const char *missing;
	ssize_t n;
	char why[64];

	if (argc > 1 && !strcmp(argv[1], "--unprivileged"))
		return unprivileged_main();
	setvbuf(stdout, NULL, _IOLBF, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	tap_ok(!lockstat_start(NULL, 0, NULL, 0, why, sizeof(why)) && errno == EINVAL,
	       "no writer: EINVAL");
	tap_ok(lockstat_stop(NULL) == -1 && errno == EINVAL, "lockstat_stop(NULL): EINVAL");
	lockstat_free(NULL);

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	if (geteuid()) {
		pid_t me = getpid();
		char w[256];

		tap_ok(!lockstat_start(&me, 1, NULL, 0, w, sizeof(w)) && errno == EPERM &&
			       strstr(w, "root"),
		       "unprivileged: lockstat_start refuses (%s)", w);
	} else {
		check_unprivileged(self);
	}

	missing = root_missing();
	if (missing) {
		for (int i = 0; i < 3; i++)
			tap_skip(missing);
		return tap_done();
	}
	check_smaps();
	check_maps();
	/* last: the interrupt stays set for this process */
	check_interrupt();
	return tap_done();
}
