# The default image, build/hv.iso, on every machine tools/boot knows: each
# must reach the ready line with all CPUs, its RAM and the right virt=, then
# power off through ACPI S5 (on_idle=poweroff in the default command line).

boot qemu-4cpu qemu build/hv.iso --cpus 4 --mem 256 --timeout 120
expect_ready qemu-4cpu 4 256 svm

boot qemu-uefi-2cpu qemu-uefi build/hv.iso --cpus 2 --mem 256 --timeout 180
expect_ready qemu-uefi-2cpu 2 256 svm
expect_log qemu-uefi-2cpu "^boot: memory map from the EFI tag"

boot qemu-usb-1cpu qemu-usb build/hv.iso --cpus 1 --mem 256 --timeout 120
expect_ready qemu-usb-1cpu 1 256 svm

boot bochs-intel-2cpu bochs-intel build/hv.iso --cpus 2 --mem 256 --timeout 300
expect_ready bochs-intel-2cpu 2 256 vmx
expect_log bochs-intel-2cpu "^virt: vmx: ept=yes vpid=yes unrestricted-guest=yes"

boot bochs-amd-1cpu bochs-amd build/hv.iso --cpus 1 --mem 256 --timeout 300
expect_ready bochs-amd-1cpu 1 256 svm
expect_log bochs-amd-1cpu "^virt: svm: npt=yes asids=32768 nrip-save=yes"

# RAM above 4 GiB: the direct map and the buddy must take it all.
boot qemu-5gib qemu build/hv.iso --cpus 2 --mem 5120 --timeout 120
expect_ready qemu-5gib 2 5120 svm
expect_log qemu-5gib "^mm: free blocks per order: .* 1G:[1-9]" "no free 1 GiB block"

# More SMP shapes: Bochs' AMD model has no x2APIC (xAPIC IPIs with delivery
# status), Bochs Intel with 4 CPUs, and QEMU past the 64-CPU limit, where the
# extra CPU must be reported and left alone.
boot bochs-amd-2cpu bochs-amd build/hv.iso --cpus 2 --mem 256 --timeout 300
expect_ready bochs-amd-2cpu 2 256 svm
expect_log bochs-amd-2cpu "^lapic: xAPIC mode, BSP APIC id 0$"

boot bochs-intel-4cpu bochs-intel build/hv.iso --cpus 4 --mem 256 --timeout 400
expect_ready bochs-intel-4cpu 4 256 vmx
expect_log bochs-intel-4cpu "^lapic: x2APIC mode, BSP APIC id 0$"

boot qemu-65cpu qemu build/hv.iso --cpus 65 --mem 1024 --timeout 240
expect_ready qemu-65cpu 64 1024 svm
expect_log qemu-65cpu "^acpi: 1 CPUs beyond the limit of 64 are not used$"

# With VMX usable, every CPU enters VMX operation (VMXON) as it comes up: the
# boot CPU says so, and no AP reports a failure.
check "bochs-intel-2cpu: VMXON on the boot CPU" "no line" \
	grep -aq '^virt: vmx: boot CPU prepared for guests' "$TEST_OUT/bochs-intel-2cpu.log"
check "bochs-intel-4cpu: VMXON on every AP" "$(grep -a 'could not be prepared' "$TEST_OUT/bochs-intel-4cpu.log")" \
	bash -c "! grep -aq 'could not be prepared' '$TEST_OUT/bochs-intel-4cpu.log' && [ \$(grep -ac '^smp: cpu [0-9]* online' '$TEST_OUT/bochs-intel-4cpu.log') = 3 ]"
