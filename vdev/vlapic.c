/* Virtual x2APIC (SDM Vol. 3A chapter 11; section numbers below are from that
 * chapter). The registers keep the x2APIC MSR layout, so a read is mostly a
 * field, and the priority and timer rules are computed from them on demand:
 * PPR from TPR and ISR, the current count from the deadline and now. */
#include "vdev/vlapic.h"

#define VEC_CLASS(v)		((uint32_t)(v) >> 4)

#define SVR_WRITABLE		(0xffu | APIC_SVR_ENABLE | (1u << 9)) /* 9: focus */
#define TPR_WRITABLE		0xffu
#define DCR_WRITABLE		0x0bu	/* bits 0, 1 and 3 (Figure 11-10) */
#define SELF_IPI_WRITABLE	0xffu

#define LVT_VECTOR		0xffu
#define LVT_DM			(7u << 8)
#define LVT_STATUS		(1u << 12)	/* delivery status, read-only */
#define LVT_POLARITY		(1u << 13)
#define LVT_REMOTE_IRR		(1u << 14)	/* read-only */
#define LVT_TRIGGER		(1u << 15)
#define LVT_TIMER_MODE		(3u << APIC_LVT_TIMER_SHIFT)

/* ICR: bit 12 (delivery status) does not exist in x2APIC mode and is ignored
 * as Intel parts do; the other reserved bits are must-be-zero (11.12.9). */
#define ICR_BUSY		(1ull << 12)
#define ICR_RESERVED		((0xfffull << 20) | (3ull << 16) | (1ull << 13))

/* Per LVT register (Figure 11-8): the bits a write sets, and the read-only
 * bits a write may carry without fault. We deliver at once, so delivery
 * status and remote IRR always read 0. Anything else is reserved: #GP
 * (11.12.1.3). */
static const uint32_t lvt_writable[VLAPIC_NR_LVT] = {
	[VLAPIC_LVT_CMCI] = LVT_VECTOR | LVT_DM | APIC_LVT_MASKED,
	[VLAPIC_LVT_TIMER] = LVT_VECTOR | APIC_LVT_MASKED | LVT_TIMER_MODE,
	[VLAPIC_LVT_THERMAL] = LVT_VECTOR | LVT_DM | APIC_LVT_MASKED,
	[VLAPIC_LVT_PERFMON] = LVT_VECTOR | LVT_DM | APIC_LVT_MASKED,
	[VLAPIC_LVT_LINT0] = LVT_VECTOR | LVT_DM | LVT_POLARITY | LVT_TRIGGER | APIC_LVT_MASKED,
	[VLAPIC_LVT_LINT1] = LVT_VECTOR | LVT_DM | LVT_POLARITY | LVT_TRIGGER | APIC_LVT_MASKED,
	[VLAPIC_LVT_ERROR] = LVT_VECTOR | APIC_LVT_MASKED,
};

static const uint32_t lvt_readonly[VLAPIC_NR_LVT] = {
	[VLAPIC_LVT_CMCI] = LVT_STATUS,
	[VLAPIC_LVT_TIMER] = LVT_STATUS,
	[VLAPIC_LVT_THERMAL] = LVT_STATUS,
	[VLAPIC_LVT_PERFMON] = LVT_STATUS,
	[VLAPIC_LVT_LINT0] = LVT_STATUS | LVT_REMOTE_IRR,
	[VLAPIC_LVT_LINT1] = LVT_STATUS | LVT_REMOTE_IRR,
	[VLAPIC_LVT_ERROR] = LVT_STATUS,
};

/* 256-bit vector sets, 32 bits a word as the ISR/TMR/IRR MSRs show them. */

static bool vec_test(const uint32_t *set, uint8_t v)
{
	return set[v / 32] >> (v % 32) & 1;
}

static void vec_set(uint32_t *set, uint8_t v)
{
	set[v / 32] |= 1u << (v % 32);
}

static void vec_clear(uint32_t *set, uint8_t v)
{
	set[v / 32] &= ~(1u << (v % 32));
}

static int vec_highest(const uint32_t *set)
{
	for (int i = 7; i >= 0; i--)
		if (set[i])
			return i * 32 + 31 - __builtin_clz(set[i]);
	return -1;
}

static void vec_zero(uint32_t *set)
{
	for (int i = 0; i < 8; i++)
		set[i] = 0;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static bool sw_enabled(const struct vlapic *l)
{
	return l->svr & APIC_SVR_ENABLE;
}

/* 11.8.3.1: PPR is TPR when TPR's class is at least the highest in-service
 * class, else that class with a zero sub-class. */
static uint32_t vlapic_ppr(const struct vlapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : VEC_CLASS(isrv);

	if (VEC_CLASS(l->tpr) >= isr_class)
		return l->tpr;
	return isr_class << 4;
}

/* 11.5.3: an error is logged for the next ESR write to show, and signalled
 * through the LVT error entry. An illegal vector there is not raised: it
 * would only log another error. */
static void vlapic_error(struct vlapic *l, uint32_t bits)
{
	uint32_t lvt = l->lvt[VLAPIC_LVT_ERROR];

	l->esr_pending |= bits;
	if (!(lvt & APIC_LVT_MASKED) && (lvt & LVT_VECTOR) >= 16 && sw_enabled(l))
		vec_set(l->irr, (uint8_t)lvt);
}

void vlapic_set_irr(struct vlapic *l, uint8_t vector)
{
	if (vector < 16) {
		vlapic_error(l, APIC_ESR_RECV_ILLEGAL);
		l->stats.dropped++;
		return;
	}
	/* 11.4.7.2: a software-disabled APIC keeps what is pending but
	 * accepts no new fixed interrupts (NMI, INIT, SIPI are not ours). */
	if (!sw_enabled(l)) {
		l->stats.dropped++;
		return;
	}
	vec_set(l->irr, vector);
}

int vlapic_pending_vector(const struct vlapic *l)
{
	int v = vec_highest(l->irr);

	if (v < 0 || !sw_enabled(l) || VEC_CLASS(v) <= VEC_CLASS(vlapic_ppr(l)))
		return -1;
	return v;
}

bool vlapic_accept(struct vlapic *l, uint8_t vector)
{
	if (!vec_test(l->irr, vector))
		return false;
	vec_clear(l->irr, vector);
	vec_set(l->isr, vector);
	l->stats.accepted++;
	return true;
}

/* 11.8.5: EOI retires the highest-priority in-service vector. TMR stays
 * clear (only edge-triggered sources exist), so no EOI is broadcast. */
static void vlapic_eoi(struct vlapic *l)
{
	int v = vec_highest(l->isr);

	if (v >= 0)
		vec_clear(l->isr, (uint8_t)v);
	l->stats.eois++;
}

/* Timer (11.5.4). The count runs at tsc_per_tick * divider TSC ticks per
 * decrement; only the deadline is stored, the count is derived from it. */

static uint32_t timer_mode(const struct vlapic *l)
{
	return (l->lvt[VLAPIC_LVT_TIMER] & LVT_TIMER_MODE) >> APIC_LVT_TIMER_SHIFT;
}

/* Figure 11-10: bits 3,1,0 = 000 -> 2, 001 -> 4, ..., 110 -> 128, 111 -> 1. */
static uint64_t timer_divider(uint32_t dcr)
{
	uint32_t n = ((dcr >> 1) & 4) | (dcr & 3);

	return n == 7 ? 1 : 2u << n;
}

static uint64_t timer_rate(const struct vlapic *l)
{
	return sat_mul(l->tsc_per_tick, timer_divider(l->timer_dcr));
}

/* The count now: one less every rate TSC since it was loaded, 0 when
 * stopped, expired or in TSC-deadline mode. Counted from the load rather
 * than back from the deadline, which saturates. */
static uint32_t timer_count(const struct vlapic *l, uint64_t now)
{
	uint64_t ticks;

	if (!l->armed || timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
		return 0;
	if (now < l->timer_base)
		return l->timer_load; /* the caller's time went back */
	ticks = (now - l->timer_base) / timer_rate(l);
	return ticks >= l->timer_load ? 0 : l->timer_load - (uint32_t)ticks;
}

static void timer_start(struct vlapic *l, uint64_t now, uint32_t count)
{
	l->armed = count != 0;
	l->timer_base = now;
	l->timer_load = count;
	l->deadline = sat_add(now, sat_mul(count, timer_rate(l)));
}

static void timer_stop(struct vlapic *l)
{
	l->armed = false;
	l->deadline = 0;
}

static void timer_raise(struct vlapic *l)
{
	uint32_t lvt = l->lvt[VLAPIC_LVT_TIMER];

	if (lvt & APIC_LVT_MASKED)
		return;
	l->stats.timer_fires++;
	vlapic_set_irr(l, (uint8_t)lvt);
}

void vlapic_advance(struct vlapic *l, uint64_t now)
{
	uint64_t period, late;

	if (!l->armed || now < l->deadline)
		return;
	timer_raise(l);
	if (timer_mode(l) != APIC_TIMER_PERIODIC) {
		timer_stop(l);
		return;
	}
	/* Stay on the grid of the first deadline: n periods late gives one
	 * interrupt (the IRR bit holds only one anyway) and n - 1 missed. */
	period = sat_mul(l->timer_icr, timer_rate(l));
	late = (now - l->deadline) / period;
	l->stats.timer_missed += late;
	timer_start(l, sat_add(l->deadline, sat_mul(late, period)), l->timer_icr);
}

uint64_t vlapic_next_deadline(const struct vlapic *l)
{
	if (!l->armed || (l->lvt[VLAPIC_LVT_TIMER] & APIC_LVT_MASKED))
		return UINT64_MAX;
	return l->deadline;
}

/* 11.5.4: the initial count is ignored in TSC-deadline mode; 0 stops. */
static void timer_write_icr(struct vlapic *l, uint32_t count, uint64_t now)
{
	if (timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
		return;
	l->timer_icr = count;
	timer_start(l, now, count);
}

/* A new divider applies to what is left of the count. */
static void timer_write_dcr(struct vlapic *l, uint32_t dcr, uint64_t now)
{
	uint32_t left = timer_count(l, now);

	l->timer_dcr = dcr;
	if (l->armed && timer_mode(l) != APIC_TIMER_TSC_DEADLINE)
		timer_start(l, now, left);
}

/* 11.5.4.1: a write in TSC-deadline mode arms (0 disarms); other modes
 * ignore it. */
static void timer_write_deadline(struct vlapic *l, uint64_t tsc)
{
	if (timer_mode(l) != APIC_TIMER_TSC_DEADLINE)
		return;
	l->armed = tsc != 0;
	l->deadline = tsc;
}

static uint64_t timer_read_deadline(const struct vlapic *l)
{
	if (timer_mode(l) != APIC_TIMER_TSC_DEADLINE || !l->armed)
		return 0;
	return l->deadline;
}

/* Registers. */

static int lvt_write(struct vlapic *l, enum vlapic_lvt i, uint32_t val)
{
	uint32_t old_mode = timer_mode(l), mode;

	if (val & ~(lvt_writable[i] | lvt_readonly[i]))
		return -1;
	if (i == VLAPIC_LVT_TIMER && (val & LVT_TIMER_MODE) == LVT_TIMER_MODE)
		return -1; /* mode 3 is reserved */
	/* 11.4.7.2: while software-disabled the masks stay set. */
	if (!sw_enabled(l))
		val |= APIC_LVT_MASKED;
	l->lvt[i] = val & lvt_writable[i];
	if (i != VLAPIC_LVT_TIMER)
		return 0;
	/* 11.5.4.1: moving into or out of TSC-deadline mode disarms; one-shot
	 * and periodic swap without stopping, the new mode counts at expiry. */
	mode = timer_mode(l);
	if ((old_mode == APIC_TIMER_TSC_DEADLINE) != (mode == APIC_TIMER_TSC_DEADLINE)) {
		timer_stop(l);
		l->timer_icr = 0;
	}
	return 0;
}

static void svr_write(struct vlapic *l, uint32_t val)
{
	l->svr = val;
	if (sw_enabled(l))
		return;
	for (int i = 0; i < VLAPIC_NR_LVT; i++)
		l->lvt[i] |= APIC_LVT_MASKED;
}

/* 11.6.1 and 11.12.9. Table 11-3: self and all-including-self take fixed
 * interrupts only; other combinations, SMI and the reserved modes are
 * ignored (counted). Level and trigger only matter for INIT: a level
 * de-assert is a no-op on x2APIC parts. An illegal fixed vector sets "send
 * illegal vector" and nothing is sent. */
static int icr_write(struct vlapic *l, uint64_t val, struct vlapic_ipi *ipi, bool *has_ipi)
{
	uint8_t vector = (uint8_t)val;
	uint8_t mode = (val >> 8) & 7;
	uint8_t sh = (val >> APIC_ICR_SHORTHAND_SHIFT) & 3;

	if (val & ICR_RESERVED)
		return -1;
	l->icr = val & ~ICR_BUSY;
	if (mode == APIC_DM_LOWEST)
		mode = APIC_DM_FIXED;
	if (mode == APIC_DM_INIT && !(val & APIC_ICR_ASSERT) && (val & APIC_ICR_LEVEL))
		return 0;
	if ((mode != APIC_DM_FIXED && mode != APIC_DM_NMI && mode != APIC_DM_INIT &&
	     mode != APIC_DM_STARTUP) ||
	    (mode != APIC_DM_FIXED && (sh == VLAPIC_SH_SELF || sh == VLAPIC_SH_ALL))) {
		l->stats.ipis_ignored++;
		return 0;
	}
	if (mode == APIC_DM_FIXED && vector < 16) {
		vlapic_error(l, APIC_ESR_SEND_ILLEGAL);
		/* a self IPI is also received, and refused, here */
		if (sh == VLAPIC_SH_SELF)
			vlapic_set_irr(l, vector);
		return 0;
	}
	l->stats.ipis++;
	if (sh == VLAPIC_SH_SELF) {
		vlapic_set_irr(l, vector);
		return 0;
	}
	*ipi = (struct vlapic_ipi){ .src = l->id, .dest = (uint32_t)(val >> 32),
				    .logical = val & APIC_ICR_LOGICAL, .shorthand = sh,
				    .mode = mode, .vector = vector };
	*has_ipi = true;
	return 0;
}

static uint32_t vlapic_ldr(const struct vlapic *l)
{
	return (l->id >> 4) << 16 | 1u << (l->id & 15);
}

static uint64_t apic_base(const struct vlapic *l)
{
	return APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD | (l->bsp ? APIC_BASE_BSP : 0);
}

static int reg_read(struct vlapic *l, uint32_t msr, uint64_t now, uint64_t *val)
{
	if (msr >= X2APIC_ISR0 && msr < X2APIC_IRR0 + 8) {
		const uint32_t *set = msr < X2APIC_TMR0 ? l->isr : msr < X2APIC_IRR0 ? l->tmr : l->irr;

		*val = set[(msr - X2APIC_ISR0) % 8];
		return 0;
	}
	switch (msr) {
	case MSR_IA32_APIC_BASE: *val = apic_base(l); return 0;
	case MSR_IA32_TSC_DEADLINE: *val = timer_read_deadline(l); return 0;
	case X2APIC_ID: *val = l->id; return 0;
	case X2APIC_VERSION: *val = VLAPIC_VERSION; return 0;
	case X2APIC_TPR: *val = l->tpr; return 0;
	case X2APIC_PPR: *val = vlapic_ppr(l); return 0;
	case X2APIC_LDR: *val = vlapic_ldr(l); return 0;
	case X2APIC_SVR: *val = l->svr; return 0;
	case X2APIC_ESR: *val = l->esr; return 0;
	case X2APIC_ICR: *val = l->icr; return 0;
	case X2APIC_LVT_CMCI: *val = l->lvt[VLAPIC_LVT_CMCI]; return 0;
	case X2APIC_LVT_TIMER ... X2APIC_LVT_ERROR:
		*val = l->lvt[VLAPIC_LVT_TIMER + (msr - X2APIC_LVT_TIMER)];
		return 0;
	case X2APIC_TIMER_ICR: *val = l->timer_icr; return 0;
	case X2APIC_TIMER_CCR: *val = timer_count(l, now); return 0;
	case X2APIC_TIMER_DCR: *val = l->timer_dcr; return 0;
	default:
		return -1; /* reserved, or write-only (EOI, SELF IPI) */
	}
}

/* The 32-bit registers: bits 63:32 are reserved (11.12.1.2). */
static int reg_write32(struct vlapic *l, uint32_t msr, uint32_t val, uint64_t now)
{
	switch (msr) {
	case X2APIC_TPR:
		if (val & ~TPR_WRITABLE)
			return -1;
		l->tpr = val;
		return 0;
	case X2APIC_EOI:
		if (val)
			return -1;
		vlapic_eoi(l);
		return 0;
	case X2APIC_SVR:
		if (val & ~SVR_WRITABLE)
			return -1;
		svr_write(l, val);
		return 0;
	case X2APIC_ESR:
		/* 11.5.3: only 0 in x2APIC mode; the write shows the errors
		 * logged since the previous one. */
		if (val)
			return -1;
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return 0;
	case X2APIC_LVT_CMCI:
		return lvt_write(l, VLAPIC_LVT_CMCI, val);
	case X2APIC_LVT_TIMER ... X2APIC_LVT_ERROR:
		return lvt_write(l, VLAPIC_LVT_TIMER + (msr - X2APIC_LVT_TIMER), val);
	case X2APIC_TIMER_ICR:
		timer_write_icr(l, val, now);
		return 0;
	case X2APIC_TIMER_DCR:
		if (val & ~DCR_WRITABLE)
			return -1;
		timer_write_dcr(l, val, now);
		return 0;
	case X2APIC_SELF_IPI:
		if (val & ~SELF_IPI_WRITABLE)
			return -1;
		if (val < 16)
			vlapic_error(l, APIC_ESR_SEND_ILLEGAL);
		else
			l->stats.ipis++;
		vlapic_set_irr(l, (uint8_t)val);
		return 0;
	default:
		return -1; /* reserved, or read-only */
	}
}

static int reg_write(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now,
		     struct vlapic_ipi *ipi, bool *has_ipi)
{
	switch (msr) {
	case MSR_IA32_APIC_BASE:
		return val == apic_base(l) ? 0 : -1;
	case MSR_IA32_TSC_DEADLINE:
		timer_write_deadline(l, val);
		return 0;
	case X2APIC_ICR:
		return icr_write(l, val, ipi, has_ipi);
	default:
		if (val >> 32)
			return -1;
		return reg_write32(l, msr, (uint32_t)val, now);
	}
}

bool vlapic_handles_msr(uint32_t msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

int vlapic_rdmsr(struct vlapic *l, uint32_t msr, uint64_t now, uint64_t *val)
{
	*val = 0;
	vlapic_advance(l, now);
	if (reg_read(l, msr, now, val) == 0)
		return 0;
	l->stats.gp++;
	return -1;
}

int vlapic_wrmsr(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now,
		 struct vlapic_ipi *ipi, bool *has_ipi)
{
	*has_ipi = false;
	vlapic_advance(l, now);
	if (reg_write(l, msr, val, now, ipi, has_ipi)) {
		l->stats.gp++;
		return -1;
	}
	vlapic_advance(l, now);
	return 0;
}

bool vlapic_matches(const struct vlapic *l, uint32_t dest, bool logical)
{
	uint32_t ldr = vlapic_ldr(l);

	if (dest == VLAPIC_BROADCAST)
		return true;
	if (!logical)
		return dest == l->id;
	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
}

bool vlapic_ipi_targets(const struct vlapic *l, const struct vlapic_ipi *ipi)
{
	switch (ipi->shorthand) {
	case VLAPIC_SH_NONE: return vlapic_matches(l, ipi->dest, ipi->logical);
	case VLAPIC_SH_SELF: return l->id == ipi->src;
	case VLAPIC_SH_ALL: return true;
	default: return l->id != ipi->src;
	}
}

void vlapic_init_ipi_reset(struct vlapic *l)
{
	l->tpr = 0;
	l->svr = 0xff;
	l->esr = 0;
	l->esr_pending = 0;
	l->icr = 0;
	for (int i = 0; i < VLAPIC_NR_LVT; i++)
		l->lvt[i] = APIC_LVT_MASKED;
	l->timer_icr = 0;
	l->timer_dcr = 0;
	timer_stop(l);
	vec_zero(l->irr);
	vec_zero(l->isr);
	vec_zero(l->tmr);
}

void vlapic_init(struct vlapic *l, uint32_t id, bool bsp, uint64_t tsc_per_tick)
{
	l->id = id;
	l->bsp = bsp;
	l->tsc_per_tick = tsc_per_tick ? tsc_per_tick : 1;
	l->stats = (struct vlapic_stats){ 0 };
	vlapic_init_ipi_reset(l);
}
