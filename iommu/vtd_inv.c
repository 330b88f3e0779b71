/* VT-d invalidation: queued invalidation with bounded waits (spec 6.5.2), register-based otherwise (6.5.1). */
#include "vtd.h"
#include "arch/x86/tsc.h"
#include "lib/log.h"
#include "lib/pmm.h"

status_t vtd_qi_enable(struct vtd_unit *u)
{
	if (!(u->ecap & ECAP_QI))
		return E_NOTSUP;
	if (!u->qi_base) {
		u->qi_base = pmm_alloc_pages(1, 0);
		u64 status_page = pmm_alloc_pages(1, 0);
		if (!u->qi_base || !status_page)
			return E_NOMEM;
		u->qi_status = (volatile u32 *)(uintptr_t)status_page;
	}
	u->qi_tail = 0;
	vtd_write64(u, IQT_REG, 0);
	vtd_write64(u, IQA_REG, u->qi_base | IQA_QS(0)); /* 128-bit descriptors, one page */
	status_t st = vtd_gcmd(u, GCMD_QIE, true);
	u->qi = st == OK;
	return st;
}

static struct vtd_inv_desc *qi_slot(struct vtd_unit *u, u32 i)
{
	return (struct vtd_inv_desc *)(uintptr_t)u->qi_base + i;
}

/*
 * 6.5.2.10 / 11.4.9: on an Invalidation Queue Error the unit stops fetching at
 * IQH, the descriptor it rejected, and fetches it again once IQE is cleared.
 * So the rejected descriptor is first overwritten with a harmless wait
 * descriptor (status write of 0 into a scratch word), then IQE is cleared and
 * the queue runs on. After VTD_IQE_LIMIT errors in a row the queue is not
 * trusted any more: the unit is stopped (u->failed) and every later request
 * fails, so callers keep their tables rather than free memory the unit may
 * still reach (see iommu_domain_destroy).
 */
static void qi_recover_iqe(struct vtd_unit *u)
{
	u32 head = (u32)(vtd_read64(u, IQH_REG) >> 4) % VTD_QI_ENTRIES;
	if (++u->iqe_count >= VTD_IQE_LIMIT) {
		u->failed = true;
		LOG("vtd", "unit %u: error: %u invalidation queue errors in a row (last at descriptor %u:"
		    " 0x%lx 0x%lx); invalidation stopped, the unit's mappings can no longer change",
		    u->index, u->iqe_count, head, qi_slot(u, head)->lo, qi_slot(u, head)->hi);
		return;
	}
	LOG("vtd", "unit %u: descriptor %u (0x%lx 0x%lx) rejected (IQE); replaced, queue resumed",
	    u->index, head, qi_slot(u, head)->lo, qi_slot(u, head)->hi);
	*qi_slot(u, head) = (struct vtd_inv_desc){ INV_WAIT | INV_WAIT_SW,
						   (u64)(uintptr_t)(u->qi_status + 1) };
	vtd_flush_cache(qi_slot(u, head), sizeof(struct vtd_inv_desc), u);
}

/* 11.4.9: reports and clears (write-1-to-clear, only these bits) invalidation errors. */
static IOMMU_MUST_CHECK status_t qi_errors(struct vtd_unit *u)
{
	u32 fsts = vtd_read32(u, FSTS_REG) & (FSTS_IQE | FSTS_ICE | FSTS_ITE);
	if (!fsts)
		return OK;
	LOG("vtd", "unit %u: invalidation error:%s%s%s (IQH 0x%lx IQT 0x%lx)", u->index,
	    fsts & FSTS_IQE ? " IQE (queue error)" : "", fsts & FSTS_ICE ? " ICE (completion error)" : "",
	    fsts & FSTS_ITE ? " ITE (time-out)" : "", vtd_read64(u, IQH_REG), vtd_read64(u, IQT_REG));
	if (fsts & FSTS_IQE)
		qi_recover_iqe(u);
	if (!u->failed)
		vtd_write32(u, FSTS_REG, fsts);
	return E_IO;
}

/* Appends descriptors plus a wait descriptor and waits for its status write. */
static IOMMU_MUST_CHECK status_t qi_submit(struct vtd_unit *u, const struct vtd_inv_desc *d, u32 n)
{
	u64 f = vtd_lock(u);
	if (u->failed) {
		vtd_unlock(u, f);
		return E_IO;
	}
	u32 seq = ++u->qi_seq;
	*u->qi_status = 0;
	for (u32 i = 0; i <= n; i++) {
		struct vtd_inv_desc w = { INV_WAIT | INV_WAIT_SW | INV_WAIT_FN | INV_WAIT_DATA(seq),
					  (u64)(uintptr_t)u->qi_status };
		*qi_slot(u, u->qi_tail) = i < n ? d[i] : w;
		vtd_flush_cache(qi_slot(u, u->qi_tail), sizeof(struct vtd_inv_desc), u);
		u->qi_tail = (u->qi_tail + 1) % VTD_QI_ENTRIES;
	}
	u->inv_descs += n;
	__asm__ volatile("sfence" ::: "memory");
	vtd_write64(u, IQT_REG, (u64)u->qi_tail << 4); /* 11.4.10: QT in bits 18:4 */
	u64 end = tsc_now_us() + VTD_TIMEOUT_US;
	status_t st = OK;
	while (__atomic_load_n(u->qi_status, __ATOMIC_ACQUIRE) != seq) {
		if ((st = qi_errors(u)) != OK)
			break;
		if (tsc_now_us() > end) {
			LOG("vtd", "unit %u: invalidation wait timed out", u->index);
			st = E_TIMEDOUT;
			break;
		}
	}
	if (st == OK)
		st = qi_errors(u);
	if (st == OK)
		u->iqe_count = 0;
	vtd_unlock(u, f);
	return st;
}

static IOMMU_MUST_CHECK status_t reg_wait(struct vtd_unit *u, u32 off, u64 busy_bit)
{
	u64 end = tsc_now_us() + VTD_TIMEOUT_US;
	while (vtd_read64(u, off) & busy_bit)
		if (tsc_now_us() > end)
			return E_TIMEDOUT;
	return OK;
}

static IOMMU_MUST_CHECK status_t reg_context(struct vtd_unit *u, u64 cmd)
{
	u64 f = vtd_lock(u);
	u->inv_descs++;
	vtd_write64(u, CCMD_REG, CCMD_ICC | cmd);
	status_t st = reg_wait(u, CCMD_REG, CCMD_ICC);
	vtd_unlock(u, f);
	return st;
}

/* 11.4.8: a page-selective request takes its address and AM from IVA_REG (written even for 0). */
static IOMMU_MUST_CHECK status_t reg_iotlb(struct vtd_unit *u, u64 cmd, bool page, u64 iva)
{
	u64 f = vtd_lock(u);
	u->inv_descs++;
	if (page)
		vtd_write64(u, u->iotlb_off + IVA_REG_OFF, iva);
	vtd_write64(u, u->iotlb_off + IOTLB_REG_OFF, IOTLB_IVT | IOTLB_DR | IOTLB_DW | cmd);
	status_t st = reg_wait(u, u->iotlb_off + IOTLB_REG_OFF, IOTLB_IVT);
	vtd_unlock(u, f);
	return st;
}

status_t vtd_inv_context_global(struct vtd_unit *u)
{
	struct vtd_inv_desc d = { INV_CC | INV_CC_G_GLOBAL, 0 };
	return u->qi ? qi_submit(u, &d, 1) : reg_context(u, CCMD_CIRG_GLOBAL);
}

status_t vtd_inv_context_device(struct vtd_unit *u, u16 did, u16 sid)
{
	struct vtd_inv_desc d = { INV_CC | INV_CC_G_DEVICE | INV_CC_DID(did) | INV_CC_SID(sid), 0 };
	return u->qi ? qi_submit(u, &d, 1)
		     : reg_context(u, CCMD_CIRG_DEVICE | CCMD_DID(did) | CCMD_SID(sid));
}

status_t vtd_inv_iotlb_global(struct vtd_unit *u)
{
	struct vtd_inv_desc d = { INV_IOTLB | INV_IOTLB_G_GLOBAL | INV_IOTLB_DR | INV_IOTLB_DW, 0 };
	return u->qi ? qi_submit(u, &d, 1) : reg_iotlb(u, IOTLB_IIRG_GLOBAL, false, 0);
}

status_t vtd_inv_iotlb_domain(struct vtd_unit *u, u16 did)
{
	u->inv_domain++;
	struct vtd_inv_desc d = { INV_IOTLB | INV_IOTLB_G_DOMAIN | INV_IOTLB_DR | INV_IOTLB_DW |
				  INV_IOTLB_DID(did), 0 };
	return u->qi ? qi_submit(u, &d, 1) : reg_iotlb(u, IOTLB_IIRG_DOMAIN | IOTLB_DID(did), false, 0);
}

/*
 * Page-selective invalidation covers 2^AM pages aligned to their size
 * (6.5.2.3); a range that does not fit CAP.PSI and CAP.MAMV falls back to
 * domain-selective invalidation.
 */
status_t vtd_inv_iotlb_range(struct vtd_unit *u, u16 did, u64 iova, u64 size)
{
	u64 pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	u32 am = 0;
	while ((1ULL << am) < pages)
		am++;
	bool aligned = (iova & (((1ULL << am) * PAGE_SIZE) - 1)) == 0;
	if (!(u->cap & CAP_PSI) || am > CAP_MAMV(u->cap) || !aligned)
		return vtd_inv_iotlb_domain(u, did);
	u->inv_page++;
	struct vtd_inv_desc d = { INV_IOTLB | INV_IOTLB_G_PAGE | INV_IOTLB_DR | INV_IOTLB_DW |
				  INV_IOTLB_DID(did), (iova & ~0xfffULL) | INV_IOTLB_AM(am) };
	return u->qi ? qi_submit(u, &d, 1)
		     : reg_iotlb(u, IOTLB_IIRG_PAGE | IOTLB_DID(did), true, (iova & ~0xfffULL) | am);
}

status_t vtd_qi_submit_raw(struct vtd_unit *u, u64 lo, u64 hi)
{
	struct vtd_inv_desc d = { lo, hi };
	return u->qi ? qi_submit(u, &d, 1) : E_NOTSUP;
}

/* IR hook: lets descriptor encoders outside this file (vtd_irt.c, index-selective IEC) use the queue. */
status_t vtd_qi_submit(struct vtd_unit *u, const struct vtd_inv_desc *d, u32 n)
{
	return u->qi ? qi_submit(u, d, n) : E_NOTSUP;
}

status_t vtd_inv_iec_global(struct vtd_unit *u)
{
	struct vtd_inv_desc d = { INV_IEC, 0 };
	return u->qi ? qi_submit(u, &d, 1) : E_NOTSUP;
}
