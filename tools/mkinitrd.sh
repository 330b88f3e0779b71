#!/usr/bin/env bash
# Builds the Linux test guest's initramfs: busybox-static and an init that reports over /dev/kmsg.
# usage: tools/mkinitrd.sh OUT.cpio.gz [MODULE.ko...]
# Each MODULE is loaded before the checks, with the parameters the kernel command line gives it
# as NAME.PARAM=VALUE.
set -euo pipefail
out=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,proc,sys,dev,modules}
cp /bin/busybox "$work/bin/busybox"
for m in "$@"; do cp "$m" "$work/modules/"; done
cat > "$work/init" <<'INIT'
#!/bin/busybox sh
# Passage Linux test guest: prove userspace runs, count CPUs, check the timer ticks.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t devtmpfs dev /dev 2>/dev/null
say() { echo "PASSAGE-INIT: $*" > /dev/kmsg; }
for m in /modules/*.ko; do
    [ -f "$m" ] || continue
    n=$($bb basename "$m" .ko)
    args=$($bb tr ' ' '\n' < /proc/cmdline | $bb sed -n "s/^$n\.//p" | $bb tr '\n' ' ')
    $bb insmod "$m" $args || say "FAIL insmod $n"
done
want=$($bb sed -n 's/.*passage.cpus=\([0-9]*\).*/\1/p' /proc/cmdline)
cpus=$($bb grep -c '^processor' /proc/cpuinfo)
say "userspace up, $cpus CPUs online (want ${want:-1})"
$bb mount -t sysfs sysfs /sys 2>/dev/null
ce=$($bb cat /sys/devices/system/clockevents/clockevent*/current_device 2>/dev/null | $bb tr '\n' ' ')
say "clockevents: ${ce:-none}"
t0=$($bb cut -d' ' -f1 /proc/uptime)
$bb sleep 1
t1=$($bb cut -d' ' -f1 /proc/uptime)
say "uptime $t0 -> $t1"
if [ "$cpus" = "${want:-1}" ] && [ "$t0" != "$t1" ]; then say "PASS linux-init"; else say "FAIL linux-init"; fi
$bb reboot -f
INIT
chmod +x "$work/init"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -9) > "$out"
