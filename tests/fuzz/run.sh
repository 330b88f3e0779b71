#!/bin/sh
# Runs one libFuzzer target for FUZZ_SECONDS; prints "PASS fuzz/<name>" or
# "FAIL fuzz/<name>: <reason>" and the last 30 lines of its log. Exits 0.
#
#   run.sh tests/fuzz/fuzz_<name>.c
#
# tests/host.mk builds the fuzzer $HOST_OUT/fuzz/fuzz_<name> and, for a source
# that has FUZZ_SEEDS code, its seed generator fuzz_<name>.seeds; one that did
# not build is absent and its build log (.build.log) says why.
# Environment (set by tests/host.mk): HOST_OUT, FUZZ_SECONDS.
# Corpus: $HOST_OUT/corpus/<name>, seeded from tests/fuzz/corpus/<name> (if
# present) and from the seeds the fuzz source writes when built with -DFUZZ_SEEDS.

src=$1
name=$(basename "$src" .c)
name=${name#fuzz_}
out=${HOST_OUT:-build/host}
dir=$out/fuzz
bin=$dir/fuzz_$name
log=$dir/$name.log
corpus=$out/corpus/$name
seeds=$out/seeds/$name
secs=${FUZZ_SECONDS:-8}

fail() {
    echo "FAIL fuzz/$name: $1"
    echo "    | --- last 30 lines of $2 ---"
    tail -n 30 "$2" | sed 's/^/    | /'
    exit 0
}

mkdir -p "$dir" "$corpus" "$seeds"

if [ ! -x "$bin" ]; then
    fail "build failed" "$bin.build.log"
fi

if grep -q FUZZ_SEEDS "$src"; then
    if [ ! -x "$bin.seeds" ]; then
        fail "seed generator build failed" "$bin.seeds.build.log"
    fi
    if ! "$bin.seeds" "$seeds" >"$bin.seeds.log" 2>&1; then
        fail "seed generator failed" "$bin.seeds.log"
    fi
fi
if [ -d "tests/fuzz/corpus/$name" ]; then
    cp -n "tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
fi

ASAN_OPTIONS=${ASAN_OPTIONS:-print_legend=0} \
timeout $((secs + 120)) "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
    -artifact_prefix="$dir/$name-" -print_final_stats=1 "$corpus" "$seeds" >"$log" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
    echo "PASS fuzz/$name"
    exit 0
fi
reason=""
for pat in '^SUMMARY: ' 'runtime error: ' '==ERROR: ' 'ERROR: libFuzzer'; do
    [ -n "$reason" ] || reason=$(grep -m1 -E "$pat" "$log" | cut -c1-200)
done
[ "$rc" -eq 124 ] && reason="hung: killed after $((secs + 120)) s"
fail "exit status $rc: ${reason:-see log}" "$log"
