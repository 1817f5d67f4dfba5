/* The hypervisor's own page tables (4-level, x86-64 long mode). One set is
 * shared by all CPUs. Layout in arch/x86/layout.h. */
#ifndef MM_PAGING_H
#define MM_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/boot_info.h"

/* Page-table entry bits, SDM Vol. 3A 4.5 */
#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_PS   (1ull << 7)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define PTE_UC   (PTE_PCD | PTE_PWT)

/* Builds the final tables (image W^X, RAM direct-mapped with large pages) and
 * switches CR3 to them. Page-table pages come from pmm_alloc. */
void paging_init(const struct boot_info *bi);
/* Loads the final tables on an AP. */
void paging_load(void);
uint64_t paging_root_pa(void);

/* Maps [va, va + len) to [pa, ...) with flags (PTE_P implied), 4 KiB pages.
 * Returns 0, or -1 when out of memory or if va is already mapped. */
__attribute__((warn_unused_result)) int paging_map(uint64_t va, uint64_t pa, uint64_t len,
						   uint64_t flags);
/* Makes [pa, pa + len) reachable at phys_to_virt(pa), for firmware tables
 * (cached) and MMIO (uc = true). Pages already mapped stay as they are. */
__attribute__((warn_unused_result)) int paging_map_phys(uint64_t pa, uint64_t len, bool uc);
/* Removes 4 KiB mappings in [va, va + len) and flushes them from this CPU's TLB. */
void paging_unmap(uint64_t va, uint64_t len);

/* True if va is mapped in the hypervisor tables (any page size). */
bool paging_is_mapped(uint64_t va);

struct wx_report {
	uint64_t leaves;       /* leaf mappings seen */
	uint64_t writable;     /* leaves writable */
	uint64_t executable;   /* leaves executable */
	uint64_t wx;           /* leaves both: must be 0 */
	uint64_t first_wx_va;  /* first offender, if any */
};
/* False on a CPU without NX: nothing can be mapped non-executable. */
bool paging_nx_enforced(void);
/* Walks every mapping (effective permissions across all levels). */
void paging_audit_wx(struct wx_report *r);

#endif
