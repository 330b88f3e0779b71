/* The one cache-maintenance rule for memory the VT-d unit reads: tables, queue descriptors, IRTEs. */
#ifndef PASSAGE_IOMMU_VTD_CACHE_H
#define PASSAGE_IOMMU_VTD_CACHE_H

#include "lib/types.h"

#define VTD_CACHE_LINE 64

/*
 * VT-d spec rev 4.1, 11.4.3 (ECAP_REG.C, Page-walk Coherency): when C is 0 the
 * unit's reads of root, context and interrupt-remapping entries and of paging
 * structures do not snoop the CPU caches, so software writes each changed
 * line back with CLFLUSH before the unit may read it. The queue descriptors
 * are flushed by the same rule (conservative: the spec does not exempt them).
 * The MFENCE makes every flush globally visible before the caller's next
 * store, in particular the MMIO write (IQT_REG, GCMD_REG) or the entry's P
 * bit that lets the unit read the data (Intel SDM vol. 2A, CLFLUSH: ordered
 * only against writes to the same line and fences).
 */
static inline void vtd_cache_flush(const void *p, u64 len, bool coherent)
{
	if (coherent || !len)
		return;
	u64 a = (u64)(uintptr_t)p & ~(u64)(VTD_CACHE_LINE - 1);
	for (; a < (u64)(uintptr_t)p + len; a += VTD_CACHE_LINE)
		__asm__ volatile("clflush (%0)" ::"r"(a) : "memory");
	__asm__ volatile("mfence" ::: "memory");
}

#endif
