/* IOMMU interface: VT-d units from the DMAR table, DMA domains, device attachment and fault accounting. */
#include "iommu.h"
#include "iommu_internal.h"
#include "dmar.h"
#include "vtd.h"
#include "vtd_slpt.h"
#include "vtd_irt.h"
#include "drivers/pci.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

struct iommu_domain {
	char name[32];
	u16 did;
	struct slpt pt;
	u64 faults;
	u64 inv_descs;
	u32 devices;
	struct iommu_domain *next;
};

struct iommu_dev {
	u16 seg;
	u16 sid;                  /* the function's own bus:dev.fn */
	u16 alias;                /* requester ID the unit sees (differs behind PCIe-to-PCI bridges) */
	struct vtd_unit *unit;    /* NULL: no unit serves it (DMA untranslated) */
	struct iommu_domain *dom;
	u64 faults;
	bool rmrr;
};

static struct {
	struct dmar_info dmar;
	bool no_qi;
	bool ir;                  /* IR hook: interrupt remapping wanted */
	u32 max_iova_bits;        /* min over units of MGAW and the table's AGAW */
	struct vtd_unit *units;
	u32 nr_units;
	u32 levels, sllps;
	bool coherent, caching_mode;
	u32 nr_dids;
	u8 *did_used;
	struct iommu_domain *domains;
	struct iommu_dev *devs;
	u32 nr_devs;
	u64 fault_total, overflow_total, unknown_faults;
	struct iommu_fault last;
	bool have_last, enabled, hold_faults;
} io;

static void *page_alloc(size_t bytes, void *ctx)
{
	(void)ctx;
	return (void *)(uintptr_t)pmm_alloc_pages((bytes + PAGE_SIZE - 1) / PAGE_SIZE, 0);
}

/* ---- device to unit: DMAR device scopes resolved through the PCI bridges (spec 8.3.1) ---- */

/* Follows a scope path; returns the last hop's bus and devfn. */
static bool scope_resolve(u16 seg, const struct dmar_scope *s, u8 *bus, u8 *devfn)
{
	u8 b = s->start_bus;
	for (u32 i = 0; i < s->nr_path; i++) {
		u8 df = (u8)PCI_SID(0, s->path[i].device & 0x1f, s->path[i].function & 7);
		if (i + 1 == s->nr_path) {
			*bus = b, *devfn = df;
			return true;
		}
		s32 k = pci_find(seg, b, df);
		if (k < 0 || pci_get((u32)k)->header_type != 1)
			return false;
		b = pci_get((u32)k)->secondary_bus;
	}
	return false;
}

static bool scope_covers(u16 seg, const struct dmar_scopes *sc, const struct pci_dev *d)
{
	for (u32 i = 0; i < sc->count; i++) {
		const struct dmar_scope *s = &sc->scope[i];
		u8 bus, devfn;
		if ((s->type != DMAR_SCOPE_PCI_ENDPOINT && s->type != DMAR_SCOPE_PCI_SUBHIERARCHY) ||
		    !scope_resolve(seg, s, &bus, &devfn))
			continue;
		if (bus == d->bus && devfn == PCI_SID(0, d->dev, d->fn))
			return true;
		s32 k = pci_find(seg, bus, devfn);
		if (s->type == DMAR_SCOPE_PCI_SUBHIERARCHY && k >= 0) {
			const struct pci_dev *br = pci_get((u32)k);
			if (d->bus >= br->secondary_bus && d->bus <= br->subordinate_bus)
				return true;
		}
	}
	return false;
}

static struct vtd_unit *unit_for(const struct pci_dev *d)
{
	struct vtd_unit *all = NULL;
	for (u32 i = 0; i < io.nr_units; i++) {
		const struct dmar_unit *du = &io.dmar.units[i];
		if (!io.units[i].reg || du->segment != d->seg)
			continue;
		if (du->include_pci_all)
			all = all ? all : &io.units[i];
		else if (scope_covers(d->seg, &du->scopes, d))
			return &io.units[i];
	}
	return all;
}

static struct iommu_dev *dev_find(u16 seg, u16 sid)
{
	for (u32 i = 0; i < io.nr_devs; i++)
		if (io.devs[i].seg == seg && io.devs[i].sid == sid)
			return &io.devs[i];
	return NULL;
}

/* IR hook (lead: move to the device/alias-group file after the split): the unit serving a
 * function and the requester ID it sees from it; NULL when no unit serves it. */
struct vtd_unit *iommu_dev_unit(u16 seg, u16 sid, u16 *alias)
{
	struct iommu_dev *dev = dev_find(seg, sid);
	if (!dev || !dev->unit || !dev->unit->reg)
		return NULL;
	*alias = dev->alias;
	return dev->unit;
}

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

static status_t context_set(struct vtd_unit *u, u16 sid, struct iommu_domain *d)
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
	/* 6.5.3.3 / 6.1: after changing a context entry invalidate the context cache for the
	 * device (DID 0 for a not-present entry under caching mode), then the domain's IOTLB. */
	u16 did = was_present ? old_did : (io.caching_mode ? 0 : (d ? d->did : 0));
	status_t st = vtd_inv_context_device(u, did, sid);
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

void iommu_domain_destroy(struct iommu_domain *d)
{
	for (u32 i = 0; i < io.nr_devs; i++)
		if (io.devs[i].dom == d)
			iommu_detach(d, io.devs[i].seg, (u8)(io.devs[i].sid >> 8), (u8)io.devs[i].sid);
	for (struct iommu_domain **p = &io.domains; *p; p = &(*p)->next)
		if (*p == d) {
			*p = d->next;
			break;
		}
	for (u32 i = 0; i < io.nr_units; i++)
		if (io.units[i].reg)
			vtd_inv_iotlb_domain(&io.units[i], d->did);
	slpt_destroy(&d->pt);
	io.did_used[d->did] = 0;
	pmm_free_pages((u64)(uintptr_t)d, 1);
}

static u64 inv_count(void)
{
	u64 n = 0;
	for (u32 i = 0; i < io.nr_units; i++)
		n += io.units[i].inv_descs;
	return n;
}

status_t iommu_flush_range(struct iommu_domain *d, u64 iova, u64 size)
{
	u64 before = inv_count();
	status_t st = OK;
	for (u32 i = 0; i < io.nr_units && !st; i++)
		if (io.units[i].reg)
			st = vtd_inv_iotlb_range(&io.units[i], d->did, iova, size);
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
	status_t st = slpt_map(&d->pt, iova, hpa, size, sl);
	/* 6.1: with caching mode, not-present entries may be cached: invalidate after mapping.
	 * A mapping that replaced a present one also needs it; both are covered by always
	 * invalidating under CM and by callers unmapping before remapping otherwise. */
	if (!st && io.caching_mode)
		st = iommu_flush_range(d, iova, size);
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
	return slpt_map(&d->pt, iova, hpa, size, sl);
}

status_t iommu_attach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn)
{
	struct iommu_dev *dev = dev_find(seg, PCI_SID(bus, 0, 0) | devfn);
	if (!dev)
		return E_NOENT;
	if (!dev->unit)
		return E_NOTSUP;
	if (dev->dom && dev->dom != d)
		return E_BUSY;
	status_t st = context_set(dev->unit, dev->sid, d);
	if (!st && dev->alias != dev->sid)
		st = context_set(dev->unit, dev->alias, d);
	if (st)
		return st;
	if (!dev->dom)
		d->devices++;
	dev->dom = d;
	LOG("iommu", "%04x:%02x:%02x.%u attached to domain %s (unit %u%s)", seg, bus, devfn >> 3,
	    devfn & 7, d->name, dev->unit->index, dev->alias != dev->sid ? ", bridge alias" : "");
	return OK;
}

status_t iommu_detach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn)
{
	struct iommu_dev *dev = dev_find(seg, PCI_SID(bus, 0, 0) | devfn);
	if (!dev || dev->dom != d)
		return E_NOENT;
	status_t st = context_set(dev->unit, dev->sid, NULL);
	if (!st && dev->alias != dev->sid)
		st = context_set(dev->unit, dev->alias, NULL);
	dev->dom = NULL;
	d->devices--;
	return st;
}

/* ---- faults ---- */

u64 iommu_fault_record(const struct iommu_fault *f, const char **owner)
{
	io.fault_total++;
	io.last = *f;
	io.have_last = true;
	*owner = "none, blocked";
	struct iommu_dev *dev = dev_find(f->seg, f->sid);
	for (u32 i = 0; !dev && i < io.nr_devs; i++)
		if (io.devs[i].seg == f->seg && io.devs[i].alias == f->sid)
			dev = &io.devs[i];
	if (!dev)
		return ++io.unknown_faults;
	if (dev->dom) {
		dev->dom->faults++;
		*owner = dev->dom->name;
	}
	return ++dev->faults;
}

void iommu_fault_hold(bool hold)
{
	io.hold_faults = hold;
}

bool iommu_fault_held(void)
{
	return io.hold_faults;
}

void iommu_fault_overflow(u32 unit)
{
	(void)unit;
	io.overflow_total++;
}

u32 iommu_poll_faults(void)
{
	u32 n = 0;
	for (u32 i = 0; i < io.nr_units; i++)
		if (io.units[i].reg)
			n += vtd_fault_poll(&io.units[i]);
	return n;
}

u64 iommu_fault_total(void) { return io.fault_total; }
u64 iommu_overflow_total(void) { return io.overflow_total; }

bool iommu_last_fault(struct iommu_fault *out)
{
	if (io.have_last)
		*out = io.last;
	return io.have_last;
}

u64 iommu_device_faults(u16 seg, u16 sid)
{
	struct iommu_dev *dev = dev_find(seg, sid);
	return dev ? dev->faults : 0;
}

void iommu_domain_get_stats(const struct iommu_domain *d, struct iommu_domain_stats *s)
{
	*s = (struct iommu_domain_stats){ d->did, d->pt.levels, d->pt.pages, d->faults,
					  d->inv_descs, d->devices };
}

int iommu_dmar_units(const void *dmar, u32 len)
{
	static struct dmar_info info; /* large: kept off the stack */
	if (dmar_parse(dmar, len, page_alloc, NULL, &info) != OK)
		return -1;
	if (info.block)
		pmm_free_pages((u64)(uintptr_t)info.block, (info.block_bytes + PAGE_SIZE - 1) / PAGE_SIZE);
	return (int)info.nr_units;
}

u32 iommu_units(void)
{
	return io.nr_units;
}

/* ---- start-up ---- */

static void log_dmar(void)
{
	for (u32 i = 0; i < io.dmar.nr_msgs; i++)
		LOG("dmar", "%s: %s", io.dmar.msgs[i].error ? "error" : "warning", io.dmar.msgs[i].text);
	if (io.dmar.msgs_dropped)
		LOG("dmar", "%u more problems not shown", io.dmar.msgs_dropped);
	LOG("dmar", "host address width %u, %u units, %u RMRRs, %u ATSRs%s", io.dmar.haw,
	    io.dmar.nr_units, io.dmar.nr_rmrrs, io.dmar.nr_atsrs,
	    io.dmar.flags & DMAR_FLAG_INTR_REMAP ? ", interrupt remapping" : "");
}

/* Table depth every unit supports: 4 levels (48-bit) when all have it, else 3 (39-bit). */
static u32 common_levels(u32 max_levels)
{
	u32 want = max_levels == 3 ? 3 : 4;
	for (; want >= 3; want--) {
		bool all = true;
		for (u32 i = 0; i < io.nr_units; i++)
			if (io.units[i].reg && !vtd_agaw_bits(io.units[i].cap, want))
				all = false;
		if (all)
			return want;
	}
	return 0;
}

static status_t units_probe(const struct iommu_options *o)
{
	io.units = page_alloc(io.dmar.nr_units * sizeof(struct vtd_unit), NULL);
	if (!io.units)
		return E_NOMEM;
	io.nr_units = io.dmar.nr_units;
	io.sllps = 0xf;
	io.coherent = true;
	io.nr_dids = 65536;
	io.max_iova_bits = 64;
	for (u32 i = 0; i < io.nr_units; i++) {
		struct vtd_unit *u = &io.units[i];
		*u = (struct vtd_unit){ .index = i, .reg = io.dmar.units[i].register_base,
					.segment = io.dmar.units[i].segment,
					.include_all = io.dmar.units[i].include_pci_all };
		if (vtd_unit_probe(u) || (o->simulate_firmware && vtd_simulate_firmware(u)) ||
		    vtd_unit_take_ownership(u)) {
			u->reg = 0; /* left alone: its devices stay as firmware set them */
			continue;
		}
		io.sllps &= CAP_SLLPS(u->cap);
		io.coherent &= (u->ecap & ECAP_C) != 0;
		io.caching_mode |= (u->cap & CAP_CM) != 0;
		io.nr_dids = MIN(io.nr_dids, 1u << (4 + 2 * CAP_ND(u->cap)));
		io.max_iova_bits = MIN(io.max_iova_bits, (u32)CAP_MGAW(u->cap));
	}
	return OK;
}

static status_t unit_start(struct vtd_unit *u)
{
	status_t st = io.no_qi ? E_NOTSUP : vtd_qi_enable(u);
	if (st == E_NOTSUP)
		LOG("vtd", "unit %u: no queued invalidation; using register-based invalidation",
		    u->index);
	else if (st)
		return st;
	if ((st = vtd_unit_set_root(u)) != OK)
		return st;
	if ((st = vtd_fault_init(u)) != OK)
		return st;
	/* IR hook (lead: re-apply in the unit start-up file after the iommu split). A unit whose
	 * remapping cannot start keeps DMA remapping; its devices get no interrupt entries. */
	if (io.ir && vtd_irt_start(u) != OK)
		LOG("vtd", "unit %u: DMA remapping continues without interrupt remapping", u->index);
	return OK;
}

static status_t devices_init(void)
{
	io.devs = page_alloc((pci_count() + 1) * sizeof(struct iommu_dev), NULL);
	if (!io.devs)
		return E_NOMEM;
	io.nr_devs = pci_count();
	for (u32 i = 0; i < io.nr_devs; i++) {
		const struct pci_dev *d = pci_get(i);
		io.devs[i] = (struct iommu_dev){ .seg = d->seg, .sid = PCI_SID(d->bus, d->dev, d->fn),
						 .alias = pci_dma_alias(i), .unit = unit_for(d) };
	}
	return OK;
}

/* 8.4: each device named by an RMRR keeps identity access to it, in a domain of its own. */
static void rmrr_domains(void)
{
	for (u32 r = 0; r < io.dmar.nr_rmrrs; r++) {
		const struct dmar_rmrr_info *rm = &io.dmar.rmrrs[r];
		for (u32 k = 0; k < io.nr_devs; k++) {
			struct iommu_dev *dev = &io.devs[k];
			struct dmar_scopes sc = rm->scopes;
			if (dev->seg != rm->segment || !scope_covers(rm->segment, &sc, pci_get(k)))
				continue;
			char name[32];
			snprintf(name, sizeof name, "rmrr-%02x:%02x.%u", dev->sid >> 8, (dev->sid >> 3) & 31,
				 dev->sid & 7);
			struct iommu_domain *d = dev->dom ? dev->dom : iommu_domain_create(name);
			u64 base = rm->base, len = rm->limit + 1 - rm->base;
			if (!d || iommu_map(d, base, base, len, IOMMU_READ | IOMMU_WRITE) ||
			    (!dev->dom && iommu_attach(d, dev->seg, (u8)(dev->sid >> 8), (u8)dev->sid))) {
				LOG("iommu", "error: RMRR 0x%lx-0x%lx for %s could not be set up", rm->base,
				    rm->limit, name);
				continue;
			}
			dev->rmrr = true;
			LOG("iommu", "RMRR 0x%lx-0x%lx identity-mapped for %s", rm->base, rm->limit, name);
		}
	}
}

status_t iommu_init(const void *dmar, u32 len, const struct iommu_options *o)
{
	io.no_qi = o->no_qi;
	io.ir = o->ir;
	status_t st = dmar_parse(dmar, len, page_alloc, NULL, &io.dmar);
	log_dmar();
	if (st)
		return st;
	if (!io.dmar.nr_units)
		return E_NOENT;
	if ((st = units_probe(o)) != OK)
		return st;
	if (!(io.levels = common_levels(o->max_levels))) {
		LOG("iommu", "error: the units share no 39- or 48-bit table format; VT-d not used");
		io.nr_units = 0;
		return E_NOTSUP;
	}
	io.max_iova_bits = MIN(io.max_iova_bits, io.levels == 4 ? 48u : 39u);
	io.did_used = page_alloc(io.nr_dids, NULL);
	if (!io.did_used)
		return E_NOMEM;
	for (u32 i = 0; i < io.nr_units; i++) {
		struct vtd_unit *u = &io.units[i];
		if (u->reg && (st = unit_start(u)) != OK) {
			LOG("vtd", "unit %u: start failed (%s); unit left off", i, status_str(st));
			u->reg = 0;
		}
	}
	if ((st = devices_init()) != OK)
		return st;
	LOG("iommu", "%u-level (%u-bit) tables, superpages%s%s, %u domain IDs, caching mode %s",
	    io.levels, io.levels == 4 ? 48 : 39, io.sllps & SLLPS_2M ? " 2M" : "",
	    io.sllps & SLLPS_1G ? " 1G" : "", io.nr_dids, io.caching_mode ? "on" : "off");
	rmrr_domains();
	return OK;
}

/* Before translation starts, devices nobody owns lose bus mastering (DESIGN.md pitfalls). */
static void block_unowned(void)
{
	for (u32 i = 0; i < io.nr_devs; i++) {
		struct iommu_dev *dev = &io.devs[i];
		const struct pci_dev *d = pci_get(i);
		if (dev->dom || d->header_type == 1)
			continue;
		u16 cmd = pci_read16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND);
		if (cmd & PCI_COMMAND_MASTER) {
			pci_write16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
			LOG("iommu", "%04x:%02x:%02x.%u has no domain: bus mastering turned off", d->seg,
			    d->bus, d->dev, d->fn);
		}
	}
}

status_t iommu_enable(void)
{
	block_unowned();
	status_t st = OK;
	for (u32 i = 0; i < io.nr_units; i++) {
		struct vtd_unit *u = &io.units[i];
		if (!u->reg)
			continue;
		if ((st = vtd_unit_enable_translation(u)) != OK) {
			LOG("vtd", "unit %u: translation enable failed", i);
			return st;
		}
		LOG("vtd", "unit %u: DMA remapping enabled", i);
	}
	io.enabled = true;
	return OK;
}

void iommu_report(void)
{
	for (u32 i = 0; i < io.nr_devs; i++) {
		const struct iommu_dev *dev = &io.devs[i];
		char alias[24] = "";
		if (dev->alias != dev->sid)
			snprintf(alias, sizeof alias, " (DMA as %02x:%02x.%u)", dev->alias >> 8,
				 (dev->alias >> 3) & 31, dev->alias & 7);
		char unit[12] = "none";
		if (dev->unit)
			snprintf(unit, sizeof unit, "%u", dev->unit->index);
		LOG("iommu", "%04x:%02x:%02x.%u%s: unit %s, domain %s", dev->seg, dev->sid >> 8,
		    (dev->sid >> 3) & 31, dev->sid & 7, alias, unit,
		    dev->dom ? dev->dom->name : "none (DMA blocked)");
	}
}
