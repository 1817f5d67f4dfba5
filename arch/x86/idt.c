#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"

/* 64-bit interrupt gate, SDM Vol. 3A 6.14.1 */
struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

#define GATE_INTERRUPT 0x8e /* P, DPL0, 64-bit interrupt gate: IF cleared */
#define IDT_VECTORS    256

extern const uint64_t isr_table[IDT_VECTORS];
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

static unsigned ist_for(unsigned vector)
{
	switch (vector) {
	case VEC_NMI: return IST_NMI;
	case VEC_DF: return IST_DF;
	case VEC_MC: return IST_MC;
	default: return 0;
	}
}

void idt_init(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++) {
		uint64_t h = isr_table[v];

		idt[v] = (struct idt_gate){
			.off_lo = h & 0xffff,
			.sel = SEL_CODE,
			.ist = 0, /* IST stacks exist once percpu is up: idt_enable_ist() */
			.type_attr = GATE_INTERRUPT,
			.off_mid = (h >> 16) & 0xffff,
			.off_hi = h >> 32,
		};
	}
}

/* Called once the BSP's TSS holds IST stacks; every CPU's TSS has them from
 * percpu_alloc, so the shared IDT can use them from then on. */
void idt_enable_ist(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++)
		idt[v].ist = ist_for(v);
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" ::"m"(idtr));
}
