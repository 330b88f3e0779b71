#!/usr/bin/env bash
# Wraps the VT-d model test program in a GRUB (BIOS) rescue ISO that boots it with `multiboot`,
# for emulators without a -kernel loader (Bochs).   usage: mkiso.sh PROGRAM.bin OUT.iso "CMDLINE"
set -euo pipefail
bin=$1 out=$2 cmdline=${3-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/iso/boot/grub"
cp "$bin" "$work/iso/boot/vtd-model.bin"
cat > "$work/iso/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "VT-d model tests" {
	multiboot /boot/vtd-model.bin $cmdline
	boot
}
CFG
grub-mkrescue -d /usr/lib/grub/i386-pc -o "$out" "$work/iso" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
