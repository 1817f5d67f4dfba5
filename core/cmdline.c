#include "core/cmdline.h"

#include <stddef.h>

#include "core/fmt.h"
#include "drivers/uart8250.h"

#define TOKEN_MAX 64

struct name_val {
	const char *name;
	int val;
};

static const struct name_val actions[] = {
	{ "halt", ACT_HALT }, { "poweroff", ACT_POWEROFF }, { "reboot", ACT_REBOOT }, { NULL, 0 },
};
static const struct name_val levels[] = {
	{ "err", LOG_ERR }, { "warn", LOG_WARN }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	{ NULL, 0 },
};
static const struct name_val faults[] = {
	{ "pf", FAULT_PF }, { "gp", FAULT_GP }, { "ud", FAULT_UD }, { "de", FAULT_DE },
	{ "stack", FAULT_STACK }, { "double_free", FAULT_DOUBLE_FREE },
	{ "foreign_free", FAULT_FOREIGN_FREE }, { "triple", FAULT_TRIPLE }, { NULL, 0 },
};
static const struct name_val ports[] = {
	{ "com1", UART_COM1 }, { "com2", UART_COM2 }, { "com3", UART_COM3 }, { "com4", UART_COM4 },
	{ "off", 0 }, { NULL, 0 },
};

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static bool lookup(const struct name_val *t, const char *s, int *out)
{
	for (; t->name; t++) {
		if (streq(t->name, s)) {
			*out = t->val;
			return true;
		}
	}
	return false;
}

/* Parses decimal or 0x-prefixed hex; false on junk or overflow past max. */
static bool parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		v = v * base + d;
		if (v > max)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool parse_serial(char *val, struct hv_options *o)
{
	char *comma = val;
	uint32_t port = 0, baud = UART_DEFAULT_BAUD;
	bool has_baud, ok;
	int named;

	while (*comma && *comma != ',')
		comma++;
	has_baud = *comma == ',';
	if (has_baud)
		*comma = '\0'; /* ends the port; put back below for error messages */
	ok = !has_baud || (parse_uint(comma + 1, UART_DEFAULT_BAUD, &baud) && baud &&
			   UART_DEFAULT_BAUD % baud == 0);
	if (ok && lookup(ports, val, &named))
		port = (uint32_t)named;
	else if (ok)
		ok = parse_uint(val, 0xffff, &port) && port;
	if (has_baud)
		*comma = ',';
	if (!ok)
		return false;
	o->uart_port = (uint16_t)port;
	o->uart_baud = baud;
	return true;
}

static bool apply(char *key, char *val, struct hv_options *o)
{
	int v;

	if (streq(key, "e9") && !val) {
		o->e9 = true;
		return true;
	}
	if (!val)
		return false;
	if (streq(key, "serial"))
		return parse_serial(val, o);
	if (streq(key, "debug_bad_guest")) {
		unsigned i = 0;

		for (; val[i] && i + 1 < sizeof(o->debug_bad_guest); i++)
			o->debug_bad_guest[i] = val[i];
		o->debug_bad_guest[i] = '\0';
		return !val[i];
	}
	if (streq(key, "loglevel") && lookup(levels, val, &v))
		o->loglevel = (enum log_level)v;
	else if (streq(key, "on_idle") && lookup(actions, val, &v)) {
		o->on_idle = (enum hv_action)v;
		o->on_idle_set = true;
	}
	else if (streq(key, "on_panic") && lookup(actions, val, &v))
		o->on_panic = (enum hv_action)v;
	else if (streq(key, "debug_fault") && lookup(faults, val, &v))
		o->debug_fault = (enum debug_fault)v;
	else
		return false;
	return true;
}

int cmdline_parse(const char *cmdline, struct hv_options *o, char *err, unsigned err_size)
{
	unsigned elen = 0;
	int problems = 0;

	*o = (struct hv_options){
		.uart_port = UART_COM1,
		.uart_baud = UART_DEFAULT_BAUD,
		.loglevel = LOG_INFO,
		.on_idle = ACT_HALT,
		.on_panic = ACT_HALT,
	};
	if (err_size)
		err[0] = '\0';
	while (cmdline && *cmdline) {
		char tok[TOKEN_MAX];
		char *val = NULL;
		unsigned n = 0;
		bool too_long = false;

		while (*cmdline == ' ')
			cmdline++;
		if (!*cmdline)
			break;
		for (; *cmdline && *cmdline != ' '; cmdline++) {
			if (n + 1 < sizeof(tok))
				tok[n++] = *cmdline;
			else
				too_long = true; /* rejected below, never applied truncated */
		}
		tok[n] = '\0';
		for (unsigned i = 0; i < n; i++) {
			if (tok[i] == '=') {
				tok[i] = '\0';
				val = &tok[i + 1];
				break;
			}
		}
		if (!too_long && apply(tok, val, o))
			continue;
		problems++;
		if (elen < err_size)
			elen += fmt_snprintf(err + elen, err_size - elen,
					     "cmdline: bad option '%s%s%s%s' ignored\n", tok,
					     val ? "=" : "", val ? val : "", too_long ? "..." : "");
	}
	return problems;
}

const char *hv_action_name(enum hv_action a)
{
	return a == ACT_POWEROFF ? "poweroff" : a == ACT_REBOOT ? "reboot" : "halt";
}
