/* The I/O and MSR bitmaps every VMCS points to (SDM Vol. 3C 25.6.4, 25.6.9),
 * shared by all vCPUs: they only say which accesses exit.
 * - I/O: every port exits. Each one is either a virtual device's or
 *   counted as unclaimed (core/exits.c); none reaches the hardware.
 * - MSRs: everything exits except what is switched between guest and host
 *   on every entry and exit: FS/GS base (guest segment state), the SYSENTER
 *   MSRs (guest and host fields), and STAR, LSTAR, SFMASK and KernelGSbase
 *   (the per-vCPU MSR lists, vmx_vcpu.c). A guest reads and writes those at
 *   full speed without touching the host's or another partition's values;
 *   the hardware checks the values (#GP on a non-canonical address). */
#include "vmx/vmx_caps.h"

#include "arch/x86/layout.h"
#include "core/string.h"
#include "mm/pmm.h"

#define MSR_SYSENTER_CS  0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_FS_BASE      0xc0000100u
#define MSR_GS_BASE      0xc0000101u
#define MSR_STAR         0xc0000081u
#define MSR_LSTAR        0xc0000082u
#define MSR_SFMASK       0xc0000084u
#define MSR_KERNEL_GS    0xc0000102u
/* MSR bitmap quarters: read low, read high, write low, write high (1 KiB
 * each); low is 0-0x1fff, high 0xc0000000-0xc0001fff. */
#define MSRB_WRITE       2048
#define MSRB_HIGH        1024

static uint64_t io_pa, msr_pa;

static void msr_pass(uint8_t *bm, uint32_t msr)
{
	unsigned off = msr >= 0xc0000000u ? MSRB_HIGH : 0, bit = msr & 0x1fff;

	bm[off + bit / 8] &= (uint8_t)~(1u << (bit % 8));
	bm[MSRB_WRITE + off + bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

bool vmx_bitmaps_init(void)
{
	static const uint32_t pass[] = { MSR_FS_BASE, MSR_GS_BASE, MSR_SYSENTER_CS,
					 MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_STAR, MSR_LSTAR,
					 MSR_SFMASK, MSR_KERNEL_GS };
	uint8_t *bm;

	if (io_pa)
		return true;
	if (pmm_alloc(1, &io_pa)) /* bitmaps A (ports 0-0x7fff) and B */
		return false;
	if (pmm_alloc(0, &msr_pa)) {
		pmm_free(io_pa);
		io_pa = 0;
		return false;
	}
	memset(phys_to_virt(io_pa), 0xff, 2 * PAGE_SIZE);
	bm = phys_to_virt(msr_pa);
	memset(bm, 0xff, PAGE_SIZE);
	for (unsigned i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		msr_pass(bm, pass[i]);
	return true;
}

uint64_t vmx_io_bitmap_pa(void)
{
	return io_pa;
}

uint64_t vmx_msr_bitmap_pa(void)
{
	return msr_pa;
}
