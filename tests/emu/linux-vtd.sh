#!/usr/bin/env bash
# Linux VT-d suite: bare Linux (the Debian cloud kernel the tests boot) with intel_iommu=on as the
# real outside client of a VT-d unit. The project's edu test module (tests/linux-edu), loaded from
# the initramfs, DMAs both ways through the DMA API, counts MSIs, then makes the device write to
# an address it never mapped; Linux must log that DMAR fault with reason 5 at that address.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh

T=$BUILD/test/linux-vtd
mkdir -p "$T"
SELF_EXIT=1
kernel=$(ls "${PASSAGE_CACHE:-/var/cache/passage}"/linux/vmlinuz-* 2>/dev/null | head -n1)
if [ -z "$kernel" ]; then
    echo "FAIL emu/linux-vtd: no guest kernel in the cache (run tools/setup.sh)"; exit 0
fi
if ! ko=$(tests/linux-edu/build.sh "$T/module" 2>>"$LOGS/test-images.txt"); then
    echo "FAIL emu/linux-vtd-module: edu_test.ko not built (see $LOGS/test-images.txt)"; exit 0
fi
if ! tools/mkinitrd.sh "$T/initrd.cpio.gz" "$ko" >>"$LOGS/test-images.txt" 2>&1; then
    echo "FAIL emu/linux-vtd-initrd: initramfs not built"; exit 0
fi
# A page nobody maps, different each run, so the fault line can only come from this request.
BAD=$(printf '0x%x' $(( 0x100000 + (RANDOM % 512) * 0x1000 )))
APPEND="console=ttyS0 intel_iommu=on panic=-1 edu_test.bad_dma=1 edu_test.bad_addr=$BAD"

# linux_vtd_checks: what the log must show on any platform.
linux_vtd_checks() {
    [ "$RUN_STATUS" = 124 ] && fail "timed out"
    expect 'DMAR: dmar0: Using Queued invalidation' "Linux did not enable queued invalidation"
    expect 'DMAR: Intel\(R\) Virtualization Technology for Directed I/O' "DMA remapping not enabled"
    expect 'iommu: Default domain type: Translated' "devices not in translated DMA domains"
    local probe bdf
    probe=$(log_get 'EDU-TEST: probe [0-9a-f:.]+: ident 0x[0-9a-f]+, MSI irq [0-9]+, IOMMU [a-z]+')
    [ -n "$probe" ] || fail "module did not probe an edu device with MSI"
    [[ $probe == *"IOMMU translating" ]] || fail "edu is not behind the IOMMU: $probe"
    bdf=$(sed -n 's/.*probe 0000:\([0-9a-f:.]*\):.*/\1/p' <<<"$probe")
    expect 'EDU-TEST: PASS dma-roundtrip' "DMA round trip through the DMA API failed"
    expect 'EDU-TEST: PASS msi-count' "MSI count wrong"
    log_has 'EDU-TEST: FAIL' && fail "$(log_get 'EDU-TEST: FAIL.*')"
    expect "EDU-TEST: bad DMA: device write to unmapped address $BAD" "bad DMA not attempted"
    expect "DMAR: \\[DMA Write( NO_PASID)?\\] Request device \\[${bdf:-none}\\] fault addr (0x)?0*${BAD#0x} \\[fault reason 0x0?5\\]" \
        "no DMAR fault (write, reason 5) for ${bdf:-edu} at $BAD"
    expect 'PASSAGE-INIT: PASS linux-init' "userspace checks failed"
}

# QEMU: q35, intel-iommu with interrupt remapping, one edu.
run_qemu linux-vtd-qemu 300 -M q35 -m 1024 -device intel-iommu,intremap=on -device edu \
    -kernel "$kernel" -initrd "$T/initrd.cpio.gz" -append "$APPEND"
linux_vtd_checks
[ "$RUN_STATUS" = 0 ] || fail "QEMU exit status $RUN_STATUS, expected 0 (guest reboot)"
finish emu/linux-vtd-qemu
