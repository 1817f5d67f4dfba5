/* Shared by the vdev/vlapic.c host tests (test_vlapic.c, test_vlapic_timer.c):
 * MSR access with its result checked, IRR/ISR bits, a software-enabled APIC,
 * and serving a pending vector as a guest handler would. */
#ifndef TESTS_HOST_VLAPIC_UTIL_H
#define TESTS_HOST_VLAPIC_UTIL_H

#include <stdint.h>

#include "tests/host/check.h"
#include "vdev/vlapic.h"

#define TPT 3 /* TSC ticks per timer tick, before the divider */

#define DCR_DIV1 0xb
#define LVT_PERIODIC (APIC_TIMER_PERIODIC << APIC_LVT_TIMER_SHIFT)
#define LVT_DEADLINE (APIC_TIMER_TSC_DEADLINE << APIC_LVT_TIMER_SHIFT)

static struct vlapic_ipi ipi;
static bool has_ipi;

static inline uint64_t rd(struct vlapic *l, uint32_t msr, uint64_t now)
{
	uint64_t v = 0xdead;

	CHECK(vlapic_rdmsr(l, msr, now, &v) == 0, "rdmsr %#x", msr);
	return v;
}

static inline bool rd_gp(struct vlapic *l, uint32_t msr)
{
	uint64_t v = 0xdead;

	return vlapic_rdmsr(l, msr, 0, &v) == -1 && v == 0;
}

static inline int wr(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now)
{
	return vlapic_wrmsr(l, msr, val, now, &ipi, &has_ipi);
}

static inline bool irr(const struct vlapic *l, uint8_t v)
{
	return l->irr[v / 32] >> (v % 32) & 1;
}

static inline bool isr(const struct vlapic *l, uint8_t v)
{
	return l->isr[v / 32] >> (v % 32) & 1;
}

/* Power-on, software-enabled with spurious vector 0xff. */
static inline void up(struct vlapic *l, uint32_t id, uint64_t tpt)
{
	vlapic_init(l, id, id == 0, tpt);
	CHECK(wr(l, X2APIC_SVR, APIC_SVR_ENABLE | 0xff, 0) == 0, "software enable");
}

/* Injects the pending vector and EOIs it, as a guest handler would. */
static inline int serve(struct vlapic *l)
{
	int v = vlapic_pending_vector(l);

	if (v >= 0) {
		vlapic_accept(l, (uint8_t)v);
		wr(l, X2APIC_EOI, 0, 0);
	}
	return v;
}

#endif
