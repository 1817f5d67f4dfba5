; VPID/ASID privacy while time-sliced (tests/scenarios/90-sched.sh): two
; partitions run this on one CPU, at the same guest-linear and
; guest-physical addresses. Each picks a pattern from the TSC at its start,
; writes pattern ^ address over the MiB at 0x400000, then reads every qword
; back, compares and writes it again, page by page. A TSC jump of more than
; GAP_TICKS between two pages means the vCPU was descheduled (a switch).
; A stale TLB entry of the other partition would show its pattern here, or
; let our writes land in its memory (where it sees them). After SWITCHES
; switches and one more full pass:
;   privacy: pattern 0x..., N switches in N ticks (longest gap N ticks), N passes
;   privacy: PASS: pattern intact over N switches
; else
;   privacy: FAIL: pattern broken at 0xADDR: read 0x..., expected 0x... after N switches
;   privacy: FAIL: only N switches in N ticks
; (the time limit: LIMIT_MS by CPUID leaf 0x40000010's TSC rate, else
; LIMIT_TICKS), then the exit hypercall (0 on PASS, 1 broken, 2 too few
; switches). Runs with IF=1 on stub handlers. Flat, mode = long,
; load = entry = 0x100000; needs memory of 8M or more.
bits 64
default rel
org 0x100000
%define GUEST_NAME "privacy"
AREA      equ 0x400000
AREA_END  equ 0x500000
%ifndef SWITCHES
%define SWITCHES 20
%endif
%ifndef GAP_TICKS
%define GAP_TICKS 200000
%endif
%ifndef LIMIT_MS
%define LIMIT_MS 1000
%endif
%ifndef LIMIT_TICKS
%define LIMIT_TICKS 4000000000
%endif

start:
	cld
	call hc_init
	call idt_init
	sti
	call get_freqs
	mov r15, LIMIT_TICKS
	test rax, rax
	jz .limit
	imul r15, rax, LIMIT_MS             ; kHz * ms = ticks
.limit:
	; the pattern: the TSC mixed (odd multiplier), never 0
	call tsc64
	mov rbx, 0x9e3779b97f4a7c15
	imul rax, rbx
	or rax, 1
	mov [pattern], rax
	mov r12, rax                        ; R12 = pattern
	mov rdi, AREA
.fill:
	mov rax, rdi
	xor rax, r12
	mov [rdi], rax
	add rdi, 8
	cmp rdi, AREA_END
	jb .fill

	call tsc64
	mov r13, rax                        ; R13 = start
	mov r14, rax                        ; R14 = last TSC seen
	xor ebp, ebp                        ; switches
	xor r11, r11                        ; full passes
	mov qword [extra], 0
.pass:
	mov rdi, AREA
.page:
	lea r9, [rdi + 4096]
.qword:
	mov rax, rdi
	xor rax, r12
	mov rbx, [rdi]
	cmp rbx, rax
	jne .bad
	mov [rdi], rax
	add rdi, 8
	cmp rdi, r9
	jb .qword
	; a page done: was this vCPU away?
	call tsc64
	mov rcx, rax
	sub rcx, r14
	mov r14, rax
	cmp rcx, GAP_TICKS
	jbe .no_switch
	inc ebp
	cmp rcx, [longest]
	jbe .no_switch
	mov [longest], rcx
.no_switch:
	mov rcx, rax
	sub rcx, r13
	cmp ebp, SWITCHES
	jae .enough
	cmp rcx, r15
	jae .too_few
.enough:
	cmp rdi, AREA_END
	jb .page
	inc r11
	cmp ebp, SWITCHES
	jb .pass
	; enough switches: one more full pass after the last one
	cmp qword [extra], 0
	jne .pass_ok
	mov qword [extra], 1
	jmp .pass

.pass_ok:
	mov [elapsed], rcx
	mov [passes], r11
	lea rsi, [msg_pat]
	call puts
	mov rax, r12
	call puthex
	lea rsi, [msg_comma]
	call puts
	mov eax, ebp
	call putdec
	lea rsi, [msg_sw_in]
	call puts
	mov rax, [elapsed]
	call putdec
	lea rsi, [msg_longest]
	call puts
	mov rax, [longest]
	call putdec
	lea rsi, [msg_ticks_p]
	call puts
	mov rax, [passes]
	call putdec
	lea rsi, [msg_passes]
	call puts
	lea rsi, [msg_pass]
	call puts
	mov eax, ebp
	call putdec
	lea rsi, [msg_switches]
	call puts
	xor ebx, ebx
	jmp guest_exit

.bad:
	mov r9, rax                         ; expected
	lea rsi, [msg_bad]
	call puts
	mov rax, rdi
	call puthex
	lea rsi, [msg_read]
	call puts
	mov rax, rbx
	call puthex
	lea rsi, [msg_expected]
	call puts
	mov rax, r9
	call puthex
	lea rsi, [msg_after]
	call puts
	mov eax, ebp
	call putdec
	lea rsi, [msg_switches]
	call puts
	mov ebx, 1
	jmp guest_exit

.too_few:
	lea rsi, [msg_few]
	call puts
	mov eax, ebp
	call putdec
	lea rsi, [msg_sw_in]
	call puts
	mov rax, rcx
	call putdec
	lea rsi, [msg_ticks]
	call puts
	mov ebx, 2
	jmp guest_exit

msg_pat:      db "privacy: pattern ", 0
msg_comma:    db ", ", 0
msg_sw_in:    db " switches in ", 0
msg_longest:  db " ticks (longest gap ", 0
msg_ticks_p:  db " ticks), ", 0
msg_passes:   db " passes", 13, 10, 0
msg_pass:     db "privacy: PASS: pattern intact over ", 0
msg_switches: db " switches", 13, 10, 0
msg_bad:      db "privacy: FAIL: pattern broken at ", 0
msg_read:     db ": read ", 0
msg_expected: db ", expected ", 0
msg_after:    db " after ", 0
msg_few:      db "privacy: FAIL: only ", 0
msg_ticks:    db " ticks", 13, 10, 0

align 8
pattern: dq 0
longest: dq 0
elapsed: dq 0
passes:  dq 0
extra:   dq 0

%include "guest64.inc"
