; Multiboot2 header and the 32-bit entry GRUB jumps to (protected mode, paging
; off, EAX = magic, EBX = physical address of the boot information).
; It builds early page tables (first 4 GiB identity-mapped, at DMAP_BASE and
; the first GiB at KERNEL_VBASE), enters long mode and calls hv_main in the
; high half. mm/paging.c replaces these tables with the final W^X ones.

%include "asm-offsets.inc"
%include "cpu_quirks.inc"

MB2_MAGIC       equ 0xE85250D6
MB2_ARCH_I386   equ 0


section .multiboot2 align=8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	; end tag
	dw 0, 0
	dd 8
mb2_header_end:

section .boot.bss nobits align=4096
early_pml4:      resb 4096
early_pdpt_low:  resb 4096
early_pdpt_high: resb 4096
early_pd:        resb 4096 * 4   ; 4 x 1 GiB of 2 MiB pages
early_stack:     resb 1024
early_stack_top:

section .boot.data
align 8
mb_magic: dd 0
mb_info:  dd 0
align 16
early_gdt:                   ; used only until long_entry loads boot_gdt
	dq 0
	dq DESC_CODE64           ; SEL_CODE
	dq DESC_DATA             ; SEL_DATA
early_gdt_ptr:
	dw early_gdt_ptr - early_gdt - 1
	dd early_gdt
msg_magic: db "hv: not started by a Multiboot2 loader (bad magic in EAX)", 13, 10, 0
msg_lm:    db "hv: this CPU has no 64-bit long mode; cannot start", 13, 10, 0

section .boot.text
bits 32
global mb2_entry32
mb2_entry32:
	cli
	cld
	mov esp, early_stack_top
	mov [mb_magic], eax
	mov [mb_info], ebx
	cmp eax, MB2_BOOT_MAGIC
	jne .bad_magic

	CLEAR_XD_DISABLE

	; long mode present? (CPUID 0x80000001 EDX)
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_lm
	mov eax, 0x80000001
	cpuid
	test edx, CPUID81_EDX_LM
	jz .no_lm
	mov esi, edx             ; keep EDX: bit 20 is NX

	; zero the early tables (GRUB zeroes bss, but do not rely on it)
	mov edi, early_pml4
	mov ecx, (4096 * 7) / 4
	xor eax, eax
	rep stosd

	; 4 page directories of 2 MiB pages: physical 0 .. 4 GiB
	mov edi, early_pd
	xor ecx, ecx
.fill_pd:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_P | PTE_W | PTE_PS
	mov [edi + ecx * 8], eax
	mov eax, ecx
	shr eax, 11              ; high dword of (ecx << 21)
	mov [edi + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jne .fill_pd

	; low PDPT: 4 entries -> the 4 directories
	xor ecx, ecx
.fill_pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, early_pd
	or eax, PTE_P | PTE_W
	mov [early_pdpt_low + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jne .fill_pdpt

	; high PDPT slot 510 -> first GiB (KERNEL_VBASE = 0xffffffff80000000)
	mov eax, early_pd
	or eax, PTE_P | PTE_W
	mov [early_pdpt_high + 510 * 8], eax

	; PML4: slot 0 identity, slot 256 direct map, slot 511 image
	mov eax, early_pdpt_low
	or eax, PTE_P | PTE_W
	mov [early_pml4 + 0 * 8], eax
	mov [early_pml4 + 256 * 8], eax
	mov eax, early_pdpt_high
	or eax, PTE_P | PTE_W
	mov [early_pml4 + 511 * 8], eax

	; Caching on (Bochs starts with CR0.CD/NW set), PAE, CR3
	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)
	mov cr0, eax
	mov eax, CR4_PAE         ; a known CR4: nothing the loader left (e.g. LA57)
	mov cr4, eax
	mov eax, early_pml4
	mov cr3, eax

	; EFER.LME, and NXE when the CPU has NX
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	test esi, CPUID81_EDX_NX
	jz .no_nx
	or eax, EFER_NXE
.no_nx:
	wrmsr

	mov eax, cr0
	or eax, CR0_PG | CR0_PE | CR0_WP
	mov cr0, eax
	lgdt [early_gdt_ptr]
	jmp SEL_CODE:long_entry

; print the string at ESI on COM1 and port 0xE9, then halt
.bad_magic:
	mov esi, msg_magic
	jmp early_fail
.no_lm:
	mov esi, msg_lm
early_fail:
	lodsb
	test al, al
	jz .halt
	mov dx, 0x3f8
	out dx, al
	out 0xe9, al
	jmp early_fail
.halt:
	cli
	hlt
	jmp .halt

bits 64
long_entry:
	; The GDT in the high half, so exceptions can still load CS once the
	; final page tables no longer map this low code (same selectors).
	sub rsp, 16
	mov word [rsp + 6], BOOT_GDT_LIMIT
	mov rax, boot_gdt
	mov [rsp + 8], rax
	lgdt [rsp + 6]
	add rsp, 16
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	xor ebp, ebp
	mov edi, [mb_magic]
	mov esi, [mb_info]
	mov rax, hv_main
	call rax
.hang:
	cli
	hlt
	jmp .hang

extern hv_main
extern boot_gdt

; The BSP's first stack, in the high image so it survives the switch to the
; final page tables; core/ moves to a guarded stack once memory is up.
section .bss nobits align=16
boot_stack: resb 16384
global boot_stack_top
boot_stack_top:
