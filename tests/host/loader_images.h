/* The test images of tests/host/test_loader.c: a byte buffer with ELF32/64
 * headers and segments, Multiboot1 and Multiboot2 headers written into it,
 * and the loader's output state. Included once, by test_loader.c. */
#ifndef TESTS_HOST_LOADER_IMAGES_H
#define TESTS_HOST_LOADER_IMAGES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/vcpu_state.h"

/* ---- image builder ---------------------------------------------------- */

static uint8_t img[1 << 17];
static size_t img_len;
static int elf_bits;
static struct vcpu_state st;
static char err[256];

static void p16(size_t off, uint16_t v) { memcpy(img + off, &v, 2); }
static void p32(size_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void p64(size_t off, uint64_t v) { memcpy(img + off, &v, 8); }

static void fill(size_t off, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		img[off + i] = (uint8_t)(seed + i * 7);
}

static void elf_begin(int bits, uint64_t entry)
{
	memset(img, 0, sizeof(img));
	memcpy(img, "\x7f" "ELF", 4);
	img[4] = bits == 64 ? 2 : 1;
	img[5] = 1;
	img[6] = 1;
	p16(16, 2); /* ET_EXEC */
	p16(18, bits == 64 ? 62 : 3);
	p32(20, 1);
	if (bits == 64) {
		p64(24, entry);
		p64(32, 64);
		p16(52, 64);
		p16(54, 56);
	} else {
		p32(24, (uint32_t)entry);
		p32(28, 52);
		p16(40, 52);
		p16(42, 32);
	}
	elf_bits = bits;
	img_len = 0x1000;
}

static void elf_seg(uint64_t off, uint64_t vaddr, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	size_t n = elf_bits == 64 ? img[56] : img[44];
	size_t ph = elf_bits == 64 ? 64 + n * 56 : 52 + n * 32;

	p32(ph, PT_LOAD);
	if (elf_bits == 64) {
		p64(ph + 8, off);
		p64(ph + 16, vaddr);
		p64(ph + 24, paddr);
		p64(ph + 32, filesz);
		p64(ph + 40, memsz);
		img[56]++;
	} else {
		p32(ph + 4, (uint32_t)off);
		p32(ph + 8, (uint32_t)vaddr);
		p32(ph + 12, (uint32_t)paddr);
		p32(ph + 16, (uint32_t)filesz);
		p32(ph + 20, (uint32_t)memsz);
		img[44]++;
	}
	if (off + filesz <= sizeof(img) && off + filesz > img_len) {
		fill(off, filesz, (uint8_t)off);
		img_len = off + filesz;
	}
}

#define MB1_MAGIC 0x1BADB002u
#define MB2_MAGIC 0xE85250D6u

static void mb1_hdr(size_t off, uint32_t flags)
{
	p32(off, MB1_MAGIC);
	p32(off + 4, flags);
	p32(off + 8, 0u - MB1_MAGIC - flags);
}

/* An ELF32 Multiboot1 kernel: text (with the header) at 1 MiB, data + bss. */
static void mk_mb1_elf32(uint32_t flags)
{
	elf_begin(32, KBASE + 0x40);
	elf_seg(0x1000, KBASE, KBASE, 0x1000, 0x1000);
	elf_seg(0x2000, KBASE + 0x1000, KBASE + 0x1000, 0x100, 0x2000);
	mb1_hdr(0x1000, flags);
}

static size_t mb2_off, mb2_at;

static void mb2_begin(size_t off)
{
	mb2_off = off;
	mb2_at = off + 16;
}

static void mb2_tag(uint16_t type, uint16_t flags, const uint32_t *w, unsigned n)
{
	p16(mb2_at, type);
	p16(mb2_at + 2, flags);
	p32(mb2_at + 4, 8 + 4 * n);
	if (n)
		memcpy(img + mb2_at + 8, w, 4 * n);
	mb2_at += (8 + 4 * n + 7) & ~7u;
}

static void mb2_end(void)
{
	uint32_t hlen;

	mb2_tag(0, 0, NULL, 0);
	hlen = (uint32_t)(mb2_at - mb2_off);
	p32(mb2_off, MB2_MAGIC);
	p32(mb2_off + 4, 0);
	p32(mb2_off + 8, hlen);
	p32(mb2_off + 12, 0u - MB2_MAGIC - hlen);
}

static void mk_mb2_elf32(void)
{
	elf_begin(32, KBASE + 0x80);
	elf_seg(0x1000, KBASE, KBASE, 0x1000, 0x1000);
	elf_seg(0x2000, KBASE + 0x1000, KBASE + 0x1000, 0x100, 0x2000);
	mb2_begin(0x1000);
}

#endif
