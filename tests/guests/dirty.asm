; Leaves a pattern in XMM0, the x87 stack, DR0 and CR2, then halts: the next
; partition on this CPU (clean.asm) must not see it. Flat, at 0x100000.
bits 32
org 0x100000
start:
	mov esp, 0x180000
	mov eax, cr4
	or eax, 1 << 9                  ; OSFXSR: SSE allowed
	mov cr4, eax
	mov eax, 0x5a5a5a5a
	movd xmm0, eax
	mov [esp - 4], eax
	fild dword [esp - 4]
	mov dr0, eax
	mov cr2, eax
	mov esi, msg
	jmp puts_and_halt
%include "puts.inc"
msg: db "dirty: left 0x5a5a5a5a in XMM0, ST0, DR0 and CR2", 13, 10, 0
