/* Running partitions (interim, until the scheduler): see core/run.c. */
#ifndef CORE_RUN_H
#define CORE_RUN_H

#include <stdbool.h>

/* On the boot CPU once partitions are built: wakes the APs, runs the boot
 * CPU's partitions and waits until every partition has stopped. False when
 * nothing could run (no partitions, or no vCPU backend). */
bool partitions_run(void);
/* On an AP after the wake-up: runs the partitions placed on it. */
void run_this_cpu(void);
/* True once partitions_run has started (an NMI then is a wake-up). */
bool run_phase_started(void);

#endif
