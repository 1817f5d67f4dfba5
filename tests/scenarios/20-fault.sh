# The fault path: debug_fault=pf makes the hypervisor write to an unmapped
# address after the ready line; the log must show the full register dump and
# the backtrace, the other CPUs must be stopped, and on_panic=poweroff ends
# the run. #UD is checked on Bochs (Intel, x2APIC) as a second exception type.

mkimage_test() { # mkimage_test NAME CMDLINE -> $TEST_OUT/NAME.iso
	tools/mkimage --timeout 0 --cmdline "$2" config/default.cfg "$TEST_OUT/$1.iso" >/dev/null
}

expect_dump() { # expect_dump NAME VECTOR-TEXT CPUS
	local name=$1
	expect_log "$name" "^panic: cpu 0: CPU exception $2"
	expect_log "$name" "^  rip=0x[0-9a-f]{16} cs=0x0008 rflags=0x[0-9a-f]{8}$"
	expect_log "$name" "^  rsp=0x[0-9a-f]{16} ss=0x0010$"
	for r in rax rbx rcx rdx rsi rdi rbp r8 r9 r10 r11 r12 r13 r14 r15 cr0 cr3 cr4; do
		grep -aqE "(^| )$r ?=0x[0-9a-f]{16}" "$BOOT_LOG" || { fail "$name: register $r in the dump" "missing"; continue; }
		pass "$name: register $r in the dump"
	done
	# The frame chain reaches at least two callers above the faulting RIP.
	check "$name: backtrace has 3+ frames" "$(grep -ac '^    #' "$BOOT_LOG") frames" \
		between "$(grep -ac '^    #' "$BOOT_LOG")" 3 16
	expect_log "$name" "^panic: all $3 CPUs stopped; on_panic=poweroff$"
	check "$name: powered off after the panic" "status $BOOT_STATUS" [ "$BOOT_STATUS" = 0 ]
}

mkimage_test fault-pf "debug_fault=pf on_panic=poweroff"
boot fault-pf-qemu qemu "$TEST_OUT/fault-pf.iso" --cpus 2 --timeout 120
expect_log fault-pf-qemu "^hv: ready cpus=2 "
expect_dump fault-pf-qemu "14 \(#PF page fault\), error code 0x2$" 2
expect_log fault-pf-qemu "^  cr0=0x[0-9a-f]{16} cr2=0x000000000dead000$"
# The backtrace names real functions: resolve #1 with the ELF's symbols.
frame1=$(grep -a -m1 '^    #1 ' "$BOOT_LOG" | awk '{print $2}')
sym=$(nm -n build/hv.elf | awk -v a="${frame1#0x}" 'BEGIN { a = tolower(a) } $1 <= a { s = $3 } END { print s }')
check "fault-pf-qemu: backtrace #1 is in hv_main_on_stack" "#1=$frame1 -> '$sym'" [ "$sym" = hv_main_on_stack ]

mkimage_test fault-ud "debug_fault=ud on_panic=poweroff"
boot fault-ud-bochs bochs-intel "$TEST_OUT/fault-ud.iso" --cpus 2 --timeout 300
expect_dump fault-ud-bochs "6 \(#UD invalid opcode\), error code 0x0$" 2

# Guard page: recursing off the bottom of cpu 0's main stack must fault on the
# unmapped guard page (0xffffc00000000000..0fff) and, since that #PF cannot be
# pushed on the same stack, arrive as #DF on the IST stack, dumped normally.
mkimage_test fault-stack "debug_fault=stack on_panic=poweroff"
boot fault-stack-qemu qemu "$TEST_OUT/fault-stack.iso" --cpus 1 --timeout 120
expect_log fault-stack-qemu "^panic: cpu 0: CPU exception 8 \(#DF double fault\), error code 0x0$"
expect_log fault-stack-qemu "^  rsp=0xffffc0000000[01][0-9a-f]{3} ss=0x0010$" "RSP is not at cpu 0's stack guard"
expect_log fault-stack-qemu "^panic: all 1 CPUs stopped; on_panic=poweroff$"

# Port 0xE9 instead of the UART: serial=off e9 must move the whole log.
mkimage_test e9 "serial=off e9 on_idle=poweroff"
for m in qemu bochs-intel; do
	boot e9-$m $m "$TEST_OUT/e9.iso" --cpus 1 --timeout 300 --e9 "$TEST_OUT/e9-$m.e9"
	check "e9-$m: serial console silent" "$(wc -c < "$BOOT_LOG") bytes on COM1" [ ! -s "$BOOT_LOG" ]
	BOOT_LOG=$TEST_OUT/e9-$m.e9 expect_log e9-$m "^hv: ready cpus=1 mem_total_kib=[0-9]+ mem_free_kib=[0-9]+ virt=(svm|vmx)$"
done

# The allocator's checks inside the running hypervisor: a double free and a
# free of an address inside an allocated block panic naming the address.
for kind in double_free foreign_free; do
	mkimage_test $kind "debug_fault=$kind on_panic=poweroff"
	boot $kind-qemu qemu "$TEST_OUT/$kind.iso" --cpus 1 --timeout 120
	addr=$(tr -d '\r' < "$BOOT_LOG" | sed -n 's/^hv: debug_fault: freeing \(0x[0-9a-f]*\) .*/\1/p')
	check "$kind-qemu: the bad free was attempted" "no 'freeing' line" [ -n "$addr" ]
	want="double free"
	[ $kind = foreign_free ] && want="not an allocated block"
	expect_log $kind-qemu "^panic: cpu 0: mm: bad free of ${addr:-none}: $want$"
done

# tools/boot must tell a triple fault from a power off (status 3, both
# emulators), or every "powered off" check above would be worthless.
mkimage_test triple "debug_fault=triple"
for m in qemu bochs-intel; do
	boot triple-$m $m "$TEST_OUT/triple.iso" --cpus 1 --timeout 120
	check "triple-$m: tools/boot reports the triple fault" "status $BOOT_STATUS, $(tail -n 1 "$TEST_OUT/triple-$m.boot")" [ "$BOOT_STATUS" = 3 ]
done
