/* Self-test-only hooks into the IOMMU (selftest/ uses them; the VMM never does). */
#ifndef PASSAGE_IOMMU_IOMMU_TEST_H
#define PASSAGE_IOMMU_IOMMU_TEST_H

#include "iommu.h"

/*
 * Rewrites the leaf entries of [iova, iova+size) to hpa without invalidating,
 * to show that the hardware caches translations.
 */
status_t iommu_remap_no_invalidate(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 perm)
	IOMMU_MUST_CHECK;
/* While held, fault interrupts leave the records full (to provoke overflow). */
void iommu_fault_hold(bool hold);
/* A domain whose tables use at most 2 MiB pages (page-table figures). */
struct iommu_domain *iommu_domain_create_2m(const char *name);
/* Invalidates the IOTLB for a range of the domain on every unit. */
status_t iommu_flush_range(struct iommu_domain *d, u64 iova, u64 size) IOMMU_MUST_CHECK;
/* Kinds of IOTLB invalidation issued so far on every unit: page-selective and domain-selective. */
void iommu_inv_kinds(u64 *page, u64 *domain);
/*
 * Fault-recording registers (CAP.NFR + 1, VT-d spec 11.4.2 / 10.4.2) of the unit
 * serving seg:sid, that unit's index in *unit; 0 when no usable unit serves it.
 */
u32 iommu_test_fault_records(u16 seg, u16 sid, u32 *unit);
/*
 * Submits a descriptor of type 0 (none is defined) on every unit using queued
 * invalidation. OK if every such unit rejected it (IQE) and recovered;
 * E_NOTSUP if no unit uses the queue.
 */
status_t iommu_test_bad_descriptor(void) IOMMU_MUST_CHECK;

#endif
