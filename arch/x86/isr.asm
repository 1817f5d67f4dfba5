; Entry stubs for all 256 IDT vectors. Each pushes a dummy error code where
; the CPU pushes none, then the vector, and jumps to the common path that
; saves registers in the order of struct trap_frame (arch/x86/trap.h).

%include "asm-offsets.inc"

section .text
bits 64

extern trap_dispatch

; vectors where the CPU pushes an error code: #DF #TS #NP #SS #GP #PF #AC #CP,
; and AMD's #VC (29) and #SX (30)
%define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%macro ISR 1
align 16
isr_%1:
%if HAS_ERR(%1) == 0
	push 0
%endif
	push %1
	jmp isr_common
%endmacro

%assign v 0
%rep 256
ISR v
%assign v v + 1
%endrep

isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
%if TF_VECTOR != 15 * 8
%error "trap_frame layout does not match isr_common"
%endif
	; frame pointer chain for the backtrace: link this frame to the trapped RIP
	push qword [rsp + TF_RIP]
	push rbp
	mov rbp, rsp
	cld
	call trap_dispatch
	add rsp, 16
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16             ; vector and error code
	iretq

section .rodata
align 8
global isr_table
isr_table:
%assign v 0
%rep 256
	dq isr_ %+ v
%assign v v + 1
%endrep
