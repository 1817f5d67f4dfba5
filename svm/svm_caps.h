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
	bool npt, nrips, vmcb_clean, flush_by_asid, decode_assists;
	uint32_t asids;
};

struct vcpu;
struct vcpu_state;
struct vm_exit;

/* svm/svm_vcpu.c: EFER.SVME and the host save area on this CPU; the vCPU
 * half of svm_ops (core/virt.h documents them). */
bool svm_cpu_on(unsigned cpu);
int svm_vcpu_init(struct vcpu *v, const struct vcpu_state *s, uint64_t slat_root, uint16_t tag);
void svm_vcpu_free(struct vcpu *v);
void svm_vcpu_put(struct vcpu *v);
bool svm_vcpu_interruptible(struct vcpu *v);
void svm_vcpu_inject_irq(struct vcpu *v, uint8_t vector);
void svm_vcpu_irq_window(struct vcpu *v, bool on);
void svm_vcpu_run(struct vcpu *v);
void svm_vcpu_inject(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
unsigned svm_vcpu_cpl(struct vcpu *v);
uint64_t svm_vcpu_get(struct vcpu *v, enum vcpu_reg r);
void svm_vcpu_set_efer(struct vcpu *v, uint64_t efer);

/* VIRT_FW_DISABLED when VM_CR.SVMDIS is set, VIRT_LACKING without NPT. */
enum virt_status svm_assess(const struct svm_raw *r, struct svm_features *f);

#endif
