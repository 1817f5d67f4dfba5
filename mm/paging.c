#include "mm/paging.h"

#include "arch/x86/cpu.h"
#include "arch/x86/layout.h"
#include "core/log.h"
#include "core/panic.h"
#include "mm/pmm.h"

#define ENTRIES 512
#define LEVELS  4

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

/* In the image, so it lies below 4 GiB where the AP trampoline can load CR3
 * from 32-bit code. */
static uint64_t root[ENTRIES] __attribute__((aligned(4096)));
static bool have_1g;
/* Clears PTE_NX on CPUs without NX, where bit 63 is reserved. */
static uint64_t nx_mask = ~0ull;

static unsigned idx(uint64_t va, unsigned level) /* level 3 = PML4 .. 0 = PT */
{
	return (va >> (12 + 9 * level)) & (ENTRIES - 1);
}

static uint64_t canonical(uint64_t va)
{
	return (va & (1ull << 47)) ? va | 0xffff000000000000ull : va;
}

static uint64_t *table_va(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDR);
}

static uint64_t *new_table(void)
{
	uint64_t pa, *t;

	if (pmm_alloc(0, &pa))
		return NULL;
	t = phys_to_virt(pa);
	for (unsigned i = 0; i < ENTRIES; i++)
		t[i] = 0;
	return t;
}

/* Returns the entry slot for va at `level`, creating tables above it. NULL if
 * out of memory, or if a large page already covers va (*covered set). */
static uint64_t *walk_create(uint64_t va, unsigned level, bool *covered)
{
	uint64_t *t = root;

	*covered = false;
	for (unsigned l = LEVELS - 1; l > level; l--) {
		uint64_t *e = &t[idx(va, l)];

		if (!(*e & PTE_P)) {
			uint64_t *n = new_table();

			if (!n)
				return NULL;
			/* Intermediate entries grant everything; leaves restrict. */
			*e = virt_to_phys(n) | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			*covered = true;
			return NULL;
		}
		t = table_va(*e);
	}
	return &t[idx(va, level)];
}

/* Maps one page of size 4K << (9 * level). -1: out of memory; 1: already mapped. */
static int map_one(uint64_t va, uint64_t pa, unsigned level, uint64_t flags)
{
	bool covered;
	uint64_t *e = walk_create(va, level, &covered);

	if (covered)
		return 1;
	if (!e)
		return -1;
	if (*e & PTE_P)
		return 1;
	*e = pa | (flags & nx_mask) | PTE_P | (level ? PTE_PS : 0);
	return 0;
}

static unsigned best_level(uint64_t va, uint64_t pa, uint64_t left, bool large)
{
	if (large && have_1g && !((va | pa) & (LARGE_1G - 1)) && left >= LARGE_1G)
		return 2;
	if (large && !((va | pa) & (LARGE_2M - 1)) && left >= LARGE_2M)
		return 1;
	return 0;
}

/* Maps a range with the largest pages alignment allows (large) or 4 KiB only.
 * strict: an existing mapping is an error; else it is left alone. */
static int map_range(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags, bool large,
		     bool strict)
{
	while (len) {
		unsigned level = best_level(va, pa, len, large);
		uint64_t size = PAGE_SIZE << (9 * level);
		int r = map_one(va, pa, level, flags);

		if (r < 0 || (r > 0 && strict))
			return -1;
		va += size;
		pa += size;
		len -= size;
	}
	return 0;
}

int paging_map(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	return map_range(va, pa, ALIGN_UP(len, PAGE_SIZE), flags, false, true);
}

/* Physical address width (CPUID 0x80000008 EAX[7:0]); 36 if not reported. */
static uint64_t phys_limit(void)
{
	unsigned bits = 36;

	if (cpuid(0x80000000, 0).eax >= 0x80000008 && (cpuid(0x80000008, 0).eax & 0xff))
		bits = cpuid(0x80000008, 0).eax & 0xff;
	return bits >= 46 ? DMAP_SIZE : 1ull << bits;
}

int paging_map_phys(uint64_t pa, uint64_t len, bool uc)
{
	uint64_t start = ALIGN_DOWN(pa, PAGE_SIZE);
	uint64_t end = ALIGN_UP(pa + len, PAGE_SIZE);

	/* Firmware pointers are input: refuse wrapping or impossible ranges
	 * rather than build entries with reserved address bits. */
	if (pa + len < pa || end < start || end > phys_limit())
		return -1;
	return map_range(DMAP_BASE + start, start, end - start, PTE_W | PTE_NX | (uc ? PTE_UC : 0),
			 false, false);
}

void paging_unmap(uint64_t va, uint64_t len)
{
	for (uint64_t end = va + len; va < end; va += PAGE_SIZE) {
		uint64_t *t = root;
		unsigned l = LEVELS - 1;

		for (; l > 0; l--) {
			uint64_t e = t[idx(va, l)];

			if (!(e & PTE_P) || (e & PTE_PS))
				break;
			t = table_va(e);
		}
		if (l == 0 && (t[idx(va, 0)] & PTE_P)) {
			t[idx(va, 0)] = 0;
			invlpg(va); /* other CPUs: see the caller's TLB note */
		}
	}
}

static void map_image_section(const char *start, const char *end, uint64_t flags, const char *name)
{
	uint64_t va = (uint64_t)start;

	if (paging_map(va, virt_to_phys(start), (uint64_t)(end - start), flags))
		panic("mm: cannot map image section %s", name);
}

void paging_init(const struct boot_info *bi)
{
	uint64_t mapped = 0;

	have_1g = cpuid(0x80000001, 0).edx & CPUID81_EDX_PAGE1GB;
	if (!(cpuid(0x80000001, 0).edx & CPUID81_EDX_NX)) {
		nx_mask = ~PTE_NX;
		log_warn("mm: CPU has no NX bit: data pages stay executable (W^X not enforced)");
	}

	map_image_section(__text_start, __text_end, 0, "text");             /* RX */
	map_image_section(__rodata_start, __rodata_end, PTE_NX, "rodata");  /* R */
	map_image_section(__data_start, __data_end, PTE_W | PTE_NX, "data"); /* RW */

	for (unsigned i = 0; i < bi->mmap_count; i++) {
		const struct mem_region *m = &bi->mmap[i];
		uint64_t start = ALIGN_DOWN(m->base, PAGE_SIZE);
		uint64_t end = ALIGN_UP(m->base + m->len, PAGE_SIZE);

		if (m->type == MEM_RESERVED || m->type == MEM_BAD || end > DMAP_SIZE)
			continue;
		if (map_range(DMAP_BASE + start, start, end - start, PTE_W | PTE_NX, true, false))
			panic("mm: out of memory building the direct map at 0x%lx", start);
		mapped += end - start;
	}
	write_cr3(virt_to_phys(root));
	log_info("mm: page tables: image W^X, %lu MiB direct-mapped (%s pages)", mapped >> 20,
		 have_1g ? "1G/2M/4K" : "2M/4K");
}

bool paging_nx_enforced(void)
{
	return nx_mask == ~0ull;
}

bool paging_is_mapped(uint64_t va)
{
	/* The live tables: this also works on the early ones, before paging_init. */
	const uint64_t *t = phys_to_virt(read_cr3() & PTE_ADDR);

	if (canonical(va) != va)
		return false;

	for (unsigned l = LEVELS - 1;; l--) {
		uint64_t e = t[idx(va, l)];

		if (!(e & PTE_P))
			return false;
		if (l == 0 || (e & PTE_PS))
			return true;
		t = table_va(e);
	}
}

void paging_load(void)
{
	write_cr3(virt_to_phys(root));
}

uint64_t paging_root_pa(void)
{
	return virt_to_phys(root);
}

static void audit_table(const uint64_t *t, unsigned level, uint64_t base, bool w, bool x,
			struct wx_report *r)
{
	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t e = t[i];
		uint64_t va = canonical(base + ((uint64_t)i << (12 + 9 * level)));
		bool ew = w && (e & PTE_W), ex = x && !(e & PTE_NX);

		if (!(e & PTE_P))
			continue;
		if (level && !(e & PTE_PS)) {
			audit_table(table_va(e), level - 1, va, ew, ex, r);
			continue;
		}
		r->leaves++;
		r->writable += ew;
		r->executable += ex;
		if (ew && ex && !r->wx++)
			r->first_wx_va = va;
	}
}

void paging_audit_wx(struct wx_report *r)
{
	*r = (struct wx_report){ 0 };
	audit_table(root, LEVELS - 1, 0, true, true, r);
}
