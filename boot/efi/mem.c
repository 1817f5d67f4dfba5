/* Page allocations. Each is remembered: a boot that fails returns to the
 * firmware, which may start another boot option, so it gets its memory back. */
#include "boot/efi/hvloader.h"

#define MEM_BLOCKS_MAX 64 /* modules + config + hypervisor + MBI + trampoline */

struct mem_block {
	UINT64 pa;
	UINTN pages;
};

static struct mem_block blocks[MEM_BLOCKS_MAX];
static unsigned nblocks;

static UINTN pages_for(UINT64 bytes)
{
	return bytes ? EFI_SIZE_TO_PAGES(bytes) : 1;
}

static EFI_STATUS remember(UINT64 pa, UINTN pages)
{
	if (nblocks == MEM_BLOCKS_MAX) {
		uefi_call_wrapper(BS->FreePages, 2, pa, pages);
		return EFI_OUT_OF_RESOURCES;
	}
	blocks[nblocks++] = (struct mem_block){ pa, pages };
	return EFI_SUCCESS;
}

/* Anywhere below 4 GiB. */
EFI_STATUS mem_alloc_low(UINT64 bytes, EFI_MEMORY_TYPE type, UINT64 *pa)
{
	EFI_PHYSICAL_ADDRESS at = HVL_4G - 1; /* highest address the range may reach */
	EFI_STATUS st;

	if (bytes > HVL_4G)
		return EFI_OUT_OF_RESOURCES;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, type, pages_for(bytes), &at);
	if (EFI_ERROR(st))
		return st;
	*pa = at;
	return remember(at, pages_for(bytes));
}

/* Exactly at pa (page-aligned), as EfiLoaderData. */
EFI_STATUS mem_alloc_at(UINT64 pa, UINT64 bytes)
{
	EFI_PHYSICAL_ADDRESS at = pa;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderData, pages_for(bytes),
			       &at);
	return EFI_ERROR(st) ? st : remember(at, pages_for(bytes));
}

static UINT64 align_up(UINT64 v, UINT64 a)
{
	return (v + a - 1) / a * a;
}

/* The lowest (or highest) align-aligned start of `bytes` of free memory
 * within [lo, hi), from the firmware's memory map: trying every aligned
 * address with AllocateAddress could take a million calls. */
EFI_STATUS mem_find_free(UINT64 lo, UINT64 hi, UINT64 bytes, UINT64 align, BOOLEAN highest,
			 UINT64 *pa)
{
	UINTN n, key, dsz;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &dsz, &dver);
	BOOLEAN found = FALSE;

	if (!map)
		return EFI_OUT_OF_RESOURCES;
	for (UINTN i = 0; i < n; i++) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)((const UINT8 *)map + i * dsz);
		UINT64 s = d->PhysicalStart, e = s + HVL_PAGES_TO_SIZE(d->NumberOfPages), first, last;

		if (d->Type != EfiConventionalMemory)
			continue;
		s = s > lo ? s : lo;
		e = e < hi ? e : hi;
		if (e <= s || e - s < bytes)
			continue;
		first = align_up(s, align);
		last = (e - bytes) / align * align;
		if (first > last)
			continue;
		if (!found || (highest ? last > *pa : first < *pa))
			*pa = highest ? last : first;
		found = TRUE;
	}
	FreePool(map);
	return found ? EFI_SUCCESS : EFI_NOT_FOUND;
}

void mem_free(UINT64 pa)
{
	for (unsigned i = 0; i < nblocks; i++) {
		if (blocks[i].pa != pa)
			continue;
		uefi_call_wrapper(BS->FreePages, 2, pa, blocks[i].pages);
		blocks[i] = blocks[--nblocks];
		return;
	}
}

void mem_free_all(void)
{
	while (nblocks) {
		nblocks--;
		uefi_call_wrapper(BS->FreePages, 2, blocks[nblocks].pa, blocks[nblocks].pages);
	}
}
