/* The hypervisor's top level: boot sequence and global options. */
#ifndef CORE_HV_H
#define CORE_HV_H

#include <stdint.h>

#include "core/cmdline.h"

struct percpu;

extern struct hv_options hv_opts;

/* Entered from boot/entry.asm in long mode on the boot CPU; load_offset is
 * where the image was loaded minus where it was linked. */
__attribute__((noreturn)) void hv_main(uint32_t mb_magic, uint32_t mb_info_pa,
				       uint64_t load_offset);
/* Entered on each AP once it runs on its own stack with its GDT/IDT. */
__attribute__((noreturn)) void hv_ap_main(struct percpu *p);

#endif
