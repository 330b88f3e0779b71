/* Hooks between the VT-d unit code and the domain bookkeeping of iommu.c. */
#ifndef PASSAGE_IOMMU_INTERNAL_H
#define PASSAGE_IOMMU_INTERNAL_H

#include "iommu.h"

/* Counts a fault against its device and domain; returns the device's fault count. */
u64 iommu_fault_record(const struct iommu_fault *f, const char **owner);
void iommu_fault_overflow(u32 unit);
bool iommu_fault_held(void);
/* IR hook: the unit serving seg:sid (NULL if none) and the requester ID it sees. */
struct vtd_unit;
struct vtd_unit *iommu_dev_unit(u16 seg, u16 sid, u16 *alias);

#endif
