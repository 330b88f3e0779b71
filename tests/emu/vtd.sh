#!/usr/bin/env bash
# VT-d suite: Passage's selftest=dma on QEMU's emulated VT-d unit with edu devices, across
# address widths, caching mode and a unit left enabled by an "earlier stage".
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh

T=$BUILD/test
mkdir -p "$T"
FLOOD=${VTD_FLOOD:-2000}
SELF_EXIT=1   # every image here is booted with test_exit
DEVS=$QEMU_EDU_DEVS   # tests/emu/lib.sh

mk() { tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/$1.iso" "$2" \
       >>"$LOGS/test-images.txt" 2>&1 || echo "FAIL emu/vtd-images: $1.iso not built"; }
mk dma "selftest=dma test_exit flood=$FLOOD"
mk dma-preenable "selftest=dma vtd=preenable test_exit flood=$FLOOD"
mk dma-noqi "selftest=dma vtd=noqi test_exit flood=$FLOOD"

# selftest NAME ISO IOMMU-OPTIONS: boots and turns each self-test line into a result.
selftest() {
    local name=$1 iso=$2 iommu=$3 t
    run_qemu "$name" 180 $DEVS -device "intel-iommu,intremap=on$iommu" -cdrom "$T/$iso.iso"
    # The self-test names its tests (selftest/selftest_dma.c keeps the one list).
    local list n
    list=$(log_get 'selftest: vtd: running [0-9]+ tests:.*' | sed 's/.*tests://')
    n=$(log_get 'selftest: vtd: running [0-9]+ tests' | awk '{print $4}')
    [ -n "$list" ] && [ "$n" = "$(echo $list | wc -w)" ] || fail "self-test list missing or miscounted"
    for t in $list; do
        if log_has "selftest: PASS vtd/$t\$"; then
            echo "PASS emu/$name/$t"
        elif [ "$t" = iqe-recovery ] && [ "$iso" = dma-noqi ] && log_has "selftest: SKIP vtd/$t: "; then
            echo "SKIP emu/$name/$t: register-based invalidation has no queue"
        else
            local why
            why=$(log_get "selftest: FAIL vtd/$t: .*" | sed 's/^selftest: FAIL vtd\/[^:]*: //')
            echo "FAIL emu/$name/$t: ${why:-no result (status $RUN_STATUS)}"
        fi
    done
    [ "$RUN_STATUS" = 1 ] || fail "QEMU exit status $RUN_STATUS, expected 1"
    local want=${n:-?}
    [ "$iso" = dma-noqi ] && [ -n "$n" ] && want=$((n - 1))   # iqe-recovery skipped
    expect "selftest: vtd: $want passed, 0 failed" "self-test summary is not $want passed, 0 failed"
    expect "flood: $FLOOD faulting DMAs: $FLOOD faults recorded" "flood count wrong"
    # D21: the self-test's periodic wake-up timer does not outlive it (read back from the LAPIC)
    expect 'selftest: wake-up tick stopped: LVT timer 0x[0-9a-f]+ \(masked yes\), current count 0$' \
        "the self-test's periodic timer still runs"
    expect 'iommu: 0000:01:01.0 \(DMA as 01:00.0\): unit 0, domain selftest-a' \
        "bridged device alias not reported"
    # read back from AHCI's PCI command register by the report (QEMU q35 puts AHCI at 00:1f.2)
    expect 'iommu: 0000:00:1f.2: unit 0, domain none, bus mastering off \(PCI command 0x[0-9a-f]{4}\)' \
        "unowned AHCI still mastering (or not reported)"
}

selftest vtd-aw48 dma ",aw-bits=48"
expect 'vtd: unit 0: descriptor [0-9]+ \(0x0 0x0\) rejected \(IQE\); replaced, queue resumed' \
    "QEMU's IQE for the bad descriptor not seen"
expect 'vtd: unit 0 at 0xfed90000 seg 0: VT-d [0-9.]+, SAGAW 0x6, MGAW 48' "unit summary wrong"
expect 'iommu: 4-level \(48-bit\) tables' "not 4-level"
expect 'figures: 2 MiB range: 0 invalidation descriptors to map, 1 to unmap' \
    "without caching mode a map must need no invalidation, an unmap one page-selective"
kib1=$(log_get 'largest pages: [0-9]+ KiB' | awk '{print $3}')
kib2=$(log_get '2 MiB pages only: [0-9]+ KiB' | awk '{print $5}')
# 4-level: PML4 + one table of 1 GiB entries; with 2 MiB pages, + four tables of 2 MiB entries
[ "$kib1" = 8 ] || fail "4 GiB with 1 GiB pages took ${kib1:-?} KiB, expected 8"
[ "$kib2" = 24 ] || fail "4 GiB with 2 MiB pages took ${kib2:-?} KiB, expected 24"
finish emu/vtd-aw48

selftest vtd-aw39 dma ",aw-bits=39"
expect 'SAGAW 0x2, MGAW 39' "unit summary wrong"
expect 'iommu: 3-level \(39-bit\) tables' "not 3-level"
kib1=$(log_get 'largest pages: [0-9]+ KiB' | awk '{print $3}')
kib2=$(log_get '2 MiB pages only: [0-9]+ KiB' | awk '{print $5}')
# 3-level: the top table's entries are 1 GiB pages; with 2 MiB pages, + four tables
[ "$kib1" = 4 ] || fail "4 GiB with 1 GiB pages in a 3-level table took ${kib1:-?} KiB, expected 4"
[ "$kib2" = 20 ] || fail "4 GiB with 2 MiB pages in a 3-level table took ${kib2:-?} KiB, expected 20"
finish emu/vtd-aw39

selftest vtd-caching-mode dma ",caching-mode=on"
expect 'CM yes' "caching mode not reported"
expect 'caching mode on' "caching mode not used"
# 6.1: under caching mode every map invalidates (one descriptor for one unit); without it none
expect 'figures: 2 MiB range: 1 invalidation descriptors to map, 1 to unmap' \
    "caching mode: a map did not issue exactly one invalidation"
finish emu/vtd-caching-mode

selftest vtd-preenabled dma-preenable ""
expect 'unit 0: simulated firmware hand-over: TE on, QIE on, stale IQE yes' "hand-over not simulated"
expect 'iommu: simulated hand-over: [1-9][0-9]* functions mastering' "no device mastering at hand-over"
expect 'iommu: take-over: bus mastering off for [1-9][0-9]* functions, 0 still mastering \(read back\)' \
    "bus mastering not turned off before the take-over"
expect "vtd: unit 0: the earlier stage's descriptor 0 \(0x0 0x0\) was rejected \(IQE\); replaced" \
    "stale IQE descriptor not replaced"
# D3 order, read back from the devices: no function masters when translation goes off
off_line=$(clean_log "$RUN_LOG" | grep -n 'unit 0: translation on at hand-over; 0 functions mastering' | head -n1 | cut -d: -f1)
te_line=$(clean_log "$RUN_LOG" | grep -n 'unit 0: translation was enabled by an earlier stage; disabling' | head -n1 | cut -d: -f1)
[ -n "$off_line" ] && [ -n "$te_line" ] && (( off_line < te_line )) ||
    fail "translation turned off without 0 functions mastering read back first"
log_has 'could not take ownership' && fail "take-over failed"
expect 'unit 0: translation was enabled by an earlier stage; disabling' "TE not taken over"
expect 'unit 0: queued invalidation was enabled by an earlier stage; disabling' "QIE not taken over"
finish emu/vtd-preenabled

selftest vtd-register-invalidation dma-noqi ""
expect 'unit 0: no queued invalidation; using register-based invalidation' "QI still used"
finish emu/vtd-register-invalidation
