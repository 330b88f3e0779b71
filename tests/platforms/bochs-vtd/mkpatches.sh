#!/usr/bin/env bash
# Developer tool: regenerates patches/ from an edited Bochs tree. PRISTINE is Debian's source
# with Debian's patches applied (what build.sh makes before the project's series), DEV the
# edited copy. Each patch lists the files it owns below; run from anywhere. The CPU fixes
# (0006-0011, cpu/*.cc, several patches per file) are kept by hand and not regenerated:
# edit them as patches (apply in order on Debian's cpu/ files, diff each step).
# patches/series is every 0*.patch in name order.
# usage: mkpatches.sh PRISTINE-bochs-3.0 DEV-bochs-3.0
set -euo pipefail
a=$1 b=$2
here=$(cd "$(dirname "$0")" && pwd)
mk() { # NAME "DESCRIPTION" FILE...
    local name=$1 descr=$2 f out=$here/patches/$1; shift 2
    printf 'Passage: %s\n\n' "$descr" > "$out"
    for f in "$@"; do
        diff -Nu --label "a/$f" --label "b/$f" "$a/$f" "$b/$f" >> "$out" || [ $? = 1 ]
    done
}
mk 0001-iommu-hooks.patch \
   "device DMA and MSI with a requester ID through an IOMMU hook (default: no IOMMU); PCI functions know their requester ID; build rules for the edu and vtd plugins." \
   iodev/iodev.h iodev/devices.cc iodev/Makefile.in
mk 0002-edu-device.patch "a PCI test device compatible with QEMU's edu (new files)." \
   iodev/edu.h iodev/edu.cc
mk 0003-vtd-unit.patch "the VT-d remapping unit plugin (new files): registers, DMA remapping, faults, queued invalidation." \
   iodev/vtd.h iodev/vtd.cc iodev/vtd_dma.cc iodev/vtd_fault.cc iodev/vtd_qi.cc
mk 0004-requester-ids.patch \
   "every device access to guest memory carries the device's requester ID: e1000, IDE bus master, ISA DMA (as the PCI-to-ISA bridge), UHCI, OHCI, EHCI, xHCI, ES1370; e1000 gets an MSI capability; the IDE bus master takes a blocked read (PRD or data) as a master abort; the e1000 stops transmitting at a blocked descriptor fetch, drops a frame whose buffer read was blocked, and drops a received frame at a blocked receive descriptor fetch." \
   iodev/dma.cc iodev/pci_ide.cc iodev/network/e1000.h iodev/network/e1000.cc iodev/sound/es1370.cc \
   iodev/usb/usb_common.h iodev/usb/uhci_core.cc iodev/usb/ohci_core.cc \
   iodev/usb/usb_ehci.cc iodev/usb/usb_xhci.cc
mk 0005-interrupt-remapping.patch \
   "interrupt remapping and posting in the VT-d unit (new file); the IOAPIC sends its redirection entries as interrupt requests with its source-id while remapping is on." \
   iodev/vtd_ir.cc iodev/ioapic.cc
(cd "$here/patches" && ls 0*.patch) > "$here/patches/series"
