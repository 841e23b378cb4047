/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tracefs-util.h - what the users of private tracefs instances share
 *
 * vmatrace never touches the top-level trace buffer: each user (the probe,
 * the lock statistics) works in an instance of its own named
 * "vmatrace-<user>-<pid>", removed when it is done.  A run that is killed
 * leaves its instance behind; the next run removes it, recognising it by a
 * pid that no longer exists.
 */
#ifndef VMT_TRACEFS_UTIL_H
#define VMT_TRACEFS_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <tracefs.h>

#define TRACING_MOUNT "/sys/kernel/tracing"

/* tracing_mounted - is a tracefs mounted anywhere (/proc/self/mounts)? */
bool tracing_mounted(void);

/*
 * tracing_check - can this process trace @system/@event in a private instance?
 * Mounts tracefs at TRACING_MOUNT when it is not mounted (the caller is root).
 * Return: 0, or -1 with errno and the reason in @why.
 */
int tracing_check(const char *system, const char *event, char *why, size_t whylen);

/* tracing_remove_stale - remove the vmatrace-* instances of dead pids; returns how many. */
int tracing_remove_stale(void);

/*
 * tracing_instance_create - a new, empty instance "vmatrace-<user>-<our pid>"
 * Return: the instance, or NULL with errno (EEXIST if it cannot be made new).
 */
struct tracefs_instance *tracing_instance_create(const char *user);

/* tracing_instance_remove - remove @inst (its events stop, its buffers go) and free it. */
int tracing_instance_remove(struct tracefs_instance *inst);

#endif /* VMT_TRACEFS_UTIL_H */
