/* Exit dispatch: one handler per struct vm_exit kind; anything unexpected
 * stops the partition with a line, never the host. */
#ifndef CORE_EXITS_H
#define CORE_EXITS_H

#include <stdbool.h>

#include "core/vcpu.h"

/* Handles one exit of v and says how the backend goes on. Called by the
 * backends on the exit path (vmx/, svm/), with the guest's registers in v. */
enum exit_action exit_handle(struct vcpu *v, const struct vm_exit *e);

#endif
