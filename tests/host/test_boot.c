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

static const struct bios_ent ram[] = { { 0, 0x9f000, 1, 0 }, { 0x100000, 0x7f00000, 1, 0 } };

/* Starts a blob, with a plain BIOS memory map if with_map. */
static void mb_begin(int with_map)
{
	memset(blob, 0, sizeof(blob));
	blen = 8;
	if (with_map)
		mb_bios_mmap(ram, 2);
}

/* Adds the end tag if asked, sets total_size, and parses an exact-size copy
 * at physical address copy + pa_add. */
static const char *finish_with(int end, uint32_t magic, uint64_t pa_add)
{
	uint8_t *copy;
	const char *err;

	if (end)
		mb_tag(0, NULL, 0);
	memcpy(blob, &blen, 4);
	copy = malloc(blen);
	memcpy(copy, blob, blen);
	err = mb2_parse(magic, copy, (uintptr_t)copy + pa_add, &bi);
	free(copy);
	return err;
}
#define finish(end) finish_with(end, MB2_BOOT_MAGIC, 0)

/* Each evaluates expr once: it usually builds and parses a blob. */
#define CHECK_OK(expr)                                                        \
	do {                                                                  \
		const char *e_ = (expr);                                      \
		CHECK(!e_, "unexpected error: %s", e_ ? e_ : "");             \
	} while (0)
#define CHECK_ERR(expr, word)                                                 \
	do {                                                                  \
		const char *e_ = (expr);                                      \
		CHECK(e_ && strstr(e_, word), "want an error with '%s', got '%s'", \
		      word, e_ ? e_ : "none");                                \
	} while (0)

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

	mb_begin(0);
	mb_bios_mmap(e, 6);
	CHECK_OK(finish(1));
	CHECK(bi.mmap_count == 6, "bios mmap count %u", bi.mmap_count);
	CHECK(!bi.mmap_from_efi, "bios map flagged as EFI");
	CHECK(bi.info_size == blen, "info_size %lu", (unsigned long)bi.info_size);
	for (unsigned i = 0; i < 6; i++)
		CHECK(region_is(i, e[(i + 1) % 6].base, 0x1000, want[i]),
		      "bios entry %u: base %#lx type %d", i, (unsigned long)bi.mmap[i].base,
		      bi.mmap[i].type);
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
	mb_begin(0);
	mb_efi_mmap(efi, NEFI, 48);
	check_efi_result(finish(1), "efi, descr_size 48");

	mb_begin(1);
	mb_efi_mmap(efi, NEFI, 40);
	check_efi_result(finish(1), "bios then efi");

	mb_begin(0);
	mb_efi_mmap(efi, NEFI, 56);
	mb_bios_mmap(ram, 2);
	check_efi_result(finish(1), "efi then bios");
}

static void test_strings_modules_rsdp(void)
{
	static char longline[700];
	uint8_t rsdp[36 + 20] = { 0 }; /* v2 image, then a distinct v1 image */
	uint8_t *t;

	mb_begin(1);
	mb_str(1, "serial=com2 loglevel=debug");
	mb_str(2, "GRUB 2.12");
	mb_module(0x200000, 0x201000, "guest.elf console=ttyS0");
	mb_module(0x300000, 0x300000, "");
	CHECK_OK(finish(1));
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
	for (unsigned i = 0; i < 20; i++)
		rsdp[36 + i] = i + 1;
	mb_begin(1);
	mb_str(1, longline);
	mb_str(2, longline);
	mb_module(0x200000, 0x201000, longline + 500);
	t = mb_tag(1, "abc", 3);
	memset(t + 11, 'X', 5);
	CHECK_OK(finish(1));
	CHECK(!strcmp(bi.cmdline, "abc"), "unterminated cmdline '%s'", bi.cmdline);
	CHECK(strlen(bi.loader) == sizeof(bi.loader) - 1, "loader len %zu", strlen(bi.loader));
	CHECK(strlen(bi.mods[0].name) == sizeof(bi.mods[0].name) - 1, "module name truncated");
	mb_begin(1);
	mb_str(1, longline);
	CHECK_OK(finish(1));
	CHECK(strlen(bi.cmdline) == BOOT_CMDLINE_MAX - 1, "cmdline len %zu", strlen(bi.cmdline));

	/* RSDP: v2 (36 bytes) is kept over v1 (20 bytes) in either order. */
	for (unsigned i = 0; i < 36; i++)
		rsdp[i] = 0x80 + i;
	for (int v2_first = 0; v2_first < 2; v2_first++) {
		mb_begin(1);
		mb_tag(v2_first ? 15 : 14, rsdp + (v2_first ? 0 : 36), v2_first ? 36 : 20);
		mb_tag(v2_first ? 14 : 15, rsdp + (v2_first ? 36 : 0), v2_first ? 20 : 36);
		CHECK_OK(finish(1));
		CHECK(bi.rsdp_len == 36 && !memcmp(bi.rsdp, rsdp, 36), "v2 RSDP wins (%d)", v2_first);
	}
	mb_begin(1);
	mb_tag(14, rsdp + 36, 20);
	CHECK_OK(finish(1));
	CHECK(bi.rsdp_len == 20 && !memcmp(bi.rsdp, rsdp + 36, 20), "v1 RSDP copied");
	mb_begin(1);
	mb_tag(15, rsdp, 20);
	CHECK_ERR(finish(1), "RSDP");
}

static void test_errors(void)
{
	struct bios_ent lots[BOOT_MMAP_MAX + 1];

	mb_begin(1);
	CHECK_ERR(finish_with(0, 0x2badb002, 0), "magic");
	CHECK_ERR(finish_with(1, MB2_BOOT_MAGIC, 4), "misaligned");

	mb_begin(0);
	CHECK_ERR(finish(0), "total size"); /* total_size 8 */

	mb_begin(1);
	memcpy(mb_tag(1, "x", 2) + 4, &(uint32_t){ 4096 }, 4);
	CHECK_ERR(finish(1), "runs past");

	mb_begin(1);
	memcpy(mb_tag(1, "x", 2) + 4, &(uint32_t){ 4 }, 4);
	CHECK_ERR(finish(1), "smaller than");

	mb_begin(1);
	CHECK_ERR(finish(0), "no end tag");

	mb_begin(0);
	mb_str(1, "no map");
	CHECK_ERR(finish(1), "no memory map");

	mb_begin(1);
	mb_module(0x201000, 0x200000, "backwards");
	CHECK_ERR(finish(1), "ends before");

	mb_begin(1);
	mb_tag(18, NULL, 0);
	CHECK_ERR(finish(1), "boot services");

	mb_begin(1);
	for (unsigned i = 0; i <= BOOT_MODS_MAX; i++)
		mb_module(0x200000 + i * 0x1000, 0x201000 + i * 0x1000, "m");
	CHECK_ERR(finish(1), "too many modules");

	/* Map tags too short for their own header, as the last bytes of the
	 * buffer (no end tag): the entry size must not be read past them. */
	for (uint32_t type = 6; type <= 17; type += 11) {
		mb_begin(0);
		mb_tag(type, NULL, 0);
		CHECK_ERR(finish(0), "shorter than its header");
	}
	mb_begin(0);
	mb_tag(6, &(uint32_t[8]){ 20, 0 }, 8 + 20);
	CHECK_ERR(finish(1), "entry size");
	mb_begin(0);
	mb_efi_mmap(efi, 1, 32);
	CHECK_ERR(finish(1), "descriptor size");

	/* An entry size so large that offset + size wraps 32 bits: no entry
	 * may be read (ASan watches the exact-size copy), so no map remains. */
	mb_begin(0);
	mb_tag(6, &(uint32_t[2]){ 0xfffffff8u, 0 }, 8);
	CHECK_ERR(finish(1), "no memory map");
	mb_begin(0);
	mb_tag(17, &(uint32_t[2]){ 0xfffffff8u, 1 }, 8);
	CHECK_ERR(finish(1), "no memory map");

	/* More disjoint regions than boot_info holds. */
	for (unsigned i = 0; i <= BOOT_MMAP_MAX; i++)
		lots[i] = (struct bios_ent){ i * 0x2000ull, 0x1000, 1, 0 };
	mb_begin(0);
	mb_bios_mmap(lots, BOOT_MMAP_MAX + 1);
	CHECK_ERR(finish(1), "too large");
}

#define R(b, l, t) { (b), (l), MEM_##t }

/* Normalises in[] with capacity cap and compares with want[]. */
static void norm(const char *what, const struct mem_region *in, unsigned n,
		 const struct mem_region *want, int nwant, unsigned cap)
{
	struct mem_region out[8];
	int got = mmap_normalize(in, n, out, cap);

	CHECK(got == nwant, "%s: count %d, want %d", what, got, nwant);
	for (int i = 0; i < got && i < nwant; i++)
		CHECK(out[i].base == want[i].base && out[i].len == want[i].len &&
		      out[i].type == want[i].type, "%s: region %d is [%#lx +%#lx type %d]", what,
		      i, (unsigned long)out[i].base, (unsigned long)out[i].len, out[i].type);
}
#define NORM(what, in, want, cap) norm(what, in, sizeof(in) / sizeof(in[0]), want, \
				       sizeof(want) / sizeof(want[0]), cap)

static void test_normalize(void)
{
	static const struct mem_region sort_in[] = {
		R(0x3000, 0x1000, USABLE), R(0x2000, 0x1000, RESERVED),
		R(0x1000, 0x1000, USABLE), R(0, 0x1000, USABLE), R(0x9000, 0x1000, USABLE),
	}, sort_out[] = {
		R(0, 0x2000, USABLE), R(0x2000, 0x1000, RESERVED), R(0x3000, 0x1000, USABLE),
		R(0x9000, 0x1000, USABLE),
	};
	static const struct mem_region ov_in[] = {
		R(0x8000, 0x10000, RESERVED), R(0, 0x10000, USABLE),
		R(0x20000, 0x2000, ACPI_NVS), R(0x21000, 0x2000, ACPI_RECLAIM),
		R(0x30000, 0x1000, USABLE), R(0x2f000, 0x3000, BAD),
	}, ov_out[] = {
		R(0, 0x8000, USABLE), R(0x8000, 0x10000, RESERVED), R(0x20000, 0x2000, ACPI_NVS),
		R(0x22000, 0x1000, ACPI_RECLAIM), R(0x2f000, 0x3000, BAD),
	};
	static const struct mem_region hole_in[] = {
		R(0, 0x100000, USABLE), R(0x40000, 0x1000, RESERVED),
	}, hole_out[] = {
		R(0, 0x40000, USABLE), R(0x40000, 0x1000, RESERVED), R(0x41000, 0xbf000, USABLE),
	};
	static const struct mem_region junk_in[] = {
		R(0x5000, 0, RESERVED), R(0, 0x10000, USABLE), R(0x8000, UINT64_MAX, RESERVED),
		R(0xfffffffffffff000ull, 0x2000, BAD),
	}, junk_out[] = { R(0, 0x10000, USABLE) };
	static struct mem_region raw[BOOT_MMAP_RAW_MAX + 1];

	NORM("sort and merge", sort_in, sort_out, 8);
	NORM("overlaps", ov_in, ov_out, 8);
	NORM("reserved hole", hole_in, hole_out, 8);
	NORM("zero-length and wrapping", junk_in, junk_out, 8);
	NORM("exact capacity", sort_in, sort_out, 4);
	norm("over capacity", sort_in, 5, NULL, -1, 3);
	norm("empty", NULL, 0, NULL, 0, 8);
	norm("too many raw entries", raw, BOOT_MMAP_RAW_MAX + 1, NULL, -1, 8);
}

int main(void)
{
	test_bios_mmap();
	test_efi_mmap();
	test_strings_modules_rsdp();
	test_errors();
	test_normalize();
	return check_summary();
}
