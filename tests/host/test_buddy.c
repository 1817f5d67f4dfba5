/* Host unit test for mm/buddy.c. Physical memory is emulated: RAM segments
 * with holes between them are packed into one anonymous mapping, and random
 * operations are checked against a frame-level model of what must be free.
 * Usage: test_buddy [seed] */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/buddy.h"

#define PAGE         BUDDY_PAGE_SIZE
#define GIB          (1ull << 30)
#define RANDOM_OPS   200000
#define FILL_EVERY   25000 /* ops between "allocate until ENOMEM" phases */
#define LIVE_TARGET  3000  /* live blocks the random walk hovers around */
#define LIVE_MAX     (1u << 18)
#define DRAIN_MAX    4096
#define DEFAULT_SEED 0x5eed0b0ddull
#define CANARY       0xb0dd1e5ca1ab1e00ull

/* Emulated physical map. Segments without add are RAM that is never handed
 * to the allocator, so it must never touch them. */
static struct seg {
	uint64_t start, end;
	bool add;
	uint64_t off; /* offset in the arena */
} segs[] = {
	{ 0x000100000, 0x001000000, true, 0 },  /* low RAM starts at 1 MiB */
	{ 0x001000000, 0x001400000, false, 0 }, /* kept back, like an image */
	{ 0x001400000, 0x03ff00000, true, 0 },
	/* hole [0x3ff00000, 0x40003000) */
	{ 0x040003000, 0x07fffd000, true, 0 },  /* odd frame-aligned ends */
	/* hole [2 GiB, 4 GiB) */
	{ 0x100000000, 0x120000000, true, 0 },  /* one GiB added as two halves: */
	{ 0x120000000, 0x140000000, true, 0 },  /* they must merge to order 18 */
	{ 0x140200000, 0x150005000, true, 0 },
};
#define NSEGS   (sizeof(segs) / sizeof(segs[0]))
#define RAM_LOW 0x000100000ull
#define RAM_END 0x150005000ull

static uint8_t *arena, *meta;
static uint64_t scratch[2], added_frames, rng;
static unsigned long bad_access; /* allocator touched a hole or kept-back RAM */
static struct buddy B;

static void *phys_to_virt(uint64_t pa)
{
	for (unsigned i = 0; i < NSEGS; i++) {
		if (pa < segs[i].start || pa >= segs[i].end)
			continue;
		if (!segs[i].add || (pa & (PAGE - 1)))
			bad_access++;
		return arena + segs[i].off + (pa - segs[i].start);
	}
	bad_access++;
	return scratch; /* keep going; run() reports it */
}

static const struct buddy_env env = { .phys_to_virt = phys_to_virt };

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- check plumbing ---------------------------------------------------- */

static int passed, failed;
static char detail[512];

static bool __attribute__((format(printf, 2, 3))) fail_at(int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(detail, sizeof(detail), "line %d: ", line);

	va_start(ap, fmt);
	vsnprintf(detail + n, sizeof(detail) - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

#define REQUIRE(c, ...) do { if (!(c)) return fail_at(__LINE__, __VA_ARGS__); } while (0)

static bool setup(void)
{
	buddy_init(&B, RAM_LOW, RAM_END, meta, &env);
	for (unsigned i = 0; i < NSEGS; i++) {
		enum buddy_status s = BUDDY_OK;

		if (segs[i].add && (s = buddy_add_range(&B, segs[i].start, segs[i].end - segs[i].start)))
			return fail_at(__LINE__, "add_range seg %u: %s", i, buddy_status_str(s));
	}
	return true;
}

/* Free-list counts and both counters equal; heads may differ (list order). */
static bool same_counts(const struct buddy *a)
{
	for (unsigned k = 0; k < BUDDY_ORDERS; k++) {
		if (a->free[k].count != B.free[k].count)
			return false;
	}
	return a->free_frames == B.free_frames && a->managed_frames == B.managed_frames;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Allocates every free block, largest order first so nothing splits, and
 * frees them again. keys[] gets the sorted (pa | order) of the free blocks. */
static bool drain(uint64_t *keys, size_t *n)
{
	struct buddy before = B;
	size_t got = 0;
	uint64_t pa;

	for (int k = BUDDY_MAX_ORDER; k >= 0; k--) {
		size_t first = got;

		while (got < DRAIN_MAX && buddy_alloc(&B, (unsigned)k, &pa) == BUDDY_OK)
			keys[got++] = pa | (uint64_t)k;
		REQUIRE(got - first == before.free[k].count, "order %d: drained %zu blocks, list had %" PRIu64,
			k, got - first, before.free[k].count);
	}
	REQUIRE(B.free_frames == 0, "%" PRIu64 " frames free after draining", B.free_frames);
	for (size_t i = 0; i < got; i++)
		REQUIRE(buddy_free(&B, keys[i] & ~(PAGE - 1), NULL) == BUDDY_OK, "refree %#" PRIx64, keys[i]);
	REQUIRE(same_counts(&before), "freeing the drained blocks did not restore the lists");
	qsort(keys, got, sizeof(*keys), cmp_u64);
	*n = got;
	return true;
}

static uint64_t ref_keys[DRAIN_MAX]; /* free blocks right after setup() */
static size_t ref_n;

static bool lists_match_ref(void)
{
	static uint64_t keys[DRAIN_MAX];
	size_t n;

	if (!drain(keys, &n))
		return false;
	REQUIRE(n == ref_n && !memcmp(keys, ref_keys, n * sizeof(*keys)),
		"free blocks differ from those after add_range (%zu vs %zu blocks)", n, ref_n);
	return true;
}

enum { FRESH = 1, RESTORES = 2 };

/* FRESH: start from setup(). RESTORES: the test must leave exactly the free
 * blocks setup() made, which catches stray state changes on error paths. */
static void run(const char *name, bool (*fn)(void), unsigned flags)
{
	unsigned long bad = bad_access;
	bool ok = (!(flags & FRESH) || setup()) && fn() && (!(flags & RESTORES) || lists_match_ref());

	if (ok && bad_access != bad)
		ok = fail_at(0, "allocator touched %lu frames outside added RAM", bad_access - bad);
	printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : ": ", ok ? "" : detail);
	*(ok ? &passed : &failed) += 1;
}

/* ---- helpers ----------------------------------------------------------- */

/* Is [pa, pa + len) covered by added segments (adjacent ones chain)? */
static bool in_added(uint64_t pa, uint64_t len)
{
	uint64_t cur = pa;

	for (unsigned i = 0; i < NSEGS && cur < pa + len; i++) {
		if (segs[i].add && cur >= segs[i].start && cur < segs[i].end)
			cur = segs[i].end;
	}
	return cur >= pa + len;
}

static bool block_ok(unsigned order, uint64_t pa)
{
	REQUIRE(!(pa & ((PAGE << order) - 1)), "order %u block %#" PRIx64 " misaligned", order, pa);
	REQUIRE(in_added(pa, PAGE << order), "block %#" PRIx64 " not in added RAM", pa);
	return true;
}

static bool alloc_ok(unsigned order, uint64_t *pa)
{
	enum buddy_status s = buddy_alloc(&B, order, pa);

	REQUIRE(s == BUDDY_OK, "alloc(%u) = %s", order, buddy_status_str(s));
	return block_ok(order, *pa);
}

static bool free_ok(uint64_t pa, unsigned order)
{
	unsigned got = ~0u;
	enum buddy_status s = buddy_free(&B, pa, &got);

	REQUIRE(s == BUDDY_OK && got == order, "free(%#" PRIx64 ") = %s order %u, want ok order %u",
		pa, buddy_status_str(s), got, order);
	return true;
}

/* Each free must fail with want and leave the allocator struct untouched. */
static bool frees_fail(enum buddy_status want, const uint64_t *pa, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct buddy before = B;
		enum buddy_status s = buddy_free(&B, pa[i], NULL);

		REQUIRE(s == want, "free(%#" PRIx64 ") = %s, want %s", pa[i], buddy_status_str(s),
			buddy_status_str(want));
		REQUIRE(!memcmp(&before, &B, sizeof(B)), "failed free(%#" PRIx64 ") changed state", pa[i]);
	}
	return true;
}

#define FREES_FAIL(want, ...) \
	frees_fail(want, (const uint64_t[]){ __VA_ARGS__ }, \
		   sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

/* Two live order-k blocks that are each other's buddy, lo < hi. Splitting
 * hands out both halves of a block within a few calls. */
static bool alloc_buddy_pair(unsigned k, uint64_t *lo, uint64_t *hi)
{
	uint64_t pa[16];
	unsigned n, i = 0;

	for (n = 0; n < 16; n++) {
		if (!alloc_ok(k, &pa[n]))
			return false;
		for (i = 0; i < n && (pa[i] ^ pa[n]) != PAGE << k; i++)
			;
		if (i < n)
			break;
	}
	REQUIRE(n < 16, "no buddy pair among 16 order-%u blocks", k);
	*lo = pa[i] < pa[n] ? pa[i] : pa[n];
	*hi = pa[i] ^ pa[n] ^ *lo;
	for (unsigned j = 0; j < n; j++) {
		if (j != i && !free_ok(pa[j], k))
			return false;
	}
	return true;
}

/* ---- deterministic checks ---------------------------------------------- */

static bool test_order_for(void)
{
	REQUIRE(buddy_order_for(1) == 0 && buddy_order_for(PAGE) == 0, "4 KiB");
	REQUIRE(buddy_order_for(PAGE + 1) == 1 && buddy_order_for(2ull << 20) == 9, "8 KiB / 2 MiB");
	REQUIRE(buddy_order_for(GIB) == 18 && buddy_order_for(GIB + 1) == -1, "1 GiB");
	REQUIRE(buddy_meta_bytes(RAM_LOW, RAM_END) == RAM_END / PAGE, "meta bytes from 0");
	REQUIRE(buddy_meta_bytes(GIB + 5 * PAGE, GIB + 9 * PAGE) == 9, "meta bytes from 1 GiB");
	REQUIRE(strcmp(buddy_status_str(BUDDY_EDOUBLE), buddy_status_str(BUDDY_EFOREIGN)), "strings");
	return true;
}

static bool test_add_ranges(void)
{
	uint64_t stats[BUDDY_ORDERS], sum = 0;

	buddy_stats(&B, stats);
	for (unsigned k = 0; k < BUDDY_ORDERS; k++)
		sum += stats[k] << k;
	REQUIRE(B.base == 0 && B.nframes == RAM_END / PAGE, "base %#" PRIx64, B.base);
	REQUIRE(B.managed_frames == added_frames && B.free_frames == added_frames && sum == added_frames,
		"managed %" PRIu64 " free %" PRIu64 " in lists %" PRIu64 ", want %" PRIu64,
		B.managed_frames, B.free_frames, sum, added_frames);
	REQUIRE(stats[BUDDY_MAX_ORDER] == 1, "the two halves at 4 GiB did not merge");
	return true;
}

static bool test_drain_reference(void)
{
	return drain(ref_keys, &ref_n);
}

static bool test_alloc_free_per_order(void)
{
	uint64_t pa;

	for (unsigned k = 0; k < BUDDY_ORDERS; k++) {
		struct buddy before = B;

		if (!alloc_ok(k, &pa))
			return false;
		REQUIRE(B.free_frames == before.free_frames - (1ull << k), "order %u: free_frames", k);
		if (!free_ok(pa, k))
			return false;
		REQUIRE(same_counts(&before), "order %u: free did not merge back", k);
	}
	REQUIRE(buddy_alloc(&B, BUDDY_ORDERS, &pa) == BUDDY_EINVAL, "order 19 accepted");
	return true;
}

static bool test_order18(void)
{
	uint64_t g, a, b;

	if (!alloc_ok(18, &g))
		return false;
	REQUIRE(g == 4 * GIB, "1 GiB block at %#" PRIx64, g);
	REQUIRE(buddy_alloc(&B, 18, &a) == BUDDY_ENOMEM, "second 1 GiB block");
	if (!free_ok(g, 18) || !alloc_ok(17, &a) || !alloc_ok(17, &b))
		return false;
	REQUIRE((a ^ b) == GIB / 2 && (a & ~(GIB - 1)) == g, "halves %#" PRIx64 " %#" PRIx64, a, b);
	return free_ok(b, 17) && free_ok(a, 17);
}

static bool test_double_free_immediate(void)
{
	uint64_t lo, hi;

	/* While hi is live lo cannot merge, so the second free finds its head. */
	return alloc_buddy_pair(0, &lo, &hi) && free_ok(lo, 0) && FREES_FAIL(BUDDY_EDOUBLE, lo) &&
	       free_ok(hi, 0);
}

static bool test_double_free_after_merge(void)
{
	for (unsigned k = 0; k <= 4; k += 4) {
		uint64_t lo, hi;

		/* After the merge hi is a tail inside a larger free block. */
		if (!alloc_buddy_pair(k, &lo, &hi) || !free_ok(hi, k) || !free_ok(lo, k) ||
		    !FREES_FAIL(BUDDY_EDOUBLE, hi, lo))
			return false;
	}
	return true;
}

static bool test_free_interior(void)
{
	uint64_t x, g;

	return alloc_ok(3, &x) && alloc_ok(18, &g) &&
	       FREES_FAIL(BUDDY_EFOREIGN, x + PAGE, x + 7 * PAGE, g + GIB / 2 + 5 * PAGE, g + GIB - PAGE) &&
	       free_ok(x, 3) && free_ok(g, 18);
}

static bool test_free_reserved(void)
{
	return FREES_FAIL(BUDDY_EFOREIGN, 0x0, 0xff000, 0x1000000, 0x1201000, 0x13ff000);
}

static bool test_free_hole(void)
{
	return FREES_FAIL(BUDDY_EFOREIGN, 0x3ff00000, 0x40000000, 0x40002000, 0x7fffd000, 0x80000000,
			  0xfffff000, 0x140000000, 0x1401ff000);
}

static bool test_free_unaligned(void)
{
	uint64_t x;

	return alloc_ok(2, &x) && FREES_FAIL(BUDDY_EFOREIGN, x + 1, x + 8, x + PAGE - 1) && free_ok(x, 2);
}

static bool test_free_outside(void)
{
	static uint8_t meta_hi[4096];
	struct buddy hi;

	if (!FREES_FAIL(BUDDY_EFOREIGN, RAM_END, RAM_END + PAGE, 1ull << 40, ~(PAGE - 1)))
		return false;
	/* Below base needs an allocator whose base is not 0; it gets no RAM. */
	buddy_init(&hi, 4 * GIB + 0x200000, 4 * GIB + 0x1000000, meta_hi, &env);
	REQUIRE(hi.base == 4 * GIB && hi.nframes == 4096, "base %#" PRIx64, hi.base);
	REQUIRE(buddy_free(&hi, hi.base - PAGE, NULL) == BUDDY_EFOREIGN, "below base");
	REQUIRE(buddy_free(&hi, 0x200000, NULL) == BUDDY_EFOREIGN, "far below base");
	return true;
}

static bool test_add_range_invalid(void)
{
	static const struct { uint64_t pa, len; } bad[] = {
		{ 0x1000800, PAGE },          /* misaligned start */
		{ 0x1000000, PAGE + 100 },    /* misaligned length */
		{ 0x13fe000, 0x4000 },        /* runs into added RAM */
		{ 0x200000, PAGE },           /* already added */
		{ RAM_END - PAGE, 2 * PAGE }, /* past the covered range */
		{ ~(PAGE - 1), 2 * PAGE },    /* wraps */
	};
	struct buddy before = B;
	enum buddy_status s;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = buddy_add_range(&B, bad[i].pa, bad[i].len);
		REQUIRE(s == BUDDY_EINVAL, "add_range(%#" PRIx64 ", %#" PRIx64 ") = %s", bad[i].pa,
			bad[i].len, buddy_status_str(s));
		REQUIRE(!memcmp(&before, &B, sizeof(B)), "rejected add_range %u changed state", i);
	}
	/* The rejected overlap must not have claimed its reserved frames. */
	if (!FREES_FAIL(BUDDY_EFOREIGN, 0x13fe000) || !lists_match_ref())
		return false;
	segs[1].add = true; /* from now on the allocator may touch it */
	s = buddy_add_range(&B, 0x1000000, 0x400000);
	segs[1].add = false;
	REQUIRE(s == BUDDY_OK, "adding kept-back RAM: %s", buddy_status_str(s));
	REQUIRE(B.managed_frames == added_frames + 1024 && B.free_frames == added_frames + 1024,
		"counters after late add");
	REQUIRE(buddy_add_range(&B, 0x1000000, PAGE) == BUDDY_EINVAL, "added twice");
	return true;
}

/* ---- random operations against a model --------------------------------- */

/* busy[k][r]: frames of aligned 2^k-frame region r that are allocated,
 * unmanaged or past the end. zero[k] counts regions with none: the order-k
 * blocks a correct buddy allocator must be able to hand out. */
static struct {
	uint32_t *busy[BUDDY_ORDERS];
	uint64_t zero[BUDDY_ORDERS];
	uint64_t free_frames;
} M;

static struct live { uint64_t pa; unsigned order; } *live;
static size_t nlive;
static unsigned long n_alloc, n_free, n_nomem;

static void model_update(uint64_t first, uint64_t n, int64_t sign)
{
	for (unsigned k = 0; k < BUDDY_ORDERS; k++) {
		for (uint64_t f = first, step; f < first + n; f += step) {
			uint64_t r = f >> k;
			uint32_t old = M.busy[k][r];

			step = ((r + 1) << k) - f;
			if (step > first + n - f)
				step = first + n - f;
			M.busy[k][r] = (uint32_t)(old + sign * (int64_t)step);
			M.zero[k] += (M.busy[k][r] == 0) - (old == 0);
		}
	}
}

static void model_init(void)
{
	for (unsigned k = 0; k < BUDDY_ORDERS; k++) {
		uint64_t nreg = (B.nframes + (1ull << k) - 1) >> k;

		M.busy[k] = realloc(M.busy[k], nreg * sizeof(uint32_t));
		for (uint64_t r = 0; r < nreg; r++)
			M.busy[k][r] = 1u << k;
		M.zero[k] = 0;
	}
	for (unsigned i = 0; i < NSEGS; i++) {
		if (segs[i].add)
			model_update((segs[i].start - B.base) / PAGE, (segs[i].end - segs[i].start) / PAGE, -1);
	}
	M.free_frames = B.managed_frames;
	nlive = 0;
}

static bool model_alloc(unsigned order, enum buddy_status *st)
{
	struct buddy before = B;
	uint64_t pa = 0, frame;

	*st = buddy_alloc(&B, order, &pa);
	if (*st == BUDDY_ENOMEM) {
		n_nomem++;
		REQUIRE(M.zero[order] == 0, "ENOMEM for order %u, model has %" PRIu64 " free blocks", order,
			M.zero[order]);
		REQUIRE(!memcmp(&before, &B, sizeof(B)), "failed alloc changed state");
		for (unsigned k = order; k < BUDDY_ORDERS; k++)
			REQUIRE(!B.free[k].count, "ENOMEM for order %u with order %u blocks free", order, k);
		return true;
	}
	REQUIRE(*st == BUDDY_OK, "alloc(%u) = %s", order, buddy_status_str(*st));
	if (!block_ok(order, pa))
		return false;
	frame = (pa - B.base) / PAGE;
	REQUIRE(M.free_frames >= 1ull << order, "order %u from %" PRIu64 " frames", order, M.free_frames);
	REQUIRE(!M.busy[order][frame >> order], "block %#" PRIx64 " order %u overlaps a live block", pa, order);
	model_update(frame, 1ull << order, 1);
	M.free_frames -= 1ull << order;
	*(uint64_t *)phys_to_virt(pa) = pa ^ CANARY;
	REQUIRE(nlive < LIVE_MAX, "too many live blocks");
	live[nlive++] = (struct live){ pa, order };
	n_alloc++;
	return true;
}

static bool model_free(size_t i)
{
	struct live l = live[i];

	REQUIRE(*(uint64_t *)phys_to_virt(l.pa) == (l.pa ^ CANARY), "live block %#" PRIx64 " overwritten", l.pa);
	if (!free_ok(l.pa, l.order))
		return false;
	model_update((l.pa - B.base) / PAGE, 1ull << l.order, -1);
	M.free_frames += 1ull << l.order;
	live[i] = live[--nlive];
	n_free++;
	return true;
}

/* Allocate largest-first until even order 0 fails: memory must end up full. */
static bool fill(void)
{
	enum buddy_status st;

	for (int k = BUDDY_MAX_ORDER; k >= 0; k--) {
		do {
			if (!model_alloc((unsigned)k, &st))
				return false;
		} while (st == BUDDY_OK);
	}
	REQUIRE(B.free_frames == 0 && M.free_frames == 0, "%" PRIu64 " frames left after fill", B.free_frames);
	return true;
}

/* Mostly small blocks, as a hypervisor asks for; the rare large ones are
 * what runs into fragmentation. */
static unsigned rand_order(void)
{
	unsigned r = rnd() % 100;

	if (r < 70)
		return rnd() % 5;
	return r < 97 ? 5 + rnd() % 6 : 11 + rnd() % 8;
}

static bool test_random_ops(void)
{
	enum buddy_status st;

	model_init();
	for (unsigned long op = 1; op <= RANDOM_OPS; op++) {
		bool grow = rnd() % 100 < (nlive < LIVE_TARGET ? 60u : 40u);

		if (op % FILL_EVERY == 0) {
			if (!fill())
				return false;
		} else if (grow || !nlive) {
			if (!model_alloc(rand_order(), &st))
				return false;
		} else if (!model_free(rnd() % nlive)) {
			return false;
		}
		REQUIRE(B.free_frames == M.free_frames, "op %lu: free_frames %" PRIu64 ", model %" PRIu64,
			op, B.free_frames, M.free_frames);
	}
	while (nlive) {
		if (!model_free(nlive - 1))
			return false;
	}
	printf("random: %lu ops: %lu allocs, %lu frees, %lu ENOMEM\n", n_alloc + n_free + n_nomem,
	       n_alloc, n_free, n_nomem);
	return true;
}

/* meta[] ends right at an inaccessible page: reading a state byte past the
 * covered range (say, a buddy above the end) faults instead of passing. */
static uint8_t *meta_with_guard(uint64_t bytes)
{
	uint64_t len = (bytes + PAGE - 1) & ~(PAGE - 1);
	uint8_t *p = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + len, PAGE, PROT_NONE))
		return NULL;
	return p + len - bytes;
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : DEFAULT_SEED;
	uint64_t size = 0;

	for (unsigned i = 0; i < NSEGS; i++) {
		segs[i].off = size;
		size += segs[i].end - segs[i].start;
		added_frames += segs[i].add ? (segs[i].end - segs[i].start) / PAGE : 0;
	}
	arena = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	meta = meta_with_guard(buddy_meta_bytes(RAM_LOW, RAM_END));
	live = malloc(LIVE_MAX * sizeof(*live));
	if (arena == MAP_FAILED || !meta || !live) {
		printf("FAIL setup: cannot map %" PRIu64 " bytes of emulated RAM\n0 passed, 1 failed\n", size);
		return 1;
	}
	printf("seed %#" PRIx64 "\n", seed);
	rng = seed;
	run("order_for", test_order_for, 0);
	run("add_ranges", test_add_ranges, FRESH);
	run("drain_reference", test_drain_reference, FRESH);
	run("alloc_free_per_order", test_alloc_free_per_order, FRESH | RESTORES);
	run("order18", test_order18, FRESH | RESTORES);
	run("double_free_immediate", test_double_free_immediate, FRESH | RESTORES);
	run("double_free_after_merge", test_double_free_after_merge, FRESH | RESTORES);
	run("free_interior", test_free_interior, FRESH | RESTORES);
	run("free_reserved", test_free_reserved, FRESH | RESTORES);
	run("free_hole", test_free_hole, FRESH | RESTORES);
	run("free_unaligned", test_free_unaligned, FRESH | RESTORES);
	run("free_outside", test_free_outside, FRESH | RESTORES);
	run("add_range_invalid", test_add_range_invalid, FRESH);
	run("random_ops", test_random_ops, FRESH);
	run("free_all_restores_lists", lists_match_ref, 0);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
