#include "core/log.h"

#include "arch/x86/cpu.h"
#include "arch/x86/spinlock.h"
#include "core/fmt.h"
#include "drivers/uart8250.h"

#define E9_PORT   0xe9
#define LINE_MAX  512

static enum log_level log_level = LOG_INFO;
static struct log_sinks sinks = { .uart = true, .e9 = false };
static struct spinlock console_lock = SPINLOCK_INIT;
static volatile bool panic_mode;

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

void log_set_sinks(struct log_sinks s)
{
	sinks = s;
}

void log_enter_panic(void)
{
	panic_mode = true;
}

static void console_write(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' && sinks.uart)
			uart_putc('\r');
		if (sinks.uart)
			uart_putc(*s);
		if (sinks.e9)
			outb(E9_PORT, (uint8_t)*s);
	}
}

/* Formats one line into line[LINE_MAX], newline-terminated. */
static void format_line(char *line, const char *fmt, va_list ap)
{
	int n = fmt_vsnprintf(line, LINE_MAX - 1, fmt, ap);

	if (n > LINE_MAX - 2)
		n = LINE_MAX - 2;
	if (n == 0 || line[n - 1] != '\n') {
		line[n] = '\n';
		line[n + 1] = '\0';
	}
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[LINE_MAX];

	if (lvl > log_level)
		return;
	format_line(line, fmt, ap);
	if (panic_mode) {
		console_write(line);
		return;
	}
	spin_lock(&console_lock);
	console_write(line);
	spin_unlock(&console_lock);
}

void log_try(enum log_level lvl, const char *fmt, ...)
{
	char line[LINE_MAX];
	va_list ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	format_line(line, fmt, ap);
	va_end(ap);
	if (panic_mode) {
		console_write(line);
	} else if (spin_trylock(&console_lock)) {
		console_write(line);
		spin_unlock(&console_lock);
	}
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void log_flush(void)
{
	if (sinks.uart)
		uart_flush();
}
