; CPUID as a partition sees it: VMX and SVM hidden, the hypervisor bit set, the
; signature leaf 0x40000000 = "hvmicrohyper". Then the exit round trip: 1000
; CPUIDs timed with RDTSC (under Bochs with clock sync=none the TSC counts
; instructions, so this is deterministic). Flat, loaded at 0x100000.
bits 32
org 0x100000
LOOPS equ 1000
start:
	mov esp, 0x180000               ; a stack inside its RAM (flat images get none)
	mov eax, 1
	cpuid
	test ecx, 1 << 5
	jnz fail
	test ecx, 1 << 31
	jz fail
	mov eax, 0x80000001
	cpuid
	test ecx, 1 << 2                ; SVM hidden too
	jnz fail
	mov eax, 0x40000000
	cpuid
	cmp ebx, 'hvmi'
	jne fail
	cmp ecx, 'croh'
	jne fail
	cmp edx, 'yper'
	jne fail
	mov esi, msg_pass
	call puts
	; round trip: TSC ticks per CPUID, loop overhead included
	rdtsc
	mov edi, eax
	mov ebp, LOOPS
.loop:
	xor eax, eax
	cpuid
	dec ebp
	jnz .loop
	rdtsc
	sub eax, edi
	push eax
	mov esi, msg_cost
	call puts
	pop eax
	push eax
	call putdec                     ; total for LOOPS round trips
	mov esi, msg_per
	call puts
	pop eax
	xor edx, edx
	mov ecx, LOOPS
	div ecx
	call putdec
	mov esi, msg_nl
	jmp puts_and_halt
fail:
	mov esi, msg_fail
	jmp puts_and_halt


putdec:                                 ; EAX: unsigned number
	mov ecx, 10
	xor ebx, ebx
.div:
	xor edx, edx
	div ecx
	push edx
	inc ebx
	test eax, eax
	jnz .div
	mov dx, 0x3f8
.out:
	pop eax
	add al, '0'
	out dx, al
	dec ebx
	jnz .out
	ret

%include "puts.inc"
msg_pass: db "cpuid: PASS: VMX hidden, hypervisor bit set, signature hvmicrohyper", 13, 10, 0
msg_fail: db "cpuid: FAIL", 13, 10, 0
msg_cost: db "cpuid: 1000 round trips took ", 0
msg_per:  db " TSC ticks, ", 0
msg_nl:   db " each", 13, 10, 0
