/* Host unit test for boot/efi/lcfg.c: the GNU-EFI loader's HVLOADER.CFG. */
#include <stdio.h>
#include <string.h>

#include "boot/efi/lcfg.h"
#include "tests/host/check.h"

static char buf[8192];
static struct lcfg cfg;
static struct lcfg_error err;

static int parse(const char *text)
{
	size_t n = strlen(text);

	memcpy(buf, text, n);
	memset(&err, 0, sizeof(err));
	return lcfg_parse(buf, n, &cfg, &err);
}

#define BAD(text, line_want, msg_want)                                                     \
	CHECK(parse(text) == -1 && err.line == (line_want) && err.msg &&                   \
		      !strcmp(err.msg, msg_want),                                          \
	      "%s: got line %u '%s'", #text, err.line, err.msg ? err.msg : "(none)")

static void test_good(void)
{
	CHECK(parse("\xef\xbb\xbf# comment\r\n\n  hypervisor \\hv\\hv.elf  on_idle=poweroff loglevel=debug \r\n"
		    "module /hv/modules/partitions.cfg partitions.cfg\n\tmodule hv/x.bin\n") == 0,
	      "good file: %s", err.msg ? err.msg : "");
	CHECK(!strcmp(cfg.hv.path, "\\hv\\hv.elf") && !strcmp(cfg.hv.cmdline, "on_idle=poweroff loglevel=debug") &&
		      cfg.hv.line == 3,
	      "hypervisor path, command line without trailing blanks, line (%u)", cfg.hv.line);
	CHECK(cfg.nmods == 2 && !strcmp(cfg.mods[0].path, "/hv/modules/partitions.cfg") &&
		      !strcmp(cfg.mods[0].cmdline, "partitions.cfg") && !strcmp(cfg.mods[1].path, "hv/x.bin") &&
		      !strcmp(cfg.mods[1].cmdline, "") && cfg.mods[1].line == 5,
	      "modules in order, empty command line");
	CHECK(parse("module a\nhypervisor h") == 0 && cfg.nmods == 1 && !strcmp(cfg.hv.path, "h"),
	      "module before the hypervisor line, no final newline");
}

static void test_bad(void)
{
	char many[4096];
	size_t n = 0;

	BAD("", 0, "no 'hypervisor PATH [CMDLINE]' line");
	BAD("# only a comment\n", 0, "no 'hypervisor PATH [CMDLINE]' line");
	BAD("hypervisor a\nhypervisor b\n", 2, "a second 'hypervisor' line");
	BAD("hypervisor a\nkernel b\n", 2, "expected 'hypervisor PATH [CMDLINE]' or 'module PATH [CMDLINE]'");
	BAD("hypervisorx a\n", 1, "expected 'hypervisor PATH [CMDLINE]' or 'module PATH [CMDLINE]'");
	BAD("hypervisor\n", 1, "no file path");
	BAD("hypervisor a\nmodule   \n", 2, "no file path");
	BAD("hypervisor a\nmodule b\xc3\xa9\n", 2, "a byte that is not printable ASCII");
	CHECK(parse("hypervisor a\x01 b\n") == -1 && err.line == 1, "control byte refused");
	{
		char t[600] = "hypervisor ";

		memset(t + 11, 'p', 256);
		t[267] = '\0';
		BAD(t, 1, "path longer than 255 characters");
		t[266] = '\0';
		CHECK(parse(t) == 0, "255-character path accepted: %s", err.msg ? err.msg : "");
	}
	n += (size_t)snprintf(many + n, sizeof(many) - n, "hypervisor h\n");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "module m%d\n", i);
	BAD(many, 34, "more modules than the hypervisor takes (32)");
	{
		static const char nul[] = "hypervisor a\nmodule b\0c\n";

		memcpy(buf, nul, sizeof(nul) - 1);
		CHECK(lcfg_parse(buf, sizeof(nul) - 1, &cfg, &err) == -1 && err.line == 2,
		      "a NUL inside a line is refused");
	}
}

int main(void)
{
	test_good();
	test_bad();
	return check_summary();
}
