/* Private to svm/: the VMCB (APM Vol. 2 appendix B), one 4 KiB page per
 * vCPU: control area at 0, state-save area at 0x400. Offsets pinned. */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

struct vmcb_seg {
	uint16_t sel;
	uint16_t attrib; /* type S DPL P | AVL L DB G in bits 11:8 */
	uint32_t limit;
	uint64_t base;
};

struct vmcb {
	/* control area */
	uint32_t cr_intercepts;        /* 0x000 */
	uint32_t dr_intercepts;        /* 0x004 */
	uint32_t exception_intercepts; /* 0x008 */
	uint32_t intercepts1;          /* 0x00c */
	uint32_t intercepts2;          /* 0x010 */
	uint8_t reserved0[0x03c - 0x014];
	uint16_t pause_threshold;      /* 0x03c */
	uint16_t pause_count;          /* 0x03e */
	uint64_t iopm_pa;              /* 0x040 */
	uint64_t msrpm_pa;             /* 0x048 */
	uint64_t tsc_offset;           /* 0x050 */
	uint32_t asid;                 /* 0x058 */
	uint8_t tlb_control;           /* 0x05c */
	uint8_t reserved1[3];
	uint64_t vintr;                /* 0x060 */
	uint64_t interrupt_shadow;     /* 0x068 */
	uint64_t exitcode;             /* 0x070 */
	uint64_t exitinfo1;            /* 0x078 */
	uint64_t exitinfo2;            /* 0x080 */
	uint64_t exitintinfo;          /* 0x088 */
	uint64_t np_enable;            /* 0x090 */
	uint8_t reserved2[0x0a8 - 0x098];
	uint64_t eventinj;             /* 0x0a8 */
	uint64_t ncr3;                 /* 0x0b0 */
	uint64_t lbr_virt;             /* 0x0b8 */
	uint32_t clean;                /* 0x0c0 */
	uint32_t reserved3;
	uint64_t nrip;                 /* 0x0c8 */
	uint8_t reserved4[0x400 - 0x0d0];
	/* state-save area */
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
	uint8_t reserved5[0x4cb - 0x4a0];
	uint8_t cpl;                   /* 0x4cb */
	uint32_t reserved6;
	uint64_t efer;                 /* 0x4d0 */
	uint8_t reserved7[0x548 - 0x4d8];
	uint64_t cr4, cr3, cr0, dr7, dr6, rflags, rip; /* 0x548 */
	uint8_t reserved8[0x5d8 - 0x580];
	uint64_t rsp;                  /* 0x5d8 */
	uint8_t reserved9[0x5f8 - 0x5e0];
	uint64_t rax;                  /* 0x5f8 */
	uint8_t reserved10[0x668 - 0x600];
	uint64_t g_pat;                /* 0x668 */
	uint8_t reserved11[0x1000 - 0x670];
} __attribute__((packed));

_Static_assert(offsetof(struct vmcb, iopm_pa) == 0x040, "VMCB IOPM_BASE_PA");
_Static_assert(offsetof(struct vmcb, asid) == 0x058, "VMCB guest ASID");
_Static_assert(offsetof(struct vmcb, exitcode) == 0x070, "VMCB EXITCODE");
_Static_assert(offsetof(struct vmcb, np_enable) == 0x090, "VMCB NP_ENABLE");
_Static_assert(offsetof(struct vmcb, eventinj) == 0x0a8, "VMCB EVENTINJ");
_Static_assert(offsetof(struct vmcb, ncr3) == 0x0b0, "VMCB N_CR3");
_Static_assert(offsetof(struct vmcb, nrip) == 0x0c8, "VMCB nRIP");
_Static_assert(offsetof(struct vmcb, es) == 0x400, "VMCB save area");
_Static_assert(offsetof(struct vmcb, tr) == 0x490, "VMCB TR");
_Static_assert(offsetof(struct vmcb, cpl) == 0x4cb, "VMCB CPL");
_Static_assert(offsetof(struct vmcb, efer) == 0x4d0, "VMCB EFER");
_Static_assert(offsetof(struct vmcb, cr4) == 0x548, "VMCB CR4");
_Static_assert(offsetof(struct vmcb, rip) == 0x578, "VMCB RIP");
_Static_assert(offsetof(struct vmcb, rsp) == 0x5d8, "VMCB RSP");
_Static_assert(offsetof(struct vmcb, rax) == 0x5f8, "VMCB RAX");
_Static_assert(offsetof(struct vmcb, g_pat) == 0x668, "VMCB G_PAT");
_Static_assert(sizeof(struct vmcb) == 0x1000, "VMCB is one page");

/* Intercept bits (APM Vol. 2 B.1, table B-1) */
#define INTERCEPT1_INTR      (1u << 0)
#define INTERCEPT1_NMI       (1u << 1)
#define INTERCEPT1_VINTR     (1u << 4)
#define INTERCEPT1_INVD      (1u << 22)
#define INTERCEPT1_INVLPGA   (1u << 26)
#define INTERCEPT1_CPUID     (1u << 18)
#define INTERCEPT1_HLT       (1u << 24)
#define INTERCEPT1_IOIO      (1u << 27)
#define INTERCEPT1_MSR       (1u << 28)
#define INTERCEPT1_SHUTDOWN  (1u << 31)
#define INTERCEPT2_VMRUN     (1u << 0)  /* required by VMRUN's checks */
#define INTERCEPT2_VMMCALL   (1u << 1)
#define INTERCEPT2_VMLOAD    (1u << 2)
#define INTERCEPT2_VMSAVE    (1u << 3)
#define INTERCEPT2_STGI      (1u << 4)
#define INTERCEPT2_CLGI      (1u << 5)
#define INTERCEPT2_SKINIT    (1u << 6)
#define INTERCEPT2_MONITOR   (1u << 10)
#define INTERCEPT2_MWAIT     (1u << 11)
#define INTERCEPT2_XSETBV    (1u << 13)

/* Exit codes (APM Vol. 2 appendix C) */
enum svm_exit {
	SVM_EXIT_EXCEPTION_BASE = 0x40,
	SVM_EXIT_NMI = 0x61,
	SVM_EXIT_CPUID = 0x72,
	SVM_EXIT_HLT = 0x78,
	SVM_EXIT_IOIO = 0x7b,
	SVM_EXIT_INTR = 0x60,
	SVM_EXIT_VINTR = 0x64,
	SVM_EXIT_INVD = 0x76,
	SVM_EXIT_INVLPGA = 0x7a,
	SVM_EXIT_MSR = 0x7c,
	SVM_EXIT_VMLOAD = 0x82,
	SVM_EXIT_VMSAVE = 0x83,
	SVM_EXIT_STGI = 0x84,
	SVM_EXIT_CLGI = 0x85,
	SVM_EXIT_SKINIT = 0x86,
	SVM_EXIT_MONITOR = 0x8a,
	SVM_EXIT_MWAIT = 0x8b,
	SVM_EXIT_SHUTDOWN = 0x7f,
	SVM_EXIT_VMMCALL = 0x81,
	SVM_EXIT_NPF = 0x400,
	SVM_EXIT_INVALID = 0xffffffffu, /* compare the low 32 bits: QEMU differs */
};

#define MSR_VM_HSAVE_PA 0xc0010117u
#define EFER_SVME       (1u << 12)
#define GPAT_DEFAULT    0x0007040600070406ull /* the reset PAT */
/* VMCB clean bits (APM Vol. 2 15.15.3): a set bit says the hypervisor has
 * not changed that group since the last VMRUN of this VMCB on this CPU. */
#define CLEAN_INTERCEPTS (1u << 0)
#define CLEAN_IOPM       (1u << 1)
#define CLEAN_ASID       (1u << 2)
#define CLEAN_TPR        (1u << 3)
#define CLEAN_NP         (1u << 4)
#define CLEAN_CRX        (1u << 5) /* CR0, CR3, CR4, EFER */
#define CLEAN_DRX        (1u << 6)
#define CLEAN_DT         (1u << 7)
#define CLEAN_SEG        (1u << 8)
#define CLEAN_CR2        (1u << 9)
#define CLEAN_LBR        (1u << 10)
#define CLEAN_USED       0x7ffu    /* the groups above; AVIC (11) unused */
#define EVENTINJ_VALID  (1ull << 31)
/* VMCB 0x60, the virtual interrupt controls (APM Vol. 2 15.21) */
#define VINTR_V_IRQ      (1ull << 8)
#define VINTR_PRIO_MAX   (0xfull << 16)
#define VINTR_IGN_TPR    (1ull << 20)
#define VINTR_MASKING    (1ull << 24)
#define EVENTINJ_EXCEPTION (3ull << 8)
#define EVENTINJ_EV     (1ull << 11)

#endif
