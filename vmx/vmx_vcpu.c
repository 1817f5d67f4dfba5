/* A vCPU on VMX: its VMCS from the CPU-neutral initial state, entry, and the
 * exit decoded into struct vm_exit (SDM Vol. 3C 25-29). Every VMX instruction
 * is checked; a failed VMWRITE during setup refuses the vCPU. */
#include "vmx/vmcs.h"
#include "vmx/vmx_caps.h"
#include "vmx/vmx_insn.h"

#include "arch/x86/cpu.h"
#include "arch/x86/layout.h"
#include "arch/x86/percpu.h"
#include <stddef.h>

#include "core/exits.h"
#include "core/vintr.h"
#include "core/log.h"
#include "core/partition.h"
#include "core/string.h"
#include "core/vcpu.h"
#include "core/vcpu_state.h"
#include "mm/pmm.h"

#define MSR_VMX_BASIC           0x480
#define MSR_VMX_PINBASED        0x481
#define MSR_VMX_PROCBASED       0x482
#define MSR_VMX_EXIT            0x483
#define MSR_VMX_ENTRY           0x484
#define MSR_VMX_PROCBASED2      0x48b
#define MSR_VMX_TRUE_PINBASED   0x48d
#define MSR_VMX_TRUE_PROCBASED  0x48e
#define MSR_VMX_TRUE_EXIT       0x48f
#define MSR_VMX_TRUE_ENTRY      0x490
#define VMX_BASIC_TRUE_CTLS     (1ull << 55)
#define VMX_BASIC_REVISION      0x7fffffffull
#define CR0_NE                  (1ul << 5)
#define CR4_VMXE                (1ul << 13)
#define DR7_RESET               0x400ul
#define INTR_INFO_VECTOR(x)     ((x) & 0xff)
#define RFLAGS_IF               (1ull << 9)
#define INTR_INFO_TYPE(x)       (((x) >> 8) & 7)
#define INTR_TYPE_NMI           2
#define INTR_TYPE_PRIV_SW_EXCEPTION 5u
#define DR6_FIXED               0xffff0ff0ull
#define DR6_EVENT_BITS          0x600full /* B0-B3, BD, BS */
#define VEC_DB                  1
#define VEC_GP                  13
#define X2APIC_TPR_MSR          0x808
#define VEC_AC                  17
#define VEC_MC                  18
#define INTR_INFO_HAS_ERROR     (1u << 11)
#define INTR_TYPE_HW_EXCEPTION  3
#define CR_QUAL_NUM(q)          ((q) & 0xf)
#define CR_QUAL_TYPE(q)         (((q) >> 4) & 3) /* 0: MOV to CR */
#define CR_QUAL_GPR(q)          (((q) >> 8) & 0xf)
#define SS_AR_DPL(ar)           (((ar) >> 5) & 3)
#define EPT_QUAL_READ           (1ull << 0)
#define EPT_QUAL_WRITE          (1ull << 1)
#define EPT_QUAL_FETCH          (1ull << 2)
#define EPT_QUAL_PRESENT        (7ull << 3) /* the entry allowed some access */
#define IO_QUAL_SIZE(q)         (((q) & 7) + 1)
#define IO_QUAL_IN              (1ull << 3)
#define IO_QUAL_STRING          (1ull << 4)
#define IO_QUAL_PORT(q)         (((q) >> 16) & 0xffff)

int vmx_enter(struct vcpu *v, int launched);
void vmx_exit(void);

/* Desired controls adjusted to what the CPU allows: allowed-0 bits (low half)
 * forced on, allowed-1 bits (high half) the only ones kept (SDM Vol. 3D A.3).
 * The TRUE MSRs let default-1 bits be cleared where the CPU permits. A
 * wanted bit the CPU does not allow is never dropped silently: *missing
 * gets it, and the vCPU is refused. */
static uint32_t adjust(uint32_t want, uint32_t msr, uint32_t true_msr, uint32_t *missing)
{
	uint64_t cap = rdmsr((rdmsr(MSR_VMX_BASIC) & VMX_BASIC_TRUE_CTLS) ? true_msr : msr);

	*missing |= want & ~(uint32_t)(cap >> 32);
	return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

/* Writes a table of fields; the first failure names its field. */
struct field_value {
	uint32_t field;
	uint64_t value;
};

static bool write_all(const struct field_value *fv, unsigned n, uint32_t *bad)
{
	for (unsigned i = 0; i < n; i++) {
		if (vmwrite(fv[i].field, fv[i].value) != VMX_OK) {
			*bad = fv[i].field;
			return false;
		}
	}
	return true;
}

static bool write_controls(uint64_t slat_root, uint16_t vpid, bool long_mode, uint32_t *bad)
{
	uint32_t missing[5] = { 0 };
	const struct field_value fv[] = {
		/* Host interrupts (the scheduler's timer and kicks) and NMIs exit;
		 * the preemption timer is switched on per entry (arm_timer). */
		{ VMCS_PIN_CTLS, adjust(PIN_EXT_INT_EXITING | PIN_NMI_EXITING, MSR_VMX_PINBASED,
					MSR_VMX_TRUE_PINBASED, &missing[0]) },
		{ VMCS_PROC_CTLS,
		  /* CR8 is the task priority: load and store exit, or a guest
		   * would set the host APIC's TPR and shut out its interrupts. */
		  adjust(PROC_HLT_EXITING | PROC_MWAIT_EXITING | PROC_MONITOR_EXITING |
			 PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING |
			 PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_SECONDARY,
			 MSR_VMX_PROCBASED, MSR_VMX_TRUE_PROCBASED, &missing[1]) },
		{ VMCS_PROC_CTLS2, adjust(PROC2_EPT | (vmx_has_vpid() ? PROC2_VPID : 0) |
						  PROC2_UNRESTRICTED,
					  MSR_VMX_PROCBASED2, MSR_VMX_PROCBASED2, &missing[2]) },
		/* DR7 and DEBUGCTL are guest state: saved on exit, loaded on entry. */
		{ VMCS_EXIT_CTLS, adjust(EXIT_HOST_64BIT | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
					 EXIT_SAVE_DEBUG,
					 MSR_VMX_EXIT, MSR_VMX_TRUE_EXIT, &missing[3]) },
		/* A guest that starts in long mode enters as IA-32e; later, each
		 * exit keeps this control equal to the guest's EFER.LMA. */
		{ VMCS_ENTRY_CTLS, adjust(ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG |
					  (long_mode ? ENTRY_IA32E_MODE : 0),
					  MSR_VMX_ENTRY, MSR_VMX_TRUE_ENTRY, &missing[4]) },
		{ VMCS_IO_BITMAP_A, vmx_io_bitmap_pa() },
		{ VMCS_IO_BITMAP_B, vmx_io_bitmap_pa() + PAGE_SIZE },
		{ VMCS_MSR_BITMAP, vmx_msr_bitmap_pa() },
		/* #DB and #AC can be made to recur forever during their own
		 * delivery, with no exit and no NMI getting through (CVE-2015-8104,
		 * CVE-2015-5307): intercept both and re-inject. #MC belongs to the
		 * host. */
		{ VMCS_EXCEPTION_BITMAP, (1u << VEC_DB) | (1u << VEC_AC) | (1u << VEC_MC) },
		{ VMCS_CR3_TARGET_COUNT, 0 },
		{ VMCS_EXIT_MSR_LOAD_COUNT, 0 },
		{ VMCS_ENTRY_INTR_INFO, 0 },
		{ VMCS_EPT_POINTER, slat_root | EPTP_WALK_4 | EPTP_WB },
		{ VMCS_VPID, vpid },
		{ VMCS_LINK_POINTER, ~0ull },
		/* The guest sees its own CR0.NE and CR4.VMXE; VMX needs both set
		 * (TESTING.md quirks): owned by the host, shadowed. */
		{ VMCS_CR0_MASK, CR0_NE },
		{ VMCS_CR4_MASK, CR4_VMXE },
	};

	static const char *const names[] = { "pin-based", "processor-based",
					     "secondary processor-based", "VM-exit", "VM-entry" };

	for (unsigned i = 0; i < 5; i++) {
		if (missing[i]) {
			log_err("vmx: the CPU does not allow %s controls 0x%x", names[i], missing[i]);
			*bad = 0; /* nothing was written */
			return false;
		}
	}
	return write_all(fv, sizeof(fv) / sizeof(fv[0]), bad);
}

static bool write_host(uint32_t *bad)
{
	struct percpu *p = this_cpu();
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;
	const struct field_value *fv;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	{
		const struct field_value host[] = {
			{ VMCS_HOST_CR0, read_cr0() }, { VMCS_HOST_CR3, read_cr3() },
			{ VMCS_HOST_CR4, read_cr4() },
			{ VMCS_HOST_CS_SEL, SEL_CODE }, { VMCS_HOST_SS_SEL, SEL_DATA },
			{ VMCS_HOST_DS_SEL, SEL_DATA }, { VMCS_HOST_ES_SEL, SEL_DATA },
			{ VMCS_HOST_FS_SEL, 0 }, { VMCS_HOST_GS_SEL, 0 }, { VMCS_HOST_TR_SEL, SEL_TSS },
			{ VMCS_HOST_FS_BASE, 0 }, { VMCS_HOST_GS_BASE, (uint64_t)p },
			{ VMCS_HOST_TR_BASE, (uint64_t)&p->tss },
			{ VMCS_HOST_GDTR_BASE, (uint64_t)p->gdt },
			{ VMCS_HOST_IDTR_BASE, idtr.base },
			{ VMCS_HOST_SYSENTER_CS, 0 }, { VMCS_HOST_SYSENTER_ESP, 0 },
			{ VMCS_HOST_SYSENTER_EIP, 0 },
			{ VMCS_HOST_EFER, rdmsr(MSR_EFER) },
			{ VMCS_HOST_RIP, (uint64_t)vmx_exit },
		};

		fv = host;
		return write_all(fv, sizeof(host) / sizeof(host[0]), bad);
	}
}

static bool write_segment(uint32_t sel_field, const struct vcpu_segment *s, uint32_t *bad)
{
	/* Guest selector, limit, AR and base fields are 2 apart per segment
	 * in the same order (SDM Vol. 3D B.1.2, B.3.3, B.4.3). */
	uint32_t idx = sel_field - VMCS_GUEST_ES_SEL;
	const struct field_value fv[] = {
		{ sel_field, s->sel },
		{ VMCS_GUEST_ES_LIMIT + idx, s->limit },
		{ VMCS_GUEST_ES_AR + idx, s->ar },
		{ VMCS_GUEST_ES_BASE + idx, s->base },
	};

	return write_all(fv, 4, bad);
}

static bool write_guest(const struct vcpu_state *s, uint32_t *bad)
{
	const struct vcpu_segment *segs[] = { &s->es, &s->cs, &s->ss, &s->ds,
					       &s->fs, &s->gs, &s->ldtr, &s->tr };
	const struct field_value fv[] = {
		{ VMCS_GUEST_CR0, s->cr0 | CR0_NE }, { VMCS_CR0_SHADOW, s->cr0 },
		{ VMCS_GUEST_CR3, s->cr3 },
		{ VMCS_GUEST_CR4, s->cr4 | CR4_VMXE }, { VMCS_CR4_SHADOW, s->cr4 },
		{ VMCS_GUEST_EFER, s->efer },
		{ VMCS_GUEST_GDTR_BASE, s->gdtr.base }, { VMCS_GUEST_GDTR_LIMIT, s->gdtr.limit },
		{ VMCS_GUEST_IDTR_BASE, s->idtr.base }, { VMCS_GUEST_IDTR_LIMIT, s->idtr.limit },
		{ VMCS_GUEST_DR7, DR7_RESET }, { VMCS_GUEST_RSP, s->rsp },
		{ VMCS_GUEST_RIP, s->rip }, { VMCS_GUEST_RFLAGS, s->rflags },
		{ VMCS_GUEST_PENDING_DBG, 0 }, { VMCS_GUEST_INTERRUPTIBILITY, 0 },
		{ VMCS_GUEST_ACTIVITY, 0 },
		{ VMCS_GUEST_SYSENTER_CS, 0 }, { VMCS_GUEST_SYSENTER_ESP, 0 },
		{ VMCS_GUEST_SYSENTER_EIP, 0 },
	};

	for (unsigned i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		if (!write_segment(VMCS_GUEST_ES_SEL + 2 * i, segs[i], bad))
			return false;
	return write_all(fv, sizeof(fv) / sizeof(fv[0]), bad);
}

static __attribute__((noinline, cold)) void vmread_failed(uint32_t field)
{
	log_err("vmx: VMREAD of field 0x%x failed", field);
}

/* VMREAD on the exit path: two instructions when it works (the failure is
 * still checked: JBE takes CF or ZF). A failed read logs and gives 0. */
static inline uint64_t rd(uint32_t field)
{
	uint64_t v;

	__asm__ goto("vmread %[f], %[v]\n\tjbe %l[fail]"
		     : [v] "=r"(v)
		     : [f] "r"((uint64_t)field)
		     : "cc"
		     : fail);
	return v;
fail:
	vmread_failed(field);
	return 0;
}

/* VMWRITE on the exit path: the failure checked by one JBE. */
static inline bool wr(uint32_t field, uint64_t val)
{
	__asm__ goto("vmwrite %[v], %[f]\n\tjbe %l[fail]"
		     :
		     : [f] "r"((uint64_t)field), [v] "r"(val)
		     : "cc"
		     : fail);
	return true;
fail:
	return false;
}

/* MOV to CR0/CR4 of a bit the host owns (CR0.NE, CR4.VMXE): the guest gets
 * its value in the read shadow, the CPU the value with the owned bit set.
 * MOV to/from CR8: the task priority of the vCPU's virtual x2APIC (CR8 =
 * TPR bits 7:4), never the host's own APIC. Handled here, never seen by
 * core/ as an exit. 1: done; -1: the guest gets #GP (a CR8 value above
 * 15, or the APIC refused it); 0: not one of these. */
static int emulate_cr(struct vcpu *v, uint64_t q)
{
	static const uint32_t gpr_off[16] = {
		offsetof(struct vcpu_regs, rax), offsetof(struct vcpu_regs, rcx),
		offsetof(struct vcpu_regs, rdx), offsetof(struct vcpu_regs, rbx),
		0 /* RSP: VMCS */, offsetof(struct vcpu_regs, rbp),
		offsetof(struct vcpu_regs, rsi), offsetof(struct vcpu_regs, rdi),
		offsetof(struct vcpu_regs, r8), offsetof(struct vcpu_regs, r9),
		offsetof(struct vcpu_regs, r10), offsetof(struct vcpu_regs, r11),
		offsetof(struct vcpu_regs, r12), offsetof(struct vcpu_regs, r13),
		offsetof(struct vcpu_regs, r14), offsetof(struct vcpu_regs, r15),
	};
	unsigned cr = CR_QUAL_NUM(q), gpr = CR_QUAL_GPR(q);
	uint64_t *reg = (uint64_t *)((uint8_t *)&v->regs + gpr_off[gpr]);
	uint64_t val;

	if (cr == 8 && CR_QUAL_TYPE(q) == 1) { /* MOV from CR8 */
		if (!vintr_msr(v, X2APIC_TPR_MSR, false, &val))
			return 0;
		val = (val >> 4) & 0xf;
		if (gpr == 4)
			return wr(VMCS_GUEST_RSP, val) ? 1 : 0;
		*reg = val;
		return 1;
	}
	if (CR_QUAL_TYPE(q) != 0 || (cr != 0 && cr != 4 && cr != 8))
		return 0;
	val = gpr == 4 ? rd(VMCS_GUEST_RSP) : *reg;
	if (cr == 8) {
		val <<= 4;
		if (val > 0xff || !vintr_msr(v, X2APIC_TPR_MSR, true, &val)) {
			vmx_vcpu_inject(v, VEC_GP, true, 0);
			return -1;
		}
		return 1;
	}
	if (cr == 0)
		return vmwrite(VMCS_CR0_SHADOW, val) == VMX_OK &&
		       vmwrite(VMCS_GUEST_CR0, val | CR0_NE) == VMX_OK;
	return vmwrite(VMCS_CR4_SHADOW, val) == VMX_OK &&
	       vmwrite(VMCS_GUEST_CR4, val | CR4_VMXE) == VMX_OK;
}

/* The syscall MSRs and KernelGSbase are not in the VMCS: the guest reaches
 * them directly (vmx_bitmaps.c), and VM entry loads its values from this
 * list while VM exit stores them back into it (SDM Vol. 3C 25.7.2, 25.8.2).
 * The host uses none of them (no SYSCALL, no SWAPGS), so it loads nothing;
 * each partition on a CPU gets its own values at every entry. CSTAR is
 * left out: Intel CPUs have no 32-bit SYSCALL, and loading it could fail
 * the entry. */
static const uint32_t guest_msrs[] = { 0xc0000081u, 0xc0000082u, 0xc0000084u, 0xc0000102u };

static bool vmx_msr_area_init(uint64_t pa, uint32_t *bad)
{
	struct {
		uint32_t index, reserved;
		uint64_t value;
	} *e = phys_to_virt(pa);
	const unsigned n = sizeof(guest_msrs) / sizeof(guest_msrs[0]);
	const struct field_value fv[] = {
		{ VMCS_ENTRY_MSR_LOAD_ADDR, pa }, { VMCS_ENTRY_MSR_LOAD_COUNT, n },
		{ VMCS_EXIT_MSR_STORE_ADDR, pa }, { VMCS_EXIT_MSR_STORE_COUNT, n },
	};

	for (unsigned i = 0; i < n; i++)
		e[i] = (typeof(*e)){ guest_msrs[i], 0, 0 }; /* their values after reset */
	return write_all(fv, sizeof(fv) / sizeof(fv[0]), bad);
}

/* The VMCS current on each CPU: VMPTRLD only when another one was. */
static uint64_t current_vmcs[MAX_CPUS];

int vmx_vcpu_init(struct vcpu *v, const struct vcpu_state *s, uint64_t slat_root,
			 uint16_t tag)
{
	uint64_t pa;
	uint32_t bad = 0;
	enum vmx_result r;

	/* Two pages: the VMCS, then the guest's MSR area (vmx_msr_area_init). */
	if (pmm_alloc(1, &pa))
		return -1;
	memset(phys_to_virt(pa), 0, 2 * PAGE_SIZE);
	*(uint32_t *)phys_to_virt(pa) = (uint32_t)(rdmsr(MSR_VMX_BASIC) & VMX_BASIC_REVISION);
	r = vmclear(pa);
	if (r == VMX_OK)
		r = vmptrld(pa);
	if (r == VMX_OK)
		current_vmcs[this_cpu()->cpu_id] = pa;
	if (r != VMX_OK) {
		log_err("vmx: VMCLEAR/VMPTRLD failed (%s)",
			r == VMX_FAIL_VALID ? vmx_insn_error_name(vmx_insn_error()) : "VMfailInvalid");
		pmm_free(pa);
		return -1;
	}
	if (!write_controls(slat_root, tag, s->efer & VCPU_EFER_LMA, &bad) || !write_host(&bad) ||
	    !write_guest(s, &bad) || !vmx_msr_area_init(pa + PAGE_SIZE, &bad)) {
		if (bad)
			log_err("vmx: VMWRITE of field 0x%x failed: %s", bad,
				vmx_insn_error_name(vmx_insn_error()));
		/* The CPU may cache the current VMCS: clear it before the page
		 * goes back to the allocator (SDM Vol. 3C 25.11.1). */
		if (vmclear(pa) == VMX_OK) {
			current_vmcs[this_cpu()->cpu_id] = 0;
			pmm_free(pa);
		}
		return -1;
	}
	v->regs = (struct vcpu_regs){ .rax = s->rax, .rbx = s->rbx, .rcx = s->rcx, .rdx = s->rdx,
				      .rsi = s->rsi, .rdi = s->rdi, .rbp = s->rbp };
	v->arch_page = pa;
	v->launched = false;
	v->guest_timer_on = false; /* a new VMCS starts with the timer off */
	/* The VPID's translations from an earlier life of this partition (a
	 * restart) must not reach the new one: flushed at the first run. */
	v->tlb = (struct vcpu_tlb){ .tag = tag, .cpu = -1, .flush = true };
	return 0;
}

/* Reads only what the exit needs: each VMREAD is part of the exit cost.
 * Sets only the fields of *e that belong to its kind. */
static void decode(struct vm_exit *e)
{
	uint64_t reason = rd(VMCS_EXIT_REASON), q;

	e->code = reason & 0xffff;
	e->rip = rd(VMCS_GUEST_RIP);
	if (reason & (1ull << VMX_EXIT_ENTRY_FAILURE_BIT)) {
		e->kind = VMEXIT_ENTRY_FAILED;
		e->detail = e->code == VMX_EXIT_INVALID_STATE ? "invalid guest state" :
			    "VM-entry failure (MSR loading or machine check)";
		return;
	}
	switch (e->code) {
	case VMX_EXIT_EXCEPTION_NMI: {
		uint64_t info = rd(VMCS_EXIT_INTR_INFO);

		if (INTR_INFO_TYPE(info) == INTR_TYPE_NMI) {
			e->kind = VMEXIT_NMI;
			/* The NMI was meant for the host: take it now (SDM 27.2.2). */
			__asm__ volatile("int $2");
			return;
		}
		if (INTR_INFO_VECTOR(info) == VEC_MC) {
			/* A machine check while the guest ran is the host's. */
			__asm__ volatile("int $18");
			e->kind = VMEXIT_NMI; /* nothing for core/ to do */
			return;
		}
		if (INTR_INFO_VECTOR(info) == VEC_DB) {
			/* An intercepted #DB leaves DR6 alone: its B0-B3, BD and BS
			 * come in the exit qualification (SDM Vol. 3C 28.2.1). The
			 * guest's DR6 is the hardware's while it is loaded. */
			uint64_t dr6 = DR6_FIXED | (rd(VMCS_EXIT_QUALIFICATION) & DR6_EVENT_BITS);

			__asm__ volatile("mov %0, %%dr6" ::"r"(dr6));
			if (INTR_INFO_TYPE(info) == INTR_TYPE_PRIV_SW_EXCEPTION) {
				/* INT1 (ICEBP): delivered again as what it is, past the
				 * instruction, or the guest would loop on it. */
				if (!wr(VMCS_ENTRY_INTR_INFO, ENTRY_INTR_VALID | (INTR_TYPE_PRIV_SW_EXCEPTION << 8) | VEC_DB) ||
				    !wr(VMCS_ENTRY_INSTR_LEN, rd(VMCS_EXIT_INSTR_LEN)))
					log_err("vmx: VMWRITE of an INT1 to deliver failed");
				e->kind = VMEXIT_NMI; /* nothing for core/ to do */
				return;
			}
		}
		e->kind = VMEXIT_EXCEPTION;
		e->exception.vector = (uint8_t)INTR_INFO_VECTOR(info);
		e->exception.has_error = info & INTR_INFO_HAS_ERROR;
		e->exception.error = e->exception.has_error ? (uint32_t)rd(VMCS_EXIT_INTR_ERROR) : 0;
		return;
	}
	case VMX_EXIT_EXT_INT: e->kind = VMEXIT_INTR; return;
	case VMX_EXIT_INTR_WINDOW: e->kind = VMEXIT_IRQ_WINDOW; return;
	case VMX_EXIT_PREEMPT_TIMER: e->kind = VMEXIT_PREEMPT; return;
	case VMX_EXIT_TRIPLE_FAULT: e->kind = VMEXIT_TRIPLE_FAULT; return;
	case VMX_EXIT_CPUID: e->kind = VMEXIT_CPUID; return;
	case VMX_EXIT_RDMSR: e->kind = VMEXIT_RDMSR; return;
	case VMX_EXIT_WRMSR: e->kind = VMEXIT_WRMSR; return;
	case VMX_EXIT_VMCALL: e->kind = VMEXIT_HYPERCALL; return;
	case VMX_EXIT_HLT: e->kind = VMEXIT_HLT; return;
	case VMX_EXIT_INVD: e->kind = VMEXIT_NOP; return;
	case VMX_EXIT_MWAIT:
	case VMX_EXIT_MONITOR: e->kind = VMEXIT_UNOFFERED; return;
	case VMX_EXIT_IO:
		q = rd(VMCS_EXIT_QUALIFICATION);
		e->kind = VMEXIT_IO;
		e->io.port = (uint16_t)IO_QUAL_PORT(q);
		e->io.size = (uint8_t)IO_QUAL_SIZE(q);
		e->io.in = q & IO_QUAL_IN;
		e->io.string = q & IO_QUAL_STRING;
		return;
	case VMX_EXIT_EPT_VIOLATION:
		q = rd(VMCS_EXIT_QUALIFICATION);
		e->kind = VMEXIT_SLAT_FAULT;
		e->fault = (struct slat_fault){ .gpa = rd(VMCS_GUEST_PHYS_ADDR),
						.read = q & EPT_QUAL_READ,
						.write = q & EPT_QUAL_WRITE,
						.fetch = q & EPT_QUAL_FETCH,
						.present = q & EPT_QUAL_PRESENT };
		return;
	default:
		e->kind = VMEXIT_OTHER;
		e->detail = "unhandled exit reason";
		return;
	}
}

/* An event the exit interrupted while the CPU delivered it to the guest
 * (IDT-vectoring information, SDM Vol. 3C 28.2.4) is delivered again at the
 * next entry, or the guest would lose it (an interrupt, an exception). */
static void reinject(void)
{
	uint64_t info = rd(VMCS_IDT_VECTORING_INFO);
	uint32_t type;

	if (!(info & ENTRY_INTR_VALID))
		return;
	type = (uint32_t)(info >> 8) & 7;
	if (vmwrite(VMCS_ENTRY_INTR_INFO, info & ~(1ull << 12)) != VMX_OK ||
	    ((info & INTR_INFO_HAS_ERROR) &&
	     vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, rd(VMCS_IDT_VECTORING_ERROR)) != VMX_OK) ||
	    /* software interrupts and exceptions need their length */
	    ((type == 4 || type == 5 || type == 6) &&
	     vmwrite(VMCS_ENTRY_INSTR_LEN, rd(VMCS_EXIT_INSTR_LEN)) != VMX_OK))
		log_err("vmx: VMWRITE of an event to deliver again failed");
}

/* The preemption timer at vcpu_deadline(v), or off; without a preemption
 * timer, this CPU's APIC timer (its interrupt exits). */
static __attribute__((noinline)) void arm_timer(struct vcpu *v)
{
	uint64_t d = vcpu_deadline(v), now, ticks;
	int rate = vmx_ptimer_rate();

	if (rate < 0) {
		vintr_host_timer(v);
		return;
	}
	if (d == UINT64_MAX) {
		if (v->guest_timer_on &&
		    vmwrite(VMCS_PIN_CTLS, rd(VMCS_PIN_CTLS) & ~PIN_PREEMPT_TIMER) == VMX_OK)
			v->guest_timer_on = false;
		return;
	}
	now = rdtsc();
	ticks = d > now ? (d - now) >> rate : 0;
	if (vmwrite(VMCS_PREEMPTION_TIMER, ticks > 0xffffffffu ? 0xffffffffu : ticks) != VMX_OK)
		log_err("vmx: VMWRITE of the preemption timer failed");
	if (!v->guest_timer_on &&
	    vmwrite(VMCS_PIN_CTLS, rd(VMCS_PIN_CTLS) | PIN_PREEMPT_TIMER) == VMX_OK)
		v->guest_timer_on = true;
}

static __attribute__((noinline)) void before_entry_slow(struct vcpu *v)
{
	if (vintr_due(v))
		vintr_prepare(v);
	if (v->timer_at || v->lapic_at != UINT64_MAX || v->guest_timer_on)
		arm_timer(v);
}

/* Before each entry: interrupts core/ wants delivered, and the timer. On
 * the exit path of every exit, so the common case (nothing pending, no
 * timer) is a few loads and one branch. */
static inline __attribute__((always_inline)) void before_entry(struct vcpu *v)
{
	if (v->entry_work)
		before_entry_slow(v);
}

/* Called by vmx_exit (vmx_entry.asm) on every exit, with the guest's
 * registers saved in v: nonzero to enter the guest again at once. */
int vmx_exit_handler(struct vcpu *v);
int vmx_exit_handler(struct vcpu *v)
{
	struct vm_exit e;
	enum exit_action a;

	decode(&e);
	if (e.kind >= VMEXIT_EXCEPTION) {
		/* Only these exits can interrupt the delivery of an event. */
		reinject();
		int cr = 0;

		if (e.code == VMX_EXIT_CR_ACCESS && e.kind != VMEXIT_ENTRY_FAILED)
			cr = emulate_cr(v, rd(VMCS_EXIT_QUALIFICATION));
		a = cr > 0 ? EXIT_SKIP : cr < 0 ? EXIT_RESUME : exit_handle(v, &e);
	} else {
		a = exit_handle(v, &e);
	}
	if (a & EXIT_ACTION_SKIP) {
		/* VM-exit instruction length: SDM Vol. 3C 28.2.5. */
		if (!wr(VMCS_GUEST_RIP, e.rip + rd(VMCS_EXIT_INSTR_LEN))) {
			partition_stop(v->part, "vmx: VMWRITE of the guest RIP failed (%s)",
				       vmx_insn_error_name(vmx_insn_error()));
			return 0;
		}
		/* HLT completed: the interrupt shadow of an STI before it is
		 * over, or no interrupt could be injected to wake it. */
		if (e.kind == VMEXIT_HLT && (rd(VMCS_GUEST_INTERRUPTIBILITY) & 3) &&
		    vmwrite(VMCS_GUEST_INTERRUPTIBILITY, rd(VMCS_GUEST_INTERRUPTIBILITY) & ~3ull) != VMX_OK)
			log_err("vmx: VMWRITE of the interruptibility state failed");
	}
	if (a & EXIT_ACTION_LEAVE)
		return 0;
	before_entry(v);
	return 1;
}

void vmx_vcpu_free(struct vcpu *v)
{
	unsigned cpu = this_cpu()->cpu_id;

	if (!v->arch_page)
		return;
	/* The CPU may hold the VMCS in its cache: VMCLEAR writes it back and
	 * makes it inactive before the pages go back (SDM Vol. 3C 25.11.1).
	 * If that fails the pages are kept, never reused. */
	if (vmclear(v->arch_page) != VMX_OK) {
		log_err("vmx: VMCLEAR of a freed VMCS failed; its pages stay reserved");
	} else {
		if (current_vmcs[cpu] == v->arch_page)
			current_vmcs[cpu] = 0;
		pmm_free(v->arch_page);
	}
	v->arch_page = 0;
}

void vmx_vcpu_run(struct vcpu *v)
{
	unsigned cpu = this_cpu()->cpu_id;
	bool moved = v->tlb.cpu >= 0 && v->tlb.cpu != (int)cpu;
	uint32_t bad = 0;
	int r;

	/* Linear translations tagged with v's VPID that this CPU kept from an
	 * earlier stay may be stale: the guest may have changed its page
	 * tables and flushed them (INVLPG, MOV CR3) on another CPU since. So a
	 * vCPU that comes back from another CPU starts with its VPID flushed
	 * here. Its EPT translations stay valid: its EPT tables are the same. */
	if (vmx_has_vpid() && (v->tlb.flush || (v->tlb.cpu >= 0 && v->tlb.cpu != (int)cpu)) &&
	    !vmx_flush_vpid((uint16_t)v->tlb.tag)) {
		struct vm_exit e = { .kind = VMEXIT_ENTRY_FAILED, .detail = "INVVPID failed" };

		exit_handle(v, &e);
		return;
	}
	v->tlb.cpu = (int)cpu;
	v->tlb.flush = false;
	if (current_vmcs[cpu] != v->arch_page) {
		if (vmptrld(v->arch_page) != VMX_OK) {
			struct vm_exit e = { .kind = VMEXIT_ENTRY_FAILED, .detail = "VMPTRLD failed" };

			exit_handle(v, &e);
			return;
		}
		current_vmcs[cpu] = v->arch_page;
	}
	/* The host state is this CPU's: its per-CPU block (GS base), TSS and
	 * GDT. A vCPU that ran elsewhere before takes them from here. */
	if (moved && !write_host(&bad)) {
		struct vm_exit e = { .kind = VMEXIT_ENTRY_FAILED,
				     .detail = "VMWRITE of the host state failed" };

		exit_handle(v, &e);
		return;
	}
	before_entry(v);
	r = vmx_enter(v, v->launched);
	/* vmx_enter returns 0 only after exits, and there are exits only
	 * after a successful VMLAUNCH: from here on, VMRESUME. */
	if (!r)
		v->launched = true;
	if (r) {
		struct vm_exit e = { .kind = VMEXIT_ENTRY_FAILED,
				     .detail = r == 2 ? vmx_insn_error_name(vmx_insn_error()) :
							"VMfailInvalid" };

		exit_handle(v, &e);
	}
}

void vmx_vcpu_inject(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	uint32_t info = ENTRY_INTR_VALID | ENTRY_INTR_HW_EXCEPTION | vector;

	(void)v;
	/* Real mode has no error codes: delivering one there fails the entry
	 * (SDM Vol. 3C 27.2.1.3). The guest owns CR0.PE. */
	if (has_error && !(rd(VMCS_GUEST_CR0) & VCPU_CR0_PE))
		has_error = false;
	if (has_error)
		info |= ENTRY_INTR_DELIVER_ERROR;
	if (vmwrite(VMCS_ENTRY_INTR_INFO, info) != VMX_OK ||
	    (has_error && vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error) != VMX_OK))
		log_err("vmx: VMWRITE of the event to inject failed");
}

unsigned vmx_vcpu_cpl(struct vcpu *v)
{
	(void)v;
	return SS_AR_DPL(rd(VMCS_GUEST_SS_AR)); /* CPL = SS.DPL (SDM Vol. 3A 5.5) */
}

uint64_t vmx_vcpu_get(struct vcpu *v, enum vcpu_reg r)
{
	(void)v;
	switch (r) {
	case VCPU_REG_RIP: return rd(VMCS_GUEST_RIP);
	case VCPU_REG_RSP: return rd(VMCS_GUEST_RSP);
	case VCPU_REG_RFLAGS: return rd(VMCS_GUEST_RFLAGS);
	case VCPU_REG_CR0: return (rd(VMCS_GUEST_CR0) & ~CR0_NE) | (rd(VMCS_CR0_SHADOW) & CR0_NE);
	case VCPU_REG_CR3: return rd(VMCS_GUEST_CR3);
	case VCPU_REG_CR4: return (rd(VMCS_GUEST_CR4) & ~CR4_VMXE) | (rd(VMCS_CR4_SHADOW) & CR4_VMXE);
	case VCPU_REG_EFER: return rd(VMCS_GUEST_EFER);
	}
	return 0;
}

/* EFER.LMA follows CR0.PG on the guest's own; each exit stores it into the
 * "IA-32e mode guest" entry control (SDM Vol. 3C 28.2), so only EFER is
 * written here. */
void vmx_vcpu_set_efer(struct vcpu *v, uint64_t efer)
{
	if (vmwrite(VMCS_GUEST_EFER, efer) != VMX_OK)
		partition_stop(v->part, "vmx: VMWRITE of the guest EFER failed (%s)",
			       vmx_insn_error_name(vmx_insn_error()));
}

void vmx_vcpu_put(struct vcpu *v)
{
	unsigned cpu = this_cpu()->cpu_id;

	/* A VMCS may be active on one CPU only: VMCLEAR here before another
	 * CPU loads it (SDM Vol. 3C 25.11.1); its next entry is a VMLAUNCH. */
	if (vmclear(v->arch_page) != VMX_OK) {
		partition_stop(v->part, "vmx: VMCLEAR failed (%s)",
			       vmx_insn_error_name(vmx_insn_error()));
		return;
	}
	if (current_vmcs[cpu] == v->arch_page)
		current_vmcs[cpu] = 0;
	v->launched = false;
}

bool vmx_vcpu_interruptible(struct vcpu *v)
{
	(void)v;
	return (rd(VMCS_GUEST_RFLAGS) & RFLAGS_IF) && !(rd(VMCS_GUEST_INTERRUPTIBILITY) & 3) &&
	       !(rd(VMCS_ENTRY_INTR_INFO) & ENTRY_INTR_VALID);
}

void vmx_vcpu_inject_irq(struct vcpu *v, uint8_t vector)
{
	/* Type 0: external interrupt (SDM Vol. 3C 25.8.3). */
	if (vmwrite(VMCS_ENTRY_INTR_INFO, ENTRY_INTR_VALID | vector) != VMX_OK)
		partition_stop(v->part, "vmx: VMWRITE of an interrupt to inject failed");
}

void vmx_vcpu_irq_window(struct vcpu *v, bool on)
{
	uint64_t c = rd(VMCS_PROC_CTLS);

	if (vmwrite(VMCS_PROC_CTLS, on ? c | PROC_INTR_WINDOW : c & ~PROC_INTR_WINDOW) != VMX_OK)
		partition_stop(v->part, "vmx: VMWRITE of interrupt-window exiting failed");
}
