/* VMX operation on each CPU: feature control, CR0/CR4 fixed bits, VMXON
 * (SDM Vol. 3C 24.7-24.8, 25.11.5). Runs on every CPU before it reports
 * online, so it never logs: callers report failures. */
#include "vmx/vmx_caps.h"
#include "vmx/vmx_insn.h"

#include "arch/x86/cpu.h"
#include "arch/x86/layout.h"
#include "arch/x86/percpu.h"
#include "core/string.h"
#include "mm/pmm.h"

#define MSR_VMX_BASIC       0x480
#define MSR_VMX_CR0_FIXED0  0x486
#define MSR_VMX_CR0_FIXED1  0x487
#define MSR_VMX_CR4_FIXED0  0x488
#define MSR_VMX_CR4_FIXED1  0x489
#define VMX_BASIC_REVISION  0x7fffffffull
#define MSR_VMX_EPT_VPID_CAP 0x48c
#define CAP_INVEPT          (1ull << 20)
#define CAP_INVEPT_ALL      (1ull << 26)
#define CAP_INVVPID         (1ull << 32)
#define CAP_INVVPID_SINGLE  (1ull << 41)
#define CAP_INVVPID_ALL     (1ull << 42)
#define CR4_VMXE            (1ul << 13)

/* Each CPU's VMXON region, and whether it is ready for guests. */
static uint64_t vmxon_region[MAX_CPUS];
static bool vmx_ready[MAX_CPUS];

static bool feature_control_allows_vmx(void)
{
	uint64_t fc;

	if (!rdmsr_safe(MSR_FEATURE_CONTROL, &fc))
		return false;
	if (fc & FC_LOCKED)
		return fc & FC_VMX_OUTSIDE_SMX;
	/* Unlocked: allow VMXON and lock, as firmware normally does. */
	return wrmsr_safe(MSR_FEATURE_CONTROL, fc | FC_VMX_OUTSIDE_SMX | FC_LOCKED);
}

/* CR0 and CR4 must hold the bits the FIXED0 MSRs require and none the FIXED1
 * MSRs forbid while in VMX operation (SDM Vol. 3D A.7, A.8). */
static void apply_fixed_bits(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4() | CR4_VMXE;

	cr0 = (cr0 | rdmsr(MSR_VMX_CR0_FIXED0)) & rdmsr(MSR_VMX_CR0_FIXED1);
	cr4 = (cr4 | rdmsr(MSR_VMX_CR4_FIXED0)) & rdmsr(MSR_VMX_CR4_FIXED1);
	write_cr0(cr0);
	write_cr4(cr4);
}

static bool flush_all_contexts(void)
{
	uint64_t cap;

	if (!rdmsr_safe(MSR_VMX_EPT_VPID_CAP, &cap))
		return true; /* no EPT/VPID: nothing tagged to flush */
	if ((cap & CAP_INVEPT) && (cap & CAP_INVEPT_ALL) &&
	    invept(INV_ALL_CONTEXT, 0) != VMX_OK)
		return false;
	if ((cap & CAP_INVVPID) && (cap & CAP_INVVPID_ALL) &&
	    invvpid(INV_ALL_CONTEXT, 0) != VMX_OK)
		return false;
	return true;
}

bool vmx_flush_vpid(uint16_t vpid)
{
	uint64_t cap;

	if (!rdmsr_safe(MSR_VMX_EPT_VPID_CAP, &cap) || !(cap & CAP_INVVPID))
		return false;
	if (cap & CAP_INVVPID_SINGLE)
		return invvpid(INV_SINGLE_CONTEXT, vpid) == VMX_OK;
	return (cap & CAP_INVVPID_ALL) && invvpid(INV_ALL_CONTEXT, 0) == VMX_OK;
}

enum vmx_on_status vmx_cpu_on(unsigned cpu)
{
	uint64_t pa;
	uint32_t *region;

	if (cpu >= MAX_CPUS)
		return VMX_ON_ENOMEM;
	if (vmx_ready[cpu])
		return VMX_ON_OK;
	if (vmxon_region[cpu])
		return VMX_ON_FAILED; /* a previous attempt left VMX unusable here */
	if (!feature_control_allows_vmx())
		return VMX_ON_LOCKED;
	if (pmm_alloc(0, &pa))
		return VMX_ON_ENOMEM;
	region = phys_to_virt(pa);
	memset(region, 0, PAGE_SIZE);
	region[0] = (uint32_t)(rdmsr(MSR_VMX_BASIC) & VMX_BASIC_REVISION);
	apply_fixed_bits();
	if (vmxon(pa) != VMX_OK) {
		/* CF: bad region or already in VMX operation (SDM VMXON). */
		pmm_free(pa);
		return VMX_ON_FAILED;
	}
	vmxon_region[cpu] = pa;
	/* VMXON does not invalidate guest-physical or VPID-tagged translations
	 * a previous VMX user of this CPU (firmware, a previous kernel after
	 * kexec) may have left: flush all of them once before the first entry
	 * (SDM Vol. 3C 29.4.3.3), so a reused EPTP or VPID starts clean. */
	if (!flush_all_contexts()) {
		/* Unusable: leave VMX operation. If even VMXOFF fails the CPU
		 * stays in it and the region stays allocated (never reused). */
		if (vmxoff() == VMX_OK) {
			vmxon_region[cpu] = 0;
			pmm_free(pa);
		}
		return VMX_ON_FAILED;
	}
	vmx_ready[cpu] = true;
	return VMX_ON_OK;
}
