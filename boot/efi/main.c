/* BOOTX64.EFI, the hypervisor's own UEFI loader (docs/boot.md): the steps
 * in order. Any failure has printed its line; the loader then gives its
 * memory back and returns the error to the firmware, which goes on to its
 * next boot option. */
#include "boot/efi/hvloader.h"

/* A failure message stays this long before the firmware may redraw the
 * screen with its next boot option (serial logs keep it anyway). */
#define FAIL_PAUSE_US 3000000

struct boot {
	struct esp esp;
	struct lcfg cfg;
	struct hvl_blob cfg_file;
	struct hvl_blob mods[LCFG_MODS_MAX];
	struct hv_image img;
	struct mbi mbi;
	UINT64 tramp;
	BOOLEAN ebs_called;
};

static struct boot boot;

static EFI_STATUS read_config(struct boot *b)
{
	struct lcfg_error err;
	EFI_STATUS st = esp_read(&b->esp, b->esp.cfg_path, &b->cfg_file);

	if (EFI_ERROR(st))
		return st;
	if (!lcfg_parse((char *)b->cfg_file.pa, b->cfg_file.size, &b->cfg, &err))
		return EFI_SUCCESS;
	if (err.line)
		Print(L"hvloader: %s line %d: %a%a%a\n", b->esp.cfg_path, err.line, err.msg,
		      *err.text ? ": " : "", err.text);
	else
		Print(L"hvloader: %s: %a\n", b->esp.cfg_path, err.msg);
	return EFI_LOAD_ERROR;
}

/* The ELF file itself is not kept: its segments are copied out. */
static EFI_STATUS load_hypervisor(struct boot *b)
{
	CHAR16 path[HVL_PATH_MAX + 1];
	struct hvl_blob file;
	EFI_STATUS st;

	esp_path(b->cfg.hv.path, path);
	st = esp_read(&b->esp, path, &file);
	if (EFI_ERROR(st))
		return st;
	st = image_load(path, &file, &b->img);
	mem_free(file.pa);
	if (EFI_ERROR(st))
		return st;
	Print(L"hvloader: %s at 0x%lx (%ld KiB), entry 0x%lx\n", path, b->img.load_base,
	      b->img.span >> 10, b->img.entry);
	return EFI_SUCCESS;
}

static EFI_STATUS load_modules(struct boot *b)
{
	for (unsigned i = 0; i < b->cfg.nmods; i++) {
		CHAR16 path[HVL_PATH_MAX + 1];
		EFI_STATUS st;

		esp_path(b->cfg.mods[i].path, path);
		st = esp_read(&b->esp, path, &b->mods[i]);
		if (EFI_ERROR(st))
			return st;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS start(EFI_HANDLE image, struct boot *b)
{
	UINTN map_cap, desc_size;
	EFI_STATUS st;

	st = esp_open(image, &b->esp);
	if (!EFI_ERROR(st))
		st = read_config(b);
	if (!EFI_ERROR(st))
		st = load_hypervisor(b);
	if (!EFI_ERROR(st))
		st = load_modules(b);
	esp_close(&b->esp);
	if (EFI_ERROR(st))
		return st;
	Print(L"hvloader: %d modules loaded; exiting boot services\n", b->cfg.nmods);
	st = handoff_prepare(&b->tramp);
	if (!EFI_ERROR(st))
		st = handoff_map_reserve(&map_cap, &desc_size);
	if (!EFI_ERROR(st))
		st = mbi_build(&b->cfg, b->mods, &b->img, map_cap, desc_size, &b->mbi);
	if (EFI_ERROR(st))
		return st;
	return handoff(image, &b->mbi, &b->img, b->tramp, &b->ebs_called);
}

/* Not EFIAPI: gnu-efi 3.0.15's crt0 calls efi_main with the SysV convention
 * (an ms_abi efi_main compiles, then faults). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_STATUS st;

	InitializeLib(image, systab);
	/* The firmware resets the machine 5 minutes after starting a boot
	 * option unless it is told otherwise (UEFI 2.10 3.1.2): large modules
	 * from a slow stick may take that long. */
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, (UINTN)0, 0ull, (UINTN)0, NULL);
	Print(L"hvloader: hv GNU-EFI loader\n");
	st = start(image, &boot);
	Print(L"hvloader: hypervisor not started; back to the firmware (%r)\n", st);
	if (!boot.ebs_called) {
		mem_free_all();
		uefi_call_wrapper(BS->Stall, 1, (UINTN)FAIL_PAUSE_US);
	}
	return st;
}
