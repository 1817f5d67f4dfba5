#include "svm/svm_asid.h"

void asid_cpu_init(struct asid_cpu *c, uint32_t max)
{
	*c = (struct asid_cpu){ .max = max, .next = 1, .generation = 1, .flush_all = true };
}

void asid_vcpu_init(struct vcpu_tlb *v)
{
	*v = (struct vcpu_tlb){ .tag = 0, .generation = 0, .cpu = -1, .flush = false };
}

enum asid_flush asid_for_run(struct asid_cpu *c, int cpu, struct vcpu_tlb *v, bool *changed)
{
	enum asid_flush f;

	*changed = false;
	if (v->cpu != cpu || v->generation != c->generation) {
		if (c->next >= c->max) {
			/* Out of ASIDs: a new generation, which every vCPU with an
			 * ASID of the old one notices at its next run here. */
			c->generation++;
			c->next = 1;
			c->flush_all = true;
		}
		v->tag = c->next++;
		v->generation = c->generation;
		v->cpu = cpu;
		*changed = true;
	}
	/* A fresh ASID holds nothing of this generation: no flush of it. */
	f = c->flush_all ? ASID_FLUSH_ALL : v->flush && !*changed ? ASID_FLUSH_THIS : ASID_FLUSH_NONE;
	c->flush_all = false;
	v->flush = false;
	return f;
}

void asid_tables_changed(struct vcpu_tlb *v, bool flush_by_asid)
{
	if (flush_by_asid)
		v->flush = true;
	else
		v->generation = 0; /* a fresh ASID at the next run */
}
