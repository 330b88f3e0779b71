#!/usr/bin/env bash
# make figures (VMX part): image size and the Linux guest's boot to init under Passage against the
# same kernel bare in the same Bochs (the exit round trips are figures-exits.sh's).
# Every figure comes from emulated time (Bochs counts time in instructions with clock sync=none),
# so it does not depend on how busy the host is; a missing figure fails the command.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh
T=$BUILD/test
SELF_EXIT=1
status=0
mkdir -p "$T"
figure() { # LABEL VALUE
    if [ -n "$2" ]; then echo "$1: $2"; else echo "FAIL figure '$1': not measured (log $RUN_LOG)"; status=1; fi
}
size "$BUILD/passage.elf" | awk 'NR == 2 {printf "image: text %d + data %d = %d KiB (bss %d KiB)\n", $1, $2, ($1 + $2) / 1024, $3 / 1024}'

cp "$(ls "${PASSAGE_CACHE:-/var/cache/passage}"/linux/vmlinuz-* | head -n1)" "$T/vmlinuz"
tools/mkinitrd.sh "$T/initrd.cpio.gz"
tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/fig-linux.iso" "test_exit" \
    tests/emu/configs/linux-cpu0.cfg "$T/vmlinuz" "$T/initrd.cpio.gz" >/dev/null
# The bare kernel would believe the CPU model's 3.5 GHz (CPUID) while the TSC runs at the
# emulated rate, which Passage calibrates and tells its guest: give the bare kernel that same
# frequency (tsc_early_khz), so both kernels' delays and timestamps mean the same.
bare_iso() { # KHZ
    local bare
    bare=$(mktemp -d)
    mkdir -p "$bare/boot/grub"
    cp "$T/vmlinuz" "$T/initrd.cpio.gz" "$bare/boot/"
    cat > "$bare/boot/grub/grub.cfg" <<CFG
set timeout=0
serial --unit=0 --speed=115200
terminal_output serial
menuentry bare { linux /boot/vmlinuz console=ttyS0 tsc=reliable tsc_early_khz=$1 passage.cpus=1
initrd /boot/initrd.cpio.gz
boot }
CFG
    grub-mkrescue -o "$T/fig-bare.iso" "$bare" >/dev/null 2>&1
    rm -rf "$bare"
}
# Emulated TSC ticks (millions) from the kernel's clock start to init's first line: the printk
# time of that line times the TSC frequency this kernel believes in (the same in both runs).
# Also writes the wall-clock seconds from Bochs's start to that line to $T/NAME.wall (host-load
# dependent: a hint of the emulator's work per guest instruction, which no TSC shows).
linux_mticks() { # NAME ISO
    local t0=$EPOCHREALTIME
    READY_RE='PASSAGE-INIT: userspace up' SELF_EXIT=0 run_bochs "$1" 900 "$2" 1
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}' >"$T/$1.wall"
    local mhz t
    # "MHz TSC" (the TSC's own rate) follows "MHz processor" when the two differ
    mhz=$(clean_log "$RUN_LOG" | grep -Eo 'tsc: Detected [0-9.]+ MHz' | tail -n1 | awk '{print $3}')
    t=$(log_get '\[ *[0-9]+\.[0-9]+\] PASSAGE-INIT: userspace up' | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
    [ -n "$mhz" ] && [ -n "$t" ] && awk -v m="$mhz" -v t="$t" 'BEGIN {printf "%.0f", m * t}'
}
tp=$(linux_mticks fig-linux-passage "$T/fig-linux.iso")
figure "Linux kernel start to init under Passage (million emulated TSC ticks, 1-CPU Bochs)" "$tp"
RUN_LOG=$LOGS/fig-linux-passage.log
khz=$(log_get 'tsc: Detected [0-9.]+ MHz' | awk '{printf "%.0f", $3 * 1000}')
[ -n "$khz" ] && bare_iso "$khz"
tb=$([ -n "$khz" ] && linux_mticks fig-linux-bare "$T/fig-bare.iso")
RUN_LOG=$LOGS/fig-linux-bare.log
figure "Linux kernel start to init bare (million emulated TSC ticks, 1-CPU Bochs)" "$tb"
[ -n "$tp" ] && [ -n "$tb" ] &&
    figure "Linux boot under Passage / bare" "$(awk -v a="$tp" -v b="$tb" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
wp=$(cat "$T/fig-linux-passage.wall" 2>/dev/null) wb=$(cat "$T/fig-linux-bare.wall" 2>/dev/null)
[ -n "$wp" ] && [ -n "$wb" ] &&
    echo "Linux to init, wall-clock seconds from Bochs's start (host-load dependent): Passage $wp, bare $wb," \
         "ratio $(awk -v a="$wp" -v b="$wb" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
exit $status
