; Reads far past its partition's RAM: the hypervisor must stop this partition
; (EPT violation / nested page fault) with a line naming the address, while
; the others go on. Flat, loaded at 0x100000.
bits 32
org 0x100000
OUTSIDE equ 0x10000000              ; 256 MiB: beyond any test partition's RAM
start:
	mov esp, 0x180000               ; a stack inside its RAM (flat images get none)
	mov esi, msg
	call puts
	mov eax, [OUTSIDE]              ; must never return
	mov esi, msg_bad
	jmp puts_and_halt
%include "puts.inc"
msg:     db "oob: reading 0x10000000", 13, 10, 0
msg_bad: db "oob: FAIL: the read outside my memory returned", 13, 10, 0
