#!/usr/bin/env bash
# make figures (exit costs): emulated TSC cycles per round trip of CPUID, OUT to an emulated port
# and VMCALL, measured inside a guest under Passage and the same guest on bare Bochs, beside the
# goals of issue 10. A benchmark, not a test: only a missing figure fails the command.
# Bochs with clock sync=none counts one TSC cycle per instruction (1 CPU), so the figures do not
# depend on how busy the host is.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh
T=$BUILD/test
status=0
mkdir -p "$T"

tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/fig-exitcost.iso" "test_exit" \
    tests/emu/configs/exitcost.cfg "$BUILD/guests/exitcost.elf" >/dev/null
SELF_EXIT=1 run_bochs fig-exitcost 300 "$T/fig-exitcost.iso" 1
passage_log=$RUN_LOG

bare=$(mktemp -d)
mkdir -p "$bare/boot/grub"
cp "$BUILD/guests/exitcost.elf" "$bare/boot/"
cat > "$bare/boot/grub/grub.cfg" <<CFG
set timeout=0
serial --unit=0 --speed=115200
terminal_output serial
menuentry bare { multiboot /boot/exitcost.elf
boot }
CFG
grub-mkrescue -o "$T/fig-exitcost-bare.iso" "$bare" >/dev/null 2>&1
rm -rf "$bare"
# Bare, nothing ends the emulator: stop once the guest says it is done.
READY_RE='exitcost: done' SELF_EXIT=0 run_bochs fig-exitcost-bare 300 "$T/fig-exitcost-bare.iso" 1
bare_log=$RUN_LOG

cost() { # LOG NAME
    clean_log "$1" | grep -Eo "INFO exit-cost $2 [0-9.]+" | head -n1 | awk '{print $NF}'
}
echo "exit round trips (emulated instructions per loop round, guest loop included; 1-CPU Bochs):"
printf '  %-28s %8s %8s %10s  %s\n' exit Passage bare exit-only goal
row() { # NAME LABEL [OP LIMIT [LIMIT-NAME]]: OP is < or <= against LIMIT
    local p b verdict=""
    p=$(cost "$passage_log" "$1") b=$(cost "$bare_log" "$1")
    if [ -z "$p" ]; then
        echo "FAIL figure '$2': not measured (log $passage_log)"; status=1; return
    fi
    if [ -n "${4:-}" ]; then
        verdict="$3 ${5:-$4}: $(awk -v p="$p" -v op="$3" -v l="$4" \
            'BEGIN {print ((op == "<" ? p < l : p <= l) ? "met" : "NOT met")}')"
    fi
    printf '  %-28s %8s %8s %10s  %s\n' "$2" "$p" "${b:--}" \
        "$(awk -v p="$p" -v b="${b:-0}" 'BEGIN {printf "%.1f", p - b}')" "$verdict"
}
row loop "empty loop round"
row cpuid "CPUID" "<" 200
row out "OUT to port 0x61 (emulated)" "<" 250
c=$(cost "$passage_log" cpuid)
row vmcall "VMCALL (unknown call)" "<=" "$c" "CPUID's $c"
row wbinvd "WBINVD"
row x2apic-eoi "x2APIC EOI (WRMSR 0x80b)"
[ -n "$(cost "$bare_log" cpuid)" ] || { echo "FAIL bare figures: not measured (log $bare_log)"; status=1; }
exit $status
