/* Host bugs and unrecoverable boot errors: print, stop every CPU, then do what
 * on_panic= says (halt by default). Guest faults never come here. */
#ifndef CORE_PANIC_H
#define CORE_PANIC_H

#include <stdbool.h>

struct trap_frame;

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* Panic with a register dump of the trapped state. */
__attribute__((noreturn)) void panic_trap(const struct trap_frame *f);
bool panic_in_progress(void);
/* From the NMI handler: if another CPU is panicking, count this one as
 * stopped and halt it for good; otherwise return. */
void panic_on_nmi(void);

#define ASSERT(c)                                                                  \
	do {                                                                       \
		if (!(c))                                                          \
			panic("assertion '%s' failed at %s:%d", #c, __FILE__, __LINE__); \
	} while (0)

#endif
