/* The Multiboot2 information (Multiboot2 specification 1.0, 3.6) with the
 * tags GRUB 2.06 gives a plain i386 kernel on UEFI: command line, loader
 * name, modules, EFI64 system table, ACPI RSDP old and new, load base
 * address (relocatable images); then the EFI memory map, the Multiboot
 * memory map derived from it and basic meminfo, which only exist once boot
 * services are gone (mbi_finish). One block: the fixed tags, then room for
 * the largest memory map GetMemoryMap may write straight into tag 17. */
#include "boot/efi/hvloader.h"
#include "boot/mb2_spec.h"

#define LOADER_NAME "hvloader (GNU-EFI)"
#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_V2_MIN 36
#define ACPI_RSDP_MAX    256 /* a length field beyond this is not believed */
#define MMAP_ENTRY       24  /* base, length, type, reserved */
#define LOW_MEM_TOP      0xa0000ull  /* 640 KiB */
#define HIGH_MEM         0x100000ull /* 1 MiB */

/* Multiboot memory map types. */
enum mb2_mem { MB2_MEM_AVAILABLE = 1, MB2_MEM_RESERVED = 2, MB2_MEM_ACPI = 3, MB2_MEM_NVS = 4,
	       MB2_MEM_BAD = 5 };

/* Tags are written at base + at; with base NULL they are only measured, so
 * that one function sizes the block and fills it. */
struct writer {
	UINT8 *base;
	UINT64 at;
};

static UINT8 *put_tag(struct writer *w, UINT32 type, UINT64 size)
{
	UINT8 *t = w->base ? w->base + w->at : NULL;

	if (t) {
		*(UINT32 *)t = type;
		*(UINT32 *)(t + 4) = (UINT32)size;
	}
	w->at += (size + 7) & ~7ull;
	return t;
}

static void put_str(struct writer *w, UINT32 type, const char *s)
{
	UINT64 n = strlena((CHAR8 *)s) + 1;
	UINT8 *t = put_tag(w, type, 8 + n);

	if (t)
		CopyMem(t + 8, (void *)s, n);
}

static void put_module(struct writer *w, const struct hvl_blob *m, const char *cmdline)
{
	UINT64 n = strlena((CHAR8 *)cmdline) + 1;
	UINT8 *t = put_tag(w, MB2I_MODULE, 16 + n);

	if (!t)
		return;
	*(UINT32 *)(t + 8) = (UINT32)m->pa;
	*(UINT32 *)(t + 12) = (UINT32)(m->pa + m->size); /* one past the end, as GRUB */
	CopyMem(t + 16, (void *)cmdline, n);
}

static const UINT8 *config_table(EFI_GUID guid)
{
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
		if (!CompareGuid(&ST->ConfigurationTable[i].VendorGuid, &guid))
			return ST->ConfigurationTable[i].VendorTable;
	return NULL;
}

static BOOLEAN is_rsdp(const UINT8 *p)
{
	return p && !CompareMem((void *)p, "RSD PTR ", 8);
}

/* The RSDPs the firmware publishes: v1 under the ACPI 1.0 GUID, v2 under
 * the ACPI 2.0 one (each tag only if that table is there, as GRUB does). */
static void put_acpi(struct writer *w)
{
	const UINT8 *v1 = config_table((EFI_GUID)ACPI_TABLE_GUID);
	const UINT8 *v2 = config_table((EFI_GUID)ACPI_20_TABLE_GUID);
	UINT8 *t;

	if (is_rsdp(v1) && (t = put_tag(w, MB2I_ACPI_OLD, 8 + ACPI_RSDP_V1_LEN)))
		CopyMem(t + 8, (void *)v1, ACPI_RSDP_V1_LEN);
	if (is_rsdp(v2)) {
		UINT32 len = *(const UINT32 *)(v2 + 20);

		if (len < ACPI_RSDP_V2_MIN || len > ACPI_RSDP_MAX)
			len = ACPI_RSDP_V2_MIN;
		t = put_tag(w, MB2I_ACPI_NEW, 8 + len);
		if (t)
			CopyMem(t + 8, (void *)v2, len);
	}
}

static void put_fixed(struct writer *w, const struct lcfg *cfg, const struct hvl_blob *mods,
		      const struct hv_image *img)
{
	UINT8 *t;

	put_str(w, MB2I_CMDLINE, cfg->hv.cmdline);
	put_str(w, MB2I_LOADER_NAME, LOADER_NAME);
	for (unsigned i = 0; i < cfg->nmods; i++)
		put_module(w, &mods[i], cfg->mods[i].cmdline);
	if ((t = put_tag(w, MB2I_EFI64, 16)))
		*(UINT64 *)(t + 8) = (UINT64)ST;
	put_acpi(w);
	if (img->relocatable && (t = put_tag(w, MB2I_LOAD_BASE, 12)))
		*(UINT32 *)(t + 8) = (UINT32)img->load_base;
}

EFI_STATUS mbi_build(const struct lcfg *cfg, const struct hvl_blob *mods,
		     const struct hv_image *img, UINTN map_cap, UINTN desc_size, struct mbi *mbi)
{
	struct writer w = { NULL, 8 }; /* after total_size and reserved */
	UINT64 size, pa;
	EFI_STATUS st;

	put_fixed(&w, cfg, mods, img);
	/* + 8: tag 17 rounded up if descriptors were not a multiple of 8 */
	size = w.at + 16 + map_cap + 8 + 16 + map_cap / desc_size * MMAP_ENTRY + 16 + 8;
	st = mem_alloc_low(size, EfiLoaderData, &pa);
	if (EFI_ERROR(st)) {
		Print(L"hvloader: no room below 4 GiB for %ld bytes of Multiboot2 information (%r)\n",
		      size, st);
		return st;
	}
	ZeroMem((void *)pa, size);
	w = (struct writer){ (UINT8 *)pa, 8 };
	put_fixed(&w, cfg, mods, img);
	*mbi = (struct mbi){ (UINT8 *)pa, size, w.at, (UINT8 *)pa + w.at + 16, map_cap, desc_size };
	return EFI_SUCCESS;
}

/* After ExitBootServices, loader and boot-services memory is free RAM to
 * the kernel (UEFI 2.10 7.2, EFI_MEMORY_TYPE); the kernel keeps the modules
 * and this information apart itself. */
static UINT32 mb2_mem_type(UINT32 efi)
{
	switch (efi) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiConventionalMemory: return MB2_MEM_AVAILABLE;
	case EfiACPIReclaimMemory: return MB2_MEM_ACPI;
	case EfiACPIMemoryNVS: return MB2_MEM_NVS;
	case EfiUnusableMemory: return MB2_MEM_BAD;
	default: return MB2_MEM_RESERVED;
	}
}

/* Bytes of available memory that run on without a gap from `from`. */
static UINT64 avail_run(const UINT8 *mmap, UINTN n, UINT64 from)
{
	UINT64 at = from;

	for (BOOLEAN grew = TRUE; grew;) {
		grew = FALSE;
		for (UINTN i = 0; i < n; i++) {
			const UINT8 *e = mmap + i * MMAP_ENTRY;
			UINT64 base = *(const UINT64 *)e, end = base + *(const UINT64 *)(e + 8);

			if (*(const UINT32 *)(e + 16) == MB2_MEM_AVAILABLE && base <= at && end > at) {
				at = end;
				grew = TRUE;
			}
		}
	}
	return at - from;
}

static void put_meminfo(struct writer *w, const UINT8 *mmap, UINTN n)
{
	UINT64 lower = avail_run(mmap, n, 0), upper = avail_run(mmap, n, HIGH_MEM) >> 10;
	UINT8 *t = put_tag(w, MB2I_MEMINFO, 16);

	*(UINT32 *)(t + 8) = (UINT32)((lower < LOW_MEM_TOP ? lower : LOW_MEM_TOP) >> 10);
	*(UINT32 *)(t + 12) = upper < 0xffffffffull ? (UINT32)upper : 0xffffffffu;
}

UINT32 mbi_finish(struct mbi *mbi, UINTN map_size, UINT32 desc_version)
{
	struct writer w = { mbi->base, mbi->fixed };
	UINTN n = map_size / mbi->desc_size;
	UINT8 *t, *mmap;

	t = put_tag(&w, MB2I_EFI_MMAP, 16 + map_size); /* the body is already there */
	*(UINT32 *)(t + 8) = (UINT32)mbi->desc_size;
	*(UINT32 *)(t + 12) = desc_version;
	t = put_tag(&w, MB2I_MMAP, 16 + n * MMAP_ENTRY);
	*(UINT32 *)(t + 8) = MMAP_ENTRY;
	*(UINT32 *)(t + 12) = 0;
	mmap = t + 16;
	for (UINTN i = 0; i < n; i++) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(mbi->efi_map + i * mbi->desc_size);
		UINT8 *e = mmap + i * MMAP_ENTRY;

		*(UINT64 *)e = d->PhysicalStart;
		*(UINT64 *)(e + 8) = HVL_PAGES_TO_SIZE(d->NumberOfPages);
		*(UINT32 *)(e + 16) = mb2_mem_type(d->Type);
		*(UINT32 *)(e + 20) = 0;
	}
	put_meminfo(&w, mmap, n);
	put_tag(&w, MB2I_END, 8);
	*(UINT32 *)mbi->base = (UINT32)w.at;
	return (UINT32)w.at;
}
