; Starts in 64-bit long mode (mode = long, load = entry = 0x100000) on the
; loader's identity map: checks the entry state, that the syscall MSRs are
; its own (a value written reads back), that an EFER write with a reserved
; bit gets #GP, that MONITOR/MWAIT (hidden in CPUID) get #UD, and probes its UART the way Linux's 8250 driver does
; (scratch register, loopback). Reports each on COM1, then halts.
bits 64
org 0x100000
start:
	mov rax, cr4
	test eax, 1 << 5                    ; PAE
	jz fail
	mov ecx, 0xc0000080
	rdmsr
	and eax, (1 << 8) | (1 << 10)
	cmp eax, (1 << 8) | (1 << 10)       ; LME and LMA
	jne fail
	mov rax, cr3
	mov rbx, rsp                        ; the stack ends at the tables
	cmp rax, rbx
	jne fail
	push qword 0x1234                   ; and works
	pop rax
	cmp rax, 0x1234
	jne fail
	lea rsi, [rel msg_entry]
	call puts
	; the syscall MSRs are the partition's own
	mov ecx, 0xc0000082                 ; LSTAR
	mov eax, 0x00401000
	mov edx, 0xffffffff
	wrmsr
	xor eax, eax
	xor edx, edx
	rdmsr
	cmp eax, 0x00401000
	jne fail
	cmp edx, 0xffffffff
	jne fail
	lea rsi, [rel msg_lstar]
	call puts
	; EFER with a reserved bit: #GP, caught by our handler
	lidt [rel idt_ptr]
	lea rdi, [rel idt + 13 * 16]
	lea rax, [rel gp_handler]
	call gate
	mov ecx, 0xc0000080
	rdmsr
	or eax, 1 << 1                      ; reserved
	wrmsr
	cmp byte [rel got_gp], 1
	jne fail
	lea rsi, [rel msg_efer]
	call puts
	; MONITOR and MWAIT are hidden in CPUID: #UD, caught by our handler
	mov eax, 1
	cpuid
	test ecx, 1 << 3
	jnz fail
	lea rdi, [rel idt + 6 * 16]
	lea rax, [rel ud_handler]
	call gate
	lea rax, [rel got_gp]
	xor ecx, ecx
	xor edx, edx
	monitor
	xor eax, eax
	mwait
	cmp byte [rel got_ud], 2
	jne fail
	lea rsi, [rel msg_mwait]
	call puts
	; INT1 (ICEBP): one #DB, after the instruction (the hypervisor
	; intercepts #DB and must deliver it once, past INT1). Intel only:
	; QEMU's SVM resumes inside the next instruction (its TCG, not us).
	xor eax, eax
	cpuid
	cmp ebx, 'Genu'
	je .int1
	lea rsi, [rel msg_int1_skip]
	call puts
	jmp .int1_done
.int1:
	lea rdi, [rel idt + 1 * 16]
	lea rax, [rel db_handler]
	call gate
	db 0xf1
	cmp byte [rel got_db], 1
	jne fail
	lea rsi, [rel msg_int1]
	call puts
.int1_done:
	; Linux's 8250 probe: scratch register, then loopback with MSR bits
	mov dx, 0x3ff
	mov al, 0xa5
	out dx, al
	in al, dx
	cmp al, 0xa5
	jne fail
	mov dx, 0x3fc
	mov al, 0x1a                        ; loopback, OUT2, RTS
	out dx, al
	mov dx, 0x3fe
	in al, dx
	and al, 0xf0
	cmp al, 0x90                        ; DCD and CTS
	jne fail
	mov dx, 0x3f8
	mov al, 0x5a
	out dx, al                          ; looped back, not sent
	mov dx, 0x3fd
	in al, dx
	test al, 1
	jz fail
	mov dx, 0x3f8
	in al, dx
	cmp al, 0x5a
	jne fail
	mov dx, 0x3fc
	mov al, 0x0b                        ; loopback off
	out dx, al
	lea rsi, [rel msg_uart]
	call puts
.halt:
	hlt
	jmp .halt

; RAX = a handler, RDI = its 64-bit interrupt gate in idt (ring 0, CS 0x08)
gate:
	mov [rdi], ax
	mov word [rdi + 2], 0x08
	mov word [rdi + 4], 0x8e00
	shr rax, 16
	mov [rdi + 6], ax
	shr rax, 16
	mov [rdi + 8], eax
	ret

db_handler:
	inc byte [rel got_db]
	iretq

ud_handler:
	inc byte [rel got_ud]
	add qword [rsp], 3                  ; past MONITOR / MWAIT (0F 01 C8 / C9)
	iretq

gp_handler:
	mov byte [rel got_gp], 1
	add qword [rsp + 8], 2              ; past the WRMSR (error code first)
	add rsp, 8
	iretq

puts:
	mov dx, 0x3f8
.next:
	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:
	ret

fail:
	lea rsi, [rel msg_fail]
	call puts
	jmp start.halt

align 16
idt: times 32 dq 0, 0
idt_ptr:
	dw 32 * 16 - 1
	dq idt
got_gp: db 0
got_ud: db 0
got_db: db 0

msg_entry: db "long: PASS: started in 64-bit mode, paging on, stack below the tables", 13, 10, 0
msg_lstar: db "long: PASS: LSTAR is the partition's own", 13, 10, 0
msg_efer:  db "long: PASS: #GP on an EFER reserved bit", 13, 10, 0
msg_mwait: db "long: PASS: #UD on MONITOR and MWAIT, hidden in CPUID", 13, 10, 0
msg_int1:  db "long: PASS: INT1 delivered once, past the instruction", 13, 10, 0
msg_int1_skip: db "long: INT1 not checked on AMD (QEMU's SVM mis-delivers it)", 13, 10, 0
msg_uart:  db "long: PASS: UART scratch and loopback as Linux probes them", 13, 10, 0
msg_fail:  db "long: FAIL", 13, 10, 0
