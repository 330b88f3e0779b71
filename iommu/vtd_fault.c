/* VT-d primary fault reporting: fault-event interrupt, record decoding, counters (spec 7.2, 11.4.9, 11.4.14). */
#include "vtd.h"
#include "iommu_internal.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "lib/log.h"
#include "lib/string.h"

#define LOG_FIRST_PER_SOURCE 8   /* full lines per source before summarising */
#define LOG_EVERY 1024           /* then one line per this many faults */

/* 7.2.1 / appendix: non-recoverable fault reasons (legacy-mode translation and interrupt remapping). */
const char *vtd_fault_reason(u32 fr)
{
	switch (fr) {
	case 0x1: return "root entry not present";
	case 0x2: return "context entry not present";
	case 0x3: return "invalid context entry";
	case 0x4: return "address beyond the domain's address width";
	case 0x5: return "write to a page without write permission";
	case 0x6: return "read from a page without read permission";
	case 0x7: return "error accessing a second-level paging entry";
	case 0x8: return "error accessing the root entry";
	case 0x9: return "error accessing the context entry";
	case 0xa: return "reserved field set in the root entry";
	case 0xb: return "reserved field set in the context entry";
	case 0xc: return "reserved field set in a second-level paging entry";
	case 0xd: return "request blocked by the context entry's translation type";
	case 0x20: return "interrupt request with a reserved field set";
	case 0x21: return "interrupt index beyond the remapping table";
	case 0x22: return "interrupt remapping entry not present";
	case 0x23: return "error accessing an interrupt remapping entry";
	case 0x24: return "reserved field set in an interrupt remapping entry";
	case 0x25: return "compatibility-format interrupt blocked";
	case 0x26: return "interrupt blocked by source validation";
	case 0x27: return "error accessing a posted-interrupt descriptor";
	case 0x28: return "reserved field set in a posted-interrupt descriptor";
	default: return "unknown reason";
	}
}

/* Interrupt-remapping fault reasons 0x20-0x28: FI holds the interrupt index (11.4.14). */
static bool vtd_fault_is_ir(u32 reason)
{
	return reason >= FR_IR_FIRST && reason <= FR_IR_LAST;
}

/*
 * Counts the fault (device or alias group, domain) and queues a line for
 * vtd_fault_log_flush: at 115200 baud a line costs about 10 ms, too long for
 * interrupt context during a DMA storm (review D10). Called with u->lock held.
 */
static void record(struct vtd_unit *u, u64 lo, u64 hi)
{
	struct iommu_fault f = {
		.seg = u->segment, .sid = FRCD_HI_SID(hi), .addr = FRCD_LO_FI(lo),
		.write = !(hi & FRCD_HI_T1), .reason = (u8)FRCD_HI_FR(hi), .unit = u->index,
	};
	/* IR hook: for reasons 0x20-0x28 FI holds the interrupt index in bits 63:48 (11.4.14). */
	if (vtd_fault_is_ir(f.reason))
		f.addr = FRCD_LO_IR_INDEX(lo);
	const char *owner;
	u64 n = iommu_fault_record(&f, &owner);
	if (n > LOG_FIRST_PER_SOURCE && n % LOG_EVERY != 0)
		return;
	if (u->log_head - u->log_tail >= VTD_FAULT_LOG_RING) {
		u->log_dropped++;
		return;
	}
	struct vtd_fault_line *l = &u->log[u->log_head++ % VTD_FAULT_LOG_RING];
	l->f = f;
	l->n = n;
	u32 k = 0;
	for (; owner[k] && k + 1 < sizeof l->owner; k++)
		l->owner[k] = owner[k];
	l->owner[k] = 0;
}

/* Logs the queued fault lines; never called in interrupt context. */
void vtd_fault_log_flush(struct vtd_unit *u)
{
	for (;;) {
		u64 fl = vtd_lock(u);
		if (u->log_tail == u->log_head) {
			u64 dropped = u->log_dropped;
			u->log_dropped = 0;
			vtd_unlock(u, fl);
			if (dropped)
				LOG("vtd", "unit %u: %lu fault lines not logged (counted only)", u->index,
				    dropped);
			return;
		}
		struct vtd_fault_line l = u->log[u->log_tail++ % VTD_FAULT_LOG_RING];
		vtd_unlock(u, fl);
		const struct iommu_fault *f = &l.f;
		/* A compatibility-format request has no interrupt index (5.1.2.1: only the remappable
		 * format carries a handle): FI means nothing for reason 0x25. */
		char what[48];
		if (f->reason == FR_IR_COMPAT_BLOCKED)
			snprintf(what, sizeof what, "compatibility-format interrupt (no index)");
		else
			snprintf(what, sizeof what, "%s 0x%lx",
				 vtd_fault_is_ir(f->reason) ? "interrupt index" : f->write ? "write" : "read",
				 f->addr);
		LOG("vtd", "fault: %04x:%02x:%02x.%u (domain %s) %s: reason 0x%x, %s%s", f->seg,
		    f->sid >> 8, (f->sid >> 3) & 0x1f, f->sid & 7, l.owner, what, f->reason,
		    vtd_fault_reason(f->reason),
		    l.n == LOG_FIRST_PER_SOURCE ? " (further faults from this source are counted, "
						  "and logged once per 1024)" : "");
	}
}

/* Handles each fault record once (at most nr_frcd); returns the number handled. */
u32 vtd_fault_poll(struct vtd_unit *u)
{
	u32 handled = 0;
	u64 f = vtd_lock(u);
	u32 fsts = vtd_read32(u, FSTS_REG);
	u32 idx = FSTS_FRI(fsts) % u->nr_frcd;
	for (u32 k = 0; k < u->nr_frcd && (fsts & FSTS_PPF); k++, idx = (idx + 1) % u->nr_frcd) {
		u32 off = u->frcd_off + idx * 16;
		u64 hi = vtd_read64(u, off + 8);
		if (!(hi & FRCD_HI_F))
			continue;
		u64 lo = vtd_read64(u, off);
		/* Clear F only (RW1C, bit 31 of the record's top dword); the other fields are RO. */
		vtd_write32(u, off + 12, (u32)(FRCD_HI_F >> 32));
		u->faults++;
		handled++;
		record(u, lo, hi);
	}
	fsts = vtd_read32(u, FSTS_REG);
	bool overflow = fsts & FSTS_PFO;
	if (overflow) {
		u->overflows++;
		vtd_write32(u, FSTS_REG, FSTS_PFO);
	}
	vtd_unlock(u, f);
	if (overflow)
		iommu_fault_overflow(u->index);
	return handled;
}

/*
 * Bounded work in interrupt context (review D10): at most VTD_FAULT_IRQ_PASSES
 * passes over the records, no logging. Records still full afterwards are
 * taken by the next interrupt or by iommu_poll_faults; faults that find no
 * free record meanwhile are counted through FSTS.PFO.
 */
static void fault_irq(u8 vector, void *ctx)
{
	(void)vector;
	struct vtd_unit *u = ctx;
	__atomic_add_fetch(&u->fault_irqs, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&u->fault_irq_apic, lapic_id(), __ATOMIC_RELAXED);
	if (iommu_fault_held())
		return;
	for (u32 p = 0; p < VTD_FAULT_IRQ_PASSES && vtd_fault_poll(u); p++)
		;
}

/* Clears stale faults (records and FSTS status bits) left by an earlier stage. */
void vtd_fault_clear_all(struct vtd_unit *u)
{
	u32 stale = 0;
	for (u32 i = 0; i < u->nr_frcd; i++) {
		u32 off = u->frcd_off + i * 16;
		if (vtd_read64(u, off + 8) & FRCD_HI_F) {
			vtd_write32(u, off + 12, (u32)(FRCD_HI_F >> 32));
			stale++;
		}
	}
	u32 fsts = vtd_read32(u, FSTS_REG) &
		   (FSTS_PFO | FSTS_AFO | FSTS_APF | FSTS_IQE | FSTS_ICE | FSTS_ITE);
	if (fsts)
		vtd_write32(u, FSTS_REG, fsts);
	if (stale || fsts)
		LOG("vtd", "unit %u: cleared %u stale fault records, FSTS bits 0x%x", u->index, stale,
		    fsts);
}

/*
 * 11.4.9.2-4: the fault event is a compatibility-format MSI: FEADDR holds
 * destination ID bits 7:0 (address bits 19:12), FEUADDR bits 31:8 when the
 * unit supports x2APIC IDs (ECAP.EIM). Masked while it is reprogrammed.
 */
status_t vtd_fault_target(struct vtd_unit *u, u32 apic_id)
{
	if (apic_id > 0xff && !(u->ecap & ECAP_EIM))
		return E_RANGE;
	vtd_write32(u, FECTL_REG, FECTL_IM);
	vtd_write32(u, FEDATA_REG, u->fault_vector);
	vtd_write32(u, FEADDR_REG, 0xfee00000u | ((apic_id & 0xff) << 12));
	vtd_write32(u, FEUADDR_REG, (u->ecap & ECAP_EIM) ? apic_id & 0xffffff00u : 0);
	vtd_write32(u, FECTL_REG, 0);
	u->fault_dest = apic_id;
	return OK;
}

/* Aims the fault event at this (the boot) CPU until iommu_set_fault_cpu picks another. */
status_t vtd_fault_init(struct vtd_unit *u)
{
	if (!u->fault_vector && !(u->fault_vector = irq_alloc(fault_irq, u)))
		return E_NOSPC;
	return vtd_fault_target(u, lapic_id());
}
