#include "mm/gspace.h"

#include "arch/x86/layout.h"
#include "core/string.h"
#include "mm/buddy.h"
#include "mm/pmm.h"

static bool add_region(struct gspace *g, uint64_t gpa, uint64_t len, enum gregion_type t)
{
	if (g->nregions == GSPACE_MAX_REGIONS)
		return false;
	g->regions[g->nregions++] = (struct gregion){ gpa, len, t };
	return true;
}

/* Largest order whose block is aligned at gpa and fits in left bytes. */
static unsigned best_order(uint64_t gpa, uint64_t left)
{
	unsigned k = BUDDY_MAX_ORDER;

	while (k && (((PAGE_SIZE << k) > left) || (gpa & ((PAGE_SIZE << k) - 1))))
		k--;
	return k;
}

static void zero(uint64_t hpa, uint64_t len)
{
	memset(phys_to_virt(hpa), 0, len);
}

/* Backs one region with blocks, falling back to smaller ones when the
 * allocator has no block of the size the alignment allows. */
static enum gspace_status back_region(struct gspace *g, const struct gregion *r)
{
	uint64_t gpa = r->gpa, end = r->gpa + r->len;

	while (gpa < end) {
		unsigned order = best_order(gpa, end - gpa);
		uint64_t hpa;

		while (pmm_alloc(order, &hpa)) {
			if (!order)
				return GSPACE_ENOMEM;
			order--;
		}
		if (g->npieces == GSPACE_MAX_PIECES) {
			pmm_free(hpa);
			return GSPACE_EFRAG;
		}
		g->pieces[g->npieces++] = (struct gpiece){ gpa, hpa, PAGE_SIZE << order, r->type,
							   order };
		zero(hpa, PAGE_SIZE << order);
		gpa += PAGE_SIZE << order;
	}
	return GSPACE_OK;
}

enum gspace_status gspace_create(struct gspace *g, uint64_t ram_bytes)
{
	uint64_t low = ram_bytes < GSPACE_HOLE_START ? ram_bytes : GSPACE_HOLE_START;
	enum gspace_status st = GSPACE_OK;

	*g = (struct gspace){ .ram_bytes = ram_bytes };
	if (!ram_bytes || (ram_bytes & (PAGE_SIZE - 1)))
		return GSPACE_EINVAL;
	add_region(g, 0, low, GR_RAM);
	if (ram_bytes > low)
		add_region(g, GSPACE_HOLE_END, ram_bytes - low, GR_RAM);
	for (unsigned i = 0; i < g->nregions && st == GSPACE_OK; i++)
		st = back_region(g, &g->regions[i]);
	if (st != GSPACE_OK)
		gspace_destroy(g);
	return st;
}

void gspace_destroy(struct gspace *g)
{
	for (unsigned i = 0; i < g->npieces; i++)
		pmm_free(g->pieces[i].hpa);
	g->npieces = 0;
	g->nregions = 0;
}

/* The RAM piece holding gpa, or NULL. */
static const struct gpiece *piece_at(const struct gspace *g, uint64_t gpa)
{
	for (unsigned i = 0; i < g->npieces; i++) {
		const struct gpiece *p = &g->pieces[i];

		if (p->type == GR_RAM && gpa >= p->gpa && gpa - p->gpa < p->len)
			return p;
	}
	return NULL;
}

static bool is_ram(const struct gspace *g, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return false;
	while (len) {
		const struct gpiece *p = piece_at(g, gpa);
		uint64_t n;

		if (!p)
			return false;
		n = p->len - (gpa - p->gpa);
		n = n < len ? n : len;
		gpa += n;
		len -= n;
	}
	return true;
}

/* src NULL: zero. Checked for the whole range before the first byte moves. */
static bool copy_in(const struct gspace *g, uint64_t gpa, const uint8_t *src, uint64_t len)
{
	if (!is_ram(g, gpa, len))
		return false;
	while (len) {
		const struct gpiece *p = piece_at(g, gpa);
		uint64_t off = gpa - p->gpa, n = p->len - off;
		uint8_t *dst = phys_to_virt(p->hpa + off);

		n = n < len ? n : len;
		if (src)
			memcpy(dst, src, n);
		else
			memset(dst, 0, n);
		if (src)
			src += n;
		gpa += n;
		len -= n;
	}
	return true;
}

bool gspace_write(const struct gspace *g, uint64_t gpa, const void *src, uint64_t len)
{
	return copy_in(g, gpa, src, len);
}

bool gspace_zero(const struct gspace *g, uint64_t gpa, uint64_t len)
{
	return copy_in(g, gpa, NULL, len);
}

bool gspace_read(const struct gspace *g, uint64_t gpa, void *dst, uint64_t len)
{
	uint8_t *out = dst;

	if (!is_ram(g, gpa, len))
		return false;
	while (len) {
		const struct gpiece *p = piece_at(g, gpa);
		uint64_t off = gpa - p->gpa, n = p->len - off;

		n = n < len ? n : len;
		memcpy(out, phys_to_virt(p->hpa + off), n);
		out += n;
		gpa += n;
		len -= n;
	}
	return true;
}

const char *gspace_status_str(enum gspace_status s)
{
	switch (s) {
	case GSPACE_OK: return "ok";
	case GSPACE_ENOMEM: return "out of memory";
	case GSPACE_EFRAG: return "host memory too fragmented";
	default: return "invalid size";
	}
}
