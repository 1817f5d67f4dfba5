#include "mm/pmm.h"

#include "arch/x86/spinlock.h"
#include "core/fmt.h"
#include "core/log.h"
#include "core/panic.h"

#define RANGES_MAX   512
#define LOW_1M       0x100000ull
#define EARLY_LIMIT  0x100000000ull /* the early page tables map only 0..4 GiB */

struct range {
	uint64_t start, end;
};

extern char __image_phys_start[], __image_phys_end[];

static struct range ranges[RANGES_MAX], scratch[RANGES_MAX];
static unsigned nranges;
static struct buddy buddy;
static struct spinlock pmm_lock = SPINLOCK_INIT; /* lock order 1 */
static bool buddy_ready;
static uint64_t usable_bytes, tramp_pa;

static void *env_phys_to_virt(uint64_t pa)
{
	return phys_to_virt(pa);
}

static const struct buddy_env buddy_env = { .phys_to_virt = env_phys_to_virt };

/* Removes [s, e) from the free ranges, splitting where needed. */
static void subtract(uint64_t s, uint64_t e)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nranges; i++) {
		struct range r = ranges[i];

		if (e <= r.start || s >= r.end) {
			scratch[n++] = r;
			continue;
		}
		if (r.start < s)
			scratch[n++] = (struct range){ r.start, s };
		if (e < r.end) {
			if (n == RANGES_MAX)
				panic("mm: too many free ranges");
			scratch[n++] = (struct range){ e, r.end };
		}
	}
	for (unsigned i = 0; i < n; i++)
		ranges[i] = scratch[i];
	nranges = n;
}

static void reserve(uint64_t start, uint64_t end, const char *what)
{
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	log_info("mm: reserved [0x%09lx-0x%09lx) %s", start, end, what);
	subtract(start, end);
}

/* Highest free page in [4 KiB, 1 MiB): real-mode code for the APs' SIPI. */
static uint64_t pick_trampoline(void)
{
	for (unsigned i = nranges; i-- > 0;) {
		uint64_t end = ranges[i].end < LOW_1M ? ranges[i].end : LOW_1M;

		if (end >= ranges[i].start + PAGE_SIZE && end - PAGE_SIZE >= PAGE_SIZE)
			return end - PAGE_SIZE;
	}
	return 0;
}

void pmm_init_early(const struct boot_info *bi)
{
	for (unsigned i = 0; i < bi->mmap_count; i++) {
		const struct mem_region *m = &bi->mmap[i];
		uint64_t s = ALIGN_UP(m->base, PAGE_SIZE), e = ALIGN_DOWN(m->base + m->len, PAGE_SIZE);

		if (m->type != MEM_USABLE)
			continue;
		usable_bytes += m->len;
		if (e <= s)
			continue;
		if (nranges == RANGES_MAX)
			panic("mm: too many usable memory ranges");
		ranges[nranges++] = (struct range){ s, e };
	}
	if (!nranges)
		panic("mm: the memory map has no usable RAM");
	reserve((uint64_t)__image_phys_start + image_load_offset,
		(uint64_t)__image_phys_end + image_load_offset, "hypervisor image");
	reserve(bi->info_pa, bi->info_pa + bi->info_size, "multiboot2 information");
	for (unsigned i = 0; i < bi->mod_count; i++) {
		char what[96];

		fmt_snprintf(what, sizeof(what), "module '%s'", bi->mods[i].name);
		reserve(bi->mods[i].start, bi->mods[i].end, what);
	}
	tramp_pa = pick_trampoline();
	if (tramp_pa)
		reserve(tramp_pa, tramp_pa + PAGE_SIZE, "AP trampoline");
	else
		log_warn("mm: no free page below 1 MiB: application processors cannot start");
}

/* Bump allocation from the free ranges, above 1 MiB and below 4 GiB. */
static int early_take(uint64_t bytes, uint64_t align, uint64_t *pa)
{
	for (unsigned i = 0; i < nranges; i++) {
		uint64_t s = ALIGN_UP(ranges[i].start > LOW_1M ? ranges[i].start : LOW_1M, align);
		uint64_t e = ranges[i].end < EARLY_LIMIT ? ranges[i].end : EARLY_LIMIT;

		if (s < e && e - s >= bytes) {
			subtract(s, s + bytes);
			*pa = s;
			return 0;
		}
	}
	return -1;
}

void pmm_init_buddy(void)
{
	uint64_t lo = ranges[0].start, hi = ranges[0].end, meta_pa, bytes;

	for (unsigned i = 1; i < nranges; i++) {
		lo = ranges[i].start < lo ? ranges[i].start : lo;
		hi = ranges[i].end > hi ? ranges[i].end : hi;
	}
	bytes = ALIGN_UP(buddy_meta_bytes(lo, hi), PAGE_SIZE);
	if (early_take(bytes, PAGE_SIZE, &meta_pa))
		panic("mm: no room below 4 GiB for %lu KiB of allocator metadata", bytes >> 10);
	log_info("mm: reserved [0x%09lx-0x%09lx) buddy metadata", meta_pa, meta_pa + bytes);
	buddy_init(&buddy, lo, hi, phys_to_virt(meta_pa), &buddy_env);
	for (unsigned i = 0; i < nranges; i++) {
		enum buddy_status st = buddy_add_range(&buddy, ranges[i].start,
						       ranges[i].end - ranges[i].start);

		if (st != BUDDY_OK)
			panic("mm: buddy refused [0x%lx-0x%lx): %s", ranges[i].start, ranges[i].end,
			      buddy_status_str(st));
	}
	buddy_ready = true;
	log_info("mm: buddy allocator owns %lu KiB in %u ranges", buddy.free_frames * 4, nranges);
}

int pmm_alloc(unsigned order, uint64_t *pa)
{
	enum buddy_status st;

	if (!buddy_ready)
		return early_take(PAGE_SIZE << order, PAGE_SIZE << order, pa);
	spin_lock(&pmm_lock);
	st = buddy_alloc(&buddy, order, pa);
	spin_unlock(&pmm_lock);
	return st == BUDDY_OK ? 0 : -1;
}

void pmm_free(uint64_t pa)
{
	enum buddy_status st;

	spin_lock(&pmm_lock);
	st = buddy_ready ? buddy_free(&buddy, pa, NULL) : BUDDY_EFOREIGN;
	spin_unlock(&pmm_lock);
	if (st != BUDDY_OK)
		panic("mm: bad free of 0x%lx: %s", pa, buddy_status_str(st));
}

uint64_t pmm_trampoline_page(void)
{
	return tramp_pa;
}

void pmm_totals(struct pmm_totals *t)
{
	spin_lock(&pmm_lock);
	t->usable_bytes = usable_bytes;
	t->free_bytes = buddy.free_frames * PAGE_SIZE;
	t->reserved_bytes = usable_bytes - buddy.managed_frames * PAGE_SIZE;
	spin_unlock(&pmm_lock);
}

void pmm_stats(uint64_t per_order[BUDDY_ORDERS])
{
	spin_lock(&pmm_lock);
	buddy_stats(&buddy, per_order);
	spin_unlock(&pmm_lock);
}

void pmm_log_stats(void)
{
	static const char *const size[BUDDY_ORDERS] = {
		"4K", "8K", "16K", "32K", "64K", "128K", "256K", "512K", "1M", "2M",
		"4M", "8M", "16M", "32M", "64M", "128M", "256M", "512M", "1G",
	};
	uint64_t n[BUDDY_ORDERS];
	char line[400];
	int len = 0;

	pmm_stats(n);
	for (unsigned k = 0; k < BUDDY_ORDERS && len < (int)sizeof(line); k++)
		len += fmt_snprintf(line + len, sizeof(line) - len, " %s:%lu", size[k], n[k]);
	log_info("mm: free blocks per order:%s", line);
}
