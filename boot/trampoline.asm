; AP start-up code, copied by arch/x86/smp.c to a free page below 1 MiB and
; entered in real mode by a SIPI with CS = page >> 4, IP = 0. It runs at any
; page: it derives its physical base from CS and patches its far jumps.
; 16-bit -> 32-bit protected -> 64-bit long mode with the hypervisor's CR3,
; then calls tramp_params.entry(percpu) on tramp_params.stack.

%include "asm-offsets.inc"
%include "cpu_quirks.inc"

; selectors of the trampoline's own GDT (below)
TR_CODE32 equ 0x08
TR_DATA   equ 0x10
TR_CODE64 equ 0x18

bits 16
org 0
tramp_start:
	jmp short real_entry
	times TRAMP_PARAMS - ($ - $$) db 0
params:
	times TP_SIZE db 0          ; struct tramp_params, filled by the BSP

real_entry:
	cli
	cld
	mov ax, cs
	mov ds, ax
	xor ebx, ebx
	mov bx, ax
	shl ebx, 4                  ; EBX = physical base of this page
	lea eax, [ebx + gdt]
	mov [gdt_ptr + 2], eax
	lea eax, [ebx + pm_entry]
	mov [pm_jump], eax
	lea eax, [ebx + lm_entry]
	mov [lm_jump], eax
	lgdt [gdt_ptr]
	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)
	or eax, CR0_PE
	mov cr0, eax
	o32 jmp far [pm_jump]

bits 32
pm_entry:
	mov ax, TR_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esi, ebx
	CLEAR_XD_DISABLE                    ; before EFER.NXE; clobbers EBX
	mov ebx, esi
	mov eax, CR4_PAE                    ; a known CR4
	mov cr4, eax
	mov eax, [ebx + params + TP_CR3]    ; below 4 GiB (the image's PML4)
	mov cr3, eax
	mov ecx, MSR_EFER
	mov eax, [ebx + params + TP_EFER]
	mov edx, [ebx + params + TP_EFER + 4]
	wrmsr                               ; LME and NXE as on the BSP
	mov eax, cr0
	or eax, CR0_PG | CR0_WP
	mov cr0, eax
	jmp far [ebx + lm_jump]

bits 64
lm_entry:
	mov ebx, ebx                ; upper halves are undefined after 32-bit code
	mov ax, TR_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [rbx + params + TP_STACK]
	mov rdi, [rbx + params + TP_PERCPU]
	mov rax, [rbx + params + TP_ENTRY]
	xor ebp, ebp
	call rax
.hang:
	hlt
	jmp .hang

; Accessed bits are preset in DESC_*: once paging is on this page is mapped
; read-only, and a descriptor load must not need to write its accessed bit
; (SDM Vol. 3A 3.4.5.1); Bochs faults on that write, as real CPUs may.
align 8
gdt:
	dq 0
	dq DESC_CODE32              ; 0x08
	dq DESC_DATA                ; 0x10
	dq DESC_CODE64              ; 0x18
gdt_ptr:
	dw gdt_ptr - gdt - 1
	dd 0
pm_jump:
	dd 0
	dw TR_CODE32
lm_jump:
	dd 0
	dw TR_CODE64
tramp_end:

%if tramp_end - tramp_start > 4096
%error "trampoline larger than a page"
%endif
