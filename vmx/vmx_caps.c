/* Intel VMX: presence, firmware lock and the capabilities the hypervisor uses,
 * from the VMX capability MSRs (SDM Vol. 3D appendix A). */
#include "arch/x86/cpu.h"
#include "core/log.h"
#include "core/virt.h"

#define CPUID1_ECX_VMX            (1u << 5)
#define FC_LOCKED                 (1ull << 0)
#define FC_VMX_OUTSIDE_SMX        (1ull << 2)
#define MSR_VMX_BASIC             0x480
#define MSR_VMX_PINBASED          0x481
#define MSR_VMX_PROCBASED         0x482
#define MSR_VMX_PROCBASED2        0x48b
#define MSR_VMX_EPT_VPID_CAP      0x48c
#define PIN_PREEMPTION_TIMER      (1ull << 6)
#define PROC_SECONDARY            (1ull << 31)
#define PROC2_EPT                 (1ull << 1)
#define PROC2_VPID                (1ull << 5)
#define PROC2_UNRESTRICTED        (1ull << 7)
#define EPT_CAP_2M                (1ull << 16)
#define EPT_CAP_1G                (1ull << 17)

/* Allowed-1 settings are the high 32 bits of a control MSR (SDM A.3). */
static bool allowed1(uint32_t msr, uint64_t bit)
{
	uint64_t v;

	return rdmsr_safe(msr, &v) && ((v >> 32) & bit);
}

static bool vmx_cpu_prepare(void)
{
	uint64_t fc;

	if (!rdmsr_safe(MSR_FEATURE_CONTROL, &fc))
		return false;
	if (fc & FC_LOCKED)
		return fc & FC_VMX_OUTSIDE_SMX;
	/* Unlocked: allow VMXON and lock, as firmware normally does. */
	return wrmsr_safe(MSR_FEATURE_CONTROL, fc | FC_VMX_OUTSIDE_SMX | FC_LOCKED);
}

static enum virt_status vmx_probe(void)
{
	uint64_t fc = 0, ept = 0;
	bool sec, has_ept, vpid, ug, ept2m, ept1g, pt;

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_VMX))
		return VIRT_ABSENT;
	if (rdmsr_safe(MSR_FEATURE_CONTROL, &fc) && (fc & FC_LOCKED) &&
	    !(fc & FC_VMX_OUTSIDE_SMX)) {
		log_warn("virt: VMX is disabled by the firmware (IA32_FEATURE_CONTROL locked with "
			 "VMX off): enable \"Intel Virtualization Technology (VT-x)\" in the "
			 "BIOS/UEFI setup");
		return VIRT_FW_DISABLED;
	}
	sec = allowed1(MSR_VMX_PROCBASED, PROC_SECONDARY);
	has_ept = sec && allowed1(MSR_VMX_PROCBASED2, PROC2_EPT);
	vpid = sec && allowed1(MSR_VMX_PROCBASED2, PROC2_VPID);
	ug = sec && allowed1(MSR_VMX_PROCBASED2, PROC2_UNRESTRICTED);
	if (has_ept || vpid)
		rdmsr_safe(MSR_VMX_EPT_VPID_CAP, &ept);
	ept2m = has_ept && (ept & EPT_CAP_2M);
	ept1g = has_ept && (ept & EPT_CAP_1G);
	pt = allowed1(MSR_VMX_PINBASED, PIN_PREEMPTION_TIMER);
	log_info("virt: vmx: ept=%s vpid=%s unrestricted-guest=%s ept-2m=%s ept-1g=%s "
		 "preemption-timer=%s",
		 log_yn(has_ept), log_yn(vpid), log_yn(ug), log_yn(ept2m), log_yn(ept1g), log_yn(pt));
	if (!has_ept || !ug) {
		log_warn("virt: vmx: this CPU lacks %s, which the hypervisor requires",
			 !has_ept ? "EPT" : "unrestricted guest");
		return VIRT_LACKING;
	}
	return VIRT_USABLE;
}

const struct virt_ops vmx_ops = {
	.name = "vmx",
	.probe = vmx_probe,
	.cpu_prepare = vmx_cpu_prepare,
};
