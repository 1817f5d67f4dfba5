/* Local APIC: x2APIC (MSR access) when the CPU has it, else xAPIC (MMIO). */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* ICR delivery modes, SDM Vol. 3A 11.6.1 */
#define ICR_NMI          (4u << 8)
#define ICR_INIT         (5u << 8)
#define ICR_STARTUP      (6u << 8)
#define ICR_ASSERT       (1u << 14)

/* On the BSP, after ACPI: picks the mode and enables this CPU's APIC. */
void lapic_init(uint64_t mmio_pa);
/* On every AP: same mode as the BSP. */
void lapic_enable(void);
bool lapic_ready(void);
bool lapic_x2apic(void);
uint32_t lapic_id(void);
/* Sends an IPI; dest is ignored with a shorthand. Returns false if the APIC
 * did not accept it (xAPIC delivery status stuck). */
bool lapic_send_ipi(uint32_t dest, uint32_t icr);

#endif
