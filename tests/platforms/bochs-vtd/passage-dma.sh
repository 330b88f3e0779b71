#!/usr/bin/env bash
# Passage on the Bochs VT-d platform: selftest=dma (the same self-test tests/emu/vtd.sh runs
# on QEMU) on the project's VT-d unit with four edu devices, the DMAR handed over by GRUB,
# across address widths, caching mode, register-based invalidation and a pre-enabled unit.
set -u
cd "$(dirname "$0")/../../.."
. tests/emu/lib.sh

T=$BUILD/test
mkdir -p "$T"
FLOOD=${VTD_FLOOD:-2000}
SELF_EXIT=1
# Four edu devices (00:03.0-00:06.0; the fourth owned by no domain) and the e1000 (00:02.0).
# Fault records: the unit's default (4) in most runs, 2 and 1 in others; the overflow test makes
# CAP.NFR + 1 faults while fault handling is held and must see every record used and one overflow.
export BOCHS_VTD_SLOTS="slot1=e1000, slot2=edu, slot3=edu, slot4=edu, slot5=edu"

project_bochs || { echo "FAIL bochs-vtd/platform: $BOCHS_WHY"; exit 0; }

mk() { # NAME AW CMDLINE
    tests/platforms/bochs-vtd/mkdmar.sh "$T/dmar$2.dat" "$2" 2 &&
    ACPI_TABLES="$T/dmar$2.dat" tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" \
        "$T/bochs-$1.iso" "$3" >>"$LOGS/test-images.txt" 2>&1 ||
        echo "FAIL bochs-vtd/images: bochs-$1.iso not built"
}
mk dma48 48 "selftest=dma test_exit flood=$FLOOD"
mk dma39 39 "selftest=dma test_exit flood=$FLOOD"
mk noqi 48 "selftest=dma vtd=noqi test_exit flood=$FLOOD"
mk preenable 48 "selftest=dma vtd=preenable test_exit flood=$FLOOD"

# selftest NAME ISO AW VTD-OPTIONS CAP-SUMMARY: boots and turns each self-test line into a result.
selftest() {
    local name=$1 iso=$2 t
    BOCHS_VTD_AW=$3 BOCHS_VTD_OPTS=$4 run_bochs_vtd "$name" 240 "$T/bochs-$iso.iso" 2
    # The self-test names its tests (selftest/selftest_dma.c keeps the one list).
    local list n skips=1   # bridge: Bochs has no PCIe-to-PCI bridge
    list=$(log_get 'selftest: vtd: running [0-9]+ tests:.*' | sed 's/.*tests://')
    n=$(log_get 'selftest: vtd: running [0-9]+ tests' | awk '{print $4}')
    [ -n "$list" ] && [ "$n" = "$(echo $list | wc -w)" ] || fail "self-test list missing or miscounted"
    [ "$iso" = noqi ] && skips=2                          # iqe-recovery: no queue
    for t in $list; do
        if log_has "selftest: PASS vtd/$t\$"; then
            echo "PASS bochs-vtd/$name/$t"
        elif [ "$t" = bridge ] && log_has 'selftest: SKIP vtd/bridge: no edu behind a PCIe-to-PCI bridge'; then
            echo "SKIP bochs-vtd/$name/$t: Bochs's i440FX platform has no PCIe-to-PCI bridge"
        elif [ "$t" = iqe-recovery ] && [ "$iso" = noqi ] && log_has "selftest: SKIP vtd/$t: "; then
            echo "SKIP bochs-vtd/$name/$t: register-based invalidation has no queue"
        else
            local why
            why=$(log_get "selftest: FAIL vtd/$t: .*" | sed 's/^selftest: FAIL vtd\/[^:]*: //')
            echo "FAIL bochs-vtd/$name/$t: ${why:-no result (status $RUN_STATUS)}"
        fi
    done
    local want=$(( ${n:-0} - skips ))
    [ "$RUN_STATUS" = 124 ] && fail "timed out"
    expect 'acpi: DMAR: at 0x[0-9a-f]+ length 72, 1 remapping units' "DMAR from GRUB not found"
    expect "vtd: unit 0 at 0xfed90000 seg 0: VT-d 1.0, $5" "unit summary wrong (expected '$5')"
    expect 'vtd: unit 0: DMA remapping enabled' "translation not enabled"
    expect 'selftest: SKIP vtd/bridge: no edu behind a PCIe-to-PCI bridge' "bridge test not skipped"
    expect "selftest: vtd: $want passed, 0 failed" "self-test summary is not $want passed, 0 failed"
    expect "flood: $FLOOD faulting DMAs: $FLOOD faults recorded" "flood count wrong"
    local nfr
    nfr=$(echo "$4" | grep -Eo 'frcd=[0-9]+' | cut -d= -f2); nfr=${nfr:-4}
    expect "overflow: $((nfr + 1)) faults while held with $nfr fault records: $nfr recorded, 1 overflows" \
        "overflow test did not fill the $nfr records and overflow once"
    # read back from the e1000's PCI command register by the boot report
    expect 'iommu: 0000:00:02.0: unit 0, domain none, bus mastering off \(PCI command 0x[0-9a-f]{4}\)' \
        "unowned e1000 still mastering (or not reported)"
    expect 'pci: 0000:00:03.0 1234:11e8 class 00:ff:00 msi' "edu with MSI not at 00:03.0"
}

CAP48="SAGAW 0x6, MGAW 48, superpages 2M\+1G, 256 domains, QI yes, IR no, EIM no, PI no, C yes"
CAP39="SAGAW 0x2, MGAW 39, superpages 2M\+1G, 256 domains, QI yes, IR no, EIM no, PI no, C yes"
selftest bochs-vtd-aw48 dma48 48 "" "$CAP48, CM no, PSI yes, 4 fault records"
expect 'iommu: 4-level \(48-bit\) tables' "not 4-level"
finish bochs-vtd/aw48

selftest bochs-vtd-aw39 dma39 39 "frcd=2" "$CAP39, CM no, PSI yes, 2 fault records"
expect 'iommu: 3-level \(39-bit\) tables' "not 3-level"
finish bochs-vtd/aw39

selftest bochs-vtd-caching-mode dma48 48 "cm=1" "$CAP48, CM yes, PSI yes, 4 fault records"
finish bochs-vtd/caching-mode

selftest bochs-vtd-register-invalidation noqi 48 "frcd=1" "$CAP48, CM no, PSI yes, 1 fault records"
finish bochs-vtd/register-invalidation

selftest bochs-vtd-preenabled preenable 48 "" "$CAP48, CM no, PSI yes, 4 fault records"
finish bochs-vtd/preenabled
