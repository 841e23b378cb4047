// SPDX-License-Identifier: GPL-2.0-only
/*
 * procmap.c - walk the VMAs of a process: PROCMAP_QUERY ioctl or /proc/PID/maps
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "procmap.h"
#include "vmt.h"

/*
 * The PROCMAP_QUERY ioctl arrived in Linux 6.11 (include/uapi/linux/fs.h);
 * the headers we build against may be older, so the ABI is spelled out here.
 * The layout is fixed: the kernel takes the struct by its size field.
 */
#ifndef PROCMAP_QUERY
#define PROCFS_IOCTL_MAGIC 'f'

enum procmap_query_flags {
	PROCMAP_QUERY_VMA_READABLE = 0x01,
	PROCMAP_QUERY_VMA_WRITABLE = 0x02,
	PROCMAP_QUERY_VMA_EXECUTABLE = 0x04,
	PROCMAP_QUERY_VMA_SHARED = 0x08,
	PROCMAP_QUERY_COVERING_OR_NEXT_VMA = 0x10,
	PROCMAP_QUERY_FILE_BACKED_VMA = 0x20,
};

struct procmap_query {
	uint64_t size;
	uint64_t query_flags;	/* in */
	uint64_t query_addr;	/* in */
	uint64_t vma_start;	/* out */
	uint64_t vma_end;	/* out */
	uint64_t vma_flags;	/* out */
	uint64_t vma_page_size; /* out */
	uint64_t vma_offset;	/* out */
	uint64_t inode;		/* out */
	uint32_t dev_major;	/* out */
	uint32_t dev_minor;	/* out */
	uint32_t vma_name_size; /* in/out */
	uint32_t build_id_size; /* in/out */
	uint64_t vma_name_addr; /* in */
	uint64_t build_id_addr; /* in */
};

#define PROCMAP_QUERY _IOWR(PROCFS_IOCTL_MAGIC, 17, struct procmap_query)
#endif

_Static_assert(sizeof(struct procmap_query) == 104, "struct procmap_query is the 6.11 ABI");

/* Large enough for many lines per read(); the longest line is ~4.2 KiB. */
#define MAPS_BUF (64 * 1024)

struct procmap {
	int fd; /* /proc/PID/maps */
	enum procmap_method method;
	uint64_t cursor; /* the next VMA returned ends above this */
	bool at_end;
	/* maps method: the unparsed part of the file is buf[pos, len) */
	char *buf;
	size_t pos, len;
	bool eof;
};

static const char *const method_names[] = {
	[PROCMAP_METHOD_AUTO] = "auto",
	[PROCMAP_METHOD_QUERY] = "procmap_query",
	[PROCMAP_METHOD_MAPS] = "maps",
};

const char *procmap_method_name(enum procmap_method method)
{
	if ((unsigned int)method >= sizeof(method_names) / sizeof(method_names[0]))
		return "?";
	return method_names[method];
}

int procmap_method_from_name(const char *name)
{
	for (unsigned int i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (!strcmp(name, method_names[i]))
			return (int)i;
	return -1;
}

enum procmap_method procmap_method(const struct procmap *pm)
{
	return pm->method;
}

/* One PROCMAP_QUERY for the VMA covering @addr or the next one above it. */
static int query(int fd, uint64_t addr, struct procmap_vma *vma)
{
	struct procmap_query q;

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA;
	q.query_addr = addr;
	if (vma) {
		q.vma_name_addr = (uint64_t)(uintptr_t)vma->name;
		q.vma_name_size = sizeof(vma->name);
	}
	if (ioctl(fd, PROCMAP_QUERY, &q) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!vma)
		return 1;
	vma->start = q.vma_start;
	vma->end = q.vma_end;
	vma->prot = 0;
	if (q.vma_flags & PROCMAP_QUERY_VMA_READABLE)
		vma->prot |= VMT_MAP_READ;
	if (q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE)
		vma->prot |= VMT_MAP_WRITE;
	if (q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE)
		vma->prot |= VMT_MAP_EXEC;
	if (q.vma_flags & PROCMAP_QUERY_VMA_SHARED)
		vma->prot |= VMT_MAP_SHARED;
	vma->pgoff = q.vma_offset;
	vma->inode = q.inode;
	vma->dev_major = q.dev_major;
	vma->dev_minor = q.dev_minor;
	if (!q.vma_name_size)
		vma->name[0] = '\0';
	return 1;
}

struct procmap *procmap_open(pid_t pid, enum procmap_method method)
{
	struct procmap *pm;
	char path[64];
	int saved;

	if ((unsigned int)method > PROCMAP_METHOD_MAPS) {
		errno = EINVAL;
		return NULL;
	}
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NULL;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	pm->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm->fd < 0)
		goto fail;
	if (method != PROCMAP_METHOD_MAPS) {
		/* A kernel without the ioctl answers ENOTTY (EINVAL from some LSMs' checks). */
		if (query(pm->fd, 0, NULL) < 0) {
			if (method == PROCMAP_METHOD_QUERY || (errno != ENOTTY && errno != EINVAL))
				goto fail;
			method = PROCMAP_METHOD_MAPS;
		} else {
			method = PROCMAP_METHOD_QUERY;
		}
	}
	pm->method = method;
	if (method == PROCMAP_METHOD_MAPS) {
		pm->buf = malloc(MAPS_BUF + 1);
		if (!pm->buf)
			goto fail;
	}
	return pm;
fail:
	saved = errno;
	procmap_close(pm);
	errno = saved;
	return NULL;
}

void procmap_close(struct procmap *pm)
{
	if (!pm)
		return;
	if (pm->fd >= 0)
		close(pm->fd);
	free(pm->buf);
	free(pm);
}

int procmap_rewind(struct procmap *pm, uint64_t addr)
{
	pm->cursor = addr;
	pm->at_end = false;
	if (pm->method == PROCMAP_METHOD_MAPS) {
		if (lseek(pm->fd, 0, SEEK_SET) < 0)
			return -1;
		pm->pos = pm->len = 0;
		pm->eof = false;
	}
	return 0;
}

static int parse_hex(char **p, uint64_t *v, char sep)
{
	char *s = *p;
	uint64_t x = 0;
	int digits = 0;

	for (;; s++, digits++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else
			break;
		if (digits >= 16)
			return -1;
		x = x << 4 | d;
	}
	if (!digits || *s != sep)
		return -1;
	*v = x;
	*p = s + 1;
	return 0;
}

/*
 * "START-END PERM OFFSET MAJ:MIN INODE   NAME": the format of show_map_vma()
 * in fs/proc/task_mmu.c.  The name is the rest of the line after the padding.
 */
static int parse_line(char *line, struct procmap_vma *vma)
{
	char *p = line;
	uint64_t maj, min;
	size_t n;

	if (parse_hex(&p, &vma->start, '-') || parse_hex(&p, &vma->end, ' '))
		return -1;
	if (strlen(p) < 5 || p[4] != ' ')
		return -1;
	vma->prot = (p[0] == 'r' ? VMT_MAP_READ : 0) | (p[1] == 'w' ? VMT_MAP_WRITE : 0) |
		    (p[2] == 'x' ? VMT_MAP_EXEC : 0) | (p[3] == 's' ? VMT_MAP_SHARED : 0);
	p += 5;
	if (parse_hex(&p, &vma->pgoff, ' ') || parse_hex(&p, &maj, ':') || parse_hex(&p, &min, ' '))
		return -1;
	vma->dev_major = (uint32_t)maj;
	vma->dev_minor = (uint32_t)min;
	vma->inode = 0;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		vma->inode = vma->inode * 10 + (uint64_t)(*p++ - '0');
	if (*p && *p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	n = strlen(p);
	if (n >= sizeof(vma->name))
		n = sizeof(vma->name) - 1;
	memcpy(vma->name, p, n);
	vma->name[n] = '\0';
	return 0;
}

/* The next complete line of the maps file, NUL-terminated; NULL at its end. */
static char *next_line(struct procmap *pm)
{
	for (;;) {
		char *nl = memchr(pm->buf + pm->pos, '\n', pm->len - pm->pos);
		ssize_t n;

		if (nl) {
			char *line = pm->buf + pm->pos;

			*nl = '\0';
			pm->pos = (size_t)(nl - pm->buf) + 1;
			return line;
		}
		if (pm->eof) {
			if (pm->pos < pm->len) {
				/* a last line without its newline */
				char *line = pm->buf + pm->pos;

				pm->buf[pm->len] = '\0';
				pm->pos = pm->len;
				return line;
			}
			errno = 0;
			return NULL;
		}
		memmove(pm->buf, pm->buf + pm->pos, pm->len - pm->pos);
		pm->len -= pm->pos;
		pm->pos = 0;
		if (pm->len == MAPS_BUF) {
			errno = EOVERFLOW;
			return NULL;
		}
		do
			n = read(pm->fd, pm->buf + pm->len, MAPS_BUF - pm->len);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return NULL;
		if (n == 0)
			pm->eof = true;
		pm->len += (size_t)n;
	}
}

int procmap_next(struct procmap *pm, struct procmap_vma *vma)
{
	int ret;

	if (pm->at_end)
		return 0;
	if (pm->method == PROCMAP_METHOD_QUERY) {
		ret = query(pm->fd, pm->cursor, vma);
		if (ret <= 0) {
			pm->at_end = ret == 0;
			return ret;
		}
		if (vma->end <= pm->cursor) {
			/* never loop: the kernel answered below the cursor */
			errno = EPROTO;
			return -1;
		}
		pm->cursor = vma->end;
		return 1;
	}
	for (;;) {
		char *line = next_line(pm);

		if (!line) {
			if (errno)
				return -1;
			pm->at_end = true;
			return 0;
		}
		if (parse_line(line, vma)) {
			errno = EBADMSG;
			return -1;
		}
		if (vma->end <= pm->cursor)
			continue;
		pm->cursor = vma->end;
		return 1;
	}
}
