#!/bin/sh
# Runs dmar-decode on hand-made DMAR tables in tests/data and prints one
# "PASS unit/dmar-decode/<name>" / "FAIL ...: <why>" / "SKIP ..." line each.
#
#   dmar_decode.sh TOOL BUILDLOG OUTDIR
#
# Tables come in two forms:
#   dmar-*.dsl  iasl data-table source, compiled with iasl -p;
#   dmar-*.hex  hex bytes (# comments), for structures this iasl cannot compile
#               (SATC, SIDP): Table Length and Checksum are filled in here.
# Each names what must hold in its leading comment (" * " in .dsl, "# " in .hex):
#   "exit: N"        the tool's exit status (0 no table errors, 1 table errors)
#   "expect: TEXT"   TEXT is a substring of some output line (one per line)
# A .dsl table that decodes with exit 0 is also disassembled with iasl -d: the
# Oem ID, Oem Table ID and every device scope dmar-decode prints (iasl's type
# name, Enumeration ID, PCI Bus Number, PCI Path pairs) must be what iasl shows
# ("<name>-vs-iasl"), and when dmar-decode warns of nothing, no scope may be missing.
# Binaries and outputs go to OUTDIR; none is kept in the repository.
# Always exits 0: the aggregator counts the lines.

tool=$1 buildlog=$2 out=$3
mkdir -p "$out"

tail_of() {
    tail -n 30 "$1" | sed 's/^/    | /'
}

# The value of directive $2 ("exit" or "expect") in table source $1, one per line.
directive() {
    sed -n "s/^\\( \\*\\|#\\) $2: //p" "$1"
}

# Writes the bytes of hex table $1 to $2 with Table Length (offset 4) and Checksum (offset 9) set.
hex_to_bin() {
    esc=$(sed 's/#.*//' "$1" | tr -s ' \t\n' '\n\n\n' | awk '
        /^$/ { next }
        !/^[0-9A-Fa-f][0-9A-Fa-f]$/ { bad = 1; exit }
        { b[n++] = index("0123456789abcdef", tolower(substr($0, 1, 1))) * 16 - 16 + \
                   index("0123456789abcdef", tolower(substr($0, 2, 1))) - 1 }
        END {
            if (bad || n < 36) exit 1
            len = n
            for (i = 4; i < 8; i++) { b[i] = len % 256; len = int(len / 256) }
            b[9] = 0; sum = 0
            for (i = 0; i < n; i++) sum += b[i]
            b[9] = (256 - sum % 256) % 256
            for (i = 0; i < n; i++) printf "\\%03o", b[i]
        }') || return 1
    printf "$esc" >"$2"
}

# Checks one table's decode against its exit: and expect: lines.
check() {
    src=$1 name=$2 res=$out/$name.out
    want=$(directive "$src" exit)
    if [ -z "$want" ] || [ -z "$(directive "$src" expect)" ]; then
        echo "FAIL unit/dmar-decode/$name: $src has no exit: or expect: lines"
        return 1
    fi
    timeout 30 "$tool" "$out/$name.aml" >"$res" 2>&1
    rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL unit/dmar-decode/$name: exit status $rc, expected $want"
        tail_of "$res"
        return 1
    fi
    missing=$(directive "$src" expect | while IFS= read -r line; do
        grep -F -q -- "$line" "$res" || { echo "$line"; break; }
    done)
    if [ -n "$missing" ]; then
        echo "FAIL unit/dmar-decode/$name: output lacks '$missing'"
        tail_of "$res"
        return 1
    fi
    echo "PASS unit/dmar-decode/$name"
}

# Device scopes of an iasl -d disassembly as "type name|enum|bus|DD,FF DD,FF", sorted.
iasl_scopes() {
    awk -F' : ' '
        function flush() { if (have) print name "|" tolower(en) "|" tolower(bus) "|" path; have = 0 }
        /Subtable Type :/ { flush() }
        /Device Scope Type :/ { flush(); have = 1; name = $2; sub(/^[0-9A-F]+ \[/, "", name); sub(/\].*/, "", name); path = "" }
        have && /Enumeration ID :/ { en = $2 }
        have && /PCI Bus Number :/ { bus = $2 }
        have && /PCI Path :/ { path = path (path == "" ? "" : " ") toupper($2) }
        END { flush() }' "$1" | sed 's/ *$//' | sort
}

# The same from dmar-decode's output.
decode_scopes() {
    sed -n 's/^  Device Scope *: \(.*\) (type [0-9]*), Flags 0x[0-9a-f]*[^,]*, Enumeration ID 0x\([0-9a-f]*\), PCI Bus Number 0x\([0-9a-f]*\), PCI Path \(.*\) ([^)]*)$/\1|\2|\3|\4/p' "$1" | sort
}

# "<name>-vs-iasl": what dmar-decode prints of table $2 matches iasl -d.
check_vs_iasl() {
    name=$1 res=$out/$1.out dis=$out/$1-dis.dsl
    rm -f "$dis"
    if ! timeout 30 iasl -d -p "$out/$name-dis" "$out/$name.aml" >"$out/$name.dis.log" 2>&1 || [ ! -s "$dis" ]; then
        echo "FAIL unit/dmar-decode/$name-vs-iasl: iasl -d could not disassemble $name.aml"
        tail_of "$out/$name.dis.log"
        return
    fi
    for f in "Oem ID" "Oem Table ID"; do
        a=$(sed -n "s/^.*] *$f : \\(\".*\"\\).*/\\1/p" "$dis")
        b=$(sed -n "s/^$f *: //p" "$res")
        if [ -z "$a" ] || [ "$a" != "$b" ]; then
            echo "FAIL unit/dmar-decode/$name-vs-iasl: $f is $b, iasl -d says $a"
            return
        fi
    done
    iasl_scopes "$dis" >"$out/$name.iasl-scopes"
    decode_scopes "$res" >"$out/$name.decode-scopes"
    extra=$(comm -23 "$out/$name.decode-scopes" "$out/$name.iasl-scopes" | head -n 1)
    if [ ! -s "$out/$name.decode-scopes" ] || [ -n "$extra" ]; then
        echo "FAIL unit/dmar-decode/$name-vs-iasl: scope '${extra:-(none decoded)}' is not one iasl -d shows"
        sed 's/^/    | iasl: /' "$out/$name.iasl-scopes" | tail -n 20
        return
    fi
    if grep -q '^0 errors, 0 warnings' "$res" && ! cmp -s "$out/$name.decode-scopes" "$out/$name.iasl-scopes"; then
        echo "FAIL unit/dmar-decode/$name-vs-iasl: iasl -d shows scopes dmar-decode leaves out"
        comm -13 "$out/$name.decode-scopes" "$out/$name.iasl-scopes" | sed 's/^/    | /' | head -n 10
        return
    fi
    echo "PASS unit/dmar-decode/$name-vs-iasl"
}

for src in tests/data/dmar-*.dsl tests/data/dmar-*.hex; do
    [ -e "$src" ] || continue
    name=$(basename "$src")
    name=${name#dmar-}
    name=${name%.*}
    if [ ! -x "$tool" ]; then
        echo "FAIL unit/dmar-decode/$name: $tool did not build"
        tail_of "$buildlog"
        continue
    fi
    rm -f "$out/$name.aml"
    case $src in
    *.hex)
        if ! hex_to_bin "$src" "$out/$name.aml"; then
            echo "FAIL unit/dmar-decode/$name: $src is not whitespace-separated hex bytes (36 at least)"
            continue
        fi
        check "$src" "$name"
        continue ;;
    esac
    if ! command -v iasl >/dev/null 2>&1; then
        echo "SKIP unit/dmar-decode/$name: iasl (acpica-tools) not installed"
        continue
    fi
    # iasl loops forever on some malformed input (a subtable Length of 0): bound it.
    if ! timeout 30 iasl -p "$out/$name" "$src" >"$out/$name.iasl.log" 2>&1 || [ ! -s "$out/$name.aml" ]; then
        echo "FAIL unit/dmar-decode/$name: iasl could not compile $src"
        tail_of "$out/$name.iasl.log"
        continue
    fi
    check "$src" "$name" && [ "$(directive "$src" exit)" = 0 ] && check_vs_iasl "$name"
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
