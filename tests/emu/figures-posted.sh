#!/usr/bin/env bash
# make figures (exitless interrupts): the three delivery modes side by side on the project's Bochs
# with the VT-d unit (ir=1, pi=1): VM exits on the guest's CPU per 1000 device interrupts and
# emulated TSC cycles from the device's raise to the guest's handler, waiting spinning and in
# HLT (devpass mode=stream, the configs tests/emu/passthrough.sh runs). A benchmark, not a test:
# only a missing figure fails the command.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh
T=$BUILD/test
C=tests/emu/configs
SELF_EXIT=1
status=0
mkdir -p "$T"
project_bochs || { echo "FAIL figures-posted: $BOCHS_WHY"; exit 1; }
tests/platforms/bochs-vtd/mkdmar.sh "$T/fig-dmar2.dat" 48 2 0xfed90000 1 >/dev/null 2>&1 ||
    { echo "FAIL figures-posted: DMAR not built"; exit 1; }
modes="vtd-post sw-post exit"
declare -A fig
for m in $modes; do
    ACPI_TABLES="$T/fig-dmar2.dat" tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/fig-$m.iso" \
        "test_exit crash=vmexit vtd=ir apicv=on" "$C/stream-$m.cfg" "$BUILD/guests/devpass.elf" >/dev/null 2>&1
    BOCHS_EDU_OPTS="dma_bits=32" BOCHS_VTD_OPTS="ir=1, pi=1" run_bochs_vtd "fig-posted-$m" 300 "$T/fig-$m.iso" 2
    for w in running halted; do
        line=$(log_get "INFO stream stream-$w: [0-9]+ interrupts, [0-9]+ VM exits, [0-9]+ cycles")
        fig[$m-$w-exits]=$(awk '{print $6}' <<<"$line")
        fig[$m-$w-cycles]=$(awk '{print $9}' <<<"$line")
        n=$(awk '{print $4}' <<<"$line")
        if [ -z "$line" ] || [ "$n" != 1000 ]; then
            echo "FAIL figure mode $m, $w: not measured (log $RUN_LOG)"; status=1
        fi
    done
done
echo "passthrough MSIs by delivery mode (1000 per stream; the guest on CPU 1, CPU 0 without a guest):"
printf '  %-44s' ""; for m in $modes; do printf '%10s' "$m"; done; echo
row() { # LABEL KEY
    printf '  %-44s' "$1"; for m in $modes; do printf '%10s' "${fig[$m-$2]:--}"; done; echo
}
row "VM exits per 1000 interrupts, guest spinning" running-exits
row "VM exits per 1000 interrupts, guest in HLT" halted-exits
row "cycles raise -> handler, guest spinning" running-cycles
row "cycles raise -> handler, guest in HLT" halted-cycles
exit $status
