# Partitions from the boot config: three good partitions (flat, Multiboot1,
# Multiboot2) and two bad ones; each bad one gets one clear line naming the
# config line, the good ones are planned and get their second-level tables
# (NPT under QEMU, EPT under Bochs). A 2 GiB partition on a machine with
# 1 GiB pages uses only 1 GiB leaves; an unreadable config leaves the
# hypervisor up with nothing to run.

GUEST_FILES=(build/guests/flat.bin build/guests/mb1.elf build/guests/mb2.elf)
part_image() { # part_image NAME CONFIG
	tools/mkimage --timeout 0 --cmdline "on_idle=poweroff" "$2" "$TEST_OUT/$1.iso" "${GUEST_FILES[@]}" >/dev/null
}

part_image mixed tests/configs/mixed.cfg
for m in qemu bochs-intel; do
	virt=svm
	[ $m = bochs-intel ] && virt=vmx
	boot mixed-$m $m "$TEST_OUT/mixed.iso" --cpus 2 --timeout 300
	expect_ready mixed-$m 2 256 $virt
	expect_log mixed-$m "^config: line 31: module 'missing.elf' not found$"
	expect_log mixed-$m "^config: line 35: cpu 7 out of range \(this machine has 2 CPUs\)$"
	check "mixed-$m: exactly two config errors" "$(grep -ac '^config: ' "$BOOT_LOG")" [ "$(grep -ac '^config: ' "$BOOT_LOG")" = 2 ]
	expect_log mixed-$m "^plan: hello-flat vcpus=1 memory=16M image=flat.bin format=flat load=0x100000 entry=0x100000 uart=com1 on_stop=halt$"
	expect_log mixed-$m "^plan: mb1 cpus=1 memory=32M image=mb1.elf format=multiboot1 uart=com1 on_stop=halt cmdline=\"console=ttyS0 verbose\" entry=0x10000c$"
	expect_log mixed-$m "^plan: mb2 vcpus=1 memory=16M image=mb2.elf format=multiboot2 modules=flat.bin uart=com1 on_stop=halt entry=0x100018$"
	expect_log mixed-$m "^slat: hello-flat 1G=0 2M=8 4K=0 \($virt\)$"
	expect_log mixed-$m "^slat: mb1 1G=0 2M=16 4K=0 \($virt\)$"
	expect_log mixed-$m "^hv: 3 partitions built, 2 refused$"
	expect_log mixed-$m "^hv: isolation check: 3 partitions, memory disjoint, tables map only their own RAM$"
done

part_image big tests/configs/big.cfg
boot big-qemu qemu "$TEST_OUT/big.iso" --cpus 2 --mem 4096 --timeout 300
expect_ready big-qemu 2 4096 svm
expect_log big-qemu "^slat: big 1G=2 2M=0 4K=0 \(svm\)$"
expect_log big-qemu "^hv: isolation check: 1 partitions, memory disjoint, tables map only their own RAM$"

part_image junk tests/configs/junk.cfg
boot junk-qemu qemu "$TEST_OUT/junk.iso" --cpus 1 --timeout 120
expect_ready junk-qemu 1 256 svm
expect_log junk-qemu "^config: line 1: expected 'key = value', got 'this is not a partition config'$"
expect_log junk-qemu "^hv: 0 partitions built, 0 refused$"
expect_log junk-qemu "^hv: nothing to run; on_idle=poweroff$"
