/* Devices and units: DMAR scopes resolved to units (refusing failed ones), alias groups, unowned devices, fault credit. */
#include "iommu_internal.h"
#include "drivers/pci.h"
#include "lib/log.h"
#include "lib/string.h"

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

bool iommu_scope_covers(u16 seg, const struct dmar_scopes *sc, const struct pci_dev *d)
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

/*
 * 8.3: a device listed in a DRHD's scope belongs to that unit; INCLUDE_PCI_ALL
 * catches only devices no other unit of the segment lists. Scopes are matched
 * first, usable or not: a device under a unit that failed to start has no
 * unit (it must never fall through to the catch-all unit, whose root table
 * the device's DMA does not go through).
 */
static struct vtd_unit *unit_for(const struct pci_dev *d, s32 *listed_failed)
{
	struct vtd_unit *all = NULL;
	s32 all_failed = -1;
	*listed_failed = -1;
	for (u32 i = 0; i < io.nr_units; i++) {
		const struct dmar_unit *du = &io.dmar.units[i];
		if (du->segment != d->seg)
			continue;
		if (du->include_pci_all) {
			if (!all && all_failed < 0) {
				all = unit_usable(&io.units[i]) ? &io.units[i] : NULL;
				all_failed = all ? -1 : (s32)i;
			}
		} else if (iommu_scope_covers(d->seg, &du->scopes, d)) {
			if (unit_usable(&io.units[i]))
				return &io.units[i];
			*listed_failed = (s32)i;
			return NULL;
		}
	}
	*listed_failed = all_failed;
	return all;
}

/* The DRHD at an unusable register base (dmar_info.unusable) whose scope lists d, or NULL. */
static const struct dmar_unit *listed_unusable(const struct pci_dev *d)
{
	for (u32 i = 0; i < io.dmar.nr_unusable; i++) {
		const struct dmar_unit *du = &io.dmar.unusable[i];
		if (du->segment == d->seg && !du->include_pci_all &&
		    iommu_scope_covers(d->seg, &du->scopes, d))
			return du;
	}
	return NULL;
}

struct iommu_dev *iommu_dev_find(u16 seg, u16 sid)
{
	for (u32 i = 0; i < io.nr_devs; i++)
		if (io.devs[i].seg == seg && io.devs[i].sid == sid)
			return &io.devs[i];
	return NULL;
}

/* The unit serving a function and the requester ID it sees from it; NULL when no unit serves it. */
struct vtd_unit *iommu_dev_unit(u16 seg, u16 sid, u16 *alias)
{
	struct iommu_dev *dev = iommu_dev_find(seg, sid);
	if (!dev || !dev->unit || !unit_usable(dev->unit))
		return NULL;
	*alias = dev->alias;
	return dev->unit;
}

static struct iommu_alias_group *group_for(u16 seg, u16 alias)
{
	for (u32 i = 0; i < io.nr_groups; i++)
		if (io.groups[i].seg == seg && io.groups[i].alias == alias)
			return &io.groups[i];
	struct iommu_alias_group *g = &io.groups[io.nr_groups++];
	*g = (struct iommu_alias_group){ .seg = seg, .alias = alias };
	return g;
}

status_t iommu_devices_init(void)
{
	u32 n = pci_count();
	io.devs = iommu_page_alloc((n + 1) * sizeof(struct iommu_dev), NULL);
	io.groups = iommu_page_alloc((n + 1) * sizeof(struct iommu_alias_group), NULL);
	if (!io.devs || !io.groups)
		return E_NOMEM;
	io.nr_devs = n;
	io.nr_groups = 0;
	for (u32 i = 0; i < n; i++) {
		const struct pci_dev *d = pci_get(i);
		struct iommu_dev *dev = &io.devs[i];
		*dev = (struct iommu_dev){ .seg = d->seg, .sid = PCI_SID(d->bus, d->dev, d->fn),
					   .alias = pci_dma_alias(i) };
		/* 8.3: a device a DRHD lists is that unit's, even when its base is unusable */
		const struct dmar_unit *lost = listed_unusable(d);
		dev->listed_unit = -1;
		dev->unit = lost ? NULL : unit_for(d, &dev->listed_unit);
		if (dev->alias != dev->sid) {
			dev->group = group_for(dev->seg, dev->alias);
			dev->group->members++;
		}
		if (!dev->unit && dev->listed_unit < 0)
			dev->lost = lost ? lost : dmar_include_all_unusable(&io.dmar, d->seg);
		if (!dev->unit && dev->listed_unit >= 0)
			LOG("iommu", "%04x:%02x:%02x.%u: its unit %d (0x%lx) failed to start: no DMA "
			    "remapping for it; it cannot be given to a domain", d->seg, d->bus, d->dev, d->fn,
			    dev->listed_unit, io.dmar.units[dev->listed_unit].register_base);
	}
	/* A function whose own ID is a group's alias (e.g. 01:00.0 behind the bridge) is in it too. */
	for (u32 i = 0; i < n; i++) {
		struct iommu_dev *dev = &io.devs[i];
		for (u32 k = 0; !dev->group && k < io.nr_groups; k++)
			if (io.groups[k].seg == dev->seg && io.groups[k].alias == dev->sid) {
				dev->group = &io.groups[k];
				dev->group->members++;
			}
	}
	return OK;
}

/* Before translation starts, devices nobody owns lose bus mastering (DESIGN.md pitfalls). */
void iommu_block_unowned(void)
{
	for (u32 i = 0; i < io.nr_devs; i++) {
		struct iommu_dev *dev = &io.devs[i];
		const struct pci_dev *d = pci_get(i);
		if (dev->dom || d->header_type == 1)
			continue;
		u16 cmd = pci_read16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND);
		if (cmd != 0xffff && (cmd & PCI_COMMAND_MASTER)) {
			pci_write16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
			LOG("iommu", "%04x:%02x:%02x.%u has no domain: bus mastering turned off", d->seg,
			    d->bus, d->dev, d->fn);
		}
	}
}

/*
 * Firmware that half-disabled VT-d: a DRHD with an unusable register base
 * (base 0) beside valid units. Every device it lists, or (INCLUDE_PCI_ALL)
 * every device of its segment no valid unit lists, has no remapping at all;
 * say so once per such unit, with the count. Such devices
 * are refused by iommu_attach and keep bus mastering off (iommu_block_unowned),
 * but a driver that turns it on again would DMA untranslated: the report says so.
 */
void iommu_report_unit_gaps(void)
{
	for (u32 k = 0; k < io.dmar.nr_unusable; k++) {
		const struct dmar_unit *du = &io.dmar.unusable[k];
		u32 n = 0;
		for (u32 i = 0; i < io.nr_devs; i++)
			n += io.devs[i].lost == du;
		if (!n && !du->include_pci_all)
			continue;
		LOG("iommu", "error: segment %u: %s unit at register base 0x%lx is unusable (firmware "
		    "half-disabled VT-d): %u devices of segment %u have no remapping unit, cannot be given "
		    "to a domain, and are not isolated if they master", du->segment,
		    du->include_pci_all ? "the INCLUDE_PCI_ALL" : "a", du->register_base, n, du->segment);
	}
}

/* ---- bus mastering around the take-over (review D3) ---- */

/*
 * PCI-to-PCI bridges (header type 1) and the other bridge functions (base class 06h: host,
 * ISA/LPC bridges). Their Bus Master Enable forwards or is hard-wired (Bochs's i440FX host
 * bridge and PIIX3 ISA bridge read back 1 after a write of 0), so they are neither turned off
 * nor counted as mastering. The ISA bridge's legacy DMA controller, which Passage never
 * programs, is therefore not stopped in the take-over window; once translation is on it has
 * no context entry and is blocked like every unowned function.
 */
static bool is_bridge(const struct pci_dev *d)
{
	return d->header_type == 1 || (d->class_rev >> 24) == 0x06;
}

/*
 * Before any unit's translation is touched, every non-bridge function stops
 * mastering: an earlier stage may leave devices doing DMA (GRUB leaves AHCI
 * on), and between "translation off" and "Passage's tables on" that DMA would
 * be untranslated. Owners turn it back on when they attach (drivers do; RMRR
 * devices get it back once translation is on, in iommu_enable). Bridges are left alone:
 * their BME only forwards their children's requests.
 */
status_t iommu_quiesce(void)
{
	u32 n = pci_count(), off = 0;
	io.bme_was_on = iommu_page_alloc(n + 1, NULL);
	if (!io.bme_was_on)
		return E_NOMEM;
	for (u32 i = 0; i < n; i++) {
		const struct pci_dev *d = pci_get(i);
		u16 cmd = pci_read16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND);
		if (is_bridge(d) || cmd == 0xffff || !(cmd & PCI_COMMAND_MASTER))
			continue;
		io.bme_was_on[i] = 1;
		pci_write16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
		off++;
		LOG("iommu", "%04x:%02x:%02x.%u: bus mastering turned off before taking over VT-d",
		    d->seg, d->bus, d->dev, d->fn);
	}
	LOG("iommu", "take-over: bus mastering off for %u functions, %u still mastering (read back)", off,
	    iommu_count_mastering());
	return OK;
}

/* Non-bridge functions whose PCI command register reads back with Bus Master Enable set. */
u32 iommu_count_mastering(void)
{
	u32 on = 0;
	for (u32 i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_get(i);
		u16 cmd = pci_read16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND);
		on += !is_bridge(d) && cmd != 0xffff && (cmd & PCI_COMMAND_MASTER);
	}
	return on;
}

/* Test aid (vtd=preenable): every non-bridge function mastering, as an earlier stage might leave it. */
void iommu_simulate_mastering(void)
{
	for (u32 i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_get(i);
		u16 cmd = pci_read16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND);
		if (!is_bridge(d) && cmd != 0xffff)
			pci_write16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND, cmd | PCI_COMMAND_MASTER);
	}
	LOG("iommu", "simulated hand-over: %u functions mastering", iommu_count_mastering());
}

/* ---- faults ---- */

u64 iommu_fault_record(const struct iommu_fault *f, const char **owner)
{
	io.fault_total++;
	io.last = *f;
	io.have_last = true;
	*owner = "none, blocked";
	struct iommu_dev *dev = iommu_dev_find(f->seg, f->sid);
	if (!dev || (dev->group && dev->group->alias == f->sid)) {
		/* A requester ID several devices share: the unit cannot say which one it was. */
		for (u32 i = 0; i < io.nr_groups; i++) {
			struct iommu_alias_group *g = &io.groups[i];
			if (g->seg != f->seg || g->alias != f->sid)
				continue;
			if (g->dom) {
				g->dom->faults++;
				*owner = g->dom->name;
			}
			return ++g->faults;
		}
	}
	if (!dev)
		return ++io.unknown_faults;
	if (dev->dom) {
		dev->dom->faults++;
		*owner = dev->dom->name;
	}
	return ++dev->faults;
}

/* A device's own faults, plus its alias group's (the unit reports those under the shared ID). */
u64 iommu_device_faults(u16 seg, u16 sid)
{
	struct iommu_dev *dev = iommu_dev_find(seg, sid);
	if (!dev)
		return 0;
	return dev->faults + (dev->group ? dev->group->faults : 0);
}
