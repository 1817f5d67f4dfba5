; VM entry and the exit path for VMX (SDM Vol. 3C 28, 29).
; int vmx_enter(struct vcpu *v, int launched) loads the guest's general
; registers from v (struct vcpu_regs comes first in struct vcpu) and enters
; with VMLAUNCH or VMRESUME. Each exit lands at vmx_exit (HOST_RIP) on the
; stack as it was at the entry (HOST_RSP), saves the guest's registers and
; calls vmx_exit_handler(v); while that returns nonzero the guest is entered
; again right here, without going back through C. vmx_enter returns 0 when
; the handler says leave, 1 when a VMLAUNCH/VMRESUME failed with
; VMfailInvalid, 2 with VMfailValid.

%include "asm-offsets.inc"
%include "vcpu_regs.inc"

VMCS_HOST_RSP equ 0x6c14

extern vmx_exit_handler

section .text
bits 64

global vmx_enter
global vmx_exit
vmx_enter:
	PUSH_HOST_REGS
	push rdi                        ; v, found again at [rsp] on exit
	; Six pushes, v and the return address: RSP is 16-byte aligned here,
	; as the call below needs.
	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .fail                       ; CF or ZF: VMfail
	cmp esi, 0                      ; launched? (the movs below keep the flags)
	LOAD_GUEST_REGS 1
	jne .resume
	vmlaunch
	jmp .fail
.resume:
	vmresume
.fail:
	mov eax, 1                      ; mov keeps CF/ZF of the failed instruction
	jc .out
	mov eax, 2
.out:
	pop rdi
	POP_HOST_REGS
	ret

vmx_exit:
	SAVE_GUEST_REGS 1               ; leaves v in RDI
	call vmx_exit_handler
	test eax, eax
	jz .leave
	mov rdi, [rsp]
	LOAD_GUEST_REGS 1
	vmresume
	jmp vmx_enter.fail
.leave:
	pop rdi
	POP_HOST_REGS
	ret
