#include "boot/mmap_norm.h"

/* Sweep over every region boundary: each elementary segment between two
 * boundaries gets the highest type of the regions covering it. O(n^2) for
 * n <= BOOT_MMAP_MAX, run once at boot. */
static uint64_t bounds[2 * BOOT_MMAP_RAW_MAX];

static void sort_u64(uint64_t *a, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t v = a[i];
		unsigned j = i;

		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static enum mem_type type_at(const struct mem_region *in, unsigned n, uint64_t lo, uint64_t hi)
{
	enum mem_type best = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t end = in[i].base + in[i].len;

		if (in[i].base <= lo && end >= hi && in[i].type > best)
			best = in[i].type;
	}
	return best;
}

int mmap_normalize(const struct mem_region *in, unsigned n, struct mem_region *out, unsigned cap)
{
	unsigned nb = 0, count = 0;

	if (n > BOOT_MMAP_RAW_MAX)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (!in[i].len || in[i].base + in[i].len < in[i].base)
			continue; /* empty or wrapping: ignore */
		bounds[nb++] = in[i].base;
		bounds[nb++] = in[i].base + in[i].len;
	}
	sort_u64(bounds, nb);
	for (unsigned i = 0; i + 1 < nb; i++) {
		uint64_t lo = bounds[i], hi = bounds[i + 1];
		enum mem_type t;

		if (lo == hi)
			continue;
		t = type_at(in, n, lo, hi);
		if (!t)
			continue; /* a hole */
		if (count && out[count - 1].type == t && out[count - 1].base + out[count - 1].len == lo) {
			out[count - 1].len += hi - lo;
			continue;
		}
		if (count == cap)
			return -1;
		out[count++] = (struct mem_region){ lo, hi - lo, t };
	}
	return (int)count;
}
