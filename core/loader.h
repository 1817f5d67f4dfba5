/* Guest image loaders: flat binaries, Multiboot1 and Multiboot2 kernels.
 *
 * Everything in an image is untrusted: every offset and size is checked with
 * overflow-safe arithmetic, nothing is read past the image and nothing is
 * written outside the partition's RAM. Guest memory is reached only through
 * struct guest_ram, and every range is checked against the region list
 * before the callback (which checks again) is called.
 *
 * Formats and the state each starts in (core/vcpu_state.h):
 * - IMAGE_FLAT: the bytes copied to flat_load, entered at flat_entry (inside
 *   the image, below 4 GiB), by flat_mode: in 32-bit flat protected mode,
 *   paging off, EAX=EBX=0 (like a Multiboot kernel without information); in
 *   16-bit real mode (entry below 1 MiB, CS = its 64 KiB block); or in 64-bit
 *   long mode on an identity map of the first 4 GiB (2 MiB pages) that the
 *   loader builds with a GDT in the last LOADER_LONG_PAGES pages of RAM below
 *   3 GiB, RSP at their start. A flat image takes no modules; the command
 *   line is not passed.
 * - IMAGE_MULTIBOOT1 (spec 0.6.96): header in the first 8192 bytes; the a.out
 *   kludge address fields if flags bit 16 is set, else ELF32/ELF64 loaded at
 *   the segments' physical addresses. Required flags other than bits 0 and 1
 *   are refused (bit 2, video, included: partitions have no display).
 * - IMAGE_MULTIBOOT2 (spec 1.0): header in the first 32768 bytes; address and
 *   entry address tags, else ELF; required tags and information requests
 *   that cannot be met are refused.
 * Multiboot placement: the boot information goes at the first page boundary
 * above the kernel's highest byte, then each module page-aligned after it,
 * all in RAM below 4 GiB (the kernel keeps what lies below its end for itself).
 *
 * Messages are clauses without the image's name ("not an ELF file",
 * "segment at 0x100000 (8192 bytes) is outside the partition's 64M of RAM");
 * callers prefix it: "image 'x': ...". */
#ifndef CORE_LOADER_H
#define CORE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vcpu_state.h"

enum image_format { IMAGE_FLAT, IMAGE_MULTIBOOT1, IMAGE_MULTIBOOT2 };

enum loader_status {
	LOADER_OK = 0,
	LOADER_EFORMAT = -1,   /* not of its declared format, or malformed */
	LOADER_ENOSPACE = -2,  /* does not fit in the partition's RAM */
	LOADER_EUNSUPP = -3,   /* asks for something partitions do not provide */
	LOADER_EINVAL = -4,    /* bad request (too many modules, bad region list) */
	LOADER_EWRITE = -5,    /* the guest_ram callback refused a write */
};

/* Values match the Multiboot memory map types. */
enum guest_region_type { GUEST_REGION_RAM = 1, GUEST_REGION_RESERVED = 2 };

struct guest_region {
	uint64_t base, len;
	int type; /* enum guest_region_type */
};

/* The partition's RAM: [0, size) minus holes. write/zero return 0 on success
 * and must refuse (non-zero) any range that is not entirely guest RAM. */
struct guest_ram {
	uint64_t size;
	void *ctx;
	int (*write)(void *ctx, uint64_t gpa, const void *src, uint64_t len);
	int (*zero)(void *ctx, uint64_t gpa, uint64_t len);
};

struct loader_module {
	const char *name; /* its command line in the boot information; NULL: "" */
	const void *data;
	uint64_t size;
};

#define LOADER_MODS_MAX    32
#define LOADER_REGIONS_MAX 64
#define LOADER_SEGS_MAX    16   /* loadable ELF segments */
#define LOADER_STR_MAX     4096 /* command line and module names, NUL excluded */
#define LOADER_PAGE        4096ull
#define LOADER_4G          0x100000000ull
#define LOADER_REAL_TOP    0x100000ull /* real mode reaches below 1 MiB */
#define LOADER_LONG_PAGES  7           /* the long-mode tables and GDT */

struct load_request {
	enum image_format fmt;
	const void *img;
	uint64_t size;
	uint64_t flat_load, flat_entry; /* IMAGE_FLAT only */
	const char *cmdline;            /* Multiboot only; NULL: "" */
	const struct loader_module *mods;
	unsigned mod_count;
	/* The partition's memory map as the guest will see it: RAM-type regions
	 * are where anything may be loaded; all are reported to Multiboot guests. */
	const struct guest_region *regions;
	unsigned region_count;
	const char *loader_name; /* boot_loader_name; NULL: "hv" */
	enum vcpu_mode flat_mode; /* IMAGE_FLAT only; 0: 32-bit protected mode */
};

/* Validates img as fmt for a partition of ram_size bytes of RAM, laid out as
 * mm/gspace.h does ([0, 3 GiB), the rest from 4 GiB): headers, segments and
 * entry, and that kernel plus boot information fit. flat_load is the load
 * address of a flat image. Writes nothing to guest memory. Returns LOADER_OK
 * or a negative enum loader_status with a message in err. */
__attribute__((warn_unused_result)) int loader_check(enum image_format fmt, const void *img,
						     uint64_t size, uint64_t ram_size,
						     uint64_t flat_load, char *err, size_t errlen);

/* Validates everything, places it, then writes kernel, boot information and
 * modules through ram and fills *out with the initial vCPU state. Nothing is
 * written unless the whole plan fits. */
__attribute__((warn_unused_result)) int loader_load(const struct load_request *rq,
						    const struct guest_ram *ram,
						    struct vcpu_state *out, char *err, size_t errlen);

/* ---- Between core/loader*.c only ---------------------------------------- */

/* One stretch of guest memory: filesz bytes from the image at off, then
 * memsz - filesz zero bytes. */
struct loader_seg {
	uint64_t gpa, off, filesz, memsz;
};

struct loader_plan {
	struct loader_seg seg[LOADER_SEGS_MAX];
	unsigned nseg;
	uint64_t entry; /* guest-physical */
	uint64_t end;   /* one past the highest byte of any segment */
};

struct loader_ctx {
	const struct guest_region *regions;
	unsigned nregions;
	uint64_t top;       /* nothing at or above it is written (guest_ram.size) */
	uint64_t ram_bytes; /* total of the RAM regions, for messages */
	const struct guest_ram *ram; /* NULL while only checking */
	char *err;
	size_t errlen;
};

/* Where Multiboot information and modules go (loader_mb_place). */
struct loader_mb_layout {
	uint64_t info, info_len;
	uint64_t mod[LOADER_MODS_MAX];
};

/* loader.c: writes the message into c->err, returns status. */
int loader_fail(struct loader_ctx *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* loader_elf.c. Plans an ELF32 (EM_386) or ELF64 (EM_X86_64) image: PT_LOAD
 * segments at their physical addresses, entry translated from virtual to
 * physical. */
int loader_elf_plan(struct loader_ctx *c, const uint8_t *img, uint64_t size,
		    struct loader_plan *p);
/* True if [gpa, gpa + len) is RAM-type regions below c->top (no wrap). */
bool loader_in_ram(const struct loader_ctx *c, uint64_t gpa, uint64_t len);
/* "<what> at 0x.. (N bytes) is outside the partition's 64M of RAM". */
int loader_fail_outside(struct loader_ctx *c, const char *what, uint64_t gpa, uint64_t len);
/* Adds a segment after checking it lies in RAM. */
int loader_plan_add(struct loader_ctx *c, struct loader_plan *p, uint64_t gpa, uint64_t off,
		    uint64_t filesz, uint64_t memsz);
bool loader_plan_covers(const struct loader_plan *p, uint64_t gpa);
/* The only ways to guest memory: range checked, then c->ram called. */
int loader_write(struct loader_ctx *c, uint64_t gpa, const void *src, uint64_t len);

/* loader_flat.c: checks that a flat image can start in rq->flat_mode (and,
 * for long mode, where its page tables and GDT go: *area); writes nothing. */
int loader_flat_check(struct loader_ctx *c, const struct load_request *rq,
		      const struct loader_plan *p, uint64_t *area);
/* The entry state of a flat image, after loader_flat_check(); writes the
 * long-mode tables. */
int loader_flat_enter(struct loader_ctx *c, const struct load_request *rq, uint64_t area,
		      struct vcpu_state *out);
int loader_zero(struct loader_ctx *c, uint64_t gpa, uint64_t len);
int loader_plan_write(struct loader_ctx *c, const uint8_t *img, const struct loader_plan *p);

/* loader_mb.c. Places the information (of version 1 or 2) and the modules
 * above the kernel; then writes the information (the caller writes modules). */
int loader_mb_place(struct loader_ctx *c, const struct load_request *rq,
		    const struct loader_plan *p, int version, struct loader_mb_layout *l);
int loader_mb1_write_info(struct loader_ctx *c, const struct load_request *rq,
			  const struct loader_mb_layout *l);
int loader_mb2_write_info(struct loader_ctx *c, const struct load_request *rq,
			  const struct loader_mb_layout *l);

static inline uint16_t loader_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t loader_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t loader_rd64(const uint8_t *p)
{
	return (uint64_t)loader_rd32(p) | (uint64_t)loader_rd32(p + 4) << 32;
}

#endif
