; A pinned compute loop (tests/scenarios/90-sched.sh, privacy config, alone
; on CPU 1): prints
;   spin: start
; then loops until the TSC passes its start + SPIN_TICKS with no exit at
; all (no I/O, CPUID or MSR access: RDTSC only), prints
;   spin: done after N ticks
; (N measured, at least SPIN_TICKS) and stops with CLI; HLT. Alone on its
; CPU the scheduler must leave it be: its exits show no slice end (preempt)
; and no host interrupt (intr). It runs with IF=1 on IDT stubs, so that an
; interrupt-window quirk cannot hide a tick. Flat, mode = long,
; load = entry = 0x100000. nasm -DSPIN_TICKS=N sets the length.
bits 64
default rel
org 0x100000
%define GUEST_NAME "spin"
%ifndef SPIN_TICKS
%define SPIN_TICKS 300000000
%endif

start:
	cld
	call idt_init
	lea rsi, [msg_start]
	call puts
	sti
	call tsc64
	mov r12, rax                        ; start
	mov r8, SPIN_TICKS
	add r8, rax
	xor r10, r10
.loop:
	inc r10
	test r10d, 4095
	jnz .loop
	call tsc64
	cmp rax, r8
	jb .loop
	sub rax, r12
	lea rsi, [msg_done]
	call puts
	call putdec
	lea rsi, [msg_ticks]
	call puts
	cli
.halt:
	hlt
	jmp .halt

msg_start: db "spin: start", 13, 10, 0
msg_done:  db "spin: done after ", 0
msg_ticks: db " ticks", 13, 10, 0

%include "guest64.inc"
