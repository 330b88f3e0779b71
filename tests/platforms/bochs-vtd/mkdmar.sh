#!/usr/bin/env bash
# Writes the DMAR table (raw ACPI table, header included) for the patched Bochs's VT-d unit.
# usage: mkdmar.sh OUT.dat [AW (39|48, default 48)] [CPUS (default 1)] [BASE (default 0xfed90000)]
#                   [FLAGS (default 0; 1 = INTR_REMAP, for ir=1; 3 = INTR_REMAP + X2APIC_OPT_OUT)]
# AW and BASE must match the vtd: line of the bochsrc; CPUS gives the IOAPIC ID.
set -euo pipefail
out=$1 aw=${2:-48} cpus=${3:-1} base=${4:-0xfed90000} flags=${5:-0}
case $flags in 0|1|2|3|4|5|6|7) ;; *) echo "mkdmar: flags must be 0..7" >&2; exit 1 ;; esac
case $aw in 39|48) ;; *) echo "mkdmar: aw must be 39 or 48" >&2; exit 1 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e "s/@HAW@/$(printf %02X $(( aw - 1 )))/" -e "s/@BASE@/$(printf %016X $(( base )))/" \
    -e "s/@IOAPIC_ID@/$(printf %02X $(( cpus )))/" -e "s/@FLAGS@/0$flags/" \
    "$here/dmar.dsl.in" > "$work/dmar.dsl"
timeout 20 iasl -p "$work/dmar" "$work/dmar.dsl" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
cp "$work/dmar.aml" "$out"
