/* Thin wrappers for x86 instructions: CPUID, MSRs, control registers, port I/O. */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_EFER              0xC0000080u
#define MSR_FS_BASE           0xC0000100u
#define MSR_GS_BASE           0xC0000101u
#define MSR_APIC_BASE         0x0000001Bu
#define MSR_FEATURE_CONTROL   0x0000003Au
#define MSR_VM_CR             0xC0010114u
#define MSR_MISC_ENABLE       0x000001A0u
/* IA32_MISC_ENABLE bit 34, as a bit of the high half (EDX) */
#define MISC_ENABLE_XD_DISABLE_HI 2

/* Control-register and EFER bits (SDM Vol. 3A 2.5, 2.2.1); the assembly
 * entry code gets them through asm-offsets. */
#define CR0_PE                (1ul << 0)
#define CR0_WP                (1ul << 16)
#define CR0_NW                (1ul << 29)
#define CR0_CD                (1ul << 30)
#define CR0_PG                (1ul << 31)
#define CR4_PAE               (1ul << 5)
#define CR4_PGE               (1ul << 7)
#define EFER_LME              (1u << 8)
#define EFER_LMA              (1u << 10)
#define EFER_NXE              (1u << 11)

/* CPUID feature bits used outside one file (SDM Vol. 2A CPUID) */
#define CPUID81_EDX_NX        (1u << 20)
#define CPUID81_EDX_PAGE1GB   (1u << 26)
#define CPUID81_EDX_LM        (1u << 29)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

/* RDMSR/WRMSR that return false instead of faulting when the MSR does not
 * exist (#GP is caught through the exception table, see arch/x86/extable.h). */
bool rdmsr_safe(uint32_t msr, uint64_t *val);
bool wrmsr_safe(uint32_t msr, uint64_t val);

#define DEFINE_CR_ACCESS(n)                                           \
	static inline uint64_t read_cr##n(void)                       \
	{                                                             \
		uint64_t v;                                           \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));     \
		return v;                                             \
	}                                                             \
	static inline void write_cr##n(uint64_t v)                    \
	{                                                             \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); \
	}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void cpu_halt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

static inline uint64_t read_rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; pop %0" : "=r"(f));
	return f;
}

/* Stops this CPU for good: interrupts off, HLT forever (NMIs return here). */
__attribute__((noreturn)) void cpu_stop(void);

#endif
