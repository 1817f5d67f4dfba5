; A Multiboot1 ELF32 kernel (link: ld -m elf_i386 -Ttext 0x100000): checks
; EAX for the Multiboot1 magic, prints on COM1 and halts.
MB1_MAGIC equ 0x1BADB002
MB1_FLAGS equ 0x3                   ; page-aligned modules, memory info

section .text
align 4
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)
global _start
_start:
	mov esi, msg_ok
	cmp eax, 0x2BADB002
	je .print
	mov esi, msg_bad
.print:
	jmp puts_and_halt
%include "puts.inc"

section .rodata
msg_ok:  db "mb1: hello from a Multiboot1 kernel", 13, 10, 0
msg_bad: db "mb1: bad boot magic", 13, 10, 0
