#!/usr/bin/env bash
# make figures (VMX part): CPUID exit round trip measured inside a guest, image size, and the
# Linux guest's boot to init under Passage against the same kernel bare in the same Bochs.
# Wall-clock seconds of Bochs runs are noisy on a loaded machine: run it on a quiet one.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh
T=$BUILD/test
SELF_EXIT=1
mkdir -p "$T"
size "$BUILD/passage.elf" | awk 'NR == 2 {printf "image: text %d + data %d = %d KiB (bss %d KiB)\n", $1, $2, ($1 + $2) / 1024, $3 / 1024}'

tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/fig-exits.iso" "test_exit" \
    tests/emu/configs/exits.cfg "$BUILD/guests/basic.elf" >/dev/null
run_bochs fig-exits 240 "$T/fig-exits.iso" 2
echo "CPUID exit round trip (emulated TSC cycles, mean of 1000, measured in the guest): $(log_get 'INFO cpuid-cycles [0-9]+' | awk '{print $3}')"

cp "$(ls "${PASSAGE_CACHE:-/var/cache/passage}"/linux/vmlinuz-* | head -n1)" "$T/vmlinuz"
tools/mkinitrd.sh "$T/initrd.cpio.gz"
tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/fig-linux.iso" "test_exit" \
    tests/emu/configs/linux-cpu0.cfg "$T/vmlinuz" "$T/initrd.cpio.gz" >/dev/null
bare=$(mktemp -d)
mkdir -p "$bare/boot/grub"
cp "$T/vmlinuz" "$T/initrd.cpio.gz" "$bare/boot/"
cat > "$bare/boot/grub/grub.cfg" <<CFG
set timeout=0
serial --unit=0 --speed=115200
terminal_output serial
menuentry bare { linux /boot/vmlinuz console=ttyS0 tsc=reliable passage.cpus=1
initrd /boot/initrd.cpio.gz
boot }
CFG
grub-mkrescue -o "$T/fig-bare.iso" "$bare" >/dev/null 2>&1
rm -rf "$bare"
timed() { # NAME ISO: seconds until the init's first line appears
    local start=$SECONDS
    READY_RE='PASSAGE-INIT: userspace up' SELF_EXIT=0 run_bochs "$1" 900 "$2" 1
    echo $(( SECONDS - start ))
}
tp=$(timed fig-linux-passage "$T/fig-linux.iso")
tb=$(timed fig-linux-bare "$T/fig-bare.iso")
echo "Linux to init in Bochs (1 CPU, wall-clock s): under Passage $tp, bare $tb" \
     "(ratio $(awk -v a="$tp" -v b="$tb" 'BEGIN {printf "%.2f", b ? a / b : 0}'))"
