#include "arch/x86/tsc.h"

#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "core/log.h"

#define PM_TIMER_HZ       3579545ull  /* ACPI 6.5 4.8.3.3 */
#define PIT_HZ            1193182ull
#define CALIBRATE_MS      20
#define PIT_CH2_DATA      0x42
#define PIT_MODE          0x43
#define PIT_GATE          0x61        /* bit 0 gate, bit 1 speaker, bit 5 OUT2 */
#define PIT_CH2_MODE0_LH  0xb0        /* channel 2, lobyte/hibyte, mode 0 */
#define DEFAULT_KHZ       3000000ul
/* Bound on the calibration polls: at least a second at any plausible port
 * speed, so a timer that does not count cannot hang the boot. */
#define POLL_MAX          2000000

static uint64_t khz = DEFAULT_KHZ;
static const char *source = "assumed";

uint64_t tsc_khz(void)
{
	return khz;
}

const char *tsc_source(void)
{
	return source;
}

void tsc_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * khz / 1000;

	while (rdtsc() < end)
		cpu_relax();
}

/* CPUID 0x15: TSC = crystal * ebx / eax; 0x16: base MHz (SDM Vol. 2A CPUID). */
static uint64_t from_cpuid(void)
{
	uint32_t max = cpuid(0, 0).eax;

	if (max >= 0x15) {
		struct cpuid_regs r = cpuid(0x15, 0);

		if (r.eax && r.ebx && r.ecx) {
			source = "cpuid 0x15";
			return (uint64_t)r.ecx * r.ebx / r.eax / 1000;
		}
	}
	if (max >= 0x16) {
		struct cpuid_regs r = cpuid(0x16, 0);

		if (r.eax & 0xffff) {
			source = "cpuid 0x16";
			return (uint64_t)(r.eax & 0xffff) * 1000;
		}
	}
	return 0;
}

static uint32_t pm_read(void)
{
	uint32_t v = inl(acpi.pm_tmr);

	return acpi.pm_tmr_32bit ? v : v & 0xffffff;
}

static uint64_t with_pm_timer(void)
{
	uint32_t mask = acpi.pm_tmr_32bit ? 0xffffffffu : 0xffffffu;
	uint64_t ticks = PM_TIMER_HZ * CALIBRATE_MS / 1000, t0, t1;
	uint32_t start = pm_read(), now;
	unsigned polls = 0;

	t0 = rdtsc();
	do {
		now = pm_read();
	} while (((now - start) & mask) < ticks && ++polls < POLL_MAX);
	t1 = rdtsc();
	if (polls >= POLL_MAX) {
		log_warn("tsc: the ACPI PM timer at port 0x%x does not count", acpi.pm_tmr);
		return 0;
	}
	source = "ACPI PM timer";
	return (t1 - t0) * PM_TIMER_HZ / (((now - start) & mask) * 1000ull);
}

/* PIT channel 2 in one-shot mode, polled through port 0x61 bit 5 (OUT2). */
static uint64_t with_pit(void)
{
	uint64_t count = PIT_HZ * CALIBRATE_MS / 1000, t0, t1, spins = 0;
	uint8_t gate = inb(PIT_GATE);

	outb(PIT_GATE, (gate & ~0x02) | 0x01);
	outb(PIT_MODE, PIT_CH2_MODE0_LH);
	outb(PIT_CH2_DATA, count & 0xff);
	outb(PIT_CH2_DATA, count >> 8);
	t0 = rdtsc();
	while (!(inb(PIT_GATE) & 0x20) && ++spins < POLL_MAX)
		;
	t1 = rdtsc();
	outb(PIT_GATE, gate);
	if (spins >= POLL_MAX)
		return 0;
	source = "PIT";
	return (t1 - t0) / CALIBRATE_MS;
}

void tsc_init(void)
{
	uint64_t k = from_cpuid();

	if (!k && acpi.pm_tmr)
		k = with_pm_timer();
	if (!k)
		k = with_pit();
	if (!k) {
		log_warn("tsc: no CPUID frequency, PM timer or PIT: assuming %lu MHz",
			 DEFAULT_KHZ / 1000);
		return;
	}
	khz = k;
	log_info("tsc: %lu.%03lu MHz (%s)", khz / 1000, khz % 1000, source);
}
