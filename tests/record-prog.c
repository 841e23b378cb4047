// SPDX-License-Identifier: GPL-2.0-only
/*
 * record-prog.c - the workload of tests/t0500-record.t: threads and a child
 * process make known numbers of address-space calls, and write down what
 * they did, so a capture can be checked against it
 *
 *   record-prog [--wait] [--block] [--crash] [--exit N] MANIFEST FILE
 *
 * The main thread maps FILE (read-only, private, whole) and closes the fd
 * at once, as ld.so does, so the capture must find the file through the
 * mapping.  With --wait it then reads standard input until EOF, so that a
 * test can attach with -p.  Then two threads run at the same time, on
 * stacks of our own and without allocating, so that glibc makes no call of
 * its own in them:
 *
 *   thread "rp-a"  mmap 5 pages, mprotect the middle page r-- and back
 *                  (split, re-merge), madvise DONTNEED, mremap 5 -> 6 pages
 *                  (may move), munmap 6 pages, munmap of an unaligned
 *                  address (fails with EINVAL)
 *   thread "rp-b"  mmap 7 pages, pkey_mprotect (pkey -1) r--, 3 mprotects,
 *                  munmap 7 pages, brk(0) twice, mmap FILE at offset 4096
 *                  (the same file as main's: one FILE record), munmap it,
 *                  mmap a page, process_madvise(MADV_COLD) of it through a
 *                  pidfd of our own process and mseal it, where the kernel
 *                  has those two calls (the sealed page stays)
 *
 * Then a child process maps 11 pages, mprotects and unmaps them and exits
 * with status 3.  With --block a third thread "rp-block" blocks in
 * madvise(MADV_POPULATE_READ) on a userfaultfd range that nobody serves and
 * the program waits forever: the capture has to end it, and that madvise
 * has no exit.  MANIFEST is written before that (and before the exit):
 *
 *   pid P
 *   thread NAME TID KIND COUNT ...   (every kind, 0 included)
 *   child PID KIND COUNT ... exit 3
 *   file DEV INO MAIN_ADDR B_ADDR    (dev as st_dev, in decimal)
 *   block TID ADDR | block none ERRNO
 *
 * Exits with N (--exit, default 0), or dies of SIGSEGV with --crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmt.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
/* mseal arrived in Linux 6.10; the number is the same on x86-64 and arm64 */
#ifndef SYS_mseal
#define SYS_mseal 462
#endif

#define STACK_SIZE (256 * 1024)

struct actor {
	const char *name;
	pid_t tid;
	unsigned int count[VMT_OP_NR];
	int unexpected;
	char stack[STACK_SIZE] __attribute__((aligned(4096)));
};

static struct actor actor_a = { .name = "rp-a" }, actor_b = { .name = "rp-b" };
static struct actor actor_block = { .name = "rp-block" };
static long page;
static int file_fd = -1;
static unsigned long b_file_addr, block_addr;
static int block_errno;

/* Count a call, and note when its result is not the expected one. */
static void did(struct actor *a, int kind, int ok)
{
	a->count[kind]++;
	if (!ok)
		a->unexpected++;
}

static void *thread_a(void *arg)
{
	struct actor *a = arg;
	char *p, *q;

	a->tid = (pid_t)syscall(SYS_gettid);
	prctl(PR_SET_NAME, a->name);
	p = mmap(NULL, 5 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	did(a, VMT_OP_MMAP, p != MAP_FAILED);
	if (p == MAP_FAILED)
		return NULL;
	did(a, VMT_OP_MPROTECT, !mprotect(p + 2 * page, page, PROT_READ));
	did(a, VMT_OP_MPROTECT, !mprotect(p + 2 * page, page, PROT_READ | PROT_WRITE));
	did(a, VMT_OP_MADVISE, !madvise(p, 5 * page, MADV_DONTNEED));
	q = mremap(p, 5 * page, 6 * page, MREMAP_MAYMOVE);
	did(a, VMT_OP_MREMAP, q != MAP_FAILED);
	if (q == MAP_FAILED)
		q = p;
	did(a, VMT_OP_MUNMAP, !munmap(q, 6 * page));
	did(a, VMT_OP_MUNMAP, munmap(q + 1, page) && errno == EINVAL);
	return NULL;
}

static void *thread_b(void *arg)
{
	struct actor *a = arg;
	long brk0, brk1, ret;
	int pidfd;
	char *p;

	a->tid = (pid_t)syscall(SYS_gettid);
	prctl(PR_SET_NAME, a->name);
	p = mmap(NULL, 7 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	did(a, VMT_OP_MMAP, p != MAP_FAILED);
	if (p == MAP_FAILED)
		return NULL;
	did(a, VMT_OP_PKEY_MPROTECT, !syscall(SYS_pkey_mprotect, p, 7 * page, PROT_READ, -1));
	did(a, VMT_OP_MPROTECT, !mprotect(p, 7 * page, PROT_READ | PROT_WRITE));
	did(a, VMT_OP_MPROTECT, !mprotect(p + page, 2 * page, PROT_NONE));
	did(a, VMT_OP_MPROTECT, !mprotect(p + page, 2 * page, PROT_READ | PROT_WRITE));
	did(a, VMT_OP_MUNMAP, !munmap(p, 7 * page));
	brk0 = syscall(SYS_brk, 0);
	did(a, VMT_OP_BRK, brk0 > 0);
	brk1 = syscall(SYS_brk, 0);
	did(a, VMT_OP_BRK, brk1 == brk0);
	p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, file_fd, page);
	did(a, VMT_OP_MMAP, p != MAP_FAILED);
	if (p == MAP_FAILED)
		return NULL;
	b_file_addr = (unsigned long)p;
	/* keep it mapped long enough for the capture to look it up */
	usleep(100000);
	did(a, VMT_OP_MUNMAP, !munmap(p, page));
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	did(a, VMT_OP_MMAP, p != MAP_FAILED);
	if (p == MAP_FAILED)
		return NULL;
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd >= 0) {
		struct iovec iov = { p, (size_t)page };

		ret = syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_COLD, 0);
		if (!(ret < 0 && errno == ENOSYS))
			did(a, VMT_OP_PROCESS_MADVISE, ret == page);
		close(pidfd);
	}
	ret = syscall(SYS_mseal, p, page, 0);
	if (!(ret < 0 && errno == ENOSYS))
		did(a, VMT_OP_MSEAL, ret == 0);
	return NULL;
}

/* Blocks for good: a userfaultfd range nobody serves, populated. */
static void *thread_block(void *arg)
{
	struct actor *a = arg;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	char *p;
	int uffd;

	a->tid = (pid_t)syscall(SYS_gettid);
	prctl(PR_SET_NAME, a->name);
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	did(a, VMT_OP_MMAP, p != MAP_FAILED);
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (p == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		__atomic_store_n(&block_errno, errno ? errno : EINVAL, __ATOMIC_SEQ_CST);
		return NULL;
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)p;
	reg.range.len = (unsigned long)page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		__atomic_store_n(&block_errno, errno, __ATOMIC_SEQ_CST);
		return NULL;
	}
	__atomic_store_n(&block_addr, (unsigned long)p, __ATOMIC_SEQ_CST);
	did(a, VMT_OP_MADVISE, !madvise(p, page, MADV_POPULATE_READ));
	return NULL;
}

static int start(pthread_t *th, struct actor *a, void *(*fn)(void *))
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, a->stack, sizeof(a->stack));
	err = pthread_create(th, &attr, fn, a);
	pthread_attr_destroy(&attr);
	return err;
}

static void print_counts(FILE *f, const unsigned int *count)
{
	for (int k = 0; k < VMT_OP_OTHER; k++)
		fprintf(f, " %s %u", vmt_op_descs[k].name, count[k]);
}

/* The child: 11 pages mapped, protected and unmapped by raw calls, then exit 3. */
static pid_t child(unsigned int *count)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *p = mmap(NULL, 11 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED || mprotect(p, 11 * page, PROT_READ) || munmap(p, 11 * page))
			_exit(1);
		_exit(3);
	}
	count[VMT_OP_MMAP] = count[VMT_OP_MPROTECT] = count[VMT_OP_MUNMAP] = 1;
	return pid;
}

int main(int argc, char **argv)
{
	bool wait_stdin = false, block = false, crash = false;
	unsigned int child_count[VMT_OP_NR] = { 0 };
	int exit_code = 0, status, i;
	pthread_t ta, tb, tc;
	char *file_map, buf[256];
	struct stat st;
	pid_t pid;
	FILE *m;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--wait"))
			wait_stdin = true;
		else if (!strcmp(argv[i], "--block"))
			block = true;
		else if (!strcmp(argv[i], "--crash"))
			crash = true;
		else if (!strcmp(argv[i], "--exit") && i + 1 < argc)
			exit_code = atoi(argv[++i]);
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr,
			"usage: record-prog [--wait] [--block] [--crash] [--exit N] MANIFEST FILE\n");
		return 2;
	}
	page = sysconf(_SC_PAGESIZE);
	file_fd = open(argv[i + 1], O_RDONLY | O_CLOEXEC);
	if (file_fd < 0 || fstat(file_fd, &st) || st.st_size < 2 * page) {
		fprintf(stderr, "record-prog: '%s' must be a file of at least 2 pages\n",
			argv[i + 1]);
		return 1;
	}
	file_map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, file_fd, 0);
	if (file_map == MAP_FAILED) {
		perror("record-prog: mmap");
		return 1;
	}
	if (wait_stdin) {
		/* ready: a test may attach now, then close our standard input */
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		while (read(0, buf, sizeof(buf)) > 0)
			;
	}
	if (start(&ta, &actor_a, thread_a) || start(&tb, &actor_b, thread_b)) {
		fprintf(stderr, "record-prog: pthread_create failed\n");
		return 1;
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	close(file_fd);
	pid = child(child_count);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 3) {
		fprintf(stderr, "record-prog: the child failed\n");
		return 1;
	}
	if (block) {
		if (start(&tc, &actor_block, thread_block))
			return 1;
		while (!__atomic_load_n(&block_addr, __ATOMIC_SEQ_CST) &&
		       !__atomic_load_n(&block_errno, __ATOMIC_SEQ_CST))
			usleep(1000);
		/* the madvise is entered right after block_addr is set */
		usleep(50000);
	}
	if (actor_a.unexpected || actor_b.unexpected) {
		fprintf(stderr, "record-prog: %d unexpected results\n",
			actor_a.unexpected + actor_b.unexpected);
		return 1;
	}
	m = fopen(argv[i], "w");
	if (!m) {
		perror("record-prog: manifest");
		return 1;
	}
	fprintf(m, "pid %d\n", (int)getpid());
	fprintf(m, "thread %s %d", actor_a.name, (int)actor_a.tid);
	print_counts(m, actor_a.count);
	fprintf(m, "\nthread %s %d", actor_b.name, (int)actor_b.tid);
	print_counts(m, actor_b.count);
	fprintf(m, "\nchild %d", (int)pid);
	print_counts(m, child_count);
	fprintf(m, " exit 3\nfile %llu %llu 0x%lx 0x%lx\n", (unsigned long long)st.st_dev,
		(unsigned long long)st.st_ino, (unsigned long)file_map, b_file_addr);
	if (block && block_addr)
		fprintf(m, "block %d 0x%lx\n", (int)actor_block.tid, block_addr);
	else if (block)
		fprintf(m, "block none %d\n", block_errno);
	if (fclose(m))
		return 1;
	if (block)
		for (;;)
			pause();
	/* the file mapping stays until here, long after the capture looked it up */
	usleep(50000);
	if (crash)
		raise(SIGSEGV);
	return exit_code;
}
