#!/usr/bin/env bash
# Device passthrough on the project's Bochs VT-d platform (tests/platforms/bochs-vtd): guests
# owning edu devices through a virtual PCI bus; DMA confined to each domain's RAM; devices
# quiesced when their domain stops (exit, EPT violation, triple fault); their MSIs remapped (unit
# with ir=1, Passage with vtd=ir) and delivered to the owning vCPU; the same devices with MSI-X
# (edu msix=1: table and PBA trapped, entries remapped one IRTE each); a Linux guest enumerating
# its device.
set -u
cd "$(dirname "$0")/../.."
. tests/emu/lib.sh

T=$BUILD/test
G=$BUILD/guests
C=tests/emu/configs
SELF_EXIT=1
mkdir -p "$T"
project_bochs || { echo "FAIL emu/passthrough: $BOCHS_WHY"; exit 0; }
# Host-physical DMA targets sit above 256 MiB in the 512 MiB machine: edu must drive 32 bits.
export BOCHS_EDU_OPTS="dma_bits=32"
# Interrupt remapping on the unit (ECAP.IR, DMAR INTR_REMAP flag): an MSI-capable device is
# passed through only with it.
export BOCHS_VTD_OPTS="ir=1"
for n in 2 3; do # the DMAR names the IOAPIC by the ID Bochs gives it, the CPU count
    tests/platforms/bochs-vtd/mkdmar.sh "$T/pt-dmar$n.dat" 48 $n 0xfed90000 1 >>"$LOGS/test-images.txt" 2>&1 ||
        echo "FAIL emu/passthrough-images: DMAR for $n CPUs not built"
done
img() { # NAME CONFIG CPUS
    ACPI_TABLES="$T/pt-dmar$3.dat" tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" \
        "$T/$1.iso" "test_exit crash=vmexit vtd=ir apicv=on" "$2" "$G/devpass.elf" >>"$LOGS/test-images.txt" 2>&1 ||
        echo "FAIL emu/passthrough-images: $1.iso not built"
}
img pt-two "$C/passthrough.cfg" 2
img pt-crash "$C/passthrough-crash.cfg" 3
img pt-msix "$C/passthrough-msix.cfg" 2

# fault_for DOMAIN DEVICE: the unit faulted the guest's DMA to the IOVA it announced, naming both.
fault_for() {
    local dom=$1 bdf=$2 what=$3 iova page
    iova=$(log_get "\] $dom: INFO $what: DMA to IOVA 0x[0-9a-f]+" | awk '{print $NF}')
    [ -n "$iova" ] || { fail "$dom announced no $what DMA"; return; }
    page=$(printf '0x%x' $(( iova & ~0xfff )))
    expect "vtd: fault: $bdf \(domain $dom\) write $page: reason 0x" \
        "no fault record for $dom's $what DMA ($bdf, domain $dom, write $page)"
}

# dma_kept DOMAIN: the bytes the guest's device wrote into the buffer it announced, read by Passage
# at the host-physical page when the domain stopped, have the checksum of the data the guest asked
# the device to write (not only the guest's own view of its memory).
dma_kept() {
    local line gpa sum got
    line=$(log_get "\] $1: INFO dma-kept: guest-physical 0x[0-9a-f]+, 256 bytes, checksum 0x[0-9a-f]{8}")
    gpa=$(grep -Eo 'physical 0x[0-9a-f]+' <<<"$line" | awk '{print $2}')
    sum=$(grep -Eo 'checksum 0x[0-9a-f]+' <<<"$line" | awk '{print $2}')
    [ -n "$gpa" ] && [ -n "$sum" ] || { fail "$1 announced no dma-kept buffer"; return; }
    got=$(log_get "passthrough: $1: DMA buffer at guest-physical $gpa \(256 bytes\) read at host 0x[0-9a-f]+: checksum 0x[0-9a-f]{8}" |
          awk '{print $NF}')
    [ "$got" = "$sum" ] || fail "$1's DMA data at the host-physical page: checksum ${got:-not logged}, the guest asked for $sum"
}

# canary_kept ATTACKER VICTIM: when the attacker stopped (its DMA at the victim's canary made and
# faulted), Passage found the victim's canary, at the host address the attacker aimed at, as the
# victim registered it.
canary_kept() {
    local iova
    iova=$(log_get "\] $1: INFO dma-to-other-domain-faults: DMA to IOVA 0x[0-9a-f]+" | awk '{print $NF}')
    [ -n "$iova" ] || { fail "$1 announced no DMA at $2's canary"; return; }
    expect "passthrough: $1 stopped: $2's canary at host $iova \(256 bytes\): unchanged \(checksum (0x[0-9a-f]{8}), \1 when registered\)" \
        "$2's canary (host $iova, $1's DMA target) not found unchanged by Passage at $1's stop"
    log_has "$1 stopped: $2's canary .*CHANGED" && fail "$1's DMA changed $2's canary"
}

# quiesced DOMAIN DEVICE: after the stop the device was made to DMA and nothing moved.
quiesced() {
    expect "passthrough: $1 stopped: 1 devices quiesced and detached from VT-d domain $1" "$1 not quiesced at stop"
    expect "passthrough: $1: after stop: DMA attempt by $2 wrote 0 bytes, 0 new faults \(quiesced\)" \
        "$1's device still DMAs after the stop"
    silenced "$1" "$2"
}

# silenced DOMAIN DEVICE: after the stop the device was made to raise an interrupt: no message
# reached the unit (a fault through the freed entry) or a host vector (delivered or dropped), and
# its MSI and MSI-X stay off at the device, although the guest left one of them on (its last
# step), which the stop turned off.
silenced() {
    expect "passthrough: $1: after stop: interrupt raised by $2: 0 handled by Passage, 0 new faults; MSI off, MSI-X off at the device \(on at the stop: (MSI|MSI-X)\) \(silent\)" \
        "$1's device can still interrupt after the stop, or nothing was on to turn off: $(log_get "passthrough: $1: after stop: interrupt raised by .*")"
}

run_bochs_vtd passthrough-two 300 "$T/pt-two.iso" 2
guest_results pt-a emu/passthrough-a
guest_results pt-b emu/passthrough-b
[ "$RUN_STATUS" = 124 ] && fail "timed out"
# Quiesced at build: decoding and bus mastering off, INTx disabled (0x0400), whatever came before.
expect 'passthrough: pt-a: 0000:00:03.0 1234:11e8 as guest 00:01.0, VT-d domain pt-a \(DID [0-9]+\), RAM 0x0-0xffffff -> host 0x[0-9a-f]+, quiesced \(command 0x0400\)' \
    "pt-a's edu not assigned and quiesced (boot report)"
expect 'passthrough: pt-b: 0000:00:04.0 1234:11e8 as guest 00:01.0, VT-d domain pt-b \(DID [0-9]+\), RAM 0x0-0xffffff -> host 0x[0-9a-f]+, quiesced \(command 0x0400\)' \
    "pt-b's edu not assigned and quiesced (boot report)"
expect "config: error: config line [0-9]+: devices: 0000:00:03.0 is already passed through to domain 'pt-a'" \
    "pt-dup not refused naming pt-a"
# Each guest's own count (lib.sh expect_guest_summary): a check that stops running fails too.
expect_guest_summary pt-a 27
expect_guest_summary pt-b 27
expect 'vpci: pt-a: guest 00:01.0 BAR0 at 0x100000 refused: overlaps guest RAM' "BAR over RAM not refused by Passage"
expect 'vpci: pt-a: guest 00:01.0 BAR0 at 0xfee00000 refused: overlaps the local APIC page' "BAR over the APIC page not refused"
# MSI: the boot report names each device's interrupt entry; the guests' messages are remapped
# to their own vCPU; a foreign APIC and an illegal vector are refused, logged and counted.
for d in pt-a pt-b; do
    expect "passthrough: $d: guest 00:01.0 interrupts: MSI \\(1 vector, 64-bit\\): IRTE [0-9]+ on unit 0, source-id 00:0[34].0 \\(SVT 1, SQ 0\\), host vector 0x[0-9a-f]+" \
        "$d's interrupt entry missing from the boot report"
    expect "vpci: $d: guest 00:01.0 MSI vector 0x51 -> vCPU mask 0x1 \\(APIC 0x0 physical\\): IRTE [0-9]+ \\(unit 0\\) host vector 0x[0-9a-f]+ on CPU [0-9]" \
        "$d's MSI not routed to its vCPU"
    expect "\\] $d: INFO MSI: 121 interrupts taken" "$d did not take exactly its own 121 interrupts"
done
expect 'vpci: pt-a: guest 00:01.0 MSI to APIC 0x1 \(physical\) vector 0x51 refused: the destination is not an APIC of this domain \([0-9]+ refused\); the device cannot interrupt' \
    "a foreign APIC ID was not refused"
expect 'vpci: pt-a: guest 00:01.0 MSI to APIC 0x0 \(physical\) vector 0x5 refused: vectors 0-15 are illegal' \
    "an illegal vector was not refused"
# A DMA write into 0xFEExxxxx forges an interrupt request: compatibility format is blocked
# (fault 0x25), a remappable one naming the other domain's entry fails source-id validation
# (fault 0x26); both faults name the forging device and its domain.
forged() { # DOMAIN DEVICE
    local idx
    expect "vtd: fault: $2 \\(domain $1\\) compatibility-format interrupt \\(no index\\): reason 0x25" "$1's forged compatibility-format MSI not blocked with fault 0x25"
    idx=$(log_get "\\] $1: INFO forged MSI: remappable format naming interrupt index 0x[0-9a-f]+" | awk '{print $NF}')
    [ -n "$idx" ] || { fail "$1 forged no remappable-format MSI"; return; }
    expect "vtd: fault: $2 \\(domain $1\\) interrupt index $idx: reason 0x26" \
        "$1's forged MSI naming entry $idx not blocked by source-id validation (fault 0x26)"
}
forged pt-a 0000:00:03.0
forged pt-b 0000:00:04.0
for d in pt-a pt-b; do
    expect "passthrough: $d: guest 00:01.0: MSI: 121 delivered, [0-9]+ dropped \\(no route\\), [0-9]+ routes programmed, 6 programmings refused" \
        "$d's MSI counts wrong at stop (121 delivered, 6 refused: each register write of a foreign or illegal message)"
done
fault_for pt-a 0000:00:03.0 dma-to-other-domain-faults
fault_for pt-b 0000:00:04.0 dma-to-other-domain-faults
fault_for pt-a 0000:00:03.0 dma-to-hypervisor-faults
canary_kept pt-a pt-b
canary_kept pt-b pt-a
dma_kept pt-a
dma_kept pt-b
expect 'pt-b stopped: EPT violation' "pt-b did not stop on its EPT violation"
quiesced pt-a 0000:00:03.0
quiesced pt-b 0000:00:04.0
expect 'passthrough: hypervisor page 0x[0-9a-f]+: unchanged' "hypervisor page changed"
log_has 'hypervisor page 0x[0-9a-f]+: CHANGED' && fail "a guest's DMA changed the hypervisor page"
# Both CPUs run a guest: the fault interrupt stays on the boot CPU (review D10).
expect 'vtd: unit 0: [1-9][0-9]* fault records, [1-9][0-9]* fault interrupts, the last taken by APIC ID 0$' \
    "the fault interrupts were not taken, or not by the boot CPU, with no idle CPU"
finish emu/passthrough-two-domains

run_bochs_vtd passthrough-crash 240 "$T/pt-crash.iso" 3
guest_results pt-c emu/passthrough-crash
[ "$RUN_STATUS" = 124 ] && fail "timed out"
# Alone: no other domain's RAM or interrupt entry to aim at.
expect_guest_summary pt-c 25 dma-to-other-domain-faults dma-forged-foreign-irte-blocked
expect 'pt-c stopped: .*triple fault' "pt-c did not stop on its triple fault"
quiesced pt-c 0000:00:03.0
dma_kept pt-c
expect 'domain: pt-ghost refused: device 0000:00:09.0: no such PCI function' "a missing function not refused"
expect 'domain: pt-bridge refused: device 0000:00:01.0: a bridge \(class 06:01\) belongs to the platform' \
    "the ISA bridge not refused"
log_has 'pt-(ghost|bridge) vCPU 0 starting' && fail "a refused domain started"
# CPUs 1 and 2 run no guest (their domains were refused): the fault interrupt goes to CPU 1, an
# AP, whose idle loop takes it (review D10).
fault_for pt-c 0000:00:03.0 dma-to-hypervisor-faults
expect 'iommu: fault interrupts go to APIC ID 1$' "the fault interrupt was not aimed at the idle AP"
expect 'vtd: unit 0: [1-9][0-9]* fault records, [1-9][0-9]* fault interrupts, the last taken by APIC ID 1$' \
    "the fault interrupts were not taken by the idle AP (APIC ID 1)"
finish emu/passthrough-crash

# MSI-X: the edu with its MSI-X capability (4 entries; table at BAR0+0x80000 and PBA at
# BAR0+0x90000, two trapped pages with device registers mapped directly around them). Each
# guest enables MSI-X through its virtual capability, counts raises per entry and vector, masks
# an entry and the function (pending bits in the PBA, sent once on unmask), re-programs an entry
# live, moves BAR0 with MSI-X live (the traps follow it) and aims an entry at a foreign APIC and
# an illegal vector (refused and counted by Passage).
# Per guest: vector 0x51 38, 0x62 44, 0x73 15, 0x84 1 = 98 interrupts (devpass.c msix()).
BOCHS_EDU_OPTS="dma_bits=32, msix=1" run_bochs_vtd passthrough-msix 300 "$T/pt-msix.iso" 2
guest_results pt-x emu/passthrough-msix-x
guest_results pt-y emu/passthrough-msix-y
[ "$RUN_STATUS" = 124 ] && fail "timed out"
for d in pt-x pt-y; do
    expect_guest_summary "$d" 31
    expect "passthrough: $d: guest 00:01.0 interrupts: MSI-X \\(4 of 4 entries; table BAR0\\+0x80000, PBA BAR0\\+0x90000, 2 trapped windows\\): IRTEs [0-9]+-[0-9]+ on unit 0, host vectors 0x[0-9a-f]+-0x[0-9a-f]+" \
        "$d's MSI-X entries missing from the boot report"
    expect "vpci: $d: guest 00:01.0 MSI-X enabled \\(4 entries\\)" "$d's MSI-X enable not seen by Passage"
    expect "vpci: $d: guest 00:01.0 BAR0 at 0xc0300000 -> host 0x[0-9a-f]+ \\(0x100000 bytes\\)" "$d's BAR0 move not mapped"
    # (a route is logged when its target changes: the first programming and after a refusal)
    for ev in '0 vector 0x51' '1 vector 0x62' '0 vector 0x84'; do
        expect "vpci: $d: guest 00:01.0 MSI-X entry $ev -> vCPU mask 0x1 \\(APIC 0x0 physical\\): IRTE [0-9]+ host vector 0x[0-9a-f]+ on CPU [0-9]" \
            "$d's MSI-X entry $ev not routed to its vCPU"
    done
    expect "vpci: $d: guest 00:01.0 MSI-X entry 0 to APIC 0x1 \\(physical\\) vector 0x51 refused: the destination is not an APIC of this domain" \
        "$d's foreign-APIC MSI-X entry not refused"
    expect "vpci: $d: guest 00:01.0 MSI-X entry 0 to APIC 0x0 \\(physical\\) vector 0x5 refused: vectors 0-15 are illegal" \
        "$d's illegal-vector MSI-X entry not refused"
    expect "\\] $d: INFO MSI-X: 98 interrupts taken \\(vector 0x51: 38, 0x62: 44, 0x73: 15, 0x84: 1\\)" \
        "$d did not take exactly its own 98 MSI-X interrupts"
    # Refusals: each of the three register writes re-routes the live entry: 3 while it names the
    # foreign APIC, 1 when the data becomes vector 5, 2 while the data is still 5 on the way back.
    expect "passthrough: $d: guest 00:01.0: MSI-X: 98 delivered, 10 dropped \\(no route\\), [0-9]+ routes programmed, 6 entries refused, 0 table/PBA writes ignored" \
        "$d's MSI-X counts wrong at stop (98 delivered, 10 dropped: the refused entry's raises, 6 refused)"
    expect "passthrough: $d stopped: 1 devices quiesced and detached from VT-d domain $d" "$d not quiesced at stop"
    silenced "$d" "0000:00:0$([ "$d" = pt-x ] && echo 3 || echo 4).0"
    dma_kept "$d"
done
log_has 'vtd: fault: .*\(domain pt-[xy]\)' && fail "an MSI-X domain's device faulted: $(log_get 'vtd: fault: .*\(domain pt-[xy]\).*')"
finish emu/passthrough-msix

# Exitless interrupts (README "Exitless interrupts"): one domain on CPU 1 owns an edu and counts a
# stream of its MSIs together with its own VM exits (devpass mode=stream, test-aid hypercalls),
# waiting running, halted and busy in the hypervisor; CPU 0 runs no guest. Per run: the unit's
# options, the config, the mode Passage must choose and why, the guest's pass count, and what
# Passage itself delivered (0 when the unit posts: those interrupts never reach the hypervisor;
# software posting counts the 5 raises made while SN was set, which post one PIR bit; the 60 of
# the live vector changes come last). The guest's own count: 4 streams of 1000, the SN bit, 60.
stream_run() { # NAME UNIT-OPTIONS CONFIG MODE WHY PASSES DELIVERED CPU TAKEN [CONSOLE]
    local name=$1 mode=$4 why=$5 passes=$6 delivered=$7 cpu=$8 taken=$9 console=${10-}
    img "$name" "$C/$3" 2
    if [ -z "$console" ]; then
        BOCHS_VTD_OPTS="$2" run_bochs_vtd "passthrough-$name" 300 "$T/$name.iso" 2
    else # the console's irqs command during the stream names the source's route and mode
        BOCHS_VTD_OPTS="$2" run_bochs_console "passthrough-$name" 300 "$T/$name.iso" 2 'INFO stream stream-running' \
            irqs 'domain: summary: stream exit code' "$(BOCHS_VTD_OPTS="$2" vtd_bochsrc)"
        [ "$RUN_STATUS" = 0 ] || fail "console session did not reach the end (status $RUN_STATUS)"
        expect "irqs: stream: guest 00:01.0 MSI: vector 0x51 -> vCPU mask 0x1: mode $mode \\($why\\)" \
            "the console's irqs did not name the MSI's route and mode"
        expect 'irqs: 1 passthrough interrupt sources' "the console's irqs did not count one source"
    fi
    guest_results stream "emu/passthrough-$name"
    expect_guest_summary stream "$passes"
    expect "\\] stream: INFO MSI: $taken interrupts taken" "the guest did not take exactly $taken interrupts"
    expect "vpci: stream: guest 00:01.0 MSI vector 0x51 -> vCPU mask 0x1 \\(APIC 0x0 physical\\): IRTE [0-9]+ \\(unit 0\\) host vector 0x[0-9a-f]+ on CPU $cpu; mode $mode \\($why\\)" \
        "the MSI's route did not get mode $mode ($why)"
    expect "passthrough: stream: guest 00:01.0: MSI: $delivered delivered, 0 dropped \\(no route\\), [0-9]+ routes programmed, 0 programmings refused; last mode $mode" \
        "Passage did not deliver exactly $delivered of the MSIs itself in mode $mode"
    case $2 in
    *pi=1*) expect 'interrupts: CPU posting on; VT-d posting on; passthrough MSIs default to vtd-post' "VT-d posting not detected";;
    *) expect 'interrupts: CPU posting on; VT-d posting off \(unit 0 reports CAP.PI=0\); passthrough MSIs default to sw-post' \
        "a unit without CAP.PI not detected";;
    esac
    log_has 'vtd: fault: .*\(domain stream\)' && fail "the stream domain's device faulted: $(log_get 'vtd: fault: .*\(domain stream\).*')"
    finish "emu/passthrough-$name"
}
stream_run stream-vtd-post "ir=1, pi=1" stream-vtd-post.cfg vtd-post "interrupts = vtd-post in the config" 19 0 1 4061 console
stream_run stream-sw-post "ir=1, pi=1" stream-sw-post.cfg sw-post "interrupts = sw-post in the config" 19 4065 0 4061
stream_run stream-exit "ir=1, pi=1" stream-exit.cfg exit "interrupts = exit in the config" 17 3060 1 3060
stream_run stream-auto-nopi "ir=1" stream-auto.cfg sw-post "the VT-d units cannot post \\(CAP.PI=0\\)" 19 4065 0 4061

# The posted entry moved between the two vCPUs of a domain while the edu raises (devpass
# mode=target): 200 destination changes, each interrupt on the vCPU named last, none on the one
# before; every change is a posted entry rewritten (no idle CPU here: two vCPUs on two CPUs).
img stream-target "$C/stream-target.cfg" 2
BOCHS_VTD_OPTS="ir=1, pi=1" run_bochs_vtd passthrough-stream-target 300 "$T/stream-target.iso" 2
guest_results stream emu/passthrough-stream-target
expect_guest_summary stream 15
n=$(clean_log "$RUN_LOG" | grep -cE 'vpci: stream: guest 00:01.0 MSI vector 0x51 -> vCPU mask 0x[12] \(APIC 0x[01] physical\): .*; mode vtd-post')
(( n >= 200 )) || fail "only $n posted routes logged for 200 destination changes"
expect 'passthrough: stream: guest 00:01.0: MSI: 0 delivered, 0 dropped \(no route\), [0-9]+ routes programmed, 0 programmings refused; last mode vtd-post' \
    "Passage delivered some of the posted MSIs itself"
finish emu/passthrough-stream-target

# The Debian cloud kernel owning an edu: it enumerates the virtual bus, reads the MCFG and
# places BAR0, which Passage maps; the project's edu test module (tests/linux-edu) drives it: a
# DMA round trip through the DMA API (device addresses are guest-physical: the guest has no
# IOMMU, Passage's VT-d domain maps its RAM) and an MSI count (Linux programs the virtual MSI
# capability, Passage remaps it); no VT-d fault; the device is quiesced when Linux reboots.
kernel=$(ls "${PASSAGE_CACHE:-/var/cache/passage}"/linux/vmlinuz-* 2>/dev/null | head -n1)
if [ -z "$kernel" ]; then
    echo "FAIL emu/passthrough-linux: no guest kernel in the cache (run tools/setup.sh)"; exit 0
fi
cp "$kernel" "$T/vmlinuz"
if ! ko=$(tests/linux-edu/build.sh "$T/module" 2>>"$LOGS/test-images.txt"); then
    echo "FAIL emu/passthrough-linux-module: edu_test.ko not built (see $LOGS/test-images.txt)"; exit 0
fi
# Its own initramfs directory: linux.sh writes $T/initrd.cpio.gz (without the module), and suites
# run side by side while developing must not swap each other's image mid-run.
mkdir -p "$T/pt-linux"
tools/mkinitrd.sh "$T/pt-linux/initrd.cpio.gz" "$ko" >>"$LOGS/test-images.txt" 2>&1 ||
    echo "FAIL emu/passthrough-images: initramfs not built"
# linux_run NAME CONFIG UNIT-OPTIONS MODE [PASSAGE-OPTION]: one Linux domain owning the edu, with
# the module's checks; its MSI must get delivery mode MODE.
linux_run() {
    ACPI_TABLES="$T/pt-dmar2.dat" tools/mkimage.sh "$BUILD/passage.elf" "$BUILD/passage.efi" "$T/$1.iso" \
        "test_exit vtd=ir ${5-}" "$2" "$T/vmlinuz" "$T/pt-linux/initrd.cpio.gz" >>"$LOGS/test-images.txt" 2>&1 ||
        echo "FAIL emu/passthrough-images: $1.iso not built"
    BOCHS_VTD_OPTS="$3" run_bochs_vtd "$1" 600 "$T/$1.iso" 2
    [ "$RUN_STATUS" = 124 ] && fail "timed out"
    expect 'linux: \[ *[0-9.]+\] ACPI: MCFG 0x[0-9A-F]+ 00003C \(v01 PSSAGE' "Linux did not find the MCFG"
    expect 'linux: \[ *[0-9.]+\] pci 0000:00:00.0: \[8086:29c0\] type 00 class 0x060000' "Linux did not see the host bridge"
    expect 'linux: \[ *[0-9.]+\] pci 0000:00:01.0: \[1234:11e8\] type 00 class 0x00ff00' "Linux did not see the edu"
    bar=$(log_get 'linux: \[ *[0-9.]+\] pci 0000:00:01.0: BAR 0 \[mem 0x[0-9a-f]+-0x[0-9a-f]+\]: assigned' |
          grep -Eo 'mem 0x[0-9a-f]+' | awk '{print $2}')
    if [ -z "$bar" ]; then
        fail "Linux assigned no BAR 0"
    else
        expect "vpci: linux: guest 00:01.0 BAR0 at $(printf '0x%x' "$bar") -> host 0x[0-9a-f]+ \(0x100000 bytes\)" \
            "Passage did not map the BAR Linux assigned ($bar)"
    fi
    expect 'linux: \[ *[0-9.]+\] PASSAGE-INIT: PASS linux-init' "Linux userspace check failed"
    expect 'linux: \[ *[0-9.]+\] EDU-TEST: probe 0000:00:01.0: ident 0x[0-9a-f]+, MSI irq [0-9]+, IOMMU none' \
        "the edu module did not probe the passthrough edu with MSI"
    expect 'linux: \[ *[0-9.]+\] EDU-TEST: msi 0000:00:01.0: address 0xfee[0-9a-f]+ data 0x[0-9a-f]+ \(compatibility format\)' \
        "Linux did not program a compatibility-format MSI into the virtual capability"
    for t in dma-roundtrip msi-count dma-streaming; do
        expect "linux: \\[ *[0-9.]+\\] EDU-TEST: PASS $t" "edu module: $t did not pass"
    done
    log_has 'EDU-TEST: FAIL' && fail "edu module: $(log_get 'EDU-TEST: FAIL.*')"
    expect 'vpci: linux: guest 00:01.0 MSI vector 0x[0-9a-f]+ -> vCPU mask 0x[0-9a-f]+ \(APIC 0x[0-9a-f]+ (physical|logical)\): IRTE [0-9]+ \(unit 0\) host vector 0x[0-9a-f]+ on CPU [0-9]+' \
        "Linux's MSI not routed through an IRTE to its vCPU"
    expect "vpci: linux: guest 00:01.0 MSI vector .*; mode $4 " "Linux's MSI did not get mode $4"
    n=$(log_get 'passthrough: linux: guest 00:01.0: MSI: [0-9]+ delivered' | awk '{print $6}')
    if [ "$4" = vtd-post ]; then
        # The unit posts every MSI: Passage must see none, and Linux's CPU takes next to no exits
        # for a stream of them (its own timer's exits go on meanwhile).
        [ "${n:-x}" = 0 ] || fail "Passage delivered ${n:-no} MSIs itself, the unit should have posted them all"
        expect 'EDU-TEST: PASS msi-stream: 1000 MSIs, [0-9]+ VM exits on this CPU meanwhile' "the module's MSI stream did not complete"
        e=$(log_get 'EDU-TEST: PASS msi-stream: 1000 MSIs, [0-9]+ VM exits' | awk '{print $6}')
        [ -n "$e" ] && [ "$e" -le 50 ] || fail "Linux's CPU took ${e:-?} VM exits for 1000 posted MSIs (want at most 50: its timer's)"
    else
        [ "${n:-0}" -ge 3 ] || fail "Passage delivered ${n:-no} MSIs to Linux, the module counts 3"
    fi
    log_has 'vpci: linux: guest 00:01.0 MSI .* refused' && fail "Passage refused an MSI Linux wrote: $(log_get 'vpci: linux: guest 00:01.0 MSI .* refused.*')"
    expect 'passthrough: linux stopped: 1 devices quiesced and detached from VT-d domain linux' "device not quiesced at reboot"
    log_has 'vtd: fault: .*\(domain linux\)' && fail "the Linux domain's device faulted"
    finish "emu/$1"
}

linux_run passthrough-linux "$C/linux-passthrough.cfg" "ir=1, pi=1" vtd-post apicv=on
linux_run passthrough-linux2 "$C/linux-passthrough2.cfg" "ir=1" exit
