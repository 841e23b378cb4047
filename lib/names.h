/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * names.h - the symbolic names that strace and ftrace print for syscall
 * arguments, errors and signals, turned back into the raw numbers a trace
 * stores
 *
 * The values are Linux's generic ones, which x86_64 and arm64 share; the few
 * names that exist on one of them only (MAP_32BIT, PROT_BTI) cannot clash.
 */
#ifndef VMT_NAMES_H
#define VMT_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * vmt_name_value - the value of a constant as strace prints it
 * @name: PROT_READ, MAP_PRIVATE, MADV_DONTNEED, MREMAP_MAYMOVE, MS_SYNC,
 *        MCL_CURRENT, CLONE_THREAD, SIGCHLD, MAP_HUGE_SHIFT, NULL, ...
 * @len: length of @name (it need not be terminated)
 *
 * Returns true with @value set when the name is known.
 */
bool vmt_name_value(const char *name, size_t len, uint64_t *value);

/*
 * vmt_errno_value - the number of an errno name
 *
 * Knows every name the C library knows (ENOMEM is 12) and the kernel's
 * internal restart codes a tracer can see (ERESTARTSYS is 512).
 * Returns the positive number, or -1 if the name is unknown.
 */
int vmt_errno_value(const char *name, size_t len);

/* vmt_signal_value - the number of a signal name (SIGKILL is 9), or -1. */
int vmt_signal_value(const char *name, size_t len);

/*
 * vmt_parse_symbolic - parse an argument as strace prints it
 * @s, @len: the text, e.g. "PROT_READ|PROT_WRITE", "0x7f00", "-1", "NULL",
 *           "MAP_PRIVATE|21<<MAP_HUGE_SHIFT", "0644", or a number followed
 *           by strace's comment naming an unknown value
 * @value: the number
 * @unknown, @unknown_len: set to the first name that is not known (taken as 0)
 *
 * Returns 0, 1 when the text held an unknown name (the rest is still
 * parsed), or -1 when it is not a number or flag expression at all.
 */
int vmt_parse_symbolic(const char *s, size_t len, uint64_t *value, const char **unknown,
		       size_t *unknown_len);

#endif /* VMT_NAMES_H */
