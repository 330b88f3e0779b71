/* Console log: every line names its CPU and subsystem; lines before the UART is up are kept. */
#ifndef PASSAGE_LIB_LOG_H
#define PASSAGE_LIB_LOG_H

#include "types.h"

typedef void (*log_sink_fn)(const char *s, size_t len);
typedef int (*log_cpu_fn)(void);

/* "[cpuN] subsys: message" (no trailing newline needed). */
void log_msg(const char *subsys, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define LOG(subsys, ...) log_msg(subsys, __VA_ARGS__)

/* Registers the output; replays the lines kept so far. */
void log_set_sink(log_sink_fn sink);
/* Tells the log how to learn the current CPU number (returns -1 if unknown). */
void log_set_cpu_fn(log_cpu_fn fn);
/* Writes raw text with no prefix (used by register dumps that print their own). */
void log_raw(const char *s);
/*
 * Exception path: between these two calls this CPU's log lines are written
 * without waiting on a lock another CPU may never release. The log lock is
 * never broken: see log.c.
 */
void log_panic_begin(void);
void log_panic_end(void);
#ifdef PASSAGE_HOST
#include "spinlock.h"
spinlock_t *log_lock_for_test(void);
#endif

#endif
