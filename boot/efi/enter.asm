; From the firmware's 64-bit long mode to the Multiboot2 i386 machine state
; (Multiboot2 specification 1.0, 3.3): 32-bit protected mode, flat CS and
; data segments, paging off, interrupts off, EAX = 0x36d76289, EBX = the
; boot information. handoff.c copies this blob to a page below 4 GiB (code
; run in 32-bit mode needs a 32-bit address; UEFI maps that page 1:1) and
; calls it after ExitBootServices as
;	void enter(uint64_t mbi_pa, uint64_t entry_pa)   (SysV: RDI, RSI)
; Everything is RIP-relative or in registers: the blob runs where it is copied.
;
; Leaving long mode (SDM Vol. 3A 10.8.5.4): go to compatibility mode, clear
; CR0.PG (EFER.LMA follows), then EFER.LME.

CR0_PG     equ 1 << 31
CR4_PCIDE  equ 1 << 17
MSR_EFER   equ 0xC0000080
EFER_LME   equ 1 << 8
MB2_BOOT_MAGIC equ 0x36d76289
SEL_CODE32 equ enter_gdt.code - enter_gdt
SEL_DATA32 equ enter_gdt.data - enter_gdt

section .text
bits 64
global enter_blob:function hidden
global enter_blob_end:data hidden
enter_blob:
	cli
	mov ebx, edi                 ; the boot information, as EBX wants it
	mov ebp, esi                 ; the entry point
	; CR0.PG cannot be cleared while CR4.PCIDE is set (SDM Vol. 3A 4.10.1).
	mov rax, cr4
	and rax, ~CR4_PCIDE
	mov cr4, rax
	; Our GDT: the firmware's may lack a flat 32-bit code segment.
	lea rax, [rel enter_gdt]
	sub rsp, 16
	mov word [rsp + 6], enter_gdt.end - enter_gdt - 1
	mov [rsp + 8], rax
	lgdt [rsp + 6]
	; Far return into the 32-bit code segment: compatibility mode.
	lea rax, [rel compat32]
	push SEL_CODE32
	push rax
	o64 retf

bits 32
compat32:
	mov eax, SEL_DATA32
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov eax, cr0
	and eax, ~CR0_PG             ; long mode off: this page is 1:1, so fetching goes on
	mov cr0, eax
	mov ecx, MSR_EFER
	rdmsr
	and eax, ~EFER_LME
	wrmsr
	; PAE, LA57 and the rest off: CR4 as a BIOS boot leaves it.
	xor eax, eax
	mov cr4, eax
	mov eax, MB2_BOOT_MAGIC
	jmp ebp

align 8
enter_gdt:
	dq 0
.code:	dq 0x00cf9a000000ffff        ; base 0, limit 4 GiB, 32-bit, execute/read
.data:	dq 0x00cf92000000ffff        ; base 0, limit 4 GiB, read/write
.end:
enter_blob_end:
