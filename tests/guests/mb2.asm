; A Multiboot2 ELF32 kernel (link: ld -m elf_i386 -Ttext 0x100000): checks
; EAX for the Multiboot2 magic, prints on COM1 and halts.
MB2_MAGIC equ 0xE85250D6

section .text
align 8
mb2_header:
	dd MB2_MAGIC
	dd 0
	dd mb2_end - mb2_header
	dd -(MB2_MAGIC + (mb2_end - mb2_header))
	dw 0, 0
	dd 8
mb2_end:
global _start
_start:
	mov esi, msg_ok
	cmp eax, 0x36d76289
	je .print
	mov esi, msg_bad
.print:
	jmp puts_and_halt
%include "puts.inc"

section .rodata
msg_ok:  db "mb2: hello from a Multiboot2 kernel", 13, 10, 0
msg_bad: db "mb2: bad boot magic", 13, 10, 0
