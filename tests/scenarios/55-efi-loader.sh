# The standalone UEFI loader (boot/efi/, docs/boot.md): OVMF starts
# BOOTX64.EFI from a FAT tree (tools/boot qemu-efi-app). It must give the
# hypervisor what GRUB gives it: the same command line, modules (names and
# sizes) and so the same partition plan as a GRUB boot of the same files,
# with the image where its relocatable tag asks. A missing hypervisor, a
# missing module or a bad loader config must be named on the console and the
# loader must return to the firmware: OVMF reports the status it got and goes
# on to its next boot option, the UEFI shell, whose startup.nsh (only in
# these trees) prints a marker and powers the machine off.

EFI_GUESTS=(build/guests/flat.bin build/guests/mb1.elf build/guests/mb2.elf)

efi_tree() { # efi_tree NAME: a fresh ESP tree $TEST_OUT/NAME.esp (HV_ELF honoured)
	local dir=$TEST_OUT/$1.esp
	rm -rf "$dir"
	boot/efi/mkesp config/default.cfg "$dir" "${EFI_GUESTS[@]}" >/dev/null
	printf 'echo "hvloader-test: back in the firmware, UEFI shell"\r\nreset -s\r\n' > "$dir/startup.nsh"
}

# What the hypervisor says it was given, without addresses.
hv_view() {
	tr -d '\r' < "$1" | sed -n -e 's/^boot: loader ".*", \(cmdline ".*"\)$/\1/p' \
		-e 's/^\(boot: module [0-9]* "[^"]*"\) at 0x[0-9a-f]*, \([0-9]* bytes\)$/\1 \2/p' \
		-e '/^plan: /p' -e '/^hv: [0-9]* partitions built/p'
}

# expect_returned NAME STATUS: the loader gave STATUS back to the firmware,
# which went on to the shell; the hypervisor never ran.
expect_returned() {
	expect_log "$1" "^hvloader: hypervisor not started; back to the firmware \($2\)$"
	expect_log "$1" "^BdsDxe: failed to start Boot[0-9A-F]{4} \"UEFI QEMU HARDDISK .*: $2$" \
		"OVMF did not report the loader's status"
	expect_log "$1" "^hvloader-test: back in the firmware, UEFI shell$" "the shell's startup.nsh never ran"
	check "$1: the hypervisor did not start" "$(grep -a -m1 '^hv: ' "$BOOT_LOG")" \
		bash -c "! grep -aq '^hv: ' '$BOOT_LOG'"
}

if make -s --no-print-directory build/efi/BOOTX64.EFI >"$TEST_OUT/efi-build.log" 2>&1; then
	efi_tree efi-app
	boot efi-app qemu-efi-app "$TEST_OUT/efi-app.esp" --cpus 2 --timeout 180
	expect_ready efi-app 2 256 svm
	expect_log efi-app '^hvloader: \\hv\\hv\.elf at 0x200000 \([0-9]+ KiB\), entry 0x[0-9a-f]+$'
	expect_log efi-app '^boot: loader "hvloader \(GNU-EFI\)", cmdline "on_idle=poweroff"$'
	expect_log efi-app '^boot: memory map from the EFI tag'
	expect_log efi-app '^acpi: RSDP rev 2, XSDT at 0x[0-9a-f]+$'
	expect_log efi-app '^hv: 3 partitions built, 0 refused$'
	check "efi-app: the loader did not return to the firmware" "$(grep -a -m1 'failed to start' "$BOOT_LOG")" \
		bash -c "! grep -aq 'hvloader-test\|failed to start Boot' '$BOOT_LOG'"

	tools/mkimage --timeout 0 config/default.cfg "$TEST_OUT/efi-grub.iso" "${EFI_GUESTS[@]}" >/dev/null
	boot efi-grub qemu "$TEST_OUT/efi-grub.iso" --cpus 2 --timeout 120
	grub_view=$(hv_view "$TEST_OUT/efi-grub.log")
	efi_view=$(hv_view "$TEST_OUT/efi-app.log")
	check "efi-app: same command line, modules and plan as the GRUB boot (efi-grub)" \
		"$(diff <(echo "$grub_view") <(echo "$efi_view") | head -n 4 | tr '\n' ' ')" \
		bash -c "[ \"\$1\" = \"\$2\" ] && [ \$(printf '%s\n' \"\$2\" | grep -c '^plan: ') = 3 ]" _ \
		"$grub_view" "$efi_view"

	# The relocatable tag's preference: hv-high.elf asks for the highest
	# address, so the loader must place it away from 2 MiB, and the
	# hypervisor must find itself there.
	HV_ELF=build/hv-high.elf efi_tree efi-high
	boot efi-high qemu-efi-app "$TEST_OUT/efi-high.esp" --cpus 2 --timeout 180
	expect_ready efi-high 2 256 svm
	# The firmware's Print writes hex in capitals.
	at=$(tr -d '\r' < "$BOOT_LOG" | sed -n 's/^hvloader: \\hv\\hv\.elf at \(0x[0-9A-F]*\) .*/\1/p' | tr A-F a-f)
	check "efi-high: placed away from the link address" "at '${at:-?}'" \
		bash -c "[ -n '$at' ] && [ '$at' != 0x200000 ]"
	expect_log efi-high "^hv: x86-64 microhypervisor starting \(image at ${at:-none}\)$"
	expect_log efi-high "^mm: reserved \[0x0*${at#0x}-0x[0-9a-f]+\) hypervisor image$"

	efi_tree efi-nohv
	rm "$TEST_OUT/efi-nohv.esp/hv/hv.elf"
	boot efi-nohv qemu-efi-app "$TEST_OUT/efi-nohv.esp" --cpus 1 --timeout 120
	expect_log efi-nohv '^hvloader: \\hv\\hv\.elf: cannot open \(Not Found\)$'
	expect_returned efi-nohv "Not Found"

	efi_tree efi-nomod
	rm "$TEST_OUT/efi-nomod.esp/hv/modules/mb1.elf"
	boot efi-nomod qemu-efi-app "$TEST_OUT/efi-nomod.esp" --cpus 1 --timeout 120
	expect_log efi-nomod '^hvloader: \\hv\\modules\\mb1\.elf: cannot open \(Not Found\)$'
	expect_returned efi-nomod "Not Found"

	efi_tree efi-badcfg
	echo "modul /hv/modules/flat.bin flat.bin" >> "$TEST_OUT/efi-badcfg.esp/EFI/BOOT/HVLOADER.CFG"
	boot efi-badcfg qemu-efi-app "$TEST_OUT/efi-badcfg.esp" --cpus 1 --timeout 120
	expect_log efi-badcfg "^hvloader: \\\\EFI\\\\BOOT\\\\HVLOADER\.CFG line 7: expected 'hypervisor PATH \[CMDLINE\]' or 'module PATH \[CMDLINE\]': modul /hv/modules/flat\.bin flat\.bin$"
	expect_returned efi-badcfg "Load Error"
else
	fail "GNU-EFI loader build" "$(tail -n 5 "$TEST_OUT/efi-build.log")"
fi
