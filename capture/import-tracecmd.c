// SPDX-License-Identifier: GPL-2.0-only
/*
 * import-tracecmd.c - read a trace-cmd trace.dat through libtracecmd
 *
 * The records of every buffer in the file (the top one and each instance,
 * as `trace-cmd record -B` or `trace-cmd extract -B` save them) are read in
 * time order across buffers and CPUs, decoded with the file's own event
 * formats (libtraceevent), and handed to the ftrace event stream that ftrace
 * text uses too: the same events, the same pairing, the same rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <trace-cmd/trace-cmd.h>

#include "import.h"

/*
 * libtracecmd exports these but declares them only in its private header;
 * weak, so that a library without them costs only the facts they give.
 */
const char *tracecmd_get_uname(struct tracecmd_input *handle) __attribute__((weak));
const char *tracecmd_get_trace_clock(struct tracecmd_input *handle) __attribute__((weak));

enum ev_kind {
	K_UNKNOWN, /* not looked at yet */
	K_OTHER,
	K_RAW_ENTER,
	K_RAW_EXIT,
	K_ENTER,
	K_EXIT,
	K_NEWTASK,
	K_FORK,
	K_EXEC,
	K_TASK_EXIT,
	K_RENAME,
};

/* What an event id is, worked out once per id and tep (each buffer has its own). */
struct ev_info {
	struct tep_handle *tep;
	int id;
	enum ev_kind kind;
	struct tep_event *event;
	struct tep_format_field **fields; /* syscalls:* enter: the arguments in order */
	int nfields;
	char name[32];
};

struct tcread {
	struct imp *im;
	struct imp_ftrace *fs;
	struct ev_info *info;
	size_t ninfo, cap_info;
	uint64_t records;
	int ret;
};

static struct ev_info *classify(struct tcread *r, struct tep_handle *tep, int id)
{
	struct ev_info *in;
	struct tep_event *ev;

	for (size_t i = 0; i < r->ninfo; i++)
		if (r->info[i].tep == tep && r->info[i].id == id)
			return &r->info[i];
	if (r->ninfo == r->cap_info) {
		size_t ncap = r->cap_info ? r->cap_info * 2 : 64;
		struct ev_info *p = realloc(r->info, ncap * sizeof(*p));

		if (!p)
			return NULL;
		r->info = p;
		r->cap_info = ncap;
	}
	in = &r->info[r->ninfo++];
	memset(in, 0, sizeof(*in));
	in->tep = tep;
	in->id = id;
	in->kind = K_OTHER;
	ev = tep_find_event(tep, id);
	in->event = ev;
	if (!ev) {
		strlcpy_(in->name, "unknown event", sizeof(in->name));
		return in;
	}
	strlcpy_(in->name, ev->name, sizeof(in->name));
	if (!strcmp(ev->system, "raw_syscalls")) {
		if (!strcmp(ev->name, "sys_enter"))
			in->kind = K_RAW_ENTER;
		else if (!strcmp(ev->name, "sys_exit"))
			in->kind = K_RAW_EXIT;
	} else if (!strcmp(ev->system, "syscalls")) {
		if (!strncmp(ev->name, "sys_enter_", 10)) {
			in->kind = K_ENTER;
			strlcpy_(in->name, ev->name + 10, sizeof(in->name));
			in->fields = tep_event_fields(ev);
			while (in->fields && in->fields[in->nfields])
				in->nfields++;
		} else if (!strncmp(ev->name, "sys_exit_", 9)) {
			in->kind = K_EXIT;
			strlcpy_(in->name, ev->name + 9, sizeof(in->name));
		}
	} else if (!strcmp(ev->system, "task")) {
		if (!strcmp(ev->name, "task_newtask"))
			in->kind = K_NEWTASK;
		else if (!strcmp(ev->name, "task_rename"))
			in->kind = K_RENAME;
	} else if (!strcmp(ev->system, "sched")) {
		if (!strcmp(ev->name, "sched_process_fork"))
			in->kind = K_FORK;
		else if (!strcmp(ev->name, "sched_process_exec"))
			in->kind = K_EXEC;
		else if (!strcmp(ev->name, "sched_process_exit"))
			in->kind = K_TASK_EXIT;
	}
	return in;
}

static int num(struct ev_info *in, struct tep_record *rec, const char *field, uint64_t *v)
{
	unsigned long long val;

	if (tep_get_field_val(NULL, in->event, field, rec, &val, 0))
		return -1;
	*v = val;
	return 0;
}

/* A string field, fixed (char comm[16]) or dynamic (__data_loc char[] filename). */
static int str(struct ev_info *in, struct tep_record *rec, const char *field, char *out,
	       size_t size)
{
	int len = 0;
	const char *p = tep_get_field_raw(NULL, in->event, field, rec, &len, 0);

	if (!p || len < 0)
		return -1;
	snprintf(out, size, "%.*s", (int)strnlen(p, (size_t)len), p);
	return 0;
}

static int decode(struct ev_info *in, struct tep_record *rec, struct imp_fev *ev)
{
	struct tep_format_field *f;
	char buf[VMT_STR_MAX];
	uint64_t v;

	switch (in->kind) {
	case K_RAW_ENTER:
		ev->type = IMP_FEV_ENTER;
		ev->raw = true;
		f = tep_find_field(in->event, "args");
		if (num(in, rec, "id", &v) || !f || !f->elementsize)
			return -1;
		ev->nr = (int64_t)v;
		for (unsigned int i = 0; i < f->arraylen && i < VMT_MAX_ARGS; i++) {
			ev->args[i] = tep_read_number(
				in->tep, (char *)rec->data + f->offset + i * f->elementsize,
				f->elementsize);
			ev->nargs++;
		}
		return 0;
	case K_RAW_EXIT:
		ev->type = IMP_FEV_EXIT;
		ev->raw = true;
		if (num(in, rec, "id", &v) || num(in, rec, "ret", (uint64_t *)&ev->ret))
			return -1;
		ev->nr = (int64_t)v;
		return 0;
	case K_ENTER:
		ev->type = IMP_FEV_ENTER;
		strlcpy_(ev->name, in->name, sizeof(ev->name));
		for (int i = 0; i < in->nfields && ev->nargs < VMT_MAX_ARGS; i++) {
			unsigned long long val;

			if (!strcmp(in->fields[i]->name, "__syscall_nr"))
				continue;
			if (tep_read_number_field(in->fields[i], rec->data, &val))
				return -1;
			ev->args[ev->nargs++] = val;
		}
		return 0;
	case K_EXIT:
		ev->type = IMP_FEV_EXIT;
		strlcpy_(ev->name, in->name, sizeof(ev->name));
		return num(in, rec, "ret", (uint64_t *)&ev->ret);
	case K_NEWTASK:
		ev->type = IMP_FEV_NEWTASK;
		if (num(in, rec, "pid", &v) || num(in, rec, "clone_flags", &ev->flags))
			return -1;
		ev->pid2 = (uint32_t)v;
		return 0;
	case K_FORK:
		ev->type = IMP_FEV_FORK;
		if (num(in, rec, "child_pid", &v))
			return -1;
		ev->pid2 = (uint32_t)v;
		return 0;
	case K_EXEC:
		ev->type = IMP_FEV_EXEC;
		if (str(in, rec, "filename", buf, sizeof(buf)))
			return -1;
		ev->text = strdup(buf);
		return ev->text ? 0 : -1;
	case K_TASK_EXIT:
		ev->type = IMP_FEV_TASK_EXIT;
		if (num(in, rec, "pid", &v))
			return -1;
		ev->tid = (uint32_t)v;
		return 0;
	case K_RENAME:
		ev->type = IMP_FEV_RENAME;
		if (num(in, rec, "pid", &v) || str(in, rec, "newcomm", buf, sizeof(buf)))
			return -1;
		ev->pid2 = (uint32_t)v;
		ev->text = strdup(buf);
		return ev->text ? 0 : -1;
	default:
		return 1;
	}
}

static int on_record(struct tracecmd_input *handle, struct tep_record *rec, int cpu, void *data)
{
	struct tcread *r = data;
	struct tep_handle *tep = tracecmd_get_tep(handle);
	struct imp_fev ev = { 0 };
	struct ev_info *in;
	const char *comm;
	int rc;

	r->records++;
	ev.seq = r->records;
	ev.t = rec->ts;
	ev.cpu = (uint32_t)cpu;
	if (rec->missed_events) {
		/* the ring buffer overflowed before this record; -1: by how much is unknown */
		struct imp_fev lost = {
			.type = IMP_FEV_LOST, .t = rec->ts, .seq = ev.seq, .cpu = (uint32_t)cpu
		};

		lost.count = rec->missed_events > 0 ? (uint64_t)rec->missed_events : 1;
		if (rec->missed_events < 0)
			imp_remark(r->im,
				   "record %" PRIu64
				   ": events lost on cpu %d, number unknown (counted as 1)",
				   ev.seq, cpu);
		if (imp_ftrace_event(r->fs, &lost))
			goto fail;
	}
	in = classify(r, tep, tep_data_type(tep, rec));
	if (!in) {
		imp_error(r->im, "out of memory");
		goto fail;
	}
	if (in->kind == K_OTHER) {
		imp_ftrace_other(r->fs, in->name);
		return 0;
	}
	ev.tid = (uint32_t)tep_data_pid(tep, rec);
	comm = tep_data_comm_from_pid(tep, (int)ev.tid);
	if (comm && strcmp(comm, "<...>"))
		strlcpy_(ev.comm, comm, sizeof(ev.comm));
	rc = decode(in, rec, &ev);
	if (rc < 0) {
		imp_malformed(r->im, ev.seq, "cannot decode a %s record", in->name);
		free((char *)ev.text);
		return 0;
	}
	if (!ev.tid) {
		imp_note(r->im, "events of pid 0");
		free((char *)ev.text);
		return 0;
	}
	rc = imp_ftrace_event(r->fs, &ev);
	free((char *)ev.text);
	if (rc)
		goto fail;
	return 0;
fail:
	r->ret = -1;
	return -1; /* stops the iteration */
}

/* "Linux box 6.18.0 #1 SMP ... x86_64": the kernel, host and architecture of the capture. */
static void use_uname(struct imp *im, const char *u)
{
	char sys[64], host[256], rel[256];
	const char *last;
	int arch;

	if (!u || sscanf(u, "%63s %255s %255s", sys, host, rel) != 3)
		return;
	imp_set_host(im, rel, host);
	last = strrchr(u, ' ');
	arch = imp_arch_from_name(last ? last + 1 : u);
	if (arch >= 0)
		imp_set_arch(im, (enum imp_arch)arch);
}

static void use_clock(struct imp *im, const char *clock)
{
	static const struct {
		const char *name;
		uint32_t clock;
	} clocks[] = {
		{ "local", VMT_CLOCK_LOCAL },	 { "global", VMT_CLOCK_GLOBAL },
		{ "mono", VMT_CLOCK_MONOTONIC }, { "mono_raw", VMT_CLOCK_MONO_RAW },
		{ "boot", VMT_CLOCK_BOOT },
	};

	if (!clock)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(clocks); i++) {
		if (!strcmp(clock, clocks[i].name)) {
			imp_set_clock(im, clocks[i].clock);
			return;
		}
	}
}

/* Close @fd unless libtracecmd already has (a single thread: its number is not reused meanwhile). */
static void release_fd(int fd)
{
	if (fcntl(fd, F_GETFD) != -1)
		close(fd);
}

int imp_read_tracecmd(struct imp *im, const char *path)
{
	struct tcread r = { .im = im };
	struct tracecmd_input *top, **handles = NULL;
	int fd, nbuf, n = 0, ret = -1;

	imp_set_default_pids(im, IMP_PIDS_PROCESSES);
	tracecmd_set_loglevel(TEP_LOG_NONE);
	/*
	 * The descriptor is ours, not libtracecmd's: its tracecmd_open() leaves
	 * the file open when the file is damaged (3.1.6), which a long-lived
	 * caller such as the fuzzer would pile up.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return imp_error(im, "cannot open '%s': %s", path, strerror(errno));
	top = tracecmd_open_fd(fd, TRACECMD_FL_LOAD_NO_PLUGINS | TRACECMD_FL_LOAD_NO_SYSTEM_PLUGINS);
	if (!top) {
		release_fd(fd);
		return imp_error(im, "cannot read '%s' as a trace-cmd trace.dat file", path);
	}
	if (tracecmd_get_uname)
		use_uname(im, tracecmd_get_uname(top));
	if (tracecmd_get_trace_clock)
		use_clock(im, tracecmd_get_trace_clock(top));
	nbuf = tracecmd_buffer_instances(top);
	handles = calloc((size_t)(nbuf > 0 ? nbuf : 0) + 1, sizeof(*handles));
	r.fs = imp_ftrace_new(im);
	if (!handles || !r.fs) {
		imp_error(im, "out of memory");
		goto out;
	}
	handles[n++] = top;
	for (int i = 0; i < nbuf; i++) {
		struct tracecmd_input *h = tracecmd_buffer_instance_handle(top, i);

		if (!h) {
			imp_error(im, "'%s': cannot open buffer '%s'", path,
				  tracecmd_buffer_instance_name(top, i));
			goto out;
		}
		handles[n++] = h;
	}
	if (tracecmd_iterate_events_multi(handles, n, on_record, &r) < 0 && !r.ret) {
		imp_error(im, "cannot read the records of '%s'", path);
		goto out;
	}
	if (r.ret)
		goto out;
	imp_set_read(im, r.records, "records");
	ret = imp_ftrace_finish(r.fs);
	r.fs = NULL;
out:
	imp_ftrace_free(r.fs);
	for (size_t i = 0; i < r.ninfo; i++)
		free(r.info[i].fields);
	free(r.info);
	for (int i = 1; i < n; i++)
		tracecmd_close(handles[i]);
	free(handles);
	tracecmd_close(top);
	release_fd(fd);
	return ret;
}
