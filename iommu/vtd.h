/* VT-d internals shared by the files of iommu/: one struct per remapping unit. */
#ifndef PASSAGE_IOMMU_VTD_H
#define PASSAGE_IOMMU_VTD_H

#include "vtd_regs.h"
#include "lib/spinlock.h"
#include "lib/status.h"

#define VTD_TIMEOUT_US 100000     /* bound on every hardware wait: 100 ms */
#define VTD_QI_ENTRIES 256        /* one 4 KiB page of 128-bit descriptors (QS = 0) */

struct vtd_unit {
	u32 index;
	u64 reg;                  /* register base (identity mapped, uncached) */
	u16 segment;
	bool include_all;         /* INCLUDE_PCI_ALL: serves every device no other unit lists */
	u32 ver;
	u64 cap, ecap;
	u32 iotlb_off;            /* ECAP.IRO * 16 */
	u32 frcd_off, nr_frcd;    /* fault recording registers */

	u64 root_table;           /* physical address of 256 root entries */
	spinlock_t lock;          /* serialises invalidation submission */

	bool qi;                  /* queued invalidation in use */
	u64 qi_base;              /* queue page */
	u32 qi_tail;              /* next free descriptor index */
	volatile u32 *qi_status;  /* wait-descriptor status word */
	u32 qi_seq;

	u8 fault_vector;
	u64 faults;               /* primary fault records handled */
	u64 overflows;            /* FSTS.PFO seen */
	u64 inv_descs;            /* invalidation descriptors (or register commands) issued */
};

/* Register access. */
static inline u32 vtd_read32(const struct vtd_unit *u, u32 off)
{
	return *(volatile u32 *)(uintptr_t)(u->reg + off);
}
static inline u64 vtd_read64(const struct vtd_unit *u, u32 off)
{
	return *(volatile u64 *)(uintptr_t)(u->reg + off);
}
static inline void vtd_write32(const struct vtd_unit *u, u32 off, u32 v)
{
	*(volatile u32 *)(uintptr_t)(u->reg + off) = v;
}
static inline void vtd_write64(const struct vtd_unit *u, u32 off, u64 v)
{
	*(volatile u64 *)(uintptr_t)(u->reg + off) = v;
}

/* vtd_unit.c */
status_t vtd_unit_probe(struct vtd_unit *u);
status_t vtd_unit_take_ownership(struct vtd_unit *u);
status_t vtd_unit_set_root(struct vtd_unit *u);
status_t vtd_unit_enable_translation(struct vtd_unit *u);
status_t vtd_gcmd(struct vtd_unit *u, u32 bit, bool on);
status_t vtd_simulate_firmware(struct vtd_unit *u);
void vtd_flush_cache(const void *p, u64 len, const struct vtd_unit *u);
u32 vtd_agaw_bits(u64 cap, u32 want_levels);

/* vtd_inv.c: queued invalidation, or register-based when QI is absent */
status_t vtd_qi_enable(struct vtd_unit *u);
status_t vtd_inv_context_global(struct vtd_unit *u);
status_t vtd_inv_context_device(struct vtd_unit *u, u16 did, u16 sid);
status_t vtd_inv_iotlb_global(struct vtd_unit *u);
status_t vtd_inv_iotlb_domain(struct vtd_unit *u, u16 did);
status_t vtd_inv_iotlb_range(struct vtd_unit *u, u16 did, u64 iova, u64 size);
status_t vtd_inv_iec_global(struct vtd_unit *u);
status_t vtd_qi_submit(struct vtd_unit *u, const struct vtd_inv_desc *d, u32 n); /* IR hook */

/* vtd_fault.c */
status_t vtd_fault_init(struct vtd_unit *u);
void vtd_fault_clear_all(struct vtd_unit *u);
u32 vtd_fault_poll(struct vtd_unit *u);
const char *vtd_fault_reason(u32 fr);

#endif
