/* Interrupt-remapping table of one VT-d unit: memory, IRTA/SIRTP/EIME/IRE, entry allocation and live updates. */
#ifndef PASSAGE_IOMMU_VTD_IRT_H
#define PASSAGE_IOMMU_VTD_IRT_H

#include "vtd.h"
#include "vtd_irte.h"

struct vtd_irt {
	struct vtd_unit *u;
	struct vtd_irte *table;   /* 2^(S+1) entries, 4 KiB aligned */
	u32 entries;
	u32 used;                 /* entries handed out */
	u8 *in_use;               /* one byte per entry */
	bool eime;                /* x2APIC destinations (IRTA.EIME) */
	bool atomic16;            /* CMPXCHG16B available for live updates */
	spinlock_t lock;          /* allocation */
	u64 updates;              /* entries written */
	u64 iec_invs;             /* index-selective IEC invalidations waited for */
	struct vtd_irt *next;
};

/*
 * Boot hook (called from the unit start-up after QI and fault reporting are
 * up): allocates the table sized for the platform, programs IRTA with SIRTP,
 * invalidates the interrupt entry cache globally, blocks compatibility-format
 * interrupts (CFI clear) and sets IRE. A unit without ECAP.IR or QI is
 * reported and left without remapping (E_NOTSUP).
 */
status_t vtd_irt_start(struct vtd_unit *u) MUST_CHECK;
/* The table of a unit, NULL when remapping is not on there. */
struct vtd_irt *vtd_irt_of(const struct vtd_unit *u);
struct vtd_irt *vtd_irt_first(void);

status_t vtd_irt_alloc(struct vtd_irt *t, u16 *index) MUST_CHECK;
/* Programs entry index (present or not) atomically, flushes, invalidates it in the IEC and waits. */
status_t vtd_irt_write(struct vtd_irt *t, u16 index, struct vtd_irte e) MUST_CHECK;
/* Makes the entry not present (same ordering and invalidation) and frees it. */
status_t vtd_irt_free(struct vtd_irt *t, u16 index) MUST_CHECK;
/* Index-selective interrupt entry cache invalidation (6.5.2.7), waited for. */
status_t vtd_inv_iec_index(struct vtd_unit *u, u16 index) MUST_CHECK;

#endif
