; VM entry and exit for VMX (SDM Vol. 3C 28, 29). vmx_enter(regs, launched)
; loads the guest's general registers from struct vcpu_regs, enters with
; VMLAUNCH or VMRESUME and returns 0 after the exit (HOST_RIP is vmx_exit,
; HOST_RSP the stack as it is here), or 1 (VMfailInvalid) / 2 (VMfailValid).

%include "asm-offsets.inc"

VMCS_HOST_RSP equ 0x6c14

section .text
bits 64

global vmx_enter
global vmx_exit
vmx_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                        ; regs, found again at [rsp] on exit
	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .fail_early                 ; CF or ZF: VMfail
	cmp esi, 0                      ; launched? (mov below keeps the flags)
	mov rax, [rdi + VR_RAX]
	mov rcx, [rdi + VR_RCX]
	mov rdx, [rdi + VR_RDX]
	mov rbx, [rdi + VR_RBX]
	mov rbp, [rdi + VR_RBP]
	mov rsi, [rdi + VR_RSI]
	mov r8, [rdi + VR_R8]
	mov r9, [rdi + VR_R9]
	mov r10, [rdi + VR_R10]
	mov r11, [rdi + VR_R11]
	mov r12, [rdi + VR_R12]
	mov r13, [rdi + VR_R13]
	mov r14, [rdi + VR_R14]
	mov r15, [rdi + VR_R15]
	mov rdi, [rdi + VR_RDI]
	jne .resume
	vmlaunch
	jmp .fail
.resume:
	vmresume
.fail:
.fail_early:
	mov eax, 1                      ; mov keeps CF/ZF of the failed instruction
	jc .out
	mov eax, 2
.out:
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

vmx_exit:
	push rdi                        ; guest RDI
	mov rdi, [rsp + 8]              ; regs
	mov [rdi + VR_RAX], rax
	mov [rdi + VR_RCX], rcx
	mov [rdi + VR_RDX], rdx
	mov [rdi + VR_RBX], rbx
	mov [rdi + VR_RBP], rbp
	mov [rdi + VR_RSI], rsi
	mov [rdi + VR_R8], r8
	mov [rdi + VR_R9], r9
	mov [rdi + VR_R10], r10
	mov [rdi + VR_R11], r11
	mov [rdi + VR_R12], r12
	mov [rdi + VR_R13], r13
	mov [rdi + VR_R14], r14
	mov [rdi + VR_R15], r15
	pop rax
	mov [rdi + VR_RDI], rax
	xor eax, eax
	jmp .out_exit
.out_exit:
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
