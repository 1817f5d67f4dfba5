#include "arch/x86/lapic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/layout.h"
#include "arch/x86/percpu.h"
#include "arch/x86/tsc.h"
#include "core/log.h"
#include "core/panic.h"
#include "mm/paging.h"

#define APIC_BASE_EXTD   (1ull << 10) /* x2APIC mode */
#define APIC_BASE_EN     (1ull << 11)
#define X2APIC_MSR(reg)  (0x800u + ((reg) >> 4))
#define REG_ID           0x020
#define REG_SVR          0x0f0
#define REG_ICR_LO       0x300
#define REG_ICR_HI       0x310
#define REG_EOI          0x0b0
#define REG_LVT_TIMER    0x320
#define REG_TIMER_ICR    0x380
#define REG_TIMER_CCR    0x390
#define REG_TIMER_DCR    0x3e0
#define LVT_MASKED       (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)
#define DCR_DIV1         0xb
#define MSR_TSC_DEADLINE 0x6e0
#define CPUID1_TSC_DEADLINE (1u << 24)
#define PIC1_DATA        0x21
#define PIC2_DATA        0xa1
#define SVR_ENABLE       (1u << 8)
#define SPURIOUS_VECTOR  0xff
#define ICR_BUSY         (1u << 12)
#define CPUID1_X2APIC    (1u << 21)

static bool x2apic;
static volatile uint32_t *mmio;

static uint32_t reg_read(uint32_t reg)
{
	return x2apic ? (uint32_t)rdmsr(X2APIC_MSR(reg)) : mmio[reg / 4];
}

static void reg_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(reg), v);
	else
		mmio[reg / 4] = v;
}

void lapic_enable(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_EN;

	/* x2APIC is entered from xAPIC-enabled state: EN first, then EXTD
	 * (SDM Vol. 3A 11.12.5). */
	wrmsr(MSR_APIC_BASE, base);
	if (x2apic)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	reg_write(REG_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
}

void lapic_init(uint64_t mmio_pa)
{
	x2apic = cpuid(1, 0).ecx & CPUID1_X2APIC;
	if (!x2apic) {
		if (!mmio_pa)
			mmio_pa = rdmsr(MSR_APIC_BASE) & PTE_ADDR;
		if (paging_map_phys(mmio_pa, PAGE_SIZE, true))
			panic("lapic: cannot map the xAPIC at 0x%lx", mmio_pa);
		mmio = phys_to_virt(mmio_pa);
	}
	/* The legacy 8259 PICs stay masked: every host interrupt is the local
	 * APIC's (timer and IPIs), and a PIC interrupt left on by the firmware
	 * would otherwise arrive as an unexpected vector (or exit). */
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	lapic_enable();
	log_info("lapic: %s mode, BSP APIC id %u", x2apic ? "x2APIC" : "xAPIC", lapic_id());
}

bool lapic_ready(void)
{
	return x2apic || mmio;
}

bool lapic_x2apic(void)
{
	return x2apic;
}

uint32_t lapic_id(void)
{
	uint32_t id = reg_read(REG_ID);

	return x2apic ? id : id >> 24;
}

bool lapic_send_ipi(uint32_t dest, uint32_t icr)
{
	if (x2apic) {
		/* WRMSR to the x2APIC is not serializing: earlier stores must be
		 * visible before the IPI lands (SDM Vol. 3A 11.12.3). */
		__asm__ volatile("mfence" ::: "memory");
		/* One 64-bit write; no delivery status in x2APIC mode. */
		wrmsr(X2APIC_MSR(REG_ICR_LO), ((uint64_t)dest << 32) | icr);
		return true;
	}
	reg_write(REG_ICR_HI, dest << 24);
	reg_write(REG_ICR_LO, icr);
	for (int i = 0; i < 1000000; i++)
		if (!(reg_read(REG_ICR_LO) & ICR_BUSY))
			return true;
	return false;
}

void lapic_eoi(void)
{
	reg_write(REG_EOI, 0);
}

/* The host timer: TSC-deadline mode where the CPU has it, else one-shot
 * counts converted from TSC ticks at the rate measured at boot. */
static bool tsc_deadline;
static uint64_t timer_khz; /* one-shot: the APIC timer's rate, divide by 1 */

void lapic_timer_init(void)
{
	uint32_t left;

	tsc_deadline = cpuid(1, 0).ecx & CPUID1_TSC_DEADLINE;
	if (tsc_deadline) {
		log_info("lapic: timer: TSC-deadline mode");
		return;
	}
	reg_write(REG_TIMER_DCR, DCR_DIV1);
	reg_write(REG_LVT_TIMER, LVT_MASKED | VEC_HV_TIMER);
	reg_write(REG_TIMER_ICR, 0xffffffffu);
	tsc_delay_us(10000);
	left = reg_read(REG_TIMER_CCR);
	reg_write(REG_TIMER_ICR, 0);
	timer_khz = (0xffffffffu - left) / 10;
	if (!timer_khz)
		timer_khz = 1;
	log_info("lapic: timer: one-shot mode, %lu kHz", timer_khz);
}

void lapic_timer_arm(uint64_t tsc)
{
	this_cpu()->timer_at = tsc;
	if (tsc_deadline) {
		reg_write(REG_LVT_TIMER, LVT_TSC_DEADLINE | VEC_HV_TIMER);
		/* The LVT write must land before the deadline (SDM Vol. 3A 11.5.4.1). */
		__asm__ volatile("mfence" ::: "memory");
		wrmsr(MSR_TSC_DEADLINE, tsc ? tsc : 1);
	} else {
		uint64_t now = rdtsc(), ticks = tsc > now ? tsc - now : 1;
		uint64_t count = ticks * timer_khz / (tsc_khz() ? tsc_khz() : 1);

		reg_write(REG_TIMER_DCR, DCR_DIV1);
		reg_write(REG_LVT_TIMER, VEC_HV_TIMER);
		reg_write(REG_TIMER_ICR, (uint32_t)(count == 0 ? 1 : count > 0xffffffffu ? 0xffffffffu : count));
	}
}

void lapic_timer_stop(void)
{
	this_cpu()->timer_at = 0;
	if (tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
	else
		reg_write(REG_TIMER_ICR, 0);
}
