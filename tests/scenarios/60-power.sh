# Power paths. QEMU without its own ACPI tables falls back to SeaBIOS' legacy
# tables, which keep \_S5 in an SSDT: power off must still work. on_idle=reboot
# must reset the machine: with --no-reboot a reset ends QEMU with status 0,
# and tools/boot tells a triple fault apart (status 3).

boot acpi-seabios qemu build/hv.iso --cpus 2 --timeout 120 --machine-opts acpi=off
expect_ready acpi-seabios 2 256 svm
expect_log acpi-seabios "^acpi: FADT: found, .* S5 found"

tools/mkimage --timeout 0 --cmdline "on_idle=reboot" config/default.cfg "$TEST_OUT/reboot.iso" >/dev/null
boot reboot-qemu qemu "$TEST_OUT/reboot.iso" --cpus 2 --timeout 120 --no-reboot
expect_log reboot-qemu "^hv: ready cpus=2 "
expect_log reboot-qemu "^hv: nothing to run; on_idle=reboot$"
expect_log reboot-qemu "^power: reset$"
check "reboot-qemu: the machine reset (QEMU ended, no triple fault)" "status $BOOT_STATUS" [ "$BOOT_STATUS" = 0 ]
check "reboot-qemu: no failure line" "$(grep -a 'did not happen' "$BOOT_LOG")" bash -c "! grep -aq 'reset did not happen' '$BOOT_LOG'"
