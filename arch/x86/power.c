#include "arch/x86/power.h"

#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "arch/x86/layout.h"
#include "core/log.h"
#include "mm/paging.h"

/* PM1 control register bits, ACPI 6.5 4.8.3.2.1 */
#define PM1_SCI_EN       (1u << 0)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN       (1u << 13)

#define RESET_CF9_PORT   0xcf9
#define RESET_CF9_HARD   0x06 /* full reset, CPU reset */
#define KBC_CMD_PORT     0x64
#define KBC_PULSE_RESET  0xfe

/* The firmware may still own the PM registers (legacy mode): hand them to
 * the OS first, ACPI 6.5 16.3.1. */
static void acpi_enable_mode(void)
{
	if (inw(acpi.pm1a_cnt) & PM1_SCI_EN || !acpi.smi_cmd || !acpi.acpi_enable)
		return;
	outb((uint16_t)acpi.smi_cmd, acpi.acpi_enable);
	for (int i = 0; i < 300 && !(inw(acpi.pm1a_cnt) & PM1_SCI_EN); i++)
		tsc_delay_us(1000);
}

static void sleep_write(uint16_t port, uint8_t typ, bool enable)
{
	uint16_t v = inw(port) & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN);

	v |= (uint16_t)(typ << PM1_SLP_TYP_SHIFT);
	outw(port, enable ? v | PM1_SLP_EN : v);
}

void power_off(void)
{
	irq_disable();
	if (!acpi.pm1a_cnt || !acpi.s5_valid) {
		log_err("power: cannot power off: no ACPI PM1a_CNT or \\_S5 (halting instead)");
		cpu_stop();
	}
	log_info("power: ACPI S5 power off");
	log_flush();
	acpi_enable_mode();
	/* Other bits (SCI_EN among them) are preserved; SLP_TYP goes in before
	 * SLP_EN, in two writes, as ACPICA does for hardware that needs it. */
	if (acpi.pm1b_cnt)
		sleep_write(acpi.pm1b_cnt, acpi.s5_typb, false);
	sleep_write(acpi.pm1a_cnt, acpi.s5_typa, false);
	if (acpi.pm1b_cnt)
		sleep_write(acpi.pm1b_cnt, acpi.s5_typb, true);
	sleep_write(acpi.pm1a_cnt, acpi.s5_typa, true);
	tsc_delay_us(500000);
	log_err("power: the machine is still on after the S5 request (halting)");
	cpu_stop();
}

static void reset_via_fadt(void)
{
	const struct acpi_gas *g = &acpi.reset_reg;

	if (!acpi.reset_valid)
		return;
	if (g->space == ACPI_SPACE_IO) {
		outb((uint16_t)g->address, acpi.reset_value);
	} else if (g->space == ACPI_SPACE_MEM && paging_is_mapped((uint64_t)phys_to_virt(g->address))) {
		/* Mapped by acpi_init: the panic path must not allocate. */
		*(volatile uint8_t *)phys_to_virt(g->address) = acpi.reset_value;
	}
	tsc_delay_us(100000);
}

void power_reset(void)
{
	irq_disable();
	log_info("power: reset");
	log_flush();
	reset_via_fadt();
	outb(RESET_CF9_PORT, RESET_CF9_HARD);
	tsc_delay_us(100000);
	outb(KBC_CMD_PORT, KBC_PULSE_RESET);
	tsc_delay_us(100000);
	log_err("power: reset did not happen (halting)");
	cpu_stop();
}
