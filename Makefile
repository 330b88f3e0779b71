# Passage: freestanding build of the multiboot2 image, the UEFI application and the boot images.

BUILD ?= build
CC := gcc
LD := ld
NASM := nasm
OBJCOPY := objcopy

GCC_INC := $(shell $(CC) -print-file-name=include)
CFLAGS := -std=c11 -O2 -g -ffreestanding -nostdinc -isystem $(GCC_INC) -I. \
	-fno-stack-protector -fno-pie -fpic -fvisibility=hidden -fno-asynchronous-unwind-tables \
	-mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx -mno-80387 -mcmodel=small \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes -MMD -MP
EFI_CFLAGS := -isystem /usr/include/efi -isystem /usr/include/efi/x86_64 -DGNU_EFI_USE_MS_ABI -fshort-wchar
NASMFLAGS := -f elf64 -Werror

# Sources shared by both boot paths (everything except boot/).
COMMON_C := $(wildcard lib/*.c arch/x86/*.c drivers/*.c iommu/*.c selftest/*.c vmm/*.c)
COMMON_ASM := $(wildcard arch/x86/*.asm vmm/*.asm)
MB2_C := boot/mb2_main.c boot/mb2_parse.c boot/efi_memmap.c
MB2_ASM := boot/mb2_entry.asm
EFI_C := boot/efi_main.c boot/efi_memmap.c

obj = $(patsubst %,$(BUILD)/obj/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_C) $(COMMON_ASM))
MB2_OBJ := $(call obj,$(MB2_C) $(MB2_ASM))
EFI_OBJ := $(call obj,$(EFI_C))

ELF := $(BUILD)/passage.elf
EFI := $(BUILD)/passage.efi
ISO := $(BUILD)/passage.iso
USB := $(BUILD)/passage-usb.img

.PHONY: all setup run run-efi test figures clean images guests FORCE
all: $(ELF) $(EFI) $(ISO) $(USB) guests

# Test guests (multiboot1 ELF32 programs run inside domains by the VMX tests).
guests:
	@$(MAKE) --no-print-directory -C tests/guests OUT=$(abspath $(BUILD))/guests
images: $(ISO) $(USB)

$(BUILD)/obj/boot/efi_main.c.o: boot/efi_main.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) $< -o $@

$(ELF): $(MB2_OBJ) $(COMMON_OBJ) linker.ld
	$(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack -T linker.ld -o $@ $(MB2_OBJ) $(COMMON_OBJ)
	@size $@ | tail -n 1 | awk '{printf "passage.elf: text %d data %d bss %d bytes\n", $$1, $$2, $$3}'

# GNU-EFI: a relocatable ELF shared object turned into a PE32+ EFI application.
$(BUILD)/passage.so: $(EFI_OBJ) $(COMMON_OBJ)
	$(LD) -nostdlib -znocombreloc -z noexecstack -T /usr/lib/elf_x86_64_efi.lds -shared -Bsymbolic \
		/usr/lib/crt0-efi-x86_64.o $(EFI_OBJ) $(COMMON_OBJ) -L/usr/lib -lgnuefi -o $@

$(EFI): $(BUILD)/passage.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j '.rel.*' \
		-j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

# What the images carry: a command line (GRUB entry and ESP passage.cmdline), a domain
# config and the kernels/initrds it names (MODULES, only with CONFIG). A change rebuilds them.
CMDLINE ?=
CONFIG ?=
MODULES ?=
$(BUILD)/cmdline.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CMDLINE)|$(CONFIG)|$(MODULES)' | cmp -s - $@ || echo '$(CMDLINE)|$(CONFIG)|$(MODULES)' > $@
$(ISO): $(ELF) $(EFI) tools/mkimage.sh tools/xorriso-esp.sh $(BUILD)/cmdline.stamp $(CONFIG) $(MODULES)
	tools/mkimage.sh $(ELF) $(EFI) $@ "$(CMDLINE)" $(if $(CONFIG),$(CONFIG) $(MODULES))

$(USB): $(ISO)
	cp $(ISO) $@

setup:
	@tools/setup.sh

run: setup all
	tests/emu/run-demo.sh

test: setup all
	tests/run-all.sh

figures: setup all
	tests/emu/figures.sh
	tests/emu/figures-exits.sh
	tests/emu/figures-vmx.sh
	tests/emu/figures-xen.sh
	tests/emu/figures-posted.sh

clean:
	rm -rf $(BUILD)

-include tests/host.mk
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
