// SPDX-License-Identifier: GPL-2.0-only
/*
 * syscalls.c - syscall names and numbers on x86_64 and arm64
 *
 * raw_syscalls events carry only a number, and an 'other' op records the
 * number of the capture's architecture; strace and the syscalls:* events
 * carry only a name.  This table joins the two for the calls an importer
 * keeps or uses (every memory call strace's %memory class holds, the
 * lifecycle calls) and, to report what it did not keep, for the calls a
 * program makes most.  x86_64 numbers are its own table's; arm64 uses the
 * generic table (include/uapi/asm-generic/unistd.h), with no fork or vfork.
 */
#include <string.h>
#include <sys/utsname.h>

#include "import.h"

/* clang-format off */
#define OP(n, x, a, k, c) { n, { x, a }, IMP_SC_OP, VMT_OP_##k, c }
#define SC(n, x, a, cls, c) { n, { x, a }, IMP_SC_##cls, VMT_OP_OTHER, c }
/* clang-format on */

static const struct imp_syscall syscalls[] = {
	OP("mmap", 9, 222, MMAP, 6),
	OP("munmap", 11, 215, MUNMAP, 2),
	OP("mprotect", 10, 226, MPROTECT, 3),
	OP("pkey_mprotect", 329, 288, PKEY_MPROTECT, 4),
	OP("mremap", 25, 216, MREMAP, 5),
	OP("brk", 12, 214, BRK, 1),
	OP("madvise", 28, 233, MADVISE, 3),
	OP("process_madvise", 440, 440, PROCESS_MADVISE, 5),
	OP("mseal", 462, 462, MSEAL, 3),

	/* strace's %memory class, kept as 'other' ops */
	SC("msync", 26, 227, MEMORY, 3),
	SC("mincore", 27, 232, MEMORY, 3),
	SC("shmat", 30, 196, MEMORY, 3),
	SC("shmdt", 67, 197, MEMORY, 1),
	SC("mlock", 149, 228, MEMORY, 2),
	SC("munlock", 150, 229, MEMORY, 2),
	SC("mlockall", 151, 230, MEMORY, 1),
	SC("munlockall", 152, 231, MEMORY, 0),
	SC("mlock2", 325, 284, MEMORY, 3),
	SC("io_setup", 206, 0, MEMORY, 2),
	SC("io_destroy", 207, 1, MEMORY, 1),
	SC("io_uring_register", 427, 427, MEMORY, 4),
	SC("remap_file_pages", 216, 234, MEMORY, 5),
	SC("mbind", 237, 235, MEMORY, 6),
	SC("set_mempolicy", 238, 237, MEMORY, 3),
	SC("get_mempolicy", 239, 236, MEMORY, 5),
	SC("migrate_pages", 256, 238, MEMORY, 4),
	SC("move_pages", 279, 239, MEMORY, 6),
	SC("set_mempolicy_home_node", 450, 450, MEMORY, 4),
	SC("map_shadow_stack", 453, 453, MEMORY, 3),

	/* lifecycle */
	SC("clone", 56, 220, CLONE, 5),
	SC("clone3", 435, 435, CLONE, 2),
	SC("fork", 57, -1, CLONE, 0),
	SC("vfork", 58, -1, CLONE, 0),
	SC("execve", 59, 221, EXEC, 3),
	SC("execveat", 322, 281, EXEC, 5),
	SC("exit", 60, 93, EXIT, 1),
	SC("exit_group", 231, 94, EXIT, 1),
	SC("close", 3, 57, CLOSE, 1),

	/* named only to say what was left out */
	SC("read", 0, 63, IGNORED, 3),
	SC("write", 1, 64, IGNORED, 3),
	SC("open", 2, -1, IGNORED, 3),
	SC("fstat", 5, 80, IGNORED, 2),
	SC("poll", 7, -1, IGNORED, 3),
	SC("lseek", 8, 62, IGNORED, 3),
	SC("rt_sigaction", 13, 134, IGNORED, 4),
	SC("rt_sigprocmask", 14, 135, IGNORED, 4),
	SC("rt_sigreturn", 15, 139, IGNORED, 0),
	SC("ioctl", 16, 29, IGNORED, 3),
	SC("pread64", 17, 67, IGNORED, 4),
	SC("pwrite64", 18, 68, IGNORED, 4),
	SC("readv", 19, 65, IGNORED, 3),
	SC("writev", 20, 66, IGNORED, 3),
	SC("access", 21, -1, IGNORED, 2),
	SC("sched_yield", 24, 124, IGNORED, 0),
	SC("dup", 32, 23, IGNORED, 1),
	SC("dup2", 33, -1, IGNORED, 2),
	SC("nanosleep", 35, 101, IGNORED, 2),
	SC("getpid", 39, 172, IGNORED, 0),
	SC("socket", 41, 198, IGNORED, 3),
	SC("connect", 42, 203, IGNORED, 3),
	SC("sendto", 44, 206, IGNORED, 6),
	SC("recvfrom", 45, 207, IGNORED, 6),
	SC("sendmsg", 46, 211, IGNORED, 3),
	SC("recvmsg", 47, 212, IGNORED, 3),
	SC("wait4", 61, 260, IGNORED, 4),
	SC("kill", 62, 129, IGNORED, 2),
	SC("uname", 63, 160, IGNORED, 1),
	SC("fcntl", 72, 25, IGNORED, 3),
	SC("getcwd", 79, 17, IGNORED, 2),
	SC("readlink", 89, -1, IGNORED, 3),
	SC("getuid", 102, 174, IGNORED, 0),
	SC("geteuid", 107, 175, IGNORED, 0),
	SC("prctl", 157, 167, IGNORED, 5),
	SC("arch_prctl", 158, -1, IGNORED, 2),
	SC("gettid", 186, 178, IGNORED, 0),
	SC("tkill", 200, 130, IGNORED, 2),
	SC("futex", 202, 98, IGNORED, 6),
	SC("sched_setaffinity", 203, 122, IGNORED, 3),
	SC("sched_getaffinity", 204, 123, IGNORED, 3),
	SC("getdents64", 217, 61, IGNORED, 3),
	SC("set_tid_address", 218, 96, IGNORED, 1),
	SC("restart_syscall", 219, 128, IGNORED, 0),
	SC("clock_gettime", 228, 113, IGNORED, 2),
	SC("clock_nanosleep", 230, 115, IGNORED, 4),
	SC("epoll_wait", 232, -1, IGNORED, 4),
	SC("epoll_ctl", 233, 21, IGNORED, 4),
	SC("tgkill", 234, 131, IGNORED, 3),
	SC("waitid", 247, 95, IGNORED, 5),
	SC("openat", 257, 56, IGNORED, 4),
	SC("mkdirat", 258, 34, IGNORED, 3),
	SC("newfstatat", 262, 79, IGNORED, 4),
	SC("unlinkat", 263, 35, IGNORED, 3),
	SC("readlinkat", 267, 78, IGNORED, 4),
	SC("faccessat", 269, 48, IGNORED, 3),
	SC("ppoll", 271, 73, IGNORED, 5),
	SC("set_robust_list", 273, 99, IGNORED, 2),
	SC("epoll_pwait", 281, 22, IGNORED, 6),
	SC("eventfd2", 290, 19, IGNORED, 2),
	SC("epoll_create1", 291, 20, IGNORED, 1),
	SC("dup3", 292, 24, IGNORED, 3),
	SC("pipe2", 293, 59, IGNORED, 2),
	SC("prlimit64", 302, 261, IGNORED, 4),
	SC("getrandom", 318, 278, IGNORED, 3),
	SC("memfd_create", 319, 279, IGNORED, 2),
	SC("userfaultfd", 323, 282, IGNORED, 1),
	SC("membarrier", 324, 283, IGNORED, 3),
	SC("pkey_alloc", 330, 289, IGNORED, 2),
	SC("pkey_free", 331, 290, IGNORED, 1),
	SC("statx", 332, 291, IGNORED, 5),
	SC("rseq", 334, 293, IGNORED, 4),
	SC("pidfd_open", 434, 434, IGNORED, 2),
	SC("close_range", 436, 436, IGNORED, 3),
	SC("memfd_secret", 447, 447, IGNORED, 1),
	SC("process_mrelease", 448, 448, IGNORED, 2),
};

#undef OP
#undef SC

/* Number -> table index + 1, per architecture; built on first use. */
#define MAX_NR 512
static uint16_t by_nr[IMP_ARCH_NR][MAX_NR];
static bool by_nr_built;

static void build_index(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++)
		for (int a = 0; a < IMP_ARCH_NR; a++)
			if (syscalls[i].nr[a] >= 0 && syscalls[i].nr[a] < MAX_NR)
				by_nr[a][syscalls[i].nr[a]] = (uint16_t)(i + 1);
	by_nr_built = true;
}

const struct imp_syscall *imp_syscall_by_nr(enum imp_arch arch, int64_t nr)
{
	if (!by_nr_built)
		build_index();
	if ((unsigned int)arch >= IMP_ARCH_NR || nr < 0 || nr >= MAX_NR || !by_nr[arch][nr])
		return NULL;
	return &syscalls[by_nr[arch][nr] - 1];
}

const struct imp_syscall *imp_syscall_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++)
		if (!strcmp(syscalls[i].name, name))
			return &syscalls[i];
	return NULL;
}

const char *imp_arch_name(enum imp_arch arch)
{
	return arch == IMP_ARCH_ARM64 ? "arm64" : "x86_64";
}

const char *imp_arch_uname(enum imp_arch arch)
{
	return arch == IMP_ARCH_ARM64 ? "aarch64" : "x86_64";
}

int imp_arch_from_name(const char *name)
{
	if (!strcmp(name, "x86_64") || !strcmp(name, "amd64"))
		return IMP_ARCH_X86_64;
	if (!strcmp(name, "arm64") || !strcmp(name, "aarch64"))
		return IMP_ARCH_ARM64;
	return -1;
}

int imp_arch_host(void)
{
	struct utsname u;

	if (uname(&u))
		return -1;
	return imp_arch_from_name(u.machine);
}
