# Emulator harness helpers: boot an image with a timeout, keep the serial log under build/,
# and assert facts from it. Sourced by tests/emu/*.sh; results are PASS/FAIL/SKIP lines.

BUILD=${BUILD:-build}
LOGS=$BUILD/logs
mkdir -p "$LOGS"
BOCHS_CHROOT=${PASSAGE_CACHE:-/var/cache/passage}/bochs-trixie
# The VT-d and IR suites' QEMU machine: three edu devices on the root bus (the third owned by no
# domain) and one behind a PCIe-to-PCI bridge. -icount with sleep=off lets virtual time jump while
# the CPU halts, so edu's 100 ms per transfer costs no wall time.
QEMU_EDU_DEVS="-M q35 -smp 2 -icount shift=0,sleep=off -device edu -device edu -device edu,addr=0x6 \
 -device pcie-pci-bridge,id=br1,bus=pcie.0,addr=0x5 -device edu,bus=br1,addr=0x1"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
READY_RE='\] passage: ready'
FATAL_RE='\] exception: CPU [0-9]+ halted'
# A Linux guest (or bare Linux) that panicked never ends by itself: stop waiting at once.
PANIC_RE='Kernel panic - not syncing'

# The serial log without carriage returns and terminal escape sequences.
clean_log() { tr -d '\r' < "$1" | sed 's/\x1b\[[0-9;?=]*[a-zA-Z]//g'; }

# wait_for PID LOG TIMEOUT: returns when the log shows ready or a fatal exception, the
# process ends, a Linux panic shows (then returns 125), or the timeout passes (then returns 124). Kills the process unless it ended.
# With SELF_EXIT=1 (images booted with test_exit) it waits for the emulator to exit by itself.
wait_for() {
    local pid=$1 log=$2 timeout=$3 start=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        if [ "${SELF_EXIT:-0}" != 1 ] && [ -f "$log" ] &&
           clean_log "$log" | grep -Eq "$READY_RE|$FATAL_RE"; then
            sleep 0.3   # let the last lines drain
            kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
            return 0
        fi
        if [ -f "$log" ] && clean_log "$log" | grep -q "$PANIC_RE"; then
            sleep 1     # let the panic's last lines drain
            kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
            return 125
        fi
        if (( SECONDS - start >= timeout )); then
            kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
            return 124
        fi
        sleep 0.2
    done
    wait "$pid"
}

# run_qemu NAME TIMEOUT ARGS...: boots QEMU with the serial log in $LOGS/NAME.log.
# Sets RUN_STATUS (QEMU's exit status, or 124 on timeout) and RUN_LOG.
run_qemu() {
    local name=$1 timeout=$2; shift 2
    RUN_LOG=$LOGS/$name.log
    rm -f "$RUN_LOG"
    qemu-system-x86_64 -nodefaults -display none -no-reboot -m 1024 \
        -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -serial "file:$RUN_LOG" "$@" >"$LOGS/$name.qemu.txt" 2>&1 &
    wait_for $! "$RUN_LOG" "$timeout"
    RUN_STATUS=$?
}

# ovmf_args NAME: pflash drives with a private copy of the variable store.
ovmf_args() {
    cp "$OVMF_VARS" "$LOGS/$1.vars.fd"
    echo "-drive if=pflash,format=raw,readonly=on,file=$OVMF_CODE -drive if=pflash,format=raw,file=$LOGS/$1.vars.fd"
}

# bochsrc DIR CPUS COM1-OPTIONS: the Bochs configuration of every run (CPU model with VMX,
# BIOS boot from the ISO in DIR, no display, debugger continues at once).
bochsrc() {
    local dir=$1 cpus=$2 com1=$3
    cat > "$BOCHS_CHROOT$dir/bochsrc" <<RC
megs: 512
cpu: model=corei7_skylake_x, count=$cpus, ips=50000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
display_library: rfb, options="timeout=0"
ata0-master: type=cdrom, path=$dir/image.iso, status=inserted
boot: cdrom
com1: enabled=1, $com1
log: $dir/bochs.log
clock: sync=none, time0=local
RC
    echo c > "$BOCHS_CHROOT$dir/cmds"
}

# project_bochs: sets BOCHS_PREFIX to the chroot-relative prefix of the project's Bochs for this
# tree's patch series (tests/platforms/bochs-vtd; BOCHS_VTD_PREFIX overrides it for development).
# Fails, with the reason in BOCHS_WHY, when that build is missing: a failure, never a skip.
project_bochs() {
    BOCHS_PREFIX=${BOCHS_VTD_PREFIX:-$(tests/platforms/bochs-vtd/prefix.sh)}
    [ -x "$BOCHS_CHROOT$BOCHS_PREFIX/bin/bochs" ] && return 0
    BOCHS_WHY="the project's Bochs is not built at $BOCHS_CHROOT$BOCHS_PREFIX (run tools/setup.sh)"
    return 1
}

# bochs_cmd NAME DIR: the command line that boots DIR/bochsrc. The VMX suites run on the
# project's Bochs (tests/platforms/bochs-vtd), whose CPU fixes they need: stock Bochs 3.0 with
# more than one CPU lost the RIP an exception delivered to when a VM exit followed at once
# (patch 0012), which killed Linux guests now and then. BOCHS_STOCK=1 picks Debian's stock
# Bochs 3.0 (its boot test and the model's negative control). Returns 1 when the project's
# Bochs is missing (then the log says so).
bochs_cmd() {
    local name=$1 dir=$2
    if [ "${BOCHS_STOCK:-0}" = 1 ]; then
        BOCHS_CMD=(chroot "$BOCHS_CHROOT" bochs -q -f "$dir/bochsrc" -rc "$dir/cmds")
        return 0
    fi
    project_bochs || { echo "$BOCHS_WHY" > "$LOGS/$name.log"; return 1; }
    sed -i 's/^display_library:.*/display_library: nogui/' "$BOCHS_CHROOT$dir/bochsrc"
    BOCHS_CMD=(chroot "$BOCHS_CHROOT" env LTDL_LIBRARY_PATH="$BOCHS_PREFIX/lib/bochs/plugins"
               "$BOCHS_PREFIX/bin/bochs" -q -f "$dir/bochsrc")
}

# run_bochs NAME TIMEOUT IMAGE CPUS [EXTRA-BOCHSRC]: boots an ISO in Bochs 3.0 (trixie chroot),
# with the serial log in $LOGS/NAME.log; sets RUN_STATUS (wait_for's, or 127 without Bochs).
run_bochs() {
    local name=$1 timeout=$2 image=$3 cpus=$4 extra=${5-}
    local dir=/tmp/passage-$name-$$
    RUN_LOG=$LOGS/$name.log
    rm -rf "$BOCHS_CHROOT$dir" && mkdir -p "$BOCHS_CHROOT$dir"
    cp "$image" "$BOCHS_CHROOT$dir/image.iso"
    : > "$BOCHS_CHROOT$dir/serial.log"
    bochsrc "$dir" "$cpus" "mode=file, dev=$dir/serial.log"
    [ -z "$extra" ] || printf '%s\n' "${extra//@DIR@/$dir}" >> "$BOCHS_CHROOT$dir/bochsrc"
    bochs_cmd "$name" "$dir" || { RUN_STATUS=127; rm -rf "${BOCHS_CHROOT:?}$dir"; return; }
    "${BOCHS_CMD[@]}" >"$LOGS/$name.bochs.txt" 2>&1 &
    wait_for $! "$BOCHS_CHROOT$dir/serial.log" "$timeout"
    RUN_STATUS=$?
    cp "$BOCHS_CHROOT$dir/serial.log" "$RUN_LOG"
    cp "$BOCHS_CHROOT$dir/bochs.log" "$LOGS/$name.bochs.log" 2>/dev/null || true
    rm -rf "${BOCHS_CHROOT:?}$dir"
}

# run_bochs_console NAME TIMEOUT IMAGE CPUS TRIGGER KEYS END [EXTRA-BOCHSRC]: like run_bochs, with
# COM1 on a TCP socket; tests/emu/serial_client.py logs it and types KEYS once TRIGGER appears.
run_bochs_console() {
    local name=$1 timeout=$2 image=$3 cpus=$4 trigger=$5 keys=$6 end=$7 extra=${8-}
    local dir=/tmp/passage-$name-$$ port
    # A port nothing holds, not even a socket in TIME_WAIT from the previous console run (Bochs
    # binds without SO_REUSEADDR and panics when bind() fails).
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    RUN_LOG=$LOGS/$name.log
    rm -rf "$BOCHS_CHROOT$dir" && mkdir -p "$BOCHS_CHROOT$dir"
    cp "$image" "$BOCHS_CHROOT$dir/image.iso"
    bochsrc "$dir" "$cpus" "mode=socket-server, dev=127.0.0.1:$port"
    [ -z "$extra" ] || printf '%s\n' "${extra//@DIR@/$dir}" >> "$BOCHS_CHROOT$dir/bochsrc"
    bochs_cmd "$name" "$dir" || { RUN_STATUS=127; return; }
    timeout "$timeout" "${BOCHS_CMD[@]}" >"$LOGS/$name.bochs.txt" 2>&1 &
    local pid=$!
    python3 tests/emu/serial_client.py "$port" "$RUN_LOG" "$trigger" "$keys" "$end" "$timeout"
    RUN_STATUS=$?
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    cp "$BOCHS_CHROOT$dir/bochs.log" "$LOGS/$name.bochs.log" 2>/dev/null || true
    rm -rf "${BOCHS_CHROOT:?}$dir"
}

# guest_results DOMAIN PREFIX: each PASS/FAIL/SKIP line a guest printed becomes a result, so a
# guest's SKIP reaches run-all.sh's SKIP count instead of vanishing.
guest_results() {
    clean_log "$RUN_LOG" | sed -n "s/^.*\] $1: \(PASS\|FAIL\|SKIP\) \(.*\)$/\1 \2/p" | while read -r verdict rest; do
        echo "$verdict $2/$rest"
    done
}

# expect_guest_summary DOMAIN PASSES [SKIP...]: the guest's own summary is exactly "PASSES passed,
# 0 failed" and it skipped exactly the checks named (a platform fact, relayed as SKIP results), so
# a check that silently stops running fails the suite.
expect_guest_summary() {
    local dom=$1 want=$2 got skips
    shift 2
    got=$(log_get "\] $dom: [0-9]+ passed, [0-9]+ failed" | sed 's/^.*: //')
    [ "$got" = "$want passed, 0 failed" ] || fail "$dom reported '${got:-no summary}', expected '$want passed, 0 failed'"
    skips=$(clean_log "$RUN_LOG" | sed -n "s/^.*\] $dom: SKIP \([^:]*\):.*/\1/p" | sort | tr '\n' ' ')
    [ "$skips" = "$(printf '%s\n' "$@" | grep . | sort | tr '\n' ' ')" ] ||
        fail "$dom skipped [${skips% }], expected [$*]"
}

# Assertions collect failures in FAILS; finish NAME prints the verdict.
FAILS=()
fail() { FAILS+=("$*"); }
log_has() { clean_log "$RUN_LOG" | grep -Eq -- "$1"; }
log_get() { clean_log "$RUN_LOG" | grep -Eo -- "$1" | head -n1; }
expect() { log_has "$1" || fail "${2:-missing: $1}"; }

expect_ready() {
    [ "$RUN_STATUS" = 124 ] && fail "timed out"
    expect "$READY_RE" "no ready line"
}

# expect_cpus FOUND ONLINE
expect_cpus() {
    local line
    line=$(log_get 'smp: [0-9]+ CPUs found, [0-9]+ online')
    [ "$line" = "smp: $1 CPUs found, $2 online" ] ||
        fail "expected '$1 CPUs found, $2 online', got '${line:-nothing}'"
    local n
    n=$(clean_log "$RUN_LOG" | grep -Ec '\[cpu[0-9]+\] smp: online \(APIC ID')
    [ "$n" = $(( $2 - 1 )) ] || fail "expected $(( $2 - 1 )) APs to report online, saw $n"
}

# expect_pci "vvvv:dddd ..." : the enumerated set of vendor:device IDs equals the given set.
expect_pci() {
    local want got
    want=$(tr ' ' '\n' <<<"$1" | grep . | sort | tr '\n' ' ')
    got=$(clean_log "$RUN_LOG" | grep -Eo 'pci: [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] [0-9a-f]{4}:[0-9a-f]{4}' |
          awk '{print $3}' | sort | tr '\n' ' ')
    [ "$want" = "$got" ] || fail "PCI devices: expected [$want], got [$got]"
    local count
    count=$(log_get 'pci: [0-9]+ functions' | awk '{print $2}')
    [ "$count" = "$(wc -w <<<"$1")" ] || fail "PCI function count ${count:-none}, expected $(wc -w <<<"$1")"
}

# expect_memory MIN MAX: usable MiB reported within [MIN, MAX].
expect_memory() {
    local mib
    mib=$(log_get 'usable memory [0-9]+ MiB' | awk '{print $3}')
    [ -n "$mib" ] && (( mib >= $1 && mib <= $2 )) || fail "usable memory '${mib:-none}' MiB not in $1..$2"
}

finish() {
    local name=$1
    if [ ${#FAILS[@]} -eq 0 ]; then
        echo "PASS $name"
    else
        local IFS='; '
        echo "FAIL $name: ${FAILS[*]}"
        echo "---- last 25 lines of $RUN_LOG ----"
        clean_log "$RUN_LOG" 2>/dev/null | tail -n 25
        echo "----"
    fi
    FAILS=()
}

# run_bochs_vtd NAME TIMEOUT IMAGE CPUS: like run_bochs, on the project's patched Bochs 3.0
# (tests/platforms/bochs-vtd/README.md): VT-d unit at 0xfed90000, e1000 at 00:02.0 (vnet
# backend), edu devices at 00:03.0 and 00:04.0. Env: BOCHS_VTD_AW (39|48, default 48),
# BOCHS_VTD_OPTS (more vtd: options, e.g. "frcd=2, cm=1"; interrupt remapping "ir=1, eim=1,
# pi=1"), BOCHS_EDU_OPTS (more edu: options, e.g. "dma_bits=64"), BOCHS_VTD_SLOTS (the pci: slots, default e1000 and two edu),
# BOCHS_VTD_EXTRA (more bochsrc lines), BOCHS_VTD_PREFIX (another install prefix, for
# development). The DMAR for the image comes from tests/platforms/bochs-vtd/mkdmar.sh.
# vtd_bochsrc: those bochsrc lines (run_bochs_console takes them as its EXTRA for a console run).
vtd_bochsrc() {
    echo "pci: enabled=1, chipset=i440fx, ${BOCHS_VTD_SLOTS:-slot1=e1000, slot2=edu, slot3=edu}
e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=vnet, ethdev=@DIR@
edu: enabled=1${BOCHS_EDU_OPTS:+, $BOCHS_EDU_OPTS}
vtd: enabled=1, aw=${BOCHS_VTD_AW:-48}${BOCHS_VTD_OPTS:+, $BOCHS_VTD_OPTS}
${BOCHS_VTD_EXTRA-}"
}
run_bochs_vtd() {
    BOCHS_STOCK=0 run_bochs "$1" "$2" "$3" "$4" "$(vtd_bochsrc)"
}
