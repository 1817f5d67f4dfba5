/* Guest image loaders: the public entry points, and the declared format's
 * headers (Multiboot1, Multiboot2, flat) turned into a load plan. ELF,
 * segments and guest-memory writes are in loader_elf.c, boot information in
 * loader_mb.c. */
#include "core/loader.h"
#include "boot/mb2_spec.h"

#include <stdarg.h>

#include "core/fmt.h"
#include "mm/gspace.h"

/* Multiboot 0.6.96 section 3.1. */
#define MB1_HEADER_MAGIC     0x1BADB002u
#define MB1_SEARCH_BYTES     8192
#define MB1_HEADER_LEN       12 /* magic, flags, checksum */
#define MB1_HEADER_ADDR_LEN  32 /* ... + the five a.out kludge address fields */
#define MB1_FLAG_PAGE_ALIGN  (1u << 0)
#define MB1_FLAG_MEMINFO     (1u << 1)
#define MB1_FLAG_VIDEO       (1u << 2)
#define MB1_FLAG_AOUT_KLUDGE (1u << 16)
#define MB1_FLAGS_REQUIRED   0xffffu

/* Multiboot2 1.0 section 3.1. */
#define MB2_HEADER_MAGIC    0xE85250D6u
#define MB2_SEARCH_BYTES    32768
#define MB2_HEADER_LEN      16
#define MB2_ARCH_I386       0
#define MB2_TAG_OPTIONAL    1u   /* header tag flags bit 0 */
#define MB2_LOAD_FROM_START 0xffffffffu
#define MB2_CONSOLE_REQUIRED 1u

/* The address fields shared by the Multiboot1 a.out kludge and the
 * Multiboot2 address tag (+ its entry address tag). */
struct raw_layout {
	uint64_t header_addr, load_addr, load_end, bss_end, entry;
};

int loader_fail(struct loader_ctx *c, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (c->err && c->errlen)
		fmt_vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return status;
}

/* One segment from address fields (both Multiboot specs, same semantics):
 * the file is loaded from header offset - (header_addr - load_addr). */
static int raw_plan(struct loader_ctx *c, uint64_t size, uint64_t hdr_off,
		    const struct raw_layout *a, struct loader_plan *p)
{
	uint64_t off, filesz, memsz;
	int rc;

	if (a->load_addr > a->header_addr)
		return loader_fail(c, LOADER_EFORMAT, "load address 0x%lx is above the header address 0x%lx",
				   (unsigned long)a->load_addr, (unsigned long)a->header_addr);
	if (a->header_addr - a->load_addr > hdr_off)
		return loader_fail(c, LOADER_EFORMAT, "load address 0x%lx would start before the image",
				   (unsigned long)a->load_addr);
	off = hdr_off - (a->header_addr - a->load_addr);
	filesz = size - off;
	if (a->load_end) {
		if (a->load_end < a->load_addr || a->load_end - a->load_addr > size - off)
			return loader_fail(c, LOADER_EFORMAT,
					   "load end address 0x%lx is not within the image (%lu bytes from 0x%lx)",
					   (unsigned long)a->load_end, (unsigned long)(size - off),
					   (unsigned long)a->load_addr);
		filesz = a->load_end - a->load_addr;
	}
	memsz = filesz;
	if (a->bss_end) {
		if (a->bss_end < a->load_addr + filesz)
			return loader_fail(c, LOADER_EFORMAT, "bss end address 0x%lx is below the load end 0x%lx",
					   (unsigned long)a->bss_end, (unsigned long)(a->load_addr + filesz));
		memsz = a->bss_end - a->load_addr;
	}
	if (!memsz)
		return loader_fail(c, LOADER_EFORMAT, "the address fields load nothing");
	rc = loader_plan_add(c, p, a->load_addr, off, filesz, memsz);
	if (rc)
		return rc;
	if (a->entry < a->load_addr || a->entry - a->load_addr >= memsz)
		return loader_fail(c, LOADER_EFORMAT, "entry point 0x%lx is not inside the loaded image",
				   (unsigned long)a->entry);
	p->entry = a->entry;
	return LOADER_OK;
}

static int mb1_plan(struct loader_ctx *c, const uint8_t *img, uint64_t size,
		    struct loader_plan *p)
{
	uint64_t lim = size < MB1_SEARCH_BYTES ? size : MB1_SEARCH_BYTES, off, bad = UINT64_MAX;
	uint32_t flags, unknown;
	struct raw_layout a;

	for (off = 0; off + MB1_HEADER_LEN <= lim; off += 4) {
		if (loader_rd32(img + off) != MB1_HEADER_MAGIC)
			continue;
		if (MB1_HEADER_MAGIC + loader_rd32(img + off + 4) + loader_rd32(img + off + 8) == 0)
			break;
		if (bad == UINT64_MAX)
			bad = off;
	}
	if (off + MB1_HEADER_LEN > lim) {
		if (bad != UINT64_MAX)
			return loader_fail(c, LOADER_EFORMAT,
					   "Multiboot header at offset 0x%lx has a bad checksum",
					   (unsigned long)bad);
		return loader_fail(c, LOADER_EFORMAT, "no Multiboot header in the first 8192 bytes");
	}
	flags = loader_rd32(img + off + 4);
	if (flags & MB1_FLAG_VIDEO)
		return loader_fail(c, LOADER_EUNSUPP,
				   "Multiboot header requires video mode information (flags bit 2); partitions have no display");
	unknown = flags & MB1_FLAGS_REQUIRED & ~(MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMINFO);
	if (unknown)
		return loader_fail(c, LOADER_EUNSUPP,
				   "Multiboot header requires unsupported features (flags 0x%x)", unknown);
	if (!(flags & MB1_FLAG_AOUT_KLUDGE))
		return loader_elf_plan(c, img, size, p);
	if (off + MB1_HEADER_ADDR_LEN > lim)
		return loader_fail(c, LOADER_EFORMAT,
				   "Multiboot header address fields run past the first 8192 bytes");
	a = (struct raw_layout){ loader_rd32(img + off + 12), loader_rd32(img + off + 16),
				 loader_rd32(img + off + 20), loader_rd32(img + off + 24),
				 loader_rd32(img + off + 28) };
	return raw_plan(c, size, off, &a, p);
}

struct mb2_header {
	bool have_addr, have_entry;
	struct raw_layout a;
};

/* The boot information tags loader_mb.c builds: cmdline, loader name,
 * module, basic meminfo, memory map. */
static bool mb2_info_provided(uint32_t type)
{
	return type == 1 || type == 2 || type == 3 || type == 4 || type == 6;
}

static int mb2_tag(struct loader_ctx *c, const uint8_t *t, uint32_t size, struct mb2_header *h)
{
	static const uint8_t min_size[] = {
		[MB2H_ADDRESS] = 24, [MB2H_ENTRY] = 12, [MB2H_CONSOLE] = 12,
		[MB2H_FRAMEBUFFER] = 20, [MB2H_RELOCATABLE] = 24,
	};
	uint16_t type = loader_rd16(t);
	bool required = !(loader_rd16(t + 2) & MB2_TAG_OPTIONAL);

	if (type < sizeof(min_size) && size < min_size[type])
		return loader_fail(c, LOADER_EFORMAT, "Multiboot2 header tag %u is too short (%u bytes)",
				   type, size);
	switch (type) {
	case MB2H_INFO_REQUEST:
		for (uint32_t o = 8; required && o + 4 <= size; o += 4)
			if (!mb2_info_provided(loader_rd32(t + o)))
				return loader_fail(c, LOADER_EUNSUPP,
						   "Multiboot2 header requires boot information tag %u, which partitions do not provide",
						   loader_rd32(t + o));
		return LOADER_OK;
	case MB2H_ADDRESS:
		h->have_addr = true;
		h->a.header_addr = loader_rd32(t + 8);
		h->a.load_addr = loader_rd32(t + 12);
		h->a.load_end = loader_rd32(t + 16);
		h->a.bss_end = loader_rd32(t + 20);
		return LOADER_OK;
	case MB2H_ENTRY:
		h->have_entry = true;
		h->a.entry = loader_rd32(t + 8);
		return LOADER_OK;
	case MB2H_CONSOLE:
		if (required && (loader_rd32(t + 8) & MB2_CONSOLE_REQUIRED))
			return loader_fail(c, LOADER_EUNSUPP,
					   "Multiboot2 header requires a console description; partitions have none");
		return LOADER_OK;
	case MB2H_FRAMEBUFFER:
		if (required)
			return loader_fail(c, LOADER_EUNSUPP,
					   "Multiboot2 header requires a framebuffer; partitions have no display");
		return LOADER_OK;
	case MB2H_MODULE_ALIGN: /* modules are always page-aligned */
	case MB2H_EFI_BS:       /* no EFI: these only apply to EFI boots */
	case MB2H_ENTRY_EFI32:
	case MB2H_ENTRY_EFI64:
	case MB2H_RELOCATABLE:  /* its link address is a valid choice */
		return LOADER_OK;
	default:
		if (required)
			return loader_fail(c, LOADER_EUNSUPP,
					   "Multiboot2 header has required tag type %u, which is not supported",
					   type);
		return LOADER_OK;
	}
}

static int mb2_plan(struct loader_ctx *c, const uint8_t *img, uint64_t size,
		    struct loader_plan *p)
{
	uint64_t lim = size < MB2_SEARCH_BYTES ? size : MB2_SEARCH_BYTES, off, bad = UINT64_MAX;
	struct mb2_header h = { 0 };
	uint32_t arch, hlen;
	int rc;

	for (off = 0; off + MB2_HEADER_LEN <= lim; off += 8) {
		if (loader_rd32(img + off) != MB2_HEADER_MAGIC)
			continue;
		if (MB2_HEADER_MAGIC + loader_rd32(img + off + 4) + loader_rd32(img + off + 8) +
			    loader_rd32(img + off + 12) == 0)
			break;
		if (bad == UINT64_MAX)
			bad = off;
	}
	if (off + MB2_HEADER_LEN > lim) {
		if (bad != UINT64_MAX)
			return loader_fail(c, LOADER_EFORMAT,
					   "Multiboot2 header at offset 0x%lx has a bad checksum",
					   (unsigned long)bad);
		return loader_fail(c, LOADER_EFORMAT, "no Multiboot2 header in the first 32768 bytes");
	}
	arch = loader_rd32(img + off + 4);
	hlen = loader_rd32(img + off + 8);
	if (arch != MB2_ARCH_I386)
		return loader_fail(c, LOADER_EUNSUPP, "Multiboot2 header is for architecture %u, not i386",
				   arch);
	if (hlen < MB2_HEADER_LEN || hlen > lim - off)
		return loader_fail(c, LOADER_EFORMAT,
				   "Multiboot2 header length %u does not fit in the first 32768 bytes", hlen);
	for (uint64_t t = off + MB2_HEADER_LEN;; ) {
		uint32_t tsize;

		if (t + 8 > off + hlen)
			return loader_fail(c, LOADER_EFORMAT, "Multiboot2 header has no end tag");
		tsize = loader_rd32(img + t + 4);
		if (tsize < 8 || tsize > off + hlen - t)
			return loader_fail(c, LOADER_EFORMAT,
					   "Multiboot2 header tag at offset 0x%lx has a bad size (%u)",
					   (unsigned long)t, tsize);
		if (loader_rd16(img + t) == MB2H_END)
			break;
		rc = mb2_tag(c, img + t, tsize, &h);
		if (rc)
			return rc;
		t += ((uint64_t)tsize + 7) & ~7ull;
	}
	if (!h.have_addr) {
		rc = loader_elf_plan(c, img, size, p);
		if (rc || !h.have_entry)
			return rc;
		if (!loader_plan_covers(p, h.a.entry))
			return loader_fail(c, LOADER_EFORMAT,
					   "entry address tag 0x%lx is not inside a loaded segment",
					   (unsigned long)h.a.entry);
		p->entry = h.a.entry;
		return LOADER_OK;
	}
	if (!h.have_entry)
		return loader_fail(c, LOADER_EFORMAT,
				   "Multiboot2 address tag without an entry address tag");
	if (h.a.load_addr == MB2_LOAD_FROM_START) {
		if (h.a.header_addr < off)
			return loader_fail(c, LOADER_EFORMAT, "header address 0x%lx is below its file offset",
					   (unsigned long)h.a.header_addr);
		h.a.load_addr = h.a.header_addr - off;
	}
	return raw_plan(c, size, off, &h.a, p);
}

static int plan_image(struct loader_ctx *c, enum image_format fmt, const void *img,
		      uint64_t size, uint64_t flat_load, struct loader_plan *p)
{
	int rc;

	*p = (struct loader_plan){ 0 };
	if (!img || !size)
		return loader_fail(c, LOADER_EFORMAT, "image is empty");
	switch (fmt) {
	case IMAGE_FLAT:
		if (!loader_in_ram(c, flat_load, size))
			return loader_fail_outside(c, "image", flat_load, size);
		if (flat_load + size > LOADER_4G)
			return loader_fail(c, LOADER_EUNSUPP,
					   "flat image at 0x%lx (%lu bytes) reaches above 4 GiB; it starts in 32-bit mode",
					   (unsigned long)flat_load, (unsigned long)size);
		return loader_plan_add(c, p, flat_load, 0, size, size);
	case IMAGE_MULTIBOOT1:
	case IMAGE_MULTIBOOT2:
		rc = fmt == IMAGE_MULTIBOOT1 ? mb1_plan(c, img, size, p) : mb2_plan(c, img, size, p);
		if (!rc && p->entry >= LOADER_4G)
			return loader_fail(c, LOADER_EUNSUPP,
					   "entry point 0x%lx is above 4 GiB; Multiboot kernels start in 32-bit mode",
					   (unsigned long)p->entry);
		return rc;
	default:
		return loader_fail(c, LOADER_EINVAL, "unknown image format %d", (int)fmt);
	}
}

static int ctx_init(struct loader_ctx *c, const struct guest_region *r, unsigned n,
		    uint64_t top, char *err, size_t errlen)
{
	uint64_t end;

	*c = (struct loader_ctx){ .regions = r, .nregions = n, .top = top, .err = err,
				  .errlen = errlen };
	if (err && errlen)
		err[0] = '\0';
	if (n > LOADER_REGIONS_MAX || (n && !r))
		return loader_fail(c, LOADER_EINVAL, "memory map missing or over %d regions",
				   LOADER_REGIONS_MAX);
	for (unsigned i = 0; i < n; i++) {
		if (__builtin_add_overflow(r[i].base, r[i].len, &end))
			return loader_fail(c, LOADER_EINVAL, "memory region %u wraps around", i);
		if (r[i].type == GUEST_REGION_RAM && c->ram_bytes + r[i].len >= c->ram_bytes)
			c->ram_bytes += r[i].len;
	}
	return LOADER_OK;
}

int loader_check(enum image_format fmt, const void *img, uint64_t size, uint64_t ram_size,
		 uint64_t flat_load, char *err, size_t errlen)
{
	const uint64_t low = GSPACE_HOLE_START, high = GSPACE_HOLE_END;
	/* No partition comes near 16 EiB; the clamp keeps the regions from wrapping. */
	const uint64_t ram = ram_size < UINT64_MAX - high ? ram_size : UINT64_MAX - high;
	struct guest_region r[2] = { { 0, ram < low ? ram : low, GUEST_REGION_RAM },
				     { high, ram > low ? ram - low : 0, GUEST_REGION_RAM } };
	struct load_request rq = { .fmt = fmt, .regions = r, .region_count = 2 };
	struct loader_mb_layout l;
	struct loader_plan p;
	struct loader_ctx c;
	int rc;

	rc = ctx_init(&c, r, 2, r[1].len ? high + r[1].len : r[0].len, err, errlen);
	if (!rc)
		rc = plan_image(&c, fmt, img, size, flat_load, &p);
	if (!rc && fmt != IMAGE_FLAT)
		rc = loader_mb_place(&c, &rq, &p, fmt == IMAGE_MULTIBOOT1 ? 1 : 2, &l);
	return rc;
}

int loader_load(const struct load_request *rq, const struct guest_ram *ram,
		struct vcpu_state *out, char *err, size_t errlen)
{
	struct loader_mb_layout l;
	struct loader_plan p;
	struct loader_ctx c;
	uint64_t area;
	int rc;

	rc = ctx_init(&c, rq->regions, rq->region_count, ram->size, err, errlen);
	if (rc)
		return rc;
	c.ram = ram;
	if (!ram->write || !ram->zero)
		return loader_fail(&c, LOADER_EINVAL, "guest RAM has no write or zero function");
	if (rq->mod_count > LOADER_MODS_MAX || (rq->mod_count && !rq->mods))
		return loader_fail(&c, LOADER_EINVAL, "more than %d modules", LOADER_MODS_MAX);
	for (unsigned i = 0; i < rq->mod_count; i++)
		if (rq->mods[i].size && !rq->mods[i].data)
			return loader_fail(&c, LOADER_EINVAL, "module %u has no data", i);
	rc = plan_image(&c, rq->fmt, rq->img, rq->size, rq->flat_load, &p);
	if (rc)
		return rc;

	if (rq->fmt == IMAGE_FLAT) {
		if (rq->mod_count)
			return loader_fail(&c, LOADER_EINVAL, "a flat image takes no modules");
		if (!loader_plan_covers(&p, rq->flat_entry))
			return loader_fail(&c, LOADER_EFORMAT,
					   "entry point 0x%lx is not inside the image at 0x%lx (%lu bytes)",
					   (unsigned long)rq->flat_entry, (unsigned long)rq->flat_load,
					   (unsigned long)rq->size);
		rc = loader_flat_check(&c, rq, &p, &area);
		if (!rc)
			rc = loader_plan_write(&c, rq->img, &p);
		return rc ? rc : loader_flat_enter(&c, rq, area, out);
	}

	rc = loader_mb_place(&c, rq, &p, rq->fmt == IMAGE_MULTIBOOT1 ? 1 : 2, &l);
	if (!rc)
		rc = loader_plan_write(&c, rq->img, &p);
	if (!rc)
		rc = rq->fmt == IMAGE_MULTIBOOT1 ? loader_mb1_write_info(&c, rq, &l)
						 : loader_mb2_write_info(&c, rq, &l);
	for (unsigned i = 0; !rc && i < rq->mod_count; i++)
		rc = loader_write(&c, l.mod[i], rq->mods[i].data, rq->mods[i].size);
	if (rc)
		return rc;
	if (rq->fmt == IMAGE_MULTIBOOT1)
		vcpu_state_multiboot1(out, (uint32_t)p.entry, (uint32_t)l.info);
	else
		vcpu_state_multiboot2(out, (uint32_t)p.entry, (uint32_t)l.info);
	return LOADER_OK;
}
