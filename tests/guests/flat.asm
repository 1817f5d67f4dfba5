; Smallest flat-binary partition: loaded at 0x100000, entered in 32-bit
; protected mode; writes "flat: hello" to its virtual COM1 and halts.
bits 32
org 0x100000
start:
	mov esi, msg
	jmp puts_and_halt
%include "puts.inc"
msg: db "flat: hello", 13, 10, 0
