/* Emits the struct offsets and constants that assembly needs, so they are never
 * copied by hand. Compiled to assembly only; the Makefile turns each
 * "->NAME value" marker into a NASM %define in build/asm-offsets.inc. */
#include <stddef.h>

#include "arch/x86/cpu.h"
#include "arch/x86/layout.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"
#include "boot/boot_info.h"
#include "core/vcpu.h"
#include "mm/paging.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %0\"" ::"i"((long)(val)))

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
	/* The entry code takes a struct vcpu * as its registers. */
	_Static_assert(offsetof(struct vcpu, regs) == 0, "regs first in struct vcpu");
	DEFINE(VR_RAX, offsetof(struct vcpu_regs, rax));
	DEFINE(VR_RCX, offsetof(struct vcpu_regs, rcx));
	DEFINE(VR_RDX, offsetof(struct vcpu_regs, rdx));
	DEFINE(VR_RBX, offsetof(struct vcpu_regs, rbx));
	DEFINE(VR_RBP, offsetof(struct vcpu_regs, rbp));
	DEFINE(VR_RSI, offsetof(struct vcpu_regs, rsi));
	DEFINE(VR_RDI, offsetof(struct vcpu_regs, rdi));
	DEFINE(VR_R8, offsetof(struct vcpu_regs, r8));
	DEFINE(VR_R9, offsetof(struct vcpu_regs, r9));
	DEFINE(VR_R10, offsetof(struct vcpu_regs, r10));
	DEFINE(VR_R11, offsetof(struct vcpu_regs, r11));
	DEFINE(VR_R12, offsetof(struct vcpu_regs, r12));
	DEFINE(VR_R13, offsetof(struct vcpu_regs, r13));
	DEFINE(VR_R14, offsetof(struct vcpu_regs, r14));
	DEFINE(VR_R15, offsetof(struct vcpu_regs, r15));
	DEFINE(TF_VECTOR, offsetof(struct trap_frame, vector));
	DEFINE(TF_RIP, offsetof(struct trap_frame, rip));
	DEFINE(CR0_PE, CR0_PE);
	DEFINE(CR0_WP, CR0_WP);
	DEFINE(CR0_NW, CR0_NW);
	DEFINE(CR0_CD, CR0_CD);
	DEFINE(CR0_PG, CR0_PG);
	DEFINE(CR4_PAE, CR4_PAE);
	DEFINE(MSR_EFER, MSR_EFER);
	DEFINE(EFER_LME, EFER_LME);
	DEFINE(EFER_NXE, EFER_NXE);
	DEFINE(MSR_MISC_ENABLE, MSR_MISC_ENABLE);
	DEFINE(MISC_ENABLE_XD_DISABLE_HI, MISC_ENABLE_XD_DISABLE_HI);
	DEFINE(DESC_CODE64, DESC_CODE64);
	DEFINE(DESC_CODE32, DESC_CODE32);
	DEFINE(DESC_DATA, DESC_DATA);
	DEFINE(SEL_CODE, SEL_CODE);
	DEFINE(SEL_DATA, SEL_DATA);
	DEFINE(BOOT_GDT_LIMIT, sizeof(boot_gdt) - 1);
	DEFINE(PTE_P, PTE_P);
	DEFINE(PTE_W, PTE_W);
	DEFINE(PTE_PS, PTE_PS);
	DEFINE(MB2_BOOT_MAGIC, MB2_BOOT_MAGIC);
	DEFINE(KERNEL_PHYS_ASM, KERNEL_PHYS);
	DEFINE(CPUID81_EDX_LM, CPUID81_EDX_LM);
	DEFINE(CPUID81_EDX_NX, CPUID81_EDX_NX);
}
