#!/bin/sh
# Runs passage-check on tests/data/example.cfg and tests/data/broken.cfg against
# fake guest images made here, and prints one "PASS unit/passage-check/<name>" /
# "FAIL unit/passage-check/<name>: <why>" line per case.
#
#   passage_check.sh TOOL BUILDLOG OUTDIR
#
# Fake images and outputs go to OUTDIR; none is kept in the repository.
# Always exits 0: the aggregator counts the lines.

tool=$1 buildlog=$2 out=$3
cases="example default-modules-dir broken unknown-format small-machine missing-config usage"

tail_of() {
    tail -n 30 "$1" | sed 's/^/    | /'
}

# Writes the 4 little-endian bytes of a 32-bit number as printf octal escapes.
le32() {
    printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) \
        $((($1 >> 24) & 255))
}

# put FILE OFFSET ESCAPES: writes bytes into FILE at OFFSET without truncating it.
put() {
    # shellcheck disable=SC2059
    printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# Fake images in DIR: a bzImage with boot protocol 2.15, a multiboot1 program
# whose header sits at 0x40, and a 1234-byte initrd.
make_images() {
    mkdir -p "$1"
    head -c 4096 /dev/zero >"$1/vmlinuz"
    put "$1/vmlinuz" $((0x202)) 'HdrS\017\002'
    head -c 4096 /dev/zero >"$1/testguest.elf"
    put "$1/testguest.elf" 64 "$(le32 0x1BADB002)$(le32 3)$(le32 $(((0x100000000 - 0x1BADB002 - 3) & 0xffffffff)))"
    head -c 1234 /dev/zero >"$1/initrd.cpio"
}

# check NAME WANT_STATUS [ARGS...]: runs the tool; then lines "expect TEXT" on
# stdin must each be a substring of some output line.
check() {
    name=$1 want=$2
    shift 2
    res=$out/$name.out
    timeout 30 "$tool" "$@" >"$res" 2>&1
    rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL unit/passage-check/$name: exit status $rc, expected $want"
        tail_of "$res"
        cat >/dev/null
        return
    fi
    missing=$(while IFS= read -r line; do
        grep -F -q -- "$line" "$res" || { echo "$line"; break; }
    done)
    if [ -n "$missing" ]; then
        echo "FAIL unit/passage-check/$name: output lacks '$missing'"
        tail_of "$res"
        return
    fi
    echo "PASS unit/passage-check/$name"
}

if [ ! -x "$tool" ]; then
    for c in $cases; do
        echo "FAIL unit/passage-check/$c: $tool did not build"
    done
    tail_of "$buildlog"
    exit 0
fi

rm -rf "$out/modules" "$out/bad-images"
make_images "$out/modules"
mkdir -p "$out/bad-images"
yes 'not a kernel' | head -c 2048 >"$out/bad-images/vmlinuz"
head -c 512 /dev/zero >"$out/bad-images/testguest.elf"
put "$out/bad-images/testguest.elf" 8 "$(le32 0x1BADB002)$(le32 3)$(le32 0)"
cp "$out/modules/initrd.cpio" "$out/bad-images/"
cp tests/data/example.cfg "$out/modules/passage.cfg"

check example 0 tests/data/example.cfg --modules "$out/modules" <<'EOF'
tests/data/example.cfg: 2 domains; machine: 4 CPUs, 4 GiB
domain linux (line 5): ok
  cpus     1, 2
  memory   1 GiB
  kernel   vmlinuz: Linux bzImage, boot protocol 2.15
  initrd   initrd.cpio (1234 bytes)
  cmdline  console=ttyS0,115200 earlyprintk=serial rdinit=/init quiet
  console  shared
  devices  0000:00:03.0
domain test (line 14): ok
  memory   64 MiB
  kernel   testguest.elf: multiboot1 image (header at 0x40, flags 0x00000003)
  initrd   (none)
  console  passthrough, UART at I/O port 0x2f8
no errors
EOF

# Without --modules the images are looked for beside the config file.
check default-modules-dir 0 "$out/modules/passage.cfg" <<EOF
modules in $out/modules
Linux bzImage, boot protocol 2.15
no errors
EOF

check broken 1 tests/data/broken.cfg --modules "$out/modules" <<'EOF'
domain ok (line 5): ok
domain linux (line 10): ok
domain colour (line 16): REFUSED
domain big (line 22): REFUSED
domain overlap (line 27): REFUSED
domain missing (line 32): REFUSED
  kernel   bzImage-6.1 (missing)
4 errors:
  config line 20: unknown key 'colour'
  config line 24: memory: 8 GiB requested, 2.9 GiB left
  config line 28: cpus: CPU 2 is already used by domain 'linux'
  config line 35: kernel: no module named 'bzImage-6.1'
EOF

check unknown-format 1 tests/data/example.cfg --modules "$out/bad-images" <<'EOF'
domain linux (line 5): REFUSED
domain test (line 14): REFUSED
2 errors:
  config line 8: kernel: 'vmlinuz' is an unknown image format (neither a Linux bzImage nor multiboot1)
  config line 17: kernel: 'testguest.elf' is an unknown image format (multiboot1 magic at 0x8 has a bad checksum)
EOF

check small-machine 1 tests/data/example.cfg --modules "$out/modules" --cpus 3 --memory 1G <<'EOF'
machine: 3 CPUs, 1 GiB
domain linux (line 5): ok
domain test (line 14): REFUSED
  config line 15: cpus: CPU 3 does not exist (the machine has 3 CPUs)
  config line 16: memory: 64 MiB requested, 0 bytes left
EOF

# An unreadable config is an I/O failure (2), not a config error (1).
check missing-config 2 "$out/no-such.cfg" <<EOF
$out/no-such.cfg: No such file or directory
EOF

check usage 2 tests/data/example.cfg --cpus many <<'EOF'
usage: passage-check CONFIG [--modules DIR] [--cpus N] [--memory SIZE]
EOF
exit 0
