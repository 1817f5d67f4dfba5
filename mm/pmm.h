/* Physical memory manager: every usable RAM byte goes to the buddy allocator
 * (mm/buddy.c) except the hypervisor image, the Multiboot2 information, the
 * modules, the AP trampoline page and the allocator's own metadata.
 *
 * Two phases: before pmm_init_buddy() allocations come from a bump allocator
 * below 4 GiB (the early page tables map only that); afterwards from the buddy,
 * under pmm_lock (lock order 1). */
#ifndef MM_PMM_H
#define MM_PMM_H

#include <stdint.h>

#include "arch/x86/layout.h"
#include "boot/boot_info.h"
#include "mm/buddy.h"

struct pmm_totals {
	uint64_t usable_bytes;   /* RAM the firmware reports as usable */
	uint64_t reserved_bytes; /* part of it kept out of the allocator */
	uint64_t free_bytes;     /* free in the buddy now */
};

/* Phase 1: computes the free ranges; picks the trampoline page below 1 MiB. */
void pmm_init_early(const struct boot_info *bi);
/* Phase 2: needs the final direct map (mm/paging.c); hands everything left to
 * the buddy allocator. */
void pmm_init_buddy(void);

/* 4 KiB << order bytes, aligned to the size; returns 0 or -1 when out of
 * memory. The block is not zeroed. */
__attribute__((warn_unused_result)) int pmm_alloc(unsigned order, uint64_t *pa);
/* Frees a block from pmm_alloc. A double free or a foreign address is a host
 * bug: it panics naming the address. */
void pmm_free(uint64_t pa);

uint64_t pmm_trampoline_page(void);
void pmm_totals(struct pmm_totals *t);
void pmm_stats(uint64_t per_order[BUDDY_ORDERS]);
/* Prints the free blocks per order (mm: free ... lines). */
void pmm_log_stats(void);

#endif
