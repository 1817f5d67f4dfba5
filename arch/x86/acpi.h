/* ACPI tables the hypervisor needs: MADT (CPUs, IOAPICs) and FADT (power
 * management registers, reset register, PM timer), found from the RSDP that
 * the boot loader passed (or, failing that, the BIOS areas). */
#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/percpu.h"
#include "boot/boot_info.h"

#define ACPI_MAX_IOAPICS 8

/* Generic Address Structure, ACPI 6.5 5.2.3.2 */
struct acpi_gas {
	uint8_t space; /* 0 system memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS layout");

enum { ACPI_SPACE_MEM = 0, ACPI_SPACE_IO = 1 };

struct acpi_cpu {
	uint32_t apic_id;
	bool x2apic_entry; /* came from an x2APIC (type 9) entry */
};

struct acpi_ioapic {
	uint32_t id;
	uint64_t pa;
	uint32_t gsi_base;
};

struct acpi_info {
	bool present;
	uint8_t rsdp_revision;
	bool xsdt;
	uint64_t lapic_pa;
	unsigned ncpus; /* enabled CPUs, BSP included */
	struct acpi_cpu cpu[MAX_CPUS];
	unsigned cpus_ignored; /* enabled CPUs beyond MAX_CPUS */
	unsigned nioapics;
	struct acpi_ioapic ioapic[ACPI_MAX_IOAPICS];
	/* FADT */
	bool fadt;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint16_t pm1a_cnt, pm1b_cnt; /* I/O ports, 0 if absent */
	uint16_t pm_tmr;             /* I/O port, 0 if absent */
	bool pm_tmr_32bit;
	bool s5_valid;
	uint8_t s5_typa, s5_typb;
	bool reset_valid;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
};

extern struct acpi_info acpi;

/* Finds and parses the tables; logs what it found. Without ACPI the
 * hypervisor runs on the boot CPU only and cannot power off. */
void acpi_init(const struct boot_info *bi);

/* Private to arch/x86/acpi*.c, exposed for host unit tests: finds the \_S5
 * package in DSDT AML and returns its first two values (SLP_TYPa/b). */
bool acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *typa, uint8_t *typb);

#endif
