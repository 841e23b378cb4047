// SPDX-License-Identifier: GPL-2.0-only
/*
 * afile.c - output files that appear complete or not at all
 *
 * The data goes to a file that has no name yet, in the directory of its
 * final name (so that the rename stays on one file system), and the file is
 * given its name only once it is complete:
 *
 *   open(DIR, O_TMPFILE) ──► write, fsync ──► linkat() as NAME.tmp.PID.N ──► rename() to NAME
 *
 * A writer that dies at any point, even of SIGKILL, leaves no file behind
 * (the kernel frees a nameless file on its last close), and an existing
 * NAME is only ever replaced whole, by rename(2).  Where the file system has
 * no O_TMPFILE, or /proc is not mounted, the file is made with mkstemp()
 * under NAME.tmp.XXXXXX from the start: then a writer killed outright
 * leaves that file behind, but still never a partial NAME.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"

#define TMP_SUFFIX 48 /* ".tmp." and two numbers, or ".tmp.XXXXXX" */

int afile_open(struct afile *af, const char *path)
{
	size_t size = strlen(path) + TMP_SUFFIX;
	char *slash;
	int fd = -1;

	memset(af, 0, sizeof(*af));
	af->fd = -1;
	af->path = strdup(path);
	af->tmp = malloc(size);
	if (!af->path || !af->tmp) {
		errno = ENOMEM;
		return -1;
	}
	if (access("/proc/self/fd", X_OK) == 0) {
		/* the directory: "dir/name" -> "dir", "/name" -> "/", "name" -> "." */
		strcpy(af->tmp, path);
		slash = strrchr(af->tmp, '/');
		if (!slash)
			strcpy(af->tmp, ".");
		else
			slash[slash == af->tmp] = '\0';
		fd = open(af->tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
	}
	if (fd < 0) {
		/* no O_TMPFILE here (or no /proc to link it from): a named temporary */
		snprintf(af->tmp, size, "%s.tmp.XXXXXX", path);
		fd = mkostemp(af->tmp, O_CLOEXEC);
		if (fd < 0)
			return -1;
		af->named = true;
	}
	af->fd = fd;
	return fd;
}

int afile_commit(struct afile *af)
{
	size_t size = strlen(af->path) + TMP_SUFFIX;
	char proc[64];
	mode_t mask;

	if (fsync(af->fd))
		return -1;
	if (af->named) {
		/* mkstemp made it 0600: the mode a plain create would have given */
		mask = umask(0);
		umask(mask);
		if (fchmod(af->fd, 0666 & ~mask))
			return -1;
	} else {
		/* a name of its own first: linkat() cannot replace an existing file */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", af->fd);
		for (unsigned int i = 0;; i++) {
			snprintf(af->tmp, size, "%s.tmp.%d.%u", af->path, (int)getpid(), i);
			if (!linkat(AT_FDCWD, proc, AT_FDCWD, af->tmp, AT_SYMLINK_FOLLOW))
				break;
			if (errno != EEXIST || i >= 100)
				return -1;
		}
		af->named = true;
	}
	if (rename(af->tmp, af->path))
		return -1; /* afile_close() removes the temporary name */
	af->named = false;
	return 0;
}

void afile_close(struct afile *af)
{
	if (af->named) {
		int saved = errno;

		unlink(af->tmp);
		errno = saved;
	}
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof(*af));
	af->fd = -1;
}
