/* Hypercalls (VMCALL on Intel, VMMCALL on AMD): the ABI of docs/hypercalls.md.
 * RAX selects the call, RBX/RCX/RDX are its arguments, RAX gets the result. */
#ifndef CORE_HYPERCALL_H
#define CORE_HYPERCALL_H

#include <stdbool.h>

#include "core/vcpu.h"

enum hypercall {
	HC_CONSOLE_WRITE = 0, /* RBX = GPA of the text, RCX = length (<= HC_CONSOLE_MAX) */
	HC_YIELD = 1,         /* give the CPU up: others waiting on it run first */
	HC_EXIT = 2,          /* stop this partition; RBX = exit code */
};

#define HC_CONSOLE_MAX 1024
#define HC_OK          0
#define HC_ENOSYS      (-1ll) /* unknown call */
#define HC_EINVAL      (-2ll) /* bad argument (length, address outside its RAM) */
#define HC_EPERM       (-3ll) /* called from outside the guest kernel (CPL > 0) */

/* Runs the call in v's registers; says how v goes on: EXIT_SKIP, or
 * EXIT_SKIP_LEAVE (yield: back to the scheduler), or EXIT_LEAVE (HC_EXIT). */
enum exit_action hypercall(struct vcpu *v);

#endif
