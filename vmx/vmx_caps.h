/* Private to vmx/ (and its host unit test): what the VMX capability MSRs say,
 * decoded without touching hardware so the decision can be tested. */
#ifndef VMX_VMX_CAPS_H
#define VMX_VMX_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/virt.h"

/* IA32_FEATURE_CONTROL bits, SDM Vol. 3C 24.7 */
#define FC_LOCKED          (1ull << 0)
#define FC_VMX_OUTSIDE_SMX (1ull << 2)

/* Raw values; a control MSR that could not be read is 0 (nothing allowed). */
struct vmx_msrs {
	bool fc_readable;      /* IA32_FEATURE_CONTROL exists */
	uint64_t fc;
	uint64_t pinbased;     /* IA32_VMX_PINBASED_CTLS */
	uint64_t procbased;    /* IA32_VMX_PROCBASED_CTLS */
	uint64_t procbased2;   /* IA32_VMX_PROCBASED_CTLS2 */
	uint64_t ept_vpid_cap; /* IA32_VMX_EPT_VPID_CAP */
};

struct vmx_features {
	bool ept, vpid, unrestricted, ept_2m, ept_1g, preemption_timer;
};

enum vmx_on_status {
	VMX_ON_OK = 0,
	VMX_ON_LOCKED = -1, /* IA32_FEATURE_CONTROL forbids VMXON */
	VMX_ON_ENOMEM = -2, /* no page for the VMXON region */
	VMX_ON_FAILED = -3, /* VMXON itself failed (VMfailInvalid) */
};

struct vcpu;
struct vcpu_state;
struct vm_exit;

/* VPID offered (after probe). Without it every VM entry and exit flushes
 * the guest's linear translations itself (tag 0), and none is flushed here. */
bool vmx_has_vpid(void);
/* The VMX preemption timer counts down once per 2^rate TSC ticks (IA32_VMX_MISC
 * bits 4:0); -1 when the CPU has no preemption timer. */
int vmx_ptimer_rate(void);

/* vmx/vmx_cpu.c: drops this CPU's translations tagged with vpid (single
 * context where the CPU offers it, else all contexts); false if it failed. */
bool vmx_flush_vpid(uint16_t vpid);

/* vmx/vmx_bitmaps.c: the shared I/O bitmaps (two pages) and MSR bitmap;
 * init once on the boot CPU, false when out of memory. */
bool vmx_bitmaps_init(void);
uint64_t vmx_io_bitmap_pa(void);
uint64_t vmx_msr_bitmap_pa(void);

/* vmx/vmx_vcpu.c: the vCPU half of vmx_ops (core/virt.h documents them). */
int vmx_vcpu_init(struct vcpu *v, const struct vcpu_state *s, uint64_t slat_root, uint16_t tag);
void vmx_vcpu_free(struct vcpu *v);
void vmx_vcpu_put(struct vcpu *v);
bool vmx_vcpu_interruptible(struct vcpu *v);
void vmx_vcpu_inject_irq(struct vcpu *v, uint8_t vector);
void vmx_vcpu_irq_window(struct vcpu *v, bool on);
void vmx_vcpu_run(struct vcpu *v);
void vmx_vcpu_inject(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
unsigned vmx_vcpu_cpl(struct vcpu *v);
uint64_t vmx_vcpu_get(struct vcpu *v, enum vcpu_reg r);
void vmx_vcpu_set_efer(struct vcpu *v, uint64_t efer);

/* Enters VMX operation on this CPU (idempotent); does not log. */
enum vmx_on_status vmx_cpu_on(unsigned cpu);

/* VIRT_FW_DISABLED: the firmware locked IA32_FEATURE_CONTROL with VMX off.
 * VIRT_LACKING: no EPT or no unrestricted guest. Else VIRT_USABLE. */
enum virt_status vmx_assess(const struct vmx_msrs *m, struct vmx_features *f);

#endif
