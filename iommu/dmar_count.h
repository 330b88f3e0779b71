/* Counts the remapping units (DRHD structures) of a DMAR table, for the boot report. */
#ifndef PASSAGE_IOMMU_DMAR_COUNT_H
#define PASSAGE_IOMMU_DMAR_COUNT_H

#include "lib/types.h"

/* Returns the number of DRHD structures, or -1 if the table is malformed. */
int dmar_count_units(const void *dmar, u32 len);

#endif
