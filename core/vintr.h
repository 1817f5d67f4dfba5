/* Virtual interrupts: each vCPU's x2APIC (vdev/vlapic.c) wired to the exit
 * path, IPIs routed between the vCPUs of a partition, INIT/SIPI, and the
 * injection decision before every VM entry. Vendor-neutral: the backends
 * are reached through virt_ops. */
#ifndef CORE_VINTR_H
#define CORE_VINTR_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "core/vcpu.h"

/* Whether v's interrupts need a look before the next entry: something was
 * posted, its APIC changed, or its virtual timer is due. Cheap: on the
 * exit path of every exit. */
static inline bool vintr_due(const struct vcpu *v)
{
	return v->intr_dirty || v->posted_any || rdtsc() >= v->lapic_at;
}

/* The TSC by which v must leave its guest: its slice or another vCPU's
 * timer (v->timer_at) or its own virtual timer; UINT64_MAX: none. */
static inline uint64_t vcpu_deadline(const struct vcpu *v)
{
	return v->timer_at && v->timer_at < v->lapic_at ? v->timer_at : v->lapic_at;
}

/* For a backend without a guest timer of its own (SVM, or VMX without the
 * preemption timer): this CPU's APIC timer at vcpu_deadline(v). */
void vintr_host_timer(const struct vcpu *v);

/* On v's CPU before an entry: takes posted vectors into its IRR, runs its
 * timer, then injects the highest deliverable vector (true) or asks the
 * backend for an exit once the guest can take it. */
bool vintr_prepare(struct vcpu *v);

/* The guest's RDMSR/WRMSR of an x2APIC MSR (vlapic_handles_msr()): true when
 * done, false when the guest gets #GP. */
bool vintr_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val);

/* A fixed vector for v from another vCPU (any CPU). */
void vintr_post(struct vcpu *v, uint8_t vector);

/* v's x2APIC state after a reset (power-on or restart). */
void vintr_reset(struct vcpu *v);

#endif
