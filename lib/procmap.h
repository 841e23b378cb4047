/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * procmap.h - walk the VMAs of a process: PROCMAP_QUERY ioctl or /proc/PID/maps
 *
 * The two ways a monitor reads another process's memory map, behind one
 * iterator: the PROCMAP_QUERY ioctl on an open /proc/PID/maps (Linux 6.11+),
 * which returns one VMA per call, and parsing the text of /proc/PID/maps.
 * The workload verifier uses it to check layouts; the replay readers use it
 * as the reader kinds they time, so a walk does no allocation and no printing.
 *
 * Functions return -1 with errno set on failure and never exit.
 */
#ifndef VMT_PROCMAP_H
#define VMT_PROCMAP_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Longest VMA name kept: a path of PATH_MAX bytes plus the " (deleted)" the
 * kernel may append.  The ioctl fails with E2BIG on a longer one.
 */
#define PROCMAP_NAME_MAX 4160

enum procmap_method {
	PROCMAP_METHOD_AUTO = 0, /* the ioctl where the kernel has it, else the maps file */
	PROCMAP_METHOD_QUERY,	 /* the PROCMAP_QUERY ioctl */
	PROCMAP_METHOD_MAPS,	 /* parse /proc/PID/maps */
};

/* One VMA, as /proc/PID/maps shows it. */
struct procmap_vma {
	uint64_t start, end;	       /* [start, end) */
	uint32_t prot;		       /* VMT_MAP_READ, _WRITE, _EXEC, _SHARED (vmt.h) */
	uint32_t dev_major, dev_minor; /* 0 when anonymous */
	uint64_t pgoff;		       /* offset in the backing file, bytes; 0 when anonymous */
	uint64_t inode;		       /* 0 when anonymous */
	char name[PROCMAP_NAME_MAX];   /* path, [heap], [stack], [anon:NAME]..., or "" */
};

struct procmap;

/**
 * procmap_open - prepare to read the VMAs of a process
 * @pid: the process, 0 for the calling one
 * @method: how to read them; PROCMAP_METHOD_AUTO probes the ioctl once
 *
 * Opens /proc/PID/maps (the ioctl is issued on that file too).  Asking for
 * PROCMAP_METHOD_QUERY on a kernel without the ioctl fails with ENOTTY.
 *
 * Return: the handle, or NULL with errno set.
 */
struct procmap *procmap_open(pid_t pid, enum procmap_method method);

/**
 * procmap_close - release a handle from procmap_open()
 * @pm: the handle, or NULL
 */
void procmap_close(struct procmap *pm);

/**
 * procmap_method - the method a handle uses
 * @pm: the handle
 *
 * Return: PROCMAP_METHOD_QUERY or PROCMAP_METHOD_MAPS, never AUTO.
 */
enum procmap_method procmap_method(const struct procmap *pm);

/**
 * procmap_method_name - the name of a method
 * @method: the method
 *
 * Return: "auto", "procmap_query" or "maps".
 */
const char *procmap_method_name(enum procmap_method method);

/**
 * procmap_method_from_name - parse a method name
 * @name: "auto", "procmap_query" or "maps"
 *
 * Return: the method, or -1 if @name is none of them.
 */
int procmap_method_from_name(const char *name);

/**
 * procmap_rewind - start a walk at an address
 * @pm: the handle
 * @addr: the walk returns the VMA covering @addr, then every VMA above it
 *
 * With the maps method the file is read again from its beginning, so each
 * walk sees a fresh snapshot.
 *
 * Return: 0, or -1 with errno set.
 */
int procmap_rewind(struct procmap *pm, uint64_t addr);

/**
 * procmap_next - the next VMA of a walk
 * @pm: the handle
 * @vma: filled with the VMA
 *
 * Each call of the ioctl method is one PROCMAP_QUERY with
 * PROCMAP_QUERY_COVERING_OR_NEXT_VMA at the end of the previous VMA, so a
 * walk is exactly what a PROCMAP_QUERY monitor does.  No consistency is
 * promised between two VMAs of a walk while the process changes its map.
 *
 * Return: 1 with @vma filled, 0 at the end of the address space, -1 with
 * errno set (EBADMSG for a maps line that does not parse).
 */
int procmap_next(struct procmap *pm, struct procmap_vma *vma);

#endif /* VMT_PROCMAP_H */
