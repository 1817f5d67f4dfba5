; Starts in 16-bit real mode (mode = real, load = entry = 0x8000) and walks
; the way a PC boot loader does to 64-bit long mode: protected mode, PAE
; page tables, EFER.LME by WRMSR (emulated by the hypervisor), CR0.PG. Each
; step reports on COM1; the last one reads EFER back and checks LMA.
bits 16
org 0x8000
PT   equ 0x10000                       ; PML4, PDPT, PD: three pages
start:
	cli
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7000
	mov eax, cr0
	test al, 1
	jnz fail16
	mov si, msg_real
	call puts16
	lgdt [gdt_ptr]
	mov eax, cr0
	or eax, 1
	mov cr0, eax
	jmp 0x08:prot

puts16:
	mov dx, 0x3f8
.next:
	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:
	ret

fail16:
	mov si, msg_fail
	call puts16
	hlt

bits 32
prot:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esp, 0x7000
	mov esi, msg_prot
	call puts
	; identity map of the first 1 GiB in 2 MiB pages
	mov edi, PT
	xor eax, eax
	mov ecx, 3 * 1024
	rep stosd
	mov dword [PT], PT + 0x1003
	mov dword [PT + 0x1000], PT + 0x2003
	mov edi, PT + 0x2000
	mov eax, 0x83
	mov ecx, 512
.pd:
	mov [edi], eax
	add eax, 0x200000
	add edi, 8
	loop .pd
	mov eax, cr4
	or eax, 1 << 5                      ; PAE
	mov cr4, eax
	mov eax, PT
	mov cr3, eax
	mov ecx, 0xc0000080                 ; EFER
	rdmsr
	or eax, 1 << 8                      ; LME
	wrmsr
	rdmsr
	test eax, 1 << 8
	jz fail
	test eax, 1 << 10                   ; LMA only once paging is on
	jnz fail
	mov esi, msg_lme
	call puts
	mov eax, cr0
	or eax, 1 << 31
	mov cr0, eax
	jmp 0x18:lmode

%include "puts.inc"

fail:
	mov esi, msg_fail
	jmp puts_and_halt

bits 64
lmode:
	mov ax, 0x10
	mov ds, ax
	mov ss, ax
	mov ecx, 0xc0000080
	rdmsr
	test eax, 1 << 10                   ; LMA
	jz .bad
	lea rsi, [rel msg_long]
	mov dx, 0x3f8
.next:
	lodsb
	test al, al
	jz .halt
	out dx, al
	jmp .next
.bad:
	lea rsi, [rel msg_fail]
	jmp .next
.halt:
	hlt
	jmp .halt

align 8
gdt:
	dq 0
	dq 0x00cf9b000000ffff               ; 0x08: 32-bit code
	dq 0x00cf93000000ffff               ; 0x10: data
	dq 0x00af9b000000ffff               ; 0x18: 64-bit code
gdt_ptr:
	dw gdt_ptr - gdt - 1
	dd gdt

msg_real: db "realmode: PASS: started in real mode", 13, 10, 0
msg_prot: db "realmode: PASS: protected mode", 13, 10, 0
msg_lme:  db "realmode: PASS: EFER.LME set by WRMSR, LMA still clear", 13, 10, 0
msg_long: db "realmode: PASS: long mode reached, EFER.LMA set", 13, 10, 0
msg_fail: db "realmode: FAIL", 13, 10, 0
