#include "mm/slat.h"

/* EPT entries, SDM Vol. 3C 29.3.2 (Tables 29-1 to 29-6). Present if any of
 * R/W/X is set; bit 7 makes a PDPTE or PDE a leaf. */
#define EPT_R        (1ull << 0)
#define EPT_W        (1ull << 1)
#define EPT_X        (1ull << 2) /* all execute without mode-based execute control */
#define EPT_MT_SHIFT 3           /* bits 5:3 of leaves: memory type */
#define EPT_MT_MASK  (7ull << EPT_MT_SHIFT)
#define EPT_MT_WB    6ull
#define EPT_IPAT     (1ull << 6) /* ignore PAT: left clear */
#define EPT_LARGE    (1ull << 7)

/* NPT entries are long-mode entries (APM Vol. 2 15.25, 5.3). A nested walk
 * is a user access, so U must be set at every level. Present means readable. */
#define NPT_P  (1ull << 0)
#define NPT_W  (1ull << 1)
#define NPT_U  (1ull << 2)
#define NPT_PS (1ull << 7)
#define NPT_NX (1ull << 63)

#define SLAT_ADDR 0x000ffffffffff000ull /* bits 51:12: next table or page */

_Static_assert(((EPT_R | EPT_W | EPT_X | EPT_MT_MASK | EPT_IPAT | EPT_LARGE |
		NPT_P | NPT_W | NPT_U | NPT_PS | NPT_NX) & SLAT_ADDR) == 0,
	       "flag bits overlap the address field");
_Static_assert(((EPT_R | EPT_W | EPT_X | NPT_P) & ~(SLAT_PAGE_SIZE - 1)) == 0,
	       "a page address stored in an entry must read as not present");
_Static_assert((EPT_MT_WB << EPT_MT_SHIFT) == 0x30, "EPT WB memory type is 6 in bits 5:3");
_Static_assert(12 + 9 * SLAT_LEVELS == 48 && SLAT_GPA_LIMIT == 1ull << 48,
	       "4 levels of 512 entries translate 48 bits");
_Static_assert(SLAT_HPA_LIMIT - 1 == (SLAT_ADDR | (SLAT_PAGE_SIZE - 1)), "hpa bits 51:0");

struct slat_fmt {
	uint64_t present;    /* the entry is present if any of these is set */
	uint64_t table;      /* flags of every non-leaf entry */
	uint64_t leaf;       /* flags of every leaf */
	uint64_t r, w, x;    /* bit granting the permission; 0: granted by presence */
	uint64_t nx;         /* bit denying execute, when x is 0 */
	uint64_t large;      /* makes a level-1 or level-2 entry a leaf */
};

const struct slat_fmt slat_fmt_ept = {
	.present = EPT_R | EPT_W | EPT_X, .table = EPT_R | EPT_W | EPT_X,
	.leaf = EPT_MT_WB << EPT_MT_SHIFT, .r = EPT_R, .w = EPT_W, .x = EPT_X, .large = EPT_LARGE,
};

const struct slat_fmt slat_fmt_npt = {
	.present = NPT_P, .table = NPT_P | NPT_W | NPT_U,
	.leaf = NPT_P | NPT_U, .w = NPT_W, .nx = NPT_NX, .large = NPT_PS,
};

#define ENTRIES   512u
#define TOP_LEVEL (SLAT_LEVELS - 1)

enum slat_op { OP_MAP, OP_UNMAP, OP_PROTECT };

/* One map / unmap / protect request; hpa is where req.gpa goes. */
struct slat_req {
	enum slat_op op;
	uint64_t gpa, hpa;
	unsigned perm;
};

static uint64_t level_size(unsigned level)
{
	return SLAT_PAGE_SIZE << (9 * level);
}

static unsigned index_of(uint64_t gpa, unsigned level)
{
	return (gpa >> (12 + 9 * level)) & (ENTRIES - 1);
}

static uint64_t *table_of(const struct slat *s, uint64_t pa)
{
	return s->env->phys_to_virt(s->env->ctx, pa);
}

/* One store, ordered after the writes that filled a table it links: the
 * CPU may walk the table while we change it. */
static void entry_set(uint64_t *e, uint64_t v)
{
	__atomic_store_n(e, v, __ATOMIC_RELEASE);
}

static bool is_present(const struct slat_fmt *f, uint64_t e)
{
	return (e & f->present) != 0;
}

/* For a present entry. Level 3 entries always point to a table. */
static bool is_leaf(const struct slat_fmt *f, uint64_t e, unsigned level)
{
	return level == 0 || (level < TOP_LEVEL && (e & f->large));
}

static uint64_t leaf_addr(uint64_t e, unsigned level)
{
	return e & SLAT_ADDR & ~(level_size(level) - 1);
}

static uint64_t leaf_make(const struct slat_fmt *f, unsigned level, uint64_t hpa, unsigned perm)
{
	uint64_t e = f->leaf | hpa | (level ? f->large : 0);

	if (perm & SLAT_R)
		e |= f->r;
	if (perm & SLAT_W)
		e |= f->w;
	e |= (perm & SLAT_X) ? f->x : f->nx;
	return e;
}

static unsigned leaf_perm(const struct slat_fmt *f, uint64_t e)
{
	unsigned perm = 0;

	if (!f->r || (e & f->r))
		perm |= SLAT_R;
	if (e & f->w)
		perm |= SLAT_W;
	if (f->x ? (e & f->x) != 0 : (e & f->nx) == 0)
		perm |= SLAT_X;
	return perm;
}

static enum slat_status table_alloc(struct slat *s, uint64_t *pa)
{
	uint64_t *t;

	if (s->env->alloc_page(s->env->ctx, pa))
		return SLAT_ENOMEM;
	t = table_of(s, *pa);
	for (unsigned i = 0; i < ENTRIES; i++)
		t[i] = 0;
	s->table_pages++;
	return SLAT_OK;
}

static void table_free(struct slat *s, uint64_t pa)
{
	s->env->free_page(s->env->ctx, pa);
	s->table_pages--;
}

/* An unlinked table a paging-structure cache may still point to: kept until
 * slat_flush_done. A page address reads as not present (asserted above). */
static void table_retire(struct slat *s, uint64_t pa)
{
	entry_set(&table_of(s, pa)[0], s->retired_head);
	s->retired_head = pa;
	s->retired_pages++;
	s->table_pages--;
}

static bool table_empty(const struct slat *s, uint64_t pa)
{
	const uint64_t *t = table_of(s, pa);

	for (unsigned i = 0; i < ENTRIES; i++)
		if (is_present(s->fmt, t[i]))
			return false;
	return true;
}

/* Uncounts the leaves under e, an entry of this level already unlinked or
 * being destroyed, and retires (or frees, if now) its tables. */
static void entry_drop(struct slat *s, uint64_t e, unsigned level, bool now)
{
	uint64_t pa = e & SLAT_ADDR;
	const uint64_t *t;

	if (!is_present(s->fmt, e))
		return;
	if (is_leaf(s->fmt, e, level)) {
		s->leaves[level]--;
		return;
	}
	t = table_of(s, pa);
	for (unsigned i = 0; i < ENTRIES; i++)
		entry_drop(s, t[i], level - 1, now);
	if (now)
		table_free(s, pa);
	else
		table_retire(s, pa);
}

/* Replaces the large leaf *e by a table of 512 leaves one level down that
 * translate exactly the same. */
static enum slat_status leaf_split(struct slat *s, uint64_t *e, unsigned level)
{
	uint64_t pa, addr = leaf_addr(*e, level), step = level_size(level - 1);
	unsigned perm = leaf_perm(s->fmt, *e);
	enum slat_status rc = table_alloc(s, &pa);
	uint64_t *t;

	if (rc)
		return rc;
	t = table_of(s, pa);
	for (unsigned i = 0; i < ENTRIES; i++)
		t[i] = leaf_make(s->fmt, level - 1, addr + i * step, perm);
	entry_set(e, pa | s->fmt->table);
	s->leaves[level]--;
	s->leaves[level - 1] += ENTRIES;
	s->flush_needed = true; /* page size changed: SDM Vol. 3A 4.10.4.2 */
	return SLAT_OK;
}

static enum slat_status walk(struct slat *s, const struct slat_req *r, uint64_t table_pa,
			     unsigned level, uint64_t gpa, uint64_t end);

/* Applies r to [gpa, stop), the part of the range under entry e of level. */
static enum slat_status visit(struct slat *s, const struct slat_req *r, uint64_t *e,
			      unsigned level, uint64_t gpa, uint64_t stop)
{
	const struct slat_fmt *f = s->fmt;
	uint64_t old = *e, size = level_size(level), hpa = r->hpa + (gpa - r->gpa), child;
	bool present = is_present(f, old), leaf = present && is_leaf(f, old, level);
	bool full = (gpa & (size - 1)) == 0 && stop - gpa == size;
	enum slat_status rc;

	if (r->op == OP_MAP && full && level <= s->max_leaf_level && !(hpa & (size - 1))) {
		uint64_t v = leaf_make(f, level, hpa, r->perm);

		if (old == v)
			return SLAT_OK;
		entry_set(e, v);
		s->leaves[level]++;
		entry_drop(s, old, level, false);
		s->flush_needed |= present;
		return SLAT_OK;
	}
	if (r->op == OP_MAP && leaf && leaf_perm(f, old) == r->perm &&
	    leaf_addr(old, level) + (gpa & (size - 1)) == hpa)
		return SLAT_OK; /* already mapped like that: no split */
	if (r->op != OP_MAP && !present)
		return SLAT_OK;
	if (r->op == OP_UNMAP && full) {
		entry_set(e, 0);
		entry_drop(s, old, level, false);
		s->flush_needed = true;
		return SLAT_OK;
	}
	if (r->op == OP_PROTECT && leaf) {
		if (leaf_perm(f, old) == r->perm)
			return SLAT_OK;
		if (full) {
			entry_set(e, leaf_make(f, level, leaf_addr(old, level), r->perm));
			s->flush_needed = true;
			return SLAT_OK;
		}
	}
	if (!present) {
		/* Filled before it is linked, so no walk has seen it if it stays
		 * empty (out of memory at once) and it can be freed now. */
		rc = table_alloc(s, &child);
		if (rc)
			return rc;
		rc = walk(s, r, child, level - 1, gpa, stop);
		if (table_empty(s, child))
			table_free(s, child);
		else
			entry_set(e, child | f->table);
		return rc;
	}
	if (leaf) {
		rc = leaf_split(s, e, level);
		if (rc)
			return rc;
	}
	child = *e & SLAT_ADDR;
	rc = walk(s, r, child, level - 1, gpa, stop);
	if (r->op == OP_UNMAP && table_empty(s, child)) {
		entry_set(e, 0);
		table_retire(s, child);
		s->flush_needed = true;
	}
	return rc;
}

static enum slat_status walk(struct slat *s, const struct slat_req *r, uint64_t table_pa,
			     unsigned level, uint64_t gpa, uint64_t end)
{
	uint64_t *t = table_of(s, table_pa);

	while (gpa < end) {
		uint64_t next = (gpa | (level_size(level) - 1)) + 1;
		uint64_t stop = next < end ? next : end;
		enum slat_status rc = visit(s, r, &t[index_of(gpa, level)], level, gpa, stop);

		if (rc)
			return rc;
		gpa = stop;
	}
	return SLAT_OK;
}

static bool range_ok(uint64_t addr, uint64_t len, uint64_t limit)
{
	return !((addr | len) & (SLAT_PAGE_SIZE - 1)) && addr < limit && len <= limit - addr;
}

static bool perm_ok(unsigned perm)
{
	return (perm & SLAT_R) && !(perm & ~SLAT_RWX);
}

enum slat_status slat_init(struct slat *s, const struct slat_fmt *fmt,
			   const struct slat_env *env, unsigned max_leaf_level)
{
	*s = (struct slat){ .fmt = fmt, .env = env, .max_leaf_level = max_leaf_level };
	if (max_leaf_level > SLAT_LEVEL_1G)
		return SLAT_EINVAL;
	return table_alloc(s, &s->root_pa);
}

enum slat_status slat_map(struct slat *s, uint64_t gpa, uint64_t hpa, uint64_t len,
			  unsigned perm)
{
	struct slat_req r = { .op = OP_MAP, .gpa = gpa, .hpa = hpa, .perm = perm };

	if (!range_ok(gpa, len, SLAT_GPA_LIMIT) || !range_ok(hpa, len, SLAT_HPA_LIMIT) ||
	    !perm_ok(perm))
		return SLAT_EINVAL;
	return walk(s, &r, s->root_pa, TOP_LEVEL, gpa, gpa + len);
}

enum slat_status slat_unmap(struct slat *s, uint64_t gpa, uint64_t len)
{
	struct slat_req r = { .op = OP_UNMAP, .gpa = gpa };

	if (!range_ok(gpa, len, SLAT_GPA_LIMIT))
		return SLAT_EINVAL;
	return walk(s, &r, s->root_pa, TOP_LEVEL, gpa, gpa + len);
}

enum slat_status slat_protect(struct slat *s, uint64_t gpa, uint64_t len, unsigned perm)
{
	struct slat_req r = { .op = OP_PROTECT, .gpa = gpa, .perm = perm };

	if (!range_ok(gpa, len, SLAT_GPA_LIMIT) || !perm_ok(perm))
		return SLAT_EINVAL;
	return walk(s, &r, s->root_pa, TOP_LEVEL, gpa, gpa + len);
}

bool slat_translate(const struct slat *s, uint64_t gpa, uint64_t *hpa, unsigned *perm,
		    unsigned *leaf_level)
{
	uint64_t pa = s->root_pa;

	if (gpa >= SLAT_GPA_LIMIT)
		return false;
	for (unsigned level = TOP_LEVEL;; level--) {
		uint64_t e = table_of(s, pa)[index_of(gpa, level)];

		if (!is_present(s->fmt, e))
			return false;
		if (is_leaf(s->fmt, e, level)) {
			if (hpa)
				*hpa = leaf_addr(e, level) + (gpa & (level_size(level) - 1));
			if (perm)
				*perm = leaf_perm(s->fmt, e);
			if (leaf_level)
				*leaf_level = level;
			return true;
		}
		pa = e & SLAT_ADDR;
	}
}

void slat_flush_done(struct slat *s)
{
	while (s->retired_pages) {
		uint64_t pa = s->retired_head;

		s->retired_head = table_of(s, pa)[0];
		s->env->free_page(s->env->ctx, pa);
		s->retired_pages--;
	}
	s->flush_needed = false;
}

void slat_leaf_counts(const struct slat *s, uint64_t out[SLAT_LEAF_LEVELS])
{
	for (unsigned i = 0; i < SLAT_LEAF_LEVELS; i++)
		out[i] = s->leaves[i];
}

void slat_destroy(struct slat *s)
{
	const uint64_t *root = table_of(s, s->root_pa);

	for (unsigned i = 0; i < ENTRIES; i++)
		entry_drop(s, root[i], TOP_LEVEL, true);
	table_free(s, s->root_pa);
	slat_flush_done(s);
}

const char *slat_status_str(enum slat_status st)
{
	return st == SLAT_OK ? "ok" : st == SLAT_ENOMEM ? "out of memory"
	     : st == SLAT_EINVAL ? "invalid argument" : "unknown";
}
