/* Host unit test for the timer of vdev/vlapic.c: one-shot, periodic (no
 * drift over many periods) and TSC-deadline modes, every divider, a masked
 * timer, and mode changes. */
#include <stdint.h>

#include "tests/host/vlapic_util.h"

static void test_oneshot(void)
{
	struct vlapic l;
	uint64_t t0 = 1000, d;
	bool ok = true;

	up(&l, 0, TPT);
	wr(&l, X2APIC_LVT_TIMER, 0x40, 0);
	wr(&l, X2APIC_TIMER_DCR, 0x2, 0); /* divide by 8 */
	CHECK(wr(&l, X2APIC_TIMER_ICR, 1000, t0) == 0, "start");
	d = t0 + 1000 * 8 * TPT;
	CHECK(vlapic_next_deadline(&l) == d, "deadline = count * divider * tsc_per_tick");
	CHECK(rd(&l, X2APIC_TIMER_ICR, t0) == 1000, "initial count reads back");
	CHECK(rd(&l, X2APIC_TIMER_CCR, t0) == 1000, "full count at start");
	CHECK(rd(&l, X2APIC_TIMER_CCR, t0 + 8 * TPT - 1) == 1000, "not a tick yet");
	CHECK(rd(&l, X2APIC_TIMER_CCR, t0 + 8 * TPT) == 999, "one tick");
	for (uint64_t k = 0; k < 1000; k++)
		ok &= rd(&l, X2APIC_TIMER_CCR, t0 + k * 8 * TPT + 5) == 1000 - k;
	CHECK(ok, "current count falls one per 8 * tsc_per_tick");
	CHECK(rd(&l, X2APIC_TIMER_CCR, d - 1) == 1, "1 just before expiry");
	vlapic_advance(&l, d - 1);
	CHECK(!irr(&l, 0x40) && l.stats.timer_fires == 0, "not before the deadline");
	vlapic_advance(&l, d);
	CHECK(irr(&l, 0x40) && l.stats.timer_fires == 1, "fires at the deadline exactly");
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "one-shot disarmed");
	CHECK(rd(&l, X2APIC_TIMER_CCR, d) == 0, "count 0 after expiry");
	CHECK(rd(&l, X2APIC_TIMER_CCR, d + 100000) == 0, "and stays 0");
	CHECK(rd(&l, X2APIC_TIMER_ICR, d) == 1000, "initial count kept");
	CHECK(serve(&l) == 0x40, "timer vector delivered");
	vlapic_advance(&l, d + 1000000);
	CHECK(!irr(&l, 0x40) && l.stats.timer_fires == 1, "fires once");

	/* Expiry seen only at a later read still fires once. */
	wr(&l, X2APIC_TIMER_ICR, 10, 0);
	CHECK(rd(&l, X2APIC_TIMER_CCR, 100000) == 0 && irr(&l, 0x40), "read past expiry fires");
	CHECK(l.stats.timer_fires == 2, "counted");
	serve(&l);

	/* Initial count 0 stops; a new count restarts. */
	wr(&l, X2APIC_TIMER_ICR, 50, 0);
	wr(&l, X2APIC_TIMER_ICR, 0, 10);
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "count 0 stops the timer");
	CHECK(rd(&l, X2APIC_TIMER_CCR, 10) == 0, "stopped count reads 0");
	vlapic_advance(&l, 1000000);
	CHECK(!irr(&l, 0x40), "a stopped timer does not fire");
	wr(&l, X2APIC_TIMER_ICR, 50, 100);
	wr(&l, X2APIC_TIMER_ICR, 20, 200);
	CHECK(vlapic_next_deadline(&l) == 200 + 20 * 8 * TPT, "a new count restarts from now");

	/* The arithmetic saturates instead of wrapping. */
	vlapic_init(&l, 0, true, 1ull << 40);
	wr(&l, X2APIC_SVR, 0x1ff, 0);
	wr(&l, X2APIC_LVT_TIMER, 0x40, 0);
	wr(&l, X2APIC_TIMER_DCR, 0xa, 0); /* divide by 128 */
	wr(&l, X2APIC_TIMER_ICR, 0xffffffff, 5);
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "deadline past 2^64 never comes");
	CHECK(rd(&l, X2APIC_TIMER_CCR, 5) == 0xffffffff, "full count at the start");
	CHECK(rd(&l, X2APIC_TIMER_CCR, 5 + (1ull << 62)) == 0xffffffff - (1u << 15),
	      "and it still counts: %llu",
	      (unsigned long long)rd(&l, X2APIC_TIMER_CCR, 5 + (1ull << 62)));
}

static void test_periodic(void)
{
	struct vlapic l;
	const uint64_t t0 = 12345, rate = 7 * 4, period = 250 * rate;
	uint64_t d = 0;
	bool grid = true, early = false, fired = true;

	up(&l, 1, 7);
	wr(&l, X2APIC_LVT_TIMER, LVT_PERIODIC | 0x50, 0);
	wr(&l, X2APIC_TIMER_DCR, 0x1, 0); /* divide by 4 */
	wr(&l, X2APIC_TIMER_ICR, 250, t0);
	for (uint64_t k = 1; k <= 1000; k++) {
		d = vlapic_next_deadline(&l);
		grid &= d == t0 + k * period;
		vlapic_advance(&l, d - 1);
		early |= irr(&l, 0x50);
		vlapic_advance(&l, d);
		fired &= serve(&l) == 0x50;
	}
	CHECK(grid, "1000 deadlines on the grid t0 + k * period");
	CHECK(!early, "never early");
	CHECK(fired, "every period delivers");
	CHECK(l.stats.timer_fires == 1000 && l.stats.timer_missed == 0, "1000 fires");
	CHECK(vlapic_next_deadline(&l) == t0 + 1001 * period, "no drift after 1000 periods");

	/* Served late within the period: the next deadline does not move. */
	d = vlapic_next_deadline(&l);
	vlapic_advance(&l, d + period / 2 + 3);
	CHECK(serve(&l) == 0x50, "late service fires");
	CHECK(vlapic_next_deadline(&l) == d + period, "late service keeps the grid");
	CHECK(rd(&l, X2APIC_TIMER_CCR, d + period / 2 + 3) == 125, "count mid-period");

	/* Five and a bit periods missed: one interrupt, back on the grid. */
	d = vlapic_next_deadline(&l);
	vlapic_advance(&l, d + 5 * period + 3);
	CHECK(irr(&l, 0x50) && l.stats.timer_fires == 1002, "one interrupt for the burst");
	CHECK(l.stats.timer_missed == 5, "five periods missed: %llu",
	      (unsigned long long)l.stats.timer_missed);
	CHECK(vlapic_next_deadline(&l) == d + 6 * period, "catch-up stays on the grid");
	serve(&l);

	/* The count reloads from the initial count at each period. */
	d = vlapic_next_deadline(&l);
	CHECK(rd(&l, X2APIC_TIMER_CCR, d) == 250, "reloaded at expiry");
	CHECK(rd(&l, X2APIC_TIMER_CCR, d + rate) == 249, "and counts down again");
	CHECK(rd(&l, X2APIC_TIMER_CCR, d + 2 * period + period / 2) == 125,
	      "read alone brings the timer up to now");
	CHECK(rd(&l, X2APIC_TIMER_ICR, d) == 250, "initial count kept");
	serve(&l);

	/* Periodic -> one-shot: the running count ends, then it stops. */
	d = vlapic_next_deadline(&l);
	wr(&l, X2APIC_LVT_TIMER, 0x50, d - 10);
	CHECK(vlapic_next_deadline(&l) == d, "switch to one-shot keeps the countdown");
	vlapic_advance(&l, d);
	CHECK(serve(&l) == 0x50 && vlapic_next_deadline(&l) == UINT64_MAX, "fires once, stops");
}

static void test_divide(void)
{
	static const struct { uint32_t dcr, div; } enc[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	struct vlapic l;

	for (unsigned i = 0; i < 8; i++) {
		uint64_t tick = (uint64_t)enc[i].div * TPT;

		up(&l, 0, TPT);
		wr(&l, X2APIC_LVT_TIMER, 0x40, 0);
		CHECK(wr(&l, X2APIC_TIMER_DCR, enc[i].dcr, 0) == 0 &&
			      rd(&l, X2APIC_TIMER_DCR, 0) == enc[i].dcr, "DCR %#x reads back", enc[i].dcr);
		wr(&l, X2APIC_TIMER_ICR, 10, 100);
		CHECK(vlapic_next_deadline(&l) == 100 + 10 * tick, "DCR %#x divides by %u",
		      enc[i].dcr, enc[i].div);
		CHECK(rd(&l, X2APIC_TIMER_CCR, 100 + tick) == 9 &&
			      rd(&l, X2APIC_TIMER_CCR, 100 + tick - 1) == 10,
		      "DCR %#x: one count per %llu TSC", enc[i].dcr, (unsigned long long)tick);
	}

	/* A new divider applies to what is left of the count. */
	up(&l, 0, 1);
	wr(&l, X2APIC_LVT_TIMER, 0x40, 0);
	wr(&l, X2APIC_TIMER_DCR, 0x0, 0); /* by 2 */
	wr(&l, X2APIC_TIMER_ICR, 100, 1000);
	CHECK(rd(&l, X2APIC_TIMER_CCR, 1100) == 50, "half way");
	wr(&l, X2APIC_TIMER_DCR, 0x2, 1100); /* by 8 */
	CHECK(vlapic_next_deadline(&l) == 1100 + 50 * 8, "rest of the count at the new rate");
	CHECK(rd(&l, X2APIC_TIMER_CCR, 1100) == 50 && rd(&l, X2APIC_TIMER_CCR, 1108) == 49,
	      "count continues from where it was");
}

static void test_tsc_deadline(void)
{
	struct vlapic l;

	up(&l, 0, TPT);
	CHECK(wr(&l, X2APIC_LVT_TIMER, LVT_DEADLINE | 0x60, 0) == 0, "TSC-deadline mode");
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 0) == 0, "not armed");
	CHECK(wr(&l, MSR_IA32_TSC_DEADLINE, 5000, 1000) == 0, "arm");
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 1000) == 5000, "deadline reads back");
	CHECK(vlapic_next_deadline(&l) == 5000, "next deadline");
	CHECK(wr(&l, X2APIC_TIMER_ICR, 77, 1000) == 0 && rd(&l, X2APIC_TIMER_ICR, 1000) == 0,
	      "initial count ignored in TSC-deadline mode");
	CHECK(rd(&l, X2APIC_TIMER_CCR, 1000) == 0, "current count reads 0");
	CHECK(vlapic_next_deadline(&l) == 5000, "still armed for the deadline");
	vlapic_advance(&l, 4999);
	CHECK(!irr(&l, 0x60), "not before the deadline");
	vlapic_advance(&l, 5000);
	CHECK(irr(&l, 0x60) && l.stats.timer_fires == 1, "fires at the deadline");
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 5000) == 0, "reads 0 once fired");
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "one-shot");
	serve(&l);

	wr(&l, MSR_IA32_TSC_DEADLINE, 9000, 6000);
	CHECK(wr(&l, MSR_IA32_TSC_DEADLINE, 0, 6000) == 0, "write 0");
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 6000) == 0 && vlapic_next_deadline(&l) == UINT64_MAX,
	      "0 disarms");
	vlapic_advance(&l, 10000);
	CHECK(!irr(&l, 0x60), "disarmed does not fire");

	wr(&l, MSR_IA32_TSC_DEADLINE, 100, 200);
	CHECK(irr(&l, 0x60) && l.stats.timer_fires == 2, "a past deadline fires at once");
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 200) == 0, "and reads 0");
	serve(&l);

	wr(&l, X2APIC_LVT_TIMER, APIC_LVT_MASKED | LVT_DEADLINE | 0x60, 300);
	wr(&l, MSR_IA32_TSC_DEADLINE, 1000, 300);
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 300) == 1000, "masked: deadline still armed");
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "masked: no host timer needed");
	vlapic_advance(&l, 1000);
	CHECK(!irr(&l, 0x60) && l.stats.timer_fires == 2, "masked expiry raises nothing");
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 1000) == 0, "masked expiry still disarms");

	wr(&l, X2APIC_LVT_TIMER, 0x60, 2000);
	CHECK(wr(&l, MSR_IA32_TSC_DEADLINE, 7000, 2000) == 0, "write in one-shot mode succeeds");
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 2000) == 0, "but is ignored: reads 0");
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "and arms nothing");
}

static void test_masked(void)
{
	struct vlapic l;

	up(&l, 0, 1);
	wr(&l, X2APIC_TIMER_DCR, DCR_DIV1, 0);
	wr(&l, X2APIC_LVT_TIMER, APIC_LVT_MASKED | 0x40, 0);
	wr(&l, X2APIC_TIMER_ICR, 100, 0);
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "masked: no deadline to program");
	CHECK(rd(&l, X2APIC_TIMER_CCR, 40) == 60, "masked timer counts down");
	vlapic_advance(&l, 100);
	CHECK(!irr(&l, 0x40) && l.stats.timer_fires == 0, "masked expiry sets no IRR");
	CHECK(rd(&l, X2APIC_TIMER_CCR, 100) == 0, "and reaches 0");

	wr(&l, X2APIC_LVT_TIMER, APIC_LVT_MASKED | LVT_PERIODIC | 0x40, 1000);
	wr(&l, X2APIC_TIMER_ICR, 100, 1000);
	CHECK(rd(&l, X2APIC_TIMER_CCR, 1350) == 50, "masked periodic keeps reloading");
	CHECK(!irr(&l, 0x40), "without interrupts");
	wr(&l, X2APIC_LVT_TIMER, LVT_PERIODIC | 0x40, 1350);
	CHECK(vlapic_next_deadline(&l) == 1400, "unmasked: deadline on the original grid");
	vlapic_advance(&l, 1400);
	CHECK(irr(&l, 0x40) && l.stats.timer_fires == 1, "and it fires");
}

static void test_mode_change(void)
{
	struct vlapic l;

	up(&l, 0, 1);
	wr(&l, X2APIC_TIMER_DCR, DCR_DIV1, 0);
	wr(&l, X2APIC_LVT_TIMER, 0x40, 0);
	wr(&l, X2APIC_TIMER_ICR, 100, 0);
	wr(&l, X2APIC_LVT_TIMER, LVT_DEADLINE | 0x40, 10);
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "one-shot -> TSC-deadline disarms");
	CHECK(rd(&l, X2APIC_TIMER_ICR, 10) == 0, "and clears the initial count");
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 10) == 0, "with no deadline armed");
	vlapic_advance(&l, 1000);
	CHECK(!irr(&l, 0x40), "nothing fires");

	wr(&l, MSR_IA32_TSC_DEADLINE, 5000, 1000);
	wr(&l, X2APIC_LVT_TIMER, LVT_DEADLINE | 0x41, 1000);
	CHECK(vlapic_next_deadline(&l) == 5000, "same mode, new vector: stays armed");
	wr(&l, X2APIC_LVT_TIMER, LVT_PERIODIC | 0x41, 1000);
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "TSC-deadline -> periodic disarms");
	vlapic_advance(&l, 6000);
	CHECK(!irr(&l, 0x41), "the old deadline does not fire");
	CHECK(rd(&l, X2APIC_TIMER_CCR, 6000) == 0, "periodic not started");

	wr(&l, X2APIC_LVT_TIMER, 0x42, 7000);
	wr(&l, X2APIC_TIMER_ICR, 100, 7000);
	wr(&l, X2APIC_LVT_TIMER, LVT_PERIODIC | 0x42, 7050);
	CHECK(vlapic_next_deadline(&l) == 7100, "one-shot -> periodic keeps the countdown");
	vlapic_advance(&l, 7100);
	CHECK(irr(&l, 0x42) && vlapic_next_deadline(&l) == 7200, "and then reloads");

	/* The power-on state of a mode is reached by its first write too. */
	wr(&l, X2APIC_LVT_TIMER, APIC_LVT_MASKED | LVT_DEADLINE | 0x42, 7200);
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX && rd(&l, X2APIC_TIMER_ICR, 7200) == 0,
	      "masked switch to TSC-deadline disarms too");
}

int main(void)
{
	test_oneshot();
	test_periodic();
	test_divide();
	test_tsc_deadline();
	test_masked();
	test_mode_change();
	return check_summary();
}
