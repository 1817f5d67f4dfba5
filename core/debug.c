#include "core/debug.h"

#include <stdint.h>

#include "arch/x86/layout.h"
#include "core/log.h"
#include "mm/pmm.h"

/* In the low half, where nothing is mapped after boot (arch/x86/layout.h). */
#define UNMAPPED_ADDR 0xdead000ull

/* Each call keeps 256 bytes live, so the stack (16 KiB) runs into its guard
 * page long before the bound: #PF, which cannot be delivered on the same
 * stack, becomes #DF on its IST stack. */
static unsigned __attribute__((noinline)) overflow(unsigned depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	if (depth > (1u << 20))
		return depth;
	return overflow(depth + 1) + pad[0];
}

/* Frees a block twice, or an address inside a block: pmm_free must catch both
 * and panic naming the address. */
static void bad_free(bool twice)
{
	uint64_t pa;

	if (pmm_alloc(1, &pa)) {
		log_err("hv: debug_fault: no memory to free wrongly");
		return;
	}
	log_info("hv: debug_fault: freeing 0x%lx %s", (unsigned long)(twice ? pa : pa + PAGE_SIZE),
		 twice ? "twice" : "(inside an allocated block)");
	if (twice)
		pmm_free(pa);
	pmm_free(twice ? pa : pa + PAGE_SIZE);
}

void debug_fault_maybe(enum debug_fault f)
{
	volatile int zero = 0;

	if (f == FAULT_NONE)
		return;
	log_info("hv: debug_fault: taking a fault on purpose");
	switch (f) {
	case FAULT_PF:
		*(volatile uint64_t *)UNMAPPED_ADDR = 0x1234;
		break;
	case FAULT_GP:
		/* Non-canonical address: #GP, SDM Vol. 3A 3.3.7.1 */
		*(volatile uint64_t *)0x8000000000000000ull = 0;
		break;
	case FAULT_UD:
		__asm__ volatile("ud2");
		break;
	case FAULT_DE:
		log_info("hv: %d", 1 / zero);
		break;
	case FAULT_STACK:
		log_info("hv: %u", overflow(0));
		break;
	case FAULT_TRIPLE: {
		/* With an empty IDT, #BP cannot be delivered: #GP, #DF, shutdown. */
		struct {
			uint16_t limit;
			uint64_t base;
		} __attribute__((packed)) empty = { 0, 0 };

		__asm__ volatile("lidt %0\n\tint3" ::"m"(empty));
		break;
	}
	case FAULT_DOUBLE_FREE:
	case FAULT_FOREIGN_FREE:
		bad_free(f == FAULT_DOUBLE_FREE);
		break;
	default:
		break;
	}
	log_err("hv: debug_fault: the fault did not happen");
}
