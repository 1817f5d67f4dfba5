/* Segments: ELF32 and ELF64 executables for the Multiboot loaders (System V
 * gABI chapters 4 "ELF Header" and 5 "Program Header"), the load plan, and
 * the checked writes to guest memory every loader goes through.
 * PT_LOAD segments go to their physical addresses (p_paddr), as GRUB loads
 * Multiboot kernels, and the entry point is translated from the virtual
 * range of the segment that holds it. Fields are read byte by byte: the
 * image may be unaligned. */
#include "core/loader.h"

#include "core/fmt.h"

#define ELF_MAGIC      0x464c457fu /* "\x7fELF", little-endian */
#define EI_CLASS       4
#define EI_DATA        5
#define EI_NIDENT      16
#define ELFCLASS32     1
#define ELFCLASS64     2
#define ELFDATA2LSB    1
#define ET_EXEC        2
#define ET_DYN         3
#define EM_386         3
#define EM_X86_64      62
#define PT_LOAD        1

/* Where the fields we use sit in each class. */
struct elf_shape {
	unsigned ehsize, phsize;
	unsigned e_entry, e_phoff, e_phentsize, e_phnum;
	unsigned p_offset, p_vaddr, p_paddr, p_filesz, p_memsz;
	uint16_t machine;
	unsigned bits; /* 32 or 64 */
};

static const struct elf_shape elf32 = {
	.ehsize = 52, .phsize = 32,
	.e_entry = 24, .e_phoff = 28, .e_phentsize = 42, .e_phnum = 44,
	.p_offset = 4, .p_vaddr = 8, .p_paddr = 12, .p_filesz = 16, .p_memsz = 20,
	.machine = EM_386, .bits = 32,
};

static const struct elf_shape elf64 = {
	.ehsize = 64, .phsize = 56,
	.e_entry = 24, .e_phoff = 32, .e_phentsize = 54, .e_phnum = 56,
	.p_offset = 8, .p_vaddr = 16, .p_paddr = 24, .p_filesz = 32, .p_memsz = 40,
	.machine = EM_X86_64, .bits = 64,
};

#define E_TYPE    16
#define E_MACHINE 18
#define P_TYPE    0

struct elf_phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

/* A word of the class's natural size (addresses, offsets, sizes). */
static uint64_t rd_word(const struct elf_shape *s, const uint8_t *p)
{
	return s->bits == 64 ? loader_rd64(p) : loader_rd32(p);
}

static void read_phdr(const struct elf_shape *s, const uint8_t *ph, struct elf_phdr *h)
{
	h->type = loader_rd32(ph + P_TYPE);
	h->offset = rd_word(s, ph + s->p_offset);
	h->vaddr = rd_word(s, ph + s->p_vaddr);
	h->paddr = rd_word(s, ph + s->p_paddr);
	h->filesz = rd_word(s, ph + s->p_filesz);
	h->memsz = rd_word(s, ph + s->p_memsz);
}

/* The ELF header: identity, class, machine, type, and the program header
 * table inside the image. Sets *shape, *phoff, *phent, *phnum. */
static int check_ehdr(struct loader_ctx *c, const uint8_t *img, uint64_t size,
		      const struct elf_shape **shape, uint64_t *phoff, uint32_t *phent,
		      uint32_t *phnum)
{
	const struct elf_shape *s;
	uint16_t type;

	if (size < 4 || loader_rd32(img) != ELF_MAGIC)
		return loader_fail(c, LOADER_EFORMAT, "not an ELF file");
	if (size < EI_NIDENT)
		return loader_fail(c, LOADER_EFORMAT, "truncated ELF header (%lu bytes)",
				   (unsigned long)size);
	if (img[EI_CLASS] != ELFCLASS32 && img[EI_CLASS] != ELFCLASS64)
		return loader_fail(c, LOADER_EFORMAT, "ELF class %u is neither ELF32 nor ELF64",
				   img[EI_CLASS]);
	if (img[EI_DATA] != ELFDATA2LSB)
		return loader_fail(c, LOADER_EFORMAT, "not a little-endian ELF file");
	s = img[EI_CLASS] == ELFCLASS64 ? &elf64 : &elf32;
	if (size < s->ehsize)
		return loader_fail(c, LOADER_EFORMAT, "truncated ELF%u header (%lu of %u bytes)",
				   s->bits, (unsigned long)size, s->ehsize);
	if (loader_rd16(img + E_MACHINE) != s->machine)
		return loader_fail(c, LOADER_EFORMAT, "ELF%u file is for machine %u, not %s", s->bits,
				   loader_rd16(img + E_MACHINE), s->bits == 64 ? "x86-64" : "i386");
	type = loader_rd16(img + E_TYPE);
	if (type != ET_EXEC && type != ET_DYN)
		return loader_fail(c, LOADER_EFORMAT, "ELF file type %u is not an executable", type);

	*phoff = rd_word(s, img + s->e_phoff);
	*phent = loader_rd16(img + s->e_phentsize);
	*phnum = loader_rd16(img + s->e_phnum);
	if (!*phnum)
		return loader_fail(c, LOADER_EFORMAT, "ELF file has no program headers");
	if (*phent < s->phsize)
		return loader_fail(c, LOADER_EFORMAT,
				   "ELF program header size %u is smaller than %u", *phent, s->phsize);
	/* phnum * phent < 2^32: no overflow in 64 bits. */
	if (*phoff > size || (uint64_t)*phnum * *phent > size - *phoff)
		return loader_fail(c, LOADER_EFORMAT,
				   "program header table (offset 0x%lx, %u entries of %u bytes) runs past the end of the image (%lu bytes)",
				   (unsigned long)*phoff, *phnum, *phent, (unsigned long)size);
	*shape = s;
	return LOADER_OK;
}

int loader_elf_plan(struct loader_ctx *c, const uint8_t *img, uint64_t size,
		    struct loader_plan *p)
{
	/* Initialised only for the compiler: check_ehdr sets them when it returns 0. */
	const struct elf_shape *s = &elf32;
	struct elf_phdr h;
	uint64_t phoff = 0, entry;
	uint32_t phent = 0, phnum = 0;
	int rc;

	rc = check_ehdr(c, img, size, &s, &phoff, &phent, &phnum);
	if (rc)
		return rc;
	*p = (struct loader_plan){ 0 };
	for (uint32_t i = 0; i < phnum; i++) {
		read_phdr(s, img + phoff + (uint64_t)i * phent, &h);
		if (h.type != PT_LOAD || !h.memsz)
			continue;
		if (h.filesz > h.memsz)
			return loader_fail(c, LOADER_EFORMAT,
					   "segment %u: file size 0x%lx is larger than its memory size 0x%lx",
					   i, (unsigned long)h.filesz, (unsigned long)h.memsz);
		if (h.offset > size || h.filesz > size - h.offset)
			return loader_fail(c, LOADER_EFORMAT,
					   "segment %u: 0x%lx file bytes at offset 0x%lx run past the end of the image (%lu bytes)",
					   i, (unsigned long)h.filesz, (unsigned long)h.offset,
					   (unsigned long)size);
		rc = loader_plan_add(c, p, h.paddr, h.offset, h.filesz, h.memsz);
		if (rc)
			return rc;
	}
	if (!p->nseg)
		return loader_fail(c, LOADER_EFORMAT, "ELF file has no loadable segment");

	entry = rd_word(s, img + s->e_entry);
	for (uint32_t i = 0; i < phnum; i++) {
		read_phdr(s, img + phoff + (uint64_t)i * phent, &h);
		/* paddr + memsz was checked to lie in RAM: no overflow below. */
		if (h.type == PT_LOAD && entry >= h.vaddr && entry - h.vaddr < h.memsz) {
			p->entry = h.paddr + (entry - h.vaddr);
			return LOADER_OK;
		}
	}
	return loader_fail(c, LOADER_EFORMAT, "entry point 0x%lx is not inside a loaded segment",
			   (unsigned long)entry);
}

/* "64M", "3G", "640K" or "1234 bytes", for messages. */
static const char *size_str(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "GMK";

	for (int i = 0; i < 3; i++) {
		unsigned shift = 30 - 10 * i;

		if (bytes && !(bytes & ((1ull << shift) - 1))) {
			fmt_snprintf(buf, len, "%lu%c", (unsigned long)(bytes >> shift), units[i]);
			return buf;
		}
	}
	fmt_snprintf(buf, len, "%lu bytes", (unsigned long)bytes);
	return buf;
}

int loader_fail_outside(struct loader_ctx *c, const char *what, uint64_t gpa, uint64_t len)
{
	char ram[24];

	return loader_fail(c, LOADER_ENOSPACE, "%s at 0x%lx (%lu bytes) is outside the partition's %s of RAM",
			   what, (unsigned long)gpa, (unsigned long)len,
			   size_str(ram, sizeof(ram), c->ram_bytes));
}

bool loader_in_ram(const struct loader_ctx *c, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end) || end > c->top)
		return false;
	while (gpa < end) {
		const struct guest_region *r = NULL;

		for (unsigned i = 0; i < c->nregions && !r; i++) {
			const struct guest_region *q = &c->regions[i];

			if (q->type == GUEST_REGION_RAM && gpa >= q->base && gpa - q->base < q->len)
				r = q;
		}
		if (!r)
			return false;
		gpa = r->base + r->len; /* strictly greater; no wrap (ctx_init) */
	}
	return true;
}

int loader_write(struct loader_ctx *c, uint64_t gpa, const void *src, uint64_t len)
{
	if (!len)
		return LOADER_OK;
	if (!loader_in_ram(c, gpa, len))
		return loader_fail_outside(c, "write", gpa, len);
	if (c->ram->write(c->ram->ctx, gpa, src, len))
		return loader_fail(c, LOADER_EWRITE, "guest RAM refused a write at 0x%lx (%lu bytes)",
				   (unsigned long)gpa, (unsigned long)len);
	return LOADER_OK;
}

int loader_zero(struct loader_ctx *c, uint64_t gpa, uint64_t len)
{
	if (!len)
		return LOADER_OK;
	if (!loader_in_ram(c, gpa, len))
		return loader_fail_outside(c, "write", gpa, len);
	if (c->ram->zero(c->ram->ctx, gpa, len))
		return loader_fail(c, LOADER_EWRITE, "guest RAM refused to zero 0x%lx (%lu bytes)",
				   (unsigned long)gpa, (unsigned long)len);
	return LOADER_OK;
}

int loader_plan_add(struct loader_ctx *c, struct loader_plan *p, uint64_t gpa, uint64_t off,
		    uint64_t filesz, uint64_t memsz)
{
	if (p->nseg == LOADER_SEGS_MAX)
		return loader_fail(c, LOADER_EUNSUPP, "more than %d loadable segments",
				   LOADER_SEGS_MAX);
	if (!loader_in_ram(c, gpa, memsz))
		return loader_fail_outside(c, "segment", gpa, memsz);
	p->seg[p->nseg++] = (struct loader_seg){ gpa, off, filesz, memsz };
	if (gpa + memsz > p->end)
		p->end = gpa + memsz;
	return LOADER_OK;
}

bool loader_plan_covers(const struct loader_plan *p, uint64_t gpa)
{
	for (unsigned i = 0; i < p->nseg; i++)
		if (gpa >= p->seg[i].gpa && gpa - p->seg[i].gpa < p->seg[i].memsz)
			return true;
	return false;
}

int loader_plan_write(struct loader_ctx *c, const uint8_t *img, const struct loader_plan *p)
{
	int rc = LOADER_OK;

	for (unsigned i = 0; !rc && i < p->nseg; i++) {
		const struct loader_seg *g = &p->seg[i];

		rc = loader_write(c, g->gpa, img + g->off, g->filesz);
		if (!rc)
			rc = loader_zero(c, g->gpa + g->filesz, g->memsz - g->filesz);
	}
	return rc;
}
