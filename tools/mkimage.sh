#!/usr/bin/env bash
# Builds the hybrid BIOS/UEFI boot image (ISO 9660 with an MBR and an EFI system partition).
# usage: tools/mkimage.sh PASSAGE.ELF PASSAGE.EFI OUT.ISO "CMDLINE" [CONFIG [MODULE...]]
# MODULEs (guest kernels, initrds) are loaded by GRUB under their file names, which the
# config refers to. ACPI_TABLES="a.dat ..." (env) adds raw ACPI tables that GRUB's `acpi`
# command installs before the BIOS boot (the Bochs VT-d platform's DMAR).
# The same file boots from CD and, written with dd, from a USB stick. Its ESP holds GRUB
# (EFI/BOOT/BOOTX64.EFI) and the native application (EFI/passage/passage.efi with
# passage.cmdline and passage.cfg beside it).
set -euo pipefail
elf=$1 efi=$2 out=$3 cmdline=${4-} cfg=${5-}
shift $(( $# < 5 ? $# : 5 ))
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/iso/boot/grub" "$work/iso/EFI/passage" "$work/esp/EFI/passage"
cp "$elf" "$work/iso/boot/passage.elf"
for d in "$work/iso/EFI/passage" "$work/esp/EFI/passage"; do
    cp "$efi" "$d/passage.efi"
    [ -z "$cmdline" ] || printf '%s\n' "$cmdline" > "$d/passage.cmdline"
    [ -z "$cfg" ] || cp "$cfg" "$d/passage.cfg"
done
module=""
if [ -n "$cfg" ]; then
    cp "$cfg" "$work/iso/boot/passage.cfg"
    module="module2 /boot/passage.cfg passage.cfg"
fi
for m in "$@"; do
    b=$(basename "$m")
    cp "$m" "$work/iso/boot/$b"
    cp "$m" "$work/esp/EFI/passage/$b"
    module="$module
	module2 /boot/$b $b"
done

acpi=""
for t in ${ACPI_TABLES-}; do
    cp "$t" "$work/iso/boot/$(basename "$t")"
    acpi="$acpi /boot/$(basename "$t")"
done
[ -z "$acpi" ] || acpi="insmod acpi
	acpi$acpi"

cat > "$work/iso/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
menuentry "Passage" {
	$acpi
	multiboot2 /boot/passage.elf $cmdline
	$module
	boot
}
if [ "\$grub_platform" = "efi" ]; then
	menuentry "Passage (native UEFI application)" {
		chainloader /EFI/passage/passage.efi $cmdline
	}
fi
CFG

PASSAGE_ESP_EXTRA="$work/esp" grub-mkrescue --xorriso="$here/xorriso-esp.sh" \
    -o "$out" "$work/iso" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
