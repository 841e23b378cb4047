// SPDX-License-Identifier: GPL-2.0-only
/*
 * probe.c - which lock each reader kind takes on the running kernel, measured
 *
 * A comparison of mmap_lock and per-VMA locks on one kernel rests on knowing
 * which reader kind takes which lock there, and that changes from release to
 * release.  So it is measured, with the kernel's mmap_lock tracepoints, in a
 * private tracefs instance (never the global buffer):
 *
 *   probe                              target child          reader child
 *   ─────                              ────────────          ────────────
 *   instance vmatrace-probe-<pid>
 *                                      maps 200 pages of
 *                                      alternating protection
 *   filter common_pid == target ────►  mmap + munmap
 *   acquire_returned.mm: the target's mm (M)
 *   for each reader kind:
 *     filter common_pid == reader ──────────────────────►  reader_loop(kind, target)
 *     drain the buffer every 20 ms
 *     ... enough passes: stop ──────────────────────────►  exits
 *     count acquire_returned with success and mm == M
 *   destroy the instance, kill the target
 *
 * The reader is the replay's own reader_loop(), so the probe measures exactly
 * the code the replay runs.  Its start-up (opening the file or the
 * PROCMAP_QUERY handle) is traced too and amortised over the passes.  The
 * reader's own page faults and exit lock its own mm, which is why events are
 * matched on the target's mm and not only on the reader's pid.  The target
 * does nothing while it is read, so a per-VMA kind never has to fall back.
 *
 * Without root, tracefs or the tracepoints the answer is inferred from the
 * kernel version (infer() below), labelled as such, with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <tracefs.h>

#include "probe.h"
#include "readers.h"
#include "tracefs-util.h"
#include "util.h"

#define PROBE_SYSTEM "mmap_lock"
#define PROBE_EVENT "mmap_lock_acquire_returned"
/* Pages of the target, every other one read-only: as many VMAs, none of them mergeable. */
#define PROBE_TARGET_PAGES 200
/*
 * The reader's read(2) size.  seq_file fills at most its buffer (a page,
 * more only for a single longer record) per read and smaps takes mmap_lock
 * once per read, so smaps's figure is about its size over 4 KiB whatever
 * this is; it only has to be large enough not to add reads.
 */
#define PROBE_BUFSIZE (64 * 1024)
/*
 * Per CPU.  An smaps pass over the target takes mmap_lock once per read(2),
 * about 50 times, at ~32 bytes an event: 2 MiB hold over a thousand passes,
 * and the probe drains the buffer every PROBE_DRAIN_MS while the reader
 * runs.  A loss would still be detected (missed events) and reported.
 */
#define PROBE_BUFFER_KB "2048"
#define PROBE_DRAIN_MS 20
#define PROBE_READY_MS 5000
#define PROBE_KIND_MS 30000
#define NSEC_PER_MSEC 1000000ull

static volatile sig_atomic_t interrupted;

/**
 * probe_interrupt - make the running (or the next) probe_run() stop
 *
 * See probe.h: async-signal-safe, and the request stays.
 */
void probe_interrupt(void)
{
	interrupted = 1;
}

/* Shared between the probe and a reader child, which writes it and exits. */
struct probe_shared {
	volatile int stop;
	volatile int start_errno; /* why reader_loop() could not start */
	struct reader_stats st;
};

struct probe_ctx {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct tep_event *acq;
	struct tep_format_field *f_mm, *f_success;
	pid_t self, target, reader;
	int cmd_fd, ack_fd; /* to and from the target */
	struct probe_shared *sh;
	/* what on_event() looks for and found */
	pid_t want_pid;
	bool find_mm;
	uint64_t mm; /* the target's struct mm_struct * */
	uint64_t matched, conflicts, lost;
};

static void kernel_version(const char *release, int *major, int *minor)
{
	*major = *minor = 0;
	if (sscanf(release, "%d.%d", major, minor) < 2)
		*minor = 0;
}

/* CONFIG_PER_VMA_LOCK of the running kernel: 1 set, 0 not set, -1 unknown. */
static int config_per_vma_lock(void)
{
	char line[256];
	gzFile f;
	int found = 0;

	f = gzopen("/proc/config.gz", "rb");
	if (!f)
		return -1;
	while (gzgets(f, line, sizeof(line))) {
		if (!strncmp(line, "CONFIG_PER_VMA_LOCK=y", 21)) {
			found = 1;
			break;
		}
	}
	gzclose(f);
	return found;
}

/*
 * The answer without measuring, from the kernel's history:
 *
 * - Linux 6.17 merged Suren Baghdasaryan's series "use per-vma locks for
 *   /proc/pid/maps reads and PROCMAP_QUERY" (fs/proc/task_mmu.c): a read of
 *   /proc/PID/maps and the PROCMAP_QUERY ioctl lock one VMA at a time, under
 *   RCU, and fall back to mmap_lock only when a VMA cannot be locked.  That
 *   needs CONFIG_PER_VMA_LOCK.  smaps and smaps_rollup still take mmap_lock
 *   for reading, once per read(2) and once per pass respectively.
 * - Before 6.17 every kind takes mmap_lock (PROCMAP_QUERY exists from 6.11).
 *
 * A later kernel that moves smaps to per-VMA locks makes this rule wrong,
 * which is why it is only the fallback.
 */
static void infer(struct probe_result *res)
{
	int major, minor, config = config_per_vma_lock();
	bool per_vma;

	kernel_version(res->kernel, &major, &minor);
	per_vma = (major > 6 || (major == 6 && minor >= 17)) && config != 0;
	res->measured = false;
	fmt_into(res->method, sizeof(res->method), "inferred from kernel %d.%d", major, minor);
	for (unsigned int k = 0; k < READER_KIND_NR; k++) {
		struct probe_kind *pk = &res->kinds[k];

		memset(pk, 0, sizeof(*pk));
		pk->per_pass = NAN;
		pk->takes_mmap_lock = !per_vma || k == READER_SMAPS || k == READER_SMAPS_ROLLUP;
	}
}

static void append_reason(struct probe_result *res, const char *fmt, ...) VMT_PRINTF(2, 3);
static void append_reason(struct probe_result *res, const char *fmt, ...)
{
	size_t len = strlen(res->reason);
	va_list ap;

	if (len && len + 2 < sizeof(res->reason)) {
		memcpy(res->reason + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(res->reason + len, sizeof(res->reason) - len, fmt, ap);
	va_end(ap);
}

/* Give up measuring: the inferred answer, and why.  Returns 0 for probe_run(). */
static int fallback(struct probe_result *res, const char *fmt, ...) VMT_PRINTF(2, 3);
static int fallback(struct probe_result *res, const char *fmt, ...)
{
	va_list ap;

	infer(res);
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* In a child: die with the probe, and let Ctrl-C kill it as usual. */
static void child_setup(pid_t parent)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) /* the probe died before prctl */
		_exit(1);
}

/*
 * The target: a stable address space with PROBE_TARGET_PAGES VMAs, every
 * page touched so smaps has something to count.  It answers 'r' when ready,
 * does an mmap/munmap and answers 'm' for each 'm' it is sent (so its mm shows
 * up in the trace), and exits when the probe closes the pipe.
 */
static void __attribute__((noreturn)) target_main(int cmd_fd, int ack_fd, pid_t parent)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p, ch;

	child_setup(parent);
	p = mmap(NULL, (size_t)pg * PROBE_TARGET_PAGES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (long i = 0; i < PROBE_TARGET_PAGES; i++) {
		p[i * pg] = 1;
		if ((i & 1) && mprotect(p + i * pg, (size_t)pg, PROT_READ))
			_exit(1);
	}
	if (write(ack_fd, "r", 1) != 1)
		_exit(1);
	for (;;) {
		ssize_t n = read(cmd_fd, &ch, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		if (ch == 'm') {
			void *q = mmap(NULL, (size_t)pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
				       0);

			if (q != MAP_FAILED)
				munmap(q, (size_t)pg);
			if (write(ack_fd, "m", 1) != 1)
				_exit(1);
		}
	}
}

static void __attribute__((noreturn))
reader_main(struct probe_ctx *c, enum reader_kind kind, int go_fd)
{
	const struct reader_config cfg = {
		.kind = kind,
		.nice = 0,
		.cpu = -1,
		.reopen = true,
		.bufsize = PROBE_BUFSIZE,
	};
	char ch;

	child_setup(c->self);
	/* wait until the trace is armed for this pid */
	if (read(go_fd, &ch, 1) != 1)
		_exit(1);
	if (reader_loop(&cfg, &c->target, 1, &c->sh->stop, &c->sh->st)) {
		c->sh->start_errno = errno;
		_exit(1);
	}
	_exit(0);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The byte @want from the target, within @ms; -1 with errno (EINTR when interrupted). */
static int target_ack(struct probe_ctx *c, char want, unsigned int ms)
{
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;
	struct pollfd p = { .fd = c->ack_fd, .events = POLLIN };
	char ch;

	for (;;) {
		int r;

		if (interrupted) {
			errno = EINTR;
			return -1;
		}
		r = poll(&p, 1, 10);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0) {
			ssize_t n = read(c->ack_fd, &ch, 1);

			if (n == 1 && ch == want)
				return 0;
			errno = n == 0 ? ECHILD : n < 0 ? errno : EPROTO;
			return -1;
		}
		if (now_ns(CLOCK_MONOTONIC) > deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

/* Wait up to @ms for *@pid to exit, then kill it; *@pid becomes 0.  -1/EINTR if interrupted. */
static int reap(pid_t *pid, unsigned int ms, int *status)
{
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + ms * NSEC_PER_MSEC;
	int st = 0, ret = 0;

	if (*pid <= 0)
		return 0;
	for (;;) {
		pid_t r = waitpid(*pid, &st, WNOHANG);

		if (r == *pid || (r < 0 && errno == ECHILD))
			break;
		if (interrupted || now_ns(CLOCK_MONOTONIC) > deadline) {
			ret = interrupted ? -1 : 1;
			kill(*pid, SIGKILL);
			while (waitpid(*pid, &st, 0) < 0 && errno == EINTR)
				;
			break;
		}
		sleep_ms(1);
	}
	*pid = 0;
	if (status)
		*status = st;
	if (ret < 0)
		errno = EINTR;
	return ret;
}

/* Trace PROBE_EVENT of @pid only, from an empty buffer. */
static int trace_start(struct probe_ctx *c, pid_t pid)
{
	char filter[64];

	snprintf(filter, sizeof(filter), "common_pid == %d", (int)pid);
	if (tracefs_event_file_write(c->inst, PROBE_SYSTEM, PROBE_EVENT, "filter", filter) < 0)
		return -1;
	if (tracefs_instance_file_clear(c->inst, "trace") < 0)
		return -1;
	return tracefs_event_enable(c->inst, PROBE_SYSTEM, PROBE_EVENT);
}

static int trace_stop(struct probe_ctx *c)
{
	return tracefs_event_disable(c->inst, PROBE_SYSTEM, PROBE_EVENT);
}

static int on_event(struct tep_event *ev, struct tep_record *rec, int cpu, void *arg)
{
	struct probe_ctx *c = arg;
	unsigned long long mm, ok;

	(void)cpu;
	if (rec->missed_events)
		c->lost++;
	if (ev->id != c->acq->id || tep_data_pid(ev->tep, rec) != c->want_pid)
		return 0;
	if (tep_read_number_field(c->f_success, rec->data, &ok) || !ok ||
	    tep_read_number_field(c->f_mm, rec->data, &mm))
		return 0;
	if (c->find_mm) {
		if (!c->mm)
			c->mm = mm;
		else if (mm != c->mm)
			c->conflicts++;
	} else if (mm == c->mm) {
		c->matched++;
	}
	return 0;
}

/* Count the events of @pid; reads consume, so calls add up until trace_reset(). */
static int trace_collect(struct probe_ctx *c, pid_t pid, bool find_mm)
{
	c->want_pid = pid;
	c->find_mm = find_mm;
	return tracefs_iterate_raw_events(c->tep, c->inst, NULL, 0, on_event, c);
}

static void trace_reset(struct probe_ctx *c)
{
	c->matched = c->conflicts = c->lost = 0;
}

/*
 * The target's mm pointer is not visible from user space; its own mmap takes
 * its mmap_lock for writing, and the event carries the pointer.  A process
 * locks only its own mm unless it reads another's /proc files or ptraces,
 * which the target never does.
 */
static int discover_mm(struct probe_ctx *c, struct probe_result *res)
{
	if (trace_start(c, c->target))
		return fallback(res, "cannot enable the %s event in a tracefs instance: %s",
				PROBE_EVENT, strerror(errno));
	if (write(c->cmd_fd, "m", 1) != 1 || target_ack(c, 'm', PROBE_READY_MS)) {
		int saved = errno;

		trace_stop(c);
		if (saved == EINTR)
			return -1;
		return fallback(res, "the probe's target process failed: %s", strerror(saved));
	}
	trace_stop(c);
	c->mm = 0;
	trace_reset(c);
	if (trace_collect(c, c->target, true) < 0)
		return fallback(res, "cannot read the tracefs buffer: %s", strerror(errno));
	if (!c->mm)
		return fallback(res, "the target's mmap was not traced (no %s event)", PROBE_EVENT);
	if (c->conflicts)
		return fallback(res, "the target's events name %" PRIu64 " other mm pointers",
				c->conflicts);
	return 1;
}

/*
 * Trace @passes passes (or a few more) of one kind.  Returns 1 measured,
 * 0 not measured (the reason appended to res->reason), -1 on an internal
 * error or interruption.
 */
static int measure_kind(struct probe_ctx *c, enum reader_kind kind, unsigned int passes,
			struct probe_result *res)
{
	const char *name = reader_kind_name(kind);
	volatile struct reader_stats *st = &c->sh->st;
	struct probe_kind *pk = &res->kinds[kind];
	uint64_t deadline;
	bool collect_failed = false;
	int go[2], ret = -1, r;
	pid_t rpid;

	memset(c->sh, 0, sizeof(*c->sh));
	if (pipe2(go, O_CLOEXEC))
		return -1;
	c->reader = fork();
	if (c->reader == 0) {
		close(go[1]);
		reader_main(c, kind, go[0]);
	}
	close(go[0]);
	if (c->reader < 0) {
		c->reader = 0;
		close(go[1]);
		return -1;
	}
	rpid = c->reader;
	if (trace_start(c, rpid)) {
		append_reason(res, "%s: cannot enable the %s event: %s", name, PROBE_EVENT,
			      strerror(errno));
		ret = 0;
		goto out;
	}
	if (write(go[1], "g", 1) != 1)
		goto out_trace;

	/*
	 * While the reader runs, drain the buffer every PROBE_DRAIN_MS so that
	 * no number of passes overflows it; the probe's own reads are not
	 * traced (the filter names the reader).
	 */
	trace_reset(c);
	deadline = now_ns(CLOCK_MONOTONIC) + PROBE_KIND_MS * NSEC_PER_MSEC;
	for (unsigned int ms = 1; st->passes < passes && st->errors < passes; ms++) {
		if (interrupted) {
			errno = EINTR;
			goto out_trace;
		}
		if (waitpid(c->reader, NULL, WNOHANG) == c->reader) {
			c->reader = 0; /* ended early: reader_loop() could not start */
			break;
		}
		if (now_ns(CLOCK_MONOTONIC) > deadline)
			break;
		if (ms % PROBE_DRAIN_MS == 0 && trace_collect(c, rpid, false) < 0)
			collect_failed = true;
		sleep_ms(1);
	}
	c->sh->stop = 1;
	r = reap(&c->reader, PROBE_KIND_MS, NULL);
	if (r < 0)
		goto out_trace;
	if (trace_stop(c)) {
		append_reason(res, "%s: cannot disable the %s event: %s", name, PROBE_EVENT,
			      strerror(errno));
		ret = 0;
		goto out;
	}
	ret = 0;
	if (c->sh->start_errno) {
		if (c->sh->start_errno == ENOTTY)
			append_reason(res, "%s: this kernel has no PROCMAP_QUERY (Linux 6.11+)",
				      name);
		else
			append_reason(res, "%s: the reader could not start: %s", name,
				      strerror(c->sh->start_errno));
	} else if (st->errors) {
		append_reason(res, "%s: %" PRIu64 " reader passes failed: %s", name, st->errors,
			      strerror(st->last_errno));
	} else if (r > 0) {
		append_reason(res, "%s: the reader did not stop within %d s", name,
			      PROBE_KIND_MS / 1000);
	} else if (st->passes < passes) {
		append_reason(res, "%s: %" PRIu64 " of %u passes in %d s", name, st->passes, passes,
			      PROBE_KIND_MS / 1000);
	} else if (trace_collect(c, rpid, false) < 0 || collect_failed) {
		append_reason(res, "%s: cannot read the tracefs buffer: %s", name, strerror(errno));
	} else if (c->lost) {
		append_reason(res, "%s: the trace lost events", name);
	} else {
		ret = 1;
	}
	if (ret == 1) {
		pk->measured = true;
		pk->passes = st->passes;
		pk->acquisitions = c->matched;
		pk->per_pass = (double)c->matched / (double)st->passes;
		pk->takes_mmap_lock = pk->per_pass >= 0.5;
	}
	goto out;
out_trace:
	trace_stop(c);
out:
	close(go[1]);
	if (c->reader > 0 && reap(&c->reader, 0, NULL) < 0)
		ret = -1;
	return ret;
}

static void ctx_cleanup(struct probe_ctx *c)
{
	int saved = errno;

	reap(&c->reader, 0, NULL);
	if (c->cmd_fd >= 0)
		close(c->cmd_fd); /* the target exits on EOF */
	if (c->ack_fd >= 0)
		close(c->ack_fd);
	reap(&c->target, 0, NULL);
	if (c->sh && c->sh != MAP_FAILED)
		munmap(c->sh, sizeof(*c->sh));
	/* removing the instance disables its events and frees its buffers */
	tracing_instance_remove(c->inst);
	if (c->tep)
		tep_free(c->tep);
	errno = saved;
}

static int start_target(struct probe_ctx *c)
{
	int cmd[2], ack[2];

	if (pipe2(cmd, O_CLOEXEC))
		return -1;
	if (pipe2(ack, O_CLOEXEC)) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	c->target = fork();
	if (c->target == 0) {
		close(cmd[1]);
		close(ack[0]);
		target_main(cmd[0], ack[1], c->self);
	}
	close(cmd[0]);
	close(ack[1]);
	c->cmd_fd = cmd[1];
	c->ack_fd = ack[0];
	if (c->target < 0) {
		c->target = 0;
		return -1;
	}
	return target_ack(c, 'r', PROBE_READY_MS);
}

/* Set up the instance and the event parser; 1 ready, 0 fell back, -1 error. */
static int setup_tracing(struct probe_ctx *c, struct probe_result *res)
{
	static const char *const systems[] = { PROBE_SYSTEM, NULL };
	char why[256];

	if (tracing_check(PROBE_SYSTEM, PROBE_EVENT, why, sizeof(why)))
		return fallback(res, "%s", why);
	tracing_remove_stale();
	c->inst = tracing_instance_create("probe");
	if (!c->inst)
		return fallback(res, "cannot create the tracefs instance 'vmatrace-probe-%d': %s",
				(int)c->self, strerror(errno));
	if (tracefs_instance_file_write(c->inst, "buffer_size_kb", PROBE_BUFFER_KB) < 0)
		return fallback(res, "cannot size the tracefs instance's buffer: %s",
				strerror(errno));
	c->tep = tracefs_local_events_system(NULL, systems);
	if (c->tep)
		c->acq = tep_find_event_by_name(c->tep, PROBE_SYSTEM, PROBE_EVENT);
	if (c->acq) {
		c->f_mm = tep_find_field(c->acq, "mm");
		c->f_success = tep_find_field(c->acq, "success");
	}
	if (!c->f_mm || !c->f_success)
		return fallback(res, "cannot parse the format of the %s event", PROBE_EVENT);
	return 1;
}

/**
 * probe_run - measure which lock each reader kind takes on this kernel
 * @res: filled in; when it cannot measure, filled by inference with
 *       res->measured false and res->reason saying why
 * @passes: passes of each reader kind to trace, at least 1
 *
 * See readers.h and the comment at the top of this file.  Needs root and
 * tracefs (mounted here if it is not).  Removes stale vmatrace-* instances
 * of earlier killed runs, and its own instance and child processes before
 * returning, on every path.  res->measured is true when every kind was
 * measured; a kind that could not be (no PROCMAP_QUERY, say) keeps the
 * inferred answer with its own measured flag false and the reason in
 * res->reason.
 *
 * Return: 0, or -1 with errno set: EINTR after probe_interrupt(), EINVAL,
 * or a failure to fork, pipe or map memory.
 */
int probe_run(struct probe_result *res, unsigned int passes)
{
	struct probe_ctx c = { .cmd_fd = -1, .ack_fd = -1 };
	struct utsname u;
	unsigned int measured = 0;
	int ret;

	if (!res || !passes) {
		errno = EINVAL;
		return -1;
	}
	memset(res, 0, sizeof(*res));
	if (!uname(&u))
		strlcpy_(res->kernel, u.release, sizeof(res->kernel));
	if (interrupted) {
		errno = EINTR;
		return -1;
	}
	if (geteuid())
		return fallback(res, "not root: the mmap_lock tracepoints need root and tracefs");

	c.self = getpid();
	ret = setup_tracing(&c, res);
	if (ret <= 0)
		goto out;
	c.sh = mmap(NULL, sizeof(*c.sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c.sh == MAP_FAILED) {
		ret = -1;
		goto out;
	}
	if (start_target(&c)) {
		if (errno == EINTR) {
			ret = -1;
			goto out;
		}
		ret = fallback(res, "the probe's target process failed: %s", strerror(errno));
		goto out;
	}
	ret = discover_mm(&c, res);
	if (ret <= 0)
		goto out;

	infer(res); /* the answer for any kind that cannot be measured */
	for (unsigned int k = 0; k < READER_KIND_NR; k++) {
		ret = measure_kind(&c, (enum reader_kind)k, passes, res);
		if (ret < 0)
			goto out;
		measured += (unsigned int)ret;
	}
	ret = 0;
	if (measured) {
		res->measured = measured == READER_KIND_NR;
		strlcpy_(res->method, "tracefs mmap_lock events", sizeof(res->method));
	}
out:
	ctx_cleanup(&c);
	return ret < 0 ? -1 : 0;
}

/**
 * probe_to_json - the probe's result as JSON
 * @res: a result from probe_run()
 *
 * {"measured", "method", "reason", "kernel", "kinds": {KIND: {"measured",
 * "passes", "acquisitions", "per_pass" (null when inferred),
 * "takes_mmap_lock", "lock": "mmap_lock" or "per-VMA lock"}}}
 *
 * Return: a new object (json_object_put() it), or NULL when out of memory.
 */
json_object *probe_to_json(const struct probe_result *res)
{
	json_object *o = json_object_new_object(), *kinds = json_object_new_object();

	if (!o || !kinds)
		goto fail;
	json_object_object_add(o, "measured", json_object_new_boolean(res->measured));
	json_object_object_add(o, "method", json_object_new_string(res->method));
	json_object_object_add(o, "reason", json_object_new_string(res->reason));
	json_object_object_add(o, "kernel", json_object_new_string(res->kernel));
	for (unsigned int k = 0; k < READER_KIND_NR; k++) {
		const struct probe_kind *pk = &res->kinds[k];
		json_object *j = json_object_new_object();

		if (!j)
			goto fail;
		json_object_object_add(j, "measured", json_object_new_boolean(pk->measured));
		json_object_object_add(j, "passes", json_object_new_uint64(pk->passes));
		json_object_object_add(j, "acquisitions", json_object_new_uint64(pk->acquisitions));
		json_object_object_add(j, "per_pass",
				       pk->measured ? json_object_new_double(pk->per_pass) : NULL);
		json_object_object_add(j, "takes_mmap_lock",
				       json_object_new_boolean(pk->takes_mmap_lock));
		json_object_object_add(
			j, "lock",
			json_object_new_string(pk->takes_mmap_lock ? "mmap_lock" : "per-VMA lock"));
		json_object_object_add(kinds, reader_kind_name((enum reader_kind)k), j);
	}
	json_object_object_add(o, "kinds", kinds);
	return o;
fail:
	json_object_put(kinds);
	json_object_put(o);
	return NULL;
}
