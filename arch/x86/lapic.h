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

/* Host interrupt vectors: the local APIC timer and the scheduler's kick
 * IPI. Both only wake the CPU or make the guest exit; their handlers EOI. */
#define VEC_HV_TIMER     0xef
#define VEC_HV_KICK      0xf0

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

void lapic_eoi(void);
/* On the BSP after tsc_init: TSC-deadline mode, or measures the one-shot rate. */
void lapic_timer_init(void);
/* This CPU's timer interrupt (VEC_HV_TIMER) at TSC value tsc (at once if past). */
void lapic_timer_arm(uint64_t tsc);
void lapic_timer_stop(void);

#endif
