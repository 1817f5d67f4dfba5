/* Multiboot2 information parser (Multiboot2 specification 1.0, section 3.6). */
#include "boot/boot_info.h"
#include "boot/mb2_spec.h"

#include <stddef.h>

#include "boot/mmap_norm.h"
#include "core/fmt.h"

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t reserved;
};

/* UEFI 2.x, EFI_MEMORY_DESCRIPTOR */
struct efi_mem_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t num_pages;
	uint64_t attr;
};

enum efi_mem_type {
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BS_CODE = 3,
	EFI_BS_DATA = 4,
	EFI_CONVENTIONAL = 7,
	EFI_UNUSABLE = 8,
	EFI_ACPI_RECLAIM = 9,
	EFI_ACPI_NVS = 10,
};

#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36

static struct mem_region raw[BOOT_MMAP_RAW_MAX];
static char errbuf[160];

static void copy_str(char *dst, size_t cap, const char *src, size_t src_max)
{
	size_t i = 0;

	for (; i + 1 < cap && i < src_max && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

static void copy_bytes(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
}

static enum mem_type mb2_type(uint32_t t)
{
	switch (t) {
	case 1: return MEM_USABLE;
	case 3: return MEM_ACPI_RECLAIM;
	case 4: return MEM_ACPI_NVS;
	case 5: return MEM_BAD;
	default: return MEM_RESERVED;
	}
}

/* After ExitBootServices, loader and boot-services memory is free RAM. The
 * boot information and modules GRUB put there are reserved separately. */
static enum mem_type efi_type(uint32_t t)
{
	switch (t) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BS_CODE:
	case EFI_BS_DATA:
	case EFI_CONVENTIONAL: return MEM_USABLE;
	case EFI_ACPI_RECLAIM: return MEM_ACPI_RECLAIM;
	case EFI_ACPI_NVS: return MEM_ACPI_NVS;
	case EFI_UNUSABLE: return MEM_BAD;
	default: return MEM_RESERVED;
	}
}

static const char *fail(const char *what, uint64_t off)
{
	fmt_snprintf(errbuf, sizeof(errbuf), "boot: Multiboot2 info: %s (tag at offset %lu)", what,
		     (unsigned long)off);
	return errbuf;
}

static const char *parse_mmap(const struct mb2_tag *t, uint64_t off, unsigned *n)
{
	const uint32_t *hdr = (const uint32_t *)(t + 1);
	uint32_t esz;

	if (t->size < 16)
		return fail("memory map tag shorter than its header", off);
	esz = hdr[0];
	if (esz < sizeof(struct mb2_mmap_entry) || esz % 8)
		return fail("memory map tag has a bad entry size", off);
	for (uint64_t o = 16; o + esz <= t->size; o += esz) { /* 64-bit: no wrap */
		const struct mb2_mmap_entry *e = (const void *)((const uint8_t *)t + o);

		if (*n == BOOT_MMAP_RAW_MAX)
			return fail("memory map has too many entries", off);
		raw[(*n)++] = (struct mem_region){ e->base, e->len, mb2_type(e->type) };
	}
	return NULL;
}

static const char *parse_efi_mmap(const struct mb2_tag *t, uint64_t off, unsigned *n)
{
	const uint32_t *hdr = (const uint32_t *)(t + 1);
	uint32_t dsz;

	if (t->size < 16)
		return fail("EFI memory map tag shorter than its header", off);
	dsz = hdr[0];
	if (dsz < sizeof(struct efi_mem_desc))
		return fail("EFI memory map tag has a bad descriptor size", off);
	for (uint64_t o = 16; o + dsz <= t->size; o += dsz) { /* 64-bit: no wrap */
		const struct efi_mem_desc *d = (const void *)((const uint8_t *)t + o);

		if (*n == BOOT_MMAP_RAW_MAX)
			return fail("EFI memory map has too many entries", off);
		raw[(*n)++] = (struct mem_region){ d->phys_start, d->num_pages << 12,
						   efi_type(d->type) };
	}
	return NULL;
}

static const char *parse_module(const struct mb2_tag *t, uint64_t off, struct boot_info *bi)
{
	const uint32_t *m = (const uint32_t *)(t + 1);
	struct boot_module *mod;

	if (t->size < 17)
		return fail("module tag too short", off);
	if (m[1] < m[0])
		return fail("module ends before it starts", off);
	if (bi->mod_count == BOOT_MODS_MAX)
		return fail("too many modules", off);
	mod = &bi->mods[bi->mod_count++];
	mod->start = m[0];
	mod->end = m[1];
	copy_str(mod->name, sizeof(mod->name), (const char *)(m + 2), t->size - 16);
	return NULL;
}

/* Both map tags fill raw[]; the EFI map, the more precise one, replaces a
 * BIOS-style map and a later BIOS-style map is ignored. */
static const char *parse_tag(const struct mb2_tag *t, uint64_t off, struct boot_info *bi,
			     unsigned *nraw, bool *efi_seen)
{
	const uint8_t *body = (const uint8_t *)(t + 1);
	uint32_t blen = t->size - sizeof(*t);

	switch (t->type) {
	case MB2I_CMDLINE:
		copy_str(bi->cmdline, sizeof(bi->cmdline), (const char *)body, blen);
		return NULL;
	case MB2I_LOADER_NAME:
		copy_str(bi->loader, sizeof(bi->loader), (const char *)body, blen);
		return NULL;
	case MB2I_MODULE:
		return parse_module(t, off, bi);
	case MB2I_MMAP:
		return *efi_seen ? NULL : parse_mmap(t, off, nraw);
	case MB2I_EFI_MMAP:
		*efi_seen = true;
		*nraw = 0;
		return parse_efi_mmap(t, off, nraw);
	case MB2I_ACPI_OLD:
	case MB2I_ACPI_NEW: {
		unsigned len = t->type == MB2I_ACPI_NEW ? RSDP_V2_LEN : RSDP_V1_LEN;

		if (blen < len)
			return fail("ACPI RSDP tag too short", off);
		/* Prefer v2 (XSDT) when both are present. */
		if (bi->rsdp_len < len) {
			copy_bytes(bi->rsdp, body, len);
			bi->rsdp_len = len;
		}
		return NULL;
	}
	case MB2I_EFI_BS:
		return fail("EFI boot services were not exited (unsupported entry)", off);
	default:
		return NULL; /* tags we do not need */
	}
}

const char *mb2_parse(uint32_t magic, const void *info, uint64_t info_pa, struct boot_info *bi)
{
	const uint8_t *base = info;
	uint32_t total;
	unsigned nraw = 0;
	bool efi_seen = false, end_seen = false;
	int count;

	*bi = (struct boot_info){ 0 };
	if (magic != MB2_BOOT_MAGIC) {
		fmt_snprintf(errbuf, sizeof(errbuf),
			     "boot: not started by a Multiboot2 loader (magic 0x%x)", magic);
		return errbuf;
	}
	if (!info || (info_pa & 7))
		return fail("misaligned or null information pointer", 0);
	total = *(const uint32_t *)base;
	if (total < 16 || total > (1u << 24))
		return fail("implausible total size", 0);
	bi->info_pa = info_pa;
	bi->info_size = total;

	for (uint32_t off = 8; off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *t = (const void *)(base + off);
		const char *err;

		if (t->size < sizeof(*t))
			return fail("tag size smaller than its 8-byte header", off);
		if (t->size > total - off)
			return fail("tag size runs past the end", off);
		if (t->type == MB2I_END) {
			end_seen = true;
			break;
		}
		err = parse_tag(t, off, bi, &nraw, &efi_seen);
		if (err)
			return err;
		off += (t->size + 7) & ~7u;
	}
	if (!end_seen)
		return fail("no end tag", total);
	if (!nraw)
		return fail("no memory map tag (type 6 or 17)", total);
	bi->mmap_from_efi = efi_seen;
	count = mmap_normalize(raw, nraw, bi->mmap, BOOT_MMAP_MAX);
	if (count < 0)
		return fail("memory map too large after merging", total);
	bi->mmap_count = (unsigned)count;
	return NULL;
}

const char *mem_type_name(enum mem_type t)
{
	switch (t) {
	case MEM_USABLE: return "usable";
	case MEM_ACPI_RECLAIM: return "acpi-reclaim";
	case MEM_ACPI_NVS: return "acpi-nvs";
	case MEM_BAD: return "bad";
	default: return "reserved";
	}
}
