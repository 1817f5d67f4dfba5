; CPU share under the scheduler (tests/scenarios/90-sched.sh, weights): counts
; loop iterations until the TSC passes its start + COUNT_TICKS (checked every
; 4096 iterations), prints
;   count: N iterations in COUNT_TICKS ticks
; and exits with code 0 through the exit hypercall. Partitions with
; different weights on the same pool count in proportion to their share.
; It runs with IF=1 (under Bochs' AMD model a guest with IF=0 is not
; preempted) on an IDT whose stubs EOI whatever comes (nothing should).
; Flat, mode = long, load = entry = 0x100000. nasm -DCOUNT_TICKS=N sets
; the window.
bits 64
default rel
org 0x100000
%define GUEST_NAME "count"
%ifndef COUNT_TICKS
%define COUNT_TICKS 300000000
%endif

start:
	cld
	call hc_init
	call idt_init
	sti
	xor r10, r10                        ; iterations
	call tsc64
	mov r8, COUNT_TICKS
	add r8, rax                         ; end of the window
.loop:
	inc r10
	test r10d, 4095
	jnz .loop
	call tsc64
	cmp rax, r8
	jb .loop
	lea rsi, [msg_count]
	call puts
	mov rax, r10
	call putdec
	lea rsi, [msg_in]
	call puts
	mov rax, COUNT_TICKS
	call putdec
	lea rsi, [msg_ticks]
	call puts
	xor ebx, ebx
	jmp guest_exit

msg_count: db "count: ", 0
msg_in:    db " iterations in ", 0
msg_ticks: db " ticks", 13, 10, 0

%include "guest64.inc"
