/*
 * A DMAR with firmware mistakes: a DRHD whose Register Base Address is not
 * 4 KiB aligned and an RMRR whose limit is below its base: each gets an error
 * naming its offset (the DRHD is listed as unusable, the RMRR dropped); the
 * rest is still decoded.
 * Compiled by tests/unit/dmar_decode.sh with iasl; each "expect:" line must be
 * a substring of some line of dmar-decode's output.
 *
 * exit: 1
 * expect: Structures              : 1 DRHD, 1 RMRR, 0 ATSR, 0 RHSA, 0 ANDD, 0 SATC, 0 SIDP; 1 DRHD unusable
 * expect: [DRHD unusable 0] Hardware Unit Definition at offset 0x30: Register Base Address not 4 KiB aligned
 * expect: [DRHD 0] Hardware Unit Definition at offset 0x40
 * expect: [RMRR 0] Reserved Memory Region at offset 0x70
 * expect: End Address (limit)   : 0x000000007a01ffff
 * expect: 2 errors, 0 warnings
 * expect: error: DMAR: structure type 0 (DRHD) at offset 0x30: Register Base Address 0xfed90800 not 4 KiB aligned; skipped
 * expect: error: DMAR: structure type 1 (RMRR) at offset 0x50: limit 0x1fff below base 0x3000; skipped
 */
[0004]                          Signature : "DMAR"
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "PSSAGE"
[0008]                       Oem Table ID : "BROKEN  "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 00000001

[0001]                 Host Address Width : 26
[0001]                              Flags : 01
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0010
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED90800

[0002]                      Subtable Type : 0000 [Hardware Unit Definition]
[0002]                             Length : 0010
[0001]                              Flags : 01
[0001]                           Reserved : 00
[0002]                 PCI Segment Number : 0000
[0008]              Register Base Address : 00000000FED91000

[0002]                      Subtable Type : 0001 [Reserved Memory Region]
[0002]                             Length : 0020
[0002]                           Reserved : 0000
[0002]                 PCI Segment Number : 0000
[0008]                       Base Address : 0000000000003000
[0008]                End Address (limit) : 0000000000001FFF

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
