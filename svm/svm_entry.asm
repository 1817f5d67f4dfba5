; VMRUN and the exit path for SVM (APM Vol. 2 15.5).
; void svm_enter(struct vcpu *v, vmcb_pa, host_pa) runs the guest: it loads
; the guest's general registers from v (struct vcpu_regs comes first; RAX
; and RSP are in the VMCB), runs it with GIF clear, saves them back after
; the #VMEXIT and calls svm_exit_handler(v); while that returns nonzero the
; guest runs again right here, without going back through C.
; VMRUN switches only part of the state: FS, GS, TR, LDTR and the syscall
; MSRs go through VMSAVE/VMLOAD, the host's to the page at host_pa. The
; host's GS base is its per-CPU pointer, so GIF stays clear from the guest's
; VMLOAD to the host's: no NMI may run on the guest's GS.

%include "asm-offsets.inc"
%include "vcpu_regs.inc"

extern svm_exit_handler

section .text
bits 64

global svm_enter
svm_enter:
	PUSH_HOST_REGS
	push rdx                        ; [rsp + 16]: host VMSAVE page
	push rsi                        ; [rsp + 8]: VMCB
	push rdi                        ; [rsp]: v
	; Six pushes, three more and the return address: RSP is 16-byte
	; aligned for the call below.
	mov rax, rdx
	vmsave                          ; the host's FS, GS, TR, LDTR, syscall MSRs
.run:
	clgi
	; Host IF=1 at VMRUN: with V_INTR_MASKING a host interrupt then exits
	; the guest (#VMEXIT(INTR)) whatever the guest's IF; GIF keeps it off
	; here and until STGI, and CLI below keeps it pending for the handler.
	sti
	mov rax, [rsp + 8]              ; VMCB physical address, VMRUN's operand
	vmload                          ; the guest's
	mov rdi, [rsp]
	LOAD_GUEST_REGS 0
	vmrun
	vmsave                          ; the guest's FS, GS, TR, LDTR, ... back
	SAVE_GUEST_REGS 0               ; leaves v in RDI
	mov rax, [rsp + 16]
	vmload                          ; the host's GS base (per-CPU) back first
	cli                             ; host interrupts wait for core/exits.c
	stgi                            ; a host NMI held during the guest lands now
	call svm_exit_handler
	test eax, eax
	jnz .run
	add rsp, 24
	POP_HOST_REGS
	ret
