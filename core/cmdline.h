/* Hypervisor command line (the rest of the multiboot2 line in grub.cfg).
 * Options, space separated (docs/cmdline.md):
 *   serial=com1|com2|com3|com4|0xPORT[,BAUD] | serial=off   console UART
 *   e9                         also write the log to port 0xE9
 *   loglevel=err|warn|info|debug
 *   on_idle=halt|poweroff|reboot    when nothing is left to run
 *   on_panic=halt|poweroff|reboot   after a panic has been printed
 *   debug_fault=pf|gp|ud|de|stack  take that CPU exception on purpose (tests);
 *                              stack overflows the stack into its guard page
 *   debug_fault=double_free|foreign_free  free memory wrongly on purpose
 *   debug_fault=triple         triple-fault the CPU (tests tools/boot)
 *   debug_bad_guest=NAME       give partition NAME an invalid entry state (tests
 *                              the VM-entry failure path)
 */
#ifndef CORE_CMDLINE_H
#define CORE_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"

enum hv_action { ACT_HALT, ACT_POWEROFF, ACT_REBOOT };
enum debug_fault {
	FAULT_NONE, FAULT_PF, FAULT_GP, FAULT_UD, FAULT_DE, FAULT_STACK, FAULT_DOUBLE_FREE,
	FAULT_FOREIGN_FREE, FAULT_TRIPLE,
};

struct hv_options {
	uint16_t uart_port; /* 0: no UART */
	uint32_t uart_baud;
	bool e9;
	enum log_level loglevel;
	enum hv_action on_idle;
	bool on_idle_set;   /* given on the command line (it beats the config) */
	enum hv_action on_panic;
	enum debug_fault debug_fault;
	char debug_bad_guest[32]; /* partition whose entry state is broken on purpose */
};

/* Fills opts from cmdline. Unknown or malformed options are reported into
 * err (one message per line, NUL-terminated) and otherwise ignored; returns
 * the number of problems. */
int cmdline_parse(const char *cmdline, struct hv_options *opts, char *err, unsigned err_size);

const char *hv_action_name(enum hv_action a);

#endif
