# Hypervisor build. `make` -> build/hv.elf and build/hv.iso; `make run`; `make test`.
# See README.md. Every target that needs Debian packages checks for them first
# (tools/deps).

BUILD   := build
CC      := gcc
NASM    := nasm
LD      := ld
EMU     ?= qemu
# `make run EMU=bochs` means the Intel VMX Bochs model.
EMU_MACHINE := $(if $(filter bochs,$(EMU)),bochs-intel,$(EMU))
CPUS    ?= 2
MEM     ?= 512
CONFIG  ?= config/default.cfg
CMDLINE ?= on_idle=poweroff

CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-common \
	-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla \
	-Wframe-larger-than=4096 -I. -I$(BUILD) -MMD -MP
LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	-T linker.ld
NASMFLAGS := -f elf64 -I$(BUILD)/ -Iboot/ -Iarch/x86/ -Werror

C_SRCS   := $(wildcard boot/*.c arch/x86/*.c mm/*.c core/*.c drivers/*.c vdev/*.c vmx/*.c svm/*.c)
C_SRCS   := $(filter-out arch/x86/asm-offsets.c,$(C_SRCS))
ASM_SRCS := $(wildcard boot/*.asm arch/x86/*.asm vmx/*.asm svm/*.asm)
ASM_SRCS := $(filter-out boot/trampoline.asm,$(ASM_SRCS))
OBJS     := $(C_SRCS:%.c=$(BUILD)/%.o) $(ASM_SRCS:%.asm=$(BUILD)/%.o)

# Tiny guest kernels for partitions (tests/guests/): flat, Multiboot1 and
# Multiboot2 ELF32. They go into the images as modules.
GUESTS := $(BUILD)/guests/flat.bin $(BUILD)/guests/mb1.elf $(BUILD)/guests/mb2.elf \
	$(BUILD)/guests/oob.bin $(BUILD)/guests/triple.bin $(BUILD)/guests/cpuid.bin \
	$(BUILD)/guests/hcall.bin $(BUILD)/guests/dexit.bin $(BUILD)/guests/dirty.bin \
	$(BUILD)/guests/clean.bin $(BUILD)/guests/memtest.elf $(BUILD)/guests/realmode.bin \
	$(BUILD)/guests/long.bin $(BUILD)/guests/restart.bin $(BUILD)/guests/count.bin \
	$(BUILD)/guests/privacy.bin $(BUILD)/guests/idle.bin $(BUILD)/guests/spin.bin \
	$(BUILD)/guests/smp.bin $(BUILD)/guests/timer.bin

.PHONY: all deps run test test-unit unit-build pxe usb fuzz fuzz-build clean efi efi-esp
all: $(BUILD)/hv.iso $(BUILD)/hv-high.elf $(GUESTS) $(BUILD)/efi/BOOTX64.EFI

deps:
	@tools/deps all

# Build tools present (installed on first use); order-only, never rebuilds.
$(BUILD)/.deps-build:
	@mkdir -p $(BUILD)
	@tools/deps build
	@touch $@

$(BUILD)/asm-offsets.inc: arch/x86/asm-offsets.c $(wildcard arch/x86/*.h core/*.h) | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$(CC) $(CFLAGS) -S -o $(BUILD)/asm-offsets.s $<
	@sed -n 's/.*->\([A-Z0-9_]*\) \$$\{0,1\}\([-0-9]*\).*/%define \1 \2/p' \
		$(BUILD)/asm-offsets.s > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c Makefile | $(BUILD)/asm-offsets.inc
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/trampoline.bin: boot/trampoline.asm boot/cpu_quirks.inc $(BUILD)/asm-offsets.inc
	@echo "  NASM    $<"
	@$(NASM) -f bin -I$(BUILD)/ -Iboot/ -Werror -o $@ $<

$(BUILD)/boot/trampoline_blob.o: $(BUILD)/trampoline.bin
$(BUILD)/%.o: %.asm $(BUILD)/asm-offsets.inc
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) -o $@ $<

$(BUILD)/hv.elf: $(OBJS) linker.ld
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -o $@ $(OBJS)

# The same hypervisor asking GRUB for the highest load address it can give
# (tests: every boot of it runs relocated, away from the link address).
$(BUILD)/boot/entry-high.o: boot/entry.asm $(BUILD)/asm-offsets.inc
	@mkdir -p $(dir $@)
	@echo "  NASM    $< (RELOC_PREF=2)"
	@$(NASM) $(NASMFLAGS) -DRELOC_PREF=2 -MD $(@:.o=.d) -o $@ $<
$(BUILD)/hv-high.elf: $(filter-out $(BUILD)/boot/entry.o,$(OBJS)) $(BUILD)/boot/entry-high.o linker.ld
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -o $@ $(filter-out $(BUILD)/boot/entry.o,$(OBJS)) $(BUILD)/boot/entry-high.o

$(BUILD)/guests/%.bin: tests/guests/%.asm tests/guests/puts.inc tests/guests/guest64.inc \
		tests/guests/acpi.inc | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) -f bin -Itests/guests/ -Werror -o $@ $<
$(BUILD)/guests/%.elf: tests/guests/%.asm tests/guests/puts.inc | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(NASM) -f elf32 -Itests/guests/ -Werror -o $(@:.elf=.o) $<
	@$(LD) -m elf_i386 -nostdlib -static -z noexecstack -Ttext=0x100000 -e _start -o $@ $(@:.elf=.o)

$(BUILD)/hv.iso: $(BUILD)/hv.elf $(CONFIG) grub.cfg tools/mkimage $(GUESTS)
	@HV_ELF=$(BUILD)/hv.elf tools/mkimage --cmdline "$(CMDLINE)" $(CONFIG) $@ $(GUESTS)

# A TFTP tree for PXE boot (BIOS: boot/grub/i386-pc/core.0, UEFI: .../core.efi).
pxe: $(BUILD)/hv.elf $(CONFIG) grub.cfg tools/mkimage $(GUESTS)
	@rm -rf $(BUILD)/pxe
	@HV_ELF=$(BUILD)/hv.elf tools/mkimage --netdir --cmdline "$(CMDLINE)" $(CONFIG) $(BUILD)/pxe $(GUESTS)

# A USB stick image, build/hv-usb.img: the same hybrid GRUB image as hv.iso
# (BIOS and UEFI), always made afresh from CONFIG= and CMDLINE=. Write it to
# the stick with dd (README.md).
usb: $(BUILD)/hv.elf $(CONFIG) grub.cfg tools/mkimage $(GUESTS)
	@HV_ELF=$(BUILD)/hv.elf tools/mkimage --cmdline "$(CMDLINE)" $(CONFIG) $(BUILD)/hv-usb.img $(GUESTS)

# The standalone UEFI loader (boot/efi/, docs/boot.md), a GNU-EFI application.
# GNU_EFI_USE_MS_ABI: Debian's libefi is built so (no efi_callN wrappers), and
# uefi_call_wrapper becomes a direct ms_abi call the compiler type-checks.
EFI_LIB    := /usr/lib
EFI_INC    := /usr/include/efi
EFI_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fpic -fshort-wchar -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fno-strict-aliasing \
	-fno-asynchronous-unwind-tables -DGNU_EFI_USE_MS_ABI \
	-isystem $(EFI_INC) -isystem $(EFI_INC)/x86_64 -I. \
	-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla \
	-Wframe-larger-than=4096 -MMD -MP
EFI_LDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc -z noexecstack \
	-T $(EFI_LIB)/elf_x86_64_efi.lds -L$(EFI_LIB)
EFI_OBJS := $(patsubst boot/efi/%.c,$(BUILD)/efi/%.o,$(wildcard boot/efi/*.c)) $(BUILD)/efi/enter.o

efi: $(BUILD)/efi/BOOTX64.EFI

$(BUILD)/efi/.deps-build:
	@mkdir -p $(dir $@)
	@tools/deps build
	@touch $@

$(BUILD)/efi/%.o: boot/efi/%.c Makefile | $(BUILD)/efi/.deps-build
	@echo "  EFICC   $<"
	@$(CC) $(EFI_CFLAGS) -c -o $@ $<

$(BUILD)/efi/enter.o: boot/efi/enter.asm | $(BUILD)/efi/.deps-build
	@echo "  NASM    $<"
	@$(NASM) -f elf64 -Werror -o $@ $<

$(BUILD)/efi/hvloader.so: $(EFI_OBJS)
	@echo "  LD      $@"
	@$(LD) $(EFI_LDFLAGS) -o $@ $(EFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) -lefi -lgnuefi

$(BUILD)/efi/BOOTX64.EFI: $(BUILD)/efi/hvloader.so
	@echo "  OBJCOPY $@"
	@objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

# An ESP tree (boot/efi/mkesp) with the loader, the hypervisor and the same
# modules and command line as build/hv.iso: copy it to a FAT-formatted USB
# stick, or try it with `tools/boot qemu-efi-app build/efi-esp`.
efi-esp: $(BUILD)/efi/BOOTX64.EFI $(BUILD)/hv.elf $(CONFIG) boot/efi/mkesp $(GUESTS)
	@rm -rf $(BUILD)/efi-esp
	@HV_ELF=$(BUILD)/hv.elf boot/efi/mkesp --cmdline "$(CMDLINE)" $(CONFIG) $(BUILD)/efi-esp $(GUESTS)

run: $(BUILD)/hv.iso
	@tools/deps run
	tools/boot $(EMU_MACHINE) $(BUILD)/hv.iso --cpus $(CPUS) --mem $(MEM) --timeout 600

test:
	@tools/deps all
	@$(MAKE) --no-print-directory all
	@tests/run

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d) $(BUILD)/boot/entry-high.d $(EFI_OBJS:.o=.d)

# Host unit tests: mm/, boot/ and core/ parsers built natively (tests/host/).
HOST_CC     := gcc
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow \
	-fsanitize=address,undefined -fno-sanitize-recover=all -I.
HOST_TESTS  := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c))
# The hypervisor sources each test links, by test name.
HOST_SRCS_test_buddy   := mm/buddy.c
HOST_SRCS_test_boot    := boot/mb2.c boot/mmap_norm.c core/fmt.c
HOST_SRCS_test_cmdline := core/cmdline.c core/fmt.c
HOST_SRCS_test_acpi    := arch/x86/acpi_s5.c
HOST_SRCS_test_fmt     := core/fmt.c
HOST_SRCS_test_virt    := vmx/vmx_assess.c svm/svm_assess.c
HOST_SRCS_test_slat    := mm/slat.c
HOST_SRCS_test_loader  := core/loader.c core/loader_elf.c core/loader_mb.c core/loader_flat.c core/fmt.c
HOST_SRCS_test_config  := core/config.c core/config_check.c core/fmt.c
HOST_SRCS_test_vdev    := vdev/vdev.c vdev/vuart.c vdev/debug_exit.c
HOST_SRCS_test_vlapic  := vdev/vlapic.c
HOST_SRCS_test_vlapic_timer := vdev/vlapic.c
HOST_SRCS_test_asid    := svm/svm_asid.c
HOST_SRCS_test_lcfg    := boot/efi/lcfg.c

.SECONDEXPANSION:
$(BUILD)/host/%: tests/host/%.c tests/host/check.h $(wildcard tests/host/*.h) $$(HOST_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(HOST_SRCS_$*)

unit-build: $(HOST_TESTS)

test-unit: $(HOST_TESTS)
	@for t in $(HOST_TESTS); do echo "== $$t"; $$t || exit 1; done

# libFuzzer targets (tests/fuzz/), built with clang. `make fuzz` runs each for
# FUZZ_SECONDS; tests/run does a short run of each. Crashes, leaks and
# sanitizer reports fail the run; inputs that did are kept in build/fuzz/.
FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -I.
FUZZ_SECONDS ?= 60
FUZZ_SRCS_fuzz_config := core/config.c core/config_check.c core/fmt.c
FUZZ_SRCS_fuzz_loader := core/loader.c core/loader_elf.c core/loader_mb.c core/loader_flat.c core/fmt.c
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(BUILD)/fuzz/%: tests/fuzz/%.c $$(FUZZ_SRCS_$$*)
	@tools/deps fuzz
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*)

fuzz-build: $(FUZZERS)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do \
		mkdir -p $$f.corpus $$f.crashes; \
		echo "== $$f for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$$f.crashes/ \
			$$f.corpus > $$f.log 2>&1 || { tail -n 40 $$f.log; exit 1; }; \
		tail -n 1 $$f.log; \
	done
