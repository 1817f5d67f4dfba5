/* CPU exceptions and interrupts taken while the hypervisor runs. */
#ifndef ARCH_X86_TRAP_H
#define ARCH_X86_TRAP_H

#include <stdint.h>

/* Saved by arch/x86/isr.asm: general registers (pushed last, so lowest), then
 * the vector and error code, then the frame the CPU pushed. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap_frame layout used by isr.asm");

enum x86_vector {
	VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6,
	VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13,
	VEC_PF = 14, VEC_MF = 16, VEC_AC = 17, VEC_MC = 18, VEC_XM = 19, VEC_VE = 20,
	VEC_CP = 21, VEC_EXCEPTIONS = 32,
	VEC_SPURIOUS = 0xff,
};

/* Interrupt stack table slots (TSS.IST1..3) for the exceptions that must not
 * run on a possibly broken stack. */
enum { IST_NMI = 1, IST_DF = 2, IST_MC = 3, IST_COUNT = 3 };

void idt_init(void);       /* once, on the BSP */
void idt_load(void);       /* on every CPU */
void idt_enable_ist(void); /* once the TSS stacks exist */
void trap_dispatch(struct trap_frame *f);
const char *trap_name(unsigned vector);

#endif
