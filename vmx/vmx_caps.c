/* Intel VMX: presence, firmware lock and the capabilities the hypervisor uses. */
#include "vmx/vmx_caps.h"

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "core/log.h"
#include "mm/slat.h"

static bool ept_1g, vpid;
static int ptimer_rate = -1; /* TSC bits per preemption-timer tick; -1: none */

#define CPUID1_ECX_VMX            (1u << 5)
#define MSR_VMX_PINBASED          0x481
#define MSR_VMX_PROCBASED         0x482
#define MSR_VMX_PROCBASED2        0x48b
#define MSR_VMX_EPT_VPID_CAP      0x48c
#define MSR_VMX_MISC              0x485

/* Every CPU enters VMX operation as it comes up (BSP in virt_init, APs
 * before they report online). */
static bool vmx_cpu_prepare(void)
{
	/* The boot CPU comes first, alone: it allocates the shared bitmaps. */
	if (this_cpu()->cpu_id == 0 && !vmx_bitmaps_init())
		return false;
	return vmx_cpu_on(this_cpu()->cpu_id) == VMX_ON_OK;
}

/* An MSR that faults reads as 0: no control can be set. */
static uint64_t read_or_zero(uint32_t msr)
{
	uint64_t v;

	return rdmsr_safe(msr, &v) ? v : 0;
}

static enum virt_status vmx_probe(void)
{
	struct vmx_msrs m;
	struct vmx_features f;
	enum virt_status st;

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_VMX))
		return VIRT_ABSENT;
	m.fc_readable = rdmsr_safe(MSR_FEATURE_CONTROL, &m.fc);
	m.pinbased = read_or_zero(MSR_VMX_PINBASED);
	m.procbased = read_or_zero(MSR_VMX_PROCBASED);
	m.procbased2 = read_or_zero(MSR_VMX_PROCBASED2);
	m.ept_vpid_cap = read_or_zero(MSR_VMX_EPT_VPID_CAP);
	st = vmx_assess(&m, &f);
	ept_1g = f.ept_1g;
	vpid = f.vpid;
	if (f.preemption_timer)
		ptimer_rate = (int)(read_or_zero(MSR_VMX_MISC) & 0x1f);
	if (st == VIRT_FW_DISABLED) {
		log_warn("virt: VMX is disabled by the firmware (IA32_FEATURE_CONTROL locked with "
			 "VMX off): enable \"Intel Virtualization Technology (VT-x)\" in the "
			 "BIOS/UEFI setup");
		return st;
	}
	log_info("virt: vmx: ept=%s vpid=%s unrestricted-guest=%s ept-2m=%s ept-1g=%s "
		 "preemption-timer=%s",
		 log_yn(f.ept), log_yn(f.vpid), log_yn(f.unrestricted), log_yn(f.ept_2m),
		 log_yn(f.ept_1g), log_yn(f.preemption_timer));
	if (st == VIRT_LACKING)
		log_warn("virt: vmx: this CPU lacks %s, which the hypervisor requires",
			 !f.ept ? "EPT" : "unrestricted guest");
	return st;
}

int vmx_ptimer_rate(void)
{
	return ptimer_rate;
}

bool vmx_has_vpid(void)
{
	return vpid;
}

static unsigned vmx_slat_max_level(void)
{
	return ept_1g ? SLAT_LEVEL_1G : SLAT_LEVEL_2M;
}

const struct virt_ops vmx_ops = {
	.name = "vmx",
	.probe = vmx_probe,
	.cpu_prepare = vmx_cpu_prepare,
	.slat_fmt = &slat_fmt_ept,
	.slat_max_level = vmx_slat_max_level,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_put = vmx_vcpu_put,
	.vcpu_interruptible = vmx_vcpu_interruptible,
	.vcpu_inject_irq = vmx_vcpu_inject_irq,
	.vcpu_irq_window = vmx_vcpu_irq_window,
	.vcpu_run = vmx_vcpu_run,
	.vcpu_inject = vmx_vcpu_inject,
	.vcpu_cpl = vmx_vcpu_cpl,
	.vcpu_get = vmx_vcpu_get,
	.vcpu_set_efer = vmx_vcpu_set_efer,
};
