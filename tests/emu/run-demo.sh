#!/usr/bin/env bash
# make run: boots Passage in Bochs 3.0 (VMX) with a Linux guest and a test guest side by side,
# showing the serial console as it runs. RUN_EMU=qemu instead boots the plain image in QEMU
# (q35 with VT-d, 4 CPUs) with the console on this terminal (quit with Ctrl-A X).
set -eu
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh
if [ "${RUN_EMU:-bochs}" = qemu ]; then
    exec qemu-system-x86_64 -nodefaults -display none -M q35 -smp 4 -m 1024 \
        -device intel-iommu,intremap=on -device edu -cdrom "$BUILD/passage.iso" -serial mon:stdio
fi
T=$BUILD/test
mkdir -p "$T"
cp "$(ls "${PASSAGE_CACHE:-/var/cache/passage}"/linux/vmlinuz-* | head -n1)" "$T/vmlinuz"
tools/mkinitrd.sh "$T/initrd.cpio.gz"
tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/demo.iso" "test_exit" \
    tests/emu/configs/demo.cfg "$T/vmlinuz" "$T/initrd.cpio.gz" "$BUILD/guests/compute.elf"
echo "Passage in Bochs 3.0 (2 CPUs): Linux on CPU 1, a test guest on CPU 0; ends when both stop" >&2
(set +e; SELF_EXIT=1 run_bochs run-demo 900 "$T/demo.iso" 2) &
pid=$!
log=$BOCHS_CHROOT/tmp/passage-run-demo-$$/serial.log   # run_bochs names it after this shell
for _ in $(seq 50); do [ -f "$log" ] && break; sleep 0.2; done
tail -n +1 -f --pid=$pid "$log" 2>/dev/null | tr -d '\r' || true
wait $pid || true
echo "(serial log kept in $BUILD/logs/run-demo.log)" >&2
