/* Emits the struct offsets and constants that assembly needs, so they are never
 * copied by hand. Compiled to assembly only; the Makefile turns each
 * "->NAME value" marker into a NASM %define in build/asm-offsets.inc. */
#include <stddef.h>

#include "arch/x86/layout.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" ::"i"((long)(val)))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(TP_CR3, offsetof(struct tramp_params, cr3));
	DEFINE(TP_EFER, offsetof(struct tramp_params, efer));
	DEFINE(TP_STACK, offsetof(struct tramp_params, stack));
	DEFINE(TP_PERCPU, offsetof(struct tramp_params, percpu));
	DEFINE(TP_ENTRY, offsetof(struct tramp_params, entry));
	DEFINE(TP_SIZE, sizeof(struct tramp_params));
	DEFINE(TRAMP_PARAMS, TRAMP_PARAMS_OFFSET);
	DEFINE(TF_SIZE, sizeof(struct trap_frame));
	DEFINE(TF_VECTOR, offsetof(struct trap_frame, vector));
	DEFINE(TF_RIP, offsetof(struct trap_frame, rip));
	DEFINE(PCPU_SELF, offsetof(struct percpu, self));
	DEFINE(KERNEL_VBASE_ASM, KERNEL_VBASE);
}
