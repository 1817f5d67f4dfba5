/* Exit handlers: what core/ does with each struct vm_exit. Vendor-neutral:
 * registers come from struct vcpu, RIP moves through virt_ops. */
#include "core/exits.h"

#include "arch/x86/cpu.h"
#include "core/hypercall.h"
#include "core/log.h"
#include "arch/x86/tsc.h"
#include "core/partition.h"
#include "core/sched.h"
#include "core/vintr.h"
#include "core/vcpu_state.h"
#include "core/virt.h"
#include "vdev/vdev.h"

#define CPUID_FEAT_HV    (1u << 31) /* "hypervisor present" */
#define CPUID_HV_LEAF    0x40000000u
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_SVM    (1u << 2)
#define CPUID_FEAT_X2APIC (1u << 21)
/* CPUID.1:ECX MONITOR (3), VMX (5), SMX (6), PDCM (15), XSAVE (26),
 * OSXSAVE (27), AVX (28), F16C (29, VEX-encoded), FMA (12, VEX) */
#define CPUID1_ECX_HIDDEN ((1u << 3) | (1u << 5) | (1u << 6) | (1u << 12) | (1u << 15) | \
			   (1u << 26) | (1u << 27) | (1u << 28) | (1u << 29))
/* CPUID.7.0: AVX2 (EBX 5), AVX-512 (EBX 16, 17, 21, 26-28, 30, 31; ECX 1,
 * 6, 11, 12, 14; EDX 2, 3, 8, 23), AMX (EDX 22, 24, 25), VAES/VPCLMULQDQ
 * (ECX 9, 10: VEX/EVEX), PKU/OSPKE (ECX 3, 4: PKRU is not switched) */
#define CPUID7_EBX_HIDDEN ((1u << 5) | (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | \
			   (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31))
#define CPUID7_ECX_HIDDEN ((1u << 1) | (1u << 3) | (1u << 4) | (1u << 6) | (1u << 9) | \
			   (1u << 10) | (1u << 11) | (1u << 12) | (1u << 14))
#define CPUID7_EDX_HIDDEN ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | \
			   (1u << 24) | (1u << 25))
#define CPUID_FEAT_TSC_DEADLINE (1u << 24)
#define CPUID_HV_TIMING  0x40000010u
#define RFLAGS_IF        (1ull << 9)

/* The partition's console (its virtual COM1 transmit register and the
 * console hypercall), shown on the host console a line at a time, prefixed
 * by the partition's name. Only printable ASCII reaches the host console:
 * anything else shows as '?', so a guest cannot send escape sequences to
 * the operator's terminal. A line longer than the buffer is cut into
 * several. */
void partition_console_putc(struct partition *p, uint8_t c)
{
	if (c == '\r')
		return;
	spin_lock(&p->con_lock);
	if (c == '\n' || p->con_len == sizeof(p->con) - 1)
		partition_console_flush(p);
	if (c != '\n')
		p->con[p->con_len++] = (char)((c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?');
	spin_unlock(&p->con_lock);
}

/* Under p->con_lock: the line so far, if any (an empty line only for '\n'). */
void partition_console_flush(struct partition *p)
{
	p->con[p->con_len] = '\0';
	log_info("[%s] %s", p->cfg->name, p->con);
	p->con_len = 0;
}

/* Port I/O goes to the partition's devices (core/partition_devs.c); a port
 * no device claims reads as all ones and drops writes, and is counted. */
static enum exit_action handle_io(struct vcpu *v, const struct vm_exit *e)
{
	struct partition *p = v->part;
	uint64_t mask = e->io.size == 4 ? 0xffffffffull : (1ull << (8 * e->io.size)) - 1;
	uint32_t val;

	if (e->io.string) {
		partition_stop(p, "string port I/O (INS/OUTS) at rip 0x%lx is not supported", e->rip);
		return EXIT_LEAVE;
	}
	if (e->io.in) {
		if (!vdev_pio_in(&p->bus, e->io.port, e->io.size, &val))
			p->io_unclaimed++;
		/* IN EAX zero-extends into RAX; IN AL/AX keep the rest. */
		v->regs.rax = e->io.size == 4 ? val : (v->regs.rax & ~mask) | (val & mask);
	} else if (!vdev_pio_out(&p->bus, e->io.port, e->io.size, (uint32_t)(v->regs.rax & mask))) {
		p->io_unclaimed++;
	}
	return p->stopping ? EXIT_LEAVE : EXIT_SKIP; /* a device may stop it */
}

/* Host CPUID with VMX hidden, the hypervisor bit set and a signature leaf. */
static enum exit_action handle_cpuid(struct vcpu *v, const struct vm_exit *e)
{
	uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
	struct cpuid_regs r;

	if ((leaf >> 16) != (CPUID_HV_LEAF >> 16)) {
		r = cpuid(leaf, sub);
		switch (leaf) {
		case 1:
			/* Its x2APIC (already in x2APIC mode) with TSC-deadline and
			 * its own APIC ID; none of what the hypervisor does not
			 * virtualize: VMX/SMX, MONITOR/MWAIT (a vCPU must not sit on
			 * its CPU unseen), the performance counters, XSAVE and AVX
			 * (XSETBV is refused: only x87/SSE state is switched). */
			r.ecx = (r.ecx & ~CPUID1_ECX_HIDDEN) | CPUID_FEAT_HV | CPUID_FEAT_X2APIC |
				CPUID_FEAT_TSC_DEADLINE;
			r.ebx = (r.ebx & 0x00ffffffu) | (v->id << 24);
			break;
		case 7:
			/* Everything that needs XSAVE state (AVX2, AVX-512, AMX). */
			if (sub == 0) {
				r.ebx &= ~CPUID7_EBX_HIDDEN;
				r.ecx &= ~CPUID7_ECX_HIDDEN;
				r.edx &= ~CPUID7_EDX_HIDDEN;
			}
			break;
		case 0xa: /* architectural performance monitoring: none */
		case 0xd: /* XSAVE state: none */
			r = (struct cpuid_regs){ 0, 0, 0, 0 };
			break;
		case 0xb:
		case 0x1f:
			r.edx = v->id; /* x2APIC ID */
			break;
		case CPUID_EXT_FEATURES:
			r.ecx &= ~CPUID_EXT_SVM; /* no nested virtualization either */
			break;
		default:
			break;
		}
	} else if (leaf == CPUID_HV_LEAF) {
		/* "hvmicrohyper" as EBX, ECX, EDX, like KVM's "KVMKVMKVM"; EAX
		 * the last hypervisor leaf. */
		r = (struct cpuid_regs){ CPUID_HV_TIMING, 0x696d7668, 0x686f7263, 0x72657079 };
	} else if (leaf == CPUID_HV_TIMING) {
		/* As VMware and KVM: the TSC and the APIC timer (which counts at
		 * the TSC rate, core/vintr.c) in kHz. */
		r = (struct cpuid_regs){ (uint32_t)tsc_khz(), (uint32_t)tsc_khz(), 0, 0 };
	} else {
		r = (struct cpuid_regs){ 0, 0, 0, 0 }; /* the rest of 0x4000xxxx */
	}
	v->regs.rax = r.eax;
	v->regs.rbx = r.ebx;
	v->regs.rcx = r.ecx;
	v->regs.rdx = r.edx;
	(void)e;
	return EXIT_SKIP;
}

/* The MSRs a partition reaches through core/ (docs/design.md, "MSRs"):
 * - TSC (0x10): read only, the host's TSC;
 * - EFER (0xC0000080): read and write; SCE, LME and NXE (when the CPU has
 *   NX) may be written, LMA follows CR0.PG, LME cannot change while paging
 *   is on;
 * - the x2APIC: APIC_BASE (0x1B), 0x800-0x8FF and TSC_DEADLINE (0x6E0),
 *   the vCPU's virtual x2APIC (core/vintr.c, vdev/vlapic.c).
 * Everything else (and every other write) gets #GP, as on a CPU without
 * that MSR. The backends let a few MSRs through without an exit (FS/GS base,
 * SYSENTER: vmx/vmx_bitmaps.c; svm/svm_vcpu.c adds the syscall MSRs). */
#define MSR_IA32_TSC 0x10
#define VEC_GP       13
#define VEC_UD       6
#define EFER_SCE     (1ull << 0)
#define CPUID_EXT_NX (1u << 20)

static bool efer_write(struct vcpu *v, uint64_t val)
{
	const struct virt_ops *ops = virt_active();
	uint64_t cur = ops->vcpu_get(v, VCPU_REG_EFER);
	uint64_t ok = EFER_SCE | VCPU_EFER_LME | VCPU_EFER_LMA;

	if (cpuid(CPUID_EXT_FEATURES, 0).edx & CPUID_EXT_NX)
		ok |= EFER_NXE;
	if (val & ~ok)
		return false;
	if (((val ^ cur) & VCPU_EFER_LME) && (ops->vcpu_get(v, VCPU_REG_CR0) & VCPU_CR0_PG))
		return false;
	ops->vcpu_set_efer(v, (val & ~VCPU_EFER_LMA) | (cur & VCPU_EFER_LMA));
	return true;
}

static enum exit_action handle_msr(struct vcpu *v, const struct vm_exit *e)
{
	uint32_t msr = (uint32_t)v->regs.rcx;
	uint64_t val = 0;
	bool ok = false;

	if (vlapic_handles_msr(msr)) {
		val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
		ok = vintr_msr(v, msr, e->kind == VMEXIT_WRMSR, &val);
		if (ok && e->kind == VMEXIT_RDMSR) {
			v->regs.rax = (uint32_t)val;
			v->regs.rdx = val >> 32;
		}
	} else if (e->kind == VMEXIT_RDMSR) {
		ok = msr == MSR_IA32_TSC || msr == MSR_EFER;
		val = msr == MSR_IA32_TSC ? rdtsc() : ok ? virt_active()->vcpu_get(v, VCPU_REG_EFER) : 0;
		if (ok) {
			v->regs.rax = (uint32_t)val;
			v->regs.rdx = val >> 32;
		}
	} else if (msr == MSR_EFER) {
		ok = efer_write(v, (v->regs.rdx << 32) | (uint32_t)v->regs.rax);
	}
	if (ok)
		return EXIT_SKIP;
	v->part->msr_gp++;
	virt_active()->vcpu_inject(v, VEC_GP, true, 0);
	return EXIT_RESUME; /* the instruction did not complete: RIP stays */
}

static enum exit_action handle_exception(struct vcpu *v, const struct vm_exit *e)
{
	/* Intercepted only so it cannot loop unseen: the guest's own. */
	virt_active()->vcpu_inject(v, e->exception.vector, e->exception.has_error,
				   e->exception.error);
	return EXIT_RESUME;
}

static enum exit_action handle_hypercall(struct vcpu *v, const struct vm_exit *e)
{
	(void)e;
	/* From the guest kernel only (ring 0), as KVM does: a guest's user
	 * programs must not stop the partition. */
	if (virt_active()->vcpu_cpl(v) != 0) {
		v->regs.rax = (uint64_t)HC_EPERM;
		return EXIT_SKIP;
	}
	return hypercall(v);
}

static enum exit_action handle_nop(struct vcpu *v, const struct vm_exit *e)
{
	(void)v;
	(void)e;
	/* INVD: throwing away the caches' dirty lines would lose other
	 * partitions' and the host's writes; a no-op keeps the guest's own
	 * (as KVM does). */
	return EXIT_SKIP;
}

/* As on a CPU without the feature: #UD, RIP at the instruction. */
static enum exit_action handle_unoffered(struct vcpu *v, const struct vm_exit *e)
{
	(void)e;
	virt_active()->vcpu_inject(v, VEC_UD, false, 0);
	return EXIT_RESUME;
}

static enum exit_action handle_nmi(struct vcpu *v, const struct vm_exit *e)
{
	(void)v;
	(void)e;
	return EXIT_RESUME; /* the backend let the host take it */
}

/* Whether some other vCPU of v's partition could still wake it. */
static bool siblings_live(const struct vcpu *v)
{
	const struct partition *p = v->part;

	for (unsigned i = 0; i < p->nvcpus; i++)
		if (&p->vcpus[i] != v && p->vcpus[i].state != VCPU_OFF &&
		    p->vcpus[i].state != VCPU_DEAD)
			return true;
	return false;
}

/* HLT: with interrupts on, the vCPU blocks until a virtual interrupt (its
 * CPU runs others or idles); one already pending completes it at once.
 * With interrupts off only INIT wakes it; if no other vCPU of the
 * partition could send one, the partition is over. */
static enum exit_action handle_hlt(struct vcpu *v, const struct vm_exit *e)
{
	bool intr_on = virt_active()->vcpu_get(v, VCPU_REG_RFLAGS) & RFLAGS_IF;

	if (!intr_on && !siblings_live(v)) {
		partition_stop(v->part, "vCPU %u halted at rip 0x%lx", v->id, e->rip);
		return EXIT_LEAVE;
	}
	/* HLT with an interrupt that can be delivered now completes at once
	 * (the interrupt is injected for the instruction after it). */
	if (intr_on && (vintr_prepare(v) || vlapic_pending_vector(&v->lapic) >= 0 || v->intr_dirty))
		return EXIT_SKIP;
	sched_block(v, !intr_on);
	return EXIT_SKIP_LEAVE;
}

/* The backend's timer or a host interrupt (a kick, the host timer): back
 * to the scheduler when the slice is over or something asked for it; else
 * on into the guest (a due virtual timer is injected before the entry). */
static enum exit_action handle_preempt(struct vcpu *v, const struct vm_exit *e)
{
	(void)e;
	return sched_should_leave(v, rdtsc()) ? EXIT_LEAVE : EXIT_RESUME;
}

static enum exit_action handle_intr(struct vcpu *v, const struct vm_exit *e)
{
	/* The interrupt is still pending in the host's APIC: take it here
	 * (its handler EOIs), or the next entry would exit again at once. */
	__asm__ volatile("sti; nop; cli" ::: "memory");
	return handle_preempt(v, e);
}

static enum exit_action handle_irq_window(struct vcpu *v, const struct vm_exit *e)
{
	(void)e;
	virt_active()->vcpu_irq_window(v, false);
	v->intr_dirty = true;
	return EXIT_RESUME;
}

static enum exit_action handle_slat_fault(struct vcpu *v, const struct vm_exit *e)
{
	partition_stop(v->part, "access outside its memory: GPA 0x%lx (%s%s%s) at rip 0x%lx",
		       e->fault.gpa, e->fault.read ? "read" : "", e->fault.write ? "write" : "",
		       e->fault.fetch ? "fetch" : "", e->rip);
	return EXIT_LEAVE;
}

/* The guest's state, for the log of a partition stopped by an exit it
 * should not have caused (docs/log-lines.md). */
static void dump_guest(struct vcpu *v)
{
	const struct virt_ops *ops = virt_active();
	const struct vcpu_regs *r = &v->regs;
	const char *n = v->part->cfg->name;

	log_info("partition %s: guest rip=0x%lx rsp=0x%lx rflags=0x%lx cr0=0x%lx cr3=0x%lx "
		 "cr4=0x%lx efer=0x%lx", n, ops->vcpu_get(v, VCPU_REG_RIP),
		 ops->vcpu_get(v, VCPU_REG_RSP), ops->vcpu_get(v, VCPU_REG_RFLAGS),
		 ops->vcpu_get(v, VCPU_REG_CR0), ops->vcpu_get(v, VCPU_REG_CR3),
		 ops->vcpu_get(v, VCPU_REG_CR4), ops->vcpu_get(v, VCPU_REG_EFER));
	log_info("partition %s: guest rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx rsi=0x%lx "
		 "rdi=0x%lx rbp=0x%lx", n, r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp);
	log_info("partition %s: guest r8=0x%lx r9=0x%lx r10=0x%lx r11=0x%lx r12=0x%lx "
		 "r13=0x%lx r14=0x%lx r15=0x%lx", n, r->r8, r->r9, r->r10, r->r11, r->r12, r->r13,
		 r->r14, r->r15);
}

static enum exit_action handle_triple_fault(struct vcpu *v, const struct vm_exit *e)
{
	dump_guest(v);
	partition_stop(v->part, "triple fault at rip 0x%lx", e->rip);
	return EXIT_LEAVE;
}

static enum exit_action handle_entry_failed(struct vcpu *v, const struct vm_exit *e)
{
	if (e->code) /* a real exit, not a refused VMLAUNCH/VMRESUME */
		dump_guest(v);
	partition_stop(v->part, "VM entry failed: %s", e->detail ? e->detail : "?");
	return EXIT_LEAVE;
}

/* The one path for what nothing else handles: the native reason, where,
 * and the guest's state. */
static enum exit_action handle_unexpected(struct vcpu *v, const struct vm_exit *e)
{
	dump_guest(v);
	partition_stop(v->part, "unexpected exit %lu (%s) at rip 0x%lx", e->code,
		       e->detail ? e->detail : "?", e->rip);
	return EXIT_LEAVE;
}

typedef enum exit_action exit_fn(struct vcpu *v, const struct vm_exit *e);

static exit_fn *const handlers[VMEXIT_OTHER + 1] = {
	[VMEXIT_IO] = handle_io,
	[VMEXIT_HLT] = handle_hlt,
	[VMEXIT_CPUID] = handle_cpuid,
	[VMEXIT_RDMSR] = handle_msr,
	[VMEXIT_WRMSR] = handle_msr,
	[VMEXIT_HYPERCALL] = handle_hypercall,
	[VMEXIT_NOP] = handle_nop,
	[VMEXIT_UNOFFERED] = handle_unoffered,
	[VMEXIT_EXCEPTION] = handle_exception,
	[VMEXIT_SLAT_FAULT] = handle_slat_fault,
	[VMEXIT_TRIPLE_FAULT] = handle_triple_fault,
	[VMEXIT_NMI] = handle_nmi,
	[VMEXIT_ENTRY_FAILED] = handle_entry_failed,
	[VMEXIT_PREEMPT] = handle_preempt,
	[VMEXIT_INTR] = handle_intr,
	[VMEXIT_IRQ_WINDOW] = handle_irq_window,
	[VMEXIT_OTHER] = handle_unexpected,
};

enum exit_action exit_handle(struct vcpu *v, const struct vm_exit *e)
{
	enum vm_exit_kind k = e->kind;

	/* The backend's timer and host interrupts count by what they ended:
	 * "preempt" for the scheduler's deadline (a slice, another vCPU's timer
	 * due on this CPU) however the backend got it (VMX preemption timer,
	 * host APIC timer), "intr" for the rest (host interrupts, the vCPU's
	 * own virtual timer). */
	if (k == VMEXIT_PREEMPT || k == VMEXIT_INTR)
		k = v->timer_at && rdtsc() >= v->timer_at ? VMEXIT_PREEMPT : VMEXIT_INTR;
	v->exits[k]++; /* only v's CPU writes them */
	return handlers[e->kind](v, e);
}
