/* A vCPU as core/ sees it, and the vendor-neutral exit the backends report.
 * vmx/ and svm/ turn their native exits into struct vm_exit; core/ decides. */
#ifndef CORE_VCPU_H
#define CORE_VCPU_H

#include <stdbool.h>
#include <stdint.h>

/* Guest general registers the entry code saves and restores (RSP and RIP
 * live in the VMCS/VMCB). Offsets go to assembly through asm-offsets. */
struct vcpu_regs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct partition;

/* The backend's TLB tag bookkeeping for a vCPU: its VPID (VMX) or ASID
 * (SVM: per CPU, with generations, svm/svm_asid.h). */
struct vcpu_tlb {
	uint32_t tag;
	uint32_t generation; /* 0: none yet */
	int cpu;             /* the CPU tag belongs to / last ran on; -1: none */
	bool flush;          /* flush tag at the next run (tables changed) */
};

struct vcpu {
	struct vcpu_regs regs;   /* first: the entry code's base pointer */
	struct partition *part;
	unsigned id;
	uint64_t arch_page;      /* the VMCS (VMX) or VMCB (SVM) */
	bool launched;
	struct vcpu_tlb tlb;
	uint64_t exits;
};

enum vm_exit_kind {
	VMEXIT_IO,          /* port I/O: io.port, io.size, io.in */
	VMEXIT_HLT,
	VMEXIT_CPUID,
	VMEXIT_RDMSR,       /* MSR number in regs.rcx */
	VMEXIT_WRMSR,       /* MSR number in regs.rcx, value in edx:eax */
	VMEXIT_HYPERCALL,   /* VMCALL / VMMCALL: docs/hypercalls.md */
	VMEXIT_EXCEPTION,   /* an intercepted guest exception: exception */
	VMEXIT_SLAT_FAULT,  /* EPT violation / nested page fault: fault */
	VMEXIT_TRIPLE_FAULT,
	VMEXIT_NMI,         /* a host NMI arrived while the guest ran (handled) */
	VMEXIT_ENTRY_FAILED,/* the guest state was refused: detail says why */
	VMEXIT_OTHER,       /* anything else: code is the native reason */
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

/* What the backend does after core/ handled an exit (core/exits.c). Only
 * the fields of struct vm_exit that belong to its kind are set. */
enum exit_action {
	EXIT_RESUME,        /* enter the guest again, RIP as it is */
	EXIT_SKIP,          /* the instruction completed: RIP past it, then enter */
	EXIT_LEAVE,         /* return to the run loop (the vCPU stopped) */
};

#endif
