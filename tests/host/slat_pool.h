/* Emulated page-table memory for tests/host/test_slat.c: table pages at
 * fake, non-contiguous physical addresses, junk-filled when handed out and
 * freed, every access to a page not allocated counted, and an allocation
 * that fails on demand (fail_after). Included once, by test_slat.c. */
#ifndef TESTS_HOST_SLAT_POOL_H
#define TESTS_HOST_SLAT_POOL_H

/* ---- emulated table memory ----------------------------------------------- */

static uint64_t (*pool)[512];
static uint8_t pool_used[POOL_PAGES];
static uint32_t pool_seen[POOL_PAGES], seen_gen;
static unsigned free_stack[POOL_PAGES], free_top;
static uint64_t live, scratch[512];
static long fail_after = -1; /* allocations left before one fails; -1 never */
static unsigned long bad_access, bad_free;

static long pool_index(uint64_t pa)
{
	uint64_t i = (pa - POOL_BASE) / POOL_STRIDE;

	if (pa < POOL_BASE || (pa - POOL_BASE) % POOL_STRIDE || i >= POOL_PAGES)
		return -1;
	return (long)i;
}

static void *env_p2v(void *ctx, uint64_t pa)
{
	long i = pool_index(pa);

	(void)ctx;
	if (i < 0 || !pool_used[i]) {
		bad_access++;
		return scratch;
	}
	return pool[i];
}

static int env_alloc(void *ctx, uint64_t *pa)
{
	unsigned i;

	(void)ctx;
	if (fail_after == 0 || free_top == 0)
		return -1;
	if (fail_after > 0)
		fail_after--;
	i = free_stack[--free_top];
	pool_used[i] = 1;
	live++;
	memset(pool[i], 0xa5, PAGE); /* zeroing is the walker's job */
	*pa = POOL_BASE + i * POOL_STRIDE;
	return 0;
}

static void env_free(void *ctx, uint64_t pa)
{
	long i = pool_index(pa);

	(void)ctx;
	if (i < 0 || !pool_used[i]) {
		bad_free++;
		return;
	}
	pool_used[i] = 0;
	live--;
	memset(pool[i], 0xdb, PAGE);
	free_stack[free_top++] = (unsigned)i;
}

static const struct slat_env env = { env_p2v, env_alloc, env_free, NULL };

static uint64_t rng;

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
