/* Host unit test for core/cmdline.c: defaults, every option and value, and
 * how malformed or unknown options are reported. */
#include <string.h>

#include "core/cmdline.h"
#include "drivers/uart8250.h"
#include "tests/host/check.h"

static struct hv_options o;
static char err[512];

static int parse(const char *line)
{
	memset(&o, 0xa5, sizeof(o)); /* every field must be set by the parser */
	memset(err, 'Z', sizeof(err));
	return cmdline_parse(line, &o, err, sizeof(err));
}

static int is_default(void)
{
	return o.uart_port == UART_COM1 && o.uart_baud == 115200 && !o.e9 &&
	       o.loglevel == LOG_INFO && o.on_idle == ACT_HALT && o.on_panic == ACT_HALT &&
	       o.debug_fault == FAULT_NONE;
}

static void test_defaults(void)
{
	CHECK(parse(NULL) == 0 && is_default() && !err[0], "NULL cmdline");
	CHECK(parse("") == 0 && is_default() && !err[0], "empty cmdline");
	CHECK(parse("    ") == 0 && is_default() && !err[0], "blank cmdline");
	CHECK(UART_COM1 == 0x3f8, "COM1 is 0x3f8");
}

static void test_options(void)
{
	static const struct {
		const char *name;
		int val;
	} levels[] = { { "err", LOG_ERR }, { "warn", LOG_WARN }, { "info", LOG_INFO },
		       { "debug", LOG_DEBUG } },
	  actions[] = { { "halt", ACT_HALT }, { "poweroff", ACT_POWEROFF }, { "reboot", ACT_REBOOT } },
	  faults[] = { { "pf", FAULT_PF }, { "gp", FAULT_GP }, { "ud", FAULT_UD }, { "de", FAULT_DE } };
	char line[64];

	for (unsigned i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "loglevel=%s", levels[i].name);
		CHECK(parse(line) == 0 && (int)o.loglevel == levels[i].val, "%s", line);
		snprintf(line, sizeof(line), "debug_fault=%s", faults[i].name);
		CHECK(parse(line) == 0 && (int)o.debug_fault == faults[i].val, "%s", line);
	}
	for (unsigned i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "on_idle=%s", actions[i].name);
		CHECK(parse(line) == 0 && (int)o.on_idle == actions[i].val &&
		      o.on_panic == ACT_HALT, "%s", line);
		snprintf(line, sizeof(line), "on_panic=%s", actions[i].name);
		CHECK(parse(line) == 0 && (int)o.on_panic == actions[i].val &&
		      o.on_idle == ACT_HALT, "%s", line);
	}
	CHECK(parse("e9") == 0 && o.e9, "e9");
	CHECK(!strcmp(hv_action_name(ACT_POWEROFF), "poweroff") &&
	      !strcmp(hv_action_name(ACT_REBOOT), "reboot") &&
	      !strcmp(hv_action_name(ACT_HALT), "halt"), "hv_action_name");

	/* Several at once, any spacing; the last of a repeated option wins. */
	CHECK(parse("  e9   loglevel=warn on_idle=poweroff  on_panic=reboot loglevel=err ") == 0,
	      "combined line: %s", err);
	CHECK(o.e9 && o.loglevel == LOG_ERR && o.on_idle == ACT_POWEROFF &&
	      o.on_panic == ACT_REBOOT && o.uart_port == UART_COM1, "combined values");
}

static void test_serial(void)
{
	CHECK(parse("serial=com2,9600") == 0 && o.uart_port == 0x2f8 && o.uart_baud == 9600,
	      "com2,9600: port %#x baud %u", o.uart_port, o.uart_baud);
	CHECK(parse("serial=com3") == 0 && o.uart_port == 0x3e8 && o.uart_baud == 115200, "com3");
	CHECK(parse("serial=com4,57600") == 0 && o.uart_port == 0x2e8 && o.uart_baud == 57600,
	      "com4,57600");
	CHECK(parse("serial=0x2f8") == 0 && o.uart_port == 0x2f8 && o.uart_baud == 115200,
	      "0x2f8: port %#x", o.uart_port);
	CHECK(parse("serial=0X3E8,115200") == 0 && o.uart_port == 0x3e8, "upper-case hex port");
	CHECK(parse("serial=1016") == 0 && o.uart_port == 0x3f8, "decimal port");
	CHECK(parse("serial=off") == 0 && o.uart_port == 0, "off: port %#x", o.uart_port);
	CHECK(parse("serial=com1,1") == 0 && o.uart_baud == 1, "baud 1 (divisor 115200)");

	static const char *const bad[] = {
		"serial=com1,9601",  "serial=com1,0",	  "serial=com1,230400", "serial=com1,",
		"serial=com1,96x",   "serial=com5",	  "serial=0",		"serial=0x10000",
		"serial=0x",	     "serial=0x2fg",	  "serial=",		"serial",
		"serial=com2,-9600",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse(bad[i]) == 1 && is_default(), "'%s' accepted", bad[i]);
		CHECK(strstr(err, "serial") && strstr(err, bad[i]), "'%s' message: %s", bad[i], err);
	}
}

static void test_problems(void)
{
	char longline[200], small[16];
	int n;

	/* Unknown or malformed options are counted; later ones still apply. */
	n = parse("bogus loglevel=loud on_idle= e9=1 =x loglevel=debug on_panic=poweroff");
	CHECK(n == 5, "problems %d, want 5: %s", n, err);
	CHECK(o.loglevel == LOG_DEBUG && o.on_panic == ACT_POWEROFF && !o.e9,
	      "options after problems");
	CHECK(strstr(err, "'bogus'") && strstr(err, "'loglevel=loud'") && strstr(err, "'on_idle='") &&
	      strstr(err, "'e9=1'") && strstr(err, "'=x'"), "messages: %s", err);
	CHECK(strlen(err) < sizeof(err) && err[strlen(err) - 1] == '\n', "one line each");
	CHECK(parse("LOGLEVEL=info loglevel=INFO") == 2, "names are case-sensitive");

	/* A token longer than the parser's buffer is rejected as a whole, not
	 * truncated into something that parses; the next token still applies. */
	memcpy(longline, "serial=com2,", 12);
	memset(longline + 12, '0', 50); /* baud 0...01777: 63 chars would read 1 */
	strcpy(longline + 62, "1777 loglevel=warn");
	CHECK(parse(longline) == 1 && o.uart_port == UART_COM1 && o.uart_baud == 115200,
	      "over-long token: port %#x baud %u", o.uart_port, o.uart_baud);
	CHECK(o.loglevel == LOG_WARN, "option after an over-long token");
	CHECK(strlen(err) < sizeof(err), "long token message fits");
	memset(longline, 'q', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	CHECK(parse(longline) == 1 && is_default(), "199-char token");

	/* A small err buffer holds a truncated, NUL-terminated first message. */
	memset(small, 'Z', sizeof(small));
	n = cmdline_parse("bogus1 bogus2 e9 bogus3", &o, small, sizeof(small));
	CHECK(n == 3 && o.e9, "problems with small buffer: %d", n);
	CHECK(memchr(small, '\0', sizeof(small)) && strlen(small) == sizeof(small) - 1,
	      "small buffer: '%.16s'", small);
	CHECK(!strncmp(small, "cmdline: bad op", sizeof(small) - 1), "small: '%s'", small);
	n = cmdline_parse("bogus", &o, small, 1);
	CHECK(n == 1 && small[0] == '\0', "one-byte buffer");
	n = cmdline_parse("bogus e9", &o, NULL, 0);
	CHECK(n == 1 && o.e9, "no err buffer");
}

int main(void)
{
	test_defaults();
	test_options();
	test_serial();
	test_problems();
	return check_summary();
}
