#include "boot/efi/lcfg.h"

#include <stdbool.h>

_Static_assert(LCFG_MODS_MAX == 32, "the 'more modules' message names the limit");

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The end of the word at s; *next: the start of the word after it. */
static char *word_end(char *s, char **next)
{
	char *e = s;

	while (*e && !is_space(*e))
		e++;
	for (*next = e; is_space(**next); (*next)++)
		;
	return e;
}

static bool word_is(const char *w, const char *end, const char *kw)
{
	while (w < end && *kw && *w == *kw) {
		w++;
		kw++;
	}
	return w == end && !*kw;
}

/* Editors on Windows may start the file with a UTF-8 byte order mark. */
static size_t bom_len(const char *t, size_t len)
{
	return len >= 3 && (unsigned char)t[0] == 0xef && (unsigned char)t[1] == 0xbb &&
	       (unsigned char)t[2] == 0xbf ? 3 : 0;
}

static int fail(struct lcfg_error *err, unsigned line, const char *msg, const char *text)
{
	*err = (struct lcfg_error){ line, msg, text };
	return -1;
}

/* Paths and command lines reach UCS-2 firmware calls and the hypervisor's
 * ASCII parsers: only printable ASCII and tabs are taken. */
static bool line_is_ascii(const char *s, const char *end)
{
	for (; s < end; s++)
		if ((*s < 0x20 && *s != '\t') || *s > 0x7e)
			return false;
	return true;
}

/* Words are cut with NULs only once the line is known good, so that an
 * error can show the whole line. */
static int parse_line(char *s, unsigned n, struct lcfg *cfg, bool *have_hv, struct lcfg_error *err)
{
	char *kw_end, *path, *path_end, *rest;
	struct lcfg_item *it;

	kw_end = word_end(s, &path);
	path_end = word_end(path, &rest);
	if (word_is(s, kw_end, "hypervisor")) {
		if (*have_hv)
			return fail(err, n, "a second 'hypervisor' line", s);
		it = &cfg->hv;
	} else if (word_is(s, kw_end, "module")) {
		if (cfg->nmods == LCFG_MODS_MAX)
			return fail(err, n, "more modules than the hypervisor takes (32)", s);
		it = &cfg->mods[cfg->nmods];
	} else {
		return fail(err, n, "expected 'hypervisor PATH [CMDLINE]' or 'module PATH [CMDLINE]'", s);
	}
	if (path == path_end)
		return fail(err, n, "no file path", s);
	if (path_end - path > LCFG_PATH_MAX)
		return fail(err, n, "path longer than 255 characters", s);
	if (it == &cfg->hv)
		*have_hv = true;
	else
		cfg->nmods++;
	*kw_end = '\0';
	*path_end = '\0';
	*it = (struct lcfg_item){ path, rest, n };
	return 0;
}

int lcfg_parse(char *text, size_t len, struct lcfg *cfg, struct lcfg_error *err)
{
	bool have_hv = false;
	unsigned n = 0;
	size_t i = bom_len(text, len);

	*cfg = (struct lcfg){ 0 };
	text[len] = '\0';
	while (i < len) {
		char *s = text + i, *e = s;

		n++;
		while (e < text + len && *e != '\n')
			e++;
		i = (size_t)(e - text) + 1;
		*e = '\0';
		while (e > s && (is_space(e[-1]) || e[-1] == '\r'))
			*--e = '\0';
		while (s < e && is_space(*s))
			s++;
		if (s == e || *s == '#')
			continue;
		if (!line_is_ascii(s, e))
			return fail(err, n, "a byte that is not printable ASCII", "");
		if (parse_line(s, n, cfg, &have_hv, err))
			return -1;
	}
	if (!have_hv)
		return fail(err, 0, "no 'hypervisor PATH [CMDLINE]' line", "");
	return 0;
}
