# The image is relocatable (Multiboot2 relocatable tag): build/hv-high.elf
# asks GRUB for the highest load address, so it runs far from its link
# address (2 MiB). It must boot the same way everywhere: all CPUs (the AP
# trampoline loads the relocated page-table root), the image reserved where
# it really is, and the fault path's backtrace still resolving.

HV_ELF=build/hv-high.elf tools/mkimage --timeout 0 config/default.cfg "$TEST_OUT/high.iso" >/dev/null

reloc_checks() { # reloc_checks NAME CPUS VIRT
	local at
	expect_ready "$1" "$2" 256 "$3"
	at=$(tr -d '\r' < "$BOOT_LOG" | sed -n 's/^hv: x86-64 microhypervisor starting (image at \(0x[0-9a-f]*\))$/\1/p')
	check "$1: loaded away from the link address" "image at '${at:-?}'" \
		bash -c "[ -n '$at' ] && [ '$at' != 0x200000 ]"
	expect_log "$1" "^mm: reserved \[0x0*${at#0x}-0x[0-9a-f]+\) hypervisor image$" "image not reserved at $at"
}

boot high-qemu qemu "$TEST_OUT/high.iso" --cpus 2 --timeout 120
reloc_checks high-qemu 2 svm
boot high-uefi qemu-uefi "$TEST_OUT/high.iso" --cpus 2 --timeout 180
reloc_checks high-uefi 2 svm
boot high-bochs-intel bochs-intel "$TEST_OUT/high.iso" --cpus 2 --timeout 300
reloc_checks high-bochs-intel 2 vmx

HV_ELF=build/hv-high.elf tools/mkimage --timeout 0 --cmdline "debug_fault=pf on_panic=poweroff" \
	config/default.cfg "$TEST_OUT/high-fault.iso" >/dev/null
boot high-fault qemu "$TEST_OUT/high-fault.iso" --cpus 2 --timeout 120
expect_log high-fault "^panic: cpu 0: CPU exception 14 \(#PF page fault\), error code 0x2$"
frame1=$(tr -d '\r' < "$BOOT_LOG" | grep -a -m1 '^    #1 ' | awk '{print $2}')
sym=$(nm -n build/hv-high.elf | awk -v a="${frame1#0x}" 'BEGIN { a = tolower(a) } $1 <= a { s = $3 } END { print s }')
check "high-fault: backtrace #1 is in hv_main_on_stack" "#1=$frame1 -> '$sym'" [ "$sym" = hv_main_on_stack ]
