// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops.c - what each operation kind's arguments are, and small name tables
 */
#include <string.h>

#include "vmt.h"
#include "util.h"

#define A VMT_ARG_ADDR
#define L VMT_ARG_LEN

/* Argument order is the kernel's: the text form and every importer rely on it. */
const struct vmt_op_desc vmt_op_descs[VMT_OP_NR] = {
	[VMT_OP_MMAP] = { "mmap", 6, { "addr", "len", "prot", "flags", "fd", "off" },
			  { A, L, VMT_ARG_PROT, VMT_ARG_MMAP_FLAGS, VMT_ARG_FD, VMT_ARG_HEX }, true },
	[VMT_OP_MUNMAP] = { "munmap", 2, { "addr", "len" }, { A, L }, false },
	[VMT_OP_MPROTECT] = { "mprotect", 3, { "addr", "len", "prot" }, { A, L, VMT_ARG_PROT }, false },
	[VMT_OP_PKEY_MPROTECT] = { "pkey_mprotect", 4, { "addr", "len", "prot", "pkey" },
				   { A, L, VMT_ARG_PROT, VMT_ARG_INT }, false },
	[VMT_OP_MREMAP] = { "mremap", 5, { "old_addr", "old_len", "new_len", "flags", "new_addr" },
			    { A, L, L, VMT_ARG_MREMAP_FLAGS, A }, true },
	[VMT_OP_BRK] = { "brk", 1, { "brk" }, { A }, true },
	[VMT_OP_MADVISE] = { "madvise", 3, { "addr", "len", "advice" }, { A, L, VMT_ARG_ADVICE }, false },
	[VMT_OP_PROCESS_MADVISE] = { "process_madvise", 5,
				     { "pidfd", "iovec", "vlen", "advice", "flags" },
				     { VMT_ARG_FD, A, VMT_ARG_INT, VMT_ARG_ADVICE, VMT_ARG_HEX }, false },
	[VMT_OP_MSEAL] = { "mseal", 3, { "addr", "len", "flags" }, { A, L, VMT_ARG_HEX }, false },
	[VMT_OP_OTHER] = { "other", 0, { 0 }, { 0 }, false },
};

#undef A
#undef L

int vmt_op_kind_from_name(const char *name)
{
	for (int i = 0; i < VMT_OP_OTHER; i++)
		if (!strcmp(vmt_op_descs[i].name, name))
			return i;
	return -1;
}

static const char *const clock_names[VMT_CLOCK_NR] = {
	[VMT_CLOCK_UNKNOWN] = "unknown",     [VMT_CLOCK_MONOTONIC] = "monotonic",
	[VMT_CLOCK_BOOT] = "boot",	     [VMT_CLOCK_REALTIME] = "realtime",
	[VMT_CLOCK_SYNTHETIC] = "synthetic", [VMT_CLOCK_LOCAL] = "local",
	[VMT_CLOCK_GLOBAL] = "global",	     [VMT_CLOCK_MONO_RAW] = "mono_raw",
};

const char *vmt_clock_name(uint32_t clock)
{
	return clock < VMT_CLOCK_NR ? clock_names[clock] : "?";
}

int vmt_clock_from_name(const char *name)
{
	for (int i = 0; i < VMT_CLOCK_NR; i++)
		if (!strcmp(clock_names[i], name))
			return i;
	return -1;
}

const char *vmt_rec_type_name(enum vmt_rec_type type)
{
	switch (type) {
	case VMT_REC_PROCESS: return "PROCESS";
	case VMT_REC_THREAD: return "THREAD";
	case VMT_REC_FILE: return "FILE";
	case VMT_REC_MAP: return "MAP";
	case VMT_REC_OP: return "OP";
	case VMT_REC_EXEC: return "EXEC";
	case VMT_REC_EXIT: return "EXIT";
	case VMT_REC_COMM: return "COMM";
	case VMT_REC_LOST: return "LOST";
	case VMT_REC_END: return "END";
	default: return "unknown";
	}
}

bool vmt_op_failed(const struct vmt_op *op)
{
	return !(op->flags & VMT_OPF_NO_EXIT) && op->ret < 0 && op->ret >= -4095;
}

bool vmt_op_range(const struct vmt_op *op, uint64_t *start, uint64_t *end)
{
	uint64_t s, len;

	switch (op->kind) {
	case VMT_OP_MMAP:
		/* Where the mapping landed when it succeeded, else where it was asked for. */
		s = (op->flags & VMT_OPF_NO_EXIT) || vmt_op_failed(op) ? op->args[0] : (uint64_t)op->ret;
		len = op->args[1];
		break;
	case VMT_OP_MUNMAP:
	case VMT_OP_MPROTECT:
	case VMT_OP_PKEY_MPROTECT:
	case VMT_OP_MADVISE:
	case VMT_OP_MSEAL:
		s = op->args[0];
		len = op->args[1];
		break;
	case VMT_OP_MREMAP:
		/* the old range, grown to the new length; a move's destination is the caller's */
		s = op->args[0];
		len = op->args[1] > op->args[2] ? op->args[1] : op->args[2];
		break;
	default:
		return false;
	}
	if (!len || s + len < s)
		return false;
	*start = s;
	*end = s + len;
	return true;
}
