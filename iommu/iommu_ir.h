/* The VMM's interrupt-remapping interface: IRTE allocation per device, remapped entries, the MSI to program. */
#ifndef PASSAGE_IOMMU_IOMMU_IR_H
#define PASSAGE_IOMMU_IOMMU_IR_H

/* (Lead: fold into iommu/iommu.h after the iommu split; kept apart so both land without conflict.) */

#include "lib/types.h"
#include "lib/status.h"

struct vtd_irt;

/* One interrupt-remapping entry owned by one PCI function (contents private to iommu/). */
struct iommu_irq {
	struct vtd_irt *irt;
	u16 index;                /* the handle in the remappable MSI address */
	u16 seg, sid;             /* the function that owns the entry */
	u16 src;                  /* source-id validated: SID, or bus range for SVT=2 */
	u8 sq, svt;
};

/* True when interrupt remapping is on for at least one unit. */
bool iommu_ir_enabled(void);
/*
 * Allocates an entry on the unit serving seg:sid, with the source validation
 * the function needs (its own requester ID; the bus of a PCIe-to-PCI bridge's
 * alias when it sits behind one). E_NOTSUP when no unit with remapping serves
 * it (the message says why).
 */
status_t iommu_irq_alloc(u16 seg, u16 sid, struct iommu_irq *h) MUST_CHECK;
/* Programs (or live-updates) the entry: fixed delivery, physical destination apic_id, edge. */
status_t iommu_irq_remap(const struct iommu_irq *h, u8 vector, u32 apic_id) MUST_CHECK;
/* Programs (or live-updates) the entry in posted format (IM=1): the guest's vector into the
 * 64-byte-aligned descriptor at pid_pa. E_INVAL when the unit lacks CAP.PI. */
status_t iommu_irq_post(const struct iommu_irq *h, u8 vector, u64 pid_pa) MUST_CHECK;
/* True when every unit with interrupt remapping runs it with EIME (x2APIC destinations). */
bool iommu_ir_eime(void);
/* True when interrupt remapping is on and every unit with it reports CAP.PI (VT-d posting). */
bool iommu_ir_posting(void);
/* Why VT-d posting is unavailable ("no unit remaps interrupts", "unit N reports CAP.PI=0"), NULL when it is. */
const char *iommu_ir_posting_gap(void);
/* The remappable-format message the device must send for this entry (5.1.2.2, SHV = 0). */
void iommu_irq_msi(const struct iommu_irq *h, u64 *addr, u32 *data);
status_t iommu_irq_free(struct iommu_irq *h) MUST_CHECK;
/* The index of the unit holding the entry (for reports). */
u32 iommu_irq_unit(const struct iommu_irq *h);
/* True when every unit with remapping reports IRES=1 and CFIS=0 (compatibility format blocked). */
bool iommu_ir_blocks_compat(void);
/* Logs each unit's table use and update/invalidation counts. */
void iommu_ir_report(void);

/* Self-test only: programs the entry with an explicit source-id policy (to prove validation). */
#define IOMMU_SVT_SID 1           /* requester ID equal to src (SQ masks low bits) */
#define IOMMU_SVT_BUS 2           /* requester bus within src[15:8]..src[7:0] */
status_t iommu_irq_remap_source(const struct iommu_irq *h, u8 vector, u32 apic_id, u16 src, u8 sq,
				u8 svt) MUST_CHECK;

#endif
