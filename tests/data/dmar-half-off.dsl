/*
 * Firmware that half-disables VT-d: segment 0's graphics unit is valid but its
 * INCLUDE_PCI_ALL unit has Register Base Address 0, so every other device of
 * segment 0 has no remapping unit; a dedicated unit at base 0 leaves the device
 * it lists without one; segment 1 is whole. Two RMRRs of zero size (limit =
 * base - 1, and 0/0) reserve nothing. All firmware facts, not table errors:
 * warnings that name the segment and devices, exit status 0.
 * Compiled by tests/unit/dmar_decode.sh with iasl; each "expect:" line must be
 * a substring of some line of dmar-decode's output.
 *
 * exit: 0
 * expect: Structures              : 2 DRHD, 1 RMRR, 0 ATSR, 0 RHSA, 0 ANDD, 0 SATC, 0 SIDP; 2 DRHD unusable
 * expect: Firmware facts          : unit at base 0 beside usable units; segment whose INCLUDE_PCI_ALL unit is unusable; zero-size RMRR ignored
 * expect: [DRHD unusable 0] Hardware Unit Definition at offset 0x48: Register Base Address 0
 * expect: [DRHD unusable 1] Hardware Unit Definition at offset 0x60: Register Base Address 0
 * expect: [RMRR 0] Reserved Memory Region at offset 0xd0
 * expect: 0 errors, 4 warnings
 * expect: warning: DMAR: DRHD at offset 0x48: Register Base Address 0x0: the 1 devices it lists (00:03.0) on segment 0 have no remapping unit: their DMA is not translated
 * expect: warning: DMAR: DRHD at offset 0x60: INCLUDE_PCI_ALL unit of segment 0 has Register Base Address 0x0: devices of segment 0 that no other unit lists have no remapping unit: their DMA is not translated
 * expect: warning: DMAR: structure type 1 (RMRR) at offset 0x90: base 0x7b000000 limit 0x7affffff: zero-size region (firmware placeholder); ignored
 * expect: warning: DMAR: structure type 1 (RMRR) at offset 0xb0: base 0x0 limit 0x0: zero-size region (firmware placeholder); ignored
 */
[0004]                          Signature : "DMAR"
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "PSSAGE"
[0008]                       Oem Table ID : "HALFOFF "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 00000001

[0001]                 Host Address Width : 26
[0001]                              Flags : 01
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

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

[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 00
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 0000000000000000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 03,00

[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 0000000000000000

[0001]                  Device Scope Type : 03 [IOAPIC Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 02
[0001]                     PCI Bus Number : F0
[0002]                           PCI Path : 1F,00

[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0018
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0001
[0008]              Register Base Address : 00000000FED91000

[0001]                  Device Scope Type : 02 [PCI Bridge Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 80
[0002]                           PCI Path : 02,00

[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0020
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 000000007B000000
[0008]                End Address (limit) : 000000007AFFFFFF

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 14,00

[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0020
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 0000000000000000
[0008]                End Address (limit) : 0000000000000000

[0001]                  Device Scope Type : 01 [PCI Endpoint Device]
[0001]                       Entry Length : 08
[0002]                           Reserved : 0000
[0001]                     Enumeration ID : 00
[0001]                     PCI Bus Number : 00
[0002]                           PCI Path : 14,00

[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0020
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
