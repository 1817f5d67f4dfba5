/* Minimal printf-style formatting for the freestanding hypervisor.
 * Supports %d %i %u %x %X %p %s %c %%, the length modifiers l, ll, z, h, hh,
 * flags '0' and '-', and a field width. Always NUL-terminates; returns the
 * length it would have written (like vsnprintf). */
#ifndef CORE_FMT_H
#define CORE_FMT_H

#include <stdarg.h>
#include <stddef.h>

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
