; The virtual x2APIC timer (tests/scenarios/90-sched.sh, smp config): rates
; from CPUID 0x40000010 (EAX = TSC kHz, EBX = APIC timer kHz before the
; divider), then three measurements, each a line with its figures and a
; PASS or FAIL line:
;   timer: TSC N kHz, APIC timer N kHz
; (a) periodic, vector 0x30, divide by 1, initial count for a period of P
;     TSC ticks; interrupts counted while HLTing through a window of W ticks:
;   timer: periodic: N interrupts in W ticks, expected M
;   timer: PASS: periodic within 5% of expected     (|N - M| <= M / 20)
; (b) TSC-deadline, vector 0x31: the handler writes the previous deadline
;     + P to IA32_TSC_DEADLINE; counted the same way:
;   timer: tsc-deadline: N interrupts in W ticks, expected M
;   timer: PASS: tsc-deadline within 5% of expected
; (c) one-shot, vector 0x32, armed for O ticks, then HLT with IF=1 until it
;     fires; then O more ticks of waiting to see it does not fire again:
;   timer: one-shot: woke after N ticks (armed for O)
;   timer: PASS: one-shot fired once, not early, the only wake-up from HLT
; and the exit hypercall: 0 when all passed, else 1. Any #GP (an x2APIC MSR
; missing) prints "timer: FAIL: exception 13 ..." and stops the vCPU.
; P, W and O come from PERIOD_US, WINDOW_MS and ONESHOT_US at the TSC rate
; (nasm -D to change), or PERIOD_TICKS, WINDOW_TICKS, ONESHOT_TICKS when
; defined. Flat, mode = long, load = entry = 0x100000.
bits 64
default rel
org 0x100000
%define GUEST_NAME "timer"
%ifndef PERIOD_US
%define PERIOD_US 1000
%endif
%ifndef WINDOW_MS
%define WINDOW_MS 200
%endif
%ifndef ONESHOT_US
%define ONESHOT_US 5000
%endif
VEC_PERIODIC equ 0x30
VEC_DEADLINE equ 0x31
VEC_ONESHOT  equ 0x32

; wrmsr_imm MSR, VALUE (32-bit): clobbers RAX, RCX, RDX
%macro wrmsr_imm 2
	mov ecx, %1
	mov eax, %2
	xor edx, edx
	wrmsr
%endmacro

start:
	cld
	call hc_init
	call idt_init
	mov ecx, VEC_PERIODIC
	lea rax, [periodic_isr]
	call set_gate
	mov ecx, VEC_DEADLINE
	lea rax, [deadline_isr]
	call set_gate
	mov ecx, VEC_ONESHOT
	lea rax, [oneshot_isr]
	call set_gate

	call get_freqs
	test rax, rax
	jz no_freq
	test rbx, rbx
	jz no_freq
	mov [tsc_khz], rax
	mov [apic_khz], rbx
	lea rsi, [msg_rates]
	call puts
	call putdec
	lea rsi, [msg_apic]
	call puts
	mov rax, rbx
	call putdec
	lea rsi, [msg_khz]
	call puts

	; P, W and O in TSC ticks
%ifdef PERIOD_TICKS
	mov rax, PERIOD_TICKS
%else
	mov rax, [tsc_khz]
	mov rcx, PERIOD_US
	mul rcx
	mov rcx, 1000
	div rcx
%endif
	mov [period], rax
%ifdef WINDOW_TICKS
	mov rax, WINDOW_TICKS
%else
	mov rax, [tsc_khz]
	mov rcx, WINDOW_MS
	mul rcx
%endif
	mov [window], rax
%ifdef ONESHOT_TICKS
	mov rax, ONESHOT_TICKS
%else
	mov rax, [tsc_khz]
	mov rcx, ONESHOT_US
	mul rcx
	mov rcx, 1000
	div rcx
%endif
	mov [oneshot], rax
	cmp qword [period], 0
	je bad_period
	mov rax, [window]
	xor edx, edx
	div qword [period]
	mov [expected], rax                 ; M = W / P

	; the x2APIC as the BSP sees it
	mov ecx, MSR_APIC_BASE
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov ecx, APIC_BASE_VALUE | APIC_BASE_BSP
	cmp rax, rcx
	je .base_ok
	lea rsi, [msg_base]
	call puts
	call puthex
	lea rsi, [msg_nl]
	call puts
	mov byte [failed], 1
.base_ok:
	mov ecx, X2APIC_ID
	rdmsr
	test eax, eax
	jz .id_ok
	lea rsi, [msg_id]
	call puts
	call putdec
	lea rsi, [msg_nl]
	call puts
	mov byte [failed], 1
.id_ok:
	wrmsr_imm X2APIC_SVR, 0x1ff         ; software enable, spurious vector 0xff
	wrmsr_imm X2APIC_TPR, 0
	sti

	; (a) periodic
	wrmsr_imm X2APIC_TIMER_DCR, DCR_DIV1
	wrmsr_imm X2APIC_LVT_TIMER, VEC_PERIODIC | LVT_PERIODIC
	mov rax, [period]
	call ticks_to_count
	mov qword [ticks], 0
	mov byte [periodic_on], 1
	mov ecx, X2APIC_TIMER_ICR
	xor edx, edx
	wrmsr                               ; EAX = the count
	call tsc64
	mov r12, rax
	call wait_window                    ; returns with IF=0
	mov r13, [ticks]
	mov byte [periodic_on], 0
	wrmsr_imm X2APIC_TIMER_ICR, 0
	wrmsr_imm X2APIC_LVT_TIMER, VEC_PERIODIC | LVT_MASKED
	sti
	lea rsi, [name_periodic]
	mov rax, r13
	call report

	; (b) TSC-deadline
	wrmsr_imm X2APIC_LVT_TIMER, VEC_DEADLINE | LVT_TSC_DEADLINE
	mov qword [dl_ticks], 0
	cli
	mov byte [deadline_on], 1
	call tsc64
	mov r12, rax
	add rax, [period]
	mov [next_deadline], rax
	mov rdx, rax
	shr rdx, 32
	mov ecx, MSR_TSC_DEADLINE
	wrmsr
	call wait_window
	mov r13, [dl_ticks]
	mov byte [deadline_on], 0
	mov ecx, MSR_TSC_DEADLINE
	xor eax, eax
	xor edx, edx
	wrmsr
	wrmsr_imm X2APIC_LVT_TIMER, VEC_DEADLINE | LVT_MASKED
	sti
	lea rsi, [name_deadline]
	mov rax, r13
	call report

	; (c) one-shot: the count rounded up, and the time it stands for
	wrmsr_imm X2APIC_LVT_TIMER, VEC_ONESHOT | LVT_ONESHOT
	mov rax, [oneshot]
	mul qword [apic_khz]
	mov rcx, [tsc_khz]
	dec rcx
	add rax, rcx
	adc rdx, 0
	inc rcx
	div rcx
	test rax, rax
	jz bad_period
	mov rcx, 0xffffffff
	cmp rax, rcx
	ja bad_period
	mov [os_count_reg], rax
	mul qword [tsc_khz]
	div qword [apic_khz]
	mov [armed], rax
	mov qword [os_fired], 0
	xor r14, r14                        ; wake-ups from HLT
	cli
	call tsc64
	mov r12, rax
	mov ecx, X2APIC_TIMER_ICR
	mov eax, [os_count_reg]
	xor edx, edx
	wrmsr
.os_wait:
	sti
	hlt                                 ; in STI's shadow: nothing slips in between
	cli
	inc r14
	cmp qword [os_fired], 0
	je .os_wait
	mov r13, [os_tsc]
	sub r13, r12                        ; R13 = armed -> fired
	sti
	; as long again: a one-shot timer stays quiet
	call tsc64
	mov rbx, rax
	add rbx, [armed]
.quiet:
	pause
	call tsc64
	cmp rax, rbx
	jb .quiet
	mov ecx, X2APIC_TIMER_CCR
	rdmsr
	mov r15d, eax                       ; current count: 0 once expired
	wrmsr_imm X2APIC_LVT_TIMER, VEC_ONESHOT | LVT_MASKED
	lea rsi, [msg_os]
	call puts
	mov rax, r13
	call putdec
	lea rsi, [msg_os_armed]
	call puts
	mov rax, [armed]
	call putdec
	lea rsi, [msg_close]
	call puts
	mov bl, 0                           ; BL: the one-shot failed
	; not early: the kHz figures may be rounded, so 0.01% below is allowed
	mov rax, [armed]
	xor edx, edx
	mov rcx, 10000
	div rcx
	mov rcx, [armed]
	sub rcx, rax
	cmp r13, rcx
	jae .not_early
	lea rsi, [msg_os_early]
	call puts
	mov bl, 1
.not_early:
	; not lost: within 100 ms of the deadline
	imul rcx, [tsc_khz], 100
	add rcx, [armed]
	cmp r13, rcx
	jbe .not_late
	lea rsi, [msg_os_late]
	call puts
	mov bl, 1
.not_late:
	cmp qword [os_fired], 1
	je .once
	lea rsi, [msg_os_count]
	call puts
	mov rax, [os_fired]
	call putdec
	lea rsi, [msg_times]
	call puts
	mov bl, 1
.once:
	cmp r14, 1
	je .one_wake
	lea rsi, [msg_os_wakes]
	call puts
	mov rax, r14
	call putdec
	lea rsi, [msg_wakes_end]
	call puts
	mov bl, 1
.one_wake:
	test r15d, r15d
	jz .ccr_ok
	lea rsi, [msg_os_ccr]
	call puts
	mov eax, r15d
	call putdec
	lea rsi, [msg_nl]
	call puts
	mov bl, 1
.ccr_ok:
	test bl, bl
	jnz .os_failed
	lea rsi, [msg_os_pass]
	call puts
	jmp .os_done
.os_failed:
	mov byte [failed], 1
.os_done:
	mov rax, [irq_unexpected]
	test rax, rax
	jz .finish
	lea rsi, [msg_unexp]
	call puts
	call putdec
	lea rsi, [msg_unexp_end]
	call puts
	mov byte [failed], 1
.finish:
	movzx ebx, byte [failed]
	jmp guest_exit

no_freq:
	lea rsi, [msg_nofreq]
	call puts
	mov ebx, 1
	jmp guest_exit

bad_period:
	lea rsi, [msg_badp]
	call puts
	mov ebx, 1
	jmp guest_exit

; RAX = TSC ticks -> EAX = the initial count at divide by 1 (exits through
; bad_period unless 1 to 0xffffffff)
ticks_to_count:
	mul qword [apic_khz]
	div qword [tsc_khz]
	test rax, rax
	jz bad_period
	mov rcx, 0xffffffff
	cmp rax, rcx
	ja bad_period
	ret

; HLT until the TSC passes R12 + window; returns with IF=0 (so the counts
; are read before another interrupt)
wait_window:
	cli
	call tsc64
	sub rax, r12
	cmp rax, [window]
	jae .done
	sti
	hlt
	jmp wait_window
.done:
	ret

; RSI = name, RAX = N: the figures, then PASS if |N - M| <= M / 20
report:
	push rbx
	push rbp
	mov rbx, rax
	mov rbp, rsi
	lea rsi, [msg_timer]
	call puts
	mov rsi, rbp
	call puts
	lea rsi, [msg_colon]
	call puts
	call putdec
	lea rsi, [msg_in]
	call puts
	mov rax, [window]
	call putdec
	lea rsi, [msg_exp]
	call puts
	mov rax, [expected]
	call putdec
	lea rsi, [msg_nl]
	call puts
	mov rax, rbx
	sub rax, [expected]
	jae .abs
	neg rax
.abs:
	imul rax, rax, 20
	cmp rax, [expected]
	ja .fail
	lea rsi, [msg_pass]
	call puts
	mov rsi, rbp
	call puts
	lea rsi, [msg_within]
	call puts
	jmp .done
.fail:
	mov byte [failed], 1
	lea rsi, [msg_fail]
	call puts
	mov rsi, rbp
	call puts
	lea rsi, [msg_off]
	call puts
.done:
	pop rbp
	pop rbx
	ret

periodic_isr:
	cmp byte [periodic_on], 0
	je .eoi
	inc qword [ticks]
.eoi:
	call apic_eoi
	iretq

deadline_isr:
	push rax
	push rcx
	push rdx
	cmp byte [deadline_on], 0
	je .eoi
	inc qword [dl_ticks]
	mov rax, [next_deadline]
	add rax, [period]
	mov [next_deadline], rax
	mov rdx, rax
	shr rdx, 32
	mov ecx, MSR_TSC_DEADLINE
	wrmsr
.eoi:
	call apic_eoi
	pop rdx
	pop rcx
	pop rax
	iretq

oneshot_isr:
	push rax
	push rdx
	cmp qword [os_fired], 0
	jne .count
	call tsc64
	mov [os_tsc], rax
.count:
	inc qword [os_fired]
	call apic_eoi
	pop rdx
	pop rax
	iretq

msg_rates:     db "timer: TSC ", 0
msg_apic:      db " kHz, APIC timer ", 0
msg_khz:       db " kHz", 13, 10, 0
msg_base:      db "timer: FAIL: IA32_APIC_BASE reads ", 0
msg_id:        db "timer: FAIL: x2APIC ID of vCPU 0 reads ", 0
msg_timer:     db "timer: ", 0
msg_colon:     db ": ", 0
msg_in:        db " interrupts in ", 0
msg_exp:       db " ticks, expected ", 0
msg_nl:        db 13, 10, 0
msg_pass:      db "timer: PASS: ", 0
msg_within:    db " within 5% of expected", 13, 10, 0
msg_fail:      db "timer: FAIL: ", 0
msg_off:       db " off by more than 5%", 13, 10, 0
name_periodic: db "periodic", 0
name_deadline: db "tsc-deadline", 0
msg_os:        db "timer: one-shot: woke after ", 0
msg_os_armed:  db " ticks (armed for ", 0
msg_close:     db ")", 13, 10, 0
msg_os_early:  db "timer: FAIL: one-shot fired early", 13, 10, 0
msg_os_late:   db "timer: FAIL: one-shot fired more than 100 ms late", 13, 10, 0
msg_os_count:  db "timer: FAIL: one-shot fired ", 0
msg_times:     db " times", 13, 10, 0
msg_os_wakes:  db "timer: FAIL: HLT returned ", 0
msg_wakes_end: db " times for one interrupt", 13, 10, 0
msg_os_ccr:    db "timer: FAIL: current count after expiry reads ", 0
msg_os_pass:   db "timer: PASS: one-shot fired once, not early, the only wake-up from HLT", 13, 10, 0
msg_unexp:     db "timer: FAIL: ", 0
msg_unexp_end: db " interrupts on unexpected vectors", 13, 10, 0
msg_nofreq:    db "timer: FAIL: no CPUID leaf 0x40000010 (TSC and APIC timer kHz)", 13, 10, 0
msg_badp:      db "timer: FAIL: a period that does not fit the timer's count", 13, 10, 0

align 8
tsc_khz:       dq 0
apic_khz:      dq 0
period:        dq 0
window:        dq 0
oneshot:       dq 0
expected:      dq 0
armed:         dq 0
os_count_reg:  dq 0
ticks:         dq 0
dl_ticks:      dq 0
next_deadline: dq 0
os_fired:      dq 0
os_tsc:        dq 0
periodic_on:   db 0
deadline_on:   db 0
failed:        db 0

%include "guest64.inc"
