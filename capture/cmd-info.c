// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd-info.c - vmatrace info: what a trace holds
 *
 * One pass over the trace: counts per op kind, per process and per thread,
 * failures, time span, and the address footprint (the union of the ranges
 * the ops change, per process).  The footprint is kept as pending ranges
 * that are sorted and coalesced whenever they outgrow the coalesced set, so
 * a 10 M-op trace needs memory in proportion to its distinct ranges only.
 */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "util.h"
#include "vmt.h"

static const char info_usage[] =
	"usage: vmatrace info [--json] TRACE\n"
	"\n"
	"Print what TRACE holds: where and how it was captured, its processes and\n"
	"threads with their names, operation counts by kind, failed operations, time\n"
	"span and rate, the address footprint, initial maps, files and lost events.\n"
	"\n"
	"  --json       the same as one JSON object\n"
	"  -h, --help   this text\n";

struct range {
	uint64_t start, end;
};

/* Address ranges of one process: set[0..nset) is sorted and disjoint. */
struct footprint {
	struct range *r;
	size_t nset, n, cap;
};

struct thread_stat {
	uint64_t ops;
	char name[64]; /* the last name seen (COMM records rename) */
};

struct info {
	uint64_t ops[VMT_OP_NR], failed[VMT_OP_NR], no_exit, total, failed_total;
	uint64_t first_t, last_t, lost_records, maps, execs, exits;
	bool any_op;
	struct thread_stat *threads;
	uint64_t *proc_ops;
	struct footprint *fp;
	uint32_t nthreads, nprocs, cap_threads, cap_procs;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void fp_coalesce(struct footprint *f)
{
	size_t out = 0;

	if (!f->n)
		return; /* no ranges: f->r may be NULL, which qsort must not get */
	qsort(f->r, f->n, sizeof(*f->r), cmp_range);
	for (size_t i = 0; i < f->n; i++) {
		if (out && f->r[i].start <= f->r[out - 1].end) {
			if (f->r[i].end > f->r[out - 1].end)
				f->r[out - 1].end = f->r[i].end;
		} else {
			f->r[out++] = f->r[i];
		}
	}
	f->n = f->nset = out;
}

static int fp_add(struct footprint *f, uint64_t start, uint64_t end)
{
	/* mmap X, munmap X, mmap X...: the same range again is free to skip */
	if (f->n > f->nset && f->r[f->n - 1].start == start && f->r[f->n - 1].end == end)
		return 0;
	if (f->n == f->cap) {
		if (f->n - f->nset >= 4096 && f->n - f->nset >= f->nset) {
			fp_coalesce(f);
			if (f->n < f->cap / 2)
				goto add;
		}
		size_t ncap = f->cap ? f->cap * 2 : 1024;
		struct range *p = realloc(f->r, ncap * sizeof(*p));

		if (!p)
			return -1;
		f->r = p;
		f->cap = ncap;
	}
add:
	f->r[f->n++] = (struct range){ start, end };
	return 0;
}

static uint64_t fp_bytes(struct footprint *f, uint64_t *lo, uint64_t *hi)
{
	uint64_t sum = 0;

	fp_coalesce(f);
	for (size_t i = 0; i < f->nset; i++)
		sum += f->r[i].end - f->r[i].start;
	if (f->nset) {
		*lo = f->r[0].start;
		*hi = f->r[f->nset - 1].end;
	}
	return sum;
}

static int grow(void **p, uint32_t need, uint32_t *cap, size_t elem)
{
	uint32_t ncap = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	q = realloc(*p, (size_t)ncap * elem);
	if (!q)
		return -1;
	memset((char *)q + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
	*p = q;
	*cap = ncap;
	return 0;
}

static int account(struct info *in, const struct vmt_reader *r, const struct vmt_record *rec)
{
	switch (rec->type) {
	case VMT_REC_OP: {
		const struct vmt_op *op = &rec->op;
		uint32_t proc = vmt_reader_thread(r, op->thread)->process;
		uint64_t s, e;

		in->ops[op->kind]++;
		in->total++;
		if (op->flags & VMT_OPF_NO_EXIT)
			in->no_exit++;
		if (vmt_op_failed(op)) {
			in->failed[op->kind]++;
			in->failed_total++;
		}
		if (!in->any_op)
			in->first_t = op->t_enter;
		in->any_op = true;
		in->last_t = op->t_exit > op->t_enter ? op->t_exit : op->t_enter;
		in->threads[op->thread].ops++;
		in->proc_ops[proc]++;
		if (!vmt_op_failed(op) && vmt_op_range(op, &s, &e) && fp_add(&in->fp[proc], s, e))
			return -1;
		/* a moved mremap also covers its destination */
		if (op->kind == VMT_OP_MREMAP && !vmt_op_failed(op) &&
		    !(op->flags & VMT_OPF_NO_EXIT) && (uint64_t)op->ret != op->args[0] &&
		    op->ret + op->args[2] > (uint64_t)op->ret &&
		    fp_add(&in->fp[proc], (uint64_t)op->ret, (uint64_t)op->ret + op->args[2]))
			return -1;
		return 0;
	}
	case VMT_REC_PROCESS:
		in->nprocs = vmt_reader_nprocesses(r);
		if (grow((void **)&in->proc_ops, in->nprocs, &in->cap_procs, sizeof(*in->proc_ops)))
			return -1;
		/* fp grows with proc_ops: same capacity */
		{
			struct footprint *f = realloc(in->fp, (size_t)in->cap_procs * sizeof(*f));

			if (!f)
				return -1;
			memset(f + in->nprocs - 1, 0, (size_t)(in->cap_procs - in->nprocs + 1) * sizeof(*f));
			in->fp = f;
		}
		return 0;
	case VMT_REC_THREAD:
		in->nthreads = vmt_reader_nthreads(r);
		if (grow((void **)&in->threads, in->nthreads, &in->cap_threads, sizeof(*in->threads)))
			return -1;
		strlcpy_(in->threads[in->nthreads - 1].name, rec->thread.name, 64);
		return 0;
	case VMT_REC_COMM:
		strlcpy_(in->threads[rec->event.thread].name, rec->event.text, 64);
		return 0;
	case VMT_REC_MAP:
		in->maps++;
		return 0;
	case VMT_REC_EXEC:
		in->execs++;
		return 0;
	case VMT_REC_EXIT:
		in->exits++;
		return 0;
	case VMT_REC_LOST:
		in->lost_records += rec->lost.count;
		return 0;
	default:
		return 0;
	}
}

static double rate(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0;
}

static void print_text(struct info *in, const struct vmt_reader *r, const char *path,
		       uint64_t size)
{
	const struct vmt_header *h = vmt_reader_header(r);
	uint64_t dur = in->any_op ? in->last_t - in->first_t : 0;
	char b1[32], b2[32];
	time_t when = (time_t)(h->start_realtime_ns / 1000000000ull);
	struct tm tm;
	char date[64] = "unknown";

	if (h->start_realtime_ns && gmtime_r(&when, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("trace:        %s (format v%u, %s)\n", path, h->version, fmt_bytes(b1, sizeof(b1), size));
	printf("source:       %s\n", h->source);
	printf("captured:     %s on %s, Linux %s %s, page size %" PRIu32 ", clock %s\n", date,
	       h->hostname[0] ? h->hostname : "?", h->kernel[0] ? h->kernel : "?",
	       h->arch[0] ? h->arch : "?", h->page_size, vmt_clock_name(h->clock));
	printf("command:      %s\n", h->cmdline);
	printf("duration:     %s (first op to last)\n", fmt_ns(b1, sizeof(b1), dur));
	printf("ops:          %" PRIu64 " (%.0f/s), %" PRIu64 " failed, %" PRIu64 " without exit\n",
	       in->total, rate(in->total, dur), in->failed_total, in->no_exit);
	printf("lost events:  %" PRIu64 "%s\n", h->lost_events,
	       h->lost_events ? "  (the trace misses operations: replay is not exact)" : "");
	printf("processes:    %" PRIu32 ", threads: %" PRIu32 ", files: %" PRIu32
	       ", initial maps: %" PRIu64 ", execs: %" PRIu64 ", exits: %" PRIu64 "\n",
	       in->nprocs, in->nthreads, vmt_reader_nfiles(r), in->maps, in->execs, in->exits);
	printf("\nops by kind:     count      share     failed\n");
	for (int k = 0; k < VMT_OP_NR; k++) {
		if (!in->ops[k])
			continue;
		printf("  %-15s %10" PRIu64 " %8.1f%% %10" PRIu64 "\n", vmt_op_descs[k].name, in->ops[k],
		       100.0 * (double)in->ops[k] / (double)in->total, in->failed[k]);
	}
	printf("\nprocesses and threads:\n");
	for (uint32_t p = 0; p < in->nprocs; p++) {
		const struct vmt_process *pr = vmt_reader_process(r, p);
		uint64_t lo = 0, hi = 0, bytes = fp_bytes(&in->fp[p], &lo, &hi);

		printf("  P%" PRIu32 " pid %" PRIu32 " \"%s\"", p, pr->pid, pr->name);
		if (pr->parent != VMT_NONE)
			printf(" child of P%" PRIu32, pr->parent);
		printf(": %" PRIu64 " ops, footprint %s", in->proc_ops[p],
		       fmt_bytes(b1, sizeof(b1), bytes));
		if (bytes)
			printf(" in 0x%" PRIx64 "-0x%" PRIx64 " (span %s)", lo, hi,
			       fmt_bytes(b2, sizeof(b2), hi - lo));
		printf("\n");
		for (uint32_t t = 0; t < in->nthreads; t++) {
			const struct vmt_thread *th = vmt_reader_thread(r, t);

			if (th->process == p)
				printf("    T%-5" PRIu32 " tid %-8" PRIu32 " %-20s %10" PRIu64 " ops\n", t,
				       th->tid, in->threads[t].name, in->threads[t].ops);
		}
	}
}

static int print_json(struct info *in, const struct vmt_reader *r, const char *path,
		      uint64_t size)
{
	const struct vmt_header *h = vmt_reader_header(r);
	uint64_t dur = in->any_op ? in->last_t - in->first_t : 0, total_fp = 0;
	json_object *o = json_object_new_object(), *ops = json_object_new_object();
	json_object *failed = json_object_new_object(), *procs = json_object_new_array();
	int ret;

	json_object_object_add(o, "trace", json_object_new_string(path));
	json_object_object_add(o, "size_bytes", json_object_new_int64((int64_t)size));
	json_object_object_add(o, "format_version", json_object_new_int(h->version));
	json_object_object_add(o, "source", json_object_new_string(h->source));
	json_object_object_add(o, "kernel", json_object_new_string(h->kernel));
	json_object_object_add(o, "arch", json_object_new_string(h->arch));
	json_object_object_add(o, "hostname", json_object_new_string(h->hostname));
	json_object_object_add(o, "page_size", json_object_new_int64(h->page_size));
	json_object_object_add(o, "clock", json_object_new_string(vmt_clock_name(h->clock)));
	json_object_object_add(o, "cmdline", json_object_new_string(h->cmdline));
	json_object_object_add(o, "start_realtime_ns",
			       json_object_new_int64((int64_t)h->start_realtime_ns));
	for (int k = 0; k < VMT_OP_NR; k++) {
		json_object_object_add(ops, vmt_op_descs[k].name,
				       json_object_new_int64((int64_t)in->ops[k]));
		json_object_object_add(failed, vmt_op_descs[k].name,
				       json_object_new_int64((int64_t)in->failed[k]));
	}
	json_object_object_add(o, "ops", ops);
	json_object_object_add(o, "op_count", json_object_new_int64((int64_t)in->total));
	json_object_object_add(o, "failed", json_object_new_int64((int64_t)in->failed_total));
	json_object_object_add(o, "failed_by_kind", failed);
	json_object_object_add(o, "no_exit", json_object_new_int64((int64_t)in->no_exit));
	json_object_object_add(o, "duration_ns", json_object_new_int64((int64_t)dur));
	json_object_object_add(o, "op_rate_per_s", json_object_new_double(rate(in->total, dur)));
	json_object_object_add(o, "lost_events", json_object_new_int64((int64_t)h->lost_events));
	json_object_object_add(o, "processes", json_object_new_int64(in->nprocs));
	json_object_object_add(o, "threads", json_object_new_int64(in->nthreads));
	json_object_object_add(o, "files", json_object_new_int64(vmt_reader_nfiles(r)));
	json_object_object_add(o, "initial_maps", json_object_new_int64((int64_t)in->maps));
	for (uint32_t p = 0; p < in->nprocs; p++) {
		const struct vmt_process *pr = vmt_reader_process(r, p);
		json_object *jp = json_object_new_object(), *jt = json_object_new_array();
		uint64_t lo = 0, hi = 0, bytes = fp_bytes(&in->fp[p], &lo, &hi);

		total_fp += bytes;
		json_object_object_add(jp, "index", json_object_new_int64(p));
		json_object_object_add(jp, "pid", json_object_new_int64(pr->pid));
		json_object_object_add(jp, "ppid", json_object_new_int64(pr->ppid));
		json_object_object_add(jp, "name", json_object_new_string(pr->name));
		json_object_object_add(jp, "ops", json_object_new_int64((int64_t)in->proc_ops[p]));
		json_object_object_add(jp, "footprint_bytes", json_object_new_int64((int64_t)bytes));
		json_object_object_add(jp, "span_start", json_object_new_int64((int64_t)lo));
		json_object_object_add(jp, "span_end", json_object_new_int64((int64_t)hi));
		for (uint32_t t = 0; t < in->nthreads; t++) {
			const struct vmt_thread *th = vmt_reader_thread(r, t);
			json_object *jth;

			if (th->process != p)
				continue;
			jth = json_object_new_object();
			json_object_object_add(jth, "index", json_object_new_int64(t));
			json_object_object_add(jth, "tid", json_object_new_int64(th->tid));
			json_object_object_add(jth, "name", json_object_new_string(in->threads[t].name));
			json_object_object_add(jth, "ops", json_object_new_int64((int64_t)in->threads[t].ops));
			json_object_array_add(jt, jth);
		}
		json_object_object_add(jp, "threads", jt);
		json_object_array_add(procs, jp);
	}
	json_object_object_add(o, "footprint_bytes", json_object_new_int64((int64_t)total_fp));
	json_object_object_add(o, "process_list", procs);
	ret = puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return ret < 0 ? -1 : 0;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct info in = { 0 };
	struct vmt_reader *r;
	struct vmt_record *rec;
	struct stat st;
	char err[512];
	bool json = false;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': return print_usage(info_usage);
		default: return usage_error("info", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return usage_error("info", "expected one trace file");
	r = vmt_reader_open(argv[optind], err, sizeof(err));
	if (!r)
		return error("%s", err);
	rec = malloc(sizeof(*rec));
	if (!rec) {
		vmt_reader_close(r);
		return error("out of memory");
	}
	while ((ret = vmt_reader_next(r, rec)) > 0) {
		if (account(&in, r, rec)) {
			ret = -2;
			break;
		}
	}
	if (ret == -2) {
		ret = error("out of memory");
	} else if (ret < 0) {
		ret = error("%s", vmt_reader_error(r));
	} else {
		uint64_t size = stat(argv[optind], &st) ? 0 : (uint64_t)st.st_size;

		if (json)
			ret = print_json(&in, r, argv[optind], size) ? EXIT_FAIL : EXIT_OK;
		else
			print_text(&in, r, argv[optind], size);
		if (fflush(stdout))
			ret = error("cannot write output: %m");
	}
	for (uint32_t p = 0; p < in.nprocs; p++)
		free(in.fp[p].r);
	free(in.fp);
	free(in.proc_ops);
	free(in.threads);
	free(rec);
	vmt_reader_close(r);
	return ret;
}
