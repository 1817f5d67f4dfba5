#include "arch/x86/cpu.h"
#include "arch/x86/extable.h"

extern const struct extable_entry __extable_start[], __extable_end[];

uint64_t extable_find(uint64_t rip)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

/* On #GP the trap handler resumes at label 3, which reports the failure. */
bool rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	int failed = 0;

	__asm__ volatile("1: rdmsr\n"
			 "2:\n"
			 ".pushsection .extable, \"a\"\n"
			 ".balign 8\n"
			 ".quad 1b, 3f\n"
			 ".popsection\n"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: movl $1, %2\n"
			 "jmp 2b\n"
			 ".popsection\n"
			 : "+a"(lo), "+d"(hi), "+r"(failed)
			 : "c"(msr));
	*val = ((uint64_t)hi << 32) | lo;
	return !failed;
}

bool wrmsr_safe(uint32_t msr, uint64_t v)
{
	int failed = 0;

	__asm__ volatile("1: wrmsr\n"
			 "2:\n"
			 ".pushsection .extable, \"a\"\n"
			 ".balign 8\n"
			 ".quad 1b, 3f\n"
			 ".popsection\n"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: movl $1, %0\n"
			 "jmp 2b\n"
			 ".popsection\n"
			 : "+r"(failed)
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
	return !failed;
}

void cpu_stop(void)
{
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}
