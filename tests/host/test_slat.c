/* Host unit test for mm/slat.c, both formats. Table pages come from an
 * emulated pool with fake, non-contiguous physical addresses; the pool
 * counts pages so leaks show, poisons what it hands out and frees, and flags
 * any access to a page that is not allocated. Entries are decoded here from
 * the manuals' bit layouts, independently of mm/slat.c. Random operations are
 * checked against a per-page model. Usage: test_slat [seed] */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mm/slat.h"
#include "tests/host/check.h"

#define PAGE         SLAT_PAGE_SIZE
#define MIB          (1ull << 20)
#define GIB          (1ull << 30)
#define PAGES_2M     512ull
#define PAGES_1G     (512ull * 512)
#define PTE_ADDR     0x000ffffffffff000ull
#define PTE_PS       (1ull << 7) /* EPT bit 7 and NPT PS: large leaf */
#define NPT_NX       (1ull << 63)
#define POOL_PAGES   8192
#define POOL_BASE    0x7f00000000ull
#define POOL_STRIDE  (2 * PAGE) /* table pages are not contiguous */
#define DEFAULT_SEED 0x51a7c0de5eedull
#define RANDOM_OPS   20000
#define SCAN_EVERY   5000

#include "tests/host/slat_pool.h"

/* ---- the formats, from the manuals --------------------------------------- */

struct tfmt {
	const char *name;
	const struct slat_fmt *fmt;
	bool ept;
	uint64_t present; /* any of these set: present */
	uint64_t table;   /* exact flags of a non-leaf entry */
};

static const struct tfmt tf_ept = { "ept", &slat_fmt_ept, true, 0x7, 0x7 };  /* R W X */
static const struct tfmt tf_npt = { "npt", &slat_fmt_npt, false, 0x1, 0x7 }; /* P W U */

static const unsigned perms[] = { SLAT_R, SLAT_R | SLAT_W, SLAT_R | SLAT_X, SLAT_RWX };

/* EPT: R W X in bits 2:0, WB (6) in bits 5:3. NPT: P U, W, NX in bit 63. */
static uint64_t leaf_flags(const struct tfmt *t, unsigned level, unsigned perm)
{
	uint64_t e = level ? PTE_PS : 0;

	if (t->ept)
		return e | 0x30 | (perm & SLAT_R ? 1 : 0) | (perm & SLAT_W ? 2 : 0) |
		       (perm & SLAT_X ? 4 : 0);
	return e | 0x5 | (perm & SLAT_W ? 2 : 0) | (perm & SLAT_X ? 0 : NPT_NX);
}

static unsigned leaf_decode(const struct tfmt *t, uint64_t e)
{
	if (t->ept)
		return (e & 1 ? SLAT_R : 0) | (e & 2 ? SLAT_W : 0) | (e & 4 ? SLAT_X : 0);
	return SLAT_R | (e & 2 ? SLAT_W : 0) | (e & NPT_NX ? 0 : SLAT_X);
}

static bool is_table_entry(const struct tfmt *t, uint64_t e)
{
	return (e & ~PTE_ADDR) == t->table && pool_index(e & PTE_ADDR) >= 0;
}

/* Raw entry of this level on gpa's walk; 0 if the walk ends above it. */
static uint64_t entry_at(const struct tfmt *t, const struct slat *s, uint64_t gpa,
			 unsigned level)
{
	uint64_t pa = s->root_pa;

	for (unsigned l = SLAT_LEVELS - 1;; l--) {
		long i = pool_index(pa);
		uint64_t e;

		if (i < 0)
			return 0;
		e = pool[i][(gpa >> (12 + 9 * l)) & 511];
		if (l == level)
			return e;
		if (!(e & t->present) || l == 0 || (e & PTE_PS))
			return 0;
		pa = e & PTE_ADDR;
	}
}

/* ---- recount by walking --------------------------------------------------- */

struct census {
	uint64_t leaves[SLAT_LEAF_LEVELS], tables;
	unsigned bad;
	char why[160];
};

static void census_note(struct census *c, const char *what, uint64_t v)
{
	if (!c->bad++)
		snprintf(c->why, sizeof(c->why), "%s %#" PRIx64, what, v);
}

static void census_table(const struct tfmt *t, const struct slat *s, uint64_t pa,
			 unsigned level, struct census *c)
{
	long i = pool_index(pa);
	bool any = false;

	if (i < 0 || !pool_used[i] || pool_seen[i] == seen_gen)
		return census_note(c, "table not allocated or linked twice", pa);
	pool_seen[i] = seen_gen;
	c->tables++;
	for (unsigned k = 0; k < 512; k++) {
		uint64_t e = pool[i][k], size = PAGE << (9 * level);

		if (!(e & t->present)) {
			if (e)
				census_note(c, "not-present entry not zero", e);
			continue;
		}
		any = true;
		if (level == 0 || (level < 3 && (e & PTE_PS))) {
			unsigned perm = leaf_decode(t, e);

			if (level > s->max_leaf_level || !(perm & SLAT_R) ||
			    e != ((e & PTE_ADDR & ~(size - 1)) | leaf_flags(t, level, perm)))
				census_note(c, "bad leaf", e);
			else
				c->leaves[level]++;
		} else if (!is_table_entry(t, e)) {
			census_note(c, "bad non-leaf entry", e);
		} else {
			census_table(t, s, e & PTE_ADDR, level - 1, c);
		}
	}
	if (!any && level != SLAT_LEVELS - 1)
		census_note(c, "empty table linked", pa);
}

/* The tables are well formed and the counters and the pool agree with them. */
static void census_check(const struct tfmt *t, const struct slat *s, const char *where)
{
	struct census c = { 0 };
	uint64_t counts[SLAT_LEAF_LEVELS];

	seen_gen++;
	census_table(t, s, s->root_pa, SLAT_LEVELS - 1, &c);
	slat_leaf_counts(s, counts);
	CHECK(c.bad == 0, "%s %s: %u bad, first: %s", t->name, where, c.bad, c.why);
	CHECK(!memcmp(c.leaves, counts, sizeof(counts)) &&
	      !memcmp(c.leaves, s->leaves, sizeof(counts)),
	      "%s %s: recount %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", counters %" PRIu64 "/%" PRIu64
	      "/%" PRIu64, t->name, where, c.leaves[0], c.leaves[1], c.leaves[2], counts[0],
	      counts[1], counts[2]);
	CHECK(c.tables == s->table_pages && live == s->table_pages + s->retired_pages,
	      "%s %s: %" PRIu64 " tables linked, %" PRIu64 " counted, %" PRIu64 " retired, %" PRIu64
	      " in the pool", t->name, where, c.tables, s->table_pages, s->retired_pages, live);
}

static bool counts_are(const struct slat *s, uint64_t n4k, uint64_t n2m, uint64_t n1g)
{
	return s->leaves[0] == n4k && s->leaves[1] == n2m && s->leaves[2] == n1g;
}

static void destroy_check(const struct tfmt *t, struct slat *s, const char *where)
{
	census_check(t, s, where);
	slat_destroy(s);
	CHECK(live == 0 && bad_access == 0 && bad_free == 0,
	      "%s %s: after destroy %" PRIu64 " pages live, %lu bad accesses, %lu bad frees",
	      t->name, where, live, bad_access, bad_free);
}

static void init_check(const struct tfmt *t, struct slat *s, unsigned max_leaf)
{
	uint64_t before = live;

	CHECK(slat_init(s, t->fmt, &env, max_leaf) == SLAT_OK && live == before + 1, "%s init",
	      t->name);
}

/* Translation of gpa is hpa with perm from a leaf of level. */
static bool maps(const struct slat *s, uint64_t gpa, uint64_t hpa, unsigned perm, unsigned level)
{
	uint64_t h;
	unsigned p, l;

	return slat_translate(s, gpa, &h, &p, &l) && h == hpa && p == perm && l == level;
}

/* ---- exact entries -------------------------------------------------------- */

static void test_bits(const struct tfmt *t)
{
	const uint64_t g1 = GIB, h1 = 11 * GIB, g2 = 2 * GIB + 2 * MIB, h2 = 5 * GIB + 6 * MIB;
	const uint64_t g4 = 3 * GIB + 0x1ff000, h4 = 0x12345000;
	const uint64_t gtop = SLAT_GPA_LIMIT - PAGE, htop = SLAT_HPA_LIMIT - PAGE;

	for (unsigned k = 0; k < 4; k++) {
		unsigned perm = perms[k];
		struct slat s;

		init_check(t, &s, SLAT_LEVEL_1G);
		CHECK(slat_map(&s, g1, h1, GIB, perm) == SLAT_OK &&
		      slat_map(&s, g2, h2, 2 * MIB, perm) == SLAT_OK &&
		      slat_map(&s, g4, h4, PAGE, perm) == SLAT_OK &&
		      slat_map(&s, gtop, htop, PAGE, perm) == SLAT_OK, "%s bits: maps", t->name);
		CHECK(entry_at(t, &s, g1, 2) == (h1 | leaf_flags(t, 2, perm)) &&
		      entry_at(t, &s, g2, 1) == (h2 | leaf_flags(t, 1, perm)) &&
		      entry_at(t, &s, g4, 0) == (h4 | leaf_flags(t, 0, perm)) &&
		      entry_at(t, &s, gtop, 0) == (htop | leaf_flags(t, 0, perm)),
		      "%s perm %u: leaves %#" PRIx64 " %#" PRIx64 " %#" PRIx64, t->name, perm,
		      entry_at(t, &s, g1, 2), entry_at(t, &s, g2, 1), entry_at(t, &s, g4, 0));
		CHECK(is_table_entry(t, entry_at(t, &s, g1, 3)) &&
		      is_table_entry(t, entry_at(t, &s, g2, 2)) &&
		      is_table_entry(t, entry_at(t, &s, g4, 2)) &&
		      is_table_entry(t, entry_at(t, &s, g4, 1)) &&
		      is_table_entry(t, entry_at(t, &s, gtop, 1)) &&
		      entry_at(t, &s, g1 - PAGE, 2) == 0 && entry_at(t, &s, g1, 3) ==
		      entry_at(t, &s, g4, 3), "%s perm %u: non-leaf entries", t->name, perm);
		CHECK(maps(&s, g1 + 0x3456789, h1 + 0x3456789, perm, 2) &&
		      maps(&s, g2 + 0x1fffff, h2 + 0x1fffff, perm, 1) &&
		      maps(&s, g4 + 0xabc, h4 + 0xabc, perm, 0) &&
		      maps(&s, gtop + 0xfff, htop + 0xfff, perm, 0) &&
		      !slat_translate(&s, g4 + PAGE, NULL, NULL, NULL), "%s perm %u: translate",
		      t->name, perm);
		CHECK(counts_are(&s, 2, 1, 1) && !s.flush_needed, "%s perm %u: counts", t->name,
		      perm);
		destroy_check(t, &s, "bits");
	}
}

/* A few entries written out from the manuals, not through leaf_flags. */
static void test_literals(void)
{
	struct slat e, n;

	init_check(&tf_ept, &e, SLAT_LEVEL_1G);
	CHECK(slat_map(&e, 0, 0x12345000, PAGE, SLAT_RWX) == SLAT_OK &&
	      slat_map(&e, 2 * MIB, 0x40200000, 2 * MIB, SLAT_R) == SLAT_OK &&
	      slat_map(&e, GIB, 0x80000000, GIB, SLAT_R | SLAT_W) == SLAT_OK, "ept literal maps");
	CHECK(entry_at(&tf_ept, &e, 0, 0) == 0x12345037 &&
	      entry_at(&tf_ept, &e, 2 * MIB, 1) == 0x402000b1 &&
	      entry_at(&tf_ept, &e, GIB, 2) == 0x800000b3 &&
	      (entry_at(&tf_ept, &e, 0, 1) & 0xfff) == 0x7, "ept literal entries");
	destroy_check(&tf_ept, &e, "literals");

	init_check(&tf_npt, &n, SLAT_LEVEL_1G);
	CHECK(slat_map(&n, 0, 0x12345000, PAGE, SLAT_R) == SLAT_OK &&
	      slat_map(&n, 2 * MIB, 0x40200000, 2 * MIB, SLAT_R | SLAT_X) == SLAT_OK &&
	      slat_map(&n, GIB, 0x80000000, GIB, SLAT_RWX) == SLAT_OK, "npt literal maps");
	CHECK(entry_at(&tf_npt, &n, 0, 0) == 0x8000000012345005ull &&
	      entry_at(&tf_npt, &n, 2 * MIB, 1) == 0x40200085 &&
	      entry_at(&tf_npt, &n, GIB, 2) == 0x80000087 &&
	      (entry_at(&tf_npt, &n, 0, 3) & 0xfff0000000000fffull) == 0x7, "npt literal entries");
	destroy_check(&tf_npt, &n, "literals");
}

/* ---- leaf size choice ----------------------------------------------------- */

static void leaf_case(const struct tfmt *t, unsigned max_leaf, uint64_t gpa, uint64_t hpa,
		      uint64_t len, uint64_t n4k, uint64_t n2m, uint64_t n1g, uint64_t tables)
{
	struct slat s;
	unsigned bad = 0;

	init_check(t, &s, max_leaf);
	CHECK(slat_map(&s, gpa, hpa, len, SLAT_RWX) == SLAT_OK && !s.flush_needed,
	      "%s leaves: map", t->name);
	CHECK(counts_are(&s, n4k, n2m, n1g) && s.table_pages == tables,
	      "%s max %u gpa %#" PRIx64 " hpa %#" PRIx64 " len %#" PRIx64 ": %" PRIu64 "/%" PRIu64
	      "/%" PRIu64 " leaves, %" PRIu64 " tables", t->name, max_leaf, gpa, hpa, len,
	      s.leaves[0], s.leaves[1], s.leaves[2], s.table_pages);
	for (uint64_t o = 0; o < len; o += PAGE) {
		uint64_t h;

		bad += !slat_translate(&s, gpa + o, &h, NULL, NULL) || h != hpa + o;
	}
	CHECK(bad == 0 && !slat_translate(&s, gpa - PAGE, NULL, NULL, NULL) &&
	      !slat_translate(&s, gpa + len, NULL, NULL, NULL),
	      "%s leaves: %u pages mistranslated", t->name, bad);
	destroy_check(t, &s, "leaves");
}

static void test_leaf_choice(const struct tfmt *t)
{
	leaf_case(t, SLAT_LEVEL_1G, GIB, 3 * GIB, GIB, 0, 0, 1, 2);
	leaf_case(t, SLAT_LEVEL_2M, GIB, 3 * GIB, GIB, 0, 512, 0, 3);
	leaf_case(t, SLAT_LEVEL_4K, GIB, 3 * GIB, GIB, PAGES_1G, 0, 0, 3 + 512);
	leaf_case(t, SLAT_LEVEL_1G, GIB, 3 * GIB + 2 * MIB, GIB, 0, 512, 0, 3);
	leaf_case(t, SLAT_LEVEL_1G, GIB, 3 * GIB + PAGE, GIB, PAGES_1G, 0, 0, 3 + 512);
	/* 4K up to the GiB, the GiB, one 2M, one 4K */
	leaf_case(t, SLAT_LEVEL_1G, GIB - PAGE, 7 * GIB - PAGE, GIB + 2 * MIB + 2 * PAGE,
		  2, 1, 1, 6);
	leaf_case(t, SLAT_LEVEL_1G, 0, 0, 2 * MIB - PAGE, 511, 0, 0, 4); /* length too short */
	leaf_case(t, SLAT_LEVEL_1G, 0x7f8000000000ull, 0x8000000000ull, 2 * GIB, 0, 0, 2, 2);
}

/* ---- splitting ------------------------------------------------------------ */

enum { DO_UNMAP, DO_PROTECT, DO_REMAP };

static void split_case(const struct tfmt *t, int what)
{
	const uint64_t g = 5 * GIB, h = 9 * GIB, target = g + 0x12345000;
	const uint64_t hnew = 0xabcdef000ull;
	struct slat s;
	unsigned bad = 0;
	int rc;

	init_check(t, &s, SLAT_LEVEL_1G);
	CHECK(slat_map(&s, g, h, GIB, SLAT_RWX) == SLAT_OK && counts_are(&s, 0, 0, 1),
	      "%s split: 1G leaf", t->name);
	rc = what == DO_UNMAP	? slat_unmap(&s, target, PAGE)
	     : what == DO_PROTECT ? slat_protect(&s, target, PAGE, SLAT_R)
				  : slat_map(&s, target, hnew, PAGE, SLAT_R | SLAT_X);
	CHECK(rc == SLAT_OK && s.flush_needed, "%s split %d: rc %d", t->name, what, rc);
	CHECK(counts_are(&s, what == DO_UNMAP ? 511 : 512, 511, 0),
	      "%s split %d: %" PRIu64 "/%" PRIu64 "/%" PRIu64, t->name, what, s.leaves[0],
	      s.leaves[1], s.leaves[2]);
	for (uint64_t o = 0; o < GIB; o += PAGE) {
		unsigned level = (o >> 21) == ((target - g) >> 21) ? 0 : 1;

		if (g + o != target)
			bad += !maps(&s, g + o, h + o, SLAT_RWX, level);
	}
	CHECK(bad == 0, "%s split %d: %u other pages changed", t->name, what, bad);
	CHECK(what == DO_UNMAP ? !slat_translate(&s, target, NULL, NULL, NULL)
	      : what == DO_PROTECT ? maps(&s, target + 8, h + (target - g) + 8, SLAT_R, 0)
				   : maps(&s, target + 8, hnew + 8, SLAT_R | SLAT_X, 0),
	      "%s split %d: the page itself", t->name, what);
	census_check(t, &s, "split");

	/* Mapping the GiB as it was: one leaf again, the tables retired. */
	slat_flush_done(&s);
	CHECK(slat_map(&s, g, h, GIB, SLAT_RWX) == SLAT_OK && counts_are(&s, 0, 0, 1) &&
	      s.flush_needed && s.retired_pages == 2 && s.table_pages == 2,
	      "%s split %d: remapped as 1G, %" PRIu64 " retired", t->name, what, s.retired_pages);
	census_check(t, &s, "split remap");
	slat_flush_done(&s);
	CHECK(live == 2 && s.retired_pages == 0, "%s flush_done frees retired tables", t->name);
	destroy_check(t, &s, "split");
}

/* Changes that leave the translation as it is split nothing. */
static void test_no_split(const struct tfmt *t)
{
	struct slat s;

	init_check(t, &s, SLAT_LEVEL_1G);
	CHECK(slat_map(&s, 0, GIB, GIB, SLAT_R | SLAT_W) == SLAT_OK, "%s no-split: map", t->name);
	CHECK(slat_protect(&s, 0x3000, 0x5000, SLAT_R | SLAT_W) == SLAT_OK &&
	      slat_map(&s, 0x200000, GIB + 0x200000, 0x3000, SLAT_R | SLAT_W) == SLAT_OK &&
	      counts_are(&s, 0, 0, 1) && !s.flush_needed && s.table_pages == 2,
	      "%s no-split: same perm / same mapping keep the 1G leaf", t->name);
	CHECK(slat_unmap(&s, GIB, GIB) == SLAT_OK && slat_protect(&s, GIB, GIB, SLAT_R) ==
	      SLAT_OK && !s.flush_needed && counts_are(&s, 0, 0, 1),
	      "%s no-split: nothing mapped next to it", t->name);
	/* Whole leaves change in place. */
	CHECK(slat_protect(&s, 0, GIB, SLAT_R) == SLAT_OK && s.flush_needed &&
	      counts_are(&s, 0, 0, 1) && maps(&s, 0x1234, GIB + 0x1234, SLAT_R, 2),
	      "%s protect whole leaf", t->name);
	destroy_check(t, &s, "no-split");
}

/* ---- flush decisions ------------------------------------------------------ */

static void test_flush(const struct tfmt *t)
{
	struct slat s;

	init_check(t, &s, SLAT_LEVEL_1G);
	CHECK(slat_map(&s, 0, 0x100000, 0x10000, SLAT_RWX) == SLAT_OK && !s.flush_needed,
	      "%s flush: fill empty", t->name);
	CHECK(slat_map(&s, 0x10000, 0x200000, 0x10000, SLAT_R) == SLAT_OK &&
	      slat_map(&s, 4 * GIB, PAGE, 4 * MIB, SLAT_R) == SLAT_OK && !s.flush_needed,
	      "%s flush: next to existing, new tables", t->name);
	CHECK(slat_map(&s, 0xf000, 0x200000, 0x2000, SLAT_R) == SLAT_OK && s.flush_needed,
	      "%s flush: replace", t->name);
	slat_flush_done(&s);
	CHECK(slat_map(&s, 0x10000, 0x201000, PAGE, SLAT_R) == SLAT_OK && !s.flush_needed,
	      "%s flush: same mapping again", t->name);
	CHECK(slat_unmap(&s, GIB, GIB) == SLAT_OK && slat_protect(&s, GIB, GIB, SLAT_R) ==
	      SLAT_OK && slat_protect(&s, 0x10000, PAGE, SLAT_R) == SLAT_OK && !s.flush_needed,
	      "%s flush: unmap/protect of nothing, protect to the same", t->name);
	CHECK(slat_protect(&s, 0x10000, PAGE, SLAT_RWX) == SLAT_OK && s.flush_needed,
	      "%s flush: protect (more rights)", t->name);
	s.flush_needed = false; /* by hand: allowed */
	CHECK(slat_unmap(&s, 0x1f000, 0x2000) == SLAT_OK && s.flush_needed,
	      "%s flush: unmap", t->name);
	slat_flush_done(&s);
	CHECK(slat_unmap(&s, 4 * GIB, 4 * MIB) == SLAT_OK && s.flush_needed &&
	      s.retired_pages == 3 && s.table_pages == 4, "%s flush: emptied tables retired",
	      t->name);
	census_check(t, &s, "flush");
	/* A split alone changes entries: out of memory right after it. */
	slat_flush_done(&s);
	CHECK(slat_map(&s, 8 * GIB, 8 * GIB, GIB, SLAT_RWX) == SLAT_OK && !s.flush_needed,
	      "%s flush: 1G leaf", t->name);
	fail_after = 1;
	CHECK(slat_protect(&s, 8 * GIB + 2 * MIB - PAGE, 2 * PAGE, SLAT_R) == SLAT_ENOMEM &&
	      s.flush_needed && counts_are(&s, 31, 512, 0),
	      "%s flush: split to 2M, then out of memory", t->name);
	fail_after = -1;
	census_check(t, &s, "flush split");
	destroy_check(t, &s, "flush"); /* retired pages freed by destroy too */
}

/* ---- errors --------------------------------------------------------------- */

static void test_errors(const struct tfmt *t)
{
	const uint64_t top = SLAT_GPA_LIMIT;
	struct slat s;
	unsigned bad = 0;

	CHECK(slat_init(&s, t->fmt, &env, 3) == SLAT_EINVAL && live == 0, "%s init level 3",
	      t->name);
	fail_after = 0;
	CHECK(slat_init(&s, t->fmt, &env, SLAT_LEVEL_1G) == SLAT_ENOMEM && live == 0,
	      "%s init without memory", t->name);
	fail_after = -1;
	init_check(t, &s, SLAT_LEVEL_1G);
	CHECK(slat_map(&s, 0, 0, GIB, SLAT_RWX) == SLAT_OK, "%s errors: map", t->name);
	slat_flush_done(&s);
	bad += slat_map(&s, 0x800, 0, PAGE, SLAT_R) != SLAT_EINVAL;
	bad += slat_map(&s, 0, 0x800, PAGE, SLAT_R) != SLAT_EINVAL;
	bad += slat_map(&s, 0, 0, 0x800, SLAT_R) != SLAT_EINVAL;
	bad += slat_map(&s, top, 0, PAGE, SLAT_R) != SLAT_EINVAL;
	bad += slat_map(&s, top - PAGE, 0, 2 * PAGE, SLAT_R) != SLAT_EINVAL;
	bad += slat_map(&s, PAGE, 0, -PAGE, SLAT_R) != SLAT_EINVAL; /* wraps */
	bad += slat_map(&s, -PAGE, 0, PAGE, SLAT_R) != SLAT_EINVAL;
	bad += slat_map(&s, 0, SLAT_HPA_LIMIT, PAGE, SLAT_R) != SLAT_EINVAL;
	bad += slat_map(&s, 0, SLAT_HPA_LIMIT - PAGE, 2 * PAGE, SLAT_R) != SLAT_EINVAL;
	bad += slat_map(&s, 0, 0, PAGE, 0) != SLAT_EINVAL;
	bad += slat_map(&s, 0, 0, PAGE, SLAT_W) != SLAT_EINVAL;
	bad += slat_map(&s, 0, 0, PAGE, SLAT_X) != SLAT_EINVAL;
	bad += slat_map(&s, 0, 0, PAGE, SLAT_W | SLAT_X) != SLAT_EINVAL;
	bad += slat_map(&s, 0, 0, PAGE, SLAT_RWX | 8) != SLAT_EINVAL;
	bad += slat_unmap(&s, 0x10, PAGE) != SLAT_EINVAL;
	bad += slat_unmap(&s, 0, 0x10) != SLAT_EINVAL;
	bad += slat_unmap(&s, top, PAGE) != SLAT_EINVAL;
	bad += slat_protect(&s, 0x10, PAGE, SLAT_R) != SLAT_EINVAL;
	bad += slat_protect(&s, top - PAGE, 2 * PAGE, SLAT_R) != SLAT_EINVAL;
	bad += slat_protect(&s, 0, PAGE, SLAT_X) != SLAT_EINVAL;
	CHECK(bad == 0, "%s: %u invalid calls accepted", t->name, bad);
	CHECK(counts_are(&s, 0, 0, 1) && !s.flush_needed && live == 2 &&
	      maps(&s, 0x1000, 0x1000, SLAT_RWX, 2), "%s errors changed nothing", t->name);
	CHECK(slat_map(&s, 0, 0, 0, SLAT_R) == SLAT_OK && slat_unmap(&s, 0, 0) == SLAT_OK &&
	      !s.flush_needed, "%s empty ranges", t->name);
	CHECK(slat_map(&s, top - PAGE, SLAT_HPA_LIMIT - PAGE, PAGE, SLAT_R) == SLAT_OK &&
	      maps(&s, top - 1, SLAT_HPA_LIMIT - 1, SLAT_R, 0) &&
	      !slat_translate(&s, top, NULL, NULL, NULL) &&
	      !slat_translate(&s, -PAGE, NULL, NULL, NULL), "%s the last page", t->name);
	CHECK(strcmp(slat_status_str(SLAT_ENOMEM), "out of memory") == 0, "status string");
	destroy_check(t, &s, "errors");
}

/* Out of memory after every possible number of allocations: a prefix of the
 * range has the new state, the rest the old, and the tables stay sound. */
static void oom_case(const struct tfmt *t, int what, uint64_t g0, uint64_t len, uint64_t h0)
{
	const uint64_t wlo = g0 - 4 * MIB, whi = g0 + len + 4 * MIB;
	bool done = false;

	for (long k = 0; !done && k < 4096; k++) {
		struct slat s;
		unsigned bad = 0;
		bool in_new = true, flush_seen, changed = false, any_old = false;
		int rc;

		init_check(t, &s, SLAT_LEVEL_1G);
		CHECK(slat_map(&s, 0, 32 * GIB, 2 * GIB, SLAT_RWX) == SLAT_OK &&
		      slat_map(&s, 2 * GIB, 0x7000, 64 * MIB, SLAT_R | SLAT_X) == SLAT_OK,
		      "%s oom: setup", t->name);
		slat_flush_done(&s);
		fail_after = k;
		rc = what == DO_UNMAP	? slat_unmap(&s, g0, len)
		     : what == DO_PROTECT ? slat_protect(&s, g0, len, SLAT_R)
					  : slat_map(&s, g0, h0, len, SLAT_R | SLAT_W);
		fail_after = -1;
		flush_seen = s.flush_needed;
		done = rc == SLAT_OK;
		CHECK(done || rc == SLAT_ENOMEM, "%s oom %d after %ld: rc %d", t->name, what, k, rc);
		for (uint64_t g = wlo; g < whi; g += PAGE) {
			uint64_t ho = g < 2 * GIB ? 32 * GIB + g : 0x7000 + (g - 2 * GIB);
			unsigned po = g < 2 * GIB ? SLAT_RWX : SLAT_R | SLAT_X;
			bool mo = g < 2 * GIB + 64 * MIB, in = g >= g0 && g < g0 + len;
			uint64_t h = 0;
			unsigned p = 0;
			bool m = slat_translate(&s, g, &h, &p, NULL);
			bool is_old = m == mo && (!m || (h == ho && p == po));
			bool is_new = what == DO_UNMAP ? !m
				      : what == DO_PROTECT ? m == mo && (!m || (h == ho && p == SLAT_R))
							   : m && h == h0 + (g - g0) && p == (SLAT_R | SLAT_W);

			if (in && in_new && !is_new)
				in_new = false;
			bad += in ? !(in_new ? is_new : is_old) : !is_old;
			changed |= in && in_new && mo && !is_old;
			any_old |= in && mo;
		}
		CHECK(bad == 0 && (!done || in_new), "%s oom %d after %ld: %u pages neither "
		      "prefix-new nor old", t->name, what, k, bad);
		CHECK((flush_seen || !changed) && (!flush_seen || any_old),
		      "%s oom %d after %ld: flush_needed %d", t->name, what, k, flush_seen);
		census_check(t, &s, "oom");
		destroy_check(t, &s, "oom");
	}
	CHECK(done, "%s oom %d never succeeded", t->name, what);
}

static void test_oom(const struct tfmt *t)
{
	/* Across the first GiB boundary, hpa not congruent modulo 2M: splits,
	 * and 4K tables for all of it. */
	for (int what = DO_UNMAP; what <= DO_REMAP; what++)
		oom_case(t, what, GIB - 6 * MIB + PAGE, 12 * MIB, 0x123400000ull + 2 * PAGE);
	/* Into the 4K region and beyond it: splits, fresh tables, in-place changes. */
	oom_case(t, DO_REMAP, 2 * GIB + 62 * MIB, 8 * MIB, 0x555000);
	oom_case(t, DO_UNMAP, 2 * GIB - 2 * MIB - PAGE, 8 * MIB, 0);
	/* Into a GiB with no table yet: a new table whose own child fails. */
	oom_case(t, DO_REMAP, 3 * GIB - 4 * MIB, 8 * MIB, 0x777000);
}

/* ---- random operations against a per-page model --------------------------- */

/* 4 GiB of guest space across the 2^47 boundary (two level-3 entries). */
#define WIN_BASE  ((1ull << 47) - 2 * GIB)
#define WIN_PAGES (4 * GIB / PAGE)

static uint64_t *m_hpa; /* per page of the window; m_perm 0: not mapped */
static uint8_t *m_perm;
static uint64_t mism;
static char mism_why[200];

static void page_verify(const struct slat *s, uint64_t p)
{
	uint64_t off = (p * 0x238) & 0xff8, gpa = WIN_BASE + p * PAGE + off, h = 0, size;
	unsigned perm = 0, level = 0;
	bool m = slat_translate(s, gpa, &h, &perm, &level);

	size = PAGE << (9 * level);
	if (m == (m_perm[p] != 0) && (!m || (h == m_hpa[p] + off && perm == m_perm[p] &&
					     level <= s->max_leaf_level &&
					     !((h - (gpa & (size - 1))) & (size - 1)))))
		return;
	if (!mism++)
		snprintf(mism_why, sizeof(mism_why), "page %#" PRIx64 ": got %d %#" PRIx64
			 " perm %u level %u, model %#" PRIx64 " perm %u", gpa, m, h, perm, level,
			 m_hpa[p] + off, m_perm[p]);
}

static void pick_range(uint64_t *p0, uint64_t *np)
{
	unsigned r = rnd() % 100;
	uint64_t n, align, p;

	if (r < 60) {
		n = 1 + rnd() % 32, align = 1;
	} else if (r < 88) {
		n = (1 + rnd() % 8) * PAGES_2M, align = PAGES_2M;
	} else if (r < 99) {
		n = (1 + rnd() % 64) * PAGES_2M, align = PAGES_2M;
	} else {
		n = PAGES_1G, align = PAGES_1G;
	}
	p = rnd() % (WIN_PAGES / align) * align;
	if (align > 1 && rnd() % 3 == 0) /* off the natural alignment */
		p += align == PAGES_1G ? rnd() % 512 * PAGES_2M : rnd() % align;
	if (p + n > WIN_PAGES)
		p = WIN_PAGES - n;
	*p0 = p;
	*np = n;
}

/* Mostly congruent with the gpa modulo 1G or 2M, so large leaves happen. */
static uint64_t pick_hpa(uint64_t gpa)
{
	unsigned r = rnd() % 10;

	if (r < 6)
		return rnd() % 1024 * GIB + (gpa & (GIB - 1));
	if (r < 8)
		return rnd() % (1u << 19) * 2 * MIB + (gpa & (2 * MIB - 1));
	return rnd() % (1ull << 28) * PAGE;
}

static void full_scan(const struct tfmt *t, const struct slat *s, const char *where)
{
	for (uint64_t p = 0; p < WIN_PAGES; p++)
		page_verify(s, p);
	census_check(t, s, where);
}

static void random_run(const struct tfmt *t, unsigned max_leaf, uint64_t seed, unsigned ops)
{
	unsigned long bad_rc = 0, bad_flush = 0, ooms = 0, nops[3] = { 0 };
	uint64_t peak = 0, most[SLAT_LEAF_LEVELS] = { 0 };
	struct slat s;

	rng = seed;
	mism = 0;
	memset(m_perm, 0, WIN_PAGES);
	init_check(t, &s, max_leaf);
	for (unsigned i = 0; i < ops; i++) {
		unsigned r = rnd() % 100, what = r < 50 ? DO_REMAP : r < 75 ? DO_UNMAP : DO_PROTECT;
		unsigned perm = perms[rnd() % 4];
		uint64_t p0, np, n, hpa;
		bool oom = rnd() % 50 == 0, changed = false, any_old = false;
		int rc;

		pick_range(&p0, &np);
		hpa = pick_hpa(WIN_BASE + p0 * PAGE);
		if (rnd() % 4)
			slat_flush_done(&s);
		else
			s.flush_needed = false; /* retired pages pile up until the next one */
		fail_after = oom ? (long)(rnd() % 4) : -1;
		rc = what == DO_REMAP	? slat_map(&s, WIN_BASE + p0 * PAGE, hpa, np * PAGE, perm)
		     : what == DO_UNMAP ? slat_unmap(&s, WIN_BASE + p0 * PAGE, np * PAGE)
					: slat_protect(&s, WIN_BASE + p0 * PAGE, np * PAGE, perm);
		fail_after = -1;
		nops[what]++;

		/* Pages [p0, p0 + n) took the new state. */
		n = np;
		if (rc == SLAT_ENOMEM && oom) {
			ooms++;
			for (n = 0; n < np; n++) {
				uint64_t q = p0 + n, h;
				unsigned pp;
				bool m = slat_translate(&s, WIN_BASE + q * PAGE, &h, &pp, NULL);
				bool want = what == DO_UNMAP ? !m
					    : what == DO_PROTECT ? m == (m_perm[q] != 0) &&
						   (!m || (h == m_hpa[q] && pp == perm))
					    : m && h == hpa + n * PAGE && pp == perm;
				if (!want)
					break;
			}
			for (uint64_t q = p0 + n; q < p0 + np; q++)
				page_verify(&s, q); /* the rest: still the old state */
		} else if (rc != SLAT_OK) {
			bad_rc++;
		}
		for (uint64_t j = 0; j < np; j++) {
			uint64_t q = p0 + j, nh = m_hpa[q];
			unsigned npm = m_perm[q];

			any_old |= npm != 0;
			if (j >= n)
				continue;
			if (what == DO_REMAP)
				nh = hpa + j * PAGE, npm = perm;
			else if (what == DO_UNMAP)
				npm = 0;
			else if (npm)
				npm = perm;
			changed |= m_perm[q] && (npm != m_perm[q] || nh != m_hpa[q]);
			m_hpa[q] = nh;
			m_perm[q] = (uint8_t)npm;
		}
		bad_flush += (changed && !s.flush_needed) || (!any_old && s.flush_needed);

		if (np <= 1024) {
			for (uint64_t q = p0 ? p0 - 1 : 0; q < p0 + np + 1 && q < WIN_PAGES; q++)
				page_verify(&s, q);
		} else {
			for (uint64_t j = 0; j < 256; j++) {
				page_verify(&s, p0 + j);
				page_verify(&s, p0 + np - 1 - j);
			}
			for (unsigned j = 0; j < 512; j++)
				page_verify(&s, p0 + rnd() % np);
		}
		for (unsigned j = 0; j < 8; j++)
			page_verify(&s, rnd() % WIN_PAGES);
		if (live > peak)
			peak = live;
		for (unsigned l = 0; l < SLAT_LEAF_LEVELS; l++)
			most[l] = s.leaves[l] > most[l] ? s.leaves[l] : most[l];
		if ((i + 1) % SCAN_EVERY == 0)
			full_scan(t, &s, "random scan");
	}
	full_scan(t, &s, "random end");
	CHECK(mism == 0, "%s max %u random: %" PRIu64 " page mismatches, first: %s", t->name,
	      max_leaf, mism, mism_why);
	CHECK(bad_rc == 0 && bad_flush == 0, "%s max %u random: %lu bad results, %lu bad flush "
	      "decisions", t->name, max_leaf, bad_rc, bad_flush);
	printf("%s max leaf %u: %u ops (%lu map, %lu unmap, %lu protect, %lu out of memory), "
	       "most leaves 4K/2M/1G %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", most table pages %" PRIu64
	       "\n", t->name, max_leaf, ops, nops[DO_REMAP], nops[DO_UNMAP], nops[DO_PROTECT],
	       ooms, most[0], most[1], most[2], peak);
	destroy_check(t, &s, "random");
}

int main(int argc, char **argv)
{
	const struct tfmt *fmts[] = { &tf_ept, &tf_npt };
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : DEFAULT_SEED;

	pool = aligned_alloc(PAGE, POOL_PAGES * PAGE);
	m_hpa = malloc(WIN_PAGES * sizeof(*m_hpa));
	m_perm = malloc(WIN_PAGES);
	if (!pool || !m_hpa || !m_perm)
		return 2;
	for (unsigned i = 0; i < POOL_PAGES; i++)
		free_stack[free_top++] = POOL_PAGES - 1 - i;
	printf("seed %#" PRIx64 "\n", seed);

	test_literals();
	for (unsigned f = 0; f < 2; f++) {
		const struct tfmt *t = fmts[f];

		test_bits(t);
		test_leaf_choice(t);
		split_case(t, DO_UNMAP);
		split_case(t, DO_PROTECT);
		split_case(t, DO_REMAP);
		test_no_split(t);
		test_flush(t);
		test_errors(t);
		test_oom(t);
		random_run(t, SLAT_LEVEL_1G, seed + f, RANDOM_OPS);
	}
	random_run(&tf_npt, SLAT_LEVEL_2M, seed + 2, RANDOM_OPS / 2);
	random_run(&tf_ept, SLAT_LEVEL_4K, seed + 3, RANDOM_OPS / 5);
	free(m_perm);
	free(m_hpa);
	free(pool);
	return check_summary();
}
