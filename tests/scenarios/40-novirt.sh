# Without usable hardware virtualization the hypervisor says why and still
# boots to the ready line with virt=none.

# A CPU with neither VMX nor SVM (QEMU max with SVM removed).
boot novirt-qemu qemu build/hv.iso --cpus 2 --timeout 120 --cpu max,-svm
expect_ready novirt-qemu 2 256 none
expect_log novirt-qemu "^virt: this CPU has neither Intel VMX nor AMD SVM"

# VMX without EPT or unrestricted guest (Bochs Core 2 Penryn): refused cleanly.
boot novirt-penryn bochs-intel build/hv.iso --cpus 1 --timeout 300 --cpu core2_penryn_t9600
expect_ready novirt-penryn 1 256 none
expect_log novirt-penryn "^virt: vmx: ept=no "
expect_log novirt-penryn "^virt: vmx: this CPU lacks EPT, which the hypervisor requires"
