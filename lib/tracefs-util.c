// SPDX-License-Identifier: GPL-2.0-only
/*
 * tracefs-util.c - private tracefs instances: checks, creation, stale ones
 *
 * See tracefs-util.h.  The probe (probe.c) and the lock statistics
 * (lockstat.c) use these; each keeps its own reading of the buffers.
 */
#include <errno.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "tracefs-util.h"
#include "util.h"

#define INSTANCE_PREFIX "vmatrace-"

bool tracing_mounted(void)
{
	struct mntent *e;
	bool mounted = false;
	FILE *m = setmntent("/proc/self/mounts", "r");

	if (!m)
		return false;
	while (!mounted && (e = getmntent(m)))
		mounted = !strcmp(e->mnt_type, "tracefs");
	endmntent(m);
	return mounted;
}

/**
 * tracing_check - can this process trace an event in a private instance?
 * @system: the event's system, "mmap_lock"
 * @event: the event, "mmap_lock_acquire_returned"
 * @why: where the reason goes when it cannot, one line
 * @whylen: its size
 *
 * Mounts tracefs at TRACING_MOUNT when no tracefs is mounted, which needs
 * root; the callers check for root first, so that an unprivileged user is
 * told that rather than a mount error.
 *
 * Return: 0, or -1 with errno set and the reason in @why.
 */
int tracing_check(const char *system, const char *event, char *why, size_t whylen)
{
	char path[PATH_MAX];
	const char *dir;
	int saved;

	if (!tracing_mounted() && mount("nodev", TRACING_MOUNT, "tracefs", 0, NULL)) {
		saved = errno;
		fmt_into(why, whylen, "tracefs is not mounted and mounting it on %s failed: %s",
			 TRACING_MOUNT, strerror(saved));
		errno = saved;
		return -1;
	}
	dir = tracefs_tracing_dir();
	if (!dir) {
		fmt_into(why, whylen, "cannot find the tracefs mount");
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/instances", dir);
	if (access(path, W_OK)) {
		saved = errno;
		fmt_into(why, whylen, "cannot create tracefs instances in '%s': %s", path,
			 strerror(saved));
		errno = saved;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s", dir, system, event);
	if (access(path, F_OK)) {
		fmt_into(why, whylen, "this kernel has no %s tracepoint", event);
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/* An instance named vmatrace-*-PID whose PID no longer exists was left by a killed run. */
static bool owner_gone(const char *name)
{
	const char *p = strrchr(name, '-');
	char *end;
	long pid;

	if (strncmp(name, INSTANCE_PREFIX, strlen(INSTANCE_PREFIX)) || !p || !p[1])
		return false;
	errno = 0;
	pid = strtol(p + 1, &end, 10);
	if (errno || *end || pid <= 0 || pid > INT_MAX)
		return false;
	/* EPERM means it exists; only ESRCH proves it gone (in our pid namespace) */
	return kill((pid_t)pid, 0) && errno == ESRCH;
}

static int collect_stale(const char *name, void *arg)
{
	char ***list = arg;
	char **l;

	if (!owner_gone(name))
		return 0;
	l = tracefs_list_add(*list, name);
	if (l)
		*list = l;
	return 0;
}

/**
 * tracing_remove_stale - remove the instances that killed runs left behind
 *
 * Best effort: an instance that cannot be removed now is tried again by the
 * next run.  Instances of other programs, and of vmatrace runs still alive
 * (whichever subcommand), are left alone.
 *
 * Return: the number of instances removed.
 */
int tracing_remove_stale(void)
{
	char **stale = NULL;
	int removed = 0;

	/* collect first: removing directories while readdir walks them is not reliable */
	tracefs_instances_walk(collect_stale, &stale);
	for (int i = 0; stale && stale[i]; i++) {
		struct tracefs_instance *inst = tracefs_instance_alloc(NULL, stale[i]);

		if (!inst)
			continue;
		if (!tracefs_instance_destroy(inst))
			removed++;
		tracefs_instance_free(inst);
	}
	tracefs_list_free(stale);
	return removed;
}

/**
 * tracing_instance_create - a new instance of our own
 * @user: what it is for ("probe", "lockstat"): the name is vmatrace-@user-<our pid>
 *
 * An instance of that name that already exists was left by an earlier
 * process with our pid (before a reboot of the pid space, or in another
 * pid namespace): its settings are not ours to trust, so it is replaced.
 *
 * Return: the instance, or NULL with errno set (EEXIST when it could not be
 * made afresh).
 */
struct tracefs_instance *tracing_instance_create(const char *user)
{
	struct tracefs_instance *inst;
	char name[64];

	snprintf(name, sizeof(name), INSTANCE_PREFIX "%s-%d", user, (int)getpid());
	inst = tracefs_instance_create(name);
	if (inst && !tracefs_instance_is_new(inst)) {
		tracefs_instance_destroy(inst);
		tracefs_instance_free(inst);
		inst = tracefs_instance_create(name);
	}
	if (inst && !tracefs_instance_is_new(inst)) {
		tracefs_instance_free(inst);
		errno = EEXIST;
		return NULL;
	}
	if (!inst && !errno)
		errno = EIO;
	return inst;
}

/**
 * tracing_instance_remove - remove an instance and free its handle
 * @inst: from tracing_instance_create(), or NULL
 *
 * Removing the instance disables its events and frees its buffers; the
 * handle is freed even when the removal fails.
 *
 * Return: 0, or -1 with errno when the instance could not be removed.
 */
int tracing_instance_remove(struct tracefs_instance *inst)
{
	int ret, saved;

	if (!inst)
		return 0;
	ret = tracefs_instance_destroy(inst);
	saved = errno;
	tracefs_instance_free(inst);
	errno = saved;
	return ret ? -1 : 0;
}
