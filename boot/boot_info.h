/* What the boot loader told us, parsed once by boot/mb2.c. Nothing after boot/
 * reads Multiboot2 tags: everything the hypervisor needs from them is here. */
#ifndef BOOT_BOOT_INFO_H
#define BOOT_BOOT_INFO_H

#include <stdbool.h>
#include <stdint.h>

/* Ordered by precedence: where loader entries overlap, the higher type wins. */
enum mem_type {
	MEM_USABLE = 1,
	MEM_ACPI_RECLAIM = 2,
	MEM_ACPI_NVS = 3,
	MEM_BAD = 4,
	MEM_RESERVED = 5,
};

struct mem_region {
	uint64_t base;
	uint64_t len;
	enum mem_type type;
};

struct boot_module {
	uint64_t start; /* physical, first byte */
	uint64_t end;   /* physical, one past the last byte */
	char name[64];  /* the module's command line from grub.cfg */
};

#define BOOT_MMAP_MAX    256
#define BOOT_MODS_MAX    32
#define BOOT_CMDLINE_MAX 512
#define BOOT_RSDP_MAX    36

struct boot_info {
	char cmdline[BOOT_CMDLINE_MAX];
	char loader[64];
	/* Sorted, non-overlapping, adjacent same-type entries merged. */
	struct mem_region mmap[BOOT_MMAP_MAX];
	unsigned mmap_count;
	bool mmap_from_efi;
	struct boot_module mods[BOOT_MODS_MAX];
	unsigned mod_count;
	/* Copy of the ACPI RSDP from the loader (v1: 20 bytes, v2: 36); 0 if none. */
	uint8_t rsdp[BOOT_RSDP_MAX];
	unsigned rsdp_len;
	/* Where the Multiboot2 information itself lies (kept reserved). */
	uint64_t info_pa;
	uint64_t info_size;
};

#define MB2_BOOT_MAGIC 0x36d76289u

/* Parses the Multiboot2 information at info (its physical address is info_pa).
 * Returns NULL on success, else a message naming what is malformed or missing. */
const char *mb2_parse(uint32_t magic, const void *info, uint64_t info_pa, struct boot_info *bi);

const char *mem_type_name(enum mem_type t);

#endif
