/* Host page tables: an identity map of RAM and device ranges (Intel SDM Vol. 3A 4.5). */
#ifndef PASSAGE_ARCH_PAGING_H
#define PASSAGE_ARCH_PAGING_H

#include "lib/types.h"
#include "lib/status.h"

/* SDM Vol. 3A 4.5, tables 4-15..4-20: paging-structure entry bits. */
#define PTE_P BIT(0)     /* present */
#define PTE_RW BIT(1)    /* read/write */
#define PTE_PWT BIT(3)   /* page-level write-through */
#define PTE_PCD BIT(4)   /* page-level cache disable */
#define PTE_PS BIT(7)    /* page size (1 GiB in a PDPTE, 2 MiB in a PDE) */
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

#define MAP_RAM 0        /* write-back */
#define MAP_MMIO 1       /* uncacheable (PCD|PWT) */

/* Builds the host page tables covering [0, top) and switches CR3 to them. */
status_t paging_init(u64 top) MUST_CHECK;
/* Identity-maps [base, base+len) (no-op where already mapped). */
status_t paging_map(u64 base, u64 len, int type) MUST_CHECK;
u64 paging_cr3(void);
bool paging_has_1g(void);

#endif
