#!/bin/sh
# Runs dmar-decode on DMAR tables compiled by iasl from tests/data/dmar-*.dsl and
# prints one "PASS unit/dmar-decode/<name>" / "FAIL ...: <why>" / "SKIP ..." line each.
#
#   dmar_decode.sh TOOL BUILDLOG OUTDIR
#
# Each .dsl names what must hold in its leading comment:
#   " * exit: N"        the tool's exit status (0 clean, 1 table errors)
#   " * expect: TEXT"   TEXT is a substring of some output line (one per line)
# The .aml binaries and outputs go to OUTDIR; none is kept in the repository.
# Always exits 0: the aggregator counts the lines.

tool=$1 buildlog=$2 out=$3
mkdir -p "$out"

tail_of() {
    tail -n 30 "$1" | sed 's/^/    | /'
}

# Checks one compiled table's decode against the .dsl's exit: and expect: lines.
check() {
    dsl=$1 name=$2 res=$out/$name.out
    want=$(sed -n 's/^ \* exit: *\([0-9]*\).*/\1/p' "$dsl")
    if [ -z "$want" ] || ! grep -q '^ \* expect: ' "$dsl"; then
        echo "FAIL unit/dmar-decode/$name: $dsl has no exit: or expect: lines"
        return
    fi
    timeout 30 "$tool" "$out/$name.aml" >"$res" 2>&1
    rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL unit/dmar-decode/$name: exit status $rc, expected $want"
        tail_of "$res"
        return
    fi
    missing=$(sed -n 's/^ \* expect: //p' "$dsl" | while IFS= read -r line; do
        grep -F -q -- "$line" "$res" || { echo "$line"; break; }
    done)
    if [ -n "$missing" ]; then
        echo "FAIL unit/dmar-decode/$name: output lacks '$missing'"
        tail_of "$res"
        return
    fi
    echo "PASS unit/dmar-decode/$name"
}

for dsl in tests/data/dmar-*.dsl; do
    name=$(basename "$dsl" .dsl)
    name=${name#dmar-}
    if [ ! -x "$tool" ]; then
        echo "FAIL unit/dmar-decode/$name: $tool did not build"
        tail_of "$buildlog"
        continue
    fi
    if ! command -v iasl >/dev/null 2>&1; then
        echo "SKIP unit/dmar-decode/$name: iasl (acpica-tools) not installed"
        continue
    fi
    rm -f "$out/$name.aml"
    # iasl loops forever on some malformed input (a subtable Length of 0): bound it.
    if ! timeout 30 iasl -p "$out/$name" "$dsl" >"$out/$name.iasl.log" 2>&1 || [ ! -s "$out/$name.aml" ]; then
        echo "FAIL unit/dmar-decode/$name: iasl could not compile $dsl"
        tail_of "$out/$name.iasl.log"
        continue
    fi
    check "$dsl" "$name"
done

# An unreadable file is an I/O problem: exit status 2, not a table error.
if [ -x "$tool" ]; then
    timeout 30 "$tool" "$out/does-not-exist.aml" >"$out/missing.out" 2>&1
    rc=$?
    if [ "$rc" = 2 ]; then
        echo "PASS unit/dmar-decode/missing-file"
    else
        echo "FAIL unit/dmar-decode/missing-file: exit status $rc, expected 2"
    fi
fi
exit 0
