; A test kernel written for QEMU's isa-debug-exit: it reports its verdict by
; writing to port 0xf4 (config: debug_exit = 0xf4); the partition must stop
; with code (0x10 << 1) | 1 = 33, as QEMU would exit. Flat, at 0x100000.
bits 32
org 0x100000
start:
	mov esp, 0x180000
	mov esi, msg
	mov dx, 0x3f8
.next:
	lodsb
	test al, al
	jz .exit
	out dx, al
	jmp .next
.exit:
	mov al, 0x10
	out 0xf4, al
	mov esi, msg_bad
	jmp puts_and_halt
%include "puts.inc"
msg:     db "dexit: reporting through the debug-exit port", 13, 10, 0
msg_bad: db "dexit: FAIL: still running", 13, 10, 0
