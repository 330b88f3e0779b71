/* VT-d internals shared by the files of iommu/: one struct per remapping unit. */
#ifndef PASSAGE_IOMMU_VTD_H
#define PASSAGE_IOMMU_VTD_H

#include "vtd_regs.h"
#include "lib/spinlock.h"
#include "lib/status.h"
#include "iommu.h"

#define VTD_TIMEOUT_US 100000     /* bound on every hardware wait: 100 ms */
#define VTD_QI_ENTRIES 256        /* one 4 KiB page of 128-bit descriptors (QS = 0) */
#define VTD_IQE_LIMIT 3           /* invalidation queue errors before the unit is stopped */

#define VTD_FAULT_IRQ_PASSES 2    /* passes over the fault records per fault interrupt (bounded work) */
#define VTD_FAULT_LOG_RING 16     /* fault lines kept for logging outside interrupt context */

/* A fault line waiting to be logged (the interrupt handler only counts and queues). */
struct vtd_fault_line {
	struct iommu_fault f;
	u64 n;                    /* the source's fault count when it happened */
	char owner[32];
};

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
	u32 iqe_count;            /* invalidation queue errors recovered from */
	bool failed;              /* stopped: invalidation no longer trusted, every request fails */

	u8 fault_vector;
	u32 fault_dest;           /* APIC ID the fault event message targets */
	u64 fault_irqs;           /* fault events taken (fault_irq) */
	u32 fault_irq_apic;       /* APIC ID of the CPU that took the last one */
	struct vtd_fault_line log[VTD_FAULT_LOG_RING];
	u32 log_head, log_tail;   /* ring of lines to log; under lock */
	u64 log_dropped;          /* lines that did not fit the ring */
	u64 faults;               /* primary fault records handled */
	u64 overflows;            /* FSTS.PFO seen */
	u64 inv_descs;            /* invalidation descriptors (or register commands) issued */
	u64 inv_page, inv_domain; /* IOTLB invalidations issued page-selective / domain-selective */
};

/*
 * Register access. In the hypervisor u->reg is the identity-mapped, uncached
 * register page. Host unit tests point u->reg at a buffer and see every write
 * through vtd_fake_write (tests/common/vtd_fake.h), which plays the hardware.
 */
#ifdef PASSAGE_HOST
void vtd_fake_write(const struct vtd_unit *u, u32 off, u64 v, u32 bytes);
#endif
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
#ifdef PASSAGE_HOST
	vtd_fake_write(u, off, v, 4);
#else
	*(volatile u32 *)(uintptr_t)(u->reg + off) = v;
#endif
}
static inline void vtd_write64(const struct vtd_unit *u, u32 off, u64 v)
{
#ifdef PASSAGE_HOST
	vtd_fake_write(u, off, v, 8);
#else
	*(volatile u64 *)(uintptr_t)(u->reg + off) = v;
#endif
}

/* The unit lock; the fault interrupt takes it too, so interrupts stay off while held. */
static inline u64 vtd_lock(struct vtd_unit *u)
{
#ifdef PASSAGE_HOST
	spin_lock(&u->lock); /* host tests run in user mode: no cli */
	return 0;
#else
	return spin_lock_irqsave(&u->lock);
#endif
}
static inline void vtd_unlock(struct vtd_unit *u, u64 flags)
{
#ifdef PASSAGE_HOST
	(void)flags;
	spin_unlock(&u->lock);
#else
	spin_unlock_irqrestore(&u->lock, flags);
#endif
}

/* vtd_unit.c */
status_t vtd_unit_probe(struct vtd_unit *u) IOMMU_MUST_CHECK;
status_t vtd_unit_take_ownership(struct vtd_unit *u) IOMMU_MUST_CHECK;
status_t vtd_unit_set_root(struct vtd_unit *u) IOMMU_MUST_CHECK;
status_t vtd_unit_enable_translation(struct vtd_unit *u) IOMMU_MUST_CHECK;
status_t vtd_gcmd(struct vtd_unit *u, u32 bit, bool on) IOMMU_MUST_CHECK;
status_t vtd_write_buffer_flush(struct vtd_unit *u) IOMMU_MUST_CHECK;
status_t vtd_simulate_firmware(struct vtd_unit *u) IOMMU_MUST_CHECK;
void vtd_flush_cache(const void *p, u64 len, const struct vtd_unit *u);
u32 vtd_agaw_bits(u64 cap, u32 want_levels);

/* vtd_inv.c: queued invalidation, or register-based when QI is absent */
status_t vtd_qi_enable(struct vtd_unit *u) IOMMU_MUST_CHECK;
status_t vtd_inv_context_global(struct vtd_unit *u) IOMMU_MUST_CHECK;
status_t vtd_inv_context_device(struct vtd_unit *u, u16 did, u16 sid) IOMMU_MUST_CHECK;
status_t vtd_inv_iotlb_global(struct vtd_unit *u) IOMMU_MUST_CHECK;
status_t vtd_inv_iotlb_domain(struct vtd_unit *u, u16 did) IOMMU_MUST_CHECK;
status_t vtd_inv_iotlb_range(struct vtd_unit *u, u16 did, u64 iova, u64 size) IOMMU_MUST_CHECK;
status_t vtd_inv_iec_global(struct vtd_unit *u) IOMMU_MUST_CHECK;
/* Test aid: submits one raw descriptor (and a wait) to the queue. */
status_t vtd_qi_submit_raw(struct vtd_unit *u, u64 lo, u64 hi) IOMMU_MUST_CHECK;
status_t vtd_qi_submit(struct vtd_unit *u, const struct vtd_inv_desc *d, u32 n) IOMMU_MUST_CHECK; /* IR */

/* vtd_fault.c */
status_t vtd_fault_init(struct vtd_unit *u) IOMMU_MUST_CHECK;
void vtd_fault_clear_all(struct vtd_unit *u);
u32 vtd_fault_poll(struct vtd_unit *u);
void vtd_fault_log_flush(struct vtd_unit *u);
status_t vtd_fault_target(struct vtd_unit *u, u32 apic_id) IOMMU_MUST_CHECK;
const char *vtd_fault_reason(u32 fr);

#endif
