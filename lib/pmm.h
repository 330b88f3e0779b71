/* Physical page allocator: free extents built from the boot memory map (host-testable). */
#ifndef PASSAGE_LIB_PMM_H
#define PASSAGE_LIB_PMM_H

#include "boot_info.h"
#include "status.h"

#define PMM_MAX_EXTENTS 512

struct pmm_extent {
	u64 base;               /* page aligned */
	u64 pages;
};

struct pmm {
	u32 nr;
	struct pmm_extent ext[PMM_MAX_EXTENTS]; /* sorted by base, never adjacent */
	u64 free_pages;
	u64 total_pages;        /* usable pages handed to the allocator at start */
	u64 lost_pages;         /* free pages that could not be recorded (table full): never handed out */
	u32 dropped_ranges;     /* usable ranges that did not fit at start */
};

/*
 * Builds the free extents: every MEM_USABLE range of the map, page aligned
 * inwards, minus page 0, minus the reserved ranges given (the image, modules,
 * and any boot data still in use), minus anything that overlaps a non-usable
 * range of the same map (firmware maps may overlap).
 */
void pmm_init(struct pmm *m, const struct boot_info *bi, const struct mem_range *reserved,
	      u32 nr_reserved);
/* Allocates n contiguous pages ending at or below max_addr (0: no limit), highest first. */
u64 pmm_alloc(struct pmm *m, u64 n, u64 max_addr);
void pmm_free(struct pmm *m, u64 base, u64 n);
/* Allocates n contiguous pages starting at a multiple of align (a power of two), below max_addr. */
u64 pmm_alloc_aligned(struct pmm *m, u64 n, u64 align, u64 max_addr);
/* Removes [base, base+len) from the free extents (e.g. memory found to be in use). */
void pmm_reserve(struct pmm *m, u64 base, u64 len);

/* The hypervisor's allocator. Returns zeroed pages, or 0 when out of memory. */
extern struct pmm pmm_global;
u64 pmm_alloc_pages(u64 n, u64 max_addr);
/* Zeroed, n pages aligned to align (guest RAM: 2 MiB for large EPT pages), or 0. */
u64 pmm_alloc_pages_aligned(u64 n, u64 align);
void pmm_free_pages(u64 base, u64 n);

#endif
