/* Exception table: instructions allowed to fault, each with a fixup address
 * where execution resumes instead of panicking (used by rdmsr_safe). The
 * entries live in .extable, between __extable_start and __extable_end. */
#ifndef ARCH_X86_EXTABLE_H
#define ARCH_X86_EXTABLE_H

#include <stdint.h>

struct extable_entry {
	uint64_t insn;
	uint64_t fixup;
};

/* Fixup address for a faulting rip, or 0 if it is not in the table. */
uint64_t extable_find(uint64_t rip);

#endif
