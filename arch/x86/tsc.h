/* Time-stamp counter: frequency from CPUID 0x15/0x16 when the CPU reports it,
 * otherwise measured against the ACPI PM timer or the PIT. Assumes an
 * invariant TSC for delays (all CPUs the hypervisor targets have one). */
#ifndef ARCH_X86_TSC_H
#define ARCH_X86_TSC_H

#include <stdint.h>

void tsc_init(void);           /* after acpi_init: may use the PM timer */
uint64_t tsc_khz(void);
const char *tsc_source(void);
/* Busy-waits; before tsc_init assumes 3 GHz (delays are then upper bounds). */
void tsc_delay_us(uint64_t us);

#endif
