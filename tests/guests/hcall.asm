; Hypercalls, ports and MSRs (docs/hypercalls.md): console write through VMCALL, an
; unknown call returning -1, RDMSR of an MSR the partition has no access to
; answered with #GP (its own handler reports it), and the exit hypercall with
; code 7. Flat, loaded at 0x100000, 32-bit protected mode.
bits 32
org 0x100000
HC_CONSOLE_WRITE equ 0
HC_EXIT          equ 2
start:
	mov esp, 0x180000
	; VMCALL on Intel, VMMCALL on AMD (the other one is #UD)
	xor eax, eax
	cpuid
	cmp ebx, 'Auth'
	jne .intel
	mov byte [is_amd], 1
.intel:
	lgdt [gdt_ptr]
	lidt [idt_ptr]
	; CR0.NE is owned by the hypervisor under VMX: writing it must work and
	; read back as written (Linux sets it)
	mov eax, cr0
	or eax, 1 << 5
	mov cr0, eax
	mov ebx, cr0
	cmp eax, ebx
	jne fail
	and eax, ~(1 << 5)
	mov cr0, eax
	mov ebx, cr0
	cmp eax, ebx
	jne fail
	mov esi, msg_cr0
	call puts
	mov eax, HC_CONSOLE_WRITE
	mov ebx, msg_hc
	mov ecx, msg_hc_len
	call hypercall
	test eax, eax
	jnz fail
	mov eax, 99                     ; no such call
	call hypercall
	cmp eax, -1
	jne fail
	mov esi, msg_enosys
	call puts
	in al, 0x99                     ; no device: reads all ones
	cmp al, 0xff
	jne fail
	out 0x99, al                    ; dropped
	mov esi, msg_port
	call puts
	mov ecx, 0xc0000999             ; no such MSR: expect #GP
	rdmsr
fail:
	mov esi, msg_fail
	jmp puts_and_halt

gp_handler:
	mov esi, msg_gp
	call puts
	mov eax, HC_EXIT
	mov ebx, 7
	call hypercall
	jmp fail                        ; exit must not return

hypercall:
	cmp byte [is_amd], 0
	jne .amd
	vmcall
	ret
.amd:
	vmmcall
	ret

%include "puts.inc"

align 8
gdt:
	dq 0
	dq 0x00CF9B000000FFFF           ; 0x08 code
	dq 0x00CF93000000FFFF           ; 0x10 data
gdt_ptr:
	dw gdt_ptr - gdt - 1
	dd gdt
align 8
idt:
	times 13 dq 0
	; vector 13 (#GP): 32-bit interrupt gate to gp_handler, selector 0x08
	dw (gp_handler - $$ + 0x100000) & 0xffff
	dw 0x08
	db 0, 0x8e
	dw (gp_handler - $$ + 0x100000) >> 16
idt_end:
idt_ptr:
	dw idt_end - idt - 1
	dd idt
is_amd:     db 0
msg_hc:     db "hcall: PASS: console hypercall", 13, 10
msg_hc_len  equ $ - msg_hc
msg_enosys: db "hcall: PASS: unknown call returns -1", 13, 10, 0
msg_gp:     db "msr: PASS: #GP on an unknown MSR", 13, 10, 0
msg_port:   db "port: PASS: an unclaimed port reads all ones", 13, 10, 0
msg_cr0:    db "cr0: PASS: CR0.NE written and read back as the guest set it", 13, 10, 0
msg_fail:   db "hcall: FAIL", 13, 10, 0
