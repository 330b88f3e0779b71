/* The IOMMU interface the VMM uses: DMA domains, mappings, device attachment, fault counters. */
#ifndef PASSAGE_IOMMU_IOMMU_H
#define PASSAGE_IOMMU_IOMMU_H

#include "lib/types.h"
#include "lib/status.h"

/* Every status an iommu function returns must be looked at. */
#define IOMMU_MUST_CHECK MUST_CHECK /* lib/status.h */

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
	u64 addr;                 /* page address of the request; interrupt index for reasons 0x20-0x28 */
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
status_t iommu_init(const void *dmar, u32 len, const struct iommu_options *o) IOMMU_MUST_CHECK;
u32 iommu_units(void);

struct iommu_domain *iommu_domain_create(const char *name);
/*
 * Detaches the domain's devices and frees it. If an invalidation fails, its
 * tables and DID are leaked on purpose (a unit may still cache them) and the
 * status says so.
 */
status_t iommu_domain_destroy(struct iommu_domain *d) IOMMU_MUST_CHECK;
status_t iommu_map(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 perm) IOMMU_MUST_CHECK;
status_t iommu_unmap(struct iommu_domain *d, u64 iova, u64 size) IOMMU_MUST_CHECK;
status_t iommu_attach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn) IOMMU_MUST_CHECK;
status_t iommu_detach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn) IOMMU_MUST_CHECK;

/* Blocks DMA of devices nobody owns (bus mastering off) and turns translation on. */
status_t iommu_enable(void) IOMMU_MUST_CHECK;

/* Drains every unit's fault records (the fault interrupt does the same) and logs queued fault lines. */
u32 iommu_poll_faults(void);
/*
 * Logs the fault lines the fault interrupt queued (it only counts). Call it
 * outside interrupt context, e.g. from the boot CPU's idle or console path.
 */
void iommu_fault_log_flush(void);
/*
 * Aims every unit's fault interrupt at the CPU with this APIC ID: pick one
 * that keeps interrupts enabled (not one running a guest that may park with
 * IF=0). The vector is valid on every CPU.
 */
status_t iommu_set_fault_cpu(u32 apic_id) IOMMU_MUST_CHECK;
/* Logs, per unit, the fault records handled and which CPU took the fault interrupts. */
void iommu_report_fault_events(void);
u64 iommu_fault_total(void);
u64 iommu_overflow_total(void);
bool iommu_last_fault(struct iommu_fault *out);
u64 iommu_device_faults(u16 seg, u16 sid);
void iommu_domain_get_stats(const struct iommu_domain *d, struct iommu_domain_stats *s);
/* Logs each unit's domains and which devices belong to which domain. */
void iommu_report(void);

/* Interrupt remapping: per-device entries (the VMM's IR interface). */
#include "iommu_ir.h"

#endif
