; VMRUN (APM Vol. 2 15.5): svm_enter(regs, vmcb_pa, host_pa) loads the
; guest's general registers except RAX and RSP (those are in the VMCB), runs
; the guest with GIF clear around VMRUN, and saves them back after the
; #VMEXIT. VMRUN itself switches only part of the state: FS, GS, TR, LDTR and
; the syscall MSRs go through VMSAVE/VMLOAD, the host's to the page at
; host_pa (the host's GS base is its per-CPU pointer: it must come back).

%include "asm-offsets.inc"

section .text
bits 64

global svm_enter
svm_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdx                        ; host VMSAVE page
	push rdi                        ; regs
	mov rax, rdx
	vmsave                          ; host FS, GS, TR, LDTR, syscall MSRs
	mov rax, rsi                    ; VMCB physical address, VMRUN's operand
	vmload                          ; the guest's
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
	clgi
	vmrun                           ; operand: RAX
	vmsave                          ; the guest's FS, GS, TR, LDTR, ... back
	push rdi                        ; guest RDI
	mov rdi, [rsp + 8]              ; regs
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
	pop rdi                         ; regs
	pop rax                         ; host VMSAVE page
	vmload                          ; the host's GS base (per-CPU) back first
	stgi                            ; a host NMI held during the guest lands now
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
