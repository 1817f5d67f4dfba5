/* The hypervisor's ELF64 image: its PT_LOAD segments copied to their
 * physical addresses (p_paddr, as GRUB loads Multiboot2 ELF kernels), or all
 * moved by one offset when its Multiboot2 header has the relocatable tag;
 * the offset then obeys the tag's range, alignment and preference. */
#include "boot/efi/hvloader.h"

#define ELF_MAGIC   0x464c457fu /* "\x7fELF", little-endian */
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define EM_X86_64   62
#define PT_LOAD     1
#define RELOC_HIGHEST 2 /* relocatable tag preference: 1 lowest, 2 highest */

struct elf64_ehdr {
	UINT32 magic;
	UINT8 class, data, version, abi, pad[8];
	UINT16 type, machine;
	UINT32 version2;
	UINT64 entry, phoff, shoff;
	UINT32 flags;
	UINT16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	UINT32 type, flags;
	UINT64 offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header layout");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header layout");

/* The image as linked: its program headers checked against the file. */
struct elf_view {
	const UINT8 *file;
	const struct elf64_ehdr *eh;
	const struct elf64_phdr *ph;
	UINT64 lo, hi; /* physical span of the loadable segments */
};

static const char *elf_check(const struct hvl_blob *f, struct elf_view *v)
{
	const struct elf64_ehdr *eh = (const void *)f->pa;

	if (f->size < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->class != ELFCLASS64 ||
	    eh->data != ELFDATA2LSB || eh->type != ET_EXEC || eh->machine != EM_X86_64)
		return "not an ELF64 x86-64 executable";
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > f->size ||
	    (UINT64)eh->phnum * sizeof(struct elf64_phdr) > f->size - eh->phoff)
		return "its ELF program headers lie outside the file";
	*v = (struct elf_view){ (const UINT8 *)f->pa, eh, (const void *)(f->pa + eh->phoff),
				~0ull, 0 };
	for (UINT16 i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *p = &v->ph[i];

		if (p->type != PT_LOAD || !p->memsz)
			continue;
		if (p->filesz > p->memsz || p->offset > f->size || p->filesz > f->size - p->offset)
			return "an ELF segment lies outside the file";
		if (p->paddr >= HVL_4G || p->memsz > HVL_4G - p->paddr)
			return "an ELF segment is not below 4 GiB (a Multiboot2 i386 image must be)";
		v->lo = p->paddr < v->lo ? p->paddr : v->lo;
		v->hi = p->paddr + p->memsz > v->hi ? p->paddr + p->memsz : v->hi;
	}
	if (v->lo >= v->hi)
		return "no loadable ELF segment";
	return NULL;
}

/* The entry point at link addresses: the entry address tag, else e_entry
 * (a virtual address) turned physical through the segment that holds it. */
static const char *elf_entry(const struct elf_view *v, const struct mb2_hdr *h, UINT64 *entry)
{
	if (h->have_entry) {
		*entry = h->entry;
		return h->entry >= v->lo && h->entry < v->hi ? NULL :
			"its entry address tag is not inside a loadable segment";
	}
	for (UINT16 i = 0; i < v->eh->phnum; i++) {
		const struct elf64_phdr *p = &v->ph[i];

		if (p->type == PT_LOAD && v->eh->entry - p->vaddr < p->memsz) {
			*entry = v->eh->entry - p->vaddr + p->paddr;
			return NULL;
		}
	}
	return "its ELF entry point is not inside a loadable segment";
}

/* Allocates the image's memory; *delta = load address - link address. */
static EFI_STATUS place(const CHAR16 *path, const struct mb2_hdr *h, const struct elf_view *v,
			UINT64 *delta)
{
	UINT64 base = v->lo & ~(HVL_PAGE - 1), at, align;
	EFI_STATUS st;

	if (!h->reloc) {
		st = mem_alloc_at(base, v->hi - base);
		if (EFI_ERROR(st))
			Print(L"hvloader: %s: its link address range [0x%lx-0x%lx) is not free memory and it is not relocatable (%r)\n",
			      path, v->lo, v->hi, st);
		*delta = 0;
		return st;
	}
	/* The tag's alignment, at least a page: the allocation starts at the
	 * image's first byte. */
	align = h->align > HVL_PAGE ? h->align : HVL_PAGE;
	st = mem_find_free(h->min_addr, h->max_addr, v->hi - v->lo, align,
			   h->preference == RELOC_HIGHEST, &at);
	if (!EFI_ERROR(st))
		st = mem_alloc_at(at, v->hi - v->lo);
	if (EFI_ERROR(st)) {
		Print(L"hvloader: %s: no free room for its %ld KiB aligned to %ld KiB in [0x%x-0x%x) (%r)\n",
		      path, (v->hi - v->lo) >> 10, align >> 10, h->min_addr, h->max_addr, st);
		return st;
	}
	*delta = at - v->lo;
	return EFI_SUCCESS;
}

static void copy_segments(const struct elf_view *v, UINT64 delta)
{
	ZeroMem((void *)(v->lo + delta), v->hi - v->lo);
	for (UINT16 i = 0; i < v->eh->phnum; i++) {
		const struct elf64_phdr *p = &v->ph[i];

		if (p->type == PT_LOAD && p->memsz)
			CopyMem((void *)(p->paddr + delta), (void *)(v->file + p->offset), p->filesz);
	}
}

EFI_STATUS image_load(const CHAR16 *path, const struct hvl_blob *file, struct hv_image *img)
{
	struct mb2_hdr h;
	struct elf_view v;
	UINT64 entry, delta;
	const char *why;
	EFI_STATUS st;

	why = mb2hdr_parse((const UINT8 *)file->pa, file->size, &h);
	if (!why)
		why = elf_check(file, &v);
	if (!why)
		why = elf_entry(&v, &h, &entry);
	if (why) {
		Print(L"hvloader: %s: %a\n", path, why);
		return EFI_LOAD_ERROR;
	}
	st = place(path, &h, &v, &delta);
	if (EFI_ERROR(st))
		return st;
	copy_segments(&v, delta);
	*img = (struct hv_image){ v.lo, v.lo + delta, v.hi - v.lo, entry + delta, h.reloc };
	return EFI_SUCCESS;
}
