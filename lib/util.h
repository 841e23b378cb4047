/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * util.h - helpers shared by the subcommands: messages, number parsing, time
 */
#ifndef VMT_UTIL_H
#define VMT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifndef VMATRACE_VERSION
#define VMATRACE_VERSION "0.1"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VMT_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Exit codes of every subcommand. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* "vmatrace: error: ..." on stderr; returns EXIT_FAIL. */
int error(const char *fmt, ...) VMT_PRINTF(1, 2);
/* "vmatrace: error: ..." plus a hint to --help; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) VMT_PRINTF(2, 3);
/* "vmatrace: warning: ..." on stderr. */
void warning(const char *fmt, ...) VMT_PRINTF(1, 2);

/* snprintf into a buffer that is always terminated; truncation is silent. */
void strlcpy_(char *dst, const char *src, size_t size);
void fmt_into(char *dst, size_t size, const char *fmt, ...) VMT_PRINTF(3, 4);

/* Parse an unsigned number (decimal, 0x hex, optional k/m/g binary suffix if @suffix). */
int parse_u64(const char *s, uint64_t *out, bool suffix);
int parse_i64(const char *s, int64_t *out);
/* Parse a duration: "10", "1.5", "250ms", "10us", "2s", "1m" (seconds by default) into ns. */
int parse_duration_ns(const char *s, uint64_t *out);

static inline uint64_t ts_to_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

static inline uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts_to_ns(&ts);
}

/* Human-readable sizes and durations into @buf. */
const char *fmt_bytes(char *buf, size_t size, uint64_t bytes);
const char *fmt_ns(char *buf, size_t size, uint64_t ns);

/* True if standard error is a terminal (progress lines are shown only then). */
bool stderr_is_tty(void);

/* Common handling of -h/--help: print @usage to stdout. */
int print_usage(const char *usage);

#endif /* VMT_UTIL_H */
