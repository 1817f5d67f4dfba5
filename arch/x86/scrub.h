/* Clearing what one partition could read of the previous one on a CPU
 * (see arch/x86/scrub.c). */
#ifndef ARCH_X86_SCRUB_H
#define ARCH_X86_SCRUB_H

#include <stdbool.h>
#include <stdint.h>

/* A vCPU's state that VM entry and exit do not switch: x87/SSE, DR0-3,
 * DR6 and CR2. Saved when it leaves a CPU, loaded when it comes back, so
 * vCPUs sharing a CPU never see each other's. */
struct guest_extra {
	uint8_t fx[512] __attribute__((aligned(16)));
	uint64_t dr[4], dr6, cr2;
	bool valid; /* false: the reset state */
};

/* On every CPU at bring-up: lets scrub reset the SSE registers. */
void scrub_enable_fx(void);
/* x87/SSE to reset state, DR0-3 and CR2 zero, DR6 its reset value. */
void scrub_guest_visible_state(void);
/* This CPU's guest-visible extra state to and from g (load of an invalid g
 * is scrub_guest_visible_state()). */
void guest_extra_save(struct guest_extra *g);
void guest_extra_load(const struct guest_extra *g);

#endif
