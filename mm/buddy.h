/* Buddy allocator for physical memory frames.
 *
 * Contract: the allocator manages 4 KiB frames in [base, base + nframes * 4 KiB).
 * Blocks of order k are 4 KiB << k bytes and are aligned to their size in the
 * *physical* address space (so an order-18 block is a 1 GiB-aligned 1 GiB page).
 * Orders run from 0 (4 KiB) to BUDDY_MAX_ORDER (1 GiB).
 *
 * It keeps one state byte per frame in caller-provided metadata and threads its
 * free lists through the free blocks themselves, reached through env->phys_to_virt.
 * It takes no lock: the caller serialises (mm/pmm.c holds a spinlock).
 * The same source builds freestanding (hypervisor) and hosted (tests/host/).
 */
#ifndef MM_BUDDY_H
#define MM_BUDDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUDDY_PAGE_SHIFT 12
#define BUDDY_PAGE_SIZE  (1ull << BUDDY_PAGE_SHIFT)
#define BUDDY_MAX_ORDER  18 /* 4 KiB << 18 = 1 GiB */
#define BUDDY_ORDERS     (BUDDY_MAX_ORDER + 1)

/* Results of buddy_alloc / buddy_free. */
enum buddy_status {
	BUDDY_OK = 0,
	BUDDY_ENOMEM = -1,      /* no free block of the order or larger */
	BUDDY_EINVAL = -2,      /* order out of range; range misaligned, outside
				 * the covered range or already added */
	BUDDY_EFOREIGN = -3,    /* free of an address the allocator never handed out
				 * (outside the range, reserved, unaligned, or inside
				 * an allocated block) */
	BUDDY_EDOUBLE = -4,     /* free of a block that is already free, also after
				 * it merged (any address inside a free block) */
};

struct buddy_env {
	/* Returns a writable pointer to the first bytes of the frame at pa. */
	void *(*phys_to_virt)(uint64_t pa);
};

struct buddy_list {
	uint64_t head;  /* physical address of first free block, BUDDY_NIL if empty */
	uint64_t count; /* blocks on this list */
};

#define BUDDY_NIL UINT64_MAX

struct buddy {
	uint64_t base;     /* physical address of frame 0 of the metadata, 1 GiB aligned */
	uint64_t nframes;  /* frames covered by meta[] */
	uint8_t *meta;     /* nframes state bytes, owned by the caller */
	const struct buddy_env *env;
	struct buddy_list free[BUDDY_ORDERS];
	uint64_t free_frames;    /* frames currently on free lists */
	uint64_t managed_frames; /* frames ever added with buddy_add_range */
};

/* Bytes of metadata needed to cover [lowest_pa rounded down to 1 GiB, end_pa):
 * one per whole 4 KiB frame (a partial last frame is not covered). */
uint64_t buddy_meta_bytes(uint64_t lowest_pa, uint64_t end_pa);

/* Covers [lowest_pa rounded down to 1 GiB, end_pa); every frame starts reserved.
 * meta must hold buddy_meta_bytes(lowest_pa, end_pa) bytes. */
void buddy_init(struct buddy *b, uint64_t lowest_pa, uint64_t end_pa, uint8_t *meta,
		const struct buddy_env *env);

/* Hands [pa, pa + len) to the allocator as free memory. pa and len must be
 * 4 KiB multiples and inside the covered range, and the frames must still be
 * reserved (never added before); otherwise BUDDY_EINVAL and nothing changes.
 * An empty range adds nothing. Blocks merge with free neighbours. */
__attribute__((warn_unused_result))
enum buddy_status buddy_add_range(struct buddy *b, uint64_t pa, uint64_t len);

/* Allocates one block of 4 KiB << order bytes, aligned to its size. The
 * block's first 16 bytes hold stale free-list links: scrub before sharing.
 * On failure nothing changes. */
__attribute__((warn_unused_result))
enum buddy_status buddy_alloc(struct buddy *b, unsigned order, uint64_t *pa_out);

/* Frees the block that starts at pa; its order is the one it was allocated with.
 * On BUDDY_EFOREIGN or BUDDY_EDOUBLE nothing changes. If order_out is not NULL
 * it receives the order of the freed block. */
__attribute__((warn_unused_result))
enum buddy_status buddy_free(struct buddy *b, uint64_t pa, unsigned *order_out);

/* Free blocks per order (out[k] = blocks of order k on the free list). */
void buddy_stats(const struct buddy *b, uint64_t out[BUDDY_ORDERS]);

/* Order of the smallest block holding bytes (bytes > 0), or -1 if over 1 GiB. */
int buddy_order_for(uint64_t bytes);

const char *buddy_status_str(enum buddy_status s);

#endif
