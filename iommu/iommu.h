/* The IOMMU interface the VMM uses: DMA domains, mappings, device attachment, fault counters. */
#ifndef PASSAGE_IOMMU_IOMMU_H
#define PASSAGE_IOMMU_IOMMU_H

#include "lib/types.h"
#include "lib/status.h"

#define IOMMU_READ BIT(0)
#define IOMMU_WRITE BIT(1)

struct iommu_domain;

struct iommu_options {
	bool simulate_firmware;   /* vtd=preenable: leave units on as firmware might, first */
	u32 max_levels;           /* 0: best the hardware offers; 3 forces 39-bit tables */
	bool no_qi;               /* register-based invalidation even where QI exists */
	bool ir;                  /* IR hook: interrupt remapping on every unit that has it (vtd=ir) */
};

struct iommu_fault {
	u16 seg;
	u16 sid;                  /* source-id bus:dev.fn as the unit saw it */
	u64 addr;                 /* page address of the request; interrupt index for reasons 0x20-0x26 */
	bool write;
	u8 reason;
	u32 unit;
};

struct iommu_domain_stats {
	u16 did;
	u32 levels;               /* second-level table depth */
	u64 table_pages;          /* pages of second-level tables */
	u64 faults;
	u64 inv_descs;            /* invalidation descriptors issued for this domain */
	u32 devices;
};

/* Number of valid remapping units (DRHDs) a DMAR table lists, -1 if its header is unusable. */
int iommu_dmar_units(const void *dmar, u32 len);

/* Parses the DMAR table, takes ownership of every unit; translation stays off until iommu_enable. */
status_t iommu_init(const void *dmar, u32 len, const struct iommu_options *o);
u32 iommu_units(void);

struct iommu_domain *iommu_domain_create(const char *name);
void iommu_domain_destroy(struct iommu_domain *d);
status_t iommu_map(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 perm);
status_t iommu_unmap(struct iommu_domain *d, u64 iova, u64 size);
status_t iommu_attach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn);
status_t iommu_detach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn);

/* Blocks DMA of devices nobody owns (bus mastering off) and turns translation on. */
status_t iommu_enable(void);

/* Drains every unit's fault records (the fault interrupt does the same). */
u32 iommu_poll_faults(void);
u64 iommu_fault_total(void);
u64 iommu_overflow_total(void);
bool iommu_last_fault(struct iommu_fault *out);
u64 iommu_device_faults(u16 seg, u16 sid);
void iommu_domain_get_stats(const struct iommu_domain *d, struct iommu_domain_stats *s);
/* Logs each unit's domains and which devices belong to which domain. */
void iommu_report(void);

/*
 * Self-test only: rewrites the leaf entries of [iova, iova+size) to hpa
 * without invalidating, to show that the hardware caches translations.
 */
status_t iommu_remap_no_invalidate(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 perm);
/* Self-test only: while held, fault interrupts leave the records full (to provoke overflow). */
void iommu_fault_hold(bool hold);
/* Self-test only: a domain whose tables use at most 2 MiB pages (page-table figures). */
struct iommu_domain *iommu_domain_create_2m(const char *name);
/* Invalidates the IOTLB for a range of the domain on every unit. */
status_t iommu_flush_range(struct iommu_domain *d, u64 iova, u64 size);

#endif
