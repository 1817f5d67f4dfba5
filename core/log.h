/* Hypervisor log: one formatted line at a time to the 8250 console and, when
 * enabled on the command line, to port 0xE9 (Bochs/QEMU debug port).
 * Lines are never interleaved between CPUs. The lines tests rely on are listed
 * in docs/log-lines.md. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

struct log_sinks {
	bool uart;
	bool e9;
};

void log_set_level(enum log_level lvl);
void log_set_sinks(struct log_sinks s);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);
/* Like log_msg, but drops the line instead of waiting for the console lock
 * (for NMI context, where this CPU may already hold it). */
void log_try(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Panic path: from now on the console lock is ignored (a CPU that faulted while
 * holding it must still be able to print). */
void log_enter_panic(void);
/* Waits until the console has sent everything (before the machine goes off). */
void log_flush(void);

/* "yes"/"no" for capability lines. */
static inline const char *log_yn(bool b)
{
	return b ? "yes" : "no";
}

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
