/* A virtual local APIC in x2APIC mode (SDM Vol. 3A chapter 11), one per vCPU:
 * the MSR interface 0x800-0x8ff, IA32_APIC_BASE and IA32_TSC_DEADLINE, the
 * timer, interrupt acceptance and priority, and IPIs. No xAPIC MMIO: the
 * partition's APIC is in x2APIC mode from reset and stays there.
 *
 * Pure code: no partition, no vCPU, no clock. Time is the TSC value the caller
 * passes as `now`; the model never polls and never calls back. It does not
 * know the other vCPUs either: an IPI it cannot deliver itself is handed back
 * to the caller (struct vlapic_ipi), who routes it with vlapic_ipi_targets().
 * Tested on the host (tests/host/test_vlapic.c). */
#ifndef VDEV_VLAPIC_H
#define VDEV_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_IA32_APIC_BASE	0x1b
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define MSR_X2APIC_FIRST	0x800
#define MSR_X2APIC_LAST		0x8ff

/* x2APIC registers (SDM Vol. 3A Table 11-6), as MSR numbers. */
#define X2APIC_ID		0x802
#define X2APIC_VERSION		0x803
#define X2APIC_TPR		0x808
#define X2APIC_PPR		0x80a
#define X2APIC_EOI		0x80b
#define X2APIC_LDR		0x80d
#define X2APIC_SVR		0x80f
#define X2APIC_ISR0		0x810	/* ISR0..7: vectors 32i..32i+31 */
#define X2APIC_TMR0		0x818
#define X2APIC_IRR0		0x820
#define X2APIC_ESR		0x828
#define X2APIC_LVT_CMCI		0x82f
#define X2APIC_ICR		0x830
#define X2APIC_LVT_TIMER	0x832
#define X2APIC_LVT_THERMAL	0x833
#define X2APIC_LVT_PERFMON	0x834
#define X2APIC_LVT_LINT0	0x835
#define X2APIC_LVT_LINT1	0x836
#define X2APIC_LVT_ERROR	0x837
#define X2APIC_TIMER_ICR	0x838	/* initial count */
#define X2APIC_TIMER_CCR	0x839	/* current count */
#define X2APIC_TIMER_DCR	0x83e	/* divide configuration */
#define X2APIC_SELF_IPI		0x83f

/* Version 0x14 (integrated APIC), max LVT entry 6: seven LVT registers with
 * CMCI, as on Nehalem and later (SDM 11.4.8). Bit 24 clear: no EOI-broadcast
 * suppression, so SVR bit 12 is reserved. */
#define VLAPIC_VERSION		0x00060014u

#define APIC_BASE_ADDR		0xfee00000u
#define APIC_BASE_BSP		(1u << 8)
#define APIC_BASE_EXTD		(1u << 10)
#define APIC_BASE_EN		(1u << 11)

#define APIC_SVR_ENABLE		(1u << 8)
#define APIC_LVT_MASKED		(1u << 16)
#define APIC_LVT_TIMER_SHIFT	17
#define APIC_TIMER_ONESHOT	0u
#define APIC_TIMER_PERIODIC	1u
#define APIC_TIMER_TSC_DEADLINE	2u

/* ESR bits (SDM 11.5.3). */
#define APIC_ESR_SEND_ILLEGAL	(1u << 5)
#define APIC_ESR_RECV_ILLEGAL	(1u << 6)

/* ICR fields (SDM 11.6.1, Figure 11-28 for x2APIC). */
#define APIC_DM_FIXED		0
#define APIC_DM_LOWEST		1
#define APIC_DM_SMI		2
#define APIC_DM_NMI		4
#define APIC_DM_INIT		5
#define APIC_DM_STARTUP		6
#define APIC_ICR_LOGICAL	(1u << 11)
#define APIC_ICR_ASSERT		(1u << 14)
#define APIC_ICR_LEVEL		(1u << 15)
#define APIC_ICR_SHORTHAND_SHIFT 18

enum vlapic_shorthand {
	VLAPIC_SH_NONE = 0,
	VLAPIC_SH_SELF = 1,
	VLAPIC_SH_ALL = 2,		/* all including self */
	VLAPIC_SH_OTHERS = 3,		/* all excluding self */
};

#define VLAPIC_BROADCAST	0xffffffffu

/* Index into struct vlapic.lvt. */
enum vlapic_lvt {
	VLAPIC_LVT_CMCI,
	VLAPIC_LVT_TIMER,
	VLAPIC_LVT_THERMAL,
	VLAPIC_LVT_PERFMON,
	VLAPIC_LVT_LINT0,
	VLAPIC_LVT_LINT1,
	VLAPIC_LVT_ERROR,
	VLAPIC_NR_LVT,
};

/* An IPI for the caller to route. mode is APIC_DM_FIXED (lowest priority is
 * delivered as fixed, to every match), _NMI, _INIT (assert) or _STARTUP;
 * vector is the fixed vector (16-255) or the start-up page. dest and logical
 * only count with VLAPIC_SH_NONE. */
struct vlapic_ipi {
	uint32_t src;			/* the sender's x2APIC ID */
	uint32_t dest;
	bool logical;
	uint8_t shorthand;		/* enum vlapic_shorthand */
	uint8_t mode;
	uint8_t vector;
};

/* For the hypervisor's statistics; kept across INIT. */
struct vlapic_stats {
	uint64_t accepted;		/* vectors moved IRR -> ISR */
	uint64_t eois;
	uint64_t ipis;			/* IPIs sent, self IPIs included */
	uint64_t ipis_ignored;		/* SMI, reserved modes, invalid combinations */
	uint64_t timer_fires;		/* expiries with the LVT timer unmasked */
	uint64_t timer_missed;		/* periodic expiries folded into one */
	uint64_t dropped;		/* illegal vector, or APIC software-disabled */
	uint64_t gp;			/* #GP the caller injected */
};

struct vlapic {
	uint32_t id;			/* x2APIC ID = vCPU index */
	bool bsp;
	uint64_t tsc_per_tick;		/* TSC ticks per timer tick, before the divider */

	uint32_t tpr, svr;
	uint32_t esr;			/* what ESR reads */
	uint32_t esr_pending;		/* errors since the last ESR write */
	uint64_t icr;
	uint32_t lvt[VLAPIC_NR_LVT];
	uint32_t timer_icr, timer_dcr;
	/* One-shot and periodic: when the count reaches 0, and the TSC and
	 * count of the last load (a write, a periodic reload, a new divider).
	 * TSC-deadline: the deadline. Meaningless unless armed. */
	uint64_t deadline, timer_base;
	uint32_t timer_load;
	bool armed;
	uint32_t irr[8], isr[8], tmr[8];

	struct vlapic_stats stats;
};

/* Power-on state (SDM 11.4.7.1): software-disabled (SVR 0xff), every LVT
 * masked, nothing pending, timer stopped; x2APIC mode. tsc_per_tick 0 is
 * taken as 1. */
void vlapic_init(struct vlapic *l, uint32_t id, bool bsp, uint64_t tsc_per_tick);

/* An INIT received (SDM 11.4.7.3): as power-on but the ID, the BSP flag and
 * the x2APIC mode stay (SDM 11.12.5.1); so do the statistics. */
void vlapic_init_ipi_reset(struct vlapic *l);

/* True for the MSRs vlapic_rdmsr/vlapic_wrmsr own: IA32_APIC_BASE,
 * IA32_TSC_DEADLINE and the whole x2APIC range 0x800-0x8ff. */
bool vlapic_handles_msr(uint32_t msr);

/* A guest's RDMSR at time now: 0 with *val, or -1 for #GP (*val = 0).
 * The timer is brought up to now first (vlapic_advance). */
int vlapic_rdmsr(struct vlapic *l, uint32_t msr, uint64_t now, uint64_t *val);

/* A guest's WRMSR at time now: 0, or -1 for #GP (nothing changed). *has_ipi
 * says whether *ipi holds an IPI the caller must route (vlapic_ipi_targets);
 * a self IPI is delivered here. The timer is brought up to now before the
 * write, and again after it (a TSC deadline already past fires at once).
 * IA32_APIC_BASE accepts only its current value: leaving x2APIC mode is
 * not offered, so any other write is #GP. */
int vlapic_wrmsr(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now,
		 struct vlapic_ipi *ipi, bool *has_ipi);

/* The TSC at which the timer next raises an interrupt, for a host timer;
 * UINT64_MAX when not armed or when the LVT timer is masked (a masked
 * timer still counts, lazily, from now values). */
uint64_t vlapic_next_deadline(const struct vlapic *l);

/* Fires the timer if its deadline is <= now: IRR of the LVT timer vector
 * unless masked; a periodic timer re-arms on its own grid (deadline +
 * period): when several periods passed, one interrupt is raised and the
 * missed ones are counted, so the rate neither drifts nor bursts. */
void vlapic_advance(struct vlapic *l, uint64_t now);

/* A fixed interrupt arrives. Vectors 0-15 set ESR "received illegal vector"
 * and are dropped (SDM 11.5.3); so is everything while software-disabled. */
void vlapic_set_irr(struct vlapic *l, uint8_t vector);

/* The IRR vector to inject next: the highest whose class (vector >> 4) is
 * above PPR's (SDM 11.8.3.1), or -1; -1 while software-disabled (pending
 * IRR bits are held until it is enabled again). */
int vlapic_pending_vector(const struct vlapic *l);

/* The hypervisor injected vector: IRR -> ISR. False (nothing done) when
 * the vector was not pending in IRR. */
bool vlapic_accept(struct vlapic *l, uint8_t vector);

/* Whether l is addressed by an x2APIC destination (SDM 11.12.10):
 * physical: ID equal; logical: cluster (bits 31:16) equal and a common bit
 * in 15:0; 0xffffffff is broadcast in both. */
bool vlapic_matches(const struct vlapic *l, uint32_t dest, bool logical);

/* Whether the IPI goes to l (shorthand, else destination). */
bool vlapic_ipi_targets(const struct vlapic *l, const struct vlapic_ipi *ipi);

#endif
