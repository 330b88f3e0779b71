/*
 * DMAR as QEMU's intel-iommu reports it (-M q35 -device intel-iommu,intremap=on,
 * aw-bits=39): one INCLUDE_PCI_ALL unit and the IOAPIC on QEMU's pseudo bus 0xff.
 * Compiled by tests/unit/dmar_decode.sh with iasl; the "expect:" lines are
 * substrings that must each appear on some line of dmar-decode's output.
 *
 * exit: 0
 * expect: Host Address Width      : 0x26 (39-bit DMA addresses)
 * expect: Flags                   : 0x03 INTR_REMAP X2APIC_OPT_OUT
 * expect: Oem ID                  : "BOCHS "
 * expect: Oem Table ID            : "BXPC    "
 * expect: Firmware facts          : none
 * expect: Structures              : 1 DRHD, 0 RMRR, 0 ATSR, 0 RHSA, 0 ANDD, 0 SATC, 0 SIDP; 0 DRHD unusable
 * expect: [DRHD 0] Hardware Unit Definition at offset 0x30
 * expect: Register Base Address : 0x00000000fed90000
 * expect: Include All           : yes (INCLUDE_PCI_ALL)
 * expect: Device Scope          : IOAPIC Device (type 3), Flags 0x00, Enumeration ID 0x00, PCI Bus Number 0xff, PCI Path 00,00 (ff:00.0)
 * expect: 0 errors, 0 warnings
 */
[0004]                          Signature : "DMAR"
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "BOCHS "
[0008]                       Oem Table ID : "BXPC    "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "BXPC"
[0004]              Asl Compiler Revision : 00000001

[0001]                 Host Address Width : 26
[0001]                              Flags : 03
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED90000

[0001]                  Device Scope Type : 03 [IOAPIC Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : FF
[0002]                           PCI Path : 00,00
