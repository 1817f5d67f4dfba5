; Runs after dirty.asm on the same CPU: XMM0, DR0 and CR2 must start at zero
; and the x87 stack must be empty. Flat, at 0x100000.
bits 32
org 0x100000
start:
	mov esp, 0x180000
	mov eax, cr4
	or eax, 1 << 9
	mov cr4, eax
	movd eax, xmm0
	test eax, eax
	jnz fail
	mov eax, dr0
	test eax, eax
	jnz fail
	mov eax, cr2
	test eax, eax
	jnz fail
	fnstsw ax
	and ax, 0x3800                  ; TOP: 0 after FNINIT, 7 with one value pushed
	jnz fail
	mov esi, msg_pass
	jmp puts_and_halt
fail:
	mov esi, msg_fail
	jmp puts_and_halt
%include "puts.inc"
msg_pass: db "clean: PASS: XMM0, ST0, DR0 and CR2 start clean", 13, 10, 0
msg_fail: db "clean: FAIL: state of the previous partition is visible", 13, 10, 0
