/* Second-level address translation tables: one 4-level walker for Intel EPT
 * and AMD NPT, told apart only by an entry-format descriptor (the bit layouts
 * live in mm/slat.c and nowhere else).
 *
 * A table maps guest-physical pages (below 2^48) to host-physical ones with
 * SLAT_R / SLAT_W / SLAT_X, using 4 KiB, 2 MiB and 1 GiB leaves (levels 0, 1,
 * 2), the largest that alignment, length and max_leaf_level allow. Leaves are
 * write-back; EPT leaves leave ignore-PAT clear, so the guest's PAT still
 * applies. Table pages come from a small environment so the same source
 * builds on the host (tests/host/test_slat.c).
 *
 * TLB contract: an operation that changes or removes an entry that was
 * present (a replaced or removed mapping, a permission change, a large leaf
 * split into a table, a table unlinked) sets s->flush_needed. Until the caller
 * has invalidated the translations derived from this table on every CPU that
 * may have used it (INVEPT single-context for its EPTP; a new ASID or
 * TLB_CONTROL flush for NPT), those CPUs may still use the old entries. Then
 * it calls slat_flush_done(), which clears the flag and frees the table pages
 * unlinked since the last call: they are kept until then because paging-
 * structure caches may still point into them (SDM Vol. 3C 29.4). Filling
 * entries that were not present never sets the flag: not-present entries are
 * not cached. Clearing the flag by hand is allowed; the unlinked pages then
 * wait for the next slat_flush_done or slat_destroy.
 *
 * Permissions: SLAT_R is required and only R, RW, RX, RWX are accepted: NPT
 * cannot express not-readable, and EPT write-only is a misconfiguration (SDM
 * Vol. 3C 29.3.3.1; execute-only needs a capability this does not use).
 *
 * Out of memory: map, unmap and protect walk the range upwards. On
 * SLAT_ENOMEM a prefix [gpa, gpa + n) of the range (n a 4 KiB multiple,
 * possibly 0) translates the new way and the rest exactly as before; a large
 * leaf split on the way may stay split (same translations). The counters and
 * flush_needed describe the tables as they are, no empty table is left
 * linked, and the call can simply be retried.
 *
 * No lock: the caller serialises every call on one table.
 */
#ifndef MM_SLAT_H
#define MM_SLAT_H

#include <stdbool.h>
#include <stdint.h>

#define SLAT_PAGE_SIZE   0x1000ull
#define SLAT_LEVELS      4                /* PML4 = level 3 ... PT = level 0 */
#define SLAT_LEAF_LEVELS 3                /* 4 KiB, 2 MiB, 1 GiB */
#define SLAT_LEVEL_4K    0u
#define SLAT_LEVEL_2M    1u
#define SLAT_LEVEL_1G    2u
#define SLAT_GPA_LIMIT   (1ull << 48)     /* what 4 levels translate */
#define SLAT_HPA_LIMIT   (1ull << 52)     /* address bits 51:12 of an entry */

/* Permissions (arguments and results). */
#define SLAT_R   1u
#define SLAT_W   2u
#define SLAT_X   4u
#define SLAT_RWX (SLAT_R | SLAT_W | SLAT_X)

enum slat_status {
	SLAT_OK = 0,
	SLAT_ENOMEM = -1, /* env->alloc_page failed: see "Out of memory" above */
	SLAT_EINVAL = -2, /* unaligned, beyond the limits, bad perm or level;
			   * nothing changed */
};

/* Entry format, defined in mm/slat.c (SDM Vol. 3C 29.3.2, APM Vol. 2 15.25). */
struct slat_fmt;
extern const struct slat_fmt slat_fmt_ept, slat_fmt_npt;

struct slat_env {
	/* Writable pointer to the 4 KiB page at pa (a table page of this env). */
	void *(*phys_to_virt)(void *ctx, uint64_t pa);
	/* One 4 KiB page, any content (the walker zeroes it); 0 on success. */
	int (*alloc_page)(void *ctx, uint64_t *pa);
	void (*free_page)(void *ctx, uint64_t pa);
	void *ctx;
};

struct slat {
	const struct slat_fmt *fmt;
	const struct slat_env *env;
	uint64_t root_pa;        /* level-3 table: the EPTP / nCR3 address */
	unsigned max_leaf_level; /* largest leaf used: SLAT_LEVEL_2M without 1G pages */
	bool flush_needed;       /* see the TLB contract above */
	uint64_t leaves[SLAT_LEAF_LEVELS]; /* present leaves by level, exact */
	uint64_t table_pages;    /* linked table pages, root included */
	uint64_t retired_pages;  /* unlinked, freed by slat_flush_done */
	uint64_t retired_head;   /* list threaded through entry 0 of those pages */
};

/* Empty table (root allocated). max_leaf_level is at most SLAT_LEVEL_1G. */
__attribute__((warn_unused_result))
enum slat_status slat_init(struct slat *s, const struct slat_fmt *fmt,
			   const struct slat_env *env, unsigned max_leaf_level);

/* Maps [gpa, gpa + len) to [hpa, hpa + len) with perm, replacing whatever
 * was there; a large leaf only partly replaced is split and the rest keeps
 * its translation. gpa, hpa, len 4 KiB aligned; len 0 does nothing. */
__attribute__((warn_unused_result))
enum slat_status slat_map(struct slat *s, uint64_t gpa, uint64_t hpa, uint64_t len,
			  unsigned perm);

/* Removes every mapping in [gpa, gpa + len), splitting large leaves that
 * stick out; tables left empty are unlinked. Needs memory only to split. */
__attribute__((warn_unused_result))
enum slat_status slat_unmap(struct slat *s, uint64_t gpa, uint64_t len);

/* Sets perm on the mapped pages of [gpa, gpa + len); unmapped pages stay
 * unmapped. Large leaves are split only where the permission changes. */
__attribute__((warn_unused_result))
enum slat_status slat_protect(struct slat *s, uint64_t gpa, uint64_t len, unsigned perm);

/* Walks as the CPU would. True if gpa is mapped: *hpa gets the host address
 * of gpa itself (offset kept), *perm and *leaf_level the leaf's. Any out
 * pointer may be NULL. */
bool slat_translate(const struct slat *s, uint64_t gpa, uint64_t *hpa, unsigned *perm,
		    unsigned *leaf_level);

/* After the caller's flush: clears flush_needed, frees retired table pages. */
void slat_flush_done(struct slat *s);

/* out[level] = present leaves of that level (4 KiB, 2 MiB, 1 GiB). */
void slat_leaf_counts(const struct slat *s, uint64_t out[SLAT_LEAF_LEVELS]);

/* Frees every table page, retired ones included; s needs slat_init again.
 * No CPU may use the table any more (nor hold translations from it). */
void slat_destroy(struct slat *s);

const char *slat_status_str(enum slat_status st);

#endif
