/* Hypervisor stacks: STACK_PAGES pages in the stack area, each with an
 * unmapped guard page below it so an overflow faults instead of corrupting. */
#ifndef MM_STACK_H
#define MM_STACK_H

#include <stdint.h>

#define STACKS_PER_CPU 4 /* main + IST for NMI, #DF, #MC */

/* Maps stack `slot` of CPU `cpu`; returns its top (initial RSP) or 0 when out
 * of memory. */
uint64_t stack_create(uint32_t cpu, unsigned slot);
/* Lowest address of the guard page of that stack (for tests and the dump). */
uint64_t stack_guard(uint32_t cpu, unsigned slot);

#endif
