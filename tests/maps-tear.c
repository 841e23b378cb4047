// SPDX-License-Identifier: GPL-2.0-only
/*
 * maps-tear.c - does this kernel's /proc/PID/maps show a hole where memory
 * stayed mapped?  The smallest case vmatrace's tearing check met (t0750,
 * docs/tearing.md), without vmatrace.
 *
 *	maps-tear [PASSES]	(default 200000)
 *
 * A 3-page private mapping at 32 TiB, below everything else, so its lines
 * come first.  A thread splits its first page off and merges it back
 * (mprotect read-only, then read-write) without end; the main thread reads
 * the first chunk of /proc/self/maps again and again and checks that pages
 * 1 and 2, which no call touches and which stay mapped throughout, are
 * shown.  Prints "N passes, H with pages 1-2 missing" and the first lines of
 * up to three such passes; exits 0 (2 if the mapping cannot be made).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BASE 0x200000000000ul

static char *base;
static long page;
static atomic_int stop;

static void *flip(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		mprotect(base, (size_t)page, PROT_READ);
		mprotect(base, (size_t)page, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

/* How far the lines of @text cover from @lo on, without a hole. */
static unsigned long covered(const char *text, unsigned long lo, unsigned long hi)
{
	for (const char *l = text; l && *l;) {
		unsigned long s, e;
		const char *nl = strchr(l, '\n');

		if (sscanf(l, "%lx-%lx", &s, &e) != 2 || s > hi)
			break;
		if (s <= lo && e > lo)
			lo = e;
		l = nl ? nl + 1 : NULL;
	}
	return lo;
}

int main(int argc, char **argv)
{
	long passes = argc > 1 ? atol(argv[1]) : 200000, holes = 0, done = 0;
	static char buf[1 << 16];
	unsigned long lo, hi;
	pthread_t t;

	page = sysconf(_SC_PAGESIZE);
	base = mmap((void *)BASE, 3 * (size_t)page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (base != (char *)BASE) {
		perror("maps-tear: mmap at 32 TiB");
		return 2;
	}
	lo = BASE + (unsigned long)page;
	hi = BASE + 3 * (unsigned long)page;
	if (pthread_create(&t, NULL, flip, NULL))
		return 2;
	for (long i = 0; i < passes; i++) {
		int fd = open("/proc/self/maps", O_RDONLY);
		ssize_t r;

		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1); /* the first chunk holds the mapping's lines */
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		done++;
		if (covered(buf, lo, hi) >= hi)
			continue;
		if (holes++ < 3) {
			char *cut = strchr(buf, '\n');

			cut = cut ? strchr(cut + 1, '\n') : NULL;
			if (cut)
				cut[1] = '\0';
			printf("pages 1-2 missing; the first lines:\n%s", buf);
		}
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("%ld passes, %ld with pages 1-2 missing\n", done, holes);
	return 0;
}
