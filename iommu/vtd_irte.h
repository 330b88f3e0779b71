/* Interrupt-remapping entries (remapped and posted), the posted-interrupt descriptor and remappable MSI/RTE encoders. */
#ifndef PASSAGE_IOMMU_VTD_IRTE_H
#define PASSAGE_IOMMU_VTD_IRTE_H

/*
 * Sources: Intel VT-d specification rev 4.1 (section numbers below are that
 * revision's): 5.1.2.2 remappable interrupt request format, 5.1.5.1 I/OxAPIC
 * RTE in remappable form, 9.10 IRTE for remapped interrupts, 9.11 IRTE for
 * posted interrupts, 9.12 posted-interrupt descriptor; and the Intel SDM
 * Vol. 3C, "Posted-Interrupt Processing" (table "Format of Posted-Interrupt
 * Descriptor"), which gives the CPU's view of the same 64-byte descriptor.
 * Everything here is pure C: the host unit test checks each field bit by bit.
 */

#include "vtd_regs.h"
#include "lib/types.h"
#include "arch/x86/pi_desc.h"

/* 9.10 / 9.11: one 128-bit entry, two 64-bit halves (lo = bits 63:0, hi = bits 127:64). */
struct vtd_irte {
	u64 lo;
	u64 hi;
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct vtd_irte) == 16, "IRTE is 128 bits");

/* Bits common to both formats */
#define IRTE_P BIT(0)                        /* Present */
#define IRTE_FPD BIT(1)                      /* Fault Processing Disable */
#define IRTE_AVAIL(a) ((u64)((a) & 0xf) << 8) /* Available to software, bits 11:8 */
#define IRTE_IM BIT(15)                      /* IRTE Mode: 0 remapped, 1 posted */
#define IRTE_VECTOR(v) ((u64)(u8)(v) << 16)  /* Vector, bits 23:16 */
/* High half (bits 127:64): source validation */
#define IRTE_HI_SID(s) ((u64)(u16)(s))      /* Source Identifier, bits 79:64 */
#define IRTE_HI_SQ(q) ((u64)((q) & 3) << 16) /* Source-id Qualifier, bits 81:80 */
#define IRTE_HI_SVT(t) ((u64)((t) & 3) << 18) /* Source Validation Type, bits 83:82 */

/* 9.10 remapped format only */
#define IRTE_DM BIT(2)                       /* Destination Mode: 1 logical */
#define IRTE_RH BIT(3)                       /* Redirection Hint */
#define IRTE_TM BIT(4)                       /* Trigger Mode: 1 level */
#define IRTE_DLM(m) ((u64)((m) & 7) << 5)    /* Delivery Mode, bits 7:5 */
#define IRTE_DST(d) ((u64)(u32)(d) << 32)    /* Destination ID, bits 63:32 */

/* 9.11 posted format only */
#define IRTE_URG BIT(14)                     /* Urgent */
#define IRTE_PDA_LO(pa) (((u64)(pa) & 0xffffffc0ULL) << 32) /* PDA[31:6] in bits 63:38 */
#define IRTE_HI_PDA_HI(pa) (((u64)(pa) >> 32) << 32) /* PDA[63:32] in bits 127:96 */

/* SVT values (9.10) */
#define SVT_NONE 0                           /* no source validation */
#define SVT_SID_SQ 1                         /* requester ID must equal SID under the SQ mask */
#define SVT_BUS 2                            /* requester bus within SID[15:8]..SID[7:0] */
/* DLM values (9.10, same encoding as the MSI data register) */
#define DLM_FIXED 0
#define DLM_LOWEST 1
#define DLM_SMI 2
#define DLM_NMI 4
#define DLM_INIT 5
#define DLM_EXTINT 7

struct vtd_irte_remapped {
	u8 vector;
	u32 dest;                 /* APIC ID (x2APIC ID when x2apic) */
	bool x2apic;              /* EIME: 32-bit DST; otherwise DST = apic_id << 8 (9.10) */
	bool logical, redirect_hint, level, fpd;
	u8 delivery;              /* DLM_* */
	u8 avail;
	u16 sid;
	u8 sq, svt;
};

struct vtd_irte_posted {
	u8 vector;                /* the guest's vector, posted into PIR */
	u64 pda;                  /* physical address of the 64-byte-aligned descriptor */
	bool urgent, fpd;
	u8 avail;
	u16 sid;
	u8 sq, svt;
};

/* Destination ID field as 9.10 defines it: xAPIC ID in DST[15:8], or the full x2APIC ID. */
u32 vtd_irte_dst(u32 apic_id, bool x2apic);
/* Encoders: a present entry of each format (E_INVAL-free: callers validate ranges). */
struct vtd_irte vtd_irte_remapped(const struct vtd_irte_remapped *r);
struct vtd_irte vtd_irte_posted(const struct vtd_irte_posted *p);

/* 9.12: the posted-interrupt descriptor is the CPU's (arch/x86/pi_desc.h: struct pi_desc, PID_*).
 * Its control word for a notification vector and destination (NDST = apic_id << 8 in xAPIC mode). */
u64 vtd_pid_ctl(u8 nv, u32 apic_id, bool x2apic, bool sn);

/* 5.1.2.2: remappable-format MSI address and data. */
#define MSI_ADDR_BASE 0xfee00000u
#define MSI_ADDR_IF_REMAP BIT(4)              /* Interrupt Format: 1 remappable */
#define MSI_ADDR_SHV BIT(3)                   /* SubHandle Valid */
u32 vtd_msi_remap_addr(u16 handle, bool shv);
/* With SHV the data's subhandle (bits 15:0) is added to the handle; bits 31:16 must be 0. */
u32 vtd_msi_remap_data(u16 subhandle);

/* 5.1.5.1: I/OxAPIC redirection table entry in remappable form. */
#define RTE_IF_REMAP BIT(48)                  /* Interrupt Format */
#define RTE_MASK BIT(16)
#define RTE_LEVEL BIT(15)                     /* Trigger Mode */
#define RTE_ACTIVE_LOW BIT(13)                /* Interrupt Input Pin Polarity */
/* vector should equal the IRTE's vector (5.1.5.1: the IOxAPIC uses it to match EOIs). */
u64 vtd_ioapic_rte_remap(u16 handle, u8 vector, bool level, bool active_low, bool masked);

/* 6.5.2.7: interrupt entry cache invalidation, global or of 2^im entries from index. */
struct vtd_inv_desc vtd_iec_desc(bool global, u16 index, u8 im);

/*
 * Writes e into the live table slot so the unit never reads half an entry
 * (DESIGN.md pitfalls; VT-d 9.10 note on updating present entries).
 * sync(ctx) must make the slot visible to the unit and wait until the unit
 * dropped what it cached for it (cache-line flush when ECAP.C=0, then an
 * index-selective IEC invalidation, waited for); its status is returned.
 *  - slot not present: high half first, then the low half with P (one sync);
 *  - present, CPU has CMPXCHG16B: one 16-byte atomic store (one sync);
 *  - present, no CMPXCHG16B (fallback): clear P, sync, write the high half,
 *    then the low half with P, sync. A device interrupting between the two
 *    syncs is blocked with a not-present fault (0x22): the fallback never
 *    shows a torn entry, but it can drop that interrupt.
 */
typedef int (*vtd_irte_sync_fn)(void *ctx);
int vtd_irte_update(volatile struct vtd_irte *slot, struct vtd_irte e, bool atomic16,
		    vtd_irte_sync_fn sync, void *ctx);

#endif
