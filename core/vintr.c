/* Virtual interrupts (core/vintr.h). The x2APIC of a vCPU is touched only
 * on that vCPU's CPU; other CPUs post vectors into v->posted (atomic bits)
 * and wake or kick it, as posted interrupts do in hardware. */
#include "core/vintr.h"

#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "core/partition.h"
#include "core/sched.h"
#include "core/virt.h"

void vintr_reset(struct vcpu *v)
{
	/* The timer counts at the TSC rate before its divider: CPUID leaf
	 * 0x40000010 tells the guest (core/exits.c). */
	vlapic_init(&v->lapic, v->id, v->id == 0, 1);
	for (unsigned i = 0; i < 8; i++)
		v->posted[i] = 0;
	v->posted_any = false;
	v->intr_dirty = false;
	v->lapic_at = UINT64_MAX;
	vcpu_deadline_changed(v);
}

static void take_posted(struct vcpu *v)
{
	__atomic_store_n(&v->posted_any, false, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < 8; i++) {
		uint32_t bits = __atomic_exchange_n(&v->posted[i], 0, __ATOMIC_ACQ_REL);

		while (bits) {
			unsigned b = (unsigned)__builtin_ctz(bits);

			bits &= bits - 1;
			vlapic_set_irr(&v->lapic, (uint8_t)(i * 32 + b));
		}
	}
}

bool vintr_prepare(struct vcpu *v)
{
	const struct virt_ops *ops = virt_active();
	uint64_t now = rdtsc();
	int vec;

	v->intr_dirty = false;
	if (v->posted_any)
		take_posted(v);
	vlapic_advance(&v->lapic, now);
	v->lapic_at = vlapic_next_deadline(&v->lapic);
	vcpu_deadline_changed(v);
	vec = vlapic_pending_vector(&v->lapic);
	if (vec < 0)
		return false;
	if (ops->vcpu_interruptible(v)) {
		ops->vcpu_inject_irq(v, (uint8_t)vec);
		vlapic_accept(&v->lapic, (uint8_t)vec);
		/* A higher vector may still be pending: look again next time. */
		v->intr_dirty = vlapic_pending_vector(&v->lapic) >= 0;
		return true;
	}
	/* IF=0, an interrupt shadow, or an event already on its way: the
	 * backend exits once the guest can take one. */
	ops->vcpu_irq_window(v, true);
	return false;
}

void vintr_host_timer(const struct vcpu *v)
{
	uint64_t d = vcpu_deadline(v);
	struct percpu *c = this_cpu();

	if (d == UINT64_MAX) {
		if (c->timer_at)
			lapic_timer_stop();
	} else if (c->timer_at != d) {
		lapic_timer_arm(d);
	}
}

void vintr_post(struct vcpu *v, uint8_t vector)
{
	__atomic_fetch_or(&v->posted[vector / 32], 1u << (vector % 32), __ATOMIC_ACQ_REL);
	__atomic_store_n(&v->posted_any, true, __ATOMIC_SEQ_CST);
	sched_wake(v);
}

/* INIT and start-up IPIs: taken by the target's CPU in the scheduler
 * (core/run.c vcpu_setup), never on the sender's exit path. */
static void deliver(struct vcpu *src, struct vcpu *t, const struct vlapic_ipi *ipi)
{
	switch (ipi->mode) {
	case APIC_DM_FIXED:
		if (!t->started)
			return; /* waiting for SIPI: a CPU then takes no interrupts */
		if (t == src)
			vlapic_set_irr(&t->lapic, ipi->vector);
		else
			vintr_post(t, ipi->vector);
		return;
	case APIC_DM_INIT:
		if (t == src)
			return; /* an INIT to itself would need a self-reset: ignored */
		t->init_pending = true;
		sched_wake(t);
		sched_kick(t);
		return;
	case APIC_DM_STARTUP:
		/* Only a vCPU waiting for SIPI starts: never started, or after an
		 * INIT (which its own CPU may not have taken yet). */
		if (t != src && t->state != VCPU_DEAD && (!t->started || t->init_pending) &&
		    t->sipi_vector < 0) {
			t->sipi_vector = ipi->vector;
			sched_wake(t);
		}
		return;
	default:
		return; /* NMI IPIs: not delivered yet (counted by the vlapic) */
	}
}

static void route(struct vcpu *src, const struct vlapic_ipi *ipi)
{
	struct partition *p = src->part;

	for (unsigned i = 0; i < p->nvcpus; i++) {
		struct vcpu *t = &p->vcpus[i];

		if (t->state != VCPU_DEAD && vlapic_ipi_targets(&t->lapic, ipi))
			deliver(src, t, ipi);
	}
}

bool vintr_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	struct vlapic_ipi ipi;
	bool has_ipi = false;
	int rc;

	if (!write)
		return vlapic_rdmsr(&v->lapic, msr, rdtsc(), val) == 0;
	rc = vlapic_wrmsr(&v->lapic, msr, *val, rdtsc(), &ipi, &has_ipi);
	/* EOI, TPR, the timer or a self IPI may change what is pending. */
	v->intr_dirty = true;
	if (rc)
		return false;
	if (has_ipi)
		route(v, &ipi);
	return true;
}
