/* IRTE allocation per device and source-id policy on top of the per-unit tables of vtd_irt.c. */
#include "iommu_ir.h"
#include "iommu_internal.h"
#include "vtd_irt.h"
#include "drivers/pci.h"
#include "lib/log.h"
#include "lib/string.h"

bool iommu_ir_enabled(void)
{
	return vtd_irt_first() != NULL;
}

/*
 * 9.10 SVT/SQ: a function's interrupts are checked against its own requester
 * ID (SVT=1, SQ=0: all 16 bits). Behind a PCIe-to-PCI bridge requests carry
 * the bridge's secondary-bus ID (or, PCI-X, the device's own ID on that bus):
 * SVT=2 then accepts exactly that bus (SID[15:8] = SID[7:0] = bus).
 */
static void source_policy(struct iommu_irq *h, u16 alias)
{
	if (alias == h->sid) {
		h->src = h->sid, h->sq = 0, h->svt = SVT_SID_SQ;
	} else {
		u8 bus = (u8)(alias >> 8);
		h->src = (u16)(bus << 8 | bus), h->sq = 0, h->svt = SVT_BUS;
	}
}

status_t iommu_irq_alloc(u16 seg, u16 sid, struct iommu_irq *h)
{
	u16 alias;
	struct vtd_unit *u = iommu_dev_unit(seg, sid, &alias);
	struct vtd_irt *t = u ? vtd_irt_of(u) : NULL;
	if (!t) {
		LOG("iommu", "error: %04x:%02x:%02x.%u: %s; its interrupts cannot be remapped", seg,
		    sid >> 8, (sid >> 3) & 31, sid & 7,
		    u ? "its unit has no interrupt remapping" : "no VT-d unit serves it");
		return E_NOTSUP;
	}
	*h = (struct iommu_irq){ .irt = t, .seg = seg, .sid = sid };
	source_policy(h, alias);
	return vtd_irt_alloc(t, &h->index);
}

status_t iommu_irq_remap_source(const struct iommu_irq *h, u8 vector, u32 apic_id, u16 src, u8 sq,
				u8 svt)
{
	struct vtd_irt *t = h->irt;
	if (!t->eime && apic_id > 0xff) {
		LOG("iommu", "error: APIC ID 0x%x needs x2APIC interrupt remapping (EIME)", apic_id);
		return E_RANGE;
	}
	struct vtd_irte_remapped r = { .vector = vector, .dest = apic_id, .x2apic = t->eime,
				       .delivery = DLM_FIXED, .sid = src, .sq = sq, .svt = svt };
	return vtd_irt_write(t, h->index, vtd_irte_remapped(&r));
}

status_t iommu_irq_remap(const struct iommu_irq *h, u8 vector, u32 apic_id)
{
	return iommu_irq_remap_source(h, vector, apic_id, h->src, h->sq, h->svt);
}

/*
 * VT-d 5.2 / 9.11: a posted entry (IM=1) makes the unit set the guest's vector in the descriptor
 * at pid_pa and send the descriptor's notification itself; URG=0, so SN holds notifications
 * back. Same source validation as the remapped form. Written like any live entry (vtd_irt.c:
 * one 16-byte store, then the index-selective IEC invalidation waited for).
 */
status_t iommu_irq_post(const struct iommu_irq *h, u8 vector, u64 pid_pa)
{
	struct vtd_irt *t = h->irt;
	if (!(t->u->cap & CAP_PI) || (pid_pa & 63)) {
		LOG("iommu", "error: entry %u: %s", h->index, pid_pa & 63 ? "descriptor not 64-byte aligned"
									    : "its unit cannot post (CAP.PI=0)");
		return E_INVAL;
	}
	struct vtd_irte_posted p = { .vector = vector, .pda = pid_pa, .sid = h->src, .sq = h->sq,
				     .svt = h->svt };
	return vtd_irt_write(t, h->index, vtd_irte_posted(&p));
}

bool iommu_ir_eime(void)
{
	bool any = false;
	for (struct vtd_irt *t = vtd_irt_first(); t; t = t->next) {
		if (!t->eime)
			return false;
		any = true;
	}
	return any;
}

const char *iommu_ir_posting_gap(void)
{
	static char why[64];
	struct vtd_irt *t = vtd_irt_first();
	if (!t)
		return "no unit remaps interrupts";
	bool eime = t->eime;
	for (; t; t = t->next) {
		if (!(t->u->cap & CAP_PI)) {
			snprintf(why, sizeof why, "unit %u reports CAP.PI=0", t->u->index);
			return why;
		}
		/* 9.12: each unit reads NDST in the form its own EIME selects; one descriptor serves all. */
		if (t->eime != eime)
			return "the units differ in EIME, so no NDST form suits every unit";
	}
	return NULL;
}

bool iommu_ir_posting(void)
{
	return !iommu_ir_posting_gap();
}

void iommu_irq_msi(const struct iommu_irq *h, u64 *addr, u32 *data)
{
	*addr = vtd_msi_remap_addr(h->index, false);
	*data = 0;
}

status_t iommu_irq_free(struct iommu_irq *h)
{
	if (!h->irt)
		return E_INVAL;
	status_t st = vtd_irt_free(h->irt, h->index);
	if (!st)
		h->irt = NULL;
	return st;
}

u32 iommu_irq_unit(const struct iommu_irq *h)
{
	return h->irt ? h->irt->u->index : ~0u;
}

bool iommu_ir_blocks_compat(void)
{
	bool any = false;
	for (struct vtd_irt *t = vtd_irt_first(); t; t = t->next) {
		if ((vtd_read32(t->u, GSTS_REG) & (GSTS_IRES | GSTS_CFIS)) != GSTS_IRES)
			return false;
		any = true;
	}
	return any;
}

void iommu_ir_report(void)
{
	for (struct vtd_irt *t = vtd_irt_first(); t; t = t->next)
		LOG("vtd", "unit %u: interrupt remapping: %u of %u entries used, %lu entry writes, "
			   "%lu index invalidations", t->u->index, t->used, t->entries, t->updates,
		    t->iec_invs);
}
