#!/bin/sh
# run-bare.sh — boots each test guest under bare QEMU (no Passage) and checks its exit status and result lines.
#
#   sh tests/guests/run-bare.sh [OUT]      OUT defaults to build/guests; serial logs land in OUT/logs/
#
# Bare, the Passage-only checks SKIP; isa-debug-exit turns guest code N into status (N<<1)|1.

here=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$here/../../build/guests}
make -s -C "$here" OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")" || exit 1
mkdir -p "$OUT/logs"
failed=0

# run NAME WANT_STATUS MUST_MATCH QEMU-ARGS...: one guest, one PASS/FAIL line.
run() {
	name=$1 want=$2 re=$3; shift 3
	log=$OUT/logs/$name.log
	timeout 30 qemu-system-x86_64 -nodefaults -display none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -serial "file:$log" "$@" >/dev/null 2>&1
	status=$?
	if [ "$status" = "$want" ] && grep -Eq -- "$re" "$log"; then
		echo "PASS guest-bare-$name"
	else
		echo "FAIL guest-bare-$name: exit status $status (want $want), log $log:"
		tail -n 5 "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

run basic 1 '^[0-9]+ passed, 0 failed$' -kernel "$OUT/basic.elf" -append guest-test -m 64
run basic-xsave 1 '^PASS xsetbv$' -cpu max -kernel "$OUT/basic.elf" -append guest-test -m 64
# Bare there is no EPT: the stray write returns, and the guest must notice and fail.
run escape 3 '^FAIL escape: write outside memory succeeded' -kernel "$OUT/escape.elf" -m 256
run compute 1 '^PASS compute: 5 rounds' -kernel "$OUT/compute.elf" -append rounds=5 -m 16
run spin 1 '^PASS spin: 2 million rounds' -kernel "$OUT/spin.elf" -append spins=2 -m 16
# Interrupt guests: QEMU's software CPU has an x2APIC only when asked; the guests enable x2APIC mode.
run timer 1 '^[0-9]+ passed, 0 failed$' -cpu max,+x2apic -kernel "$OUT/timer.elf" -m 16
run ipi 1 '^[0-9]+ passed, 0 failed$' -smp 2 -cpu max,+x2apic -kernel "$OUT/ipi.elf" -m 16
exit $((failed != 0))
