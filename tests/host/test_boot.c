/* Host unit test for boot/mb2.c and boot/mmap_norm.c. Multiboot2 information
 * blobs are built in memory, then parsed from an exact-size heap copy so that
 * ASan catches any read past total_size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot_info.h"
#include "boot/mmap_norm.h"
#include "tests/host/check.h"

static uint64_t blob[8192]; /* 64 KiB, 8-byte aligned */
static uint32_t blen;       /* bytes used so far */
static struct boot_info bi;

struct bios_ent {
	uint64_t base, len;
	uint32_t type, zero;
};

struct efi_desc {
	uint32_t type, pad;
	uint64_t phys, virt, pages, attr;
};

static void mb_begin(void)
{
	memset(blob, 0, sizeof(blob));
	blen = 8;
}

/* Appends a tag with plen payload bytes, padded to 8; returns the tag. */
static uint8_t *mb_tag(uint32_t type, const void *payload, uint32_t plen)
{
	uint8_t *t = (uint8_t *)blob + blen;
	uint32_t size = 8 + plen;

	memcpy(t, &type, 4);
	memcpy(t + 4, &size, 4);
	if (plen)
		memcpy(t + 8, payload, plen);
	blen += (size + 7) & ~7u;
	return t;
}

static void mb_str(uint32_t type, const char *s)
{
	mb_tag(type, s, strlen(s) + 1);
}

static void mb_module(uint32_t start, uint32_t end, const char *name)
{
	uint8_t p[256];
	uint32_t n = strlen(name) + 1;

	memcpy(p, &start, 4);
	memcpy(p + 4, &end, 4);
	memcpy(p + 8, name, n);
	mb_tag(3, p, 8 + n);
}

static void mb_bios_mmap(const struct bios_ent *e, unsigned n)
{
	static uint8_t p[8 + 24 * 1024];
	uint32_t hdr[2] = { 24, 0 };

	memcpy(p, hdr, 8);
	memcpy(p + 8, e, 24 * n);
	mb_tag(6, p, 8 + 24 * n);
}

/* dsize may exceed the struct: the extra bytes are filled with junk. */
static void mb_efi_mmap(const struct efi_desc *d, unsigned n, uint32_t dsize)
{
	static uint8_t p[8 + 64 * 16];
	uint32_t hdr[2] = { dsize, 1 };

	memset(p, 0xee, sizeof(p));
	memcpy(p, hdr, 8);
	for (unsigned i = 0; i < n; i++)
		memcpy(p + 8 + i * dsize, &d[i], sizeof(*d));
	mb_tag(17, p, 8 + n * dsize);
}

static void mb_default_mmap(void)
{
	static const struct bios_ent e[] = { { 0, 0x9f000, 1, 0 }, { 0x100000, 0x7f00000, 1, 0 } };

	mb_bios_mmap(e, 2);
}

static void mb_begin_mapped(void)
{
	mb_begin_mapped();
}

/* Adds the end tag (if asked) and sets total_size to what was built. */
static void mb_finish(int end)
{
	if (end)
		mb_tag(0, NULL, 0);
	memcpy(blob, &blen, 4);
}

static const char *parse_with(uint32_t magic, uint64_t pa_add)
{
	uint8_t *copy = malloc(blen);
	const char *err;

	memcpy(copy, blob, blen);
	err = mb2_parse(magic, copy, (uintptr_t)copy + pa_add, &bi);
	free(copy);
	return err;
}

static const char *parse(void)
{
	return parse_with(MB2_BOOT_MAGIC, 0);
}

#define CHECK_OK(err) CHECK(!(err), "unexpected error: %s", (err) ? (err) : "")
#define CHECK_ERR(err, word)                                                  \
	CHECK((err) && strstr((err), (word)), "want error mentioning '%s', got '%s'", (word), \
	      (err) ? (err) : "(none)")

static int region_is(unsigned i, uint64_t base, uint64_t len, enum mem_type t)
{
	return i < bi.mmap_count && bi.mmap[i].base == base && bi.mmap[i].len == len &&
	       bi.mmap[i].type == t;
}

static void test_bios_mmap(void)
{
	/* Unsorted, one entry per loader type, gaps so that nothing merges. */
	static const struct bios_ent e[] = {
		{ 0x50000, 0x1000, 7, 0 }, { 0x10000, 0x1000, 1, 0 }, { 0x20000, 0x1000, 2, 0 },
		{ 0x30000, 0x1000, 3, 0 }, { 0x40000, 0x1000, 4, 0 }, { 0x48000, 0x1000, 5, 0 },
	};
	static const enum mem_type want[] = { MEM_USABLE, MEM_RESERVED, MEM_ACPI_RECLAIM,
					      MEM_ACPI_NVS, MEM_BAD, MEM_RESERVED };
	const char *err;

	mb_begin();
	mb_bios_mmap(e, 6);
	mb_finish(1);
	err = parse();
	CHECK_OK(err);
	CHECK(bi.mmap_count == 6, "bios mmap count %u", bi.mmap_count);
	CHECK(!bi.mmap_from_efi, "bios map flagged as EFI");
	CHECK(bi.info_size == blen, "info_size %lu", (unsigned long)bi.info_size);
	for (unsigned i = 0; i < 6; i++)
		CHECK(region_is(i, e[(i + 1) % 6].base, 0x1000, want[i]),
		      "bios entry %u: base %#lx type %d", i, (unsigned long)bi.mmap[i].base,
		      bi.mmap[i].type);

	/* Overlapping loader entries come out normalised. */
	static const struct bios_ent ov[] = { { 0, 0x100000, 1, 0 }, { 0xf0000, 0x10000, 2, 0 } };

	mb_begin();
	mb_bios_mmap(ov, 2);
	mb_finish(1);
	err = parse();
	CHECK_OK(err);
	CHECK(bi.mmap_count == 2 && region_is(0, 0, 0xf0000, MEM_USABLE) &&
	      region_is(1, 0xf0000, 0x10000, MEM_RESERVED), "overlap via mb2_parse");
}

static const struct efi_desc efi[] = {
	{ 1, 0, 0x00000, 0, 1, 0 }, { 2, 0, 0x10000, 0, 1, 0 }, { 3, 0, 0x20000, 0, 1, 0 },
	{ 4, 0, 0x30000, 0, 1, 0 }, { 7, 0, 0x40000, 0, 16, 0 }, { 9, 0, 0x60000, 0, 1, 0 },
	{ 10, 0, 0x70000, 0, 1, 0 }, { 8, 0, 0x80000, 0, 1, 0 }, { 0, 0, 0x90000, 0, 1, 0 },
	{ 5, 0, 0xa0000, 0, 1, 0 }, { 6, 0, 0xb0000, 0, 1, 0 }, { 11, 0, 0xc0000, 0, 1, 0 },
};
#define NEFI (sizeof(efi) / sizeof(efi[0]))

static void check_efi_result(const char *err, const char *what)
{
	static const enum mem_type want[NEFI] = {
		MEM_USABLE, MEM_USABLE, MEM_USABLE, MEM_USABLE, MEM_USABLE, MEM_ACPI_RECLAIM,
		MEM_ACPI_NVS, MEM_BAD, MEM_RESERVED, MEM_RESERVED, MEM_RESERVED, MEM_RESERVED,
	};

	CHECK_OK(err);
	CHECK(bi.mmap_from_efi, "%s: mmap_from_efi not set", what);
	CHECK(bi.mmap_count == NEFI, "%s: count %u", what, bi.mmap_count);
	for (unsigned i = 0; i < NEFI; i++)
		CHECK(region_is(i, efi[i].phys, efi[i].pages << 12, want[i]),
		      "%s: EFI type %u -> type %d", what, efi[i].type, bi.mmap[i].type);
}

static void test_efi_mmap(void)
{
	mb_begin();
	mb_efi_mmap(efi, NEFI, 48);
	mb_finish(1);
	check_efi_result(parse(), "efi, descr_size 48");

	mb_begin_mapped();
	mb_efi_mmap(efi, NEFI, 40);
	mb_finish(1);
	check_efi_result(parse(), "bios then efi");

	mb_begin();
	mb_efi_mmap(efi, NEFI, 56);
	mb_default_mmap();
	mb_finish(1);
	check_efi_result(parse(), "efi then bios");
}

static void test_strings_modules_rsdp(void)
{
	static char longline[700];
	uint8_t rsdp1[20], rsdp2[36];
	uint8_t *t;

	mb_begin_mapped();
	mb_str(1, "serial=com2 loglevel=debug");
	mb_str(2, "GRUB 2.12");
	mb_module(0x200000, 0x201000, "guest.elf console=ttyS0");
	mb_module(0x300000, 0x300000, "");
	mb_finish(1);
	CHECK_OK(parse());
	CHECK(!strcmp(bi.cmdline, "serial=com2 loglevel=debug"), "cmdline '%s'", bi.cmdline);
	CHECK(!strcmp(bi.loader, "GRUB 2.12"), "loader '%s'", bi.loader);
	CHECK(bi.mod_count == 2, "mod_count %u", bi.mod_count);
	CHECK(bi.mods[0].start == 0x200000 && bi.mods[0].end == 0x201000, "module 0 range");
	CHECK(!strcmp(bi.mods[0].name, "guest.elf console=ttyS0"), "module 0 '%s'", bi.mods[0].name);
	CHECK(bi.mods[1].start == 0x300000 && !bi.mods[1].name[0], "empty module");
	CHECK(bi.rsdp_len == 0, "rsdp_len %u without a tag", bi.rsdp_len);

	/* Over-long strings are truncated; a string that is not NUL-terminated
	 * within its tag stops at the tag end, whatever the padding holds. */
	memset(longline, 'a', sizeof(longline) - 1);
	mb_begin_mapped();
	mb_str(1, longline);
	mb_str(2, longline);
	mb_module(0x200000, 0x201000, longline + 500);
	t = mb_tag(1, "abc", 3);
	memset(t + 11, 'X', 5);
	mb_finish(1);
	CHECK_OK(parse());
	CHECK(!strcmp(bi.cmdline, "abc"), "unterminated cmdline '%s'", bi.cmdline);
	CHECK(strlen(bi.loader) == sizeof(bi.loader) - 1, "loader len %zu", strlen(bi.loader));
	CHECK(strlen(bi.mods[0].name) == sizeof(bi.mods[0].name) - 1, "module name truncated");
	mb_begin_mapped();
	mb_str(1, longline);
	mb_finish(1);
	CHECK_OK(parse());
	CHECK(strlen(bi.cmdline) == BOOT_CMDLINE_MAX - 1, "cmdline len %zu", strlen(bi.cmdline));

	for (unsigned i = 0; i < 36; i++) {
		rsdp2[i] = 0x80 + i;
		if (i < 20)
			rsdp1[i] = i + 1;
	}
	for (int order = 0; order < 2; order++) {
		mb_begin();
		mb_default_mmap();
		mb_tag(order ? 14 : 15, order ? (void *)rsdp1 : rsdp2, order ? 20 : 36);
		mb_tag(order ? 15 : 14, order ? (void *)rsdp2 : rsdp1, order ? 36 : 20);
		mb_finish(1);
		CHECK_OK(parse());
		CHECK(bi.rsdp_len == 36 && !memcmp(bi.rsdp, rsdp2, 36), "v2 RSDP wins (order %d)",
		      order);
	}
	mb_begin_mapped();
	mb_tag(14, rsdp1, 20);
	mb_finish(1);
	CHECK_OK(parse());
	CHECK(bi.rsdp_len == 20 && !memcmp(bi.rsdp, rsdp1, 20), "v1 RSDP copied");
	mb_begin_mapped();
	mb_tag(15, rsdp2, 20);
	mb_finish(1);
	CHECK_ERR(parse(), "RSDP");
}

static void test_errors(void)
{
	struct bios_ent lots[BOOT_MMAP_MAX + 1];
	uint32_t bad_size = 4;

	mb_begin_mapped();
	mb_finish(1);
	CHECK_ERR(parse_with(0x2badb002, 0), "magic");
	CHECK_ERR(parse_with(MB2_BOOT_MAGIC, 4), "misaligned");

	mb_begin();
	mb_finish(0);
	CHECK_ERR(parse(), "total size"); /* total_size 8 */

	mb_begin_mapped();
	mb_str(1, "x");
	mb_finish(1);
	memcpy((uint8_t *)blob + 8 + 4, &(uint32_t){ 4096 }, 4); /* mmap tag too big */
	CHECK_ERR(parse(), "runs past");

	mb_begin_mapped();
	memcpy(mb_tag(1, "x", 2) + 4, &bad_size, 4);
	mb_finish(1);
	CHECK_ERR(parse(), "smaller than");

	mb_begin_mapped();
	mb_finish(0);
	CHECK_ERR(parse(), "no end tag");

	mb_begin();
	mb_str(1, "no map");
	mb_finish(1);
	CHECK_ERR(parse(), "no memory map");

	mb_begin_mapped();
	mb_module(0x201000, 0x200000, "backwards");
	mb_finish(1);
	CHECK_ERR(parse(), "ends before");

	mb_begin_mapped();
	mb_tag(18, NULL, 0);
	mb_finish(1);
	CHECK_ERR(parse(), "boot services");

	mb_begin_mapped();
	for (unsigned i = 0; i <= BOOT_MODS_MAX; i++)
		mb_module(0x200000 + i * 0x1000, 0x201000 + i * 0x1000, "m");
	mb_finish(1);
	CHECK_ERR(parse(), "too many modules");

	/* Map tags too short for their own header, as the last bytes of the
	 * buffer (no end tag): the entry size must not be read past them. */
	for (uint32_t type = 6; type <= 17; type += 11) {
		mb_begin();
		mb_tag(type, NULL, 0);
		mb_finish(0);
		CHECK_ERR(parse(), "bad");
	}
	mb_begin();
	mb_tag(6, &(uint32_t[8]){ 20, 0 }, 8 + 20);
	mb_finish(1);
	CHECK_ERR(parse(), "entry size");
	mb_begin();
	mb_efi_mmap(efi, 1, 32);
	mb_finish(1);
	CHECK_ERR(parse(), "descriptor size");

	/* More disjoint regions than boot_info holds. */
	for (unsigned i = 0; i <= BOOT_MMAP_MAX; i++)
		lots[i] = (struct bios_ent){ i * 0x2000ull, 0x1000, 1, 0 };
	mb_begin();
	mb_bios_mmap(lots, BOOT_MMAP_MAX + 1);
	mb_finish(1);
	CHECK_ERR(parse(), "too large");
}
