; The assembled AP trampoline (build/trampoline.bin), kept in rodata for
; arch/x86/smp.c to copy below 1 MiB.
section .rodata
global tramp_blob_start, tramp_blob_end
tramp_blob_start:
	incbin "trampoline.bin"
tramp_blob_end:
