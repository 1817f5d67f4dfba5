/* Partitions from the boot config: parsed and validated (core/config*.c),
 * given their guest-physical memory (mm/gspace.c), their image loaded
 * (core/loader*.c) and their second-level tables built (mm/slat.c) in the
 * format of the virtualization backend. A bad partition is refused with its
 * message; the others are built. */
#ifndef CORE_PARTITION_H
#define CORE_PARTITION_H

#include <stdbool.h>

#include "boot/boot_info.h"
#include "core/config.h"
#include "core/vcpu_state.h"
#include "mm/gspace.h"
#include "mm/slat.h"

struct partition {
	const struct part_config *cfg;
	struct gspace mem;
	struct slat slat;
	bool has_slat;
	struct vcpu_state boot_state; /* of vCPU 0, from the loader */
};

/* Reads the config (the first module), builds every valid partition and logs
 * the plan, each refusal and each partition's leaf mix. Returns the number of
 * partitions built. */
unsigned partitions_boot(const struct boot_info *bi);

/* What the config says to do when every partition has stopped. */
bool partitions_poweroff_when_stopped(void);

#endif
