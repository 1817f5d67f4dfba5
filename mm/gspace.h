/* A partition's guest-physical address space: typed regions (ram, mmio, rom,
 * shared), RAM backed by buddy blocks. It says nothing about how the second-
 * level tables are built: EPT/NPT (mm/slat.c) today, shadow paging later,
 * both from the same map (gspace_for_each_piece).
 *
 * Layout of RAM (PC-style): [0, min(size, 3 GiB)) and, for the rest, from
 * 4 GiB up; [3 GiB, 4 GiB) is the hole for device MMIO. */
#ifndef MM_GSPACE_H
#define MM_GSPACE_H

#include <stdbool.h>
#include <stdint.h>

#define GSPACE_HOLE_START  0xC0000000ul  /* 3 GiB */
#define GSPACE_HOLE_END    0x100000000ul /* 4 GiB */
#define GSPACE_MAX_REGIONS 16
#define GSPACE_MAX_PIECES  256

enum gregion_type { GR_RAM, GR_MMIO, GR_ROM, GR_SHARED };

struct gregion {
	uint64_t gpa, len;
	enum gregion_type type;
};

/* One stretch of guest memory backed by one buddy block. */
struct gpiece {
	uint64_t gpa, hpa, len;
	enum gregion_type type;
	unsigned order; /* buddy order of the block (freed as one) */
};

struct gspace {
	struct gregion regions[GSPACE_MAX_REGIONS];
	unsigned nregions;
	struct gpiece pieces[GSPACE_MAX_PIECES];
	unsigned npieces;
	uint64_t ram_bytes;
};

enum gspace_status {
	GSPACE_OK = 0,
	GSPACE_ENOMEM = -1,     /* the buddy allocator ran out */
	GSPACE_EFRAG = -2,      /* memory too fragmented: more than GSPACE_MAX_PIECES */
	GSPACE_EINVAL = -3,     /* size not a 4 KiB multiple, or zero */
};

/* Builds the RAM regions of ram_bytes, backs them with buddy blocks as large
 * as the guest addresses allow (so 1 GiB / 2 MiB leaves can map them) and
 * zeroes them. On failure everything taken is given back. */
__attribute__((warn_unused_result)) enum gspace_status gspace_create(struct gspace *g,
								      uint64_t ram_bytes);
void gspace_destroy(struct gspace *g);
const char *gspace_status_str(enum gspace_status s);

/* Copies into / zeroes guest RAM [gpa, gpa + len), across pieces; fails
 * (and writes nothing) unless the whole range is RAM of this partition.
 * The only way loaders reach guest memory. */
__attribute__((warn_unused_result)) bool gspace_write(const struct gspace *g, uint64_t gpa,
						      const void *src, uint64_t len);
__attribute__((warn_unused_result)) bool gspace_zero(const struct gspace *g, uint64_t gpa,
						     uint64_t len);
/* Copies guest RAM [gpa, gpa + len) out to dst; false (nothing copied)
 * unless the whole range is this partition's RAM. */
__attribute__((warn_unused_result)) bool gspace_read(const struct gspace *g, uint64_t gpa,
						     void *dst, uint64_t len);

#endif
