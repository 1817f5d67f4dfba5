/* Private to boot/: turns a loader memory map (any order, overlaps allowed)
 * into sorted, disjoint regions; overlaps take the higher enum mem_type. */
#ifndef BOOT_MMAP_NORM_H
#define BOOT_MMAP_NORM_H

#include "boot/boot_info.h"

#define BOOT_MMAP_RAW_MAX 512 /* loader entries accepted before normalising */

/* Normalises in[0..n) into out (capacity cap). Returns the count, or -1 if
 * the result would not fit. */
int mmap_normalize(const struct mem_region *in, unsigned n, struct mem_region *out, unsigned cap);

#endif
