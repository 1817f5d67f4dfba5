/* A vCPU's initial architectural state, CPU-neutral: guest loaders fill it,
 * vmx/ and svm/ each turn it into their VMCS guest-state area or VMCB save
 * area. Nothing here is vendor-specific; fixed CR0/CR4 bits a backend must
 * force (e.g. CR0.NE under VMX) are its own business, behind read shadows.
 *
 * Segment access rights use the VMX encoding (SDM Vol. 3C 24.4.1, Table 24-2),
 * which is the descriptor's attribute bits 40..55 shifted down by 8:
 *   bits 3:0 type, 4 S (code/data), 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G,
 *   16 unusable (VMX only; SVM has no such bit and takes P=0 instead).
 * SVM's VMCB "attrib" (APM Vol. 2 15.5.1) is the same bits packed as
 * 7:0 -> 7:0 and 15:12 -> 11:8. */
#ifndef CORE_VCPU_STATE_H
#define CORE_VCPU_STATE_H

#include <stdint.h>

enum vcpu_mode {
	VCPU_MODE_PROT32, /* CR0.PE=1, PG=0, flat 4 GiB segments (the default) */
	VCPU_MODE_REAL16, /* CR0.PE=0 */
	VCPU_MODE_LONG64, /* EFER.LMA=1, CS.L=1 */
};

#define VCPU_AR_TYPE(t)  ((uint32_t)(t) & 0xf)
#define VCPU_AR_S        (1u << 4)
#define VCPU_AR_DPL(d)   (((uint32_t)(d) & 3) << 5)
#define VCPU_AR_P        (1u << 7)
#define VCPU_AR_AVL      (1u << 12)
#define VCPU_AR_L        (1u << 13)
#define VCPU_AR_DB       (1u << 14)
#define VCPU_AR_G        (1u << 15)
#define VCPU_AR_UNUSABLE (1u << 16)

/* Descriptor types (SDM Vol. 3A 3.4.5.1 and 3.5, Tables 3-1 and 3-2). */
enum vcpu_seg_type {
	VCPU_SEG_DATA_RW_ACCESSED = 0x3, /* code/data (S=1) */
	VCPU_SEG_CODE_RX_ACCESSED = 0xb, /* code/data (S=1) */
	VCPU_SEG_LDT = 0x2,              /* system (S=0) */
	VCPU_SEG_TSS32_BUSY = 0xb,       /* system (S=0) */
};

/* 32-bit flat: base 0, limit 4 GiB (G=1), D/B=1, ring 0. */
#define VCPU_AR_CODE32_FLAT \
	(VCPU_AR_TYPE(VCPU_SEG_CODE_RX_ACCESSED) | VCPU_AR_S | VCPU_AR_P | VCPU_AR_DB | VCPU_AR_G)
#define VCPU_AR_DATA32_FLAT \
	(VCPU_AR_TYPE(VCPU_SEG_DATA_RW_ACCESSED) | VCPU_AR_S | VCPU_AR_P | VCPU_AR_DB | VCPU_AR_G)
#define VCPU_AR_TSS32_BUSY (VCPU_AR_TYPE(VCPU_SEG_TSS32_BUSY) | VCPU_AR_P)

_Static_assert(VCPU_AR_CODE32_FLAT == 0xc09b, "flat 32-bit code access rights");
_Static_assert(VCPU_AR_DATA32_FLAT == 0xc093, "flat 32-bit data access rights");

#define VCPU_CR0_PE     (1ull << 0)
#define VCPU_CR0_ET     (1ull << 4) /* hardwired to 1 since the i486 */
#define VCPU_CR0_PG     (1ull << 31)
#define VCPU_CR4_PAE    (1ull << 5)
#define VCPU_EFER_LME   (1ull << 8)
#define VCPU_EFER_LMA   (1ull << 10)
#define VCPU_RFLAGS_FIXED (1ull << 1) /* reserved, always 1 */

/* Selectors of the flat segments; the GDT behind them is the guest's own to
 * build (Multiboot says GDTR may be invalid), so they only matter on reload. */
#define VCPU_SEL_CODE32 0x08
#define VCPU_SEL_DATA32 0x10
#define VCPU_SEL_CODE64 0x08 /* in the GDT the loader builds for long mode */

/* Real mode (16-bit): base = selector * 16, 64 KiB limit, present and
 * accessed, as after a reset; what VM entry with unrestricted guest accepts
 * (SDM Vol. 3C 27.3.1.2). */
#define VCPU_AR_CODE16 (VCPU_AR_TYPE(VCPU_SEG_CODE_RX_ACCESSED) | VCPU_AR_S | VCPU_AR_P)
#define VCPU_AR_DATA16 (VCPU_AR_TYPE(VCPU_SEG_DATA_RW_ACCESSED) | VCPU_AR_S | VCPU_AR_P)
/* 64-bit code: L=1, D/B=0. */
#define VCPU_AR_CODE64 \
	(VCPU_AR_TYPE(VCPU_SEG_CODE_RX_ACCESSED) | VCPU_AR_S | VCPU_AR_P | VCPU_AR_L | VCPU_AR_G)

/* What a Multiboot loader leaves in EAX (1: spec 0.6.96 3.2; 2: spec 1.0 3.3). */
#define MULTIBOOT1_EAX_MAGIC 0x2BADB002u
#define MULTIBOOT2_EAX_MAGIC 0x36d76289u

struct vcpu_segment {
	uint16_t sel;
	uint64_t base;
	uint32_t limit; /* byte granular: 0xffffffff for a 4 GiB segment */
	uint32_t ar;    /* VCPU_AR_* encoding above */
};

struct vcpu_dtable {
	uint64_t base;
	uint16_t limit;
};

struct vcpu_state {
	enum vcpu_mode mode;
	uint64_t rip, rsp, rflags;
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t cr0, cr3, cr4, efer;
	struct vcpu_segment cs, ds, es, fs, gs, ss, tr, ldtr;
	struct vcpu_dtable gdtr, idtr;
};

/* 32-bit flat protected mode at entry, paging off, interrupts off, every
 * other register 0. A20 is always on: partitions have no A20 gate. TR is a
 * usable busy 32-bit TSS at 0 (VM entry insists on one), LDTR is unusable,
 * GDTR/IDTR are empty: the guest loads its own before any selector or
 * interrupt (an early exception then shuts the partition down). */
static inline void vcpu_state_flat32(struct vcpu_state *s, uint32_t entry)
{
	const struct vcpu_segment code = { VCPU_SEL_CODE32, 0, 0xffffffffu, VCPU_AR_CODE32_FLAT };
	const struct vcpu_segment data = { VCPU_SEL_DATA32, 0, 0xffffffffu, VCPU_AR_DATA32_FLAT };

	*s = (struct vcpu_state){
		.mode = VCPU_MODE_PROT32,
		.rip = entry,
		.rflags = VCPU_RFLAGS_FIXED, /* IF=0, VM=0 */
		.cr0 = VCPU_CR0_PE | VCPU_CR0_ET,
		.cs = code, .ds = data, .es = data, .fs = data, .gs = data, .ss = data,
		.tr = { 0, 0, 0xffff, VCPU_AR_TSS32_BUSY },
		.ldtr = { 0, 0, 0xffff, VCPU_AR_UNUSABLE },
	};
}

/* 16-bit real mode at entry (below 1 MiB): CS = entry's 64 KiB block,
 * IP the rest; DS, ES, FS, GS, SS 0; the real-mode IVT at 0 (IDTR limit
 * 0x3ff). Everything else as in vcpu_state_flat32. */
static inline void vcpu_state_real16(struct vcpu_state *s, uint32_t entry)
{
	uint16_t cs = (uint16_t)((entry & 0xf0000) >> 4);
	const struct vcpu_segment data = { 0, 0, 0xffff, VCPU_AR_DATA16 };

	*s = (struct vcpu_state){
		.mode = VCPU_MODE_REAL16,
		.rip = entry & 0xffff,
		.rflags = VCPU_RFLAGS_FIXED,
		.cr0 = VCPU_CR0_ET,
		.cs = { cs, (uint64_t)cs << 4, 0xffff, VCPU_AR_CODE16 },
		.ds = data, .es = data, .fs = data, .gs = data, .ss = data,
		.tr = { 0, 0, 0xffff, VCPU_AR_TSS32_BUSY },
		.ldtr = { 0, 0, 0xffff, VCPU_AR_UNUSABLE },
		.idtr = { 0, 0x3ff },
	};
}

/* An AP after INIT and a start-up IPI with vector: real mode at
 * CS = vector << 8 (base vector << 12), IP = 0 (SDM Vol. 3A 9.4.4). */
static inline void vcpu_state_sipi(struct vcpu_state *s, uint8_t vector)
{
	vcpu_state_real16(s, 0);
	s->cs.sel = (uint16_t)(vector << 8);
	s->cs.base = (uint64_t)vector << 12;
	s->rip = 0;
}

/* 64-bit long mode at entry: paging on with CR3 = pml4 (the loader's
 * identity map), PAE, EFER.LME/LMA, CS 64-bit from the loader's GDT, flat
 * data segments, RSP = stack, interrupts off, IDT empty. */
static inline void vcpu_state_long64(struct vcpu_state *s, uint64_t entry, uint64_t pml4,
				     uint64_t gdt, uint16_t gdt_limit, uint64_t stack)
{
	vcpu_state_flat32(s, 0);
	s->mode = VCPU_MODE_LONG64;
	s->rip = entry;
	s->rsp = stack;
	s->cr0 |= VCPU_CR0_PG;
	s->cr3 = pml4;
	s->cr4 = VCPU_CR4_PAE;
	s->efer = VCPU_EFER_LME | VCPU_EFER_LMA;
	s->cs = (struct vcpu_segment){ VCPU_SEL_CODE64, 0, 0xffffffffu, VCPU_AR_CODE64 };
	s->gdtr = (struct vcpu_dtable){ gdt, gdt_limit };
}

/* Multiboot 0.6.96 section 3.2: EAX magic, EBX the information's address,
 * flat 32-bit CS/DS/ES/FS/GS/SS, A20 on, CR0.PG=0 PE=1, EFLAGS.VM=0 IF=0.
 * ESP is undefined by the spec: the kernel sets up its own stack. */
static inline void vcpu_state_multiboot1(struct vcpu_state *s, uint32_t entry, uint32_t info)
{
	vcpu_state_flat32(s, entry);
	s->rax = MULTIBOOT1_EAX_MAGIC;
	s->rbx = info;
}

/* Multiboot2 1.0 section 3.3 (i386 machine state): the same, with its magic. */
static inline void vcpu_state_multiboot2(struct vcpu_state *s, uint32_t entry, uint32_t info)
{
	vcpu_state_flat32(s, entry);
	s->rax = MULTIBOOT2_EAX_MAGIC;
	s->rbx = info;
}

#endif
