// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-procmap.c - the VMA walk: PROCMAP_QUERY and /proc/PID/maps must agree
 * with each other and with what this process mapped
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procmap.h"
#include "tap.h"
#include "util.h"
#include "vmt.h"

#define MAX_VMAS 1024

static long ps;

/* Walk from @addr to the end; returns the number of VMAs, -1 on error. */
static int walk(struct procmap *pm, uint64_t addr, struct procmap_vma *v, int max)
{
	int n = 0, r = 0;

	if (procmap_rewind(pm, addr))
		return -1;
	while (n < max && (r = procmap_next(pm, &v[n])) > 0)
		n++;
	return n < max && r < 0 ? -1 : n;
}

static bool same_vma(const struct procmap_vma *a, const struct procmap_vma *b)
{
	return a->start == b->start && a->end == b->end && a->prot == b->prot &&
	       a->pgoff == b->pgoff && a->inode == b->inode && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && !strcmp(a->name, b->name);
}

static void test_methods(void)
{
	struct procmap *pm;
	int m;

	tap_ok(!strcmp(procmap_method_name(PROCMAP_METHOD_QUERY), "procmap_query") &&
		       procmap_method_from_name("maps") == PROCMAP_METHOD_MAPS &&
		       procmap_method_from_name("auto") == PROCMAP_METHOD_AUTO &&
		       procmap_method_from_name("ioctl") == -1,
	       "method names");
	pm = procmap_open(0, PROCMAP_METHOD_AUTO);
	tap_ok(pm != NULL, "open this process, method auto");
	m = pm ? (int)procmap_method(pm) : -1;
	tap_ok(m == PROCMAP_METHOD_QUERY || m == PROCMAP_METHOD_MAPS, "auto resolves to %s",
	       procmap_method_name((enum procmap_method)m));
	procmap_close(pm);
	pm = procmap_open(0, PROCMAP_METHOD_QUERY);
	if (m == PROCMAP_METHOD_QUERY)
		tap_ok(pm != NULL, "the ioctl, asked for, works where auto found it");
	else
		tap_ok(!pm && errno == ENOTTY,
		       "without the ioctl, asking for it fails with ENOTTY");
	procmap_close(pm);
	errno = 0;
	tap_ok(!procmap_open(999999999, PROCMAP_METHOD_MAPS) && errno == ENOENT,
	       "a process that does not exist: ENOENT");
}

/* A carve-out with rw- r-- rw- and a shared file mapping at offset one page. */
static void test_layout(enum procmap_method method, const char *file)
{
	static struct procmap_vma v[8];
	struct procmap *pm = procmap_open(0, method);
	char *c = mmap(NULL, 8 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = c + ps;
	const char *name = procmap_method_name(method);
	struct stat st;
	int fd = open(file, O_RDWR), n;
	bool ok;

	if (!pm) {
		tap_skip("method not available on this kernel");
		tap_skip("method not available on this kernel");
		tap_skip("method not available on this kernel");
		tap_skip("method not available on this kernel");
		goto out;
	}
	fstat(fd, &st);
	mmap(b, 3 * ps, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(b + ps, ps, PROT_READ);
	mmap(b + 3 * ps, 2 * ps, PROT_READ, MAP_FIXED | MAP_SHARED, fd, ps);

	n = walk(pm, (uint64_t)(uintptr_t)b, v, 5);
	ok = n == 5 && v[0].start == (uintptr_t)b && v[0].end == (uintptr_t)(b + ps) &&
	     v[0].prot == (VMT_MAP_READ | VMT_MAP_WRITE) && v[1].prot == VMT_MAP_READ &&
	     v[1].end == (uintptr_t)(b + 2 * ps) && v[2].prot == (VMT_MAP_READ | VMT_MAP_WRITE) &&
	     !v[0].inode && !v[0].name[0] && !v[0].pgoff;
	tap_ok(ok, "%s: the anonymous VMAs, bounds and protection", name);
	ok = n == 5 && v[3].start == (uintptr_t)(b + 3 * ps) &&
	     v[3].end == (uintptr_t)(b + 5 * ps) && v[3].prot == (VMT_MAP_READ | VMT_MAP_SHARED) &&
	     v[3].pgoff == (uint64_t)ps && v[3].inode == st.st_ino &&
	     v[3].dev_major == major(st.st_dev) && v[3].dev_minor == minor(st.st_dev) &&
	     !strcmp(v[3].name, file);
	tap_ok(ok, "%s: the file mapping: shared, offset, device, inode and path (%s)", name,
	       n == 5 ? v[3].name : "?");
	tap_ok(n == 5 && v[4].start == (uintptr_t)(b + 5 * ps) && v[4].prot == 0,
	       "%s: then the PROT_NONE rest of the carve-out", name);

	/* a walk may start inside a VMA: it returns the VMA covering the address */
	n = walk(pm, (uint64_t)(uintptr_t)(b + 3 * ps + 100), v, 1);
	tap_ok(n == 1 && v[0].start == (uintptr_t)(b + 3 * ps),
	       "%s: a walk from inside a VMA starts with that VMA", name);
out:
	procmap_close(pm);
	if (fd >= 0)
		close(fd);
	munmap(c, 8 * ps);
}

/* Both methods see the same whole map (but [vsyscall], which the ioctl never reports). */
static void test_agree(void)
{
	static struct procmap_vma a[MAX_VMAS], b[MAX_VMAS];
	struct procmap *q = procmap_open(0, PROCMAP_METHOD_QUERY);
	struct procmap *m = procmap_open(0, PROCMAP_METHOD_MAPS);
	int na, nb, i, j, extra = 0, r;
	bool same = true;

	if (!q || !m) {
		tap_skip("no PROCMAP_QUERY ioctl on this kernel");
		tap_skip("no PROCMAP_QUERY ioctl on this kernel");
		goto out;
	}
	na = walk(q, 0, a, MAX_VMAS);
	nb = walk(m, 0, b, MAX_VMAS);
	for (i = j = 0; i < na && j < nb;) {
		if (!same_vma(&a[i], &b[j])) {
			if (!strcmp(b[j].name, "[vsyscall]")) {
				j++;
				extra++;
				continue;
			}
			tap_diag("ioctl %lx-%lx %x '%s' / maps %lx-%lx %x '%s'",
				 (unsigned long)a[i].start, (unsigned long)a[i].end, a[i].prot,
				 a[i].name, (unsigned long)b[j].start, (unsigned long)b[j].end,
				 b[j].prot, b[j].name);
			same = false;
			break;
		}
		i++;
		j++;
	}
	for (; j < nb; j++)
		extra += !strcmp(b[j].name, "[vsyscall]");
	tap_ok(na > 5 && same && i == na && na + extra == nb,
	       "the ioctl and the maps file agree on all %d VMAs", na);
	r = procmap_next(q, &a[0]);
	tap_ok(r == 0 && procmap_next(m, &b[0]) == 0, "a finished walk stays finished");
out:
	procmap_close(q);
	procmap_close(m);
}

/* Another process: what the child mapped before it stopped. */
static void test_other_process(void)
{
	static struct procmap_vma v[4];
	char *p = mmap(NULL, 3 * ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pipefd[2], status;
	pid_t pid;
	char c;

	if (pipe(pipefd)) {
		tap_skip("no pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		mprotect(p + ps, ps, PROT_READ | PROT_WRITE);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(pipefd[0], &c, 1) != 1) {
		tap_skip("child did not start");
		return;
	}
	for (int method = PROCMAP_METHOD_QUERY; method <= PROCMAP_METHOD_MAPS; method++) {
		struct procmap *pm = procmap_open(pid, (enum procmap_method)method);
		int n = pm ? walk(pm, (uint64_t)(uintptr_t)p, v, 3) : -1;

		if (!pm && method == PROCMAP_METHOD_QUERY) {
			tap_skip("no PROCMAP_QUERY ioctl on this kernel");
			continue;
		}
		tap_ok(n == 3 && v[1].start == (uintptr_t)(p + ps) &&
			       v[1].prot == (VMT_MAP_READ | VMT_MAP_WRITE) &&
			       v[0].prot == VMT_MAP_READ,
		       "%s: reads the child's map, not ours",
		       procmap_method_name((enum procmap_method)method));
		procmap_close(pm);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	munmap(p, 3 * ps);
}

int main(void)
{
	char file[] = "/tmp/vmt-unit-procmap.XXXXXX";
	int fd;

	ps = sysconf(_SC_PAGESIZE);
	fd = mkstemp(file);
	if (fd < 0 || ftruncate(fd, 4 * ps)) {
		perror("temporary file");
		return 1;
	}
	close(fd);
	test_methods();
	test_layout(PROCMAP_METHOD_QUERY, file);
	test_layout(PROCMAP_METHOD_MAPS, file);
	test_agree();
	test_other_process();
	unlink(file);
	return tap_done();
}
