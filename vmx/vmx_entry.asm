; VM entry and exit for VMX (SDM Vol. 3C 28, 29). vmx_enter(regs, launched)
; loads the guest's general registers from struct vcpu_regs, enters with
; VMLAUNCH or VMRESUME and returns 0 after the exit (HOST_RIP is vmx_exit,
; HOST_RSP the stack as it is here), or 1 (VMfailInvalid) / 2 (VMfailValid).

%include "asm-offsets.inc"
%include "vcpu_regs.inc"

VMCS_HOST_RSP equ 0x6c14

section .text
bits 64

global vmx_enter
global vmx_exit
vmx_enter:
	PUSH_HOST_REGS
	push rdi                        ; regs, found again at [rsp] on exit
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
	SAVE_GUEST_REGS 1
	xor eax, eax
	pop rdi
	POP_HOST_REGS
	ret
