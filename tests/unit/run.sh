#!/bin/sh
# Runs one cmocka unit-test binary and prints one "PASS unit/<file>/<case>" or
# "FAIL unit/<file>/<case>: <reason>" line per test case, crashes included.
#
#   run.sh BINARY NAME SOURCE          run the tests, log under BINARY.log
#   run.sh --build-failed NAME SOURCE BUILDLOG
#                                      report every case of SOURCE as failed
#
# Case names not seen in the output (a crash stopped the binary, or it did not
# build) are taken from SOURCE: the test_* names listed in its CMUnitTest array.
# Always exits 0: the aggregator counts the lines.

TIMEOUT=${UNIT_TIMEOUT:-120}

# test_* names in the CMUnitTest array of a source file, in order.
case_names() {
    sed -n 's/^[[:space:]]*\(cmocka_unit_test[a-z_]*\|T\)([[:space:]]*\(test_[A-Za-z0-9_]*\).*/\2/p' "$1"
}

# Prints 30 lines of a log, indented so no line starts with PASS/FAIL: from
# the first sanitizer report if there is one, else the last 30.
log_tail() {
    first=$(grep -n -m1 -E '==ERROR: |runtime error: |Test failed with exception' "$1" | cut -d: -f1)
    if [ -n "$first" ]; then
        sed -n "${first},$((first + 29))p" "$1"
    else
        tail -n 30 "$1"
    fi | sed 's/^/    | /'
}

if [ "$1" = "--build-failed" ]; then
    name=$2 src=$3 log=$4
    reason=$(grep -m1 -E 'error|undefined reference' "$log" | tr -s '\t ' ' ' | cut -c1-200)
    cases=$(case_names "$src")
    [ -n "$cases" ] || cases="(all)"
    for c in $cases; do
        echo "FAIL unit/$name/$c: build failed: ${reason:-see log}"
    done
    log_tail "$log"
    exit 0
fi

bin=$1 name=$2 src=$3
log=$bin.log
CMOCKA_MESSAGE_OUTPUT=STDOUT timeout "$TIMEOUT" "$bin" >"$log" 2>&1
rc=$?

case_names "$src" >"$bin.cases"
awk -v name="$name" -v rc="$rc" -v casesfile="$bin.cases" '
function clean(s) { gsub(/[\r\t]/, " ", s); sub(/^ +/, "", s); return substr(s, 1, 300) }
function better(s, prio) { if (prio > rprio) { reason = clean(s); rprio = prio } }
function result(c, ok, why) {
    if (c in done) return
    done[c] = 1; nres++
    if (ok) print "PASS unit/" name "/" c
    else { print "FAIL unit/" name "/" c ": " why; nfail++ }
}
function reset() { cur = ""; reason = ""; rprio = 0; loc = "" }
BEGIN { reset(); nres = 0; nfail = 0; tail_reason = ""; tprio = 0 }
/^\[ RUN      \] / { reset(); cur = $4; next }
/^\[       OK \] / { result($4, 1, ""); reset(); next }
/^\[  SKIPPED \] / { if (cur != "") { print "SKIP unit/" name "/" $4 ": skipped by the test"; done[$4] = 1; nres++ } reset(); next }
/^\[  FAILED  \] / {
    if (cur != "" && $4 == cur) {
        why = reason != "" ? reason : "failed"
        if (loc != "") why = why " (" loc ")"
        result(cur, 0, why); reset()
    }
    next
}
/^\[   LINE   \] --- / || /\[   LINE   \] --- / {
    l = $0; sub(/.*\[   LINE   \] --- /, "", l); sub(/: error: Failure!.*/, "", l); loc = l
}
/^\[  ERROR   \] --- / {
    m = $0; sub(/^\[  ERROR   \] --- /, "", m); sub(/\[   LINE   \] --- .*/, "", m)
    if (m != "") better(m, 2)
    next
}
/^ERROR: / { m = $0; sub(/^ERROR: /, "", m); better(m, 3); next }
/^SUMMARY: / { better($0, 5); if (5 > tprio) { tail_reason = clean($0); tprio = 5 } next }
/runtime error: / { better($0, 4); if (4 > tprio) { tail_reason = clean($0); tprio = 4 } next }
/==ERROR: / { better($0, 3); if (3 > tprio) { tail_reason = clean($0); tprio = 3 } next }
/Test failed with exception/ { better($0, 4); next }
{ if (cur != "" && $0 != "" && substr($0, 1, 1) != "[" && substr($0, 1, 2) != "  ") better($0, 1) }
END {
    if (cur != "") {
        why = reason != "" ? reason : "no result"
        if (rc == 124) why = "timed out"
        result(cur, 0, "crashed (exit status " rc "): " why)
        stopped = cur
    }
    while ((getline c < casesfile) > 0)
        if (!(c in done))
            result(c, 0, stopped != "" ? "not run: the binary died in " stopped : "not run (exit status " rc ")")
    if (nres == 0) { print "FAIL unit/" name "/(all): no test ran (exit status " rc ")"; nfail++ }
    else if (rc != 0 && nfail == 0)
        print "FAIL unit/" name "/(exit): exit status " rc " after all cases passed: " tail_reason
    exit (nfail > 0 || rc != 0)
}' "$log"
status=$?
if [ "$status" -ne 0 ]; then
    echo "    | --- from $log ---"
    log_tail "$log"
fi
exit 0
