/* The loader config, HVLOADER.CFG next to BOOTX64.EFI (docs/boot.md): what
 * to load from the ESP and the command lines the hypervisor sees, one item a
 * line, mirroring grub.cfg's multiboot2 and module2 lines:
 *	hypervisor PATH [COMMAND LINE]
 *	module PATH [COMMAND LINE]
 * Blank lines and lines starting with '#' are skipped. Pure C, no firmware
 * calls, so it can be built and tested on the host. */
#ifndef BOOT_EFI_LCFG_H
#define BOOT_EFI_LCFG_H

#include <stddef.h>

#include "boot/boot_info.h"

#define LCFG_MODS_MAX BOOT_MODS_MAX /* what the hypervisor accepts */
#define LCFG_PATH_MAX 255           /* characters of a path */

struct lcfg_item {
	const char *path;    /* as written: '/' or '\' separators, ASCII */
	const char *cmdline; /* the rest of the line, "" if none */
	unsigned line;
};

struct lcfg {
	struct lcfg_item hv;
	struct lcfg_item mods[LCFG_MODS_MAX]; /* in file order */
	unsigned nmods;
};

struct lcfg_error {
	unsigned line;    /* 0: about the whole file */
	const char *msg;
	const char *text; /* the offending line, or "" */
};

/* Parses text[0..len) in place: lines and words are cut with NULs, so text
 * must have one writable byte past len. cfg points into text afterwards.
 * Returns 0, or -1 with *err filled. */
int lcfg_parse(char *text, size_t len, struct lcfg *cfg, struct lcfg_error *err);

#endif
