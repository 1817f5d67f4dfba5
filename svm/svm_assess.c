/* SVM capability decision, APM Vol. 2 15.4 and 15.30.1. Pure: it builds on
 * the host for tests/host/test_virt.c. */
#include "svm/svm_caps.h"

#define VM_CR_SVMDIS        (1ull << 4)
#define SVM_FEAT_NP         (1u << 0)
#define SVM_FEAT_NRIPS      (1u << 3)
#define SVM_FEAT_VMCB_CLEAN (1u << 5)
#define SVM_FEAT_FLUSHASID  (1u << 6)
#define SVM_FEAT_DECODE     (1u << 7)

enum virt_status svm_assess(const struct svm_raw *r, struct svm_features *f)
{
	*f = (struct svm_features){
		.npt = r->feat_edx & SVM_FEAT_NP,
		.nrips = r->feat_edx & SVM_FEAT_NRIPS,
		.vmcb_clean = r->feat_edx & SVM_FEAT_VMCB_CLEAN,
		.flush_by_asid = r->feat_edx & SVM_FEAT_FLUSHASID,
		.decode_assists = r->feat_edx & SVM_FEAT_DECODE,
		.asids = r->asids,
	};
	if (r->vmcr_readable && (r->vmcr & VM_CR_SVMDIS))
		return VIRT_FW_DISABLED;
	return f->npt ? VIRT_USABLE : VIRT_LACKING;
}
