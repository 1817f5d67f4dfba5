/* Per-CPU block: one page-aligned struct per CPU, reached through %gs.
 * Hot fields first; self must stay at offset 0 (this_cpu() reads %gs:0). */
#ifndef ARCH_X86_PERCPU_H
#define ARCH_X86_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/trap.h"

#define MAX_CPUS 64

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS layout, SDM Vol. 3A 8.7");

enum { GDT_NULL, GDT_CODE, GDT_DATA, GDT_TSS_LO, GDT_TSS_HI, GDT_ENTRIES };
#define SEL_CODE (GDT_CODE * 8)
#define SEL_DATA (GDT_DATA * 8)
#define SEL_TSS  (GDT_TSS_LO * 8)

/* Flat segment descriptors, SDM Vol. 3A 3.4.5. Accessed bits are preset so
 * loading one never writes to a GDT that may be mapped read-only. The boot
 * and AP entry code use them through asm-offsets. */
#define DESC_CODE64 0x00AF9B000000FFFFull /* P, DPL0, code exec/read, L */
#define DESC_CODE32 0x00CF9B000000FFFFull /* P, DPL0, code exec/read, D, 4G */
#define DESC_DATA   0x00CF93000000FFFFull /* P, DPL0, data read/write, 4G */

/* The boot CPU's GDT from long-mode entry until its per-CPU GDT is loaded:
 * in the high half, so it stays mapped when the final page tables replace
 * the early identity map. */
extern const uint64_t boot_gdt[GDT_TSS_LO];

struct percpu {
	struct percpu *self;   /* offset 0: this_cpu() */
	uint32_t cpu_id;       /* dense index 0..ncpus-1, BSP is 0 */
	uint32_t apic_id;
	uint64_t stack_top;    /* top of the main stack (guard page below) */
	volatile bool online;
	bool virt_ready;       /* the virtualization backend accepted this CPU */
	volatile bool awake;   /* left the wait for the run phase (core/run.c) */
	uint64_t timer_at;     /* TSC the local APIC timer is armed for; 0: off */
	uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss tss __attribute__((aligned(16)));
	uint64_t ist_top[IST_COUNT];
} __attribute__((aligned(4096)));
_Static_assert(offsetof(struct percpu, self) == 0, "this_cpu() reads %gs:0");

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* Allocates and fills the block for a CPU: stacks (with guard pages) and the
 * TSS. Returns NULL when memory runs out. */
struct percpu *percpu_alloc(uint32_t cpu_id, uint32_t apic_id);
/* Loads this CPU's GDT, TSS, IDT and GS base. */
void percpu_activate(struct percpu *p);

extern struct percpu *cpus[MAX_CPUS];
extern unsigned ncpus_online;

#endif
