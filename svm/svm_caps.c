/* AMD SVM: presence, firmware disable and capabilities. */
#include "svm/svm_caps.h"

#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "core/log.h"
#include "mm/slat.h"

#define CPUID81_ECX_SVM (1u << 2)

static bool svm_cpu_prepare(void)
{
	return svm_cpu_on(this_cpu()->cpu_id);
}

static enum virt_status svm_probe(void)
{
	struct svm_raw r;
	struct svm_features f;
	struct cpuid_regs c;
	enum virt_status st;

	if (cpuid(0x80000000, 0).eax < 0x8000000a || !(cpuid(0x80000001, 0).ecx & CPUID81_ECX_SVM))
		return VIRT_ABSENT;
	c = cpuid(0x8000000a, 0);
	r.feat_edx = c.edx;
	r.asids = c.ebx;
	/* Bochs has no VM_CR: then nothing can have disabled SVM. */
	r.vmcr_readable = rdmsr_safe(MSR_VM_CR, &r.vmcr);
	st = svm_assess(&r, &f);
	if (st == VIRT_FW_DISABLED) {
		log_warn("virt: SVM is disabled by the firmware (VM_CR.SVMDIS=1): enable \"SVM "
			 "Mode\" (AMD-V) in the BIOS/UEFI setup");
		return st;
	}
	log_info("virt: svm: npt=%s asids=%u nrip-save=%s vmcb-clean=%s flush-by-asid=%s "
		 "decode-assists=%s", log_yn(f.npt), f.asids, log_yn(f.nrips), log_yn(f.vmcb_clean),
		 log_yn(f.flush_by_asid), log_yn(f.decode_assists));
	if (st == VIRT_LACKING)
		log_warn("virt: svm: this CPU lacks nested paging (NPT), which the hypervisor "
			 "requires");
	return st;
}

/* NPT leaves follow the host's paging: 1 GiB with Page1GB (APM Vol. 2 15.25.1). */
static unsigned svm_slat_max_level(void)
{
	return (cpuid(0x80000001, 0).edx & CPUID81_EDX_PAGE1GB) ? SLAT_LEVEL_1G : SLAT_LEVEL_2M;
}

const struct virt_ops svm_ops = {
	.name = "svm",
	.probe = svm_probe,
	.cpu_prepare = svm_cpu_prepare,
	.slat_fmt = &slat_fmt_npt,
	.slat_max_level = svm_slat_max_level,
	.vcpu_init = svm_vcpu_init,
	.vcpu_free = svm_vcpu_free,
	.vcpu_put = svm_vcpu_put,
	.vcpu_interruptible = svm_vcpu_interruptible,
	.vcpu_inject_irq = svm_vcpu_inject_irq,
	.vcpu_irq_window = svm_vcpu_irq_window,
	.vcpu_run = svm_vcpu_run,
	.vcpu_inject = svm_vcpu_inject,
	.vcpu_cpl = svm_vcpu_cpl,
	.vcpu_get = svm_vcpu_get,
	.vcpu_set_efer = svm_vcpu_set_efer,
};
