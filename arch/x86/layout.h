/* Hypervisor virtual address layout (4-level paging, 48-bit).
 *   0x0000000000000000  unmapped (null and low memory; the AP trampoline page is
 *                       identity-mapped only while APs start)
 *   DMAP_BASE           direct map of physical memory: RAM with large pages,
 *                       RW+NX; firmware tables and MMIO mapped on demand
 *   STACK_BASE          per-CPU stacks, each with an unmapped guard page below
 *   KERNEL_VBASE        the hypervisor image (text RX, rodata R, data RW+NX),
 *                       linked for physical KERNEL_PHYS but loaded wherever
 *                       GRUB found room: physical = link + image_load_offset
 */
#ifndef ARCH_X86_LAYOUT_H
#define ARCH_X86_LAYOUT_H

#include <stdint.h>

#define PAGE_SHIFT     12
#define PAGE_SIZE      (1ul << PAGE_SHIFT)
#define PAGE_MASK      (~(PAGE_SIZE - 1))
#define LARGE_2M       (1ul << 21)
#define LARGE_1G       (1ul << 30)

#define DMAP_BASE      0xffff800000000000ul /* PML4 slot 256 */
#define DMAP_SIZE      (1ul << 46)          /* 64 TiB of physical space */
#define STACK_BASE     0xffffc00000000000ul /* PML4 slot 384 */
#define KERNEL_VBASE   0xffffffff80000000ul /* PML4 slot 511, PDPT slot 510 */
#define KERNEL_PHYS    0x200000ul           /* link (and lowest load) address */

#define STACK_PAGES    4                     /* 16 KiB per stack */
#define STACK_SLOT     ((STACK_PAGES + 1) * PAGE_SIZE) /* stack + guard */

/* Load address minus link address of the image (a 2 MiB multiple), set
 * first thing in hv_main from what boot/entry.asm measured. */
extern uint64_t image_load_offset;

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + DMAP_BASE);
}

static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)(uintptr_t)va;

	return v >= KERNEL_VBASE ? v - KERNEL_VBASE + image_load_offset : v - DMAP_BASE;
}

#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

#endif
