/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * afile.h - output files that appear complete or not at all (traces,
 * results, layouts, dumps)
 *
 *	struct afile af;
 *	int fd = afile_open(&af, "out.vmt");     nameless until committed
 *	... write to fd (or fdopen it) ...
 *	afile_commit(&af);                       fsync, then the name: atomically
 *	close(fd);                               the caller owns the fd
 *	afile_close(&af);                        always: removes a temporary name left
 */
#ifndef VMT_AFILE_H
#define VMT_AFILE_H

#include <stdbool.h>

struct afile {
	char *path; /* the final name */
	char *tmp;  /* the temporary name, when the file has one */
	int fd;
	bool named; /* a file is under tmp: afile_close() removes it */
};

/*
 * afile_open - make a file that will become @path
 * Returns its descriptor (read-write, close-on-exec), or -1 with errno set;
 * afile_close() is needed in either case.
 */
int afile_open(struct afile *af, const char *path);

/*
 * afile_commit - fsync the file and give it its name, replacing any file of
 * that name in one step.  Returns 0, or -1 with errno set (the file at @path,
 * if any, is then untouched).  The descriptor stays open.
 */
int afile_commit(struct afile *af);

/* afile_close - forget @af; a file that was not committed is removed. */
void afile_close(struct afile *af);

#endif /* VMT_AFILE_H */
