/* A vCPU as core/ sees it, and the vendor-neutral exit the backends report.
 * vmx/ and svm/ turn their native exits into struct vm_exit; core/ decides. */
#ifndef CORE_VCPU_H
#define CORE_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/scrub.h"
#include "core/vcpu_state.h"
#include "vdev/vlapic.h"

/* Guest general registers the entry code saves and restores (RSP and RIP
 * live in the VMCS/VMCB). Offsets go to assembly through asm-offsets. */
struct vcpu_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct partition;

enum vm_exit_kind {
	VMEXIT_IO,          /* port I/O: io.port, io.size, io.in */
	VMEXIT_HLT,
	VMEXIT_CPUID,
	VMEXIT_RDMSR,       /* MSR number in regs.rcx */
	VMEXIT_WRMSR,       /* MSR number in regs.rcx, value in edx:eax */
	VMEXIT_HYPERCALL,   /* VMCALL / VMMCALL: docs/hypercalls.md */
	VMEXIT_NOP,         /* an instruction completed by skipping it (INVD) */
	VMEXIT_UNOFFERED,   /* an instruction of a feature CPUID hides (MONITOR,
			     * MWAIT; SVM's own instructions): #UD */
	/* Above: exits of an instruction. From here: exits that may come
	 * while the CPU delivers an event (the backends look at those). */
	VMEXIT_EXCEPTION,   /* an intercepted guest exception: exception */
	VMEXIT_SLAT_FAULT,  /* EPT violation / nested page fault: fault */
	VMEXIT_TRIPLE_FAULT,
	VMEXIT_NMI,         /* a host NMI arrived while the guest ran (handled) */
	VMEXIT_ENTRY_FAILED,/* the guest state was refused: detail says why */
	VMEXIT_PREEMPT,     /* the backend's timer (v->timer_at) fired */
	VMEXIT_INTR,        /* a host interrupt (timer, kick) arrived */
	VMEXIT_IRQ_WINDOW,  /* the guest can take the interrupt it waits for */
	VMEXIT_OTHER,       /* anything else: code is the native reason */
};
#define VMEXIT_KINDS (VMEXIT_OTHER + 1)


/* The backend's TLB tag bookkeeping for a vCPU: its VPID (VMX) or ASID
 * (SVM: per CPU, with generations, svm/svm_asid.h). */
struct vcpu_tlb {
	uint32_t tag;
	uint32_t generation; /* 0: none yet */
	int cpu;             /* the CPU tag belongs to / last ran on; -1: none */
	bool flush;          /* flush tag at the next run (tables changed) */
};

/* Where a vCPU is in its life (core/sched.c). Changed under its run
 * queue's lock, read without it. */
enum vcpu_run_state {
	VCPU_OFF,      /* an AP waiting for INIT/SIPI, or not started */
	VCPU_RUNNABLE,
	VCPU_RUNNING,
	VCPU_BLOCKED,  /* in HLT until a virtual interrupt (or INIT) */
	VCPU_DEAD,     /* its partition stopped; its VMCS/VMCB is freed */
};

/* Kept for the console that comes later, printed when the partition stops. */
struct vcpu_stats {
	uint64_t run_tsc;     /* time in the guest and its exit handling */
	uint64_t scheduled;   /* times picked to run */
	uint64_t migrations;  /* runs on another CPU than the previous one */
	uint64_t wakeups;     /* BLOCKED -> RUNNABLE */
	uint64_t exits_at_block; /* v->exits when it last blocked */
};

struct vcpu {
	struct vcpu_regs regs;   /* first: the entry code's base pointer */
	struct partition *part;
	unsigned id;
	uint64_t arch_page;      /* the VMCS (VMX) or VMCB (SVM); 0: not set up */
	bool launched;
	struct vcpu_tlb tlb;
	uint64_t exits[VMEXIT_KINDS]; /* by kind (core/exits.c), summed per partition */

	/* Scheduling (core/sched.c) */
	volatile int state;      /* enum vcpu_run_state */
	bool halt_if0;           /* BLOCKED by a HLT with interrupts off */
	int pin;                 /* the physical CPU it is pinned to; -1: the pool */
	unsigned rq;             /* the run queue (CPU) it is on */
	int last_cpu;            /* where it last ran; -1: never */
	unsigned weight;
	uint64_t vruntime;       /* run time / weight, in TSC ticks * WEIGHT_UNIT */
	uint64_t slice_end;      /* TSC: leave the guest then (0: no slice) */
	uint64_t timer_at;       /* TSC: leave for the scheduler then (0: none) */
	volatile bool kick;      /* leave the guest at the next exit */
	struct guest_extra extra; /* x87/SSE, DR0-3/6, CR2 while it is off CPU */
	struct vcpu_state start; /* how it starts at its next set-up */
	bool started;            /* start is valid (vCPU 0, or after a SIPI) */
	struct vcpu_stats st;

	/* Virtual interrupts (core/vintr.c) */
	struct vlapic lapic;
	volatile uint32_t posted[8]; /* vectors sent from other CPUs, not yet in IRR */
	uint64_t lapic_at;       /* vlapic_next_deadline() as last computed */
	/* Work before the next entry: the exit path tests the four at once. */
	union {
		struct {
			volatile bool intr_dirty;     /* pending interrupts may have changed */
			volatile bool posted_any;     /* posted[] has bits */
			volatile bool guest_timer_on; /* VMX: the preemption timer is active */
			volatile bool has_deadline;   /* timer_at or lapic_at is set */
		};
		volatile uint32_t entry_work;
	};
	bool init_pending;       /* INIT received: reset, then wait for SIPI */
	int sipi_vector;         /* SIPI received (-1: none) */
};


/* STYLE.md 4: EPT violations and nested page faults become one struct. */
struct slat_fault {
	uint64_t gpa;
	bool read, write, fetch, present;
};

struct vm_exit {
	enum vm_exit_kind kind;
	uint64_t code;        /* native exit reason, for logs */
	uint64_t rip;         /* guest RIP at the exit */
	unsigned insn_len;    /* length of the exiting instruction, 0 if unknown */
	struct {
		uint16_t port;
		uint8_t size;
		bool in;
		bool string;
	} io;
	struct slat_fault fault;
	struct {
		uint8_t vector;
		bool has_error;
		uint32_t error;
	} exception;
	const char *detail;   /* a name for ENTRY_FAILED / OTHER, may be NULL */
};

/* Guest registers that live in the VMCS/VMCB (virt_ops.vcpu_get). CR0 and
 * CR4 as the guest sees them (bits the backend owns show their shadow). */
enum vcpu_reg {
	VCPU_REG_RIP, VCPU_REG_RSP, VCPU_REG_RFLAGS,
	VCPU_REG_CR0, VCPU_REG_CR3, VCPU_REG_CR4, VCPU_REG_EFER,
};

/* All of v's exits so far. */
static inline uint64_t vcpu_exit_total(const struct vcpu *v)
{
	uint64_t n = 0;

	for (unsigned k = 0; k < VMEXIT_KINDS; k++)
		n += v->exits[k];
	return n;
}

/* After timer_at or lapic_at changed. */
static inline void vcpu_deadline_changed(struct vcpu *v)
{
	v->has_deadline = v->timer_at || v->lapic_at != UINT64_MAX;
}

/* What the backend does after core/ handled an exit (core/exits.c). Only
 * the fields of struct vm_exit that belong to its kind are set. */
enum exit_action {
	EXIT_RESUME = 0,      /* enter the guest again, RIP as it is */
	EXIT_SKIP = 1,        /* the instruction completed: RIP past it, then enter */
	EXIT_LEAVE = 2,       /* return to the scheduler (stopped, blocked, preempted) */
	EXIT_SKIP_LEAVE = 3,  /* RIP past the instruction, then return (HLT) */
};
#define EXIT_ACTION_SKIP  1 /* bits of enum exit_action, for the exit paths */
#define EXIT_ACTION_LEAVE 2

#endif
