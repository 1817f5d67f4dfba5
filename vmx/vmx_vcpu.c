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

#include "core/log.h"
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
#define INTR_INFO_TYPE(x)       (((x) >> 8) & 7)
#define INTR_TYPE_NMI           2
#define VEC_DB                  1
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

int vmx_enter(struct vcpu_regs *regs, int launched);
void vmx_exit(void);

/* Desired controls adjusted to what the CPU allows: allowed-0 bits (low half)
 * forced on, allowed-1 bits (high half) the only ones kept (SDM Vol. 3D A.3).
 * The TRUE MSRs let default-1 bits be cleared where the CPU permits. */
static uint32_t adjust(uint32_t want, uint32_t msr, uint32_t true_msr)
{
	uint64_t cap = rdmsr((rdmsr(MSR_VMX_BASIC) & VMX_BASIC_TRUE_CTLS) ? true_msr : msr);

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

static bool write_controls(uint64_t slat_root, uint16_t vpid, uint32_t *bad)
{
	const struct field_value fv[] = {
		{ VMCS_PIN_CTLS, adjust(PIN_NMI_EXITING, MSR_VMX_PINBASED, MSR_VMX_TRUE_PINBASED) },
		{ VMCS_PROC_CTLS, adjust(PROC_HLT_EXITING | PROC_UNCOND_IO_EXITING | PROC_SECONDARY,
					 MSR_VMX_PROCBASED, MSR_VMX_TRUE_PROCBASED) },
		{ VMCS_PROC_CTLS2, adjust(PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED,
					  MSR_VMX_PROCBASED2, MSR_VMX_PROCBASED2) },
		{ VMCS_EXIT_CTLS, adjust(EXIT_HOST_64BIT | EXIT_SAVE_EFER | EXIT_LOAD_EFER,
					 MSR_VMX_EXIT, MSR_VMX_TRUE_EXIT) },
		{ VMCS_ENTRY_CTLS, adjust(ENTRY_LOAD_EFER, MSR_VMX_ENTRY, MSR_VMX_TRUE_ENTRY) },
		/* #DB and #AC can be made to recur forever during their own
		 * delivery, with no exit and no NMI getting through (CVE-2015-8104,
		 * CVE-2015-5307): intercept both and re-inject. #MC belongs to the
		 * host. */
		{ VMCS_EXCEPTION_BITMAP, (1u << VEC_DB) | (1u << VEC_AC) | (1u << VEC_MC) },
		{ VMCS_CR3_TARGET_COUNT, 0 },
		{ VMCS_EXIT_MSR_STORE_COUNT, 0 },
		{ VMCS_EXIT_MSR_LOAD_COUNT, 0 },
		{ VMCS_ENTRY_MSR_LOAD_COUNT, 0 },
		{ VMCS_ENTRY_INTR_INFO, 0 },
		{ VMCS_EPT_POINTER, slat_root | EPTP_WALK_4 | EPTP_WB },
		{ VMCS_VPID, vpid },
		{ VMCS_LINK_POINTER, ~0ull },
		/* The guest sees its own CR0.NE and CR4.VMXE; VMX needs both set
		 * (TESTING.md quirks): owned by the host, shadowed. */
		{ VMCS_CR0_MASK, CR0_NE },
		{ VMCS_CR4_MASK, CR4_VMXE },
	};

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

static uint64_t rd(uint32_t field)
{
	uint64_t v = 0;

	if (vmread(field, &v) != VMX_OK)
		log_err("vmx: VMREAD of field 0x%x failed", field);
	return v;
}

/* MOV to CR0/CR4 of a bit the host owns (CR0.NE, CR4.VMXE): the guest gets
 * its value in the read shadow, the CPU the value with the owned bit set.
 * Handled here, never seen by core/: it is a VMX quirk, not guest policy.
 * False if the exit is anything else. */
static bool emulate_cr_write(struct vcpu *v, uint64_t q)
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
	uint64_t val;

	if (CR_QUAL_TYPE(q) != 0 || (cr != 0 && cr != 4))
		return false;
	val = gpr == 4 ? rd(VMCS_GUEST_RSP) :
			 *(const uint64_t *)((const uint8_t *)&v->regs + gpr_off[gpr]);
	if (cr == 0)
		return vmwrite(VMCS_CR0_SHADOW, val) == VMX_OK &&
		       vmwrite(VMCS_GUEST_CR0, val | CR0_NE) == VMX_OK;
	return vmwrite(VMCS_CR4_SHADOW, val) == VMX_OK &&
	       vmwrite(VMCS_GUEST_CR4, val | CR4_VMXE) == VMX_OK;
}

/* The VMCS current on each CPU: VMPTRLD only when another one was. */
static uint64_t current_vmcs[MAX_CPUS];

int vmx_vcpu_init(struct vcpu *v, const struct vcpu_state *s, uint64_t slat_root,
			 uint16_t tag)
{
	uint64_t pa;
	uint32_t bad = 0;
	enum vmx_result r;

	if (pmm_alloc(0, &pa))
		return -1;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
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
	if (!write_controls(slat_root, tag, &bad) || !write_host(&bad) || !write_guest(s, &bad)) {
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
	return 0;
}

/* Reads only what the exit needs: each VMREAD is part of the exit cost. */
static void decode(struct vm_exit *e)
{
	uint64_t reason = rd(VMCS_EXIT_REASON), q;

	*e = (struct vm_exit){ .code = reason & 0xffff, .rip = rd(VMCS_GUEST_RIP),
			       .insn_len = (unsigned)rd(VMCS_EXIT_INSTR_LEN) };
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
			return;
		}
		e->kind = VMEXIT_EXCEPTION;
		e->exception.vector = (uint8_t)INTR_INFO_VECTOR(info);
		e->exception.has_error = info & INTR_INFO_HAS_ERROR;
		e->exception.error = e->exception.has_error ? (uint32_t)rd(VMCS_EXIT_INTR_ERROR) : 0;
		return;
	}
	case VMX_EXIT_TRIPLE_FAULT: e->kind = VMEXIT_TRIPLE_FAULT; return;
	case VMX_EXIT_CPUID: e->kind = VMEXIT_CPUID; return;
	case VMX_EXIT_RDMSR: e->kind = VMEXIT_RDMSR; return;
	case VMX_EXIT_WRMSR: e->kind = VMEXIT_WRMSR; return;
	case VMX_EXIT_VMCALL: e->kind = VMEXIT_HYPERCALL; return;
	case VMX_EXIT_HLT: e->kind = VMEXIT_HLT; return;
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

void vmx_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	unsigned cpu = this_cpu()->cpu_id;
	int r;

	if (current_vmcs[cpu] != v->arch_page) {
		if (vmptrld(v->arch_page) != VMX_OK) {
			*e = (struct vm_exit){ .kind = VMEXIT_ENTRY_FAILED,
					       .detail = "VMPTRLD failed" };
			return;
		}
		current_vmcs[cpu] = v->arch_page;
	}
	for (;;) {
		r = vmx_enter(&v->regs, v->launched);
		if (r) {
			*e = (struct vm_exit){ .kind = VMEXIT_ENTRY_FAILED,
					       .detail = r == 2 ? vmx_insn_error_name(vmx_insn_error()) :
								  "VMfailInvalid" };
			return;
		}
		v->launched = true;
		decode(e);
		if (e->code != VMX_EXIT_CR_ACCESS || e->kind == VMEXIT_ENTRY_FAILED ||
		    !emulate_cr_write(v, rd(VMCS_EXIT_QUALIFICATION)))
			return;
		vmx_vcpu_skip(v, e->rip, e->insn_len);
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

void vmx_vcpu_skip(struct vcpu *v, uint64_t rip, unsigned len)
{
	(void)v;
	if (vmwrite(VMCS_GUEST_RIP, rip + len) != VMX_OK)
		log_err("vmx: VMWRITE of the guest RIP failed");
}
