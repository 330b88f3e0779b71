/*
 * A two-segment server-like DMAR: dedicated units before each segment's
 * INCLUDE_PCI_ALL unit (VT-d 8.3), bridge paths of two and three hops, RMRRs,
 * ATSRs, RHSAs and an ANDD named by an ACPI_NAMESPACE_DEVICE scope. SATC and the
 * DRHD Size byte are covered by tests/unit/test_dmar.c: iasl 20200925 knows neither.
 * Compiled by tests/unit/dmar_decode.sh with iasl; each "expect:" line must be
 * a substring of some line of dmar-decode's output.
 *
 * exit: 0
 * expect: Host Address Width      : 0x2d (46-bit DMA addresses)
 * expect: Flags                   : 0x05 INTR_REMAP DMA_CTRL_PLATFORM_OPT_IN
 * expect: Structures              : 4 DRHD, 2 RMRR, 2 ATSR, 2 RHSA, 1 ANDD, 0 SATC, 0 SIDP; 0 DRHD unusable
 * expect: Device Scope          : PCI Endpoint Device (type 1), Flags 0x00, Enumeration ID 0x00, PCI Bus Number 0x00, PCI Path 02,00 (00:02.0)
 * expect: Device Scope          : PCI Endpoint Device (type 1), Flags 0x00, Enumeration ID 0x00, PCI Bus Number 0x00, PCI Path 1C,04 00,00 03,01 (00:1c.4/00.0/03.1)
 * expect: Device Scope          : IOAPIC Device (type 3), Flags 0x00, Enumeration ID 0x08, PCI Bus Number 0xf0, PCI Path 1F,00 (f0:1f.0)
 * expect: Device Scope          : Message-capable HPET Device (type 4), Flags 0x00, Enumeration ID 0x00, PCI Bus Number 0x00, PCI Path 1F,07 (00:1f.7)
 * expect: Device Scope          : Namespace Device (type 5), Flags 0x00, Enumeration ID 0x01, PCI Bus Number 0x00, PCI Path 15,00 (00:15.0)
 * expect: Register Base Address : 0x000003fffe100000
 * expect: PCI Segment Number    : 0x0001
 * expect: Device Scope          : PCI Bridge Device (type 2), Flags 0x00, Enumeration ID 0x00, PCI Bus Number 0x80, PCI Path 02,00 00,00 (80:02.0/00.0)
 * expect: Base Address          : 0x000000007a000000
 * expect: End Address (limit)   : 0x000000007a01ffff
 * expect: End Address (limit)   : 0x00000001003fffff
 * expect: Flags                 : 0x01 ALL_PORTS
 * expect: Proximity Domain      : 0x00000001
 * expect: Device Name           : "\_SB.PCI0.UA00"
 * expect: 0 errors, 0 warnings
 */
[0004]                          Signature : "DMAR"
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "PSSAGE"
[0008]                       Oem Table ID : "SERVER  "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 00000001

[0001]                 Host Address Width : 2D
[0001]                              Flags : 05
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

/* Segment 0: integrated graphics */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED90000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 02,00

/* Segment 0: a device two bridges below root port 1c.4 (this iasl calls the DRHD Size byte Reserved and zeroes it) */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 001C
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED92000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 0C
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1C,04
[0002]                           PCI Path : 00,00
[0002]                           PCI Path : 03,01

/* Segment 0: everything else, with the IOAPIC, the HPET and an ACPI device */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0028
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED91000

[0001]                  Device Scope Type : 03 [IOAPIC Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 08
[0001]                     PCI Bus Number : F0
[0002]                           PCI Path : 1F,00

[0001]                  Device Scope Type : 04 [Message-capable HPET Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1F,07

[0001]                  Device Scope Type : 05 [Namespace Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 01
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 15,00

/* Segment 1: everything, its root complex at bus 0x80 */
[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 001A
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0001
[0008]              Register Base Address : 000003FFFE100000

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 0A
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 80
[0002]                           PCI Path : 02,00
[0002]                           PCI Path : 00,00

[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0028
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 000000007A000000
[0008]                End Address (limit) : 000000007A01FFFF

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 14,00

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1A,00

[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0022
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0001
[0008]                       Base Address : 0000000100000000
[0008]                End Address (limit) : 00000001003FFFFF

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 0A
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 80
[0002]                           PCI Path : 02,00
[0002]                           PCI Path : 00,01

[0002]                      Subtable Type : 0002 [Root Port ATS Capability]
[0002]                             Length : 0010
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 1C,04

[0002]                      Subtable Type : 0002 [Root Port ATS Capability]
[0002]                             Length : 0008
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0001

[0002]                      Subtable Type : 0003 [Remapping Hardware Static Affinity]
[0002]                             Length : 0014
[0004]                           Reserved : 00000000
[0008]                       Base Address : 00000000FED91000
[0004]                   Proximity Domain : 00000000

[0002]                      Subtable Type : 0003 [Remapping Hardware Static Affinity]
[0002]                             Length : 0014
[0004]                           Reserved : 00000000
[0008]                       Base Address : 000003FFFE100000
[0004]                   Proximity Domain : 00000001

[0002]                      Subtable Type : 0004 [ACPI Namespace Device Declaration]
[0002]                             Length : 0017
[0003]                           Reserved : 000000
[0001]                      Device Number : 01
[0008]                        Device Name : "\_SB.PCI0.UA00"
