; A partition that sleeps for good (tests/scenarios/90-sched.sh, privacy
; config): prints
;   idle: going to sleep
; then STI and HLT in a loop with no timer and nothing else that could wake
; it. It must cost nothing: its exit counts end with that one print (io)
; and one HLT, and no slice ever ends under it. Should it wake anyway, an
; IDT stub takes the interrupt (EOI) and it prints once
;   idle: FAIL: woke up from HLT
; and sleeps again. No CPUID, no MSR access, no hypercall.
; Flat, mode = long, load = entry = 0x100000.
bits 64
default rel
org 0x100000
%define GUEST_NAME "idle"

start:
	cld
	call idt_init
	lea rsi, [msg_sleep]
	call puts
	sti
.sleep:
	hlt
	cmp byte [woke], 0
	jne .sleep
	mov byte [woke], 1
	lea rsi, [msg_woke]
	call puts
	jmp .sleep

msg_sleep: db "idle: going to sleep", 13, 10, 0
msg_woke:  db "idle: FAIL: woke up from HLT", 13, 10, 0
woke:      db 0

%include "guest64.inc"
