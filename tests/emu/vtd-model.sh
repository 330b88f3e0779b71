#!/usr/bin/env bash
# VT-d model suite: the freestanding test program of tests/vtd-model (independent of Passage's
# code) against QEMU's intel-iommu, and against the project's patched Bochs VT-d unit when this
# tree has its harness. Each program line becomes PASS/FAIL/SKIP emu/vtd-model-<run>/<test>.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh

OUT=$BUILD/vtd-model
if ! make -s --no-print-directory -C tests/vtd-model OUT="$(pwd)/$OUT" >>"$LOGS/test-images.txt" 2>&1; then
    echo "FAIL emu/vtd-model-build: tests/vtd-model did not build (see $LOGS/test-images.txt)"; exit 0
fi
BIN=$OUT/vtd-model.bin

# model_results RUN WANT_SKIPS: one line per program result; the run fails when the program did
# not finish, reported failures, or skipped a test that is not in WANT_SKIPS (a regex).
model_results() {
    local run=$1 want_skips=$2 line n_pass
    while IFS= read -r line; do
        case $line in
            PASS\ *|FAIL\ *|SKIP\ *) echo "${line%% *} emu/$run/${line#* }" ;;
        esac
    done < <(clean_log "$RUN_LOG")
    [ "$RUN_STATUS" = 124 ] && fail "timed out"
    expect '^[0-9]+ passed, 0 failed$' "program summary missing or reports failures"
    n_pass=$(log_get '^[0-9]+ passed' | awk '{print $1}')
    [ "${n_pass:-0}" -ge 40 ] || fail "only ${n_pass:-0} checks passed (expected at least 40)"
    local extra
    extra=$(clean_log "$RUN_LOG" | grep '^SKIP ' | awk '{print $2}' | sed 's/:$//' | grep -Ev "^($want_skips)\$" | tr '\n' ' ')
    [ -z "$extra" ] || fail "unexpected SKIPs: $extra"
}

# QEMU: q35 with intel-iommu, two edu devices (the first with a 64-bit DMA mask so reason 4 can be
# provoked; the second gets no context entry). -icount sleep=off makes edu's 100 ms transfers free.
# Known QEMU 10.0 deviations the program SKIPs (platform=qemu only): the queue resumes after an IQE
# only on the next IQT write; domain-selective context invalidation empties the whole context cache;
# GCMD.CFI is not implemented.
QEMU_SKIPS='gcmd/cfi|qi/iqe-unknown-type-recovery|qi/iqe-reserved-bit-recovery|fault/d-tt-blocked|cache-reg/context-domain|cache-qi/context-domain'
qemu_model() { # RUN AW CM
    run_qemu "$1" 60 -M q35 -m 2048 -icount shift=0,sleep=off \
        -device intel-iommu,intremap=on,aw-bits="$2",caching-mode="$([ "$3" = 1 ] && echo on || echo off)" \
        -device edu,dma_mask=0xffffffffffffffff -device edu \
        -kernel "$BIN" -append "platform=qemu aw=$2 nfr=1 cm=$3 ir=1 pt=1 edumask=64"
}
SELF_EXIT=1
qemu_model vtd-model-qemu-aw48 48 0
model_results vtd-model-qemu-aw48 "$QEMU_SKIPS"
[ "$RUN_STATUS" = 1 ] || fail "QEMU exit status $RUN_STATUS, expected 1 (program exit 0)"
finish emu/vtd-model-qemu-aw48

qemu_model vtd-model-qemu-aw39 39 0
model_results vtd-model-qemu-aw39 "$QEMU_SKIPS|xlate/[0-9a-z]+-4level"
[ "$RUN_STATUS" = 1 ] || fail "QEMU exit status $RUN_STATUS, expected 1 (program exit 0)"
finish emu/vtd-model-qemu-aw39

qemu_model vtd-model-qemu-caching-mode 48 1
model_results vtd-model-qemu-caching-mode "$QEMU_SKIPS"
[ "$RUN_STATUS" = 1 ] || fail "QEMU exit status $RUN_STATUS, expected 1 (program exit 0)"
finish emu/vtd-model-qemu-caching-mode

# Negative control: the same program told to expect caching mode on a unit without it must
# report id/cap as failed and exit non-zero.
run_qemu vtd-model-qemu-negative 60 -M q35 -m 2048 -icount shift=0,sleep=off \
    -device intel-iommu,intremap=on -device edu,dma_mask=0xffffffffffffffff -device edu \
    -kernel "$BIN" -append "platform=qemu aw=48 nfr=1 cm=1 ir=1 pt=1"
expect '^FAIL id/cap: CM 0, configured 1' "id/cap did not fail on a caching-mode mismatch"
expect '^[0-9]+ passed, 1 failed$' "summary does not count exactly one failure"
[ "$RUN_STATUS" = 3 ] || fail "QEMU exit status $RUN_STATUS, expected 3 (program exit 1)"
finish emu/vtd-model-negative-control

# The project's patched Bochs (tests/platforms/bochs-vtd): runs wherever this tree has its
# harness; a missing build is a failure, never a skip. 2 GiB of RAM (a later megs: line wins) for
# the 1 GiB-leaf tests; edu with 64-bit DMA addresses (reason 4 and 0xFEE00000 need them);
# interrupt remapping is part 2 (ECAP.IR = 0).
BOCHS_SKIPS='fault/d-tt-blocked|gcmd/sirtp-ire|gcmd/cfi'
bochs_model() { # RUN AW FRCD CM
    local iso=$OUT/$1.iso
    tests/vtd-model/mkiso.sh "$BIN" "$iso" \
        "platform=bochs aw=$2 nfr=$3 cm=$4 ir=0 pt=1 edumask=64" >>"$LOGS/test-images.txt" 2>&1 ||
        { fail "ISO not built"; return; }
    BOCHS_VTD_AW=$2 BOCHS_VTD_OPTS="frcd=$3, cm=$4" BOCHS_EDU_OPTS="dma_bits=64" BOCHS_VTD_EXTRA="megs: 2048" \
        run_bochs_vtd "$1" 600 "$iso" 1
    model_results "$1" "$BOCHS_SKIPS${5:+|$5}"
}
if declare -F run_bochs_vtd >/dev/null; then
    prefix=${BOCHS_VTD_PREFIX:-$(tests/platforms/bochs-vtd/prefix.sh)}
    if [ ! -x "$BOCHS_CHROOT$prefix/bin/bochs" ]; then
        echo "FAIL emu/vtd-model-bochs: the patched Bochs is not built ($BOCHS_CHROOT$prefix; run tools/setup.sh)"
    else
        bochs_model vtd-model-bochs-aw48 48 4 0
        finish emu/vtd-model-bochs-aw48
        bochs_model vtd-model-bochs-aw39-frcd1 39 1 0 'xlate/[0-9a-z]+-4level'
        finish emu/vtd-model-bochs-aw39-frcd1
        bochs_model vtd-model-bochs-caching-mode 48 2 1
        finish emu/vtd-model-bochs-caching-mode
    fi
fi
