/* ASIDs on SVM, per CPU with generations (APM Vol. 2 15.16): each CPU
 * hands out its own ASIDs 1..max-1; when they run out it starts a new
 * generation with one flush of the whole TLB, and every vCPU gets a fresh
 * ASID the next time it runs there. A vCPU that arrives from another CPU
 * (or from an older generation) gets a fresh ASID too, so translations it
 * left behind on a CPU are never used again: migration needs no flush.
 * Pure logic, host-tested (tests/host/test_asid.c). */
#ifndef SVM_SVM_ASID_H
#define SVM_SVM_ASID_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vcpu.h" /* struct vcpu_tlb: tag is the ASID */

struct asid_cpu {
	uint32_t max;        /* number of ASIDs (CPUID 0x8000000A EBX); 0 is the host's */
	uint32_t next;
	uint32_t generation; /* starts at 1 */
	bool flush_all;      /* the next VMRUN on this CPU flushes every ASID */
};


/* What the next VMRUN's TLB_CONTROL must do. */
enum asid_flush {
	ASID_FLUSH_NONE = 0,  /* TLB_CONTROL 0 */
	ASID_FLUSH_ALL = 1,   /* TLB_CONTROL 1: every ASID */
	ASID_FLUSH_THIS = 3,  /* TLB_CONTROL 3: this guest's ASID (flush by ASID) */
};

/* A CPU's state at boot: its TLB may hold entries a previous user left
 * under any ASID, so its first VMRUN flushes everything. */
void asid_cpu_init(struct asid_cpu *c, uint32_t max);

/* v has no ASID yet. */
void asid_vcpu_init(struct vcpu_tlb *v);

/* Before v runs on CPU cpu (state c): gives v an ASID valid there and says
 * which flush the VMRUN needs. *changed: v->tag is not what it was. */
enum asid_flush asid_for_run(struct asid_cpu *c, int cpu, struct vcpu_tlb *v, bool *changed);

/* v's second-level tables changed: its next run must not use what the TLB
 * holds for them. With flush by ASID, that run flushes v's ASID (unless v
 * gets a fresh one anyway); without, v gets a fresh ASID (never used in
 * this generation) at its next run. */
void asid_tables_changed(struct vcpu_tlb *v, bool flush_by_asid);

#endif
