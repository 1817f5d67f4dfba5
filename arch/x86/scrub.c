/* State a guest can read that VM entry does not load from the VMCS/VMCB:
 * x87/SSE registers, DR0-DR3/DR6 and CR2. Reset before a partition starts
 * on a CPU, so nothing of the previous partition (or the host) shows. */
#include "arch/x86/scrub.h"

#include "arch/x86/cpu.h"

#define CR4_OSFXSR      (1ul << 9)
#define CR4_OSXMMEXCPT  (1ul << 10)
#define FCW_INIT        0x037f   /* x87 control word after FNINIT */
#define MXCSR_INIT      0x1f80   /* SSE control/status after reset */
#define DR6_INIT        0xffff0ff0ul

/* FXRSTOR image of the reset state: x87 and XMM0-15 zero. */
struct fxsave_area {
	uint16_t fcw, fsw;
	uint8_t ftw, reserved0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t regs[512 - 32];
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct fxsave_area) == 512, "FXSAVE area, SDM Vol. 1 10.5.1");

static const struct fxsave_area reset_area = { .fcw = FCW_INIT, .mxcsr = MXCSR_INIT };

void scrub_enable_fx(void)
{
	/* FXRSTOR needs OSFXSR to restore XMM; the hypervisor itself never
	 * uses SSE (-mgeneral-regs-only). */
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

void scrub_guest_visible_state(void)
{
	uint64_t zero = 0, dr6 = DR6_INIT;

	__asm__ volatile("fninit\n\t"
			 "fxrstor64 %0" ::"m"(reset_area) : "memory");
	__asm__ volatile("mov %0, %%dr0\n\t"
			 "mov %0, %%dr1\n\t"
			 "mov %0, %%dr2\n\t"
			 "mov %0, %%dr3\n\t"
			 "mov %1, %%dr6\n\t"
			 "mov %0, %%cr2" ::"r"(zero), "r"(dr6) : "memory");
}

void guest_extra_save(struct guest_extra *g)
{
	__asm__ volatile("fxsave64 %0" : "=m"(g->fx));
	__asm__ volatile("mov %%dr0, %0\n\t"
			 "mov %%dr1, %1\n\t"
			 "mov %%dr2, %2\n\t"
			 "mov %%dr3, %3\n\t"
			 "mov %%dr6, %4\n\t"
			 "mov %%cr2, %5"
			 : "=r"(g->dr[0]), "=r"(g->dr[1]), "=r"(g->dr[2]), "=r"(g->dr[3]),
			   "=r"(g->dr6), "=r"(g->cr2));
	g->valid = true;
}

void guest_extra_load(const struct guest_extra *g)
{
	if (!g->valid) {
		scrub_guest_visible_state();
		return;
	}
	__asm__ volatile("fxrstor64 %0" ::"m"(g->fx) : "memory");
	__asm__ volatile("mov %0, %%dr0\n\t"
			 "mov %1, %%dr1\n\t"
			 "mov %2, %%dr2\n\t"
			 "mov %3, %%dr3\n\t"
			 "mov %4, %%dr6\n\t"
			 "mov %5, %%cr2" ::"r"(g->dr[0]), "r"(g->dr[1]), "r"(g->dr[2]), "r"(g->dr[3]),
			 "r"(g->dr6), "r"(g->cr2) : "memory");
}
