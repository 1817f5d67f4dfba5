/* The vendor seam: core/ talks to vmx/ or svm/ only through struct virt_ops,
 * chosen once at boot from CPUID. core/ never includes vmx/ or svm/ headers. */
#ifndef CORE_VIRT_H
#define CORE_VIRT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vcpu.h"

struct slat_fmt;
struct vcpu_state;
struct vm_exit;

enum virt_status {
	VIRT_ABSENT,      /* the CPU does not have this extension */
	VIRT_FW_DISABLED, /* present but switched off by the firmware */
	VIRT_LACKING,     /* present but missing what the hypervisor needs (EPT/NPT) */
	VIRT_USABLE,
};

struct virt_ops {
	const char *name; /* "vmx" or "svm" */
	/* Reads capabilities on the boot CPU, logs them (virt: lines) and says
	 * whether this extension can run partitions. */
	enum virt_status (*probe)(void);
	/* Per-CPU preparation (e.g. locking IA32_FEATURE_CONTROL); every CPU. */
	bool (*cpu_prepare)(void);
	/* Second-level table format (mm/slat.h: EPT or NPT). */
	const struct slat_fmt *slat_fmt;
	/* Largest leaf the CPU allows (SLAT_LEVEL_1G or _2M), after probe. */
	unsigned (*slat_max_level)(void);
	/* Builds the VMCS/VMCB of v from its initial state, on its second-level
	 * tables (root) with TLB tag `tag` (VPID/ASID, nonzero). 0 or -1. */
	int (*vcpu_init)(struct vcpu *v, const struct vcpu_state *s, uint64_t slat_root,
			 uint16_t tag);
	/* v leaves this CPU and may run on another next (VMX: VMCLEAR). */
	void (*vcpu_put)(struct vcpu *v);
	/* Whether v can take an external interrupt at the next entry (IF=1,
	 * no interrupt shadow, no other event being injected). */
	bool (*vcpu_interruptible)(struct vcpu *v);
	/* Injects external interrupt vector at the next entry. */
	void (*vcpu_inject_irq)(struct vcpu *v, uint8_t vector);
	/* on: exit (VMEXIT_IRQ_WINDOW) as soon as v can take an interrupt. */
	void (*vcpu_irq_window)(struct vcpu *v, bool on);
	/* Releases what vcpu_init allocated (on the CPU v last ran on, or any
	 * CPU if it never ran); v can be set up again with vcpu_init. */
	void (*vcpu_free)(struct vcpu *v);
	/* Runs v on this CPU: each exit is decoded and handed to exit_handle()
	 * (core/exits.h) right on the exit path, and the guest entered again,
	 * until exit_handle() says EXIT_LEAVE. A failed entry is reported to
	 * exit_handle() as VMEXIT_ENTRY_FAILED. Before every entry the backend
	 * lets core/ inject interrupts (vintr_due/vintr_prepare) and makes the
	 * guest exit (VMEXIT_PREEMPT or VMEXIT_INTR) by vcpu_deadline(v). */
	void (*vcpu_run)(struct vcpu *v);
	/* Delivers hardware exception `vector` (with error code if has_error)
	 * to v at its next entry. */
	void (*vcpu_inject)(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
	/* v's current privilege level (0-3). */
	unsigned (*vcpu_cpl)(struct vcpu *v);
	/* One of v's registers kept by the backend (core/vcpu.h). */
	uint64_t (*vcpu_get)(struct vcpu *v, enum vcpu_reg r);
	/* The guest's WRMSR to EFER, already checked by core/ (LMA unchanged). */
	void (*vcpu_set_efer)(struct vcpu *v, uint64_t efer);
};

extern const struct virt_ops vmx_ops;
extern const struct virt_ops svm_ops;

/* Picks the backend; logs a clear line when there is none. */
void virt_init(void);
/* "vmx", "svm" or "none" (for the ready line). */
const char *virt_name(void);
/* On each AP; false if the backend refused this CPU. Does not log. */
bool virt_cpu_prepare(void);
/* The chosen backend, or NULL. */
const struct virt_ops *virt_active(void);

/* The chosen backend's second-level table format and largest leaf level;
 * false when there is no backend. */
bool virt_slat(const struct slat_fmt **fmt, unsigned *max_level);

#endif
