/* Host unit test for vdev/vlapic.c, the virtual x2APIC: reset values, the
 * #GP rules of the MSR interface, priority (TPR, PPR, ISR, EOI), IPIs (ICR
 * decoding, self IPI, destination matching), illegal vectors, INIT and
 * software disable. The timer: test_vlapic_timer.c. */
#include <stdint.h>

#include "tests/host/vlapic_util.h"

static const uint32_t lvt_msrs[VLAPIC_NR_LVT] = {
	X2APIC_LVT_CMCI, X2APIC_LVT_TIMER, X2APIC_LVT_THERMAL, X2APIC_LVT_PERFMON,
	X2APIC_LVT_LINT0, X2APIC_LVT_LINT1, X2APIC_LVT_ERROR,
};

static void test_reset(void)
{
	struct vlapic l, ap, z;
	bool zero = true;

	vlapic_init(&l, 0, true, TPT);
	vlapic_init(&ap, 0x35, false, TPT);
	CHECK(rd(&l, X2APIC_ID, 0) == 0, "BSP ID");
	CHECK(rd(&ap, X2APIC_ID, 0) == 0x35, "AP ID is its vCPU index");
	CHECK(rd(&l, X2APIC_VERSION, 0) == 0x60014, "version");
	CHECK((rd(&l, X2APIC_VERSION, 0) >> 16 & 0xff) == VLAPIC_NR_LVT - 1,
	      "max LVT entry = LVT count - 1");
	CHECK(rd(&l, X2APIC_TPR, 0) == 0, "TPR");
	CHECK(rd(&l, X2APIC_PPR, 0) == 0, "PPR");
	CHECK(rd(&l, X2APIC_LDR, 0) == 1, "BSP LDR: cluster 0, bit 0");
	CHECK(rd(&ap, X2APIC_LDR, 0) == 0x30020, "LDR of 0x35: cluster 3, bit 5");
	CHECK(rd(&l, X2APIC_SVR, 0) == 0xff, "SVR: disabled, vector 0xff");
	CHECK(rd(&l, X2APIC_ESR, 0) == 0, "ESR");
	CHECK(rd(&l, X2APIC_ICR, 0) == 0, "ICR");
	for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
		CHECK(rd(&l, lvt_msrs[i], 0) == APIC_LVT_MASKED, "LVT %#x masked", lvt_msrs[i]);
	CHECK(rd(&l, X2APIC_TIMER_ICR, 0) == 0, "initial count");
	CHECK(rd(&l, X2APIC_TIMER_CCR, 0) == 0, "current count");
	CHECK(rd(&l, X2APIC_TIMER_DCR, 0) == 0, "divide configuration");
	for (uint32_t i = 0; i < 8; i++)
		zero &= !rd(&l, X2APIC_ISR0 + i, 0) && !rd(&l, X2APIC_TMR0 + i, 0) &&
			!rd(&l, X2APIC_IRR0 + i, 0);
	CHECK(zero, "ISR, TMR and IRR clear");
	CHECK(rd(&l, MSR_IA32_APIC_BASE, 0) == 0xfee00d00, "BSP APIC base: EN, EXTD, BSP");
	CHECK(rd(&ap, MSR_IA32_APIC_BASE, 0) == 0xfee00c00, "AP APIC base: no BSP");
	CHECK(rd(&l, MSR_IA32_TSC_DEADLINE, 0) == 0, "TSC deadline");
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX, "timer not armed");
	CHECK(vlapic_pending_vector(&l) == -1, "nothing pending");
	CHECK(l.stats.gp == 0 && l.stats.eois == 0 && l.stats.accepted == 0, "stats clear");
	vlapic_init(&z, 1, false, 0);
	CHECK(z.tsc_per_tick == 1, "tsc_per_tick 0 taken as 1");

	vlapic_init(&z, 15, false, 1);
	CHECK(rd(&z, X2APIC_LDR, 0) == 0x8000, "LDR of 15: cluster 0, bit 15");
	vlapic_init(&z, 16, false, 1);
	CHECK(rd(&z, X2APIC_LDR, 0) == 0x10001, "LDR of 16: cluster 1, bit 0");
	vlapic_init(&z, 0x12345, false, 1);
	CHECK(rd(&z, X2APIC_LDR, 0) == 0x12340020, "LDR of 0x12345");

	CHECK(vlapic_handles_msr(0x1b) && vlapic_handles_msr(0x6e0), "APIC base, TSC deadline");
	CHECK(vlapic_handles_msr(0x800) && vlapic_handles_msr(0x8ff), "x2APIC range ends");
	CHECK(!vlapic_handles_msr(0x7ff) && !vlapic_handles_msr(0x900), "outside the range");
	CHECK(!vlapic_handles_msr(0x10) && !vlapic_handles_msr(0x6e1), "other MSRs");
}

static void test_gp(void)
{
	static const uint32_t reserved[] = {
		0x800, 0x801, 0x804, 0x807, 0x809, 0x80c, 0x80e, 0x829,
		0x82e, 0x831, 0x83a, 0x83d, 0x840, 0x8ff,
	};
	static const uint32_t readonly[] = {
		X2APIC_ID, X2APIC_VERSION, X2APIC_PPR, X2APIC_LDR, X2APIC_TIMER_CCR,
	};
	struct vlapic l, ap;
	uint64_t gps = 0;
	bool ok = true;

	up(&l, 0, TPT);
	vlapic_init(&ap, 2, false, TPT);
	CHECK(rd_gp(&l, X2APIC_EOI), "EOI is write-only");
	CHECK(rd_gp(&l, X2APIC_SELF_IPI), "SELF IPI is write-only");
	gps += 2;
	for (unsigned i = 0; i < sizeof(readonly) / sizeof(readonly[0]); i++) {
		CHECK(wr(&l, readonly[i], 0, 0) == -1, "%#x is read-only", readonly[i]);
		gps++;
	}
	CHECK(rd(&l, X2APIC_ID, 0) == 0 && rd(&l, X2APIC_LDR, 0) == 1, "ID and LDR unchanged");
	for (uint32_t i = 0; i < 24; i++)
		ok &= wr(&l, X2APIC_ISR0 + i, 0, 0) == -1;
	gps += 24;
	CHECK(ok, "ISR, TMR, IRR are read-only");
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		CHECK(rd_gp(&l, reserved[i]), "read of reserved %#x", reserved[i]);
		CHECK(wr(&l, reserved[i], 0, 0) == -1, "write of reserved %#x", reserved[i]);
		gps += 2;
	}
	CHECK(rd_gp(&l, 0x10) && wr(&l, 0x10, 0, 0) == -1, "not an APIC MSR");
	gps += 2;

	CHECK(wr(&l, X2APIC_EOI, 1, 0) == -1, "EOI of a nonzero value");
	CHECK(wr(&l, X2APIC_EOI, 0, 0) == 0, "EOI of 0");
	CHECK(wr(&l, X2APIC_ESR, 0x40, 0) == -1, "ESR write of a nonzero value");
	CHECK(wr(&l, X2APIC_ESR, 0, 0) == 0, "ESR write of 0");
	gps += 2;

	CHECK(wr(&l, X2APIC_SVR, 0x1ff | 1u << 10, 0) == -1, "SVR bit 10");
	CHECK(wr(&l, X2APIC_SVR, 0x1ff | 1u << 12, 0) == -1, "SVR bit 12: no EOI suppression");
	CHECK(wr(&l, X2APIC_SVR, 0x1ff | 1u << 31, 0) == -1, "SVR bit 31");
	CHECK(wr(&l, X2APIC_SVR, 0x3ff, 0) == 0 && rd(&l, X2APIC_SVR, 0) == 0x3ff,
	      "SVR bit 9 (focus disable) is writable, Linux sets it");
	gps += 3;

	CHECK(wr(&l, X2APIC_TPR, 0x100, 0) == -1, "TPR bit 8");
	CHECK(wr(&l, X2APIC_TPR, 0xff, 0) == 0 && rd(&l, X2APIC_TPR, 0) == 0xff, "TPR 0xff");
	CHECK(wr(&l, X2APIC_TPR, 1ull << 32, 0) == -1, "TPR bit 32");
	wr(&l, X2APIC_TPR, 0, 0);
	CHECK(wr(&l, X2APIC_TIMER_DCR, 0x4, 0) == -1, "divide bit 2");
	CHECK(wr(&l, X2APIC_TIMER_DCR, 0x10, 0) == -1, "divide bit 4");
	CHECK(wr(&l, X2APIC_TIMER_ICR, 1ull << 32, 0) == -1, "initial count bit 32");
	CHECK(wr(&l, X2APIC_SELF_IPI, 0x100, 0) == -1, "SELF IPI bit 8");
	gps += 6;

	CHECK(wr(&l, X2APIC_LVT_TIMER, 0x40 | 1u << 8, 0) == -1, "timer LVT has no delivery mode");
	CHECK(rd(&l, X2APIC_LVT_TIMER, 0) == APIC_LVT_MASKED, "a #GP write changes nothing");
	CHECK(wr(&l, X2APIC_LVT_TIMER, 1u << 19, 0) == -1, "timer LVT bit 19");
	CHECK(wr(&l, X2APIC_LVT_TIMER, 3u << 17, 0) == -1, "timer mode 3 is reserved");
	CHECK(wr(&l, X2APIC_LVT_TIMER, 1u << 13, 0) == -1, "timer LVT bit 13");
	CHECK(wr(&l, X2APIC_LVT_ERROR, 1u << 8, 0) == -1, "error LVT has no delivery mode");
	CHECK(wr(&l, X2APIC_LVT_LINT0, 1u << 11, 0) == -1, "LINT0 bit 11");
	CHECK(wr(&l, X2APIC_LVT_LINT1, 1u << 17, 0) == -1, "LINT1 bit 17");
	CHECK(wr(&l, X2APIC_LVT_CMCI, 1u << 13, 0) == -1, "CMCI has no polarity");
	CHECK(wr(&l, X2APIC_LVT_THERMAL, 1u << 15, 0) == -1, "thermal has no trigger mode");
	CHECK(wr(&l, X2APIC_LVT_PERFMON, 1u << 14, 0) == -1, "perfmon bit 14");
	CHECK(wr(&l, X2APIC_LVT_PERFMON, 1ull << 32, 0) == -1, "LVT bit 32");
	gps += 11;
	CHECK(wr(&l, X2APIC_LVT_TIMER, 0x40 | 1u << 12, 0) == 0 &&
		      rd(&l, X2APIC_LVT_TIMER, 0) == 0x40,
	      "delivery status is read-only: accepted, reads idle");
	CHECK(wr(&l, X2APIC_LVT_LINT0, 0x700 | 1u << 13 | 1u << 14 | 1u << 15, 0) == 0 &&
		      rd(&l, X2APIC_LVT_LINT0, 0) == (0x700 | 1u << 13 | 1u << 15),
	      "LINT0 ExtINT, polarity, trigger; remote IRR read-only");
	CHECK(wr(&l, X2APIC_LVT_PERFMON, 0x400 | 0x22, 0) == 0 &&
		      rd(&l, X2APIC_LVT_PERFMON, 0) == 0x422, "perfmon NMI");

	CHECK(wr(&l, X2APIC_ICR, 1ull << 13, 0) == -1, "ICR bit 13");
	CHECK(wr(&l, X2APIC_ICR, 1ull << 16, 0) == -1, "ICR bit 16");
	CHECK(wr(&l, X2APIC_ICR, 1ull << 17, 0) == -1, "ICR bit 17");
	CHECK(wr(&l, X2APIC_ICR, 1ull << 20, 0) == -1, "ICR bit 20");
	CHECK(wr(&l, X2APIC_ICR, 1ull << 31, 0) == -1, "ICR bit 31");
	gps += 5;
	CHECK(rd(&l, X2APIC_ICR, 0) == 0, "a #GP ICR write is not kept");
	CHECK(wr(&l, X2APIC_ICR, 2ull << 32 | 1u << 12 | 0x40, 0) == 0 &&
		      rd(&l, X2APIC_ICR, 0) == (2ull << 32 | 0x40),
	      "ICR bit 12 (no delivery status in x2APIC) ignored");

	CHECK(wr(&l, MSR_IA32_APIC_BASE, 0xfee00d00, 0) == 0, "APIC base rewritten as is");
	CHECK(wr(&l, MSR_IA32_APIC_BASE, 0xfee00900, 0) == -1, "no way back to xAPIC");
	CHECK(wr(&l, MSR_IA32_APIC_BASE, 0xfee00100, 0) == -1, "no global disable");
	CHECK(wr(&l, MSR_IA32_APIC_BASE, 0, 0) == -1, "no reset to 0");
	CHECK(wr(&l, MSR_IA32_APIC_BASE, 0xfed00d00, 0) == -1, "no relocation");
	CHECK(wr(&l, MSR_IA32_APIC_BASE, 0xfee00c00, 0) == -1, "BSP flag is fixed");
	CHECK(wr(&ap, MSR_IA32_APIC_BASE, 0xfee00c00, 0) == 0, "AP's base as is");
	CHECK(wr(&ap, MSR_IA32_APIC_BASE, 0xfee00d00, 0) == -1, "AP cannot become BSP");
	gps += 5;
	CHECK(rd(&l, MSR_IA32_APIC_BASE, 0) == 0xfee00d00, "APIC base unchanged");
	CHECK(l.stats.gp == gps && ap.stats.gp == 1, "every #GP counted: %llu of %llu",
	      (unsigned long long)l.stats.gp, (unsigned long long)gps);
}

static void test_priority(void)
{
	struct vlapic l;

	up(&l, 0, TPT);
	vlapic_set_irr(&l, 0x31);
	vlapic_set_irr(&l, 0x52);
	vlapic_set_irr(&l, 0x45);
	CHECK(rd(&l, X2APIC_IRR0 + 1, 0) == 1u << 0x11, "IRR1 holds 0x31");
	CHECK(rd(&l, X2APIC_IRR0 + 2, 0) == (1u << 0x12 | 1u << 0x05), "IRR2 holds 0x52, 0x45");
	CHECK(vlapic_pending_vector(&l) == 0x52, "highest class first");
	CHECK(vlapic_accept(&l, 0x52), "accept 0x52");
	CHECK(!irr(&l, 0x52) && isr(&l, 0x52), "0x52 moved IRR -> ISR");
	CHECK(rd(&l, X2APIC_ISR0 + 2, 0) == 1u << 0x12, "ISR2 shows it");
	CHECK(rd(&l, X2APIC_PPR, 0) == 0x50, "PPR = in-service class");
	CHECK(vlapic_pending_vector(&l) == -1, "class 4 waits behind class 5");
	vlapic_set_irr(&l, 0x5f);
	CHECK(vlapic_pending_vector(&l) == -1, "same class as in service waits");
	vlapic_set_irr(&l, 0x61);
	CHECK(vlapic_pending_vector(&l) == 0x61, "higher class preempts");
	CHECK(vlapic_accept(&l, 0x61), "accept 0x61");
	CHECK(rd(&l, X2APIC_PPR, 0) == 0x60, "PPR 0x60");
	CHECK(wr(&l, X2APIC_EOI, 0, 0) == 0 && !isr(&l, 0x61) && isr(&l, 0x52),
	      "EOI pops the highest in-service vector");
	CHECK(rd(&l, X2APIC_PPR, 0) == 0x50, "PPR back to 0x50");
	CHECK(vlapic_pending_vector(&l) == -1, "0x5f still waits for 0x52");
	wr(&l, X2APIC_EOI, 0, 0);
	CHECK(rd(&l, X2APIC_PPR, 0) == 0, "PPR 0, nothing in service");
	CHECK(vlapic_pending_vector(&l) == 0x5f, "next pending deliverable after EOI");
	CHECK(serve(&l) == 0x5f && serve(&l) == 0x45 && serve(&l) == 0x31, "then in order");
	CHECK(serve(&l) == -1, "then nothing");
	CHECK(l.stats.accepted == 5 && l.stats.eois == 5, "counted: %llu accepted, %llu EOIs",
	      (unsigned long long)l.stats.accepted, (unsigned long long)l.stats.eois);
	CHECK(wr(&l, X2APIC_EOI, 0, 0) == 0 && l.stats.eois == 6, "EOI with nothing in service");
	CHECK(!vlapic_accept(&l, 0x80) && l.stats.accepted == 5, "accept of a non-pending vector");

	/* TPR masks classes at and below its own. */
	vlapic_set_irr(&l, 0x45);
	wr(&l, X2APIC_TPR, 0x40, 0);
	CHECK(rd(&l, X2APIC_PPR, 0) == 0x40, "PPR = TPR with nothing in service");
	CHECK(vlapic_pending_vector(&l) == -1, "TPR class 4 masks 0x45");
	wr(&l, X2APIC_TPR, 0x3f, 0);
	CHECK(rd(&l, X2APIC_PPR, 0) == 0x3f, "PPR keeps TPR's sub-class");
	CHECK(vlapic_pending_vector(&l) == 0x45, "TPR class 3 lets 0x45 through");
	vlapic_accept(&l, 0x45);
	wr(&l, X2APIC_TPR, 0x23, 0);
	CHECK(rd(&l, X2APIC_PPR, 0) == 0x40, "ISR class above TPR: sub-class 0");
	wr(&l, X2APIC_TPR, 0x4a, 0);
	CHECK(rd(&l, X2APIC_PPR, 0) == 0x4a, "same class: PPR = TPR");
	wr(&l, X2APIC_TPR, 0, 0);
	wr(&l, X2APIC_EOI, 0, 0);
	vlapic_set_irr(&l, 0xff);
	vlapic_set_irr(&l, 0x10);
	CHECK(vlapic_pending_vector(&l) == 0xff, "vector 255");
	vlapic_accept(&l, 0xff);
	CHECK(rd(&l, X2APIC_ISR0 + 7, 0) == 1u << 31, "ISR7 bit 31");
	CHECK(rd(&l, X2APIC_PPR, 0) == 0xf0, "PPR 0xf0");
	wr(&l, X2APIC_EOI, 0, 0);
	CHECK(vlapic_pending_vector(&l) == 0x10, "class 1 is above PPR class 0");
	wr(&l, X2APIC_TPR, 0x10, 0);
	CHECK(vlapic_pending_vector(&l) == -1 && irr(&l, 0x10), "TPR 0x10 holds it in IRR");
}

static void test_icr(void)
{
	struct vlapic l;
	uint64_t ign;

	up(&l, 3, TPT);
	CHECK(wr(&l, X2APIC_ICR, 5ull << 32 | 0x40, 0) == 0 && has_ipi, "fixed IPI handed back");
	CHECK(ipi.src == 3 && ipi.dest == 5 && !ipi.logical && ipi.shorthand == VLAPIC_SH_NONE &&
		      ipi.mode == APIC_DM_FIXED && ipi.vector == 0x40,
	      "fixed, physical, dest 5, vector 0x40");
	CHECK(rd(&l, X2APIC_ICR, 0) == (5ull << 32 | 0x40), "ICR reads back 64 bits");
	CHECK(l.stats.ipis == 1, "counted");
	CHECK(wr(&l, X2APIC_TPR, 0, 0) == 0 && !has_ipi, "has_ipi is cleared by other writes");

	wr(&l, X2APIC_ICR, 0x10003ull << 32 | APIC_ICR_LOGICAL | 0x41, 0);
	CHECK(has_ipi && ipi.logical && ipi.dest == 0x10003 && ipi.vector == 0x41, "logical");
	wr(&l, X2APIC_ICR, 7ull << 32 | APIC_DM_LOWEST << 8 | 0x42, 0);
	CHECK(has_ipi && ipi.mode == APIC_DM_FIXED && ipi.vector == 0x42,
	      "lowest priority delivered as fixed");
	wr(&l, X2APIC_ICR, 7ull << 32 | APIC_DM_NMI << 8, 0);
	CHECK(has_ipi && ipi.mode == APIC_DM_NMI && ipi.dest == 7, "NMI (vector 0 is fine)");
	wr(&l, X2APIC_ICR, 7ull << 32 | APIC_DM_INIT << 8 | APIC_ICR_ASSERT | APIC_ICR_LEVEL, 0);
	CHECK(has_ipi && ipi.mode == APIC_DM_INIT, "INIT assert");
	ign = l.stats.ipis_ignored;
	wr(&l, X2APIC_ICR, 7ull << 32 | APIC_DM_INIT << 8 | APIC_ICR_LEVEL, 0);
	CHECK(!has_ipi && l.stats.ipis_ignored == ign, "INIT level de-assert: a no-op");
	wr(&l, X2APIC_ICR, 7ull << 32 | APIC_DM_STARTUP << 8 | 0x9a, 0);
	CHECK(has_ipi && ipi.mode == APIC_DM_STARTUP && ipi.vector == 0x9a, "SIPI, page 0x9a");
	CHECK(l.stats.ipis == 6, "six sent: %llu", (unsigned long long)l.stats.ipis);

	wr(&l, X2APIC_ICR, 7ull << 32 | APIC_DM_SMI << 8, 0);
	CHECK(!has_ipi && l.stats.ipis_ignored == ign + 1, "SMI ignored, counted");
	wr(&l, X2APIC_ICR, 7ull << 32 | 3u << 8 | 0x40, 0);
	CHECK(!has_ipi && l.stats.ipis_ignored == ign + 2, "mode 3 ignored");
	wr(&l, X2APIC_ICR, 7ull << 32 | 7u << 8 | 0x40, 0);
	CHECK(!has_ipi && l.stats.ipis_ignored == ign + 3, "mode 7 ignored");

	/* Shorthands. */
	wr(&l, X2APIC_ICR, 99ull << 32 | VLAPIC_SH_SELF << 18 | 0x70, 0);
	CHECK(!has_ipi && irr(&l, 0x70), "self: delivered here, destination ignored");
	CHECK(serve(&l) == 0x70, "self IPI is deliverable");
	wr(&l, X2APIC_ICR, VLAPIC_SH_SELF << 18 | APIC_DM_NMI << 8, 0);
	CHECK(!has_ipi && l.stats.ipis_ignored == ign + 4, "self NMI is invalid");
	wr(&l, X2APIC_ICR, VLAPIC_SH_ALL << 18 | 0x71, 0);
	CHECK(has_ipi && ipi.shorthand == VLAPIC_SH_ALL && ipi.vector == 0x71,
	      "all including self: handed back");
	CHECK(!irr(&l, 0x71), "the router delivers the self part too");
	wr(&l, X2APIC_ICR, VLAPIC_SH_ALL << 18 | APIC_DM_INIT << 8 | APIC_ICR_ASSERT, 0);
	CHECK(!has_ipi && l.stats.ipis_ignored == ign + 5, "INIT to all including self invalid");
	wr(&l, X2APIC_ICR, VLAPIC_SH_OTHERS << 18 | APIC_DM_INIT << 8 | APIC_ICR_ASSERT, 0);
	CHECK(has_ipi && ipi.shorthand == VLAPIC_SH_OTHERS && ipi.mode == APIC_DM_INIT,
	      "INIT to all excluding self");
	wr(&l, X2APIC_ICR, VLAPIC_SH_OTHERS << 18 | APIC_DM_STARTUP << 8 | 0x08, 0);
	CHECK(has_ipi && ipi.mode == APIC_DM_STARTUP && ipi.vector == 0x08,
	      "SIPI to all excluding self (page 8 is not an illegal vector)");
	wr(&l, X2APIC_ICR, VLAPIC_SH_OTHERS << 18 | 0x72, 0);
	CHECK(has_ipi && ipi.mode == APIC_DM_FIXED && ipi.shorthand == VLAPIC_SH_OTHERS,
	      "fixed to all excluding self");

	/* Illegal vectors are not sent. */
	wr(&l, X2APIC_ESR, 0, 0);
	wr(&l, X2APIC_ICR, 1ull << 32 | 0x05, 0);
	CHECK(!has_ipi, "fixed vector 5 not sent");
	wr(&l, X2APIC_ESR, 0, 0);
	CHECK(rd(&l, X2APIC_ESR, 0) == APIC_ESR_SEND_ILLEGAL, "ESR: send illegal vector");
	wr(&l, X2APIC_ICR, VLAPIC_SH_SELF << 18 | 0x0f, 0);
	wr(&l, X2APIC_ESR, 0, 0);
	CHECK(rd(&l, X2APIC_ESR, 0) == (APIC_ESR_SEND_ILLEGAL | APIC_ESR_RECV_ILLEGAL) &&
		      !l.irr[0], "self vector 15: send and receive illegal, no IRR");
}

static void test_self_ipi(void)
{
	struct vlapic l;

	up(&l, 0, TPT);
	CHECK(wr(&l, X2APIC_SELF_IPI, 0x90, 0) == 0 && !has_ipi, "SELF IPI write");
	CHECK(irr(&l, 0x90) && vlapic_pending_vector(&l) == 0x90, "lands in IRR");
	CHECK(l.stats.ipis == 1, "counted as sent");
	wr(&l, X2APIC_SELF_IPI, 0x03, 0);
	wr(&l, X2APIC_ESR, 0, 0);
	CHECK(rd(&l, X2APIC_ESR, 0) == (APIC_ESR_SEND_ILLEGAL | APIC_ESR_RECV_ILLEGAL) &&
		      !l.irr[0] && l.stats.ipis == 1,
	      "vector 3: both illegal-vector errors, nothing raised");
	wr(&l, X2APIC_SVR, 0xff, 0);
	wr(&l, X2APIC_SELF_IPI, 0x91, 0);
	CHECK(!irr(&l, 0x91), "software-disabled: self IPI dropped");
}

static void test_matches(void)
{
	struct vlapic a0, a16, a33, a15;
	struct vlapic_ipi p = { .src = 33 };

	vlapic_init(&a0, 0, true, 1);
	vlapic_init(&a15, 15, false, 1);
	vlapic_init(&a16, 16, false, 1);
	vlapic_init(&a33, 33, false, 1);
	CHECK(vlapic_matches(&a33, 33, false), "physical: own ID");
	CHECK(!vlapic_matches(&a33, 34, false) && !vlapic_matches(&a33, 1, false), "other IDs");
	CHECK(!vlapic_matches(&a33, 33 | 1u << 16, false), "physical uses all 32 bits");
	CHECK(vlapic_matches(&a33, VLAPIC_BROADCAST, false), "physical broadcast");
	CHECK(vlapic_matches(&a33, VLAPIC_BROADCAST, true), "logical broadcast");
	CHECK(vlapic_matches(&a33, 0x20002, true), "logical: cluster 2, bit 1");
	CHECK(!vlapic_matches(&a33, 0x20001, true), "logical: other bit");
	CHECK(!vlapic_matches(&a33, 0x10002, true), "logical: other cluster");
	CHECK(vlapic_matches(&a33, 0x2ffff, true), "logical: whole cluster");
	CHECK(!vlapic_matches(&a33, 0x20000, true), "logical: empty mask");
	CHECK(vlapic_matches(&a16, 0x10001, true) && !vlapic_matches(&a16, 0x00001, true),
	      "16 is cluster 1 bit 0, not cluster 0");
	CHECK(vlapic_matches(&a0, 0x1, true) && vlapic_matches(&a15, 0x8000, true),
	      "cluster 0 bits 0 and 15");
	CHECK(vlapic_matches(&a0, 0x8001, true) && vlapic_matches(&a15, 0x8001, true) &&
		      !vlapic_matches(&a16, 0x8001, true), "one logical dest, two CPUs");
	CHECK(!vlapic_matches(&a0, 0x20002, true), "logical 0x20002 is not 0");

	p.shorthand = VLAPIC_SH_NONE;
	p.dest = 16;
	CHECK(vlapic_ipi_targets(&a16, &p) && !vlapic_ipi_targets(&a33, &p), "no shorthand: dest");
	p.logical = true;
	p.dest = 0x20002;
	CHECK(vlapic_ipi_targets(&a33, &p) && !vlapic_ipi_targets(&a16, &p), "logical dest");
	p.shorthand = VLAPIC_SH_ALL;
	CHECK(vlapic_ipi_targets(&a33, &p) && vlapic_ipi_targets(&a0, &p), "all incl. self");
	p.shorthand = VLAPIC_SH_OTHERS;
	CHECK(!vlapic_ipi_targets(&a33, &p) && vlapic_ipi_targets(&a0, &p), "all excl. self");
	p.shorthand = VLAPIC_SH_SELF;
	CHECK(vlapic_ipi_targets(&a33, &p) && !vlapic_ipi_targets(&a0, &p), "self");
}

static void test_illegal(void)
{
	struct vlapic l;

	up(&l, 0, 1);
	for (unsigned v = 0; v < 16; v++)
		vlapic_set_irr(&l, (uint8_t)v);
	CHECK(l.irr[0] == 0 && vlapic_pending_vector(&l) == -1, "vectors 0-15 never in IRR");
	CHECK(l.stats.dropped == 16, "16 dropped");
	CHECK(rd(&l, X2APIC_ESR, 0) == 0, "ESR shows errors only after a write");
	wr(&l, X2APIC_ESR, 0, 0);
	CHECK(rd(&l, X2APIC_ESR, 0) == APIC_ESR_RECV_ILLEGAL, "received illegal vector");
	wr(&l, X2APIC_ESR, 0, 0);
	CHECK(rd(&l, X2APIC_ESR, 0) == 0, "the next write clears it");
	vlapic_set_irr(&l, 16);
	CHECK(irr(&l, 16), "vector 16 is legal");
	serve(&l);

	/* Errors interrupt through the LVT error entry when unmasked. */
	vlapic_set_irr(&l, 2);
	CHECK(l.irr[7] == 0, "masked error LVT raises nothing");
	wr(&l, X2APIC_LVT_ERROR, 0xfe, 0);
	vlapic_set_irr(&l, 2);
	CHECK(irr(&l, 0xfe) && !l.irr[0], "error LVT vector raised");
	serve(&l);

	/* A timer with an illegal vector fires into ESR. */
	wr(&l, X2APIC_ESR, 0, 0);
	wr(&l, X2APIC_LVT_ERROR, APIC_LVT_MASKED, 0);
	wr(&l, X2APIC_LVT_TIMER, 0x05, 0);
	wr(&l, X2APIC_TIMER_ICR, 10, 0);
	vlapic_advance(&l, 1000);
	wr(&l, X2APIC_ESR, 0, 1000);
	CHECK(!l.irr[0] && rd(&l, X2APIC_ESR, 1000) == APIC_ESR_RECV_ILLEGAL,
	      "timer vector 5: received illegal, no IRR");
}

static void test_init_reset(void)
{
	struct vlapic l;

	up(&l, 7, TPT);
	wr(&l, X2APIC_TPR, 0x20, 0);
	wr(&l, X2APIC_LVT_TIMER, LVT_PERIODIC | 0x40, 0);
	wr(&l, X2APIC_TIMER_DCR, 0x3, 0);
	wr(&l, X2APIC_TIMER_ICR, 1000, 0);
	vlapic_set_irr(&l, 0x80);
	vlapic_set_irr(&l, 0x90);
	vlapic_accept(&l, 0x90);
	wr(&l, X2APIC_ICR, 1ull << 32 | 0x40, 0);
	vlapic_set_irr(&l, 1);

	vlapic_init_ipi_reset(&l);
	CHECK(rd(&l, X2APIC_ID, 0) == 7 && rd(&l, X2APIC_LDR, 0) == 0x80, "INIT keeps the ID");
	CHECK(rd(&l, MSR_IA32_APIC_BASE, 0) == 0xfee00c00, "and x2APIC mode, not BSP");
	CHECK(rd(&l, X2APIC_SVR, 0) == 0xff, "software-disabled again");
	CHECK(rd(&l, X2APIC_TPR, 0) == 0 && rd(&l, X2APIC_PPR, 0) == 0, "TPR, PPR 0");
	CHECK(!irr(&l, 0x80) && !isr(&l, 0x90), "IRR and ISR cleared");
	CHECK(rd(&l, X2APIC_LVT_TIMER, 0) == APIC_LVT_MASKED, "LVT timer masked");
	CHECK(rd(&l, X2APIC_LVT_ERROR, 0) == APIC_LVT_MASKED, "LVT error masked");
	CHECK(vlapic_next_deadline(&l) == UINT64_MAX && rd(&l, X2APIC_TIMER_ICR, 0) == 0,
	      "timer stopped");
	CHECK(rd(&l, X2APIC_TIMER_DCR, 0) == 0 && rd(&l, X2APIC_ICR, 0) == 0, "DCR, ICR 0");
	wr(&l, X2APIC_ESR, 0, 0);
	CHECK(rd(&l, X2APIC_ESR, 0) == 0, "logged errors dropped");
	CHECK(l.stats.accepted == 1 && l.stats.ipis == 1, "statistics kept");

	vlapic_init(&l, 0, true, TPT);
	wr(&l, X2APIC_SVR, 0x1ff, 0);
	vlapic_init_ipi_reset(&l);
	CHECK(rd(&l, MSR_IA32_APIC_BASE, 0) == 0xfee00d00, "the BSP stays BSP");
}

static void test_sw_disable(void)
{
	struct vlapic l;
	bool masked = true;

	vlapic_init(&l, 0, true, TPT);
	vlapic_set_irr(&l, 0x50);
	CHECK(!irr(&l, 0x50) && l.stats.dropped == 1, "disabled at power-on: dropped");
	wr(&l, X2APIC_LVT_LINT0, 0x700, 0);
	CHECK(rd(&l, X2APIC_LVT_LINT0, 0) == (APIC_LVT_MASKED | 0x700), "LVT stays masked");

	wr(&l, X2APIC_SVR, 0x1ff, 0);
	for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
		wr(&l, lvt_msrs[i], 0x40 + i, 0);
	vlapic_set_irr(&l, 0x50);
	CHECK(vlapic_pending_vector(&l) == 0x50, "enabled: accepted");
	CHECK(wr(&l, X2APIC_SVR, 0xff, 0) == 0, "software disable");
	for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
		masked &= rd(&l, lvt_msrs[i], 0) == (APIC_LVT_MASKED | (0x40 + i));
	CHECK(masked, "disable masks every LVT entry, keeps the rest");
	CHECK(vlapic_pending_vector(&l) == -1, "nothing delivered while disabled");
	CHECK(irr(&l, 0x50) && rd(&l, X2APIC_IRR0 + 2, 0) == 1u << 0x10, "but IRR is held");
	vlapic_set_irr(&l, 0x60);
	CHECK(!irr(&l, 0x60), "new fixed interrupts dropped");
	wr(&l, X2APIC_LVT_TIMER, 0x40, 0);
	CHECK(rd(&l, X2APIC_LVT_TIMER, 0) == (APIC_LVT_MASKED | 0x40), "cannot unmask");
	wr(&l, X2APIC_TIMER_DCR, DCR_DIV1, 0);
	wr(&l, X2APIC_TIMER_ICR, 10, 0);
	CHECK(rd(&l, X2APIC_TIMER_CCR, 5 * TPT) == 5, "the timer still counts");
	vlapic_advance(&l, 10 * TPT);
	CHECK(!irr(&l, 0x40), "but raises nothing");

	wr(&l, X2APIC_SVR, 0x1ff, 0);
	CHECK(vlapic_pending_vector(&l) == 0x50, "re-enabled: the held vector is delivered");
	CHECK(rd(&l, X2APIC_LVT_TIMER, 0) == (APIC_LVT_MASKED | 0x40), "LVTs stay masked");
	wr(&l, X2APIC_LVT_TIMER, 0x40, 0);
	CHECK(rd(&l, X2APIC_LVT_TIMER, 0) == 0x40, "until software unmasks them");
}

int main(void)
{
	test_reset();
	test_gp();
	test_priority();
	test_icr();
	test_self_ipi();
	test_matches();
	test_illegal();
	test_init_reset();
	test_sw_disable();
	return check_summary();
}
