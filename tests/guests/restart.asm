; Restarted partitions start afresh (on_stop = restart): RAM is zeroed and
; the image loaded again. Checks a word in free RAM is 0 and its own
; counter in the image is 0, sets both, then stops through the debug-exit
; port (0xf4). A leftover from an earlier life shows as FAIL.
bits 32
org 0x100000
MARK equ 0x300000
start:
	mov esp, 0x180000
	cmp dword [MARK], 0
	jne .bad
	cmp dword [counter], 0
	jne .bad
	mov dword [MARK], 0x5a5a5a5a
	inc dword [counter]
	mov esi, msg_ok
	call puts
	jmp .out
.bad:
	mov esi, msg_fail
	call puts
.out:
	mov al, 0x10
	out 0xf4, al
	hlt
%include "puts.inc"
counter:  dd 0
msg_ok:   db "restart: PASS: fresh RAM and image", 13, 10, 0
msg_fail: db "restart: FAIL: memory from an earlier life", 13, 10, 0
