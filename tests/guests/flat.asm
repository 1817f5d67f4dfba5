; Smallest flat-binary partition: loaded at 0x100000, entered in 32-bit
; protected mode; writes "flat: hello" to its virtual COM1 and halts.
bits 32
org 0x100000
start:
	mov esi, msg
	mov dx, 0x3f8
.next:
	lodsb
	test al, al
	jz .halt
	out dx, al
	jmp .next
.halt:
	hlt
	jmp .halt
msg: db "flat: hello", 13, 10, 0
