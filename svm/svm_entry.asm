; VMRUN (APM Vol. 2 15.5): svm_enter(regs, vmcb_pa, host_pa) loads the
; guest's general registers except RAX and RSP (those are in the VMCB), runs
; the guest with GIF clear around VMRUN, and saves them back after the
; #VMEXIT. VMRUN itself switches only part of the state: FS, GS, TR, LDTR and
; the syscall MSRs go through VMSAVE/VMLOAD, the host's to the page at
; host_pa (the host's GS base is its per-CPU pointer: it must come back).

%include "asm-offsets.inc"
%include "vcpu_regs.inc"

section .text
bits 64

global svm_enter
svm_enter:
	PUSH_HOST_REGS
	push rdx                        ; host VMSAVE page
	push rdi                        ; regs
	mov rax, rdx
	vmsave                          ; host FS, GS, TR, LDTR, syscall MSRs
	mov rax, rsi                    ; VMCB physical address, VMRUN's operand
	vmload                          ; the guest's
	LOAD_GUEST_REGS 0
	clgi
	vmrun                           ; operand: RAX
	vmsave                          ; the guest's FS, GS, TR, LDTR, ... back
	SAVE_GUEST_REGS 0
	pop rdi                         ; regs
	pop rax                         ; host VMSAVE page
	vmload                          ; the host's GS base (per-CPU) back first
	stgi                            ; a host NMI held during the guest lands now
	POP_HOST_REGS
	ret
