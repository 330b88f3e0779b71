/* DMA domains: domain IDs, second-level tables, map/unmap with invalidation, context entries, attach/detach. */
#include "iommu_internal.h"
#include "drivers/pci.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

#define BDF(sid) (sid) >> 8, ((sid) >> 3) & 31, (sid) & 7

/* ---- context entries (spec 9.3) ---- */

static struct vtd_context_entry *context_slot(struct vtd_unit *u, u8 bus, u8 devfn, bool create)
{
	struct vtd_root_entry *root = (void *)(uintptr_t)u->root_table;
	if (!(root[bus].lo & ROOT_P)) {
		u64 ct = create ? pmm_alloc_pages(1, 0) : 0;
		if (!ct)
			return NULL;
		vtd_flush_cache((void *)(uintptr_t)ct, PAGE_SIZE, u);
		root[bus].hi = 0;
		root[bus].lo = ct | ROOT_P;
		vtd_flush_cache(&root[bus], sizeof(root[bus]), u);
	}
	return (struct vtd_context_entry *)(uintptr_t)(root[bus].lo & SL_ADDR_MASK) + devfn;
}

static u32 aw_field(u32 levels)
{
	return levels - 2; /* 9.3: AW 1 = 39-bit 3-level, 2 = 48-bit 4-level */
}

status_t iommu_context_set(struct vtd_unit *u, u16 sid, struct iommu_domain *d)
{
	struct vtd_context_entry *ce = context_slot(u, (u8)(sid >> 8), (u8)sid, d != NULL);
	if (!ce)
		return d ? E_NOMEM : OK;
	u16 old_did = (u16)(ce->hi >> 8);
	bool was_present = ce->lo & CTX_P;
	ce->lo = 0; /* clear P first so the unit never sees a half-written entry */
	vtd_flush_cache(ce, sizeof(*ce), u);
	if (d) {
		ce->hi = CTX_AW(aw_field(io.levels)) | CTX_DID(d->did);
		__asm__ volatile("" ::: "memory");
		ce->lo = d->pt.root | CTX_TT_UNTRANSLATED | CTX_P;
		vtd_flush_cache(ce, sizeof(*ce), u);
	}
	status_t st = vtd_write_buffer_flush(u);
	/* 6.5.3.3 / 6.1: after changing a context entry invalidate the context cache for the
	 * device (DID 0 for a not-present entry under caching mode), then the domain's IOTLB. */
	u16 did = was_present ? old_did : (io.caching_mode ? 0 : (d ? d->did : 0));
	if (!st)
		st = vtd_inv_context_device(u, did, sid);
	if (!st && was_present)
		st = vtd_inv_iotlb_domain(u, old_did);
	if (!st && d && io.caching_mode)
		st = vtd_inv_iotlb_domain(u, d->did);
	return st;
}

/* ---- domains ---- */

static u16 did_alloc(void)
{
	for (u32 i = 1; i < io.nr_dids; i++) /* DID 0 is reserved under caching mode (6.1) */
		if (!io.did_used[i]) {
			io.did_used[i] = 1;
			return (u16)i;
		}
	return 0;
}

struct iommu_domain *iommu_domain_create(const char *name)
{
	if (!io.nr_units)
		return NULL;
	struct iommu_domain *d = (void *)(uintptr_t)pmm_alloc_pages(1, 0);
	if (!d)
		return NULL;
	if (!(d->did = did_alloc()) || slpt_init(&d->pt, io.levels, io.sllps, io.coherent)) {
		LOG("iommu", "error: cannot create domain %s (%s)", name,
		    d->did ? "out of memory" : "no free domain ID");
		if (d->did)
			io.did_used[d->did] = 0;
		pmm_free_pages((u64)(uintptr_t)d, 1);
		return NULL;
	}
	strlcpy_(d->name, name, sizeof d->name);
	d->next = io.domains;
	io.domains = d;
	LOG("iommu", "domain %s: DID %u, %u-level second-level table", d->name, d->did, io.levels);
	return d;
}

struct iommu_domain *iommu_domain_create_2m(const char *name)
{
	u32 saved = io.sllps;
	io.sllps &= SLLPS_2M;
	struct iommu_domain *d = iommu_domain_create(name);
	io.sllps = saved;
	return d;
}

/*
 * 6.5: tables may be freed only once no unit can still use cached entries
 * that point into them. If any detach or invalidation fails, the domain's
 * tables, its struct and its DID are leaked on purpose (DID marked never to
 * be reused) and the error is returned.
 */
status_t iommu_domain_destroy(struct iommu_domain *d)
{
	status_t st = OK;
	for (u32 i = 0; i < io.nr_devs; i++)
		if (io.devs[i].dom == d) {
			status_t s = iommu_detach(d, io.devs[i].seg, (u8)(io.devs[i].sid >> 8),
						  (u8)io.devs[i].sid);
			st = st ? st : s;
		}
	for (struct iommu_domain **p = &io.domains; *p; p = &(*p)->next)
		if (*p == d) {
			*p = d->next;
			break;
		}
	for (u32 i = 0; i < io.nr_units; i++)
		if (unit_usable(&io.units[i])) {
			status_t s = vtd_inv_iotlb_domain(&io.units[i], d->did);
			st = st ? st : s;
		}
	if (st) {
		io.did_used[d->did] = 2;
		LOG("iommu", "error: domain %s: teardown failed (%s); its %lu table pages and DID %u are "
		    "kept out of use", d->name, status_str(st), d->pt.pages, d->did);
		return st;
	}
	slpt_destroy(&d->pt);
	io.did_used[d->did] = 0;
	pmm_free_pages((u64)(uintptr_t)d, 1);
	return OK;
}

static u64 inv_count(void)
{
	u64 n = 0;
	for (u32 i = 0; i < io.nr_units; i++)
		n += io.units[i].inv_descs;
	return n;
}

void iommu_inv_kinds(u64 *page, u64 *domain)
{
	*page = *domain = 0;
	for (u32 i = 0; i < io.nr_units; i++)
		*page += io.units[i].inv_page, *domain += io.units[i].inv_domain;
}

status_t iommu_flush_range(struct iommu_domain *d, u64 iova, u64 size)
{
	u64 before = inv_count();
	status_t st = OK;
	for (u32 i = 0; i < io.nr_units && !st; i++)
		if (unit_usable(&io.units[i])) {
			st = vtd_write_buffer_flush(&io.units[i]);
			st = st ? st : vtd_inv_iotlb_range(&io.units[i], d->did, iova, size);
		}
	d->inv_descs += inv_count() - before;
	return st;
}

status_t iommu_map(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 perm)
{
	u64 sl = (perm & IOMMU_READ ? SL_R : 0) | (perm & IOMMU_WRITE ? SL_W : 0);
	if (!sl)
		return E_INVAL;
	/* 3.6 / 11.4.2: input addresses above MGAW (and the table's AGAW) are not translatable. */
	if (iova + size < iova || iova + size > (1ULL << io.max_iova_bits))
		return E_RANGE;
	bool replaced = false;
	status_t st = slpt_map(&d->pt, iova, hpa, size, sl, &replaced);
	/* 6.1: with caching mode, not-present entries may be cached: invalidate after mapping.
	 * 6.5: a present leaf or superpage that was overwritten or split may be cached by
	 * any unit: invalidate it too (also after a partial failure, whatever was written).
	 * 6.8: otherwise a write-buffer flush is all a new mapping needs (CAP.RWBF units). */
	if (replaced || (!st && io.caching_mode)) {
		status_t inv = iommu_flush_range(d, iova, size);
		st = st ? st : inv;
	} else {
		for (u32 i = 0; i < io.nr_units && !st; i++)
			if (unit_usable(&io.units[i]))
				st = vtd_write_buffer_flush(&io.units[i]);
	}
	return st;
}

status_t iommu_unmap(struct iommu_domain *d, u64 iova, u64 size)
{
	status_t st = slpt_unmap(&d->pt, iova, size);
	if (!st) /* 6.5: removed translations must leave every IOTLB before memory is reused */
		st = iommu_flush_range(d, iova, size);
	return st;
}

status_t iommu_remap_no_invalidate(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 perm)
{
	u64 sl = (perm & IOMMU_READ ? SL_R : 0) | (perm & IOMMU_WRITE ? SL_W : 0);
	return slpt_map(&d->pt, iova, hpa, size, sl, NULL);
}

/* ---- attach / detach, alias groups kept in one domain ---- */

static IOMMU_MUST_CHECK status_t refuse_no_unit(const struct iommu_dev *dev)
{
	if (dev->listed_unit >= 0)
		LOG("iommu", "error: %04x:%02x:%02x.%u: its remapping unit %d failed to start; refused",
		    dev->seg, BDF(dev->sid), dev->listed_unit);
	else if (dev->lost)
		LOG("iommu", "error: %04x:%02x:%02x.%u: its %sunit has register base 0x%lx (unusable), "
		    "so nothing remaps its DMA; refused", dev->seg, BDF(dev->sid),
		    dev->lost->include_pci_all ? "segment's INCLUDE_PCI_ALL " : "", dev->lost->register_base);
	else
		LOG("iommu", "error: %04x:%02x:%02x.%u: no remapping unit covers it; refused", dev->seg,
		    BDF(dev->sid));
	return E_NOTSUP;
}

status_t iommu_attach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn)
{
	struct iommu_dev *dev = iommu_dev_find(seg, PCI_SID(bus, 0, 0) | devfn);
	if (!dev)
		return E_NOENT;
	if (!dev->unit)
		return refuse_no_unit(dev);
	if (dev->dom == d)
		return OK;
	if (dev->dom)
		return E_BUSY;
	struct iommu_alias_group *g = dev->group;
	if (g && g->dom && g->dom != d) {
		LOG("iommu", "error: %04x:%02x:%02x.%u shares requester ID %02x:%02x.%u with devices of "
		    "domain %s (behind one PCIe-to-PCI bridge): they must all be in one domain; refused",
		    seg, BDF(dev->sid), BDF(g->alias), g->dom->name);
		return E_BUSY;
	}
	status_t st = iommu_context_set(dev->unit, dev->sid, d);
	if (!st && g && !g->dom && g->alias != dev->sid)
		st = iommu_context_set(dev->unit, g->alias, d);
	if (st) {
		LOG("iommu", "error: %04x:%02x:%02x.%u: context entry not set (%s)", seg, BDF(dev->sid),
		    status_str(st));
		return st;
	}
	if (g)
		g->dom = d, g->attached++;
	d->devices++;
	dev->dom = d;
	LOG("iommu", "%04x:%02x:%02x.%u attached to domain %s (unit %u%s)", seg, bus, devfn >> 3,
	    devfn & 7, d->name, dev->unit->index, g ? ", bridge alias" : "");
	return OK;
}

status_t iommu_detach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn)
{
	struct iommu_dev *dev = iommu_dev_find(seg, PCI_SID(bus, 0, 0) | devfn);
	if (!dev || dev->dom != d)
		return E_NOENT;
	struct iommu_alias_group *g = dev->group;
	bool last = !g || g->attached == 1;
	status_t st = OK;
	/* The alias entry stays while another member of the group still uses it. */
	if (!g || last || g->alias != dev->sid)
		st = iommu_context_set(dev->unit, dev->sid, NULL);
	if (!st && g && last && g->alias != dev->sid)
		st = iommu_context_set(dev->unit, g->alias, NULL);
	if (st) /* the entries may still point at d: the device stays attached */
		return st;
	if (g && --g->attached == 0)
		g->dom = NULL;
	dev->dom = NULL;
	d->devices--;
	return OK;
}

void iommu_domain_get_stats(const struct iommu_domain *d, struct iommu_domain_stats *s)
{
	*s = (struct iommu_domain_stats){ d->did, d->pt.levels, d->pt.pages, d->faults,
					  d->inv_descs, d->devices };
}
