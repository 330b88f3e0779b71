/* VT-d second-level page tables (spec 9.8): map, unmap, and page-table accounting. */
#ifndef PASSAGE_IOMMU_VTD_SLPT_H
#define PASSAGE_IOMMU_VTD_SLPT_H

#include "lib/types.h"
#include "lib/status.h"

struct slpt {
	u64 root;                 /* physical address of the top-level table */
	u32 levels;               /* 3 (39-bit) or 4 (48-bit) */
	u32 sllps;                /* CAP.SLLPS common to the units using it */
	bool coherent;            /* every unit snoops its walks (ECAP.C) */
	u64 pages;                /* table pages in use */
};

status_t slpt_init(struct slpt *t, u32 levels, u32 sllps, bool coherent) MUST_CHECK;
/*
 * Maps [iova, iova+size) to hpa with SL_R/SL_W permissions, using large pages
 * where allowed. *replaced (may be NULL) tells whether a present leaf or
 * superpage entry was overwritten or split: the caller must then invalidate.
 */
status_t slpt_map(struct slpt *t, u64 iova, u64 hpa, u64 size, u64 perm, bool *replaced) MUST_CHECK;
/* Clears [iova, iova+size), splitting large pages that are only partly covered. */
status_t slpt_unmap(struct slpt *t, u64 iova, u64 size) MUST_CHECK;
/* Looks up iova: returns the host address or ~0 when not mapped; *perm gets SL_R/SL_W. */
u64 slpt_lookup(const struct slpt *t, u64 iova, u64 *perm);
void slpt_destroy(struct slpt *t);

#endif
