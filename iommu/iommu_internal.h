/* State shared by the files of iommu/: units, devices and their alias groups, domains. */
#ifndef PASSAGE_IOMMU_INTERNAL_H
#define PASSAGE_IOMMU_INTERNAL_H

#include "iommu.h"
#include "iommu_test.h"
#include "dmar.h"
#include "vtd.h"
#include "vtd_slpt.h"

struct pci_dev;

struct iommu_domain {
	char name[32];
	u16 did;
	struct slpt pt;
	u64 faults;
	u64 inv_descs;
	u32 devices;
	struct iommu_domain *next;
};

/*
 * Devices whose DMA reaches the unit with one requester ID (functions behind
 * one PCIe-to-PCI bridge take the bridge's ID, VT-d 3.4.1 / PCIe-to-PCI bridge
 * spec 2.3): the unit cannot tell them apart, so they share one context entry,
 * must share one domain, and their faults are counted for the group.
 */
struct iommu_alias_group {
	u16 seg;
	u16 alias;                /* the shared requester ID */
	u32 members;              /* devices using this alias */
	u32 attached;             /* members attached to dom */
	struct iommu_domain *dom; /* domain the alias context entry points at, or NULL */
	u64 faults;               /* faults carrying the alias */
};

struct iommu_dev {
	u16 seg;
	u16 sid;                  /* the function's own bus:dev.fn */
	u16 alias;                /* requester ID the unit sees (differs behind PCIe-to-PCI bridges) */
	struct vtd_unit *unit;    /* NULL: no usable unit serves it (see listed_unit) */
	s32 listed_unit;          /* unit whose scope lists it though that unit failed, else -1 */
	const struct dmar_unit *lost; /* no unit: listed by (or, INCLUDE_PCI_ALL, left to) a DRHD at an unusable base */
	struct iommu_alias_group *group; /* NULL unless the alias differs from sid */
	struct iommu_domain *dom;
	u64 faults;
	bool rmrr;
};

struct iommu_state {
	struct dmar_info dmar;
	bool no_qi;
	bool ir;                  /* interrupt remapping wanted (vtd=ir) */
	u32 max_iova_bits;        /* min over units of MGAW and the table's AGAW */
	struct vtd_unit *units;
	u32 nr_units;
	u32 levels, sllps;
	bool coherent, caching_mode;
	u32 nr_dids;
	u8 *did_used;             /* 1 in use, 2 leaked (invalidation failed: never reused) */
	struct iommu_domain *domains;
	struct iommu_dev *devs;
	u32 nr_devs;
	u8 *bme_was_on;           /* per PCI function: Bus Master Enable found on at take-over */
	struct iommu_alias_group *groups;
	u32 nr_groups;
	u64 fault_total, overflow_total, unknown_faults;
	struct iommu_fault last;
	bool have_last, enabled, hold_faults;
};

extern struct iommu_state io;

/* A unit in use (probed, owned and started). */
static inline bool unit_usable(const struct vtd_unit *u)
{
	return u->reg != 0;
}

void *iommu_page_alloc(size_t bytes, void *ctx);

/* iommu_dev.c: DMAR scopes -> units, alias groups, unowned devices */
bool iommu_scope_covers(u16 seg, const struct dmar_scopes *sc, const struct pci_dev *d);
status_t iommu_devices_init(void) IOMMU_MUST_CHECK;
struct iommu_dev *iommu_dev_find(u16 seg, u16 sid);
void iommu_block_unowned(void);
status_t iommu_quiesce(void) IOMMU_MUST_CHECK;
u32 iommu_count_mastering(void);
void iommu_simulate_mastering(void);
void iommu_report_unit_gaps(void);

/* iommu_domain.c */
status_t iommu_context_set(struct vtd_unit *u, u16 sid, struct iommu_domain *d) IOMMU_MUST_CHECK;

/* vtd_fault.c -> iommu_dev.c: counts a fault against its device (or alias group) and domain. */
u64 iommu_fault_record(const struct iommu_fault *f, const char **owner);
void iommu_fault_overflow(u32 unit);
bool iommu_fault_held(void);
/* iommu_dev.c -> iommu_ir.c: the unit serving seg:sid (NULL if none) and the requester ID it sees. */
struct vtd_unit *iommu_dev_unit(u16 seg, u16 sid, u16 *alias);

#endif
