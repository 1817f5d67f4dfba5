/* A vCPU on SVM: its VMCB from the CPU-neutral initial state, VMRUN, and the
 * #VMEXIT decoded into struct vm_exit (APM Vol. 2 chapter 15). */
#include "svm/svm_asid.h"
#include "svm/svm_caps.h"
#include "svm/vmcb.h"

#include "arch/x86/cpu.h"
#include "arch/x86/layout.h"
#include "arch/x86/percpu.h"
#include "core/exits.h"
#include "core/vintr.h"
#include "core/log.h"
#include "core/string.h"
#include "core/vcpu.h"
#include "core/vcpu_state.h"
#include "mm/pmm.h"

#define IOPM_ORDER       2 /* 12 KiB used of 16 */
#define MSRPM_ORDER      1 /* 8 KiB */
#define VEC_DB           1
#define VEC_AC           17
#define VEC_MC           18
#define IOIO_IN          (1ull << 0)
#define IOIO_STR         (1ull << 2)
#define IOIO_SIZE(i)     (((i) >> 4) & 7) /* one-hot: 1, 2 or 4 bytes */
#define IOIO_PORT(i)     (((i) >> 16) & 0xffff)
#define NPF_PRESENT      (1ull << 0)
#define NPF_WRITE        (1ull << 1)
#define NPF_FETCH        (1ull << 4)
#define CPUID_NRIPS      (1u << 3)
#define RFLAGS_IF        (1ull << 9)
#define CPUID_VMCB_CLEAN (1u << 5)
#define CPUID_FLUSH_BY_ASID (1u << 6)
/* Lengths of the intercepted instructions, for CPUs without nRIP save
 * (QEMU's TCG): CPUID 0F A2, HLT F4, VMMCALL 0F 01 D9, RDMSR/WRMSR 0F 32/30. */
#define LEN_CPUID        2
#define LEN_HLT          1
#define LEN_VMMCALL      3
#define LEN_MSR          2
#define LEN_INVD         2 /* 0F 08 */

void svm_enter(struct vcpu *v, uint64_t vmcb_pa, uint64_t host_pa);

static uint64_t iopm_pa, msrpm_pa;
/* Read once (svm_cpu_on): a CPUID on every exit would add to its cost. */
static bool nrips, vmcb_clean, flush_by_asid;
static uint32_t clean_after_exit; /* CLEAN_USED with the feature, else 0 */
/* Per CPU: its ASIDs (svm_asid.h) and the VMCB that last ran there. */
static struct asid_cpu asids[MAX_CPUS];
static uint64_t last_vmcb[MAX_CPUS];
static uint64_t hsave_pa[MAX_CPUS], host_vmsave_pa[MAX_CPUS];

static uint64_t page_filled(unsigned order, int byte)
{
	uint64_t pa;

	if (pmm_alloc(order, &pa))
		return 0;
	memset(phys_to_virt(pa), byte, PAGE_SIZE << order);
	return pa;
}

/* The MSRs a guest reads and writes without an exit: all are guest state
 * that VMLOAD/VMSAVE switch on every run (svm_entry.asm): FS/GS base,
 * KernelGSbase, STAR, LSTAR, CSTAR, SFMASK and the SYSENTER MSRs. */
static const uint32_t msr_pass[] = { 0x174, 0x175, 0x176, 0xc0000081u, 0xc0000082u,
				     0xc0000083u, 0xc0000084u, 0xc0000100u, 0xc0000101u,
				     0xc0000102u };

/* The permission maps, shared by every vCPU (APM Vol. 2 15.10, 15.11):
 * every port and all other MSRs are intercepted. MSRPM: two bits (read,
 * write) per MSR; 0-0x1fff at byte 0, 0xc0000000-0xc0001fff at 0x800. */
static bool maps_init(void)
{
	uint8_t *m;

	iopm_pa = page_filled(IOPM_ORDER, 0xff);
	msrpm_pa = page_filled(MSRPM_ORDER, 0xff);
	if (!iopm_pa || !msrpm_pa)
		return false;
	m = phys_to_virt(msrpm_pa);
	for (unsigned i = 0; i < sizeof(msr_pass) / sizeof(msr_pass[0]); i++) {
		unsigned bit = 2 * (msr_pass[i] & 0x1fff) + (msr_pass[i] >= 0xc0000000u ? 0x800 * 8 : 0);

		m[bit / 8] &= (uint8_t)~(3u << (bit % 8));
	}
	return true;
}

bool svm_cpu_on(unsigned cpu)
{
	if (cpu >= MAX_CPUS)
		return false;
	/* The boot CPU comes first, alone: it builds the shared maps. */
	if (cpu == 0 && !iopm_pa && !maps_init())
		return false;
	if (!hsave_pa[cpu]) {
		hsave_pa[cpu] = page_filled(0, 0);
		host_vmsave_pa[cpu] = page_filled(0, 0);
		if (!hsave_pa[cpu] || !host_vmsave_pa[cpu])
			return false;
	}
	{
		struct cpuid_regs r = cpuid(0x8000000a, 0);

		nrips = r.edx & CPUID_NRIPS;
		vmcb_clean = r.edx & CPUID_VMCB_CLEAN;
		clean_after_exit = vmcb_clean ? CLEAN_USED : 0;
		flush_by_asid = r.edx & CPUID_FLUSH_BY_ASID;
		asid_cpu_init(&asids[cpu], r.ebx);
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave_pa[cpu]);
	return true;
}

/* VMX-style access rights (core/vcpu_state.h) to the VMCB's 12-bit form. */
static struct vmcb_seg seg(const struct vcpu_segment *s)
{
	uint16_t attrib = (uint16_t)((s->ar & 0xff) | ((s->ar >> 4) & 0xf00));

	if (s->ar & VCPU_AR_UNUSABLE)
		attrib = 0;
	return (struct vmcb_seg){ s->sel, attrib, s->limit, s->base };
}

int svm_vcpu_init(struct vcpu *v, const struct vcpu_state *s, uint64_t slat_root, uint16_t tag)
{
	struct vmcb *c;
	uint64_t pa;

	if (!iopm_pa || !msrpm_pa || !(pa = page_filled(0, 0)))
		return -1;
	c = phys_to_virt(pa);
	c->intercepts1 = INTERCEPT1_INTR | INTERCEPT1_NMI | INTERCEPT1_CPUID | INTERCEPT1_HLT |
			 INTERCEPT1_IOIO | INTERCEPT1_MSR | INTERCEPT1_SHUTDOWN | INTERCEPT1_INVD |
			 INTERCEPT1_INVLPGA;
	/* The guest's IF masks only virtual interrupts; host interrupts exit
	 * (the scheduler's timer and kicks). */
	c->vintr = VINTR_MASKING;
	/* EFER.SVME is on in every guest (VMRUN requires it), so each SVM
	 * instruction must be intercepted: VMLOAD/VMSAVE take host physical
	 * addresses, CLGI would shut the host's interrupts and NMIs out. */
	c->intercepts2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL | INTERCEPT2_VMLOAD |
			 INTERCEPT2_VMSAVE | INTERCEPT2_STGI | INTERCEPT2_CLGI | INTERCEPT2_SKINIT |
			 INTERCEPT2_XSETBV | INTERCEPT2_MONITOR | INTERCEPT2_MWAIT;
	/* As on VMX: #DB/#AC cannot loop unseen (CVE-2015-8104/5307); #MC is
	 * the host's. */
	c->exception_intercepts = (1u << VEC_DB) | (1u << VEC_AC) | (1u << VEC_MC);
	c->iopm_pa = iopm_pa;
	c->msrpm_pa = msrpm_pa;
	/* The ASID is chosen per CPU at each run from C (svm_asid.h); the VPID
	 * style tag core/ passes is not used on SVM. */
	(void)tag;
	asid_vcpu_init(&v->tlb);
	c->clean = 0;
	c->np_enable = 1;
	c->ncr3 = slat_root;
	c->es = seg(&s->es);
	c->cs = seg(&s->cs);
	c->ss = seg(&s->ss);
	c->ds = seg(&s->ds);
	c->fs = seg(&s->fs);
	c->gs = seg(&s->gs);
	c->ldtr = seg(&s->ldtr);
	c->tr = seg(&s->tr);
	c->gdtr = (struct vmcb_seg){ 0, 0, s->gdtr.limit, s->gdtr.base };
	c->idtr = (struct vmcb_seg){ 0, 0, s->idtr.limit, s->idtr.base };
	c->cpl = 0;
	c->efer = s->efer | EFER_SVME; /* VMRUN requires it in the guest too */
	c->cr0 = s->cr0;
	c->cr3 = s->cr3;
	c->cr4 = s->cr4;
	c->dr7 = 0x400;
	c->dr6 = 0xffff0ff0;
	c->rflags = s->rflags;
	c->rip = s->rip;
	c->rsp = s->rsp;
	c->rax = s->rax;
	c->g_pat = GPAT_DEFAULT;
	v->regs = (struct vcpu_regs){ .rax = s->rax, .rbx = s->rbx, .rcx = s->rcx, .rdx = s->rdx,
				      .rsi = s->rsi, .rdi = s->rdi, .rbp = s->rbp };
	v->arch_page = pa;
	v->launched = false;
	return 0;
}


/* Length of the exiting instruction: nRIP when the CPU saves it. */
static unsigned insn_len(const struct vmcb *c, unsigned fixed)
{
	if (nrips && c->nrip > c->rip)
		return (unsigned)(c->nrip - c->rip);
	return fixed;
}

/* Sets only the fields of *e that belong to its kind. */
static void decode(const struct vmcb *c, struct vm_exit *e)
{
	uint64_t code = c->exitcode, i1 = c->exitinfo1;

	e->code = code;
	e->rip = c->rip;
	switch (code) {
	case SVM_EXIT_INTR:
		e->kind = VMEXIT_INTR;
		return;
	case SVM_EXIT_VINTR:
		e->kind = VMEXIT_IRQ_WINDOW;
		return;
	case SVM_EXIT_NMI:
		e->kind = VMEXIT_NMI; /* taken by the host at STGI */
		return;
	case SVM_EXIT_CPUID:
		e->kind = VMEXIT_CPUID;
		e->insn_len = insn_len(c, LEN_CPUID);
		return;
	case SVM_EXIT_INVD:
		e->kind = VMEXIT_NOP;
		e->insn_len = insn_len(c, LEN_INVD);
		return;
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
		/* CPUID hides SVM and MONITOR/MWAIT (the guest sees EFER.SVME off). */
		e->kind = VMEXIT_UNOFFERED;
		return;
	case SVM_EXIT_HLT:
		e->kind = VMEXIT_HLT;
		e->insn_len = insn_len(c, LEN_HLT);
		return;
	case SVM_EXIT_VMMCALL:
		e->kind = VMEXIT_HYPERCALL;
		e->insn_len = insn_len(c, LEN_VMMCALL);
		return;
	case SVM_EXIT_MSR:
		e->kind = i1 ? VMEXIT_WRMSR : VMEXIT_RDMSR;
		e->insn_len = insn_len(c, LEN_MSR);
		return;
	case SVM_EXIT_IOIO:
		e->kind = VMEXIT_IO;
		e->io.port = (uint16_t)IOIO_PORT(i1);
		e->io.size = (uint8_t)IOIO_SIZE(i1);
		e->io.in = i1 & IOIO_IN;
		e->io.string = i1 & IOIO_STR;
		e->insn_len = (unsigned)(c->exitinfo2 - c->rip); /* EXITINFO2 = next RIP */
		return;
	case SVM_EXIT_SHUTDOWN:
		e->kind = VMEXIT_TRIPLE_FAULT;
		return;
	case SVM_EXIT_NPF:
		e->kind = VMEXIT_SLAT_FAULT;
		e->fault = (struct slat_fault){ .gpa = c->exitinfo2, .present = i1 & NPF_PRESENT,
						.write = i1 & NPF_WRITE, .fetch = i1 & NPF_FETCH,
						.read = !(i1 & (NPF_WRITE | NPF_FETCH)) };
		return;
	default:
		if ((uint32_t)code == SVM_EXIT_INVALID) {
			e->kind = VMEXIT_ENTRY_FAILED;
			e->detail = "VMRUN refused the VMCB (VMEXIT_INVALID)";
			return;
		}
		if (code >= SVM_EXIT_EXCEPTION_BASE && code < SVM_EXIT_EXCEPTION_BASE + 32) {
			unsigned vec = (unsigned)(code - SVM_EXIT_EXCEPTION_BASE);

			if (vec == VEC_MC) {
				__asm__ volatile("int $18"); /* the host's machine check */
				e->kind = VMEXIT_NMI;        /* nothing for core/ to do */
				return;
			}
			e->kind = VMEXIT_EXCEPTION;
			e->exception.vector = (uint8_t)vec;
			e->exception.has_error = vec == VEC_AC;
			e->exception.error = (uint32_t)i1;
			return;
		}
		e->kind = VMEXIT_OTHER;
		e->detail = "unhandled exit code";
		return;
	}
}

static __attribute__((noinline)) void before_entry_slow(struct vcpu *v)
{
	if (vintr_due(v))
		vintr_prepare(v);
	vintr_host_timer(v);
}

/* Before each entry: interrupts core/ wants delivered, and the host timer
 * at the vCPU's deadline (its interrupt exits the guest). The common case
 * on the exit path is a few loads and one branch; a host timer left armed
 * from before costs at most one early exit. */
static inline __attribute__((always_inline)) void before_entry(struct vcpu *v)
{
	if (v->entry_work)
		before_entry_slow(v);
}

/* Called by svm_enter (svm_entry.asm) after every #VMEXIT, with the
 * guest's registers saved in v and GIF set: nonzero to run it again. */
int svm_exit_handler(struct vcpu *v);
int svm_exit_handler(struct vcpu *v)
{
	struct vmcb *c = phys_to_virt(v->arch_page);
	struct vm_exit e;
	enum exit_action a;

	v->regs.rax = c->rax;
	c->tlb_control = 0; /* asked for by svm_vcpu_run only */
	c->eventinj = 0;    /* delivered (or back in EXITINTINFO) */
	/* Nothing cached changed since this VMRUN; a handler that changes a
	 * group clears its bit (svm_vcpu_set_efer). Never set without the
	 * feature: a CPU without it may treat the bits as reserved. */
	c->clean = clean_after_exit;
	decode(c, &e);
	/* An event the exit interrupted during its delivery is delivered
	 * again (EXITINTINFO has EVENTINJ's format, APM Vol. 2 15.7.2). */
	if (e.kind >= VMEXIT_EXCEPTION && (c->exitintinfo & EVENTINJ_VALID))
		c->eventinj = c->exitintinfo;
	a = exit_handle(v, &e);
	if (a & EXIT_ACTION_SKIP) {
		c->rip = e.rip + e.insn_len;
		c->interrupt_shadow = 0; /* it ended with the instruction (STI;HLT) */
	}
	if (a & EXIT_ACTION_LEAVE) {
		c->rax = v->regs.rax;
		return 0;
	}
	before_entry(v);
	c->rax = v->regs.rax;
	return 1;
}

void svm_vcpu_free(struct vcpu *v)
{
	unsigned cpu = this_cpu()->cpu_id;

	if (!v->arch_page)
		return;
	if (last_vmcb[cpu] == v->arch_page)
		last_vmcb[cpu] = 0;
	pmm_free(v->arch_page);
	v->arch_page = 0;
}

void svm_vcpu_run(struct vcpu *v)
{
	struct vmcb *c = phys_to_virt(v->arch_page);
	unsigned cpu = this_cpu()->cpu_id;
	bool changed;

	/* The TLB decision for this run: a fresh ASID on arrival from another
	 * CPU or generation, a full flush when this CPU starts a generation,
	 * the vCPU's own ASID flushed after its tables changed (svm_asid.h). */
	c->tlb_control = (uint8_t)asid_for_run(&asids[cpu], (int)cpu, &v->tlb, &changed);
	c->asid = v->tlb.tag;
	/* What the CPU cached of this VMCB is usable only if it was the last
	 * one run here and has not run elsewhere since (a fresh ASID says it
	 * arrived from another CPU or generation): otherwise nothing is clean. */
	if (last_vmcb[cpu] != v->arch_page || changed)
		c->clean = 0;
	last_vmcb[cpu] = v->arch_page;
	before_entry_slow(v); /* also stops a host timer left from before */
	c->rax = v->regs.rax;
	svm_enter(v, v->arch_page, host_vmsave_pa[cpu]);
	v->launched = true;
}

void svm_vcpu_inject(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	struct vmcb *c = phys_to_virt(v->arch_page);

	/* Real mode has no error codes (the guest owns CR0.PE). */
	if (!(c->cr0 & VCPU_CR0_PE))
		has_error = false;
	c->eventinj = EVENTINJ_VALID | EVENTINJ_EXCEPTION | vector |
		      (has_error ? EVENTINJ_EV | ((uint64_t)error << 32) : 0);
}

unsigned svm_vcpu_cpl(struct vcpu *v)
{
	return ((const struct vmcb *)phys_to_virt(v->arch_page))->cpl;
}

uint64_t svm_vcpu_get(struct vcpu *v, enum vcpu_reg r)
{
	const struct vmcb *c = phys_to_virt(v->arch_page);

	switch (r) {
	case VCPU_REG_RIP: return c->rip;
	case VCPU_REG_RSP: return c->rsp;
	case VCPU_REG_RFLAGS: return c->rflags;
	case VCPU_REG_CR0: return c->cr0;
	case VCPU_REG_CR3: return c->cr3;
	case VCPU_REG_CR4: return c->cr4;
	case VCPU_REG_EFER: return c->efer & ~EFER_SVME; /* the guest has no SVM */
	}
	return 0;
}

void svm_vcpu_set_efer(struct vcpu *v, uint64_t efer)
{
	struct vmcb *c = phys_to_virt(v->arch_page);

	c->efer = efer | EFER_SVME; /* VMRUN requires it */
	c->clean &= ~CLEAN_CRX;
}

void svm_vcpu_put(struct vcpu *v)
{
	(void)v; /* a VMCB may run on any CPU next: the ASID and clean bits follow */
}

bool svm_vcpu_interruptible(struct vcpu *v)
{
	const struct vmcb *c = phys_to_virt(v->arch_page);

	return (c->rflags & RFLAGS_IF) && !(c->interrupt_shadow & 1) &&
	       !(c->eventinj & EVENTINJ_VALID);
}

void svm_vcpu_inject_irq(struct vcpu *v, uint8_t vector)
{
	struct vmcb *c = phys_to_virt(v->arch_page);

	c->eventinj = EVENTINJ_VALID | vector; /* type 0: external interrupt */
}

/* A virtual interrupt request (V_IRQ) with the VINTR intercept: the CPU
 * exits as soon as the guest could take it; it is never delivered itself. */
void svm_vcpu_irq_window(struct vcpu *v, bool on)
{
	struct vmcb *c = phys_to_virt(v->arch_page);

	if (on) {
		c->vintr |= VINTR_V_IRQ | VINTR_PRIO_MAX | VINTR_IGN_TPR;
		c->intercepts1 |= INTERCEPT1_VINTR;
	} else {
		c->vintr &= ~(VINTR_V_IRQ | VINTR_PRIO_MAX | VINTR_IGN_TPR);
		c->intercepts1 &= ~INTERCEPT1_VINTR;
	}
	c->clean &= ~(CLEAN_INTERCEPTS | CLEAN_TPR);
}
