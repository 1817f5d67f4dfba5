#include "arch/x86/lapic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/layout.h"
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
