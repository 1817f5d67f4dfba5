/* Exit handlers: what core/ does with each struct vm_exit. Vendor-neutral:
 * registers come from struct vcpu, RIP moves through virt_ops. */
#include "core/exits.h"

#include "arch/x86/cpu.h"
#include "core/hypercall.h"
#include "core/log.h"
#include "core/partition.h"
#include "core/virt.h"

#define UART_BASE        0x3f8
#define UART_PORTS       8
#define UART_LSR         5
#define UART_LSR_IDLE    0x60 /* THR empty, transmitter empty */
#define CPUID_FEAT_VMX   (1u << 5)
#define CPUID_FEAT_HV    (1u << 31) /* "hypervisor present" */
#define CPUID_HV_LEAF    0x40000000u
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_SVM    (1u << 2)

/* The partition's console (its virtual COM1 transmit register and the
 * console hypercall), shown on the host console a line at a time, prefixed
 * by the partition's name. */
void partition_console_putc(struct partition *p, uint8_t c)
{
	if (c == '\r')
		return;
	if (c != '\n' && p->con_len < sizeof(p->con) - 1) {
		p->con[p->con_len++] = (char)c;
		return;
	}
	p->con[p->con_len] = '\0';
	log_info("[%s] %s", p->cfg->name, p->con);
	p->con_len = 0;
}

static bool handle_io(struct vcpu *v, const struct vm_exit *e)
{
	struct partition *p = v->part;
	bool uart = p->cfg->uart == PART_UART_COM1 && e->io.port >= UART_BASE &&
		    e->io.port < UART_BASE + UART_PORTS;
	uint64_t mask = e->io.size == 4 ? 0xffffffffull : (1ull << (8 * e->io.size)) - 1;

	if (e->io.string) {
		partition_stop(p, "string port I/O (INS/OUTS) at rip 0x%lx is not supported", e->rip);
		return false;
	}
	if (!e->io.in && p->cfg->debug_exit && e->io.port == p->cfg->debug_exit) {
		/* QEMU's isa-debug-exit: the code is (value << 1) | 1, so test
		 * kernels written for QEMU report their verdict unchanged. */
		partition_stop(p, "debug exit with code %lu", ((v->regs.rax & mask) << 1) | 1);
		return false;
	}
	if (e->io.in) {
		uint64_t val = mask; /* unclaimed: all ones */

		if (uart)
			val = e->io.port == UART_BASE + UART_LSR ? UART_LSR_IDLE : 0;
		else
			p->io_unclaimed++;
		v->regs.rax = (v->regs.rax & ~mask) | (val & mask);
	} else if (uart && e->io.port == UART_BASE) {
		partition_console_putc(p, (uint8_t)v->regs.rax);
	} else if (!uart) {
		p->io_unclaimed++; /* dropped */
	}
	return true;
}

/* Host CPUID with VMX hidden, the hypervisor bit set and a signature leaf. */
static void handle_cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
	struct cpuid_regs r;

	if (leaf == CPUID_HV_LEAF) {
		/* "hvmicrohyper" as EBX, ECX, EDX, like KVM's "KVMKVMKVM". */
		r = (struct cpuid_regs){ CPUID_HV_LEAF, 0x696d7668, 0x686f7263, 0x72657079 };
	} else {
		r = cpuid(leaf, sub);
		if (leaf == 1)
			r.ecx = (r.ecx & ~CPUID_FEAT_VMX) | CPUID_FEAT_HV;
		if (leaf == CPUID_EXT_FEATURES)
			r.ecx &= ~CPUID_EXT_SVM; /* no nested virtualization either */
	}
	v->regs.rax = r.eax;
	v->regs.rbx = r.ebx;
	v->regs.rcx = r.ecx;
	v->regs.rdx = r.edx;
}

/* MSRs a partition may read: everything else (and every write) gets #GP,
 * as on a CPU without that MSR. EFER and PAT live in the VMCS/VMCB. */
#define MSR_IA32_TSC 0x10
#define VEC_GP       13

static bool handle_msr(struct vcpu *v, const struct vm_exit *e)
{
	uint32_t msr = (uint32_t)v->regs.rcx;

	if (e->kind == VMEXIT_RDMSR && msr == MSR_IA32_TSC) {
		uint64_t t = rdtsc();

		v->regs.rax = (uint32_t)t;
		v->regs.rdx = t >> 32;
		return true;
	}
	v->part->msr_gp++;
	virt_active()->vcpu_inject(v, VEC_GP, true, 0);
	return false; /* the instruction did not complete: RIP stays */
}

bool exit_handle(struct vcpu *v, const struct vm_exit *e)
{
	const struct virt_ops *ops = virt_active();
	struct partition *p = v->part;

	p->exits[e->kind]++;
	switch (e->kind) {
	case VMEXIT_NMI:
		return true;
	case VMEXIT_IO:
		if (!handle_io(v, e))
			return false;
		ops->vcpu_skip(v, e->rip, e->insn_len);
		return true;
	case VMEXIT_CPUID:
		handle_cpuid(v);
		ops->vcpu_skip(v, e->rip, e->insn_len);
		return true;
	case VMEXIT_RDMSR:
	case VMEXIT_WRMSR:
		if (handle_msr(v, e))
			ops->vcpu_skip(v, e->rip, e->insn_len);
		return true;
	case VMEXIT_EXCEPTION:
		/* Intercepted only so it cannot loop unseen: the guest's own. */
		ops->vcpu_inject(v, e->exception.vector, e->exception.has_error, e->exception.error);
		return true;
	case VMEXIT_HYPERCALL:
		/* From the guest kernel only (ring 0), as KVM does: a guest's
		 * user programs must not stop the partition. */
		if (ops->vcpu_cpl(v) != 0)
			v->regs.rax = (uint64_t)HC_EPERM;
		else if (!hypercall(v))
			return false;
		ops->vcpu_skip(v, e->rip, e->insn_len);
		return true;
	case VMEXIT_HLT:
		/* No virtual interrupts yet: a halted vCPU never wakes. */
		partition_stop(p, "vCPU %u halted at rip 0x%lx", v->id, e->rip);
		return false;
	case VMEXIT_SLAT_FAULT:
		partition_stop(p, "access outside its memory: GPA 0x%lx (%s%s%s) at rip 0x%lx",
			       e->fault.gpa, e->fault.read ? "read" : "",
			       e->fault.write ? "write" : "", e->fault.fetch ? "fetch" : "", e->rip);
		return false;
	case VMEXIT_TRIPLE_FAULT:
		partition_stop(p, "triple fault at rip 0x%lx", e->rip);
		return false;
	case VMEXIT_ENTRY_FAILED:
		partition_stop(p, "VM entry failed: %s", e->detail ? e->detail : "?");
		return false;
	default:
		partition_stop(p, "unexpected exit %lu (%s) at rip 0x%lx", e->code,
			       e->detail ? e->detail : "?", e->rip);
		return false;
	}
}
