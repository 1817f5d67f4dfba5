/* The standalone UEFI loader (BOOTX64.EFI, GNU-EFI): reads the hypervisor
 * and its modules from the ESP as HVLOADER.CFG says, builds the Multiboot2
 * information GRUB would, exits boot services and enters the hypervisor as
 * a Multiboot2 loader does on i386 (docs/boot.md). Private to boot/efi/.
 *
 * Every step that can fail prints its own line on ConOut ("hvloader: PATH:
 * what is wrong (EFI status)") and returns an EFI error; efi_main then gives
 * back every page and returns to the firmware. Everything the hypervisor
 * gets lies in EfiLoaderData pages below 4 GiB (Multiboot2 on i386 carries
 * 32-bit addresses). Built with GNU_EFI_USE_MS_ABI: uefi_call_wrapper is a
 * direct, type-checked call. efi_main itself is SysV (gnu-efi's crt0). */
#ifndef BOOT_EFI_HVLOADER_H
#define BOOT_EFI_HVLOADER_H

#include <efi.h>
#include <efilib.h>

#include "boot/efi/lcfg.h"

#define HVL_4G      0x100000000ull
#define HVL_PAGE    4096ull
#define HVL_PATH_MAX (LCFG_PATH_MAX + 1)
#define HVL_PAGES_TO_SIZE(pages) ((UINT64)(pages) << EFI_PAGE_SHIFT)

/* A file read into memory: [pa, pa + size), followed by at least one zero
 * byte in the same allocation. */
struct hvl_blob {
	UINT64 pa;
	UINT64 size;
};

/* mem.c: page allocations, remembered so that a failed boot returns them. */
EFI_STATUS mem_alloc_low(UINT64 bytes, EFI_MEMORY_TYPE type, UINT64 *pa);
EFI_STATUS mem_alloc_at(UINT64 pa, UINT64 bytes);
EFI_STATUS mem_find_free(UINT64 lo, UINT64 hi, UINT64 bytes, UINT64 align, BOOLEAN highest,
			 UINT64 *pa);
void mem_free(UINT64 pa);
void mem_free_all(void);

/* esp.c: the volume BOOTX64.EFI was loaded from. */
struct esp {
	EFI_FILE_HANDLE root;
	CHAR16 cfg_path[HVL_PATH_MAX + 16]; /* HVLOADER.CFG in the loader's folder */
};
EFI_STATUS esp_open(EFI_HANDLE image, struct esp *esp);
void esp_close(struct esp *esp);
/* A config path (from the volume root, '/' or '\' separators) as the
 * firmware wants it: out holds HVL_PATH_MAX + 1 characters. */
void esp_path(const char *path, CHAR16 *out);
EFI_STATUS esp_read(struct esp *esp, const CHAR16 *path, struct hvl_blob *out);

/* image.c: the hypervisor ELF placed and copied where it will run. */
struct hv_image {
	UINT64 link_base; /* lowest physical address of its segments as linked */
	UINT64 load_base; /* where they are now */
	UINT64 span;      /* bytes from the lowest segment start to the highest end */
	UINT64 entry;     /* physical entry point, load offset applied */
	BOOLEAN relocatable;
};
EFI_STATUS image_load(const CHAR16 *path, const struct hvl_blob *file, struct hv_image *img);

/* mb2hdr.c: the Multiboot2 header of the hypervisor (pure). */
struct mb2_hdr {
	BOOLEAN reloc;              /* relocatable tag present */
	UINT32 min_addr, max_addr;  /* ... its range: image within [min, max) */
	UINT32 align, preference;
	BOOLEAN have_entry;         /* entry address tag present */
	UINT32 entry;
};
/* NULL, or a message naming what the header asks that this loader lacks. */
const char *mb2hdr_parse(const UINT8 *img, UINT64 size, struct mb2_hdr *h);

/* mbi.c: the Multiboot2 information, in one page-aligned block. */
struct mbi {
	UINT8 *base;
	UINT64 size;         /* allocated */
	UINT64 fixed;        /* bytes before the EFI memory map tag */
	UINT8 *efi_map;      /* where GetMemoryMap writes: body of tag 17 */
	UINTN efi_map_cap;
	UINTN desc_size;
};
EFI_STATUS mbi_build(const struct lcfg *cfg, const struct hvl_blob *mods,
		     const struct hv_image *img, UINTN map_cap, UINTN desc_size, struct mbi *mbi);
/* After ExitBootServices (no firmware calls): the memory map tags and the
 * end tag. Returns the total size. */
UINT32 mbi_finish(struct mbi *mbi, UINTN map_size, UINT32 desc_version);

/* handoff.c */
EFI_STATUS handoff_map_reserve(UINTN *bytes, UINTN *desc_size);
EFI_STATUS handoff_prepare(UINT64 *tramp_pa);
/* Exits boot services and enters the hypervisor; returns only on failure,
 * with *ebs_called set once ExitBootServices was tried: from then on only
 * GetMemoryMap and ExitBootServices may be called (UEFI 2.10 7.4.6). */
EFI_STATUS handoff(EFI_HANDLE image, struct mbi *mbi, const struct hv_image *img,
		   UINT64 tramp_pa, BOOLEAN *ebs_called);

#endif
