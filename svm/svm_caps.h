/* Private to svm/ (and its host unit test): the SVM capability decision,
 * from CPUID Fn8000_000A and VM_CR, without touching hardware. */
#ifndef SVM_SVM_CAPS_H
#define SVM_SVM_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/virt.h"

struct svm_raw {
	bool vmcr_readable; /* some emulators have no VM_CR MSR */
	uint64_t vmcr;
	uint32_t feat_edx;  /* CPUID 0x8000000A EDX */
	uint32_t asids;     /* CPUID 0x8000000A EBX */
};

struct svm_features {
	bool npt, nrips, flush_by_asid, decode_assists;
	uint32_t asids;
};

/* VIRT_FW_DISABLED when VM_CR.SVMDIS is set, VIRT_LACKING without NPT. */
enum virt_status svm_assess(const struct svm_raw *r, struct svm_features *f);

#endif
