/* The hypervisor's Multiboot2 header (Multiboot2 specification 1.0, 3.1):
 * what it asks of the loader. Required tags this loader cannot honour are
 * refused, as GRUB does; optional ones are ignored. */
#include "boot/efi/hvloader.h"
#include "boot/mb2_spec.h"

#define MB2_HEADER_MAGIC  0xE85250D6u
#define MB2_SEARCH_BYTES  32768
#define MB2_HEADER_LEN    16
#define MB2_ARCH_I386     0
#define MB2_TAG_OPTIONAL  1u /* header tag flags bit 0 */

static UINT32 rd32(const UINT8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (UINT32)p[3] << 24;
}

static UINT16 rd16(const UINT8 *p)
{
	return (UINT16)(p[0] | p[1] << 8);
}

/* The information tags mbi.c gives: command line, loader name, modules,
 * basic meminfo, memory map, EFI64 system table, ACPI old and new, EFI
 * memory map, load base address. */
static BOOLEAN info_given(UINT32 type)
{
	switch (type) {
	case 1: case 2: case 3: case 4: case 6: case 12: case 14: case 15: case 17: case 21:
		return TRUE;
	default:
		return FALSE;
	}
}

static const char *header_tag(const UINT8 *t, UINT32 size, struct mb2_hdr *h)
{
	UINT16 type = rd16(t);
	BOOLEAN required = !(rd16(t + 2) & MB2_TAG_OPTIONAL);

	switch (type) {
	case MB2H_INFO_REQUEST:
		for (UINT32 o = 8; required && o + 4 <= size; o += 4)
			if (!info_given(rd32(t + o)))
				return "its Multiboot2 header requires an information tag this loader does not give";
		return NULL;
	case MB2H_ENTRY:
		if (size < 12)
			return "its Multiboot2 entry address tag is too short";
		h->have_entry = TRUE;
		h->entry = rd32(t + 8);
		return NULL;
	case MB2H_RELOCATABLE:
		if (size < 24)
			return "its Multiboot2 relocatable tag is too short";
		h->reloc = TRUE;
		h->min_addr = rd32(t + 8);
		h->max_addr = rd32(t + 12);
		h->align = rd32(t + 16);
		h->preference = rd32(t + 20);
		return NULL;
	case MB2H_CONSOLE:      /* the console stays as the firmware left it */
	case MB2H_MODULE_ALIGN: /* modules are always page-aligned */
		return NULL;
	case MB2H_ADDRESS:
		return required ? "its Multiboot2 header has an address tag (a.out kludge); only ELF is loaded"
				: NULL;
	case MB2H_FRAMEBUFFER:
		return required ? "its Multiboot2 header requires a framebuffer; this loader sets none" : NULL;
	case MB2H_EFI_BS:
	case MB2H_ENTRY_EFI32:
	case MB2H_ENTRY_EFI64:
		return required ? "its Multiboot2 header requires an EFI entry with boot services; "
				  "this loader enters in 32-bit mode after ExitBootServices" : NULL;
	default:
		return required ? "its Multiboot2 header has a required tag this loader does not know" : NULL;
	}
}

const char *mb2hdr_parse(const UINT8 *img, UINT64 size, struct mb2_hdr *h)
{
	UINT64 lim = size < MB2_SEARCH_BYTES ? size : MB2_SEARCH_BYTES, off;
	UINT32 hlen;

	*h = (struct mb2_hdr){ 0 };
	for (off = 0; off + MB2_HEADER_LEN <= lim; off += 8)
		if (rd32(img + off) == MB2_HEADER_MAGIC &&
		    (UINT32)(MB2_HEADER_MAGIC + rd32(img + off + 4) + rd32(img + off + 8) +
			     rd32(img + off + 12)) == 0)
			break;
	if (off + MB2_HEADER_LEN > lim)
		return "no Multiboot2 header (with a good checksum) in its first 32768 bytes";
	if (rd32(img + off + 4) != MB2_ARCH_I386)
		return "its Multiboot2 header is not for i386";
	hlen = rd32(img + off + 8);
	if (hlen < MB2_HEADER_LEN || hlen > lim - off)
		return "its Multiboot2 header length runs past the first 32768 bytes";
	for (UINT64 t = off + MB2_HEADER_LEN;;) {
		UINT32 tsize;
		const char *why;

		if (t + 8 > off + hlen)
			return "its Multiboot2 header has no end tag";
		tsize = rd32(img + t + 4);
		if (tsize < 8 || tsize > off + hlen - t)
			return "its Multiboot2 header has a tag with a bad size";
		if (rd16(img + t) == MB2H_END)
			return NULL;
		why = header_tag(img + t, tsize, h);
		if (why)
			return why;
		t += ((UINT64)tsize + 7) & ~7ull;
	}
}
