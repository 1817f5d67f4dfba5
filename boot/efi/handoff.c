/* The last steps: the memory map written straight into the Multiboot2
 * information, ExitBootServices, and the jump through enter.asm. */
#include "boot/efi/hvloader.h"

#define EBS_TRIES 8
/* Descriptors of room beyond today's map: the allocations still to come
 * (the information block itself) split free ranges. */
#define MAP_SLACK 16

typedef void enter_fn(UINT64 mbi_pa, UINT64 entry_pa);

extern const UINT8 enter_blob[] __attribute__((visibility("hidden")));
extern const UINT8 enter_blob_end[] __attribute__((visibility("hidden")));

EFI_STATUS handoff_map_reserve(UINTN *bytes, UINTN *desc_size)
{
	UINTN n, key;
	UINT32 ver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, desc_size, &ver);

	if (!map) {
		Print(L"hvloader: cannot read the firmware's memory map\n");
		return EFI_OUT_OF_RESOURCES;
	}
	FreePool(map);
	*bytes = (n + MAP_SLACK) * *desc_size;
	return EFI_SUCCESS;
}

/* The blob in EfiLoaderCode: firmware may map loader data non-executable. */
EFI_STATUS handoff_prepare(UINT64 *tramp_pa)
{
	UINT64 len = (UINT64)(enter_blob_end - enter_blob);
	EFI_STATUS st = mem_alloc_low(len, EfiLoaderCode, tramp_pa);

	if (EFI_ERROR(st)) {
		Print(L"hvloader: no page below 4 GiB for the mode switch (%r)\n", st);
		return st;
	}
	CopyMem((void *)*tramp_pa, (void *)enter_blob, len);
	return EFI_SUCCESS;
}

EFI_STATUS handoff(EFI_HANDLE image, struct mbi *mbi, const struct hv_image *img,
		   UINT64 tramp_pa, BOOLEAN *ebs_called)
{
	const CHAR16 *call = L"GetMemoryMap";
	UINTN size, key, dsz;
	UINT32 ver;
	EFI_STATUS st;
	unsigned tries;

	/* No other firmware call between GetMemoryMap and ExitBootServices:
	 * it could change the map and stale the key. */
	for (tries = 1;; tries++) {
		call = L"GetMemoryMap";
		size = mbi->efi_map_cap;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, (EFI_MEMORY_DESCRIPTOR *)mbi->efi_map,
				       &key, &dsz, &ver);
		if (!EFI_ERROR(st) && dsz != mbi->desc_size)
			st = EFI_INCOMPATIBLE_VERSION; /* tag 17 was sized for the other size */
		if (EFI_ERROR(st))
			break;
		call = L"ExitBootServices";
		*ebs_called = TRUE;
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		/* A stale key (the map changed between the calls, e.g. by an
		 * event): take the map again and retry (UEFI 2.10 7.4.6). */
		if (st != EFI_INVALID_PARAMETER || tries == EBS_TRIES)
			break;
	}
	if (EFI_ERROR(st)) {
		/* After a failed ExitBootServices the firmware may have shut part
		 * of itself down already: this line is best effort. */
		Print(L"hvloader: %s failed (try %d of %d): %r\n", call, tries, EBS_TRIES, st);
		return st;
	}
	mbi_finish(mbi, size, ver);
	((enter_fn *)tramp_pa)((UINT64)mbi->base, img->entry);
	__builtin_unreachable(); /* enter.asm jumps to the hypervisor */
}
