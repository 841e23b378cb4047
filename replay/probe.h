/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * probe.h - stopping a running probe_run() (readers.h) from a signal handler
 *
 * probe_run() owns a tracefs instance and two child processes while it runs;
 * only it can remove them.  A SIGINT or SIGTERM handler therefore asks it to
 * stop, and probe_run() unwinds through its normal cleanup and fails with
 * EINTR within a few milliseconds.
 */
#ifndef VMT_PROBE_H
#define VMT_PROBE_H

/**
 * probe_interrupt - make the running (or the next) probe_run() stop
 *
 * Async-signal-safe: it only sets a flag.  The flag stays set, so a signal
 * that arrives just before probe_run() starts is not lost.
 */
void probe_interrupt(void);

#endif /* VMT_PROBE_H */
