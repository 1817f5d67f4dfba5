#include "arch/x86/percpu.h"

#include "arch/x86/cpu.h"
#include "arch/x86/scrub.h"
#include "core/panic.h"
#include "mm/pmm.h"
#include "mm/stack.h"

struct percpu *cpus[MAX_CPUS];
unsigned ncpus_online;

#define TSS_TYPE_AVAIL 0x89ull /* P, type 9: available 64-bit TSS */

const uint64_t boot_gdt[GDT_TSS_LO] __attribute__((aligned(16))) = {
	[GDT_NULL] = 0,
	[GDT_CODE] = DESC_CODE64,
	[GDT_DATA] = DESC_DATA,
};

static void gdt_fill(struct percpu *p)
{
	uint64_t base = (uint64_t)&p->tss;
	uint64_t limit = sizeof(p->tss) - 1;

	p->gdt[GDT_NULL] = 0;
	p->gdt[GDT_CODE] = DESC_CODE64;
	p->gdt[GDT_DATA] = DESC_DATA;
	p->gdt[GDT_TSS_LO] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			     (TSS_TYPE_AVAIL << 40) | (((base >> 24) & 0xff) << 56);
	p->gdt[GDT_TSS_HI] = base >> 32;
}

struct percpu *percpu_alloc(uint32_t cpu_id, uint32_t apic_id)
{
	uint64_t pa;
	struct percpu *p;

	_Static_assert(sizeof(struct percpu) <= PAGE_SIZE, "percpu fits one page");
	if (pmm_alloc(0, &pa))
		return NULL;
	p = phys_to_virt(pa);
	*p = (struct percpu){ .self = p, .cpu_id = cpu_id, .apic_id = apic_id };
	p->stack_top = stack_create(cpu_id, 0);
	for (unsigned i = 0; i < IST_COUNT; i++)
		p->ist_top[i] = stack_create(cpu_id, 1 + i);
	if (!p->stack_top)
		return NULL;
	for (unsigned i = 0; i < IST_COUNT; i++) {
		if (!p->ist_top[i])
			return NULL;
		p->tss.ist[i] = p->ist_top[i]; /* IST slot n is tss.ist[n - 1] */
	}
	p->tss.iomap_base = sizeof(p->tss); /* no I/O bitmap */
	gdt_fill(p);
	return p;
}

void percpu_activate(struct percpu *p)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(p->gdt) - 1, (uint64_t)p->gdt };

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 :
			 : "m"(gdtr), "i"((uint64_t)SEL_CODE), "i"(SEL_DATA)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" ::"r"((uint16_t)SEL_TSS));
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	idt_load();
	scrub_enable_fx();
}
