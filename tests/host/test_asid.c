/* Host unit test for svm/svm_asid.c: the per-CPU ASID generations. A model
 * TLB per CPU records which ASIDs may hold translations and whose they are;
 * at every run the vCPU must not see another vCPU's (or a stale) entries. */
#include <string.h>

#include "svm/svm_asid.h"
#include "tests/host/check.h"

#define CPUS  3
#define VCPUS 7
#define MAXA  5 /* ASIDs 1..4 per CPU: generations wrap often */

/* owner[cpu][asid]: which vCPU's translations the TLB may hold under that
 * ASID (-1: none, -2: unknown, as left by firmware). */
static int owner[CPUS][MAXA];

static void tlb_flush_all(int cpu)
{
	for (int a = 0; a < MAXA; a++)
		owner[cpu][a] = -1;
}

static void test_basics(void)
{
	struct asid_cpu c;
	struct vcpu_tlb a, b;
	bool ch;

	asid_cpu_init(&c, MAXA);
	asid_vcpu_init(&a);
	asid_vcpu_init(&b);
	CHECK(asid_for_run(&c, 0, &a, &ch) == ASID_FLUSH_ALL && ch && a.tag == 1,
	      "first run on a CPU flushes everything");
	CHECK(asid_for_run(&c, 0, &a, &ch) == ASID_FLUSH_NONE && !ch && a.tag == 1,
	      "the same vCPU again: same ASID, no flush");
	CHECK(asid_for_run(&c, 0, &b, &ch) == ASID_FLUSH_NONE && ch && b.tag == 2,
	      "a second vCPU: the next ASID, no flush");
	asid_tables_changed(&a, true);
	CHECK(asid_for_run(&c, 0, &a, &ch) == ASID_FLUSH_THIS && !ch && a.tag == 1,
	      "tables changed with flush by ASID: the next run flushes that ASID");
	CHECK(asid_for_run(&c, 0, &a, &ch) == ASID_FLUSH_NONE, "once");
	asid_tables_changed(&a, false);
	CHECK(asid_for_run(&c, 0, &a, &ch) == ASID_FLUSH_NONE && ch && a.tag == 3,
	      "without flush by ASID: a fresh ASID at the next run (%u)", a.tag);
	asid_for_run(&c, 0, &b, &ch);
	CHECK(!ch, "b keeps its ASID");
	{
		struct vcpu_tlb d;

		asid_vcpu_init(&d);
		CHECK(asid_for_run(&c, 0, &d, &ch) == ASID_FLUSH_NONE && d.tag == 4, "last ASID");
		asid_vcpu_init(&d);
		CHECK(asid_for_run(&c, 0, &d, &ch) == ASID_FLUSH_ALL && d.tag == 1 &&
			      c.generation == 2,
		      "out of ASIDs: new generation, flush all, ASID 1 again");
	}
	CHECK(asid_for_run(&c, 0, &b, &ch) == ASID_FLUSH_NONE && ch && b.tag == 2,
	      "old generation: a fresh ASID (%u)", b.tag);
	{
		struct asid_cpu c1;

		asid_cpu_init(&c1, MAXA);
		CHECK(asid_for_run(&c1, 1, &b, &ch) == ASID_FLUSH_ALL && ch && b.tag == 1,
		      "b moves: fresh ASID on CPU 1 (its first run flushes all)");
		CHECK(b.cpu == 1, "b belongs to CPU 1 now");
		CHECK(asid_for_run(&c, 0, &b, &ch) == ASID_FLUSH_NONE && ch && b.cpu == 0,
		      "and back on CPU 0: fresh again, no flush needed");
	}
}

/* Random runs and migrations; the model TLB checks privacy. */
static void test_random(void)
{
	struct asid_cpu c[CPUS];
	struct vcpu_tlb v[VCPUS];
	unsigned seed = 12345, bad = 0, runs = 0, flushes = 0;
	bool byasid;

	for (int i = 0; i < CPUS; i++) {
		asid_cpu_init(&c[i], MAXA);
		for (int a = 0; a < MAXA; a++)
			owner[i][a] = -2;
	}
	for (int i = 0; i < VCPUS; i++)
		asid_vcpu_init(&v[i]);
	for (unsigned n = 0; n < 200000; n++) {
		int cpu, i;
		enum asid_flush f;
		bool ch;

		seed = seed * 1103515245u + 12345u;
		cpu = (int)((seed >> 8) % CPUS);
		i = (int)((seed >> 16) % VCPUS);
		byasid = (seed >> 24) & 1;
		if (((seed >> 25) & 15) == 0) {
			/* v[i]'s tables changed: its entries anywhere are stale */
			asid_tables_changed(&v[i], byasid);
			for (int k = 0; k < CPUS; k++)
				for (int a = 0; a < MAXA; a++)
					if (owner[k][a] == i)
						owner[k][a] = -3;
			continue;
		}
		f = asid_for_run(&c[cpu], cpu, &v[i], &ch);
		if (f == ASID_FLUSH_ALL) {
			tlb_flush_all(cpu);
			flushes++;
		}
		if (f == ASID_FLUSH_THIS)
			owner[cpu][v[i].tag] = -1;
		runs++;
		if (v[i].tag == 0 || v[i].tag >= MAXA) {
			bad++;
			continue;
		}
		/* What the TLB may hold under this ASID must be nothing or v's own. */
		if (owner[cpu][v[i].tag] != -1 && owner[cpu][v[i].tag] != i)
			bad++;
		owner[cpu][v[i].tag] = i;
	}
	CHECK(bad == 0, "%u of %u runs could see another vCPU's or stale translations", bad, runs);
	CHECK(flushes > 100 && flushes < runs / 2, "full flushes only at generation changes: %u of %u",
	      flushes, runs);
}

int main(void)
{
	test_basics();
	test_random();
	return check_summary();
}
