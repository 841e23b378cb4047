// SPDX-License-Identifier: GPL-2.0-only
/*
 * names.c - symbolic constants, errno and signal names back to numbers
 *
 * One flat table serves every argument: the prefixes keep the names apart,
 * and a parser that knows which argument it reads can still check the kind
 * of name afterwards if it wants to.  Lookups are linear: an importer calls
 * this a few times per line, and the table is small enough to stay in cache.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "util.h"

struct name_value {
	const char *name;
	uint64_t value;
};

static const struct name_value constants[] = {
	{ "NULL", 0 },
	/* mmap, mprotect, pkey_mprotect: prot */
	{ "PROT_NONE", 0 },
	{ "PROT_READ", 0x1 },
	{ "PROT_WRITE", 0x2 },
	{ "PROT_EXEC", 0x4 },
	{ "PROT_SEM", 0x8 },
	{ "PROT_BTI", 0x10 },
	{ "PROT_MTE", 0x20 },
	{ "PROT_GROWSDOWN", 0x01000000 },
	{ "PROT_GROWSUP", 0x02000000 },
	/* mmap: flags */
	{ "MAP_FILE", 0 },
	{ "MAP_SHARED", 0x1 },
	{ "MAP_PRIVATE", 0x2 },
	{ "MAP_SHARED_VALIDATE", 0x3 },
	{ "MAP_DROPPABLE", 0x8 },
	{ "MAP_FIXED", 0x10 },
	{ "MAP_ANONYMOUS", 0x20 },
	{ "MAP_ANON", 0x20 },
	{ "MAP_32BIT", 0x40 },
	{ "MAP_ABOVE4G", 0x80 },
	{ "MAP_GROWSDOWN", 0x100 },
	{ "MAP_DENYWRITE", 0x800 },
	{ "MAP_EXECUTABLE", 0x1000 },
	{ "MAP_LOCKED", 0x2000 },
	{ "MAP_NORESERVE", 0x4000 },
	{ "MAP_POPULATE", 0x8000 },
	{ "MAP_NONBLOCK", 0x10000 },
	{ "MAP_STACK", 0x20000 },
	{ "MAP_HUGETLB", 0x40000 },
	{ "MAP_SYNC", 0x80000 },
	{ "MAP_FIXED_NOREPLACE", 0x100000 },
	{ "MAP_UNINITIALIZED", 0x4000000 },
	{ "MAP_HUGE_SHIFT", 26 },
	{ "MAP_HUGE_16KB", 14ull << 26 },
	{ "MAP_HUGE_64KB", 16ull << 26 },
	{ "MAP_HUGE_512KB", 19ull << 26 },
	{ "MAP_HUGE_1MB", 20ull << 26 },
	{ "MAP_HUGE_2MB", 21ull << 26 },
	{ "MAP_HUGE_8MB", 23ull << 26 },
	{ "MAP_HUGE_16MB", 24ull << 26 },
	{ "MAP_HUGE_32MB", 25ull << 26 },
	{ "MAP_HUGE_256MB", 28ull << 26 },
	{ "MAP_HUGE_512MB", 29ull << 26 },
	{ "MAP_HUGE_1GB", 30ull << 26 },
	{ "MAP_HUGE_2GB", 31ull << 26 },
	{ "MAP_HUGE_16GB", 34ull << 26 },
	/* mremap */
	{ "MREMAP_MAYMOVE", 0x1 },
	{ "MREMAP_FIXED", 0x2 },
	{ "MREMAP_DONTUNMAP", 0x4 },
	/* madvise, process_madvise */
	{ "MADV_NORMAL", 0 },
	{ "MADV_RANDOM", 1 },
	{ "MADV_SEQUENTIAL", 2 },
	{ "MADV_WILLNEED", 3 },
	{ "MADV_DONTNEED", 4 },
	{ "MADV_FREE", 8 },
	{ "MADV_REMOVE", 9 },
	{ "MADV_DONTFORK", 10 },
	{ "MADV_DOFORK", 11 },
	{ "MADV_MERGEABLE", 12 },
	{ "MADV_UNMERGEABLE", 13 },
	{ "MADV_HUGEPAGE", 14 },
	{ "MADV_NOHUGEPAGE", 15 },
	{ "MADV_DONTDUMP", 16 },
	{ "MADV_DODUMP", 17 },
	{ "MADV_WIPEONFORK", 18 },
	{ "MADV_KEEPONFORK", 19 },
	{ "MADV_COLD", 20 },
	{ "MADV_PAGEOUT", 21 },
	{ "MADV_POPULATE_READ", 22 },
	{ "MADV_POPULATE_WRITE", 23 },
	{ "MADV_DONTNEED_LOCKED", 24 },
	{ "MADV_COLLAPSE", 25 },
	{ "MADV_HWPOISON", 100 },
	{ "MADV_SOFT_OFFLINE", 101 },
	{ "MADV_GUARD_INSTALL", 102 },
	{ "MADV_GUARD_REMOVE", 103 },
	/* msync, mlockall, mlock2 */
	{ "MS_ASYNC", 1 },
	{ "MS_INVALIDATE", 2 },
	{ "MS_SYNC", 4 },
	{ "MCL_CURRENT", 1 },
	{ "MCL_FUTURE", 2 },
	{ "MCL_ONFAULT", 4 },
	{ "MLOCK_ONFAULT", 1 },
	/* mbind, set_mempolicy, get_mempolicy */
	{ "MPOL_DEFAULT", 0 },
	{ "MPOL_PREFERRED", 1 },
	{ "MPOL_BIND", 2 },
	{ "MPOL_INTERLEAVE", 3 },
	{ "MPOL_LOCAL", 4 },
	{ "MPOL_PREFERRED_MANY", 5 },
	{ "MPOL_WEIGHTED_INTERLEAVE", 6 },
	{ "MPOL_F_NUMA_BALANCING", 1 << 13 },
	{ "MPOL_F_RELATIVE_NODES", 1 << 14 },
	{ "MPOL_F_STATIC_NODES", 1 << 15 },
	{ "MPOL_MF_STRICT", 1 },
	{ "MPOL_MF_MOVE", 2 },
	{ "MPOL_MF_MOVE_ALL", 4 },
	{ "MPOL_F_NODE", 1 },
	{ "MPOL_F_ADDR", 2 },
	{ "MPOL_F_MEMS_ALLOWED", 4 },
	/* shmat */
	{ "SHM_RDONLY", 010000 },
	{ "SHM_RND", 020000 },
	{ "SHM_REMAP", 040000 },
	{ "SHM_EXEC", 0100000 },
	/* clone, clone3 */
	{ "CLONE_VM", 0x100 },
	{ "CLONE_FS", 0x200 },
	{ "CLONE_FILES", 0x400 },
	{ "CLONE_SIGHAND", 0x800 },
	{ "CLONE_PIDFD", 0x1000 },
	{ "CLONE_PTRACE", 0x2000 },
	{ "CLONE_VFORK", 0x4000 },
	{ "CLONE_PARENT", 0x8000 },
	{ "CLONE_THREAD", 0x10000 },
	{ "CLONE_NEWNS", 0x20000 },
	{ "CLONE_SYSVSEM", 0x40000 },
	{ "CLONE_SETTLS", 0x80000 },
	{ "CLONE_PARENT_SETTID", 0x100000 },
	{ "CLONE_CHILD_CLEARTID", 0x200000 },
	{ "CLONE_DETACHED", 0x400000 },
	{ "CLONE_UNTRACED", 0x800000 },
	{ "CLONE_CHILD_SETTID", 0x1000000 },
	{ "CLONE_NEWCGROUP", 0x2000000 },
	{ "CLONE_NEWUTS", 0x4000000 },
	{ "CLONE_NEWIPC", 0x8000000 },
	{ "CLONE_NEWUSER", 0x10000000 },
	{ "CLONE_NEWPID", 0x20000000 },
	{ "CLONE_NEWNET", 0x40000000 },
	{ "CLONE_IO", 0x80000000ull },
	{ "CLONE_CLEAR_SIGHAND", 0x100000000ull },
	{ "CLONE_INTO_CGROUP", 0x200000000ull },
	/* file descriptors */
	{ "AT_FDCWD", (uint64_t)-100 },
};

/* Signal names are the same on x86_64 and arm64; SIGCHLD appears in clone flags. */
static const struct name_value signals[] = {
	{ "SIGHUP", 1 },     { "SIGINT", 2 },	{ "SIGQUIT", 3 },    { "SIGILL", 4 },
	{ "SIGTRAP", 5 },    { "SIGABRT", 6 },	{ "SIGIOT", 6 },     { "SIGBUS", 7 },
	{ "SIGFPE", 8 },     { "SIGKILL", 9 },	{ "SIGUSR1", 10 },   { "SIGSEGV", 11 },
	{ "SIGUSR2", 12 },   { "SIGPIPE", 13 }, { "SIGALRM", 14 },   { "SIGTERM", 15 },
	{ "SIGSTKFLT", 16 }, { "SIGCHLD", 17 }, { "SIGCONT", 18 },   { "SIGSTOP", 19 },
	{ "SIGTSTP", 20 },   { "SIGTTIN", 21 }, { "SIGTTOU", 22 },   { "SIGURG", 23 },
	{ "SIGXCPU", 24 },   { "SIGXFSZ", 25 }, { "SIGVTALRM", 26 }, { "SIGPROF", 27 },
	{ "SIGWINCH", 28 },  { "SIGIO", 29 },	{ "SIGPOLL", 29 },   { "SIGPWR", 30 },
	{ "SIGSYS", 31 },
};

/* Codes the kernel uses inside and that ptrace and ftrace can still see at syscall exit. */
static const struct name_value kernel_errnos[] = {
	{ "ERESTARTSYS", 512 },
	{ "ERESTARTNOINTR", 513 },
	{ "ERESTARTNOHAND", 514 },
	{ "ENOIOCTLCMD", 515 },
	{ "ERESTART_RESTARTBLOCK", 516 },
	{ "EPROBE_DEFER", 517 },
	{ "EOPENSTALE", 518 },
	{ "ENOPARAM", 519 },
	{ "EBADHANDLE", 521 },
	{ "ENOTSYNC", 522 },
	{ "EBADCOOKIE", 523 },
	{ "ENOTSUPP", 524 },
	{ "ETOOSMALL", 525 },
	{ "ESERVERFAULT", 526 },
	{ "EBADTYPE", 527 },
	{ "EJUKEBOX", 528 },
	{ "EIOCBQUEUED", 529 },
	{ "ERECALLCONFLICT", 530 },
	/* aliases the C library prints under their other name */
	{ "EWOULDBLOCK", EAGAIN },
	{ "EDEADLOCK", EDEADLK },
	{ "ENOTSUP", EOPNOTSUPP },
};

static bool lookup(const struct name_value *tab, size_t n, const char *name, size_t len,
		   uint64_t *value)
{
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(tab[i].name, name, len) && !tab[i].name[len]) {
			*value = tab[i].value;
			return true;
		}
	}
	return false;
}

bool vmt_name_value(const char *name, size_t len, uint64_t *value)
{
	return lookup(constants, ARRAY_SIZE(constants), name, len, value) ||
	       lookup(signals, ARRAY_SIZE(signals), name, len, value);
}

int vmt_signal_value(const char *name, size_t len)
{
	uint64_t v;

	return lookup(signals, ARRAY_SIZE(signals), name, len, &v) ? (int)v : -1;
}

int vmt_errno_value(const char *name, size_t len)
{
	uint64_t v;

	if (lookup(kernel_errnos, ARRAY_SIZE(kernel_errnos), name, len, &v))
		return (int)v;
	/* the C library's own table, so that every name it knows is known here */
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strncmp(n, name, len) && !n[len])
			return e;
	}
	return -1;
}

static bool is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* One term: a number (decimal, 0x hex, 0 octal, negative) or a name. */
static int parse_term(const char *s, size_t len, uint64_t *value, bool *unknown)
{
	char buf[64], *end;
	bool neg = false;
	size_t i = 0;

	*unknown = false;
	if (!len)
		return -1;
	if (isalpha((unsigned char)s[0]) || s[0] == '_') {
		for (i = 0; i < len; i++)
			if (!is_ident((unsigned char)s[i]))
				return -1;
		if (!vmt_name_value(s, len, value)) {
			*value = 0;
			*unknown = true;
		}
		return 0;
	}
	if (s[0] == '-') {
		neg = true;
		s++;
		len--;
	}
	if (!len || len >= sizeof(buf) || !isdigit((unsigned char)s[0]))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	if (len > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))
		*value = strtoull(buf + 2, &end, 16);
	else if (len > 1 && buf[0] == '0')
		*value = strtoull(buf + 1, &end, 8);
	else
		*value = strtoull(buf, &end, 10);
	if (errno || *end)
		return -1;
	if (neg)
		*value = -*value;
	return 0;
}

int vmt_parse_symbolic(const char *s, size_t len, uint64_t *value, const char **unknown,
		       size_t *unknown_len)
{
	uint64_t v = 0;
	bool any_unknown = false;
	const char *p = s, *end = s + len;

	/* strace explains an unknown value in a comment after it */
	for (const char *c = s; c + 1 < end; c++) {
		if (c[0] == '/' && c[1] == '*') {
			end = c;
			break;
		}
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == end)
		return -1;
	while (p < end) {
		const char *q = p, *shift, *name = p;
		uint64_t term, sh;
		bool unk, unk2;
		size_t name_len;

		while (q < end && *q != '|')
			q++;
		name_len = (size_t)(q - p);
		/* N<<NAME_SHIFT, as strace prints MAP_HUGE_* sizes */
		shift = memmem(p, (size_t)(q - p), "<<", 2);
		if (shift) {
			if (parse_term(p, (size_t)(shift - p), &term, &unk) ||
			    parse_term(shift + 2, (size_t)(q - shift - 2), &sh, &unk2))
				return -1;
			if (unk2) {
				name = shift + 2;
				name_len = (size_t)(q - name);
			} else if (unk) {
				name_len = (size_t)(shift - p);
			}
			unk = unk || unk2;
			if (!unk && sh > 63)
				return -1;
			term = unk ? 0 : term << sh;
		} else if (parse_term(p, (size_t)(q - p), &term, &unk)) {
			return -1;
		}
		if (unk && !any_unknown) {
			any_unknown = true;
			if (unknown) {
				*unknown = name;
				*unknown_len = name_len;
			}
		}
		v |= term;
		if (q < end && q + 1 == end)
			return -1; /* a trailing '|' */
		p = q < end ? q + 1 : q;
	}
	*value = v;
	return any_unknown ? 1 : 0;
}
