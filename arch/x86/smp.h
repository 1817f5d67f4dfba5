/* Bringing up the application processors (INIT-SIPI-SIPI through a real-mode
 * trampoline below 1 MiB) and stopping them on panic. */
#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include <stdint.h>

/* Parameters the BSP leaves in the trampoline page for the next AP. Read by
 * boot/trampoline.asm at offset TRAMP_PARAMS_OFFSET (asm-offsets). */
struct tramp_params {
	uint64_t cr3;
	uint64_t efer;
	uint64_t stack;
	uint64_t percpu;
	uint64_t entry;
};
#define TRAMP_PARAMS_OFFSET 8

/* Starts every enabled CPU from the MADT; returns the number online (BSP
 * included). A CPU that does not answer is reported and skipped. */
unsigned smp_boot(void);
/* NMI to every other CPU (panic path); harmless before SMP. */
void smp_stop_others(void);

#endif
