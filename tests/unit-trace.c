// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-trace.c - the trace reader and writer: round trip of every record
 * kind, every truncation, every damaged byte, and the writer's refusals
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "vmt.h"
#include "util.h"

static char dir[] = "/tmp/vmt-unit.XXXXXX";

static void path_in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static struct vmt_op make_op(uint64_t t, uint32_t thread, uint32_t kind, uint64_t i)
{
	struct vmt_op op = { 0 };

	op.t_enter = t;
	op.t_exit = t + 100 + i % 7;
	op.thread = thread;
	op.kind = (uint8_t)kind;
	op.file = VMT_NONE;
	for (unsigned int a = 0; a < VMT_MAX_ARGS; a++)
		op.args[a] = a < vmt_op_descs[kind].nargs ? 0x7f0000000000ull + i * 4096 + a : 0;
	op.ret = (int64_t)(i % 5 == 0 ? -ENOMEM : 0);
	if (kind == VMT_OP_MMAP)
		op.args[4] = (uint64_t)-1;
	if (kind == VMT_OP_OTHER) {
		op.nr = 324;
		op.nargs = 2;
		op.args[0] = 1;
		op.args[1] = i;
		strcpy(op.name, "membarrier");
	}
	if (i % 11 == 3) {
		op.flags = VMT_OPF_NO_EXIT;
		op.t_exit = op.t_enter;
		op.ret = 0;
	}
	return op;
}

/* Write a trace with every record kind and @nops ops; returns 0 on success. */
static int write_trace(const char *path, uint64_t nops)
{
	struct vmt_header h;
	struct vmt_writer *w;
	struct vmt_record rec = { 0 };
	char err[512];

	vmt_header_init(&h, "unit-test", VMT_CLOCK_MONOTONIC);
	strcpy(h.cmdline, "unit \"quoted\" cmdline");
	w = vmt_writer_open(path, &h, err, sizeof(err));
	if (!w) {
		tap_diag("%s", err);
		return -1;
	}
	struct vmt_process p = { .t = 5, .pid = 42, .ppid = 1, .parent = VMT_NONE };
	strcpy(p.name, "proc");
	struct vmt_thread t0 = { .t = 5, .process = 0, .tid = 42 }, t1 = { .t = 6, .process = 0, .tid = 43 };
	strcpy(t0.name, "main");
	strcpy(t1.name, "worker");
	struct vmt_file f = { .dev = 0x803, .ino = 77, .size = 1 << 20, .flags = 0 };
	strcpy(f.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	if (vmt_writer_add_process(w, &p) != 0 || vmt_writer_add_thread(w, &t0) != 0 ||
	    vmt_writer_add_thread(w, &t1) != 1 || vmt_writer_add_file(w, &f) != 0)
		goto fail;
	rec.type = VMT_REC_MAP;
	rec.map = (struct vmt_map){ .process = 0, .prot = VMT_MAP_READ | VMT_MAP_EXEC,
				    .start = 0x7f1000000000ull, .end = 0x7f1000200000ull,
				    .pgoff = 0x1000, .file = 0 };
	strcpy(rec.map.name, f.path);
	if (vmt_writer_write(w, &rec))
		goto fail;
	for (uint64_t i = 0; i < nops; i++) {
		struct vmt_op op = make_op(1000 + i * 1000, (uint32_t)(i & 1), (uint32_t)(i % VMT_OP_NR), i);

		if (op.kind == VMT_OP_MMAP && i % 3 == 0) {
			op.file = 0;
			op.args[4] = 3;
		}
		if (vmt_writer_op(w, &op))
			goto fail;
	}
	rec.type = VMT_REC_COMM;
	rec.event = (struct vmt_event){ .t = 1000 + nops * 1000, .thread = 1 };
	strcpy(rec.event.text, "renamed");
	if (vmt_writer_write(w, &rec))
		goto fail;
	rec.type = VMT_REC_EXIT;
	rec.event.code = -9;
	if (vmt_writer_write(w, &rec))
		goto fail;
	rec.type = VMT_REC_LOST;
	rec.lost = (struct vmt_lost){ .t = 2000 + nops * 1000, .cpu = 1, .count = 3 };
	if (vmt_writer_write(w, &rec))
		goto fail;
	vmt_writer_set_lost(w, 3);
	if (vmt_writer_close(w, err, sizeof(err))) {
		tap_diag("%s", err);
		return -1;
	}
	return 0;
fail:
	tap_diag("%s", vmt_writer_error(w));
	vmt_writer_abort(w);
	return -1;
}

/* Read a whole trace; returns the op count, or -1 with the message in @msg. */
static int64_t read_trace(const char *path, char *msg, size_t size, bool check_ops)
{
	struct vmt_reader *r = vmt_reader_open(path, msg, size);
	struct vmt_record rec;
	int64_t ops = 0;
	int k;

	if (!r)
		return -1;
	while ((k = vmt_reader_next(r, &rec)) > 0) {
		if (rec.type != VMT_REC_OP)
			continue;
		if (check_ops) {
			struct vmt_op want = make_op(1000 + (uint64_t)ops * 1000, (uint32_t)(ops & 1),
						     (uint32_t)(ops % VMT_OP_NR), (uint64_t)ops);

			if (want.kind == VMT_OP_MMAP && ops % 3 == 0) {
				want.file = 0;
				want.args[4] = 3;
			}
			if (memcmp(want.args, rec.op.args, sizeof(want.args)) || want.ret != rec.op.ret ||
			    want.t_enter != rec.op.t_enter || want.t_exit != rec.op.t_exit ||
			    want.flags != rec.op.flags || want.file != rec.op.file ||
			    want.thread != rec.op.thread || want.kind != rec.op.kind ||
			    strcmp(want.name, rec.op.name) || want.nr != rec.op.nr) {
				snprintf(msg, size, "op %" PRId64 " differs after the round trip", ops);
				vmt_reader_close(r);
				return -1;
			}
		}
		ops++;
	}
	if (k < 0)
		snprintf(msg, size, "%s", vmt_reader_error(r));
	vmt_reader_close(r);
	return k < 0 ? -1 : ops;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;

	if (!f || fstat(fileno(f), &st))
		return NULL;
	buf = malloc((size_t)st.st_size);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	return buf;
}

static void spit(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	fwrite(buf, 1, len, f);
	fclose(f);
}

/* Every prefix shorter than the file must be refused with "offset N". */
static void test_truncations(const char *path, const char *what, size_t step_far)
{
	char cut[256], msg[600];
	size_t len, bad = 0, tried = 0;
	uint8_t *buf = slurp(path, &len);

	path_in_dir(cut, sizeof(cut), "cut.vmt");
	for (size_t n = 0; n < len; n++) {
		/* near the ends and every step_far bytes elsewhere; all bytes when step_far is 1 */
		if (step_far > 1 && n > 4096 && n + 4096 < len && n % step_far)
			continue;
		spit(cut, buf, n);
		tried++;
		msg[0] = '\0';
		if (read_trace(cut, msg, sizeof(msg), false) >= 0 || !strstr(msg, "offset ")) {
			if (bad++ < 3)
				tap_diag("cut at %zu: %s", n, msg[0] ? msg : "accepted");
		}
	}
	tap_ok(bad == 0, "%s: %zu truncations (of %zu bytes) each rejected with an offset", what,
	       tried, len);
	free(buf);
}

static void test_damage(const char *path)
{
	char bad_path[256], msg[600];
	size_t len, missed = 0;
	uint8_t *buf = slurp(path, &len);

	path_in_dir(bad_path, sizeof(bad_path), "bad.vmt");
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x5a;
		spit(bad_path, buf, len);
		if (read_trace(bad_path, msg, sizeof(msg), false) >= 0 && missed++ < 3)
			tap_diag("damaged byte %zu accepted", i);
		buf[i] ^= 0x5a;
	}
	tap_ok(missed == 0, "every one of %zu damaged bytes is detected", len);

	memcpy(buf, "VMATRACX", 8);
	spit(bad_path, buf, len);
	read_trace(bad_path, msg, sizeof(msg), false);
	tap_ok(strstr(msg, "offset 0: not a vmatrace trace") != NULL, "wrong magic: %s", msg);
	memcpy(buf, VMT_MAGIC, 8);
	buf[8] = VMT_VERSION + 1;
	spit(bad_path, buf, len);
	read_trace(bad_path, msg, sizeof(msg), false);
	tap_ok(strstr(msg, "offset 8: trace format version 2 is newer") != NULL, "newer version: %s", msg);
	buf[8] = VMT_VERSION;

	/* trailing garbage after END */
	uint8_t *more = malloc(len + 1);
	memcpy(more, buf, len);
	more[len] = 0;
	spit(bad_path, more, len + 1);
	tap_ok(read_trace(bad_path, msg, sizeof(msg), false) < 0 && strstr(msg, "after the END"),
	       "data after END: %s", msg);
	free(more);
	free(buf);
}

static void test_huge_chunk(void)
{
	char p[256], msg[600];
	struct vmt_header h;
	struct vmt_writer *w;
	size_t len;
	uint8_t *buf;

	path_in_dir(p, sizeof(p), "empty.vmt");
	vmt_header_init(&h, "x", VMT_CLOCK_SYNTHETIC);
	w = vmt_writer_open(p, &h, msg, sizeof(msg));
	tap_ok(w && !vmt_writer_close(w, msg, sizeof(msg)), "an empty trace can be written");
	tap_ok(read_trace(p, msg, sizeof(msg), false) == 0, "and read back with 0 ops");
	buf = slurp(p, &len);
	/* the first chunk head follows the header: claim a 4 GiB chunk */
	size_t hl = buf[12] | buf[13] << 8;
	buf[hl + 4] = buf[hl + 5] = buf[hl + 6] = buf[hl + 7] = 0xff;
	spit(p, buf, len);
	read_trace(p, msg, sizeof(msg), false);
	tap_ok(strstr(msg, "bad chunk length 4294967295") != NULL, "a 4 GiB chunk length is refused before any allocation: %s", msg);
	free(buf);
}

static void test_writer_refusals(void)
{
	char p[256], err[512];
	struct vmt_header h;
	struct vmt_writer *w;
	struct vmt_op op = { 0 };
	struct vmt_process pr = { .parent = VMT_NONE };
	struct vmt_thread th = { 0 };
	struct stat st;

	path_in_dir(p, sizeof(p), "refuse.vmt");
	spit(p, (const uint8_t *)"precious", 8);
	vmt_header_init(&h, "x", VMT_CLOCK_SYNTHETIC);
	w = vmt_writer_open(p, &h, err, sizeof(err));
	op.kind = VMT_OP_MUNMAP;
	op.file = VMT_NONE;
	tap_ok(vmt_writer_op(w, &op) < 0 && strstr(vmt_writer_error(w), "thread T0 is not defined"),
	       "an op of an undefined thread is refused: %s", vmt_writer_error(w));
	th.process = 3;
	tap_ok(vmt_writer_add_thread(w, &th) < 0, "a thread of an undefined process is refused");
	pr.t = 100;
	vmt_writer_add_process(w, &pr);
	th.process = 0;
	th.t = 50;
	tap_ok(vmt_writer_add_thread(w, &th) < 0 && strstr(vmt_writer_error(w), "time order"),
	       "time going backwards is refused: %s", vmt_writer_error(w));
	op.kind = VMT_OP_NR;
	tap_ok(vmt_writer_op(w, &op) < 0, "an unknown op kind is refused");
	th.t = 150;
	tap_ok(vmt_writer_add_thread(w, &th) == 0, "a thread at a later time is accepted");
	op.kind = VMT_OP_OTHER;
	op.thread = 0;
	op.t_enter = op.t_exit = 200;
	strcpy(op.name, "evil(name");
	tap_ok(vmt_writer_op(w, &op) < 0 && strstr(vmt_writer_error(w), "letters, digits"),
	       "a syscall name that is not an identifier is refused: %s", vmt_writer_error(w));
	vmt_writer_abort(w);

	/* LOST records may not count more than the header says was lost */
	w = vmt_writer_open(p, &h, err, sizeof(err));
	struct vmt_record lost = { .type = VMT_REC_LOST };
	lost.lost = (struct vmt_lost){ .t = 1, .cpu = 0, .count = 5 };
	tap_ok(vmt_writer_write(w, &lost) == 0, "a LOST record can be written");
	vmt_writer_set_lost(w, 4);
	tap_ok(vmt_writer_close(w, err, sizeof(err)) < 0 && strstr(err, "LOST records count 5"),
	       "closing with LOST records above the header's count fails: %s", err);
	tap_ok(stat(p, &st) == 0 && st.st_size == 8, "an aborted writer leaves the existing file alone");
}

int main(void)
{
	char small[256], big[256], msg[600];
	int64_t n;
	struct stat st;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	path_in_dir(small, sizeof(small), "small.vmt");
	path_in_dir(big, sizeof(big), "big.vmt");
	tap_ok(write_trace(small, 40) == 0, "write a small trace with every record kind");
	n = read_trace(small, msg, sizeof(msg), true);
	tap_ok(n == 40, "read it back, every op field equal (%" PRId64 " ops) %s", n, n < 0 ? msg : "");
	tap_ok(write_trace(big, 30000) == 0, "write a multi-chunk trace");
	n = read_trace(big, msg, sizeof(msg), true);
	tap_ok(n == 30000, "read it back (%" PRId64 " ops) %s", n, n < 0 ? msg : "");
	stat(big, &st);
	tap_ok(st.st_size > 3 * VMT_CHUNK_TARGET, "it spans several chunks (%jd bytes)", (intmax_t)st.st_size);
	tap_ok((double)st.st_size / 30000 <= 64, "%.1f bytes per op on disk (<= 64)", (double)st.st_size / 30000);
	test_truncations(small, "small trace", 1);
	test_truncations(big, "multi-chunk trace", 97);
	test_damage(small);
	test_huge_chunk();
	test_writer_refusals();
	for (const char *const *f = (const char *const[]){ "small.vmt", "big.vmt", "cut.vmt", "bad.vmt",
							    "empty.vmt", "refuse.vmt", NULL };
	     *f; f++) {
		path_in_dir(msg, sizeof(msg), *f);
		unlink(msg);
	}
	rmdir(dir);
	return tap_done();
}
