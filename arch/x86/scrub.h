/* Clearing what one partition could read of the previous one on a CPU
 * (see arch/x86/scrub.c). */
#ifndef ARCH_X86_SCRUB_H
#define ARCH_X86_SCRUB_H

/* On every CPU at bring-up: lets scrub reset the SSE registers. */
void scrub_enable_fx(void);
/* x87/SSE to reset state, DR0-3 and CR2 zero, DR6 its reset value. */
void scrub_guest_visible_state(void);

#endif
