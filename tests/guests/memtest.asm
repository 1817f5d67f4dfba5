; A Multiboot1 kernel that writes a pattern (each dword its own address,
; xored with a per-CPU seed) over all of its RAM above its image, reads it back, and
; reports PASS or the first bad address. The RAM size comes from the
; Multiboot information (mem_upper, KiB above 1 MiB).
MB1_MAGIC equ 0x1BADB002
MB1_FLAGS equ 0x3
SEED      equ 0x9e3779b9
START     equ 0x200000                  ; above the kernel and its info

section .text
align 4
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)
global _start
_start:
	mov esp, 0x180000
	mov esi, ebx
	; the seed differs per CPU (its APIC id), so partitions that shared
	; memory would overwrite each other's pattern and fail
	mov eax, 1
	cpuid
	shr ebx, 24
	imul ebp, ebx, 0x01000193
	xor ebp, SEED
	mov ecx, [esi + 8]                  ; mem_upper (KiB from 1 MiB)
	shl ecx, 10
	add ecx, 0x100000                   ; ECX = end of RAM
	mov edi, START
.write:
	mov eax, edi
	xor eax, ebp
	mov [edi], eax
	add edi, 4
	cmp edi, ecx
	jb .write
	mov edi, START
.check:
	mov eax, edi
	xor eax, ebp
	cmp [edi], eax
	jne .bad
	add edi, 4
	cmp edi, ecx
	jb .check
	mov esi, msg_pass
	jmp .print
.bad:
	mov esi, msg_bad
.print:
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

section .rodata
msg_pass: db "memtest: PASS: pattern written and read back over all RAM", 13, 10, 0
msg_bad:  db "memtest: FAIL: pattern mismatch", 13, 10, 0
