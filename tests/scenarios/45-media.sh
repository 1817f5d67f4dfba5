# Boot media and hosts beyond the CD (README.md, docs/boot.md):
# - `make usb` writes build/hv-usb.img; written with dd to a USB stick larger
#   than the image, as on a real stick, it must boot to the ready line on
#   SeaBIOS (qemu-usb) and on OVMF (qemu-usb-uefi), the stick being each
#   machine's only boot device. `make usb CONFIG=FILE` must put FILE on the
#   stick as the partition config the hypervisor reads.
# - `tools/boot kvm`: on a host that cannot run a hypervisor nested under KVM
#   it must start nothing, exit 5 and name each missing piece, found here from
#   the same facts (/proc/cpuinfo, /dev/kvm, /sys/module); on a host that can,
#   the image must boot to the ready line under KVM.

# stick NAME: a 64 MiB "USB stick" $TEST_OUT/NAME.stick with build/hv-usb.img
# written over its start the way README.md's dd line writes it.
stick() {
	local out=$TEST_OUT/$1.stick
	rm -f "$out"
	truncate -s 64M "$out" &&
		dd if=build/hv-usb.img of="$out" bs=4M conv=notrunc,fsync status=none
}

# A config of one partition, unlike config/default.cfg's three, to see that
# CONFIG= chose what the hypervisor plans.
cat > "$TEST_OUT/usb-choice.cfg" <<'CFG'
[hypervisor]
on_all_stopped = poweroff

[partition usb-choice]
vcpus = 1
memory = 8M
image = flat.bin
format = flat
load = 0x100000
CFG

if make -s --no-print-directory usb CONFIG="$TEST_OUT/usb-choice.cfg" >"$TEST_OUT/usb-make.log" 2>&1 &&
	stick usb-uefi && make -s --no-print-directory usb >>"$TEST_OUT/usb-make.log" 2>&1 && stick usb-bios; then
	pass "make usb (CONFIG=$TEST_OUT/usb-choice.cfg, then the default) and dd to a 64 MiB stick"

	boot usb-bios qemu-usb "$TEST_OUT/usb-bios.stick" --cpus 2 --timeout 120
	expect_ready usb-bios 2 256 svm
	expect_log usb-bios '^boot: memory map from the BIOS tag'
	expect_log usb-bios '^hv: 3 partitions built, 0 refused$' "not the default config's three partitions"

	boot usb-uefi qemu-usb-uefi "$TEST_OUT/usb-uefi.stick" --cpus 2 --timeout 180
	expect_ready usb-uefi 2 256 svm
	expect_log usb-uefi '^BdsDxe: starting Boot[0-9A-F]{4} "UEFI QEMU QEMU USB HARDDRIVE ' \
		"OVMF did not boot the USB stick"
	expect_log usb-uefi '^boot: memory map from the EFI tag'
	expect_log usb-uefi '^plan: usb-choice vcpus=1 memory=8M image=flat\.bin format=flat load=0x100000 ' \
		"the config given by CONFIG= was not the one read"
	expect_log usb-uefi '^hv: 1 partitions built, 0 refused$'
else
	fail "make usb" "$(tail -n 5 "$TEST_OUT/usb-make.log")"
fi

# What tools/boot kvm must find missing on this host, from the same facts it
# reads: the CPU flag, /dev/kvm and its access, the vendor's KVM module and
# that module's nested parameter.
kvm_missing=()
kvm_flags=$(grep -m1 '^flags' /proc/cpuinfo)
kvm_vendor=$(sed -n 's/^vendor_id[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
kvm_mod="" kvm_virt=""
case "$kvm_vendor" in
GenuineIntel) kvm_mod=kvm_intel kvm_virt=vmx ;;
AuthenticAMD|HygonGenuine) kvm_mod=kvm_amd kvm_virt=svm ;;
esac
if printf '%s\n' "$kvm_flags" | grep -qw vmx; then kvm_mod=kvm_intel kvm_virt=vmx
elif printf '%s\n' "$kvm_flags" | grep -qw svm; then kvm_mod=kvm_amd kvm_virt=svm
else kvm_missing+=("no ${kvm_virt:-vmx or svm} flag in /proc/cpuinfo"); fi
if [ ! -e /dev/kvm ]; then kvm_missing+=("no /dev/kvm")
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then kvm_missing+=("/dev/kvm is not accessible to user $(id -un)"); fi
if [ -n "$kvm_mod" ]; then
	if [ ! -d "/sys/module/$kvm_mod" ]; then kvm_missing+=("the $kvm_mod module is not loaded")
	else
		case "$(cat "/sys/module/$kvm_mod/parameters/nested" 2>/dev/null)" in
		1|Y|y) ;;
		*) kvm_missing+=("nested virtualization is off in $kvm_mod") ;;
		esac
	fi
fi

boot kvm-here kvm build/hv.iso --cpus 2 --timeout 120
if [ ${#kvm_missing[@]} -gt 0 ]; then
	check "kvm-here: exit status 5 (cannot run here)" "status $BOOT_STATUS" [ "$BOOT_STATUS" = 5 ]
	check "kvm-here: says why: \"boot: cannot run under KVM here: ...\"" \
		"$(tr '\n' ' ' < "$TEST_OUT/kvm-here.boot")" \
		grep -q '^boot: cannot run under KVM here: ' "$TEST_OUT/kvm-here.boot"
	for what in "${kvm_missing[@]}"; do
		check "kvm-here: names the missing piece: $what" "not in $TEST_OUT/kvm-here.boot" \
			bash -c "grep '^boot: cannot run under KVM here: ' \"\$1\" | grep -qF -e \"\$2\"" _ \
			"$TEST_OUT/kvm-here.boot" "$what"
	done
	check "kvm-here: one line per missing piece" "$(grep -c 'cannot run under KVM here' "$TEST_OUT/kvm-here.boot") lines" \
		[ "$(grep -c '^boot: cannot run under KVM here: ' "$TEST_OUT/kvm-here.boot")" = ${#kvm_missing[@]} ]
	check "kvm-here: no machine started" "the serial log is not empty" [ ! -s "$BOOT_LOG" ]
else
	expect_ready kvm-here 2 256 "$kvm_virt"
fi
