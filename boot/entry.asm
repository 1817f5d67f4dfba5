; Multiboot2 header and the 32-bit entry GRUB jumps to (protected mode, paging
; off, EAX = magic, EBX = physical address of the boot information).
;
; The image is relocatable: GRUB may load it at any 2 MiB-aligned address in
; the first GiB (firmware on some UEFI machines owns 2 MiB, the link address).
; This code finds the load offset, builds early page tables (first 4 GiB
; identity-mapped and at DMAP_BASE; KERNEL_VBASE + link address -> where the
; image really is), enters long mode and calls hv_main(magic, info, offset) in
; the high half. mm/paging.c replaces these tables with the final W^X ones.

%include "asm-offsets.inc"
%include "cpu_quirks.inc"

MB2_MAGIC       equ 0xE85250D6
MB2_ARCH_I386   equ 0
MB2_TAG_RELOC   equ 10
LARGE_2M        equ 0x200000
IMAGE_LIMIT     equ 0x40000000   ; the image must end in the first GiB
; GRUB's choice within the range: 1 lowest, 2 highest. Tests build with 2 so
; that every boot runs relocated (see Makefile RELOC_PREF).
%ifndef RELOC_PREF
%define RELOC_PREF 1
%endif

section .multiboot2 align=8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	; relocatable tag (Multiboot2 spec 3.1.13)
	dw MB2_TAG_RELOC, 0
	dd 24
	dd KERNEL_PHYS_ASM          ; lowest load address
	dd IMAGE_LIMIT              ; the image ends below this
	dd LARGE_2M                 ; alignment: the early high map uses 2 MiB pages
	dd RELOC_PREF
	; end tag
	dw 0, 0
	dd 8
mb2_header_end:

section .boot.bss nobits align=4096
early_pml4:      resb 4096
early_pdpt_low:  resb 4096
early_pdpt_high: resb 4096
early_pd:        resb 4096 * 4   ; 4 x 1 GiB of 2 MiB pages, identity
early_pd_high:   resb 4096       ; KERNEL_VBASE .. +1 GiB -> load offset + same
early_stack:     resb 1024
early_stack_top:

section .boot.data
align 8
mb_magic:   dd 0
mb_info:    dd 0
load_delta: dd 0, 0              ; load address - link address (EBP below)
align 16
early_gdt:                       ; used only until long_entry loads boot_gdt
	dq 0
	dq DESC_CODE64               ; SEL_CODE
	dq DESC_DATA                 ; SEL_DATA
early_gdt_ptr:
	dw early_gdt_ptr - early_gdt - 1
	dd 0                         ; patched: early_gdt + load offset
msg_lm:    db "hv: this CPU has no 64-bit long mode; cannot start", 13, 10, 0

; Before the load offset is known nothing can be addressed: print from
; immediates on COM1 and port 0xE9.
%macro EARLY_PUTS 1
%strlen len %1
%assign i 1
%rep len
%substr c %1 i
	mov al, c
	mov dx, 0x3f8
	out dx, al
	out 0xe9, al
%assign i i + 1
%endrep
%endmacro

section .boot.text
bits 32
global mb2_entry32
mb2_entry32:
	cli
	cld
	cmp eax, MB2_BOOT_MAGIC
	jne bad_magic

	; The load offset, from where this code runs. A call needs a stack: lend
	; it the reserved word of the boot information (restored at once).
	mov esp, ebx
	add esp, 8
	mov edi, [ebx + 4]
	call .here
.here:
	pop ebp
	mov [ebx + 4], edi
	sub ebp, .here                   ; EBP = load offset
	; A loader that ignored the tag's alignment or lowest address would
	; leave reserved bits in the 2 MiB mappings below: refuse, visibly.
	test ebp, 0x80000000 | (LARGE_2M - 1)
	jnz bad_offset
	lea esp, [ebp + early_stack_top]
	mov [ebp + mb_magic], eax
	mov [ebp + mb_info], ebx
	mov [ebp + load_delta], ebp

	; long mode present? (checked first: a CPU without it may also lack
	; IA32_MISC_ENABLE, which CLEAR_XD_DISABLE touches)
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_lm
	mov eax, 0x80000001
	cpuid
	test edx, CPUID81_EDX_LM
	jz .no_lm

	CLEAR_XD_DISABLE
	mov eax, 0x80000001
	cpuid
	mov esi, edx             ; keep EDX: whether there is NX, now it is not hidden

	; zero the early tables (GRUB zeroes bss, but do not rely on it)
	lea edi, [ebp + early_pml4]
	mov ecx, (early_stack - early_pml4) / 4
	xor eax, eax
	rep stosd

	; 4 identity page directories of 2 MiB pages: physical 0 .. 4 GiB
	lea edi, [ebp + early_pd]
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

	; the image's GiB: KERNEL_VBASE + x -> load offset + x (below 2 GiB)
	lea edi, [ebp + early_pd_high]
	xor ecx, ecx
.fill_pd_high:
	mov eax, ecx
	shl eax, 21
	add eax, ebp
	or eax, PTE_P | PTE_W | PTE_PS
	mov [edi + ecx * 8], eax
	inc ecx
	cmp ecx, 512
	jne .fill_pd_high

	; low PDPT: 4 entries -> the 4 identity directories
	xor ecx, ecx
.fill_pdpt:
	mov eax, ecx
	shl eax, 12
	lea eax, [ebp + eax + early_pd]
	or eax, PTE_P | PTE_W
	mov [ebp + early_pdpt_low + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jne .fill_pdpt

	; high PDPT slot 510 (KERNEL_VBASE = 0xffffffff80000000)
	lea eax, [ebp + early_pd_high]
	or eax, PTE_P | PTE_W
	mov [ebp + early_pdpt_high + 510 * 8], eax

	; PML4: slot 0 identity, slot 256 direct map, slot 511 image
	lea eax, [ebp + early_pdpt_low]
	or eax, PTE_P | PTE_W
	mov [ebp + early_pml4 + 0 * 8], eax
	mov [ebp + early_pml4 + 256 * 8], eax
	lea eax, [ebp + early_pdpt_high]
	or eax, PTE_P | PTE_W
	mov [ebp + early_pml4 + 511 * 8], eax

	; Caching on (Bochs starts with CR0.CD/NW set), PAE, CR3
	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)
	mov cr0, eax
	mov eax, CR4_PAE         ; a known CR4: nothing the loader left (e.g. LA57)
	mov cr4, eax
	lea eax, [ebp + early_pml4]
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
	lea eax, [ebp + early_gdt]
	mov [ebp + early_gdt_ptr + 2], eax
	lgdt [ebp + early_gdt_ptr]
	; far jump to the relocated long_entry
	push SEL_CODE
	lea eax, [ebp + long_entry]
	push eax
	retf

.no_lm:
	lea esi, [ebp + msg_lm]
.puts:
	lodsb
	test al, al
	jz halt32
	mov dx, 0x3f8
	out dx, al
	out 0xe9, al
	jmp .puts

bad_magic:
	EARLY_PUTS `hv: not started by a Multiboot2 loader (bad magic in EAX)\r\n`
	jmp halt32
bad_offset:
	EARLY_PUTS `hv: loaded at a misaligned or too low address (the loader ignored the relocatable tag)\r\n`
halt32:
	cli
	hlt
	jmp halt32

bits 64
default rel
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
	mov edi, [mb_magic]          ; RIP-relative: right wherever we run
	mov esi, [mb_info]
	mov rdx, [load_delta]
	mov rsp, boot_stack_top      ; high half: follows the image
	xor ebp, ebp
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
