# Network boot: the same hypervisor and config served over TFTP (tools/mkimage
# --netdir), booted by PXE on BIOS (SeaBIOS/iPXE) and UEFI (OVMF).

tools/mkimage --netdir --timeout 0 config/default.cfg "$TEST_OUT/pxe" >/dev/null
boot pxe-bios qemu-pxe "$TEST_OUT/pxe" --cpus 2 --timeout 180
expect_ready pxe-bios 2 256 svm
expect_log pxe-bios '^boot: module 0 "partitions.cfg" at 0x[0-9a-f]+, [0-9]+ bytes$'

boot pxe-uefi qemu-pxe-uefi "$TEST_OUT/pxe" --cpus 2 --timeout 180
expect_ready pxe-uefi 2 256 svm
expect_log pxe-uefi "^boot: memory map from the EFI tag"
