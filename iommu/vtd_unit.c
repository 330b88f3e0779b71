/* One VT-d remapping unit: capabilities, taking it over from firmware, root table, translation enable. */
#include "vtd.h"
#include "vtd_cache.h"
#include "arch/x86/paging.h"
#include "arch/x86/tsc.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

/* Flushes CPU cache lines holding structures the unit reads (vtd_cache.h states the rule). */
void vtd_flush_cache(const void *p, u64 len, const struct vtd_unit *u)
{
	vtd_cache_flush(p, len, (u->ecap & ECAP_C) != 0);
}

static IOMMU_MUST_CHECK status_t wait_gsts(struct vtd_unit *u, u32 bit, bool set)
{
	u64 end = tsc_now_us() + VTD_TIMEOUT_US;
	while (((vtd_read32(u, GSTS_REG) & bit) != 0) != set)
		if (tsc_now_us() > end)
			return E_TIMEDOUT;
	return OK;
}

/*
 * 11.4.4: GCMD takes one command per write; software reads GSTS, keeps the
 * persistent enables, sets or clears one bit, then waits for GSTS to follow.
 */
status_t vtd_gcmd(struct vtd_unit *u, u32 bit, bool on)
{
	u32 cmd = vtd_read32(u, GSTS_REG) & GSTS_PERSISTENT;
	cmd = on ? cmd | bit : cmd & ~bit;
	vtd_write32(u, GCMD_REG, cmd);
	/* One-shot commands report completion by their status bit becoming set. */
	status_t st = wait_gsts(u, bit, on);
	if (st)
		LOG("vtd", "unit %u: GCMD bit %u did not %s", u->index, __builtin_ctz(bit),
		    on ? "take effect" : "clear");
	return st;
}

/* AGAW for the page-table levels wanted (3 or 4), or 0 if SAGAW lacks it. */
u32 vtd_agaw_bits(u64 cap, u32 want_levels)
{
	u32 sagaw = CAP_SAGAW(cap);
	if (want_levels == 4 && (sagaw & SAGAW_48))
		return 48;
	if (want_levels == 3 && (sagaw & SAGAW_39))
		return 39;
	return 0;
}

static void log_summary(const struct vtd_unit *u)
{
	u64 c = u->cap, e = u->ecap;
	u32 sl = CAP_SLLPS(c);
	LOG("vtd", "unit %u at 0x%lx seg %u: VT-d %u.%u, SAGAW 0x%x, MGAW %u, superpages %s%s, "
	    "%u domains, QI %s, IR %s, EIM %s, PI %s, C %s, CM %s, PSI %s, %u fault records",
	    u->index, u->reg, u->segment, (u->ver >> 4) & 0xf, u->ver & 0xf, (u32)CAP_SAGAW(c),
	    (u32)CAP_MGAW(c), sl & SLLPS_2M ? "2M" : "none", sl & SLLPS_1G ? "+1G" : "",
	    1u << (4 + 2 * CAP_ND(c)), e & ECAP_QI ? "yes" : "no", e & ECAP_IR ? "yes" : "no",
	    e & ECAP_EIM ? "yes" : "no", c & CAP_PI ? "yes" : "no", e & ECAP_C ? "yes" : "no",
	    c & CAP_CM ? "yes" : "no", c & CAP_PSI ? "yes" : "no", u->nr_frcd);
}

status_t vtd_unit_probe(struct vtd_unit *u)
{
	if (paging_map(u->reg, PAGE_SIZE, MAP_MMIO))
		return E_NOMEM;
	u->ver = vtd_read32(u, VER_REG);
	u->cap = vtd_read64(u, CAP_REG);
	u->ecap = vtd_read64(u, ECAP_REG);
	if (u->ver == 0xffffffff || u->cap == ~0ULL) {
		LOG("vtd", "unit %u at 0x%lx: registers read all ones; unit ignored", u->index, u->reg);
		return E_IO;
	}
	u->iotlb_off = ECAP_IRO(u->ecap);
	u->frcd_off = CAP_FRO(u->cap);
	u->nr_frcd = CAP_NFR(u->cap);
	u64 span = MAX(u->iotlb_off + 16, u->frcd_off + 16 * u->nr_frcd);
	if (span > PAGE_SIZE && paging_map(u->reg, span, MAP_MMIO))
		return E_NOMEM;
	log_summary(u);
	return OK;
}

/* 10.4.16: protected memory regions block DMA to their ranges even with translation off. */
static IOMMU_MUST_CHECK status_t disable_pmr(struct vtd_unit *u)
{
	if (!(u->cap & (CAP_PLMR | CAP_PHMR)) || !(vtd_read32(u, PMEN_REG) & PMEN_EPM))
		return OK;
	LOG("vtd", "unit %u: protected memory regions enabled by firmware; disabling", u->index);
	vtd_write32(u, PMEN_REG, 0);
	u64 end = tsc_now_us() + VTD_TIMEOUT_US;
	while (vtd_read32(u, PMEN_REG) & PMEN_PRS)
		if (tsc_now_us() > end)
			return E_TIMEDOUT;
	return OK;
}

/* The earlier stage's queue: base, descriptor size (IQA_REG.DW: 128 or 256 bits), entries. */
struct foreign_queue {
	u64 base;
	u32 shift, entries;
	volatile u32 *status;     /* Passage's status page for the wait descriptors */
};

static u64 *foreign_slot(const struct foreign_queue *q, u32 i)
{
	return (u64 *)(uintptr_t)(q->base + ((u64)(i % q->entries) << q->shift));
}

/* Writes an Invalidation Wait (status write of data into *status + word) into slot i. */
static void foreign_wait(struct vtd_unit *u, const struct foreign_queue *q, u32 i, u32 data, u32 word)
{
	u64 *d = foreign_slot(q, i);
	memset(d, 0, 1u << q->shift);
	d[1] = (u64)(uintptr_t)(q->status + word);
	d[0] = INV_WAIT | INV_WAIT_SW | INV_WAIT_FN | INV_WAIT_DATA(data);
	vtd_flush_cache(d, 1u << q->shift, u);
}

/*
 * 6.5.2.10: a descriptor the earlier stage left rejected (FSTS.IQE) sits at
 * IQH and would be fetched again once IQE is cleared: replace it first.
 */
static void replace_foreign_head(struct vtd_unit *u, const struct foreign_queue *q)
{
	u32 head = (u32)(vtd_read64(u, IQH_REG) >> q->shift) % q->entries;
	LOG("vtd", "unit %u: the earlier stage's descriptor %u (0x%lx 0x%lx) was rejected (IQE); "
	    "replaced", u->index, head, foreign_slot(q, head)[0], foreign_slot(q, head)[1]);
	foreign_wait(u, q, head, 0, 1);
}

/*
 * 6.5.2.8 / 11.4.4.1: before QIE is cleared, everything queued must have
 * completed; an Invalidation Wait with Fence, appended to the queue the earlier
 * stage left, proves it.
 */
static IOMMU_MUST_CHECK status_t drain_foreign_queue(struct vtd_unit *u, const struct foreign_queue *q)
{
	u32 tail = (u32)(vtd_read64(u, IQT_REG) >> q->shift) % q->entries;
	foreign_wait(u, q, tail, 1, 0);
	vtd_write64(u, IQT_REG, (u64)((tail + 1) % q->entries) << q->shift);
	u64 end = tsc_now_us() + VTD_TIMEOUT_US;
	while (*q->status != 1) {
		u32 fsts = vtd_read32(u, FSTS_REG);
		if (fsts & (FSTS_IQE | FSTS_ITE | FSTS_ICE)) {
			LOG("vtd", "unit %u: invalidation error while draining (FSTS 0x%x)", u->index, fsts);
			return E_IO;
		}
		if (tsc_now_us() > end)
			return E_TIMEDOUT;
	}
	return OK;
}

/*
 * Whatever an earlier stage left running is turned off in a safe order
 * (review D3): stale error status first (after replacing a rejected
 * descriptor), then translation (the caller has stopped bus mastering),
 * interrupt remapping, the queue (drained), protected memory regions.
 */
status_t vtd_unit_take_ownership(struct vtd_unit *u)
{
	u32 gsts = vtd_read32(u, GSTS_REG);
	struct foreign_queue q = { 0 };
	u64 status_page = 0;
	status_t st = OK;
	if (gsts & GSTS_QIES) {
		u64 iqa = vtd_read64(u, IQA_REG);
		q.base = iqa & ~0xfffULL;
		q.shift = (iqa & BIT(11)) ? 5 : 4;
		q.entries = (u32)((PAGE_SIZE << (iqa & 7)) >> q.shift);
		if (!(status_page = pmm_alloc_pages(1, 0)))
			return E_NOMEM;
		q.status = (volatile u32 *)(uintptr_t)status_page;
		if (vtd_read32(u, FSTS_REG) & FSTS_IQE)
			replace_foreign_head(u, &q);
	}
	vtd_fault_clear_all(u);
	if (gsts & GSTS_TES) {
		LOG("vtd", "unit %u: translation was enabled by an earlier stage; disabling", u->index);
		st = vtd_gcmd(u, GCMD_TE, false);
	}
	if (!st && (gsts & GSTS_IRES)) {
		LOG("vtd", "unit %u: interrupt remapping was enabled by an earlier stage; disabling",
		    u->index);
		st = vtd_gcmd(u, GCMD_IRE, false);
	}
	if (!st && (gsts & GSTS_QIES)) {
		LOG("vtd", "unit %u: queued invalidation was enabled by an earlier stage; disabling",
		    u->index);
		st = drain_foreign_queue(u, &q);
		if (st)
			LOG("vtd", "unit %u: the earlier stage's invalidation queue did not drain",
			    u->index);
		else
			st = vtd_gcmd(u, GCMD_QIE, false);
	}
	if (!st)
		st = disable_pmr(u);
	if (status_page && st != E_TIMEDOUT) /* a late status write may still land after a time-out */
		pmm_free_pages(status_page, 1);
	if (st) {
		LOG("vtd", "unit %u: could not take ownership (%s)", u->index, status_str(st));
		return st;
	}
	vtd_fault_clear_all(u);
	return OK;
}

status_t vtd_unit_set_root(struct vtd_unit *u)
{
	if (!u->root_table && !(u->root_table = pmm_alloc_pages(1, 0)))
		return E_NOMEM;
	vtd_flush_cache((void *)(uintptr_t)u->root_table, PAGE_SIZE, u);
	vtd_write64(u, RTADDR_REG, u->root_table | RTADDR_TTM_LEGACY);
	/* 11.4.4: SRTP latches RTADDR; RTPS reports completion. */
	status_t st = vtd_gcmd(u, GCMD_SRTP, true);
	if (st)
		return st;
	/* 6.5.3: after a new root table, invalidate the context cache, then the IOTLB, globally. */
	if ((st = vtd_inv_context_global(u)) == OK)
		st = vtd_inv_iotlb_global(u);
	return st;
}

/*
 * 6.8: on units with CAP.RWBF=1 the chipset may hold writes to remapping
 * structures in a write buffer; software flushes it after every update of
 * root, context or paging entries, before any invalidation or enable that
 * relies on the update. Units with RWBF=0 need nothing.
 */
status_t vtd_write_buffer_flush(struct vtd_unit *u)
{
	if (!(u->cap & CAP_RWBF))
		return OK;
	u64 f = vtd_lock(u);
	vtd_write32(u, GCMD_REG, (vtd_read32(u, GSTS_REG) & GSTS_PERSISTENT) | GCMD_WBF);
	status_t st = wait_gsts(u, GSTS_WBFS, false); /* WBFS clears when the flush is done */
	vtd_unlock(u, f);
	if (st)
		LOG("vtd", "unit %u: write-buffer flush did not complete", u->index);
	return st;
}

status_t vtd_unit_enable_translation(struct vtd_unit *u)
{
	status_t st = vtd_write_buffer_flush(u);
	return st ? st : vtd_gcmd(u, GCMD_TE, true);
}

/*
 * Test aid (command line vtd=preenable): leaves the unit as a previous boot
 * stage might, translating through an empty root table with queued
 * invalidation on and a rejected descriptor at IQH (FSTS.IQE set), so that
 * ownership has real work to do. iommu.c also turns every device's bus
 * mastering on.
 */
status_t vtd_simulate_firmware(struct vtd_unit *u)
{
	u64 root = pmm_alloc_pages(1, 0), queue = pmm_alloc_pages(1, 0);
	if (!root || !queue)
		return E_NOMEM;
	vtd_write64(u, RTADDR_REG, root);
	status_t st = vtd_gcmd(u, GCMD_SRTP, true);
	if (!st && (u->ecap & ECAP_QI)) {
		vtd_write64(u, IQT_REG, 0);
		vtd_write64(u, IQA_REG, queue | IQA_QS(0));
		st = vtd_gcmd(u, GCMD_QIE, true);
	}
	if (!st && (u->ecap & ECAP_QI)) {
		/* a descriptor of type 0 (none defined, 6.5.2) left at IQH: the unit rejects it (IQE) */
		vtd_flush_cache((void *)(uintptr_t)queue, 16, u);
		vtd_write64(u, IQT_REG, 1 << 4);
		u64 end = tsc_now_us() + VTD_TIMEOUT_US;
		while (!(vtd_read32(u, FSTS_REG) & FSTS_IQE) && tsc_now_us() < end)
			;
	}
	if (!st)
		st = vtd_gcmd(u, GCMD_TE, true);
	LOG("vtd", "unit %u: simulated firmware hand-over: TE %s, QIE %s, stale IQE %s", u->index,
	    vtd_read32(u, GSTS_REG) & GSTS_TES ? "on" : "off",
	    vtd_read32(u, GSTS_REG) & GSTS_QIES ? "on" : "off",
	    vtd_read32(u, FSTS_REG) & FSTS_IQE ? "yes" : "no");
	/* The throw-away pages stay allocated: ownership must not assume they are free. */
	return st;
}
