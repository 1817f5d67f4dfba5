/* Faults taken on purpose (debug_fault= on the command line), so tests can
 * check the exception path end to end. */
#ifndef CORE_DEBUG_H
#define CORE_DEBUG_H

#include "core/cmdline.h"

void debug_fault_maybe(enum debug_fault f);

#endif
