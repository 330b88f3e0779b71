#!/usr/bin/env bash
# Builds edu_test.ko against the headers of the guest kernel the tests boot (installed by
# tools/setup.sh), out of tree, into OUT.   usage: tests/linux-edu/build.sh OUT_DIR [KERNEL_VERSION]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
ver=${2:-}
if [ -z "$ver" ]; then
    k=$(ls "${PASSAGE_CACHE:-/var/cache/passage}"/linux/vmlinuz-* 2>/dev/null | head -n1)
    [ -n "$k" ] || { echo "linux-edu: no guest kernel in the cache (run tools/setup.sh)" >&2; exit 1; }
    ver=${k##*/vmlinuz-}
fi
kdir=/usr/src/linux-headers-$ver
[ -f "$kdir/Makefile" ] || { echo "linux-edu: $kdir missing (run tools/setup.sh)" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out/edu_test.ko"
cp "$here/edu_test.c" "$here/Kbuild" "$out/"
make -s -C "$kdir" M="$(cd "$out" && pwd)" modules 2>&1 | grep -v "Skipping BTF generation" >&2 || true
[ -f "$out/edu_test.ko" ] || { echo "linux-edu: build failed" >&2; exit 1; }
grep -aq "vermagic=$ver " "$out/edu_test.ko" ||
    { echo "linux-edu: edu_test.ko vermagic does not match $ver" >&2; exit 1; }
echo "$out/edu_test.ko"
