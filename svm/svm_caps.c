/* AMD SVM: presence, firmware disable and capabilities (APM Vol. 2 15.4,
 * CPUID Fn8000_000A). */
#include "arch/x86/cpu.h"
#include "core/log.h"
#include "core/virt.h"

#define CPUID81_ECX_SVM     (1u << 2)
#define VM_CR_SVMDIS        (1ull << 4)
#define SVM_FEAT_NP         (1u << 0)
#define SVM_FEAT_NRIPS      (1u << 3)
#define SVM_FEAT_FLUSHASID  (1u << 6)
#define SVM_FEAT_DECODE     (1u << 7)

static bool svm_cpu_prepare(void)
{
	return true; /* EFER.SVME is set when the backend starts running guests */
}

static enum virt_status svm_probe(void)
{
	uint64_t vmcr;
	struct cpuid_regs f;

	if (cpuid(0x80000000, 0).eax < 0x8000000a || !(cpuid(0x80000001, 0).ecx & CPUID81_ECX_SVM))
		return VIRT_ABSENT;
	/* Some emulators do not implement VM_CR; then nothing disables SVM. */
	if (rdmsr_safe(MSR_VM_CR, &vmcr) && (vmcr & VM_CR_SVMDIS)) {
		log_warn("virt: SVM is disabled by the firmware (VM_CR.SVMDIS=1): enable \"SVM "
			 "Mode\" (AMD-V) in the BIOS/UEFI setup");
		return VIRT_FW_DISABLED;
	}
	f = cpuid(0x8000000a, 0);
	log_info("virt: svm: npt=%s asids=%u nrip-save=%s flush-by-asid=%s decode-assists=%s",
		 log_yn(f.edx & SVM_FEAT_NP), f.ebx, log_yn(f.edx & SVM_FEAT_NRIPS),
		 log_yn(f.edx & SVM_FEAT_FLUSHASID), log_yn(f.edx & SVM_FEAT_DECODE));
	if (!(f.edx & SVM_FEAT_NP)) {
		log_warn("virt: svm: this CPU lacks nested paging (NPT), which the hypervisor "
			 "requires");
		return VIRT_LACKING;
	}
	return VIRT_USABLE;
}

const struct virt_ops svm_ops = {
	.name = "svm",
	.probe = svm_probe,
	.cpu_prepare = svm_cpu_prepare,
};
