#!/usr/bin/env bash
# make run: boots the ISO in QEMU (q35, 4 CPUs, VT-d) with the serial console on this terminal.
# Quit with Ctrl-A X. RUN_EMU=bochs boots it in Bochs 3.0 instead (serial log in build/logs/).
set -eu
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh
if [ "${RUN_EMU:-qemu}" = bochs ]; then
    run_bochs run-demo 120 "$BUILD/passage.iso" 2
    clean_log "$RUN_LOG"
    exit 0
fi
echo "Passage in QEMU: serial console below; quit with Ctrl-A X" >&2
exec qemu-system-x86_64 -nodefaults -display none -M q35 -smp 4 -m 1024 \
    -device intel-iommu,intremap=on -device edu -cdrom "$BUILD/passage.iso" -serial mon:stdio
