/* vtd.h: VT-d remapping-unit registers, table entries and invalidation descriptors, named as the
 * Intel VT-d Architecture Specification (rev. 3.x/4.x) writes them. Section numbers below are
 * those of rev. 3.x; titles are given so they can be found in any revision. */
#ifndef VTDM_VTD_H
#define VTDM_VTD_H
#include "rt.h"

/* 10.4 "Register Descriptions" (offsets: 10.4, Table "Address Mapping for Remapping Hardware Registers") */
#define VER_REG 0x00       /* Version */
#define CAP_REG 0x08       /* Capability */
#define ECAP_REG 0x10      /* Extended Capability */
#define GCMD_REG 0x18      /* Global Command */
#define GSTS_REG 0x1c      /* Global Status */
#define RTADDR_REG 0x20    /* Root Table Address */
#define CCMD_REG 0x28      /* Context Command */
#define FSTS_REG 0x34      /* Fault Status */
#define FECTL_REG 0x38     /* Fault Event Control */
#define FEDATA_REG 0x3c    /* Fault Event Data */
#define FEADDR_REG 0x40    /* Fault Event Address */
#define FEUADDR_REG 0x44   /* Fault Event Upper Address */
#define IQH_REG 0x80       /* Invalidation Queue Head */
#define IQT_REG 0x88       /* Invalidation Queue Tail */
#define IQA_REG 0x90       /* Invalidation Queue Address */
#define ICS_REG 0x9c       /* Invalidation Completion Status */
#define IECTL_REG 0xa0     /* Invalidation Event Control */
#define IEDATA_REG 0xa4    /* Invalidation Event Data */
#define IEADDR_REG 0xa8    /* Invalidation Event Address */
#define IEUADDR_REG 0xac   /* Invalidation Event Upper Address */

/* 10.4.2 CAP_REG fields */
#define CAP_ND(c) ((c) & 7)                         /* Number of domains supported */
#define CAP_RWBF BIT(4)                             /* Required Write-Buffer Flushing */
#define CAP_CM BIT(7)                               /* Caching Mode */
#define CAP_SAGAW(c) (((c) >> 8) & 0x1f)            /* Supported Adjusted Guest Address Widths */
#define CAP_MGAW(c) ((((c) >> 16) & 0x3f) + 1)      /* Maximum Guest Address Width */
#define CAP_FRO(c) ((((c) >> 24) & 0x3ff) * 16)     /* Fault-recording Register offset */
#define CAP_SLLPS(c) (((c) >> 34) & 0xf)            /* Second Level Large Page Support */
#define CAP_PSI BIT(39)                             /* Page Selective Invalidation */
#define CAP_NFR(c) ((((c) >> 40) & 0xff) + 1)       /* Number of Fault-recording Registers */
#define CAP_MAMV(c) (((c) >> 48) & 0x3f)            /* Maximum Address Mask Value */
#define CAP_PI BIT(59)                              /* Posted Interrupts Support */

/* 10.4.3 ECAP_REG fields */
#define ECAP_C BIT(0)                               /* Page-walk Coherency */
#define ECAP_QI BIT(1)                              /* Queued Invalidation support */
#define ECAP_DT BIT(2)                              /* Device-TLB support */
#define ECAP_IR BIT(3)                              /* Interrupt Remapping support */
#define ECAP_EIM BIT(4)                             /* Extended Interrupt Mode */
#define ECAP_PT BIT(6)                              /* Pass Through */
#define ECAP_IRO(e) ((((e) >> 8) & 0x3ff) * 16)     /* IOTLB Register Offset */

/* 10.4.4 GCMD_REG / 10.4.5 GSTS_REG (same bit positions) */
#define GCMD_TE BIT(31)      /* Translation Enable / TES */
#define GCMD_SRTP BIT(30)    /* Set Root Table Pointer / RTPS */
#define GCMD_WBF BIT(27)     /* Write Buffer Flush / WBFS */
#define GCMD_QIE BIT(26)     /* Queued Invalidation Enable / QIES */
#define GCMD_IRE BIT(25)     /* Interrupt Remapping Enable / IRES */
#define GCMD_SIRTP BIT(24)   /* Set Interrupt Remap Table Pointer / IRTPS */
#define GCMD_CFI BIT(23)     /* Compatibility Format Interrupt / CFIS */
#define GSTS_PERSISTENT (GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI) /* status bits that are enables */

/* 10.4.29 IRTA_REG "Interrupt Remapping Table Address Register" */
#define IRTA_REG 0xb8
#define IRTA_EIME BIT(11)    /* Extended Interrupt Mode Enable: x2APIC (32-bit) destinations */
#define IRTA_S(s) ((u64)(s)) /* Size: 2^(S+1) entries */

/* 10.4.7 CCMD_REG */
#define CCMD_ICC BIT(63)                            /* Invalidate Context-Cache */
#define CCMD_CIRG(g) ((u64)(g) << 61)               /* Context Invalidation Request Granularity */
#define CCMD_CAIG(v) (((v) >> 59) & 3)              /* Context Actual Invalidation Granularity */
#define CCMD_SID(s) ((u64)(s) << 16)
#define CCMD_FM(m) ((u64)(m) << 32)
#define GRAN_GLOBAL 1
#define GRAN_DOMAIN 2
#define GRAN_DEVICE 3                               /* context: device; IOTLB: page */

/* 10.4.8.1 IOTLB_REG (at ECAP.IRO + 8) and 10.4.8.2 IVA_REG (at ECAP.IRO) */
#define IOTLB_IVT BIT(63)                           /* Invalidate IOTLB */
#define IOTLB_IIRG(g) ((u64)(g) << 60)              /* IOTLB Invalidation Request Granularity */
#define IOTLB_IAIG(v) (((v) >> 57) & 3)             /* IOTLB Actual Invalidation Granularity */
#define IOTLB_DR BIT(49)                            /* Drain Reads */
#define IOTLB_DW BIT(48)                            /* Drain Writes */
#define IOTLB_DID(d) ((u64)(d) << 32)

/* 10.4.9 FSTS_REG */
#define FSTS_PFO BIT(0)      /* Primary Fault Overflow (RW1CS) */
#define FSTS_PPF BIT(1)      /* Primary Pending Fault (RO) */
#define FSTS_IQE BIT(4)      /* Invalidation Queue Error (RW1CS) */
#define FSTS_ICE BIT(5)      /* Invalidation Completion Error */
#define FSTS_ITE BIT(6)      /* Invalidation Time-out Error */
#define FSTS_FRI(f) (((f) >> 8) & 0xff) /* Fault Record Index */

/* 10.4.10 FECTL_REG, 10.4.26 IECTL_REG */
#define ECTL_IM BIT(31)      /* Interrupt Mask */
#define ECTL_IP BIT(30)      /* Interrupt Pending */

/* 10.4.14 FRCD_REG: 128 bits; fields of the upper quadword */
#define FRCD_F BIT(63)                              /* Fault (RW1CS) */
#define FRCD_T BIT(62)                              /* Type: 0 write, 1 read */
#define FRCD_FR(h) (((h) >> 32) & 0xff)             /* Fault Reason */
#define FRCD_SID(h) ((h) & 0xffff)                  /* Source Identifier */

/* 10.4.25 ICS_REG */
#define ICS_IWC BIT(0)       /* Invalidation Wait Descriptor Complete */

/* 9.1 "Root Entry" (legacy mode) */
struct root_entry { u64 lo, hi; };
_Static_assert(sizeof(struct root_entry) == 16, "root entry is 128 bits");
#define RE_P BIT(0)

/* 9.3 "Context Entry" (legacy mode) */
struct context_entry { u64 lo, hi; };
_Static_assert(sizeof(struct context_entry) == 16, "context entry is 128 bits");
#define CE_P BIT(0)                                 /* Present */
#define CE_FPD BIT(1)                               /* Fault Processing Disable */
#define CE_TT(t) ((u64)(t) << 2)                    /* Translation Type */
#define TT_UNTRANSLATED 0                           /* untranslated requests only */
#define TT_DEVTLB 1                                 /* untranslated, translated, translation requests */
#define TT_PASSTHROUGH 2
#define TT_RESERVED 3
#define CE_AW(a) ((u64)(a))                         /* Address Width (hi): 1 = 39-bit, 2 = 48-bit */
#define CE_DID(d) ((u64)(d) << 8)                   /* Domain Identifier (hi) */

/* 9.8 "Second-Level Paging Entries" */
#define SL_R BIT(0)
#define SL_W BIT(1)
#define SL_PS BIT(7)                                /* Page Size (PDE, PDPE) */
#define SL_RW (SL_R | SL_W)

/* 6.5.2 "Queued Invalidation Interface": 128-bit descriptors */
struct inv_desc { u64 lo, hi; };
_Static_assert(sizeof(struct inv_desc) == 16, "invalidation descriptor is 128 bits");
#define DESC_CC 1            /* 6.5.2.1 Context-cache Invalidate Descriptor */
#define DESC_IOTLB 2         /* 6.5.2.3 IOTLB Invalidate Descriptor */
#define DESC_IEC 4           /* 6.5.2.7 Interrupt Entry Cache Invalidate Descriptor */
#define DESC_WAIT 5          /* 6.5.2.8 Invalidation Wait Descriptor */
#define DESC_G(g) ((u64)(g) << 4)                   /* granularity (CC, IOTLB) */
#define DESC_DID(d) ((u64)(d) << 16)
#define DESC_SID(s) ((u64)(s) << 32)                /* CC: source-id */
#define IOTLB_DESC_DR BIT(7)
#define IOTLB_DESC_DW BIT(6)
#define WAIT_IF BIT(4)                              /* Interrupt Flag */
#define WAIT_SW BIT(5)                              /* Status Write */
#define WAIT_FN BIT(6)                              /* Fence */
#define WAIT_SDATA(d) ((u64)(d) << 32)              /* Status Data */

/* 6.5.2.7 Interrupt Entry Cache Invalidate Descriptor: G (bit 4) 0 global, 1 index-selective;
 * IM (31:27) index mask, IIDX (47:32) interrupt index. */
#define IEC_INDEX BIT(4)
#define IEC_IM(m) ((u64)(m) << 27)
#define IEC_IIDX(i) ((u64)(i) << 32)

/* 9.10 "Interrupt Remapping Table Entry (IRTE)", remapped (IM=0) and posted (IM=1) formats */
struct irte { u64 lo, hi; };
_Static_assert(sizeof(struct irte) == 16, "IRTE is 128 bits");
#define IRTE_P BIT(0)                               /* Present */
#define IRTE_FPD BIT(1)                             /* Fault Processing Disable */
#define IRTE_DM BIT(2)                              /* Destination Mode: 1 logical (remapped) */
#define IRTE_RH BIT(3)                              /* Redirection Hint (remapped) */
#define IRTE_TM BIT(4)                              /* Trigger Mode: 1 level (remapped) */
#define IRTE_DLM(m) ((u64)(m) << 5)                 /* Delivery Mode (remapped) */
#define IRTE_URG BIT(14)                            /* Urgent (posted) */
#define IRTE_IM BIT(15)                             /* IRTE Mode: 1 posted */
#define IRTE_V(v) ((u64)(v) << 16)                  /* Vector */
#define IRTE_DST(d) ((u64)(d) << 32)                /* Destination ID (remapped): xAPIC ID in 15:8 */
#define IRTE_PDA_LO(a) ((((u64)(a) >> 6) & 0x3ffffff) << 38) /* Posted Descriptor Address 31:6 */
#define IRTE_SID(s) ((u64)(s))                      /* Source Identifier (hi) */
#define IRTE_SQ(q) ((u64)(q) << 16)                 /* Source-id Qualifier (hi) */
#define IRTE_SVT(t) ((u64)(t) << 18)                /* Source Validation Type (hi) */
#define IRTE_PDA_HI(a) (((u64)(a) >> 32) << 32)     /* Posted Descriptor Address 63:32 (hi) */
#define SVT_NONE 0
#define SVT_SID 1                                   /* SID with SQ-masked function/device bits */
#define SVT_BUS 2                                   /* SID = start bus 15:8, end bus 7:0 */

/* 9.12 "Posted Interrupt Descriptor (PID)": 64 bytes, 64-byte aligned */
struct pid {
	u64 pir[4];                                 /* Posted Interrupt Requests, bit per vector */
	u64 ctl;                                    /* ON 0, SN 1, NV 23:16, NDST 63:32 */
	u64 rsvd[3];
};
_Static_assert(sizeof(struct pid) == 64, "posted-interrupt descriptor is 64 bytes");
#define PID_ON BIT(0)                               /* Outstanding Notification */
#define PID_SN BIT(1)                               /* Suppress Notification */
#define PID_NV(v) ((u64)(v) << 16)                  /* Notification Vector */
#define PID_NDST(d) ((u64)(d) << 32)                /* Notification Destination (xAPIC ID in 15:8) */

/* 5.1.2.2 "Interrupt Requests in Remappable Format": address 31:20 0xFEE, 19:5 handle[14:0],
 * 4 interrupt format (1), 3 SHV, 2 handle[15]; data 15:0 subhandle when SHV, 31:16 reserved. */
#define MSI_REMAP(h, shv) (0xfee00000u | ((u32)(h) & 0x7fff) << 5 | BIT(4) | ((shv) ? BIT(3) : 0) | \
			   (((u32)(h) >> 15) & 1) << 2)

/* Interrupt-remapping fault reasons (Appendix "Non-Recoverable Fault Reason Encodings") */
#define FR_IR_REQ_RSVD 0x20  /* reserved field set in a remappable-format request */
#define FR_IR_INDEX 0x21     /* interrupt_index beyond the table size (IRTA.S) */
#define FR_IR_NOT_P 0x22     /* IRTE Present clear */
#define FR_IR_IRTE_RSVD 0x24 /* reserved field set in a present IRTE */
#define FR_IR_COMPAT 0x25    /* compatibility-format request blocked (IRE with CFIS=0, or EIME=1) */
#define FR_IR_SID 0x26       /* source-id verification failed */
#define FRCD_IR_INDEX(lo) ((lo) >> 48)              /* 10.4.14 FI: interrupt_index for IR faults */

/* Appendix "Non-Recoverable Fault Reason Encodings" (DMA remapping) */
#define FR_ROOT_P 0x1        /* root entry Present clear */
#define FR_CTX_P 0x2         /* context entry Present clear */
#define FR_CTX_INV 0x3       /* invalid programming of a context entry */
#define FR_AGAW 0x4          /* input address above 2^X - 1 (X = min(MGAW, AGAW)) */
#define FR_WRITE 0x5         /* write to a page without write permission */
#define FR_READ 0x6          /* read from a page without read permission */
#define FR_SLPTE_ACC 0x7     /* error accessing a second-level paging entry */
#define FR_ROOT_ACC 0x8      /* error accessing a root entry */
#define FR_CTX_ACC 0x9       /* error accessing a context entry */
#define FR_ROOT_RSVD 0xa     /* non-zero reserved field in a present root entry */
#define FR_CTX_RSVD 0xb      /* non-zero reserved field in a present context entry */
#define FR_SLPTE_RSVD 0xc    /* non-zero reserved field in a second-level paging entry with R or W */
#define FR_TT_BLOCKED 0xd    /* translation(-request) blocked by the context entry's TT */

#endif
