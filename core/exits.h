/* Exit dispatch: one handler per struct vm_exit kind; anything unexpected
 * stops the partition with a line, never the host. */
#ifndef CORE_EXITS_H
#define CORE_EXITS_H

#include <stdbool.h>

#include "core/vcpu.h"

/* Handles one exit of v; false when v must not run again. */
bool exit_handle(struct vcpu *v, const struct vm_exit *e);

#endif
