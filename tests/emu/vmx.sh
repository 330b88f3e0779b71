#!/usr/bin/env bash
# VMX suite on Bochs 3.0: exit handling, two isolated domains, a config with mistakes.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh

T=$BUILD/test
G=$BUILD/guests
C=tests/emu/configs
SELF_EXIT=1
mkdir -p "$T"
project_bochs || { echo "FAIL emu/vmx: $BOCHS_WHY"; exit 0; }
img() { # NAME CONFIG MODULES...
    local name=$1 cfg=$2; shift 2
    tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/$name.iso" "test_exit" "$cfg" "$@" \
        >>"$LOGS/test-images.txt" 2>&1 || echo "FAIL emu/vmx-images: $name.iso not built"
}
img vmx-exits "$C/exits.cfg" "$G/basic.elf" "$G/compute.elf"
img vmx-two "$C/two-domains.cfg" "$G/compute.elf" "$G/escape.elf"
img vmx-mistakes "$C/mistakes.cfg" "$G/basic.elf"
tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/vmx-hostfault.iso" "test_exit crash=vmexit" \
    "$C/host-fault.cfg" "$G/chatter.elf" "$G/hostfault.elf" >>"$LOGS/test-images.txt" 2>&1 ||
    echo "FAIL emu/vmx-images: vmx-hostfault.iso not built"
# The same vLAPIC guests without CPU posting: event injection at VM entry (vintr.c's other half).
# The IPI guest's stream check counts the target vCPU's exits through the test-aid hypercalls
# (crash=vmexit): none with posting, at least one per IPI without.
for v in "posted::apicv=on" "exits:-noapicv:apicv=off"; do
    IFS=: read -r want suffix opt <<<"$v"
    # The timer guest's stream check counts its own exits the same way (CPU 1, which runs no
    # guest, keeps the posted vCPU's timer: none with posting, at least one per tick without).
    sed "s/^cmdline = .*/& expect=$want/" "$C/irq-timer.cfg" >"$T/irq-timer$suffix.cfg"
    tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/irq-timer$suffix.iso" "test_exit crash=vmexit $opt" \
        "$T/irq-timer$suffix.cfg" "$G/timer.elf" >>"$LOGS/test-images.txt" 2>&1 || echo "FAIL emu/vmx-images: irq-timer$suffix.iso not built"
    { cat "$C/irq-ipi.cfg"; echo "cmdline = expect=$want"; } >"$T/irq-ipi$suffix.cfg"
    tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/irq-ipi$suffix.iso" "test_exit crash=vmexit $opt" \
        "$T/irq-ipi$suffix.cfg" "$G/ipi.elf" >>"$LOGS/test-images.txt" 2>&1 || echo "FAIL emu/vmx-images: irq-ipi$suffix.iso not built"
done

run_bochs vmx-exits 240 "$T/vmx-exits.iso" 2
guest_results basic emu/vmx-exits
expect_ready
expect 'vmx: VMCS revision 0x[0-9a-f]+; pin' "controls not negotiated"
expect_guest_summary basic 34 xsetbv-mpx-pair   # Bochs corei7_skylake_x has no MPX state
expect 'basic: PASS cpuid-hv-signature' "hypervisor leaf not seen by the guest"
expect 'basic: PASS rdmsr-unknown-gp' "unknown MSR did not #GP"
expect 'basic: INFO module 0 0x[0-9a-f]+-0x[0-9a-f]+ "compute.elf"' "initrd not passed as multiboot module 0"
expect 'basic: PASS multiboot-modules' "module check did not pass"
expect 'domain: basic stopped: guest wrote 0 to port 0xf4 \(exit code 0\)' "guest did not exit through port 0xf4"
cpuid=$(log_get 'basic vCPU 0: +CPUID +\(10\) [0-9]+' | awk '{print $NF}')
[ -n "$cpuid" ] && (( cpuid >= 1000 )) || fail "CPUID exit count ${cpuid:-missing}, expected >= 1000"
expect 'stats: basic vCPU 0: +XSETBV +\(55\) [1-9]' "XSETBV exits not counted"
expect 'stats: basic vCPU 0: +WBINVD +\(54\) [1-9]' "WBINVD exits not counted"
finish emu/vmx-exits

run_bochs vmx-two-domains 300 "$T/vmx-two.iso" 2
expect 'domain: escape stopped: EPT violation: write at guest-physical 0x4800000 \(outside its 8 MiB\), guest RIP 0x[0-9a-f]+' \
    "escape was not stopped by an EPT violation with the right report"
expect 'compute: PASS compute: 8 rounds' "compute did not finish its work"
expect 'domain: summary: compute exit code 0' "compute did not exit cleanly"
# compute keeps running after escape stopped: a compute line follows the stop report
stop_line=$(clean_log "$RUN_LOG" | grep -n 'domain: escape stopped' | cut -d: -f1)
last_compute=$(clean_log "$RUN_LOG" | grep -n '\] compute: compute: round' | tail -n1 | cut -d: -f1)
[ -n "$stop_line" ] && [ -n "$last_compute" ] && (( last_compute > stop_line )) ||
    fail "no compute progress after escape stopped (stop line ${stop_line:-?}, last round line ${last_compute:-?})"
expect '\[cpu1\] domain: compute vCPU 0 starting' "compute not on CPU 1"
expect '\[cpu0\] domain: escape vCPU 0 starting' "escape not on CPU 0"
finish emu/vmx-two-domains

run_bochs vmx-config-mistakes 240 "$T/vmx-mistakes.iso" 2
expect "config: error: config line 12: unknown key 'colour'$" "unknown key not reported with its line"
expect 'config: error: config line 16: memory: 64 GiB requested, [0-9.]+ [MG]iB left$' "oversized memory not reported"
expect "config: error: config line 20: cpus: CPU 0 is already used by domain 'good'$" "overlapping CPU not reported"
expect "config: error: config line 27: kernel: no module named 'nosuch.elf'$" "missing image not reported"
expect "config: error: config line 33: console: port 0x3f8 is the hypervisor's own console$" \
    "passing the hypervisor's console through was not refused"
expect 'config: error: config line 36: cpus: more than 8 CPUs \(a domain runs at most 8 vCPUs\)$' \
    "a domain with more CPUs than vCPUs was not refused"
errors=$(clean_log "$RUN_LOG" | grep -c 'config: error: ')
[ "$errors" = 6 ] || fail "expected 6 config errors, saw $errors"
expect "domain: junk refused: kernel 'passage.cfg': neither a Linux bzImage nor a multiboot1 image" \
    "a kernel that is no image was not refused at build"
expect 'domain: junk refused at build; 0 pages kept' "a domain refused at build kept memory"
expect 'domain: 1 of 8 configured domains built' "not exactly the valid domain built"
expect 'domain: summary: good exit code 0' "the valid domain did not run to completion"
finish emu/vmx-config-mistakes

# Virtual local APIC: timer modes, self-IPIs, TPR/PPR/ISR/EOI, STI window, HLT, xAPIC MMIO; with
# CPU posting (the default; the project's Bochs has it) and without (apicv=off: injection at VM entry).
for variant in "" -noapicv; do
    run_bochs vmx-irq-timer$variant 240 "$T/irq-timer$variant.iso" 2
    guest_results timer emu/vmx-irq-timer$variant
    expect_guest_summary timer 33
    expect 'domain: timer stopped: guest wrote 0 to port 0xf4' "timer guest did not finish"
    if [ -z "$variant" ]; then
        expect 'vmx: CPU posted interrupts on: virtual-interrupt delivery' "CPU posting not chosen on a CPU that has it"
        expect 'vtimer: CPU 1 keeps the virtual timers of 1 posted vCPUs' "the idle CPU 1 does not keep the timer"
    else
        expect 'vmx: CPU posted interrupts off \(turned off with apicv=off\)' "posting on with apicv=off"
    fi
    finish emu/vmx-irq-timer$variant
done

# Guest SMP: INIT/SIPI start-up of vCPU 1, fixed IPIs both ways, destinations within the domain.
for variant in "" -noapicv; do
    run_bochs vmx-irq-ipi$variant 240 "$T/irq-ipi$variant.iso" 2
    guest_results ipi emu/vmx-irq-ipi$variant
    expect_guest_summary ipi 19
    expect '\[cpu1\] domain: ipi vCPU 1 starting at 0x8000 on CPU 1' "vCPU 1 not started by SIPI"
    # INIT and SIPI restart it three times: halted with IF=1 (delayed, back to back) and parked.
    n=$(clean_log "$RUN_LOG" | grep -c 'domain: ipi vCPU 1 restarted by INIT and SIPI at 0x8000')
    [ "$n" = 3 ] || fail "vCPU 1 restarted by INIT and SIPI $n times, want 3"
    finish emu/vmx-irq-ipi$variant
done
# Stock Bochs 3.0 posts on the CPU and has no VT-d unit: Passage says so, and the domain's IPIs
# are posted there too (the target takes no exit).
BOCHS_STOCK=1 run_bochs vmx-irq-ipi-stock 240 "$T/irq-ipi.iso" 2
guest_results ipi emu/vmx-irq-ipi-stock
expect_guest_summary ipi 19
expect 'interrupts: CPU posting on; VT-d posting off \(no unit remaps interrupts\)' "stock Bochs's posting not reported"
expect 'ipi: INFO ipi-stream: 200 IPIs, the target took 0 VM exits' "IPIs not posted on stock Bochs"
finish emu/vmx-irq-ipi-stock

# text_range ELF: "START END" of the guest's code (.text), guest-physical = linear (paging off).
text_range() {
    local size vma
    read -r size vma < <(objdump -h "$1" | awk '$2==".text"{print $3, $4}')
    echo $(( 16#$vma )) $(( 16#$vma + 16#$size ))
}

# check_snapshots DOMAIN ELF CPU MIN: at least MIN "vcpu DOMAIN 0" snapshots, each read on CPU,
# with RIP inside the guest's code and exit counts strictly increasing (every request is an exit).
check_snapshots() {
    local dom=$1 elf=$2 cpu=$3 min=$4 lo hi n=0 last=-1 rip exits
    read -r lo hi < <(text_range "$elf")
    while read -r rip; do
        (( 16#$rip >= lo && 16#$rip < hi )) || fail "$dom snapshot RIP 0x$rip outside its code [$lo, $hi)"
        n=$((n + 1))
    done < <(clean_log "$RUN_LOG" |
             sed -n "s/^.*console: vcpu $dom 0 on CPU $cpu (read on CPU $cpu): RIP 0x\([0-9a-f]*\) .*/\1/p")
    (( n >= min )) || fail "$n snapshots of $dom vCPU 0 read on CPU $cpu, expected $min"
    while read -r exits; do
        (( exits > last )) || fail "$dom exit count not increasing between snapshots ($last then $exits)"
        last=$exits
    done < <(clean_log "$RUN_LOG" | sed -n "s/^.*console: vcpu $dom 0: exits \([0-9]*\),.*/\1/p")
}

# Console: whole-line commands typed while compute runs on CPU 1 and CPU 0 (its guest, escape,
# stopped) serves the console: statistics (long and one-letter form) and two snapshots of
# compute's vCPU, which only CPU 1 can read (VMREAD works on the CPU that owns the VMCS).
# compute runs 40 rounds so that it outlasts the typed lines (0.2 s of wall clock apart) on an
# idle machine too; the session ends at help's answer.
img console-stats "$C/console-stats.cfg" "$G/compute.elf" "$G/escape.elf"
run_bochs_console vmx-console-stats 240 "$T/console-stats.iso" 2 'compute: round 1/40' \
    'stats;vcpu compute 0;s;vcpu compute;vcpu nosuch;help' 'console: +vcpu +DOMAIN \[N\] '
[ "$RUN_STATUS" = 0 ] || fail "console session did not reach the end (status $RUN_STATUS)"
expect '\[cpu0\] stats: domain compute: running' "no statistics printed on request while compute ran"
expect '\[cpu0\] stats: compute vCPU 0 on CPU 1: [0-9]+ exits' "compute's vCPU statistics missing"
n=$(clean_log "$RUN_LOG" | grep -c 'stats: domain compute: ')
(( n >= 2 )) || fail "'stats' and 's' should each print the statistics, saw $n"
check_snapshots compute "$G/compute.elf" 1 2
expect "console: no vCPU 0 in a domain named 'nosuch'" "unknown domain not reported"
expect 'console: +vcpu +DOMAIN \[N\]' "help does not list the vcpu command"
line_req=$(clean_log "$RUN_LOG" | grep -n 'console: vcpu compute 0 on CPU 1' | head -n1 | cut -d: -f1)
line_end=$(clean_log "$RUN_LOG" | grep -n 'PASS compute:' | head -n1 | cut -d: -f1)
[ -n "$line_req" ] && { [ -z "$line_end" ] || (( line_req < line_end )); } ||
    fail "snapshots were not taken while the domain was still running"
finish emu/vmx-console-stats

# A guest on CPU 0 that never exits (spin) must not make the console deaf: the boot CPU leaves it
# every few milliseconds (VMX-preemption timer). Its own vCPU is read in place, compute's on CPU 1.
img console-busy "$C/console-busy.cfg" "$G/spin.elf" "$G/compute.elf"
run_bochs_console vmx-console-busy 240 "$T/console-busy.iso" 2 'compute: round 2/40' \
    'stats;vcpu spin;vcpu compute 0;vcpu compute 0;help' 'console: +vcpu +DOMAIN \[N\] '
[ "$RUN_STATUS" = 0 ] || fail "console did not answer while spin ran on CPU 0 (status $RUN_STATUS)"
expect '\[cpu0\] stats: domain spin: running' "no statistics while spin ran on CPU 0"
expect 'spin: INFO spin: spinning without exits' "spin did not start"
check_snapshots spin "$G/spin.elf" 0 1
check_snapshots compute "$G/compute.elf" 1 2
log_has 'domain: spin stopped' && fail "spin stopped"
finish emu/vmx-console-busy

# A fault inside the hypervisor while handling one domain's VM exit stops that domain only, and
# never wedges the log lock the other CPU is holding or waiting for (chatter logs without pause).
run_bochs vmx-host-fault 240 "$T/vmx-hostfault.iso" 2
expect 'exception: vector 6 \(#UD invalid opcode\) error code 0x0 on CPU 0' "the deliberate host #UD was not dumped"
expect 'exception: CPU 0 resumes at its recovery point' "CPU 0 did not recover"
expect 'domain: hostfault stopped: hypervisor exception while handling a VM exit' "faulting domain not stopped"
expect '\] chatter: PASS chatter-lines' "the logging domain did not finish"
expect 'domain: summary: chatter exit code 0' "the logging domain did not complete"
chat=$(clean_log "$RUN_LOG" | grep -Eo '\] chatter: chatter: line [0-9]+/600 \.+$' | sort -u | wc -l)
[ "$chat" = 600 ] || fail "expected 600 distinct whole chatter lines, saw $chat"
dump_line=$(clean_log "$RUN_LOG" | grep -n 'exception: vector 6' | head -n1 | cut -d: -f1)
resume_line=$(clean_log "$RUN_LOG" | grep -n 'resumes at its recovery point' | head -n1 | cut -d: -f1)
first_chat=$(clean_log "$RUN_LOG" | grep -n 'chatter: line ' | head -n1 | cut -d: -f1)
last_chat=$(clean_log "$RUN_LOG" | grep -n 'chatter: line ' | tail -n1 | cut -d: -f1)
[ -n "$dump_line" ] && [ -n "$first_chat" ] && [ -n "$last_chat" ] && [ -n "$resume_line" ] &&
    (( first_chat < dump_line && last_chat > resume_line )) ||
    fail "the fault did not come while the other CPU was logging (chatter lines ${first_chat:-?}..${last_chat:-?}, dump ${dump_line:-?}, resume ${resume_line:-?})"
log_has 'exception: CPU [0-9]+ halted' && fail "a CPU halted"
log_has 'hostfault: FAIL' && fail "the faulting hypercall returned to the guest"
finish emu/vmx-host-fault

# Test aids (crash=vmexit), testaid on CPU 0: NMI IPIs to CPU 1 until it handled 20 (NMI exits:
# the host's NMI handler runs, compute keeps running), then each MOV form against the emulated
# scratch MMIO page (EPT violation -> range dispatcher -> decoder -> device model).
tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/vmx-testaid.iso" "test_exit crash=vmexit" \
    "$C/testaid.cfg" "$G/compute.elf" "$G/testaid.elf" >>"$LOGS/test-images.txt" 2>&1 ||
    echo "FAIL emu/vmx-images: vmx-testaid.iso not built"
run_bochs vmx-testaid 240 "$T/vmx-testaid.iso" 2
guest_results testaid emu/vmx-testaid
expect_guest_summary testaid 6
expect 'compute: PASS compute: 5 rounds' "compute did not finish its work under NMIs"
expect 'domain: summary: compute exit code 0' "compute did not exit cleanly"
nmi=$(log_get 'stats: compute vCPU 0: +exception/NMI +\( ?0\) [0-9]+' | awk '{print $NF}')
[ -n "$nmi" ] && (( nmi >= 1 )) || fail "no NMI exit counted for compute (${nmi:-missing}): no NMI hit guest mode"
ept=$(log_get 'stats: testaid vCPU 0: +EPT violation +\(48\) [0-9]+' | awk '{print $NF}')
[ "$ept" = 10 ] || fail "testaid's EPT-violation exits ${ept:-missing}, want 10 (one per MMIO access)"
log_has 'exception: vector' && fail "the host dumped an exception"
finish emu/vmx-testaid

# vCPU fidelity (issue 10): for every feature bit with MSRs behind it that CPUID advertises, the
# MSRs behave (read, write back, checks of their own); IA32_MISC_ENABLE's writable bits; TSC and
# IA32_TSC_ADJUST writes through the TSC offset; the APIC's reset state (xAPIC) and its disable /
# re-enable through IA32_APIC_BASE from xAPIC and from x2APIC mode. On CPU 1, the events guest.
img vmx-fidelity "$C/fidelity.cfg" "$G/fidelity.elf" "$G/events.elf"
run_bochs vmx-fidelity 240 "$T/vmx-fidelity.iso" 2
guest_results fidelity emu/vmx-fidelity
guest_results events emu/vmx-fidelity/events
# 18 checks pass; every other feature bit with MSRs behind it is hidden from the guest (Passage's
# CPUID policy, or not on Bochs's corei7_skylake_x), and the guest names each one it skips.
expect_guest_summary fidelity 18 \
    cpuid-msr-mca cpuid-msr-ds cpuid-msr-acpi cpuid-msr-tm cpuid-msr-dtes64 cpuid-msr-ds-cpl \
    cpuid-msr-vmx cpuid-msr-smx cpuid-msr-eist cpuid-msr-tm2 cpuid-msr-sdbg cpuid-msr-pdcm \
    cpuid-msr-dca cpuid-msr-sgx cpuid-msr-rdt-m cpuid-msr-mpx cpuid-msr-rdt-a cpuid-msr-intel-pt \
    cpuid-msr-waitpkg cpuid-msr-cet-ss cpuid-msr-tme cpuid-msr-rdpid cpuid-msr-enqcmd cpuid-msr-sgx-lc \
    cpuid-msr-pks cpuid-msr-uintr cpuid-msr-cet-ibt cpuid-msr-ibrs-ibpb cpuid-msr-stibp \
    cpuid-msr-l1d-flush cpuid-msr-arch-capabilities cpuid-msr-core-capabilities cpuid-msr-ssbd
for check in tsc tsc-adjust sep pat lm; do
    expect "fidelity: PASS cpuid-msr-$check\$" "cpuid-msr-$check did not pass"
done
expect 'fidelity: PASS msr-misc-enable' "IA32_MISC_ENABLE writable bits not kept"
for check in apic-reset-xapic apic-disable-xapic apic-reenable-xapic apic-x2apic-cycle apic-disable-x2apic \
             apic-reenable-after-x2apic; do
    expect "fidelity: PASS $check\$" "$check did not pass (local APIC reset state, IA32_APIC_BASE)"
done
expect 'domain: fidelity stopped: guest wrote 0 to port 0xf4' "fidelity guest did not finish"
# Events around emulated instructions (events guest, CPU 1): RF in the #GP Passage injects, the
# single-step #DB right after each instruction Passage emulates (not one instruction later; also a
# MOV from the xAPIC page that Passage decodes after an APIC-access exit), the STI shadow ending
# with such a MOV, and an NMI IPI to itself delivered as an NMI, a second one held by NMI blocking
# until the handler's IRET.
expect_guest_summary events 10
for check in tf-after-mmio sti-shadow-after-mmio; do
    expect "events: PASS $check\$" "$check did not pass (an emulated MMIO MOV completes as the CPU would)"
done
expect 'stats: events vCPU 0: +APIC access +\(44\) [1-9]' "the xAPIC-page MOVs were not emulated after APIC-access exits"
expect 'domain: events stopped: guest wrote 0 to port 0xf4' "events guest did not finish"
expect 'stats: events vCPU 0: +NMI window +\( 8\) [1-9]' "the held NMI did not come through an NMI-window exit"
finish emu/vmx-fidelity

# image_end ELF: the end of the image's loadable segments (paddr + memsz), in the loader's 0x%lx form.
image_end() {
    local type off va pa fs ms rest end=0
    while read -r type off va pa fs ms rest; do
        [ "$type" = LOAD ] && (( pa + ms > end )) && end=$(( pa + ms ))
    done < <(readelf -lW "$1")
    printf '0x%x\n' "$end"
}

# Multiboot1 loader (issue 10): a guest linked at 0x8000 keeps its image (the boot information goes
# after it), its module does not overlap either, and both guests find the RSDP -> XSDT -> MADT.
# Two images it must refuse, on CPUs 2 and 3: one at 0x8000 ending at 0x9e000 (its boot
# information fits neither at 0x8000 nor between the image and the end of low RAM at 0x9f000), one
# over the ACPI tables' page at 0xe0000. They give back their memory and never start; the two
# good domains still run.
img vmx-mb1 "$C/mb1-placement.cfg" "$G/mb1info.elf" "$G/mb1low.elf" "$G/compute.elf" "$G/mb1noroom.elf" \
    "$G/mb1acpi.elf"
run_bochs vmx-mb1 240 "$T/vmx-mb1.iso" 4
guest_results mb1info emu/vmx-mb1/high
guest_results mb1low emu/vmx-mb1/low
for dom in mb1info mb1low; do
    expect_guest_summary $dom 5
    expect "domain: $dom stopped: guest wrote 0 to port 0xf4" "$dom did not finish"
done
expect 'domain: mb1low: image 0x8000-0x[0-9a-f]+ covers 0x8000: multiboot information at 0x[0-9a-f]+' \
    "the loader did not report moving the boot information"
noroom_end=$(image_end "$G/mb1noroom.elf") acpi_end=$(image_end "$G/mb1acpi.elf")
[ "$noroom_end" = 0x9e000 ] || fail "mb1noroom.elf ends at $noroom_end, the test needs 0x9e000"
expect_line() { # LINE WHY: LINE, exactly (fixed string), is a whole line of the log
    clean_log "$RUN_LOG" | sed 's/^\[cpu[0-9]*\] //' | grep -qxF -- "$1" || fail "$2 (want: $1)"
}
expect_line "domain: mb1noroom refused: kernel 'mb1noroom.elf': image and module (0x8000-$noroom_end) cover 0x8000-0x9fff and leave no room for the boot information after them" \
    "an image leaving no room for the boot information was not refused"
expect_line "domain: mb1acpi refused: kernel 'mb1acpi.elf': image and module (0xe0000-$acpi_end) cover the ACPI tables' page at 0xe0000" \
    "an image over the ACPI tables' page was not refused"
for dom in mb1noroom mb1acpi; do
    expect_line "domain: $dom refused at build; 0 pages kept" "$dom did not give back all it took"
    log_has "domain: $dom vCPU|\\] $dom: " && fail "the refused domain $dom started"
done
expect 'domain: 2 of 4 configured domains built' "not exactly the two good domains built"
finish emu/vmx-mb1

# NMIs between the vCPUs of one domain (issue 10): vCPU 0 sends an NMI to vCPU 1 waiting in HLT,
# which takes it as an NMI (not dropped, not on vCPU 0) and leaves HLT; then vCPU 0 to itself.
img vmx-nmi2 "$C/nmi2.cfg" "$G/nmi2.elf"
run_bochs vmx-nmi2 240 "$T/vmx-nmi2.iso" 2
guest_results nmi2 emu/vmx-nmi2
expect_guest_summary nmi2 3
expect 'domain: nmi2 stopped: guest wrote 0 to port 0xf4' "nmi2 guest did not finish"
log_has 'IPI delivery mode 4 not supported' && fail "an NMI IPI was dropped"
finish emu/vmx-nmi2
