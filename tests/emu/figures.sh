#!/usr/bin/env bash
# make figures: VT-d page-table and invalidation figures from the DMA self-test (not a timed test).
# Every figure must appear: a missing one fails the command.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh
SELF_EXIT=1
status=0
mkdir -p "$BUILD/test"
tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$BUILD/test/figures.iso" \
    "selftest=dma test_exit flood=100" >/dev/null
want=('4 GiB contiguous, 2 MiB pages only: [0-9]+ KiB of second-level tables'
      '4 GiB contiguous, largest pages: [0-9]+ KiB of second-level tables'
      '2 MiB range: [0-9]+ invalidation descriptors to map, [0-9]+ to unmap'
      'flood: ')
for aw in 48 39; do
    run_qemu "figures-aw$aw" 120 -M q35 -smp 2 -icount shift=0,sleep=off -device edu -device edu \
        -device "intel-iommu,intremap=on,aw-bits=$aw" -cdrom "$BUILD/test/figures.iso"
    echo "aw-bits=$aw:"
    clean_log "$RUN_LOG" | grep -E 'figures: |flood: ' | sed 's/^\[cpu[0-9]*\] /  /'
    for w in "${want[@]}"; do
        log_has "$w" || { echo "FAIL figures aw-bits=$aw: no line matching '$w' (log $RUN_LOG)"; status=1; }
    done
done
exit $status
