/* Multiboot boot information, the producer side (boot/mb2.c is our own
 * consumer): Multiboot 0.6.96 section 3.3 (struct multiboot_info) and
 * Multiboot2 1.0 section 3.6 (tags). Placement: the information at the first
 * page boundary above the kernel, the modules page-aligned after it, all in
 * RAM below 4 GiB. A kernel that takes the memory after its last module for
 * itself then clobbers neither. Everything is written through loader_write
 * into a range that was zeroed first, so padding is always 0. */
#include "core/loader.h"
#include "boot/mb2_spec.h"

#define KIB          1024ull
#define LOW_MEM_TOP  (640 * KIB) /* the PC's conventional memory */
#define HIGH_MEM     (1024 * KIB)

/* Multiboot 0.6.96 3.3: struct multiboot_info, up to the framebuffer fields. */
enum mb1_info_field {
	MB1I_FLAGS = 0,
	MB1I_MEM_LOWER = 4,
	MB1I_MEM_UPPER = 8,
	MB1I_CMDLINE = 16,
	MB1I_MODS_COUNT = 20,
	MB1I_MODS_ADDR = 24,
	MB1I_MMAP_LENGTH = 44,
	MB1I_MMAP_ADDR = 48,
	MB1I_LOADER_NAME = 64,
	MB1I_SIZE = 120, /* 116 rounded up to 8 */
};
#define MB1_INFO_MEMORY  (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS    (1u << 3)
#define MB1_INFO_MMAP    (1u << 6)
#define MB1_INFO_LOADER  (1u << 9)
#define MB1_MOD_SIZE     16 /* mod_start, mod_end, string, reserved */
#define MB1_MMAP_SIZE    24 /* size (=20, excluding itself), base, length, type */

#define MB2_INFO_HEADER  8  /* total_size, reserved */
#define MB2_TAG_HEADER   8  /* type, size */
#define MB2_MODULE_HDR   16 /* + mod_start, mod_end */
#define MB2_MEMINFO_SIZE 16
#define MB2_MMAP_HDR     16 /* + entry_size, entry_version */
#define MB2_MMAP_ENTRY   24 /* base, length, type, reserved */

static const char empty[] = "";

static const char *str_or_empty(const char *s)
{
	return s ? s : empty;
}

/* Length of s if it ends within LOADER_STR_MAX bytes, else UINT64_MAX. */
static uint64_t str_len(const char *s)
{
	for (uint64_t n = 0; n <= LOADER_STR_MAX; n++)
		if (!s[n])
			return n;
	return UINT64_MAX;
}

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~7ull;
}

/* Bytes of boot information for rq, or UINT64_MAX after a message. */
static uint64_t info_len(struct loader_ctx *c, const struct load_request *rq, int version)
{
	uint64_t cmd = str_len(str_or_empty(rq->cmdline));
	uint64_t name = str_len(rq->loader_name ? rq->loader_name : "hv");
	uint64_t len;

	if (cmd == UINT64_MAX || name == UINT64_MAX) {
		loader_fail(c, LOADER_EINVAL, "%s is longer than %d bytes",
			    cmd == UINT64_MAX ? "command line" : "loader name", LOADER_STR_MAX);
		return UINT64_MAX;
	}
	if (version == 1)
		len = MB1I_SIZE + (uint64_t)rq->mod_count * MB1_MOD_SIZE +
		      (uint64_t)rq->region_count * MB1_MMAP_SIZE + cmd + 1 + name + 1;
	else
		len = MB2_INFO_HEADER + align8(MB2_TAG_HEADER + cmd + 1) +
		      align8(MB2_TAG_HEADER + name + 1) + MB2_MEMINFO_SIZE + MB2_MMAP_HDR +
		      (uint64_t)rq->region_count * MB2_MMAP_ENTRY + MB2_TAG_HEADER;
	for (unsigned i = 0; i < rq->mod_count; i++) {
		uint64_t n = str_len(str_or_empty(rq->mods[i].name));

		if (n == UINT64_MAX) {
			loader_fail(c, LOADER_EINVAL, "module %u's name is longer than %d bytes", i,
				    LOADER_STR_MAX);
			return UINT64_MAX;
		}
		len += version == 1 ? n + 1 : align8(MB2_MODULE_HDR + n + 1);
	}
	return len; /* at most a few hundred KiB: no overflow */
}

/* The lowest page-aligned gpa >= *cursor where [gpa, gpa + len) is RAM and
 * gpa + len < 4 GiB (end addresses are 32-bit fields); moves *cursor past
 * it. False if there is none. */
static bool place(const struct loader_ctx *c, uint64_t *cursor, uint64_t len, uint64_t *gpa)
{
	uint64_t best = UINT64_MAX;

	if (!len)
		len = 1; /* an empty module still needs an address of its own */
	for (unsigned i = 0; i <= c->nregions; i++) {
		uint64_t cand = i < c->nregions ? c->regions[i].base : *cursor;

		if (cand < *cursor)
			cand = *cursor;
		if (cand >= LOADER_4G)
			continue;
		cand = (cand + LOADER_PAGE - 1) & ~(LOADER_PAGE - 1); /* <= 4 GiB */
		if (cand < LOADER_4G && len < LOADER_4G - cand && cand < best &&
		    loader_in_ram(c, cand, len))
			best = cand;
	}
	if (best == UINT64_MAX)
		return false;
	*gpa = best;
	*cursor = best + len;
	return true;
}

int loader_mb_place(struct loader_ctx *c, const struct load_request *rq,
		    const struct loader_plan *p, int version, struct loader_mb_layout *l)
{
	uint64_t cursor = p->end;

	l->info_len = info_len(c, rq, version);
	if (l->info_len == UINT64_MAX)
		return LOADER_EINVAL;
	if (!place(c, &cursor, l->info_len, &l->info))
		return loader_fail(c, LOADER_ENOSPACE,
				   "no room for the boot information (%lu bytes) in RAM below 4 GiB above the kernel (which ends at 0x%lx)",
				   (unsigned long)l->info_len, (unsigned long)p->end);
	for (unsigned i = 0; i < rq->mod_count; i++) {
		if (place(c, &cursor, rq->mods[i].size, &l->mod[i]))
			continue;
		return loader_fail(c, LOADER_ENOSPACE,
				   "module %u ('%s', %lu bytes) does not fit in RAM below 4 GiB after the kernel and the modules before it",
				   i, str_or_empty(rq->mods[i].name), (unsigned long)rq->mods[i].size);
	}
	return LOADER_OK;
}

/* Bytes of RAM from gpa on, across adjacent RAM regions, up to cap. */
static uint64_t ram_run(const struct loader_ctx *c, uint64_t gpa, uint64_t cap)
{
	uint64_t cur = gpa;

	for (unsigned n = 0; n < c->nregions && cur - gpa < cap; n++) {
		unsigned i;

		for (i = 0; i < c->nregions; i++) {
			const struct guest_region *r = &c->regions[i];

			if (r->type == GUEST_REGION_RAM && cur >= r->base && cur - r->base < r->len)
				break;
		}
		if (i == c->nregions)
			break;
		cur = c->regions[i].base + c->regions[i].len;
	}
	return cur - gpa < cap ? cur - gpa : cap;
}

static int put32(struct loader_ctx *c, uint64_t gpa, uint64_t v)
{
	const uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	return loader_write(c, gpa, b, sizeof(b));
}

static int put64(struct loader_ctx *c, uint64_t gpa, uint64_t v)
{
	int rc = put32(c, gpa, v);

	return rc ? rc : put32(c, gpa + 4, v >> 32);
}

/* Writes s and its NUL at *at, moves *at past them; its gpa into *where
 * unless NULL. */
static int put_str(struct loader_ctx *c, uint64_t *at, const char *s, uint64_t *where)
{
	uint64_t gpa = *at, n = str_len(s) + 1; /* lengths were checked by info_len */

	*at = gpa + n;
	if (where)
		*where = gpa;
	return loader_write(c, gpa, s, n);
}

static uint32_t mem_lower_kib(const struct loader_ctx *c)
{
	return (uint32_t)(ram_run(c, 0, LOW_MEM_TOP) / KIB);
}

static uint32_t mem_upper_kib(const struct loader_ctx *c)
{
	return (uint32_t)(ram_run(c, HIGH_MEM, UINT32_MAX * KIB) / KIB);
}

static uint32_t mmap_type(int type)
{
	return type == GUEST_REGION_RAM ? GUEST_REGION_RAM : GUEST_REGION_RESERVED;
}

int loader_mb1_write_info(struct loader_ctx *c, const struct load_request *rq,
			  const struct loader_mb_layout *l)
{
	const uint64_t a = l->info, mods = a + MB1I_SIZE;
	const uint64_t mmap = mods + (uint64_t)rq->mod_count * MB1_MOD_SIZE;
	uint64_t at = mmap + (uint64_t)rq->region_count * MB1_MMAP_SIZE, cmd, name, s;
	int rc = loader_zero(c, a, l->info_len);

	rc = rc ? rc : put_str(c, &at, str_or_empty(rq->cmdline), &cmd);
	rc = rc ? rc : put_str(c, &at, rq->loader_name ? rq->loader_name : "hv", &name);
	for (unsigned i = 0; !rc && i < rq->mod_count; i++) {
		const uint64_t m = mods + (uint64_t)i * MB1_MOD_SIZE;

		rc = put_str(c, &at, str_or_empty(rq->mods[i].name), &s);
		rc = rc ? rc : put32(c, m, l->mod[i]);
		rc = rc ? rc : put32(c, m + 4, l->mod[i] + rq->mods[i].size);
		rc = rc ? rc : put32(c, m + 8, s);
	}
	for (unsigned i = 0; !rc && i < rq->region_count; i++) {
		const uint64_t e = mmap + (uint64_t)i * MB1_MMAP_SIZE;

		rc = put32(c, e, MB1_MMAP_SIZE - 4);
		rc = rc ? rc : put64(c, e + 4, rq->regions[i].base);
		rc = rc ? rc : put64(c, e + 12, rq->regions[i].len);
		rc = rc ? rc : put32(c, e + 20, mmap_type(rq->regions[i].type));
	}
	rc = rc ? rc : put32(c, a + MB1I_FLAGS, MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS |
						 MB1_INFO_MMAP | MB1_INFO_LOADER);
	rc = rc ? rc : put32(c, a + MB1I_MEM_LOWER, mem_lower_kib(c));
	rc = rc ? rc : put32(c, a + MB1I_MEM_UPPER, mem_upper_kib(c));
	rc = rc ? rc : put32(c, a + MB1I_CMDLINE, cmd);
	rc = rc ? rc : put32(c, a + MB1I_MODS_COUNT, rq->mod_count);
	rc = rc ? rc : put32(c, a + MB1I_MODS_ADDR, mods);
	rc = rc ? rc : put32(c, a + MB1I_MMAP_LENGTH, (uint64_t)rq->region_count * MB1_MMAP_SIZE);
	rc = rc ? rc : put32(c, a + MB1I_MMAP_ADDR, mmap);
	rc = rc ? rc : put32(c, a + MB1I_LOADER_NAME, name);
	return rc;
}

/* A tag header at *at, then (for strings) the string; *at moves to the next
 * 8-byte boundary. */
static int put_tag(struct loader_ctx *c, uint64_t *at, uint32_t type, uint64_t size)
{
	int rc = put32(c, *at, type);

	rc = rc ? rc : put32(c, *at + 4, size);
	return rc;
}

static int put_str_tag(struct loader_ctx *c, uint64_t *at, uint32_t type, const char *s)
{
	uint64_t n = str_len(s) + 1, where = *at + MB2_TAG_HEADER;
	int rc = put_tag(c, at, type, MB2_TAG_HEADER + n);

	rc = rc ? rc : put_str(c, &where, s, NULL);
	*at = align8(*at + MB2_TAG_HEADER + n);
	return rc;
}

int loader_mb2_write_info(struct loader_ctx *c, const struct load_request *rq,
			  const struct loader_mb_layout *l)
{
	uint64_t at = l->info + MB2_INFO_HEADER;
	int rc = loader_zero(c, l->info, l->info_len);

	rc = rc ? rc : put32(c, l->info, l->info_len);
	rc = rc ? rc : put_str_tag(c, &at, MB2I_CMDLINE, str_or_empty(rq->cmdline));
	rc = rc ? rc : put_str_tag(c, &at, MB2I_LOADER_NAME, rq->loader_name ? rq->loader_name : "hv");
	for (unsigned i = 0; !rc && i < rq->mod_count; i++) {
		const char *name = str_or_empty(rq->mods[i].name);
		uint64_t n = str_len(name) + 1, s = at + MB2_MODULE_HDR;

		rc = put_tag(c, &at, MB2I_MODULE, MB2_MODULE_HDR + n);
		rc = rc ? rc : put32(c, at + 8, l->mod[i]);
		rc = rc ? rc : put32(c, at + 12, l->mod[i] + rq->mods[i].size);
		rc = rc ? rc : put_str(c, &s, name, NULL);
		at = align8(at + MB2_MODULE_HDR + n);
	}
	rc = rc ? rc : put_tag(c, &at, MB2I_MEMINFO, MB2_MEMINFO_SIZE);
	rc = rc ? rc : put32(c, at + 8, mem_lower_kib(c));
	rc = rc ? rc : put32(c, at + 12, mem_upper_kib(c));
	at += MB2_MEMINFO_SIZE;
	rc = rc ? rc : put_tag(c, &at, MB2I_MMAP,
			       MB2_MMAP_HDR + (uint64_t)rq->region_count * MB2_MMAP_ENTRY);
	rc = rc ? rc : put32(c, at + 8, MB2_MMAP_ENTRY); /* entry_version 0: zeroed */
	at += MB2_MMAP_HDR;
	for (unsigned i = 0; !rc && i < rq->region_count; i++, at += MB2_MMAP_ENTRY) {
		rc = put64(c, at, rq->regions[i].base);
		rc = rc ? rc : put64(c, at + 8, rq->regions[i].len);
		rc = rc ? rc : put32(c, at + 16, mmap_type(rq->regions[i].type));
	}
	return rc ? rc : put_tag(c, &at, MB2I_END, MB2_TAG_HEADER);
}
