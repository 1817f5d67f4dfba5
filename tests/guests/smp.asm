; Two vCPUs (tests/scenarios/90-sched.sh, vcpus = 2 or cpus = 0,1): vCPU 0
; finds the CPUs as an OS does, through ACPI (RSDP on a 16-byte boundary in
; 0xE0000-0xFFFFF, checksums, XSDT, or the RSDT below revision 2, the MADT's
; Processor Local APIC and x2APIC entries marked enabled):
;   smp: ACPI: RSDP at 0x... revision N, XSDT at 0x..., MADT at 0x...
;   smp: MADT lists 2 CPUs (APIC IDs 0 1)
; enables its x2APIC (SVR), sends INIT (assert) to APIC ID 1, 10 ms, then
; start-up twice (200 us apart) with vector 0x08: vCPU 1 starts in real mode
; at 0x8000 (CS = 0x0800, IP = 0), where this image begins. The trampoline
; walks to long mode on the BSP's page tables (CR3 handed over), this
; image's GDT and IDT, enables its x2APIC and reports
;   smp: AP 1 up
; Then 100 round trips: the BSP sends a fixed IPI, vector 0x40, to APIC
; ID 1 and waits for the answer; the AP's handler counts, EOIs and sends
; vector 0x41 back to APIC ID 0, whose handler counts.
;   smp: 100 IPI round trips took N ticks, N each
;   smp: PASS: 100 IPIs each way
; (else "smp: FAIL: ..." with the counts). The BSP then tells the AP to
; stop (a flag and vector 0x42; it ends with CLI; HLT), checks that the AP
; started once (the second start-up IPI must be ignored), and exits through
; the exit hypercall, 0 on success, 1 on a failure. The BSP waits in HLT,
; woken by the answers and by a 10 ms watchdog tick of its APIC timer
; (periodic, vector 0x20), each wait bounded to 1 s of TSC; the AP idles in
; HLT between IPIs; the INIT/SIPI delays poll with the yield hypercall. So
; both vCPUs may share one CPU, whatever the slice. Lines from both vCPUs
; go out under a spinlock.
; Flat, mode = long, load = 0x8000, entry = 0x9000 (the BSP code after the
; trampoline's page); memory 8M.
org 0x8000
%define GUEST_NAME "smp"
NROUNDS       equ 100
SIPI_VECTOR   equ 0x08                  ; 0x8000 >> 12
VEC_TICK      equ 0x20
VEC_PING      equ 0x40
VEC_PONG      equ 0x41
VEC_QUIT      equ 0x42
AP_ID         equ 1

; ---- the AP's real-mode entry: 0x8000 ----
bits 16
ap_entry:
	cli
	jmp 0:ap_real                       ; CS = 0: offsets are addresses
ap_real:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	o32 lgdt [gdt_ptr]
	mov eax, cr0
	or eax, 1                           ; PE
	mov cr0, eax
	jmp 0x18:ap_prot

bits 32
ap_prot:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, 1 << 5                      ; PAE
	mov cr4, eax
	mov eax, [bsp_cr3]                  ; the BSP's identity map
	mov cr3, eax
	mov ecx, 0xc0000080                 ; EFER: the BSP's SCE and NXE, LME
	mov eax, [bsp_efer]
	and eax, (1 << 0) | (1 << 11)
	or eax, 1 << 8
	xor edx, edx
	wrmsr
	mov eax, cr0
	or eax, 1 << 31                     ; PG: long mode (compatibility)
	mov cr0, eax
	jmp 0x08:ap_long                    ; 64-bit code

align 16
gdt:
	dq 0
	dq 0x00af9b000000ffff               ; 0x08: 64-bit code (as the loader's)
	dq 0x00cf93000000ffff               ; 0x10: data
	dq 0x00cf9b000000ffff               ; 0x18: 32-bit code, for the AP's way up
gdt_end:
align 8
gdt_ptr:                                ; 16-bit code reads limit + 32-bit base
	dw gdt_end - gdt - 1
	dq gdt
align 8
bsp_cr3:  dd 0
bsp_efer: dd 0

	times 0x1000 - ($ - $$) db 0

; ---- the BSP's entry: 0x9000, 64-bit, the loader's stack and tables ----
bits 64
default rel
bsp_entry:
	cld
	mov rax, cr3
	mov [bsp_cr3], eax                  ; the loader's tables are below 3G
	mov ecx, MSR_EFER
	rdmsr
	mov [bsp_efer], eax
	lgdt [gdt_ptr]                      ; the same selectors as the loader's
	push 0x08
	lea rax, [.new_cs]
	push rax
	retfq
.new_cs:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	call hc_init
	call idt_init
	mov ecx, VEC_PING
	lea rax, [ping_isr]
	call set_gate
	mov ecx, VEC_PONG
	lea rax, [pong_isr]
	call set_gate
	mov ecx, VEC_QUIT
	lea rax, [eoi_isr]
	call set_gate
	mov ecx, VEC_TICK
	lea rax, [eoi_isr]                 ; the watchdog tick: EOI only
	call set_gate
	call get_freqs
	test rax, rax
	jz .no_freq
	test rbx, rbx
	jnz .have_freq
.no_freq:
	mov eax, 1000000                    ; no leaf: take 1 GHz for both
	mov ebx, eax
	call con_lock
	lea rsi, [msg_nofreq]
	call puts
	call con_unlock
.have_freq:
	mov [tsc_khz], rax
	mov [apic_khz], rbx

	; the x2APIC as the BSP sees it
	mov ecx, MSR_APIC_BASE
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov ecx, APIC_BASE_VALUE | APIC_BASE_BSP
	cmp rax, rcx
	je .base_ok
	lea rsi, [msg_bsp_base]
	call fail_hex                       ; prints, marks the run failed
.base_ok:
	mov ecx, X2APIC_ID
	rdmsr
	test eax, eax
	jz .id_ok
	lea rsi, [msg_bsp_id]
	call fail_value
.id_ok:

	call find_cpus
	call con_lock
	lea rsi, [msg_madt]
	call puts
	mov eax, [ncpus]
	call putdec
	lea rsi, [msg_cpus]
	call puts
	xor ebx, ebx
.ids:
	cmp ebx, [ncpus]
	jae .ids_done
	cmp ebx, MAX_IDS
	jae .ids_done
	test ebx, ebx
	jz .no_space
	lea rsi, [msg_space]
	call puts
.no_space:
	lea rsi, [cpu_ids]
	mov eax, [rsi + rbx * 4]
	call putdec
	inc ebx
	jmp .ids
.ids_done:
	lea rsi, [msg_close]
	call puts
	call con_unlock
	cmp dword [ncpus], 2
	jne .wrong_cpus
	cmp dword [cpu_ids], 0
	jne .wrong_cpus
	cmp dword [cpu_ids + 4], AP_ID
	je .cpus_ok
.wrong_cpus:
	lea rsi, [msg_wrong_cpus]
	jmp fail_exit

.cpus_ok:
	mov ecx, X2APIC_SVR
	mov eax, 0x1ff                      ; software enable, spurious vector 0xff
	xor edx, edx
	wrmsr
	; the watchdog tick: periodic, 10 ms, divide by 1
	mov ecx, X2APIC_TIMER_DCR
	mov eax, DCR_DIV1
	wrmsr
	mov ecx, X2APIC_LVT_TIMER
	mov eax, VEC_TICK | LVT_PERIODIC
	wrmsr
	mov rax, [apic_khz]
	imul rax, rax, 10
	mov ecx, 0xffffffff
	cmp rax, rcx
	jbe .tick_count
	mov rax, rcx
.tick_count:
	mov ecx, X2APIC_TIMER_ICR
	wrmsr                               ; EDX still 0
	sti
	; INIT, 10 ms, start-up, 200 us, start-up
	mov eax, (5 << 8) | (1 << 14)       ; INIT, assert
	call send_to_ap
	mov eax, 10000
	call delay_us
	mov eax, (6 << 8) | SIPI_VECTOR
	call send_to_ap
	mov eax, 200
	call delay_us
	mov eax, (6 << 8) | SIPI_VECTOR
	call send_to_ap
	lea rdi, [ap_up]
	mov eax, 1
	call wait_for
	jnc .ap_started
	lea rsi, [msg_no_ap]
	jmp fail_exit

.ap_started:
	; ping-pong
	call tsc64
	mov r13, rax
	xor r12d, r12d                      ; round trips done
.round:
	mov eax, VEC_PING
	call send_to_ap
	inc r12d
	lea rdi, [pong_count]
	mov eax, r12d
	call wait_for
	jc .lost
	cmp r12d, NROUNDS
	jb .round
	call tsc64
	sub rax, r13
	mov r13, rax
	call con_lock
	lea rsi, [msg_rounds]
	call puts
	mov eax, NROUNDS
	call putdec
	lea rsi, [msg_took]
	call puts
	mov rax, r13
	call putdec
	lea rsi, [msg_ticks]
	call puts
	mov rax, r13
	xor edx, edx
	mov ecx, NROUNDS
	div rcx
	call putdec
	lea rsi, [msg_each]
	call puts
	call con_unlock
	cmp dword [ping_count], NROUNDS
	jne .lost
	cmp dword [pong_count], NROUNDS
	jne .lost
	call con_lock
	lea rsi, [msg_pass]
	call puts
	call con_unlock
	jmp .stop_ap

.lost:
	call con_lock
	lea rsi, [msg_lost]
	call puts
	mov eax, r12d
	call putdec
	lea rsi, [msg_ap_got]
	call puts
	mov eax, [ping_count]
	call putdec
	lea rsi, [msg_bsp_got]
	call puts
	mov eax, [pong_count]
	call putdec
	lea rsi, [msg_nl]
	call puts
	call con_unlock
	mov byte [failed], 1

.stop_ap:
	mov byte [ap_quit], 1
	mov eax, VEC_QUIT
	call send_to_ap
	lea rdi, [ap_done]
	mov eax, 1
	call wait_for
	jnc .ap_stopped
	lea rsi, [msg_ap_stuck]
	call fail_line
.ap_stopped:
	cmp dword [ap_starts], 1
	je .started_once
	lea rsi, [msg_starts]
	mov eax, [ap_starts]
	call fail_value
.started_once:
	mov ecx, X2APIC_LVT_TIMER           ; the watchdog off
	mov eax, VEC_TICK | LVT_MASKED
	xor edx, edx
	wrmsr
	mov rax, [irq_unexpected]
	test rax, rax
	jz .finish
	lea rsi, [msg_unexpected]
	call fail_value
.finish:
	movzx ebx, byte [failed]
	jmp guest_exit

; EAX = ICR low half (mode, vector): to APIC ID 1
send_to_ap:
	push rcx
	push rdx
	mov ecx, X2APIC_ICR
	mov edx, AP_ID                      ; destination, ICR bits 63:32
	wrmsr
	pop rdx
	pop rcx
	ret

; EAX = microseconds, by the TSC (yielding while waiting)
delay_us:
	push rbx
	push rdx
	mov ebx, eax
	mov rax, [tsc_khz]
	mul rbx
	mov ebx, 1000
	div rbx
	mov rbx, rax
	call tsc64
	add rbx, rax
.wait:
	call yield
	call tsc64
	cmp rax, rbx
	jb .wait
	pop rdx
	pop rbx
	ret

; Waits in HLT until the dword at RDI reaches EAX, for at most 1 s of TSC
; (the IPIs and the watchdog tick wake it): CF clear when it did, set on
; timeout. Returns with IF=1.
wait_for:
	push rbx
	push rcx
	push rdx
	mov ecx, eax
	mov rbx, [tsc_khz]
	imul rbx, rbx, 1000
	call tsc64
	add rbx, rax
.poll:
	cli
	cmp [rdi], ecx
	jae .done
	call tsc64
	cmp rax, rbx
	jae .timeout
	sti
	hlt                                 ; in STI's shadow: no wake-up slips by
	jmp .poll
.timeout:
	sti
	stc
	jmp .out
.done:
	sti
	clc
.out:
	pop rdx
	pop rcx
	pop rbx
	ret

yield:
	push rax
	mov eax, HC_YIELD
	call hypercall
	pop rax
	ret

; RSI = "smp: FAIL: ..." line start, EAX/RAX = value: prints it with the
; value and marks the run failed
fail_value:
	call con_lock
	call puts
	call putdec
	lea rsi, [msg_nl]
	call puts
	call con_unlock
	mov byte [failed], 1
	ret

; the same, in hex
fail_hex:
	call con_lock
	call puts
	call puthex
	lea rsi, [msg_nl]
	call puts
	call con_unlock
	mov byte [failed], 1
	ret

; RSI = a whole line
fail_line:
	call con_lock
	call puts
	call con_unlock
	mov byte [failed], 1
	ret

; RSI = a whole line: print it and exit with 1
fail_exit:
	call fail_line
	mov ebx, 1
	jmp guest_exit

%include "acpi.inc"

; ---- the AP in long mode ----
ap_long:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	lea rsp, [ap_stack_top]
	cld
	lidt [gl_idt_ptr]
	lock inc dword [ap_starts]
	mov ecx, MSR_APIC_BASE
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov ecx, APIC_BASE_VALUE            ; no BSP flag
	cmp rax, rcx
	je .base_ok
	lea rsi, [msg_ap_base]
	call fail_hex
.base_ok:
	mov ecx, X2APIC_SVR
	mov eax, 0x1ff
	xor edx, edx
	wrmsr
	mov ecx, X2APIC_ID
	rdmsr
	mov ebx, eax
	call con_lock
	lea rsi, [msg_ap]
	call puts
	mov eax, ebx
	call putdec
	lea rsi, [msg_up]
	call puts
	call con_unlock
	cmp ebx, AP_ID
	je .id_ok
	lea rsi, [msg_ap_id]
	mov eax, ebx
	call fail_value
.id_ok:
	mov dword [ap_up], 1
.idle:
	cli
	cmp byte [ap_quit], 0
	jne .quit
	sti
	hlt                                 ; in STI's shadow: no IPI slips by
	jmp .idle
.quit:
	mov dword [ap_done], 1
.halt:
	hlt                                 ; IF=0: for good
	jmp .halt

; the AP: count, EOI, answer APIC ID 0
ping_isr:
	push rax
	push rcx
	push rdx
	lock inc dword [ping_count]
	call apic_eoi
	mov ecx, X2APIC_ICR
	mov eax, VEC_PONG                   ; fixed, physical
	xor edx, edx                        ; destination 0
	wrmsr
	pop rdx
	pop rcx
	pop rax
	iretq

; the BSP: count the answer
pong_isr:
	lock inc dword [pong_count]
	call apic_eoi
	iretq

eoi_isr:                                ; the quit IPI and the watchdog tick
	call apic_eoi
	iretq

msg_nofreq:     db "smp: no CPUID leaf 0x40000010: taking 1 GHz for the TSC and the APIC timer", 13, 10, 0
msg_bsp_base:   db "smp: FAIL: IA32_APIC_BASE of vCPU 0 reads ", 0
msg_bsp_id:     db "smp: FAIL: x2APIC ID of vCPU 0 reads ", 0
msg_ap_base:    db "smp: FAIL: IA32_APIC_BASE of the AP reads ", 0
msg_ap_id:      db "smp: FAIL: the AP's x2APIC ID reads ", 0
msg_no_ap:      db "smp: FAIL: AP 1 not up 1 s after INIT and start-up", 13, 10, 0
msg_ap:         db "smp: AP ", 0
msg_up:         db " up", 13, 10, 0
msg_rounds:     db "smp: ", 0
msg_took:       db " IPI round trips took ", 0
msg_ticks:      db " ticks, ", 0
msg_each:       db " each", 13, 10, 0
msg_pass:       db "smp: PASS: 100 IPIs each way", 13, 10, 0
msg_lost:       db "smp: FAIL: round trip ", 0
msg_ap_got:     db " not answered within 1 s: AP got ", 0
msg_bsp_got:    db ", BSP got ", 0
msg_ap_stuck:   db "smp: FAIL: the AP did not stop", 13, 10, 0
msg_starts:     db "smp: FAIL: AP started this many times: ", 0
msg_unexpected: db "smp: FAIL: interrupts on unexpected vectors: ", 0
msg_nl:         db 13, 10, 0

align 8
tsc_khz:    dq 0
apic_khz:   dq 0
ap_starts:  dd 0
ap_up:      dd 0
ap_done:    dd 0
ping_count: dd 0                        ; vector 0x40 on the AP
pong_count: dd 0                        ; vector 0x41 on the BSP
ap_quit:    db 0
failed:     db 0

align 16
ap_stack:   times 4096 db 0
ap_stack_top:

%include "guest64.inc"
