// SPDX-License-Identifier: GPL-2.0-only
/*
 * import-prog.c - a deterministic program for the capture tests: two threads
 * (run one after the other) and a child process make a known sequence of
 * address-space calls, failures and a file mapping included
 *
 *   import-prog [--wait] DIR
 *
 * --wait reads one byte from standard input before the first call, so that a
 * test can arm ftrace for this pid first.  Each actor uses its own mapping
 * length (in pages), so a test can find its calls in a trace by length:
 *
 *   actor     calls (pages)                                          fails
 *   main      mmap file 3, munmap 3, mmap 0 (EINVAL), mprotect and
 *             munmap at an unaligned address (EINVAL), brk(0),
 *             mmap 4, mremap 4->6, madvise 6, munmap 6                  3
 *   thread A  mmap 5, mprotect 1 (split) and 1 (re-merge), madvise 5,
 *             munmap 5, munmap unaligned (EINVAL)                       1
 *   thread B  mmap 7, mremap 7->9, pkey_mprotect 9 (pkey -1), munmap 9   0
 *   child     mmap 11, mprotect 11, munmap 11, then _exit(3)             0
 *
 * The threads run on stacks of our own (pthread_attr_setstack) and do not
 * allocate, so glibc makes no calls of its own in them: every call they make
 * is in the table.  On success the program prints
 * "pid P threads TA TB child C" on standard output and exits 0.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

static char stack_a[STACK_SIZE] __attribute__((aligned(4096)));
static char stack_b[STACK_SIZE] __attribute__((aligned(4096)));
static long page;
static pid_t tids[2];
static int failures;

/* Count a result that differs from what the table above says. */
static void expect(int ok, const char *what)
{
	if (!ok) {
		/* no stdio: the threads must not allocate */
		static const char msg[] = "import-prog: unexpected result of ";

		if (write(2, msg, sizeof(msg) - 1) < 0 || write(2, what, strlen(what)) < 0 ||
		    write(2, "\n", 1) < 0)
			_exit(1);
		__atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
	}
}

static void *thread_a(void *arg)
{
	char *p;

	(void)arg;
	tids[0] = (pid_t)syscall(SYS_gettid);
	p = mmap(NULL, 5 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect(p != MAP_FAILED, "A mmap");
	expect(!mprotect(p + 2 * page, page, PROT_READ), "A mprotect split");
	expect(!mprotect(p + 2 * page, page, PROT_READ | PROT_WRITE), "A mprotect merge");
	expect(!madvise(p, 5 * page, MADV_DONTNEED), "A madvise");
	expect(!munmap(p, 5 * page), "A munmap");
	expect(munmap(p + 1, page) == -1, "A munmap unaligned");
	return NULL;
}

static void *thread_b(void *arg)
{
	char *p, *q;

	(void)arg;
	tids[1] = (pid_t)syscall(SYS_gettid);
	p = mmap(NULL, 7 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect(p != MAP_FAILED, "B mmap");
	q = mremap(p, 7 * page, 9 * page, MREMAP_MAYMOVE);
	expect(q != MAP_FAILED, "B mremap");
	expect(!syscall(SYS_pkey_mprotect, q, 9 * page, PROT_READ, -1), "B pkey_mprotect");
	expect(!munmap(q, 9 * page), "B munmap");
	return NULL;
}

static void run_thread(void *(*fn)(void *), char *stack)
{
	pthread_attr_t attr;
	pthread_t t;

	if (pthread_attr_init(&attr) || pthread_attr_setstack(&attr, stack, STACK_SIZE) ||
	    pthread_create(&t, &attr, fn, NULL) || pthread_join(t, NULL)) {
		fprintf(stderr, "import-prog: cannot run a thread\n");
		exit(1);
	}
	pthread_attr_destroy(&attr);
}

int main(int argc, char **argv)
{
	char path[4096], line[128], c, *p, *q;
	int fd, status, wait = 0;
	pid_t child;

	if (argc > 1 && !strcmp(argv[1], "--wait")) {
		wait = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: import-prog [--wait] DIR\n");
		return 2;
	}
	page = sysconf(_SC_PAGESIZE);
	snprintf(path, sizeof(path), "%s/import-prog.dat", argv[1]);
	if (wait && read(0, &c, 1) != 1) {
		fprintf(stderr, "import-prog: no go byte on standard input\n");
		return 1;
	}

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 3 * page)) {
		perror("import-prog: cannot create the file");
		return 1;
	}
	p = mmap(NULL, 3 * page, PROT_READ, MAP_SHARED, fd, 0);
	expect(p != MAP_FAILED, "main mmap file");
	expect(!munmap(p, 3 * page), "main munmap file");
	close(fd);
	expect(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED,
	       "main mmap 0");
	expect(mprotect((char *)page + 1, page, PROT_READ) == -1, "main mprotect unaligned");
	expect(munmap((char *)page + 1, page) == -1, "main munmap unaligned");
	expect(syscall(SYS_brk, 0) > 0, "main brk");
	p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect(p != MAP_FAILED, "main mmap");
	q = mremap(p, 4 * page, 6 * page, MREMAP_MAYMOVE);
	expect(q != MAP_FAILED, "main mremap");
	expect(!madvise(q, 6 * page, MADV_DONTNEED), "main madvise");
	expect(!munmap(q, 6 * page), "main munmap");

	run_thread(thread_a, stack_a);
	run_thread(thread_b, stack_b);

	child = fork();
	if (child < 0) {
		perror("import-prog: fork");
		return 1;
	}
	if (!child) {
		p = mmap(NULL, 11 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0);
		if (p == MAP_FAILED || mprotect(p, 11 * page, PROT_READ) || munmap(p, 11 * page))
			_exit(1);
		_exit(3);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 3)
		expect(0, "child");
	unlink(path);
	if (failures)
		return 1;
	/* snprintf and write: stdio's buffer would be one more allocation */
	snprintf(line, sizeof(line), "pid %d threads %d %d child %d\n", (int)getpid(), (int)tids[0],
		 (int)tids[1], (int)child);
	return write(1, line, strlen(line)) < 0;
}
