#!/usr/bin/env bash
# Emulator suite for the foundation: every boot path in QEMU, Bochs 3.0, a deliberate
# exception, and bad command-line input. Prints PASS/FAIL lines (see tests/emu/lib.sh).
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh

T=$BUILD/test
mkdir -p "$T"
Q35_BASE="8086:29c0 8086:2918 8086:2922 8086:2930"   # host bridge, LPC, AHCI, SMBus
VTD="-M q35 -smp 4 -device intel-iommu,intremap=on"
# An edu device behind a PCIe root port proves the bridge walk.
BRIDGED="-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x3 -device edu,bus=rp1"
BRIDGED_IDS="1b36:000c 1234:11e8"

# Test images: the shipped images as they are, plus ISOs with test command lines.
build_images() {
    tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/crash.iso" "test_exit crash=pf" &&
    tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/badopts.iso" \
        "console=com2 bogus=1 baud=7 test_exit" &&
    rm -f "$T/esp.img" && mkfs.fat -C -n PASSAGE "$T/esp.img" 4096 >/dev/null &&
    mmd -i "$T/esp.img" ::/EFI ::/EFI/BOOT &&
    mcopy -i "$T/esp.img" "$BUILD/passage.efi" ::/EFI/BOOT/BOOTX64.EFI &&
    mcopy -i "$T/esp.img" tests/emu/configs/exits.cfg ::/EFI/BOOT/passage.cfg &&
    mcopy -i "$T/esp.img" "$BUILD/guests/basic.elf" ::/EFI/BOOT/basic.elf &&
    mcopy -i "$T/esp.img" "$BUILD/guests/compute.elf" ::/EFI/BOOT/compute.elf
}
if ! build_images >"$LOGS/test-images.txt" 2>&1; then
    echo "FAIL emu/test-images: could not build test images"; tail -n 20 "$LOGS/test-images.txt"
    exit 0
fi

# The hybrid image's EFI system partition holds GRUB and the native application.
check_esp() {
    local esp=$T/usb-esp.img
    rm -f "$esp"
    xorriso -osirrox on -indev "$BUILD/passage-usb.img" -extract /efi.img "$esp" >/dev/null 2>&1 ||
        fail "no efi.img in the USB image"
    mcopy -n -i "$esp" ::/EFI/passage/passage.efi "$T/esp-passage.efi" 2>/dev/null ||
        fail "EFI/passage/passage.efi missing from the ESP"
    cmp -s "$T/esp-passage.efi" "$BUILD/passage.efi" || fail "ESP passage.efi differs from build"
    mdir -b -i "$esp" ::/EFI/BOOT 2>/dev/null | grep -qi 'bootx64.efi' || fail "no EFI/BOOT/BOOTX64.EFI"
    head -c 512 "$BUILD/passage-usb.img" | od -An -tx1 | tr -d ' \n' | grep -q '55aa$' ||
        fail "no MBR boot signature for BIOS boot"
    RUN_LOG=/dev/null
    finish emu/usb-image-layout
}
check_esp

common_facts() { # PATH-REGEX EXTRA-PCI-IDS
    expect_ready
    expect "boot: Passage starting: $1" "boot path is not '$1'"
    expect_cpus 4 4
    expect_memory 900 1024
    expect 'acpi: DMAR: at 0x[0-9a-f]+ length [0-9]+, 1 remapping units' "DMAR with 1 unit not reported"
    expect 'acpi: MCFG: segment 0 buses 0-255 ECAM at 0xb0000000' "MCFG not reported"
    expect 'vtd: unit 0 at 0xfed90000 seg 0: VT-d' "VT-d unit summary missing"
    expect 'vtd: unit 0: DMA remapping enabled' "translation not enabled"
    # the report reads AHCI's PCI command register back (QEMU q35 puts AHCI at 00:1f.2)
    expect 'iommu: 0000:00:1f.2: unit 0, domain none, bus mastering off \(PCI command 0x[0-9a-f]{4}\)' \
        "AHCI still mastering (or not reported)"
    expect_pci "$Q35_BASE $2"
}

run_qemu qemu-bios-iso 60 $VTD $BRIDGED -cdrom "$BUILD/passage.iso"
common_facts 'multiboot2 \(BIOS\)' "$BRIDGED_IDS"
expect 'cpu: .* xAPIC mode' "not in xAPIC mode"
expect 'pci: 0000:01:00.0 1234:11e8' "edu behind the root port not found on bus 1"
finish emu/qemu-bios-iso

run_qemu qemu-uefi-iso 90 $VTD -cpu max,+x2apic $(ovmf_args qemu-uefi-iso) -cdrom "$BUILD/passage.iso"
common_facts 'multiboot2 \(UEFI\)' ""
expect 'cpu: .* x2APIC mode' "not in x2APIC mode"
# GRUB leaves devices mastering the bus: Passage must find and stop them (the native path below
# must find none, because passage.efi disabled them before leaving boot services).
expect 'iommu: 0000:00:1f.2: bus mastering turned off before taking over VT-d' "AHCI bus mastering left on"
expect 'iommu: take-over: bus mastering off for [1-9][0-9]* functions, 0 still mastering \(read back\)' \
    "a function still mastering when VT-d was taken over"
expect '\[cpu3\] smp: online \(APIC ID 0x3, x2APIC\)' "AP not in x2APIC mode"
finish emu/qemu-uefi-iso

run_qemu qemu-uefi-native 90 $VTD $(ovmf_args qemu-uefi-native) -device edu \
    -drive file="$T/esp.img",format=raw,if=none,id=esp -device ide-hd,drive=esp,bus=ide.0
common_facts 'UEFI application' "1234:11e8"
expect 'efi: bus mastering disabled on [1-9][0-9]* of [1-9]' "bus mastering not disabled"
log_has 'bus mastering turned off before taking over VT-d|has no domain: bus mastering turned off' &&
    fail "a device still had bus mastering on after passage.efi exited boot services"
expect 'mem: module 0: 0x[0-9a-f]+-0x[0-9a-f]+ "passage.cfg"' "passage.cfg not read from the ESP"
expect 'mem: module 1: 0x[0-9a-f]+-0x[0-9a-f]+ "basic.elf"' "kernel named by passage.cfg not read from the ESP"
expect 'mem: module 2: 0x[0-9a-f]+-0x[0-9a-f]+ "compute.elf"' "initrd named by passage.cfg not read from the ESP"
expect 'vmx: CPUID reports no VMX: guests cannot run on this machine' "missing VMX not reported"
finish emu/qemu-uefi-native

USB="-device qemu-xhci,id=xhci -drive if=none,id=stick,format=raw,snapshot=on,file=$BUILD/passage-usb.img -device usb-storage,bus=xhci.0,drive=stick,bootindex=1"
run_qemu qemu-bios-usb 60 $VTD $USB
common_facts 'multiboot2 \(BIOS\)' "1b36:000d"
finish emu/qemu-bios-usb

run_qemu qemu-uefi-usb 90 $VTD $(ovmf_args qemu-uefi-usb) $USB
common_facts 'multiboot2 \(UEFI\)' "1b36:000d"
finish emu/qemu-uefi-usb

# Deliberate #PF: the dump must show the registers the self-test loaded and CR2.
SELF_EXIT=1 run_qemu qemu-exception 60 $VTD -cdrom "$T/crash.iso"
[ "$RUN_STATUS" = 33 ] || fail "QEMU exit status $RUN_STATUS, expected 33 (fatal hook)"
expect 'exception: vector 14 \(#PF page fault\) error code 0x0 on CPU 0' "no #PF header"
expect 'CR2=00007fdead000000' "CR2 wrong"
expect 'RBX=1111111111111111' "RBX wrong"
expect 'R12=2222222222222222' "R12 wrong"
expect 'R15=fedcba9876543210' "R15 wrong"
expect 'RAX=00007fdead000000' "RAX wrong"
expect 'RSP=[0-9a-f]{16} SS=0010' "RSP/SS missing"
expect 'exception: CPU 0 halted' "no halt line"
rip=$(log_get 'RIP=[0-9a-f]{16}' | cut -d= -f2)
img=$(log_get 'image 0x[0-9a-f]+-0x[0-9a-f]+' | sed 's/image //')
if [ -n "$rip" ] && [ -n "$img" ]; then
    (( 0x$rip >= ${img%-*} && 0x$rip < ${img#*-} )) || fail "RIP $rip outside the image $img"
else
    fail "RIP or image range missing"
fi
log_has "$READY_RE" && fail "boot went on to ready after the fault"
finish emu/qemu-exception

# Bad input: unknown option and bad value are named; console moves to COM2; boot continues.
rm -f "$LOGS/qemu-badopts.com1.log"
SELF_EXIT=1 run_qemu qemu-badopts 60 $VTD -cdrom "$T/badopts.iso" -serial "file:$LOGS/qemu-badopts.com1.log"
# -serial order: the first is COM1 (RUN_LOG), the second COM2; the console must be on COM2.
RUN_LOG=$LOGS/qemu-badopts.com1.log
[ "$RUN_STATUS" = 124 ] && fail "timed out"
RUN_LOG=$LOGS/qemu-badopts.log
if clean_log "$RUN_LOG" | grep -q 'passage: ready'; then fail "console stayed on COM1"; fi
RUN_LOG=$LOGS/qemu-badopts.com1.log
expect_ready
expect "boot: cmdline: unknown option 'bogus'" "unknown option not named"
expect 'boot: cmdline: baud=7' "bad baud not named"
[ "$RUN_STATUS" = 1 ] || fail "QEMU exit status $RUN_STATUS, expected 1 (ready)"
finish emu/qemu-bad-cmdline

if [ -x "$BOCHS_CHROOT/usr/bin/bochs" ]; then
    BOCHS_STOCK=1 run_bochs bochs-bios-iso 120 "$BUILD/passage.iso" 2
    expect_ready
    expect 'boot: Passage starting: multiboot2 \(BIOS\)' "boot path wrong"
    expect_cpus 2 2
    expect 'cpu: GenuineIntel, APIC ID 0x0, x2APIC mode, VMX yes' "boot CPU not in x2APIC mode with VMX"
    expect '\[cpu1\] smp: online \(APIC ID 0x1, x2APIC\)' "AP not online in x2APIC mode"
    # i440FX host bridge, PIIX3 ISA, IDE, USB and ACPI functions, found through ports 0xcf8/0xcfc
    expect_pci "8086:1237 8086:7000 8086:7010 8086:7020 8086:7113"
    expect 'pci: 5 functions via CF8/CFC' "PCI not enumerated through CF8/CFC"
    expect 'acpi: DMAR: not present' "DMAR should be absent"
    # CPU posting is on by default where the CPU has it (stock Bochs 3.0 does); no unit here.
    expect 'interrupts: CPU posting on; VT-d posting off \(no unit remaps interrupts\); passthrough MSIs default to ' \
        "posting not reported on by default"
    expect 'vmx: CPU posted interrupts on: virtual-interrupt delivery' "the vmx line does not report posting on"
    finish emu/bochs-bios-iso
else
    echo "FAIL emu/bochs-bios-iso: Bochs chroot missing at $BOCHS_CHROOT (run tools/setup.sh)"
fi
