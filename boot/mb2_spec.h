/* Multiboot2 (specification 1.0) numbers shared by everything that reads or
 * writes it: the hypervisor's own boot (boot/mb2.c), the GNU-EFI loader
 * (boot/efi/) and the guest loader (core/loader*.c). */
#ifndef BOOT_MB2_SPEC_H
#define BOOT_MB2_SPEC_H

/* Header tags, in the kernel image (3.1.3). */
enum mb2_header_tag {
	MB2H_END = 0,
	MB2H_INFO_REQUEST = 1,
	MB2H_ADDRESS = 2,
	MB2H_ENTRY = 3,
	MB2H_CONSOLE = 4,
	MB2H_FRAMEBUFFER = 5,
	MB2H_MODULE_ALIGN = 6,
	MB2H_EFI_BS = 7,
	MB2H_ENTRY_EFI32 = 8,
	MB2H_ENTRY_EFI64 = 9,
	MB2H_RELOCATABLE = 10,
};

/* Boot information tags, from the loader (3.6). */
enum mb2_info_tag {
	MB2I_END = 0,
	MB2I_CMDLINE = 1,
	MB2I_LOADER_NAME = 2,
	MB2I_MODULE = 3,
	MB2I_MEMINFO = 4,
	MB2I_MMAP = 6,
	MB2I_EFI64 = 12,
	MB2I_ACPI_OLD = 14,
	MB2I_ACPI_NEW = 15,
	MB2I_EFI_MMAP = 17,
	MB2I_EFI_BS = 18,
	MB2I_LOAD_BASE = 21,
};

#endif
