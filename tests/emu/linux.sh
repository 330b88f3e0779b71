#!/usr/bin/env bash
# Linux guest suite on Bochs 3.0: the Debian cloud kernel to userspace with 1 and 2 vCPUs,
# and beside a misbehaving test guest.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh

T=$BUILD/test
C=tests/emu/configs
SELF_EXIT=1
mkdir -p "$T"
kernel=$(ls "${PASSAGE_CACHE:-/var/cache/passage}"/linux/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$kernel" ] || { echo "FAIL emu/linux: no guest kernel in the cache (run tools/setup.sh)"; exit 0; }
project_bochs || { echo "FAIL emu/linux: $BOCHS_WHY"; exit 0; }
cp "$kernel" "$T/vmlinuz"
if ! tools/mkinitrd.sh "$T/initrd.cpio.gz" >>"$LOGS/test-images.txt" 2>&1; then
    echo "FAIL emu/linux-initrd: initramfs not built"; exit 0
fi
img() {
    local name=$1 cfg=$2; shift 2
    tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/$name.iso" "test_exit" "$cfg" "$@" \
        >>"$LOGS/test-images.txt" 2>&1 || echo "FAIL emu/linux-images: $name.iso not built"
}
img linux1 "$C/linux1.cfg" "$T/vmlinuz" "$T/initrd.cpio.gz"
img linux2 "$C/linux2.cfg" "$T/vmlinuz" "$T/initrd.cpio.gz"
img linux-escape "$C/linux-and-escape.cfg" "$T/vmlinuz" "$T/initrd.cpio.gz" "$BUILD/guests/escape.elf"

linux_ok() { # CPUS
    [ "$RUN_STATUS" = 125 ] && fail "the Linux guest panicked: $(log_get 'linux: .*(BUG|Oops|Kernel panic)[^\r]*' | cut -c1-160)"
    expect "linux: \\[ *[0-9.]+\\] PASSAGE-INIT: userspace up, $1 CPUs online \\(want $1\\)" \
        "init did not see $1 CPUs"
    expect 'linux: \[ *[0-9.]+\] PASSAGE-INIT: PASS linux-init' "init's CPU/timer check failed"
    expect 'domain: summary: linux exit code 0: guest requested a reset' "Linux did not reboot cleanly"
    # The TSC-deadline timer is what Linux's per-CPU clockevent devices use (read from sysfs by init).
    local ce
    ce=$(log_get 'PASSAGE-INIT: clockevents: .*' | sed 's/^PASSAGE-INIT: clockevents: //; s/ *$//')
    [ "$ce" = "$(printf 'lapic-deadline %.0s' $(seq "$1") | sed 's/ $//')" ] ||
        fail "Linux's clockevents are '${ce:-unreported}', expected lapic-deadline on each of $1 CPUs"
    local up
    up=$(log_get 'PASSAGE-INIT: uptime [0-9.]+ -> [0-9.]+')
    [ -n "$up" ] || fail "no uptime report"
}

run_bochs linux-1vcpu 600 "$T/linux1.iso" 2
linux_ok 1
expect 'stats: linux vCPU 0: +preemption timer' "timer never fired through the preemption timer"
finish emu/linux-1vcpu

run_bochs linux-2vcpu 600 "$T/linux2.iso" 2
linux_ok 2
expect '\[cpu1\] domain: linux vCPU 1 starting at 0x[0-9a-f]+ on CPU 1' "vCPU 1 was not started by SIPI"
expect 'linux: .*smp: Brought up 1 node, 2 CPUs' "Linux did not bring up its second CPU"
finish emu/linux-2vcpu

run_bochs linux-beside-escape 600 "$T/linux-escape.iso" 2
linux_ok 1
expect 'domain: escape stopped: EPT violation: write at guest-physical 0x4800000' "escape not stopped"
stop_line=$(clean_log "$RUN_LOG" | grep -n 'domain: escape stopped' | cut -d: -f1)
init_line=$(clean_log "$RUN_LOG" | grep -n 'PASSAGE-INIT: PASS' | cut -d: -f1)
[ -n "$stop_line" ] && [ -n "$init_line" ] && (( init_line > stop_line )) ||
    fail "Linux did not keep running after the escape was stopped"
finish emu/linux-beside-escape
