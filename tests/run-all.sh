#!/usr/bin/env bash
# make test: host unit tests, short fuzz runs, then the emulator suites; one summary line.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
mkdir -p "$BUILD/logs"
results=$BUILD/logs/test-results.txt
: > "$results"

stage() { # NAME COMMAND...: runs one stage; a stage that dies is a failure of its own
    local name=$1; shift
    echo "== $name" >&2
    local t0=$SECONDS
    "$@" 2>&1 | tee -a "$results"
    local st=${PIPESTATUS[0]}
    echo "== $name: $((SECONDS - t0)) s" >&2
    [ "$st" = 0 ] || echo "FAIL stage/$name: exited with status $st" | tee -a "$results"
}

stage unit make -s --no-print-directory host-unit
stage fuzz make -s --no-print-directory host-fuzz
for suite in tests/emu/boot.sh tests/emu/vtd.sh tests/emu/ir.sh tests/emu/vtd-model.sh tests/emu/vmx.sh \
             tests/emu/linux.sh tests/emu/linux-vtd.sh tests/platforms/bochs-vtd/passage-dma.sh \
             tests/emu/passthrough.sh; do
    stage "$(basename "$suite" .sh)" "$suite"
done

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
skipped=$(grep -c '^SKIP ' "$results")
[ "$skipped" = 0 ] || grep '^SKIP ' "$results"
[ "$failed" = 0 ] || { echo "failures:"; grep '^FAIL ' "$results"; }
[ "$skipped" = 0 ] || echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
