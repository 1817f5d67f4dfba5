/* The vCPU scheduler: a run queue per physical CPU. Pinned vCPUs (cpus =)
 * stay on their CPU; floating vCPUs (vcpus =) share the pool of CPUs no
 * partition pins, weighted fair (the least run time per weight goes
 * first), time-sliced, and idle pool CPUs pull runnable vCPUs from busy
 * ones. A vCPU alone on its CPU runs without slices. A vCPU in HLT blocks
 * until a virtual interrupt; an idle CPU halts until an interrupt. */
#ifndef CORE_SCHED_H
#define CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vcpu.h"

#define WEIGHT_UNIT 64 /* vruntime += run time * WEIGHT_UNIT / weight */

/* Places v on its run queue (its pinned CPU, or the pool's least loaded
 * CPU), in state st. Before the run phase. */
void sched_add(struct vcpu *v, enum vcpu_run_state st);

/* The time slice of the pool, from the config. */
void sched_set_slice_us(unsigned us);

/* On every CPU in the run phase: runs its queue until everything is settled
 * (the boot CPU returns then; the others keep idling). */
void sched_loop(void);

/* v (blocked, off or running elsewhere) has something to do: make it
 * runnable and make its CPU look (wake it from HLT, or make it leave its
 * guest). From any CPU. */
void sched_wake(struct vcpu *v);

/* v executed HLT (on its CPU, in its exit handler): it blocks until an
 * interrupt or its timer, or with only_init (interrupts off) until INIT. */
void sched_block(struct vcpu *v, bool only_init);

/* Sets v's state (a restarted partition's vCPUs: RUNNABLE or OFF) and
 * makes its CPU look. */
void sched_set(struct vcpu *v, enum vcpu_run_state st);

/* Makes the CPU running v leave the guest soon (an IPI when v runs on
 * another CPU). */
void sched_kick(struct vcpu *v);

/* The exit path: should v leave the guest for the scheduler now (its slice
 * is over, or it was kicked)? */
bool sched_should_leave(const struct vcpu *v, uint64_t now);

/* True when no partition can run any more: all stopped, or asleep with
 * nothing that could wake them. */
bool sched_settled(void);

#endif
