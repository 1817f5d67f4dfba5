; Triple-faults on purpose: with an empty IDT, INT3 cannot be delivered
; (#GP, #DF, shutdown). The hypervisor must stop only this partition.
bits 32
org 0x100000
start:
	lidt [empty_idt]
	int3
	mov esi, msg_bad
	jmp puts_and_halt
%include "puts.inc"
align 8
empty_idt: dw 0
	dd 0
msg_bad: db "triple: FAIL: still running", 13, 10, 0
