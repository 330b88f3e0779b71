/* VT-d remapping hardware registers and table formats (Intel VT-d spec rev 4.1, chapters 9 and 11). */
#ifndef PASSAGE_IOMMU_VTD_REGS_H
#define PASSAGE_IOMMU_VTD_REGS_H

#include "lib/types.h"

/* 11.4: register offsets */
#define VER_REG 0x000       /* Version */
#define CAP_REG 0x008       /* Capability */
#define ECAP_REG 0x010      /* Extended Capability */
#define GCMD_REG 0x018      /* Global Command */
#define GSTS_REG 0x01c      /* Global Status */
#define RTADDR_REG 0x020    /* Root Table Address */
#define CCMD_REG 0x028      /* Context Command */
#define FSTS_REG 0x034      /* Fault Status */
#define FECTL_REG 0x038     /* Fault Event Control */
#define FEDATA_REG 0x03c    /* Fault Event Data */
#define FEADDR_REG 0x040    /* Fault Event Address */
#define FEUADDR_REG 0x044   /* Fault Event Upper Address */
#define AFLOG_REG 0x058     /* Advanced Fault Log */
#define PMEN_REG 0x064      /* Protected Memory Enable */
#define PLMBASE_REG 0x068   /* Protected Low-Memory Base */
#define PLMLIMIT_REG 0x06c  /* Protected Low-Memory Limit */
#define PHMBASE_REG 0x070   /* Protected High-Memory Base */
#define PHMLIMIT_REG 0x078  /* Protected High-Memory Limit */
#define IQH_REG 0x080       /* Invalidation Queue Head */
#define IQT_REG 0x088       /* Invalidation Queue Tail */
#define IQA_REG 0x090       /* Invalidation Queue Address */
#define ICS_REG 0x09c       /* Invalidation Completion Status */
#define IRTA_REG 0x0b8      /* Interrupt Remapping Table Address */
/* IOTLB registers live at ECAP.IRO * 16: IVA_REG at +0, IOTLB_REG at +8 (11.4.8) */
#define IVA_REG_OFF 0x0
#define IOTLB_REG_OFF 0x8

/* 11.4.2: CAP_REG */
#define CAP_ND(c) ((c) & 7)                        /* Number of domains: 2^(4 + 2*ND) */
#define CAP_RWBF BIT(4)                            /* Required Write-Buffer Flushing */
#define CAP_PLMR BIT(5)                            /* Protected Low-Memory Region */
#define CAP_PHMR BIT(6)                            /* Protected High-Memory Region */
#define CAP_CM BIT(7)                              /* Caching Mode */
#define CAP_SAGAW(c) (((c) >> 8) & 0x1f)           /* Supported Adjusted Guest Address Widths */
#define CAP_MGAW(c) ((((c) >> 16) & 0x3f) + 1)     /* Maximum Guest Address Width */
#define CAP_FRO(c) ((((c) >> 24) & 0x3ff) * 16)    /* Fault-recording Register offset */
#define CAP_SLLPS(c) (((c) >> 34) & 0xf)           /* Second Level Large Page Support */
#define CAP_PSI BIT(39)                            /* Page Selective Invalidation */
#define CAP_NFR(c) ((((c) >> 40) & 0xff) + 1)      /* Number of Fault-recording Registers */
#define CAP_MAMV(c) (((c) >> 48) & 0x3f)           /* Maximum Address Mask Value */
#define CAP_PI BIT(59)                             /* Posted Interrupts Support */
#define SAGAW_39 BIT(1)                            /* 39-bit AGAW, 3-level table */
#define SAGAW_48 BIT(2)                            /* 48-bit AGAW, 4-level table */
#define SAGAW_57 BIT(3)                            /* 57-bit AGAW, 5-level table */
#define SLLPS_2M BIT(0)
#define SLLPS_1G BIT(1)

/* 11.4.3: ECAP_REG */
#define ECAP_C BIT(0)                              /* Page-walk Coherency */
#define ECAP_QI BIT(1)                             /* Queued Invalidation support */
#define ECAP_DT BIT(2)                             /* Device-TLB support */
#define ECAP_IR BIT(3)                             /* Interrupt Remapping support */
#define ECAP_EIM BIT(4)                            /* Extended Interrupt Mode */
#define ECAP_PT BIT(6)                             /* Pass Through */
#define ECAP_SC BIT(7)                             /* Snoop Control */
#define ECAP_IRO(e) ((((e) >> 8) & 0x3ff) * 16)    /* IOTLB Register Offset */
#define ECAP_SMTS BIT(43)                          /* Scalable Mode Translation Support */

/* 11.4.4 / 11.4.5: GCMD_REG and GSTS_REG bits (same positions) */
#define GCMD_TE BIT(31)      /* Translation Enable */
#define GCMD_SRTP BIT(30)    /* Set Root Table Pointer (one-shot) */
#define GCMD_SFL BIT(29)     /* Set Fault Log (one-shot) */
#define GCMD_EAFL BIT(28)    /* Enable Advanced Fault Logging */
#define GCMD_WBF BIT(27)     /* Write Buffer Flush (one-shot) */
#define GCMD_QIE BIT(26)     /* Queued Invalidation Enable */
#define GCMD_IRE BIT(25)     /* Interrupt Remapping Enable */
#define GCMD_SIRTP BIT(24)   /* Set Interrupt Remap Table Pointer (one-shot) */
#define GCMD_CFI BIT(23)     /* Compatibility Format Interrupt */
#define GSTS_TES BIT(31)     /* Translation Enable Status */
#define GSTS_RTPS BIT(30)    /* Root Table Pointer Status */
#define GSTS_FLS BIT(29)
#define GSTS_AFLS BIT(28)
#define GSTS_WBFS BIT(27)    /* Write Buffer Flush Status */
#define GSTS_QIES BIT(26)    /* Queued Invalidation Enable Status */
#define GSTS_IRES BIT(25)    /* Interrupt Remapping Enable Status */
#define GSTS_IRTPS BIT(24)
#define GSTS_CFIS BIT(23)
/* Persistent enables to carry over when writing GCMD (11.4.4 programming note). */
#define GSTS_PERSISTENT (GSTS_TES | GSTS_QIES | GSTS_IRES | GSTS_CFIS | GSTS_AFLS)

/* 11.4.6: RTADDR_REG */
#define RTADDR_TTM_LEGACY (0ULL << 10) /* Translation Table Mode: legacy root/context */

/* 11.4.7: CCMD_REG */
#define CCMD_ICC BIT(63)                           /* Invalidate Context-Cache */
#define CCMD_CIRG_GLOBAL (1ULL << 61)
#define CCMD_CIRG_DOMAIN (2ULL << 61)
#define CCMD_CIRG_DEVICE (3ULL << 61)
#define CCMD_CAIG(r) (((r) >> 59) & 3)
#define CCMD_SID(s) ((u64)(s) << 16)
#define CCMD_DID(d) ((u64)(d))

/* 11.4.8.1: IOTLB_REG */
#define IOTLB_IVT BIT(63)                          /* Invalidate IOTLB */
#define IOTLB_IIRG_GLOBAL (1ULL << 60)
#define IOTLB_IIRG_DOMAIN (2ULL << 60)
#define IOTLB_IIRG_PAGE (3ULL << 60)
#define IOTLB_IAIG(r) (((r) >> 57) & 3)
#define IOTLB_DR BIT(49)                           /* Drain Reads */
#define IOTLB_DW BIT(48)                           /* Drain Writes */
#define IOTLB_DID(d) ((u64)(d) << 32)

/* 11.4.9: FSTS_REG */
#define FSTS_PFO BIT(0)      /* Primary Fault Overflow (RW1C) */
#define FSTS_PPF BIT(1)      /* Primary Pending Fault (RO) */
#define FSTS_AFO BIT(2)      /* Advanced Fault Overflow (RW1C) */
#define FSTS_APF BIT(3)      /* Advanced Pending Fault (RW1C) */
#define FSTS_IQE BIT(4)      /* Invalidation Queue Error (RW1C) */
#define FSTS_ICE BIT(5)      /* Invalidation Completion Error (RW1C) */
#define FSTS_ITE BIT(6)      /* Invalidation Time-out Error (RW1C) */
#define FSTS_FRI(f) (((f) >> 8) & 0xff) /* Fault Record Index */

/* 11.4.9.2: FECTL_REG */
#define FECTL_IM BIT(31)     /* Interrupt Mask */
#define FECTL_IP BIT(30)     /* Interrupt Pending */

/* 11.4.14: Fault Recording Registers, 128 bits each; bits of the upper 64-bit half */
#define FRCD_HI_F BIT(63)    /* Fault (RW1C) */
#define FRCD_HI_T1 BIT(62)   /* Type: 0 write, 1 read */
#define FRCD_HI_FR(h) (((h) >> 32) & 0xff)  /* Fault Reason */
#define FRCD_HI_SID(h) ((u16)(h))           /* Source Identifier */
#define FRCD_LO_FI(l) ((l) & ~0xfffULL)     /* Fault Info: page address */

/* 11.4.16: PMEN_REG */
#define PMEN_EPM BIT(31)     /* Enable Protected Memory */
#define PMEN_PRS BIT(0)      /* Protected Region Status */

/* 11.4.10: IQA_REG, ICS_REG */
#define IQA_QS(n) ((u64)(n))  /* Queue Size: 2^QS 4 KiB pages */
#define ICS_IWC BIT(0)        /* Invalidation Wait Descriptor Complete */

/* 9.1 / 9.3: root entry and (legacy) context entry, 128 bits each */
struct vtd_root_entry {
	u64 lo;              /* bit 0 P, bits 63:12 CTP (context-table pointer) */
	u64 hi;              /* reserved in legacy mode */
};
_Static_assert(sizeof(struct vtd_root_entry) == 16, "root entry is 128 bits");

struct vtd_context_entry {
	u64 lo;              /* bit 0 P, bit 1 FPD, bits 3:2 TT, bits 63:12 SLPTPTR */
	u64 hi;              /* bits 2:0 AW, bits 23:8 DID */
};
_Static_assert(sizeof(struct vtd_context_entry) == 16, "context entry is 128 bits");

#define ROOT_P BIT(0)
#define CTX_P BIT(0)
#define CTX_FPD BIT(1)                 /* Fault Processing Disable */
#define CTX_TT_UNTRANSLATED (0ULL << 2) /* untranslated requests through the SL table */
#define CTX_AW(aw) ((u64)(aw))         /* 1: 39-bit, 2: 48-bit, 3: 57-bit */
#define CTX_DID(d) ((u64)(d) << 8)

/* 9.8: second-level paging entries */
#define SL_R BIT(0)          /* Read */
#define SL_W BIT(1)          /* Write */
#define SL_PS BIT(7)         /* Page Size (2 MiB at level 2, 1 GiB at level 3) */
#define SL_ADDR_MASK 0x000ffffffffff000ULL

/* 6.5.2: invalidation descriptors (128-bit form) */
struct vtd_inv_desc {
	u64 lo;
	u64 hi;
};
_Static_assert(sizeof(struct vtd_inv_desc) == 16, "invalidation descriptor is 128 bits");

#define INV_CC 0x1                         /* 6.5.2.1 context-cache invalidate */
#define INV_IOTLB 0x2                      /* 6.5.2.3 IOTLB invalidate */
#define INV_IEC 0x4                        /* 6.5.2.7 interrupt entry cache invalidate */
#define INV_WAIT 0x5                       /* 6.5.2.8 invalidation wait */
#define INV_CC_G_GLOBAL (1ULL << 4)
#define INV_CC_G_DOMAIN (2ULL << 4)
#define INV_CC_G_DEVICE (3ULL << 4)
#define INV_CC_DID(d) ((u64)(d) << 16)
#define INV_CC_SID(s) ((u64)(s) << 32)
#define INV_IOTLB_G_GLOBAL (1ULL << 4)
#define INV_IOTLB_G_DOMAIN (2ULL << 4)
#define INV_IOTLB_G_PAGE (3ULL << 4)
#define INV_IOTLB_DR BIT(7)
#define INV_IOTLB_DW BIT(6)
#define INV_IOTLB_DID(d) ((u64)(d) << 16)
#define INV_IOTLB_AM(am) ((u64)(am))       /* in the high half, with ADDR 63:12 */
#define INV_WAIT_IF BIT(4)                 /* Interrupt Flag */
#define INV_WAIT_SW BIT(5)                 /* Status Write */
#define INV_WAIT_FN BIT(6)                 /* Fence */
#define INV_WAIT_DATA(d) ((u64)(d) << 32)

/* ---- Interrupt remapping (added for IR; kept at the end of the file to merge beside the reshape) ---- */

/* 11.4 (IRTA_REG): Interrupt Remapping Table Address Register */
#define IRTA_EIME BIT(11)                  /* Extended Interrupt Mode Enable (x2APIC 32-bit DST) */
#define IRTA_S(s) ((u64)(s) & 0xf)         /* Size: the table holds 2^(S+1) entries */
#define IRTA_ADDR_MASK 0xfffffffffffff000ULL
#define IRTA_MAX_ENTRIES 65536             /* S = 15 */

/* 6.5.2.7: interrupt entry cache invalidate descriptor (type INV_IEC) */
#define INV_IEC_G_INDEX BIT(4)             /* Granularity: 0 global, 1 index-selective */
#define INV_IEC_IM(m) ((u64)((m) & 0x1f) << 27) /* Index Mask: 2^IM entries from IIDX */
#define INV_IEC_IIDX(i) ((u64)((i) & 0xffff) << 32) /* Interrupt Index */

/* 11.4.14: in the fault record of an interrupt-remapping fault, FI bits 63:48 hold the index. */
#define FRCD_LO_IR_INDEX(l) ((u16)((l) >> 48))
/* Chapter 7, "Interrupt Remapping Fault Conditions": fault reasons 0x20-0x28 (0x27/0x28 with
 * posted interrupts; numbers checked against VirtualBox's transcription of the table, see
 * tests/platforms/bochs-vtd/README.md) */
#define FR_IR_FIRST 0x20
#define FR_IR_RESERVED_REQ 0x20            /* reserved field set in the interrupt request */
#define FR_IR_INDEX_OVER 0x21              /* index beyond the table size */
#define FR_IR_NOT_PRESENT 0x22             /* IRTE not present */
#define FR_IR_TABLE_ACCESS 0x23            /* error accessing the table (IRTA) */
#define FR_IR_RESERVED_IRTE 0x24           /* reserved field set in the IRTE */
#define FR_IR_COMPAT_BLOCKED 0x25          /* compatibility-format interrupt blocked */
#define FR_IR_SID_BLOCKED 0x26             /* source-id verification failed */
#define FR_IR_PID_ACCESS 0x27              /* error accessing the posted-interrupt descriptor */
#define FR_IR_PID_RESERVED 0x28            /* reserved field set in the posted-interrupt descriptor */
#define FR_IR_LAST 0x28

#endif
