#include "mm/stack.h"

#include "arch/x86/layout.h"
#include "mm/paging.h"
#include "mm/pmm.h"

uint64_t stack_guard(uint32_t cpu, unsigned slot)
{
	return STACK_BASE + ((uint64_t)cpu * STACKS_PER_CPU + slot) * STACK_SLOT;
}

uint64_t stack_create(uint32_t cpu, unsigned slot)
{
	uint64_t va = stack_guard(cpu, slot) + PAGE_SIZE; /* guard stays unmapped */

	for (unsigned i = 0; i < STACK_PAGES; i++) {
		uint64_t pa;

		if (pmm_alloc(0, &pa))
			return 0;
		if (paging_map(va + i * PAGE_SIZE, pa, PAGE_SIZE, PTE_W | PTE_NX))
			return 0;
	}
	return va + STACK_PAGES * PAGE_SIZE;
}
