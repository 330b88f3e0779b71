/*
 * The usual "VT-d off" placeholder: firmware with VT-d disabled in its set-up
 * still ships a DMAR, with one DRHD whose Register Base Address is 0. That is a
 * firmware fact, not a table error: one warning, exit status 0.
 * Compiled by tests/unit/dmar_decode.sh with iasl; each "expect:" line must be
 * a substring of some line of dmar-decode's output.
 *
 * exit: 0
 * expect: Oem Table ID            : "VTDOFF  "
 * expect: Structures              : 0 DRHD, 0 RMRR, 0 ATSR, 0 RHSA, 0 ANDD, 0 SATC, 0 SIDP; 1 DRHD unusable
 * expect: Firmware facts          : VT-d off (every DRHD at base 0)
 * expect: [DRHD unusable 0] Hardware Unit Definition at offset 0x30: Register Base Address 0
 * expect: 0 errors, 1 warnings
 * expect: warning: DMAR: the only DRHD has Register Base Address 0: the firmware's placeholder for VT-d off; no remapping unit
 */
[0004]                          Signature : "DMAR"
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "PSSAGE"
[0008]                       Oem Table ID : "VTDOFF  "
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 00000001

[0001]                 Host Address Width : 26
[0001]                              Flags : 00
[0010]                           Reserved : 00 00 00 00 00 00 00 00 00 00

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
