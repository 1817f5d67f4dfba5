/* Host unit test for core/loader*.c: flat, Multiboot1 and Multiboot2 images
 * (ELF32, ELF64, a.out kludge, address tags) are built in memory, loaded into
 * an emulated guest RAM whose callbacks refuse and count any write outside
 * RAM, and the boot information is parsed back. Malformed and hostile images
 * must fail with a message that names the problem and write nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/loader.h"
#include "tests/host/check.h"

#define MIB      (1024ull * 1024)
#define RAM_SIZE (16 * MIB)
#define KBASE    0x100000ull /* where the test kernels load */
#define PT_LOAD  1

/* ---- emulated guest RAM -------------------------------------------------- */

static uint8_t *ram;
static unsigned ram_writes, ram_bad;
static const struct guest_region *regions;
static unsigned nregions;

static const struct guest_region flat16[] = { { 0, RAM_SIZE, GUEST_REGION_RAM } };
/* A PC-like map: conventional memory, the BIOS/VGA hole, then RAM from 1 MiB. */
static const struct guest_region pc16[] = {
	{ 0, 0x9fc00, GUEST_REGION_RAM },
	{ 0x9fc00, 0x100000 - 0x9fc00, GUEST_REGION_RESERVED },
	{ 0x100000, RAM_SIZE - 0x100000, GUEST_REGION_RAM },
};

static int ram_ok(uint64_t gpa, uint64_t len)
{
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return 0;
	for (unsigned i = 0; i < nregions; i++)
		if (regions[i].type != GUEST_REGION_RAM && gpa < regions[i].base + regions[i].len &&
		    regions[i].base < gpa + len)
			return 0;
	return 1;
}

static int ram_write(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	(void)ctx;
	ram_writes++;
	if (!ram_ok(gpa, len)) {
		ram_bad++;
		return -1;
	}
	memcpy(ram + gpa, src, len);
	return 0;
}

static int ram_zero(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	ram_writes++;
	if (!ram_ok(gpa, len)) {
		ram_bad++;
		return -1;
	}
	memset(ram + gpa, 0, len);
	return 0;
}

static int ram_refuse(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	(void)ctx, (void)gpa, (void)src, (void)len;
	return -1;
}

static struct guest_ram gram = { RAM_SIZE, NULL, ram_write, ram_zero };

static uint32_t g32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return v;
}

static uint64_t g64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, ram + gpa, 8);
	return v;
}

#include "tests/host/loader_images.h"

/* ---- running the loader ---------------------------------------------- */

static const char *cmdline;
static const struct loader_module *mods;
static unsigned nmods;
static uint64_t flat_load, flat_entry;
static enum vcpu_mode flat_mode;

static void setup(const struct guest_region *r, unsigned n)
{
	regions = r;
	nregions = n;
	cmdline = NULL;
	mods = NULL;
	nmods = 0;
}

static int load(enum image_format fmt)
{
	struct load_request rq = { fmt, img, img_len, flat_load, flat_entry, cmdline, mods, nmods,
				   regions, nregions, NULL, flat_mode };

	memset(ram, 0xaa, RAM_SIZE);
	memset(&st, 0x5a, sizeof(st));
	memset(err, 'Z', sizeof(err));
	ram_writes = ram_bad = 0;
	return loader_load(&rq, &gram, &st, err, sizeof(err));
}

static int check(enum image_format fmt, uint64_t ram_size)
{
	memset(err, 'Z', sizeof(err));
	return loader_check(fmt, img, img_len, ram_size, flat_load, err, sizeof(err));
}

/* Expect failure `rc` with `what` in the message, and nothing written. */
#define FAILS(call, rc_want, what)                                                    \
	do {                                                                          \
		int rc_ = (call);                                                     \
		CHECK(rc_ == (rc_want) && strstr(err, what), "%s: rc %d, '%s'", what, \
		      rc_, err);                                                      \
	} while (0)
#define LOAD_FAILS(fmt, rc_want, what)                                          \
	do {                                                                    \
		FAILS(load(fmt), rc_want, what);                                \
		CHECK(ram_writes == 0, "%s: %u writes on failure", what, ram_writes); \
	} while (0)

static int is_flat32(uint64_t rip)
{
	return st.mode == VCPU_MODE_PROT32 && st.rip == rip && st.rflags == 2 &&
	       (st.cr0 & 1) && !(st.cr0 & (1ull << 31)) && st.cr4 == 0 && st.efer == 0 &&
	       st.cs.ar == 0xc09b && st.cs.base == 0 && st.cs.limit == 0xffffffffu &&
	       st.ds.ar == 0xc093 && st.ss.ar == 0xc093 && st.es.ar == 0xc093 &&
	       st.fs.ar == 0xc093 && st.gs.limit == 0xffffffffu && st.ss.base == 0 &&
	       !(st.tr.ar & VCPU_AR_UNUSABLE) && (st.ldtr.ar & VCPU_AR_UNUSABLE) &&
	       st.rcx == 0 && st.rdx == 0 && st.rsi == 0 && st.rdi == 0 && st.r15 == 0;
}

/* ---- tests ------------------------------------------------------------ */

static void test_flat(void)
{
	setup(flat16, 1);
	memset(img, 0, sizeof(img));
	fill(0, 5000, 3);
	img_len = 5000;
	flat_load = KBASE;
	flat_entry = KBASE + 16;
	CHECK(load(IMAGE_FLAT) == 0, "flat load: %s", err);
	CHECK(!memcmp(ram + KBASE, img, 5000) && ram[KBASE + 5000] == 0xaa &&
	      ram[KBASE - 1] == 0xaa, "flat bytes copied, nothing around them");
	CHECK(is_flat32(KBASE + 16) && st.rax == 0 && st.rbx == 0 && st.rsp == 0,
	      "flat: 32-bit flat state at entry, EAX=EBX=0");
	CHECK(ram_bad == 0, "flat: no write outside RAM");
	CHECK(check(IMAGE_FLAT, RAM_SIZE) == 0, "flat check: %s", err);

	flat_entry = KBASE + 5000;
	LOAD_FAILS(IMAGE_FLAT, LOADER_EFORMAT, "entry point 0x101388 is not inside the image");
	flat_entry = KBASE;
	flat_load = RAM_SIZE - 100;
	LOAD_FAILS(IMAGE_FLAT, LOADER_ENOSPACE,
		   "image at 0xffff9c (5000 bytes) is outside the partition's 16M of RAM");
	flat_load = UINT64_MAX - 10;
	FAILS(check(IMAGE_FLAT, RAM_SIZE), LOADER_ENOSPACE, "outside the partition's 16M of RAM");
	flat_load = KBASE;
	FAILS(check(IMAGE_FLAT, 1 * MIB), LOADER_ENOSPACE, "outside the partition's 1M of RAM");
	img_len = 0;
	FAILS(check(IMAGE_FLAT, RAM_SIZE), LOADER_EFORMAT, "image is empty");
	img_len = 5000;
	{
		static const struct loader_module m = { "m", "x", 1 };

		mods = &m;
		nmods = 1;
		LOAD_FAILS(IMAGE_FLAT, LOADER_EINVAL, "a flat image takes no modules");
	}
}

static uint64_t rd64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, ram + gpa, 8);
	return v;
}

/* mode = real and mode = long: the entry state, and the identity map and
 * GDT the loader builds for long mode at the top of RAM. */
static void test_flat_modes(void)
{
	const uint64_t area = RAM_SIZE - LOADER_LONG_PAGES * 4096;
	int ok = 1;

	setup(flat16, 1);
	memset(img, 0x90, sizeof(img));
	img_len = 512;
	flat_load = 0x7c00;
	flat_entry = 0x17c10;
	flat_load = 0x17c00;
	flat_mode = VCPU_MODE_REAL16;
	CHECK(load(IMAGE_FLAT) == 0, "real: %s", err);
	CHECK(st.mode == VCPU_MODE_REAL16 && st.cs.sel == 0x1000 && st.cs.base == 0x10000 &&
		      st.rip == 0x7c10 && st.cs.limit == 0xffff && st.cs.ar == 0x9b &&
		      st.ds.ar == 0x93 && st.ss.base == 0 && !(st.cr0 & 1) && st.efer == 0 &&
		      st.idtr.limit == 0x3ff && st.rflags == 2,
	      "real: CS:IP 1000:7c10, 64K segments, PE=0 (cs %#x rip %#lx)", st.cs.sel,
	      (unsigned long)st.rip);
	flat_load = 0xff000;
	flat_entry = 0x100000;
	img_len = 0x2000;
	LOAD_FAILS(IMAGE_FLAT, LOADER_EFORMAT,
		   "entry point 0x100000 is not below 1M, where real mode starts");

	flat_mode = VCPU_MODE_LONG64;
	flat_load = KBASE;
	flat_entry = KBASE + 8;
	img_len = 512;
	CHECK(load(IMAGE_FLAT) == 0, "long: %s", err);
	CHECK(st.mode == VCPU_MODE_LONG64 && st.rip == KBASE + 8 && st.cr3 == area &&
		      (st.cr0 & 0x80000001) == 0x80000001 && st.cr4 == 0x20 && st.efer == 0x500 &&
		      st.cs.sel == 8 && st.cs.ar == 0xa09b && st.ds.ar == 0xc093 &&
		      st.rsp == area && st.gdtr.base == area + 6 * 4096 && st.gdtr.limit == 23,
	      "long: paging, PAE, LME/LMA, 64-bit CS, stack below the tables (cr3 %#lx)",
	      (unsigned long)st.cr3);
	CHECK(rd64(area) == ((area + 4096) | 3) && rd64(area + 8) == 0xaaaaaaaaaaaaaaaaull,
	      "long: PML4[0] -> PDPT, the rest as it was (RAM is zeroed by the partition)");
	for (unsigned i = 0; i < 4; i++)
		ok &= rd64(area + 4096 + 8 * i) == ((area + (2 + i) * 4096) | 3);
	for (unsigned i = 0; i < 2048; i++)
		ok &= rd64(area + 2 * 4096 + 8 * i) == (((uint64_t)i << 21) | 0x83);
	CHECK(ok, "long: PDPT[0..3] -> four directories mapping 4G in 2M pages");
	CHECK(rd64(area + 6 * 4096 + 8) == 0x00af9b000000ffffull, "long: GDT 64-bit code at 8");
	flat_load = area - 256;
	flat_entry = flat_load;
	LOAD_FAILS(IMAGE_FLAT, LOADER_ENOSPACE, "image reaches the long-mode page tables at 0xff9000");
	flat_mode = VCPU_MODE_PROT32;
}

/* The image "too big for RAM": 17 MiB into 16. */
static void test_too_big(void)
{
	uint8_t *big = calloc(1, 17 * MIB);

	CHECK(loader_check(IMAGE_FLAT, big, 17 * MIB, RAM_SIZE, 0, err, sizeof(err)) ==
		      LOADER_ENOSPACE && strstr(err, "image at 0x0 (17825792 bytes) is outside"),
	      "17M flat image into 16M: %s", err);
	free(big);
	/* A kernel whose bss runs past the end of RAM. */
	setup(flat16, 1);
	elf_begin(32, KBASE);
	elf_seg(0x1000, KBASE, KBASE, 0x100, 17 * MIB);
	mb1_hdr(0x1000, 3);
	FAILS(check(IMAGE_MULTIBOOT1, RAM_SIZE), LOADER_ENOSPACE,
	      "segment at 0x100000 (17825792 bytes) is outside the partition's 16M of RAM");
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_ENOSPACE, "is outside the partition's 16M of RAM");
}

static const uint8_t mod_a_data[5000] = { 1, 2, 3, [4999] = 9 };
static const struct loader_module two_mods[] = {
	{ "mod-a arg=1", mod_a_data, sizeof(mod_a_data) },
	{ "mod-b", "xyz", 3 },
};

static void test_mb1(void)
{
	uint64_t info, mods_addr, mmap;
	uint64_t kend = KBASE + 0x3000;

	setup(pc16, 3);
	cmdline = "console=ttyS0 quiet";
	mods = two_mods;
	nmods = 2;
	mk_mb1_elf32(0x3);
	CHECK(check(IMAGE_MULTIBOOT1, RAM_SIZE) == 0, "mb1 check: %s", err);
	CHECK(load(IMAGE_MULTIBOOT1) == 0, "mb1 load: %s", err);
	CHECK(ram_bad == 0, "mb1: no write outside RAM");
	CHECK(is_flat32(KBASE + 0x40) && st.rax == 0x2BADB002u, "mb1: state, magic %#lx",
	      (unsigned long)st.rax);
	info = st.rbx;
	CHECK(info >= kend && !(info & 0xfff), "mb1 info at %#lx: page-aligned above the kernel",
	      (unsigned long)info);
	CHECK(!memcmp(ram + KBASE, img + 0x1000, 0x1000) &&
	      !memcmp(ram + KBASE + 0x1000, img + 0x2000, 0x100), "mb1: segments copied");
	CHECK(ram[KBASE + 0x1100] == 0 && ram[KBASE + 0x2fff] == 0 &&
	      ram[KBASE - 1] == 0xaa, "mb1: bss zeroed, nothing below the kernel");
	CHECK(g32(info) == ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9)),
	      "mb1 flags %#x", g32(info));
	CHECK(g32(info + 4) == 639, "mem_lower %u", g32(info + 4));
	CHECK(g32(info + 8) == 15 * 1024, "mem_upper %u", g32(info + 8));
	CHECK(!strcmp((char *)ram + g32(info + 16), "console=ttyS0 quiet"), "mb1 cmdline");
	CHECK(!strcmp((char *)ram + g32(info + 64), "hv"), "mb1 boot_loader_name");
	CHECK(g32(info + 20) == 2, "mods_count %u", g32(info + 20));
	mods_addr = g32(info + 24);
	for (unsigned i = 0; i < 2; i++) {
		uint64_t m = mods_addr + 16 * i, s = g32(m), e = g32(m + 4);

		CHECK(!(s & 0xfff) && s >= info + 0x1000 && e - s == two_mods[i].size,
		      "mod %u at %#lx..%#lx", i, (unsigned long)s, (unsigned long)e);
		CHECK(!memcmp(ram + s, two_mods[i].data, two_mods[i].size), "mod %u contents", i);
		CHECK(!strcmp((char *)ram + g32(m + 8), two_mods[i].name), "mod %u string", i);
	}
	CHECK(g32(mods_addr + 16) >= g32(mods_addr + 4), "modules do not overlap");
	CHECK(g32(info + 44) == 3 * 24, "mmap_length %u", g32(info + 44));
	mmap = g32(info + 48);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t e = mmap + 24 * i;

		CHECK(g32(e) == 20 && g64(e + 4) == pc16[i].base && g64(e + 12) == pc16[i].len &&
		      g32(e + 20) == (uint32_t)pc16[i].type, "mmap entry %u", i);
	}

	/* ELF64, higher-half link: loaded at p_paddr, entry translated. */
	setup(flat16, 1);
	elf_begin(64, 0xffffffff80100000ull + 0x44);
	elf_seg(0x1000, 0xffffffff80100000ull, KBASE, 0x1000, 0x1800);
	mb1_hdr(0x1000, 0x2);
	CHECK(load(IMAGE_MULTIBOOT1) == 0 && st.rip == KBASE + 0x44 && st.rbx >= KBASE + 0x2000,
	      "mb1 ELF64 higher half: %s rip %#lx", err, (unsigned long)st.rip);
	CHECK(g32(st.rbx + 20) == 0 && g32(st.rbx + 8) == 15 * 1024 && g32(st.rbx + 4) == 640,
	      "mb1 without modules, flat map: lower 640K, upper 15M");
	mb1_hdr(0x1000, 0x100002); /* bits 16-31 are optional */
	CHECK(load(IMAGE_MULTIBOOT1) == 0, "optional flag bit 20 ignored: %s", err);
}

static void test_mb1_aout(void)
{
	/* A raw image: header at 0x40, loaded at 2 MiB, 16K bss end. */
	setup(flat16, 1);
	memset(img, 0, sizeof(img));
	fill(0, 0x300, 5);
	img_len = 0x300;
	mb1_hdr(0x40, 0x10003);
	p32(0x4c, 0x200040);
	p32(0x50, 0x200000);
	p32(0x54, 0);
	p32(0x58, 0x204000);
	p32(0x5c, 0x200080);
	CHECK(load(IMAGE_MULTIBOOT1) == 0, "a.out kludge: %s", err);
	CHECK(st.rip == 0x200080 && !memcmp(ram + 0x200000, img, 0x300) && ram[0x200300] == 0 &&
	      ram[0x203fff] == 0 && st.rbx >= 0x204000, "a.out kludge: loaded, bss, entry, info");
	p32(0x5c, 0x204000);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "entry point 0x204000 is not inside");
	p32(0x5c, 0x200080);
	p32(0x4c, 0xffffffff);
	p32(0x50, 0);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "would start before the image");
	p32(0x4c, 0x200040);
	p32(0x50, 0x200041);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "is above the header address");
	p32(0x50, 0x200000);
	p32(0x54, 0x2fffff);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "load end address 0x2fffff is not within the image");
	p32(0x54, 0);
	p32(0x58, 0x200100);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "bss end address 0x200100 is below");
	img_len = 0x4c; /* address fields cut off by the end of the image */
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "address fields run past");
}

static void test_mb1_bad(void)
{
	setup(flat16, 1);
	mk_mb1_elf32(0x3);
	p32(0x1008, 0x12345678);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "Multiboot header at offset 0x1000 has a bad checksum");
	memset(img + 0x1000, 0, 12);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "no Multiboot header in the first 8192 bytes");
	mb1_hdr(0x2000, 3); /* at 8192: outside the window */
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "no Multiboot header");
	FAILS(check(IMAGE_MULTIBOOT2, RAM_SIZE), LOADER_EFORMAT, "no Multiboot2 header");
	mk_mb1_elf32(0x23);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EUNSUPP, "requires unsupported features (flags 0x20)");
	mk_mb1_elf32(0x7);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EUNSUPP, "video mode information");

	/* ELF validation, reached through a Multiboot1 header. */
	mk_mb1_elf32(0x3);
	img[1] = 'X';
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "not an ELF file");
	FAILS(check(IMAGE_MULTIBOOT1, RAM_SIZE), LOADER_EFORMAT, "not an ELF file");
	memset(img, 0, sizeof(img));
	memcpy(img, "\x7f" "ELF\x01\x01\x01", 7);
	mb1_hdr(16, 3);
	img_len = 28;
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "truncated ELF32 header (28 of 52 bytes)");
	mk_mb1_elf32(0x3);
	img[4] = 7;
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "ELF class 7");
	mk_mb1_elf32(0x3);
	p16(18, 40); /* ARM */
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "machine 40, not i386");
	mk_mb1_elf32(0x3);
	p32(28, 0xfffffff0);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "program header table (offset 0xfffffff0");
	mk_mb1_elf32(0x3);
	p16(44, 0xffff);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "65535 entries of 32 bytes) runs past the end");
	mk_mb1_elf32(0x3);
	p16(42, 8);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "program header size 8 is smaller than 32");
	mk_mb1_elf32(0x3);
	p32(52 + 32 + 16, 0x2001); /* second segment: filesz > memsz */
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT,
		   "segment 1: file size 0x2001 is larger than its memory size 0x2000");
	mk_mb1_elf32(0x3);
	p32(52 + 32 + 4, 0xffffffff); /* second segment's offset */
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "at offset 0xffffffff run past the end");
	mk_mb1_elf32(0x3);
	p32(52 + 32 + 12, 0xfff000); /* second segment's paddr: 8K at 16M - 4K */
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_ENOSPACE,
		   "segment at 0xfff000 (8192 bytes) is outside the partition's 16M of RAM");
	mk_mb1_elf32(0x3);
	p32(24, 0x200000);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "entry point 0x200000 is not inside a loaded segment");
	mk_mb1_elf32(0x3);
	img[44] = 0;
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "has no program headers");

	/* 64-bit overflows: offsets and addresses that wrap. */
	elf_begin(64, KBASE);
	elf_seg(0x1000, KBASE, KBASE, 0x100, 0x100);
	mb1_hdr(0x1000, 3);
	p64(32, 0xfffffffffffffff0ull);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "program header table");
	p64(32, 64);
	p64(64 + 24, 0xfffffffffffff000ull);
	p64(64 + 40, 0x2000);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_ENOSPACE, "segment at 0xfffffffffffff000");
	p64(64 + 24, KBASE);
	p64(64 + 8, 0xffffffffffffff00ull);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EFORMAT, "run past the end of the image");
	p64(64 + 8, 0x1000);
	p64(64 + 40, 0xffffffffffffffffull);
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_ENOSPACE, "is outside the partition's 16M of RAM");

	/* A kernel filling RAM to the end leaves no room for the information. */
	elf_begin(32, KBASE);
	elf_seg(0x1000, KBASE, KBASE, 0x100, RAM_SIZE - KBASE);
	mb1_hdr(0x1000, 3);
	FAILS(check(IMAGE_MULTIBOOT1, RAM_SIZE), LOADER_ENOSPACE, "no room for the boot information");
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_ENOSPACE, "no room for the boot information");
}

static void test_modules_fit(void)
{
	struct loader_module big = { "big", NULL, 15 * MIB };
	uint8_t *data = calloc(1, big.size);

	big.data = data;
	setup(flat16, 1);
	mk_mb1_elf32(0x3);
	mods = &big;
	nmods = 1;
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_ENOSPACE, "module 0 ('big', 15728640 bytes) does not fit");
	big.size = 12 * MIB;
	CHECK(load(IMAGE_MULTIBOOT1) == 0 && ram_bad == 0, "12M module fits: %s", err);
	free(data);
	big = (struct loader_module){ "empty", NULL, 0 };
	CHECK(load(IMAGE_MULTIBOOT1) == 0 && g32(g32(st.rbx + 24)) == g32(g32(st.rbx + 24) + 4),
	      "empty module: start == end (%s)", err);
	nmods = LOADER_MODS_MAX + 1;
	LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EINVAL, "more than 32 modules");
	nmods = 0;
	{
		char *longline = malloc(LOADER_STR_MAX + 2);

		memset(longline, 'a', LOADER_STR_MAX + 1);
		longline[LOADER_STR_MAX + 1] = '\0';
		cmdline = longline;
		LOAD_FAILS(IMAGE_MULTIBOOT1, LOADER_EINVAL, "command line is longer than 4096 bytes");
		cmdline = NULL;
		free(longline);
	}
	gram.write = ram_refuse;
	FAILS(load(IMAGE_MULTIBOOT1), LOADER_EWRITE, "guest RAM refused a write at 0x100000");
	gram.write = ram_write;
}

/* Walks the Multiboot2 information at gpa; checks layout, returns tag count. */
static unsigned mb2_walk(uint64_t info)
{
	uint32_t total = g32(info);
	unsigned tags = 0, mod = 0;
	uint64_t t;

	CHECK(!(info & 7) && total >= 16, "mb2 info at %#lx, total %u", (unsigned long)info, total);
	for (t = info + 8; t + 8 <= info + total; t += (g32(t + 4) + 7) & ~7u, tags++) {
		uint32_t type = g32(t), size = g32(t + 4);

		if (type == 0) {
			CHECK(size == 8 && t + 8 == info + total, "end tag closes the information");
			return tags;
		}
		if (type == 1)
			CHECK(!strcmp((char *)ram + t + 8, "root=/dev/x") && size == 8 + 12, "mb2 cmdline");
		if (type == 2)
			CHECK(!strcmp((char *)ram + t + 8, "hv"), "mb2 loader name");
		if (type == 3) {
			uint32_t s = g32(t + 8), e = g32(t + 12);

			CHECK(mod < 2 && !(s & 0xfff) && e - s == two_mods[mod].size &&
			      !memcmp(ram + s, two_mods[mod].data, two_mods[mod].size) &&
			      !strcmp((char *)ram + t + 16, two_mods[mod].name) && s >= info + total,
			      "mb2 module %u", mod);
			mod++;
		}
		if (type == 4)
			CHECK(size == 16 && g32(t + 8) == 639 && g32(t + 12) == 15 * 1024,
			      "mb2 meminfo %u %u", g32(t + 8), g32(t + 12));
		if (type == 6) {
			CHECK(size == 16 + 3 * 24 && g32(t + 8) == 24 && g32(t + 12) == 0, "mb2 mmap header");
			for (unsigned i = 0; i < 3; i++)
				CHECK(g64(t + 16 + 24 * i) == pc16[i].base &&
				      g64(t + 24 + 24 * i) == pc16[i].len &&
				      g32(t + 32 + 24 * i) == (uint32_t)pc16[i].type, "mb2 mmap %u", i);
		}
	}
	CHECK(0, "mb2 info has no end tag");
	return tags;
}

static void test_mb2(void)
{
	static const uint32_t req[] = { 1, 6, 4 }, req_fb[] = { 8 }, align[] = { 0 };

	setup(pc16, 3);
	cmdline = "root=/dev/x";
	mods = two_mods;
	nmods = 2;
	mk_mb2_elf32();
	mb2_tag(1, 0, req, 3);
	mb2_tag(6, 0, align, 0);
	mb2_end();
	CHECK(check(IMAGE_MULTIBOOT2, RAM_SIZE) == 0, "mb2 check: %s", err);
	CHECK(load(IMAGE_MULTIBOOT2) == 0 && ram_bad == 0, "mb2 load: %s", err);
	CHECK(is_flat32(KBASE + 0x80) && st.rax == 0x36d76289u && st.rbx >= KBASE + 0x3000,
	      "mb2 state");
	CHECK(mb2_walk(st.rbx) == 6, "mb2: 6 tags before the end");
	FAILS(check(IMAGE_MULTIBOOT1, RAM_SIZE), LOADER_EFORMAT, "no Multiboot header");

	/* Entry address tag overrides the ELF entry; must be in a segment. */
	mk_mb2_elf32();
	mb2_tag(3, 0, (const uint32_t[]){ KBASE + 0x1010 }, 1);
	mb2_end();
	CHECK(load(IMAGE_MULTIBOOT2) == 0 && st.rip == KBASE + 0x1010, "entry tag: %s", err);
	mk_mb2_elf32();
	mb2_tag(3, 0, (const uint32_t[]){ 0x400000 }, 1);
	mb2_end();
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EFORMAT, "entry address tag 0x400000 is not inside");

	/* Address tag: load_addr -1 loads the file from its start. */
	memset(img, 0, sizeof(img));
	fill(0, 0x400, 9);
	img_len = 0x400;
	mb2_begin(0x20);
	mb2_tag(2, 0, (const uint32_t[]){ 0x300020, 0xffffffff, 0, 0x302000 }, 4);
	mb2_tag(3, 0, (const uint32_t[]){ 0x300100 }, 1);
	mb2_end();
	CHECK(load(IMAGE_MULTIBOOT2) == 0 && st.rip == 0x300100 &&
	      !memcmp(ram + 0x300000, img, 0x400) && ram[0x301fff] == 0, "address tag: %s", err);
	mb2_begin(0x20);
	mb2_tag(2, 0, (const uint32_t[]){ 0x300020, 0xffffffff, 0, 0x302000 }, 4);
	mb2_end();
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EFORMAT, "address tag without an entry address tag");

	/* Requirements that cannot be met, and the same made optional. */
	mk_mb2_elf32();
	mb2_tag(1, 0, req_fb, 1);
	mb2_end();
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EUNSUPP, "requires boot information tag 8");
	mk_mb2_elf32();
	mb2_tag(1, 1, req_fb, 1);
	mb2_tag(5, 1, (const uint32_t[]){ 1024, 768, 32 }, 3);
	mb2_tag(42, 1, NULL, 0);
	mb2_end();
	CHECK(load(IMAGE_MULTIBOOT2) == 0, "optional requests and tags ignored: %s", err);
	mk_mb2_elf32();
	mb2_tag(5, 0, (const uint32_t[]){ 1024, 768, 32 }, 3);
	mb2_end();
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EUNSUPP, "requires a framebuffer");
	mk_mb2_elf32();
	mb2_tag(42, 0, NULL, 0);
	mb2_end();
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EUNSUPP, "required tag type 42");
}

static void test_mb2_bad(void)
{
	setup(flat16, 1);
	mk_mb2_elf32();
	mb2_end();
	p32(0x100c, 0);
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EFORMAT, "Multiboot2 header at offset 0x1000 has a bad checksum");
	mk_mb2_elf32();
	mb2_end();
	p32(0x1004, 4); /* MIPS */
	p32(0x100c, 0u - MB2_MAGIC - 4 - 24);
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EUNSUPP, "architecture 4, not i386");
	mk_mb2_elf32();
	mb2_end();
	p32(0x1008, 0x10000); /* header_length past the 32K window */
	p32(0x100c, 0u - MB2_MAGIC - 0x10000);
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EFORMAT, "header length 65536 does not fit");
	mk_mb2_elf32();
	mb2_end();
	p32(0x1014, 0xfffffff0); /* end tag size */
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EFORMAT, "has a bad size (4294967280)");
	mk_mb2_elf32();
	mb2_end();
	p32(0x1014, 4);
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EFORMAT, "has a bad size (4)");
	mk_mb2_elf32();
	mb2_tag(6, 0, NULL, 0);
	mb2_end();
	p16(0x1018, 6); /* end tag turned into another module-align tag */
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EFORMAT, "has no end tag");
	mk_mb2_elf32();
	mb2_tag(2, 0, (const uint32_t[]){ 0 }, 1); /* address tag of 12 bytes */
	mb2_end();
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EFORMAT, "tag 2 is too short (12 bytes)");
	mk_mb2_elf32();
	mb2_end();
	memset(img + 0x1000, 0, 4);
	LOAD_FAILS(IMAGE_MULTIBOOT2, LOADER_EFORMAT, "no Multiboot2 header in the first 32768 bytes");
}

/* loader_check's layout: 4 GiB of RAM is [0, 3G) + [4G, 5G). */
static void test_check_layout(void)
{
	elf_begin(32, 0xbfff0000);
	elf_seg(0x1000, 0xbfff0000, 0xbfff0000, 0x100, 0x1000);
	mb1_hdr(0x1000, 3);
	CHECK(check(IMAGE_MULTIBOOT1, 4ull << 30) == 0, "kernel just below the hole: %s", err);
	p32(24, 0xc0000000);
	p32(52 + 8, 0xc0000000);
	p32(52 + 12, 0xc0000000);
	FAILS(check(IMAGE_MULTIBOOT1, 4ull << 30), LOADER_ENOSPACE,
	      "segment at 0xc0000000 (4096 bytes) is outside the partition's 4G of RAM");
	elf_begin(64, KBASE);
	elf_seg(0x1000, KBASE, 0x100000000ull, 0x100, 0x1000);
	mb1_hdr(0x1000, 3);
	FAILS(check(IMAGE_MULTIBOOT1, 4ull << 30), LOADER_EUNSUPP, "above 4 GiB");
	FAILS(check(IMAGE_MULTIBOOT1, UINT64_MAX), LOADER_EUNSUPP, "above 4 GiB");
	FAILS(loader_check((enum image_format)9, img, img_len, RAM_SIZE, 0, err, sizeof(err)),
	      LOADER_EINVAL, "unknown image format 9");
	CHECK(loader_check(IMAGE_MULTIBOOT1, img, img_len, RAM_SIZE, 0, err, 12) != 0 &&
	      strlen(err) == 11, "message truncated to the buffer");
}

int main(void)
{
	ram = malloc(RAM_SIZE);
	test_flat();
	test_flat_modes();
	test_too_big();
	test_mb1();
	test_mb1_aout();
	test_mb1_bad();
	test_modules_fit();
	test_mb2();
	test_mb2_bad();
	test_check_layout();
	free(ram);
	return check_summary();
}
