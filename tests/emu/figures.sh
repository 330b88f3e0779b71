#!/usr/bin/env bash
# make figures: VT-d page-table and invalidation figures from the DMA self-test (not a timed test).
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh
SELF_EXIT=1
mkdir -p "$BUILD/test"
tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$BUILD/test/figures.iso" \
    "selftest=dma test_exit flood=100" >/dev/null
for aw in 48 39; do
    run_qemu "figures-aw$aw" 120 -M q35 -smp 2 -icount shift=0,sleep=off -device edu -device edu \
        -device "intel-iommu,intremap=on,aw-bits=$aw" -cdrom "$BUILD/test/figures.iso"
    echo "aw-bits=$aw:"
    clean_log "$RUN_LOG" | grep -E 'figures: |flood: ' | sed 's/^\[cpu[0-9]*\] /  /'
done
