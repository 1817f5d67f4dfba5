/* How a flat image is entered (load_request.flat_mode, core/loader.h):
 * 16-bit real mode, 32-bit protected mode, or 64-bit long mode on an
 * identity map the loader builds in guest RAM. */
#include "core/loader.h"

#define PT_P     0x001ull
#define PT_RW    0x002ull
#define PT_PS    0x080ull
#define GIB      (1ull << 30)
#define MIB2     (2ull << 20)
#define LOW_TOP  (3 * GIB) /* gspace: RAM [0, 3G), then from 4G */

/* Long-mode area, LOADER_LONG_PAGES pages: PML4, PDPT, four page
 * directories (the first 4 GiB in 2 MiB pages), then the GDT. */
enum { PG_PML4, PG_PDPT, PG_PD0, PG_GDT = PG_PD0 + 4 };
_Static_assert(PG_GDT + 1 == LOADER_LONG_PAGES, "long-mode area layout");

/* GDT: null, 64-bit code (0x08), flat data (0x10). */
static const uint64_t gdt64[] = { 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };

/* Where the long-mode area goes: the top of the RAM that starts at 0, below
 * 3 GiB. 0 if that RAM is too small. */
static uint64_t long_area(const struct loader_ctx *c)
{
	for (unsigned i = 0; i < c->nregions; i++) {
		const struct guest_region *r = &c->regions[i];
		uint64_t top;

		if (r->type != GUEST_REGION_RAM || r->base != 0)
			continue;
		top = (r->len < LOW_TOP ? r->len : LOW_TOP) & ~(LOADER_PAGE - 1);
		return top >= LOADER_LONG_PAGES * LOADER_PAGE * 2 ?
			       top - LOADER_LONG_PAGES * LOADER_PAGE : 0;
	}
	return 0;
}

/* The whole area was zeroed with the rest of the partition's RAM: only
 * the present entries are written, 64 at a time. */
static int write_tables(struct loader_ctx *c, uint64_t base)
{
	uint64_t e[64];
	int rc;

	e[0] = (base + PG_PDPT * LOADER_PAGE) | PT_P | PT_RW;
	rc = loader_write(c, base + PG_PML4 * LOADER_PAGE, e, sizeof(e[0]));
	for (unsigned i = 0; i < 4; i++)
		e[i] = (base + (PG_PD0 + i) * LOADER_PAGE) | PT_P | PT_RW;
	if (!rc)
		rc = loader_write(c, base + PG_PDPT * LOADER_PAGE, e, 4 * sizeof(e[0]));
	for (unsigned n = 0; n < 4 * 512 && !rc; n += 64) {
		for (unsigned i = 0; i < 64; i++)
			e[i] = (n + i) * MIB2 | PT_P | PT_RW | PT_PS;
		rc = loader_write(c, base + PG_PD0 * LOADER_PAGE + n * sizeof(e[0]), e, sizeof(e));
	}
	if (!rc)
		rc = loader_write(c, base + PG_GDT * LOADER_PAGE, gdt64, sizeof(gdt64));
	return rc;
}

int loader_flat_check(struct loader_ctx *c, const struct load_request *rq,
		      const struct loader_plan *p, uint64_t *area)
{
	uint64_t base;

	*area = 0;
	if (rq->flat_mode == VCPU_MODE_REAL16 && rq->flat_entry >= LOADER_REAL_TOP)
		return loader_fail(c, LOADER_EFORMAT,
				   "entry point 0x%lx is not below 1M, where real mode starts",
				   (unsigned long)rq->flat_entry);
	if (rq->flat_mode != VCPU_MODE_LONG64)
		return LOADER_OK;
	base = long_area(c);
	if (!base)
		return loader_fail(c, LOADER_ENOSPACE,
				   "no room for the long-mode page tables at the top of low RAM");
	for (unsigned i = 0; i < p->nseg; i++)
		if (p->seg[i].gpa < base + LOADER_LONG_PAGES * LOADER_PAGE &&
		    base < p->seg[i].gpa + p->seg[i].memsz)
			return loader_fail(c, LOADER_ENOSPACE,
					   "image reaches the long-mode page tables at 0x%lx (the "
					   "last %llu KiB of RAM below 3G)",
					   (unsigned long)base, LOADER_LONG_PAGES * LOADER_PAGE / 1024);
	*area = base;
	return LOADER_OK;
}

int loader_flat_enter(struct loader_ctx *c, const struct load_request *rq, uint64_t area,
		      struct vcpu_state *out)
{
	int rc;

	switch (rq->flat_mode) {
	case VCPU_MODE_REAL16:
		vcpu_state_real16(out, (uint32_t)rq->flat_entry);
		return LOADER_OK;
	case VCPU_MODE_LONG64:
		rc = write_tables(c, area);
		if (!rc)
			vcpu_state_long64(out, rq->flat_entry, area + PG_PML4 * LOADER_PAGE,
					  area + PG_GDT * LOADER_PAGE, sizeof(gdt64) - 1, area);
		return rc;
	default:
		vcpu_state_flat32(out, (uint32_t)rq->flat_entry);
		return LOADER_OK;
	}
}
