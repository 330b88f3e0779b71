/* IOMMU start-up across units: DMAR table, ownership, RMRR domains, enable, fault totals and the report. */
#include "iommu_internal.h"
#include "vtd_irt.h"
#include "drivers/pci.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

struct iommu_state io;

void *iommu_page_alloc(size_t bytes, void *ctx)
{
	(void)ctx;
	return (void *)(uintptr_t)pmm_alloc_pages((bytes + PAGE_SIZE - 1) / PAGE_SIZE, 0);
}

/* ---- faults ---- */

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
		if (unit_usable(&io.units[i]))
			n += vtd_fault_poll(&io.units[i]);
	iommu_fault_log_flush();
	return n;
}

void iommu_fault_log_flush(void)
{
	for (u32 i = 0; i < io.nr_units; i++)
		if (unit_usable(&io.units[i]))
			vtd_fault_log_flush(&io.units[i]);
}

status_t iommu_set_fault_cpu(u32 apic_id)
{
	u32 aimed = 0;
	for (u32 i = 0; i < io.nr_units; i++) {
		if (!unit_usable(&io.units[i]))
			continue;
		status_t st = vtd_fault_target(&io.units[i], apic_id);
		if (st) {
			LOG("vtd", "unit %u: fault interrupt cannot target APIC ID %u (%s)", i, apic_id,
			    status_str(st));
			return st;
		}
		aimed++;
	}
	if (aimed)
		LOG("iommu", "fault interrupts go to APIC ID %u", apic_id);
	return OK;
}

void iommu_report_fault_events(void)
{
	for (u32 i = 0; i < io.nr_units; i++) {
		const struct vtd_unit *u = &io.units[i];
		if (!unit_usable(u))
			continue;
		u64 n = __atomic_load_n(&u->fault_irqs, __ATOMIC_RELAXED);
		if (n)
			LOG("vtd", "unit %u: %lu fault records, %lu fault interrupts, the last taken by APIC ID %u",
			    i, u->faults, n, __atomic_load_n(&u->fault_irq_apic, __ATOMIC_RELAXED));
		else
			LOG("vtd", "unit %u: %lu fault records, no fault interrupt", i, u->faults);
	}
}

status_t iommu_test_bad_descriptor(void)
{
	status_t st = E_NOTSUP;
	for (u32 i = 0; i < io.nr_units; i++) {
		struct vtd_unit *u = &io.units[i];
		if (!unit_usable(u) || !u->qi)
			continue;
		if (vtd_qi_submit_raw(u, 0, 0) != E_IO) /* the rejection is the expected result */
			return E_IO;
		st = OK;
	}
	return st;
}

u32 iommu_test_fault_records(u16 seg, u16 sid, u32 *unit)
{
	u16 alias;
	struct vtd_unit *u = iommu_dev_unit(seg, sid, &alias);
	if (!u)
		return 0;
	*unit = (u32)(u - io.units);
	return u->nr_frcd;
}

u64 iommu_fault_total(void) { return io.fault_total; }
u64 iommu_overflow_total(void) { return io.overflow_total; }

bool iommu_last_fault(struct iommu_fault *out)
{
	if (io.have_last)
		*out = io.last;
	return io.have_last;
}

int iommu_dmar_units(const void *dmar, u32 len)
{
	static struct dmar_info info; /* large: kept off the stack */
	if (dmar_parse(dmar, len, iommu_page_alloc, NULL, &info) != OK)
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
			if (unit_usable(&io.units[i]) && !vtd_agaw_bits(io.units[i].cap, want))
				all = false;
		if (all)
			return want;
	}
	return 0;
}

/* Probes every unit; with o->simulate_firmware first leaves it as an earlier stage might. */
static IOMMU_MUST_CHECK status_t units_probe(const struct iommu_options *o)
{
	io.units = iommu_page_alloc(io.dmar.nr_units * sizeof(struct vtd_unit), NULL);
	if (!io.units)
		return E_NOMEM;
	io.nr_units = io.dmar.nr_units;
	for (u32 i = 0; i < io.nr_units; i++) {
		struct vtd_unit *u = &io.units[i];
		*u = (struct vtd_unit){ .index = i, .reg = io.dmar.units[i].register_base,
					.segment = io.dmar.units[i].segment,
					.include_all = io.dmar.units[i].include_pci_all };
		if (vtd_unit_probe(u) || (o->simulate_firmware && vtd_simulate_firmware(u)))
			u->reg = 0; /* left alone: its devices stay as firmware set them */
	}
	if (o->simulate_firmware)
		iommu_simulate_mastering();
	return OK;
}

/*
 * Ownership order (review D3): bus mastering of every non-bridge function is
 * already off (iommu_quiesce). A unit that translates is only turned off if
 * no function is mastering, read back now; a unit whose take-over fails is
 * left as it was and its devices can never be attached (iommu_dev.c).
 */
static void units_take_ownership(void)
{
	io.sllps = 0xf;
	io.coherent = true;
	io.nr_dids = 65536;
	io.max_iova_bits = 64;
	for (u32 i = 0; i < io.nr_units; i++) {
		struct vtd_unit *u = &io.units[i];
		if (!unit_usable(u))
			continue;
		if (vtd_read32(u, GSTS_REG) & GSTS_TES) {
			u32 on = iommu_count_mastering();
			LOG("vtd", "unit %u: translation on at hand-over; %u functions mastering (read back)",
			    i, on);
			if (on) {
				LOG("vtd", "unit %u: error: not turning translation off while devices master the "
				    "bus; unit left as the earlier stage set it", i);
				u->reg = 0;
				continue;
			}
		}
		if (vtd_unit_take_ownership(u)) {
			u->reg = 0;
			continue;
		}
		io.sllps &= CAP_SLLPS(u->cap);
		io.coherent &= (u->ecap & ECAP_C) != 0;
		io.caching_mode |= (u->cap & CAP_CM) != 0;
		io.nr_dids = MIN(io.nr_dids, 1u << (4 + 2 * CAP_ND(u->cap)));
		io.max_iova_bits = MIN(io.max_iova_bits, (u32)CAP_MGAW(u->cap));
	}
}

static IOMMU_MUST_CHECK status_t unit_start(struct vtd_unit *u)
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
	/* A unit whose interrupt remapping cannot start keeps DMA remapping; its devices get no
	 * interrupt entries. */
	if (io.ir && vtd_irt_start(u) != OK)
		LOG("vtd", "unit %u: DMA remapping continues without interrupt remapping", u->index);
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
			if (dev->seg != rm->segment || !iommu_scope_covers(rm->segment, &sc, pci_get(k)))
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
	status_t st = dmar_parse(dmar, len, iommu_page_alloc, NULL, &io.dmar);
	log_dmar();
	if (st)
		return st;
	/* Firmware facts from the parser (dmar.h): "VT-d off" placeholder, units at base 0. */
	if (io.dmar.facts & DMAR_FACT_VTD_OFF) {
		LOG("iommu", "the firmware turned VT-d off (its DMAR table lists only units with register "
		    "base 0): DMA is not remapped");
		return E_NOTSUP;
	}
	if (!io.dmar.nr_units)
		return E_NOENT;
	if ((st = units_probe(o)) != OK)
		return st;
	if ((st = iommu_quiesce()) != OK)
		return st;
	units_take_ownership();
	if (!(io.levels = common_levels(o->max_levels))) {
		LOG("iommu", "error: the units share no 39- or 48-bit table format; VT-d not used");
		io.nr_units = 0;
		return E_NOTSUP;
	}
	io.max_iova_bits = MIN(io.max_iova_bits, io.levels == 4 ? 48u : 39u);
	io.did_used = iommu_page_alloc(io.nr_dids, NULL);
	if (!io.did_used)
		return E_NOMEM;
	for (u32 i = 0; i < io.nr_units; i++) {
		struct vtd_unit *u = &io.units[i];
		if (unit_usable(u) && (st = unit_start(u)) != OK) {
			LOG("vtd", "unit %u: start failed (%s); unit left off", i, status_str(st));
			u->reg = 0;
		}
	}
	if ((st = iommu_devices_init()) != OK)
		return st;
	iommu_report_unit_gaps();
	u32 usable = 0;
	for (u32 i = 0; i < io.nr_units; i++)
		usable += unit_usable(&io.units[i]);
	if (!usable) {
		LOG("iommu", "error: none of the %u remapping units could be taken over and started",
		    io.nr_units);
		return E_IO;
	}
	LOG("iommu", "%u-level (%u-bit) tables, superpages%s%s, %u domain IDs, caching mode %s",
	    io.levels, io.levels == 4 ? 48 : 39, io.sllps & SLLPS_2M ? " 2M" : "",
	    io.sllps & SLLPS_1G ? " 1G" : "", io.nr_dids, io.caching_mode ? "on" : "off");
	rmrr_domains();
	return OK;
}

status_t iommu_enable(void)
{
	iommu_block_unowned();
	status_t st = OK;
	for (u32 i = 0; i < io.nr_units; i++) {
		struct vtd_unit *u = &io.units[i];
		if (!unit_usable(u))
			continue;
		if ((st = vtd_unit_enable_translation(u)) != OK) {
			LOG("vtd", "unit %u: translation enable failed", i);
			return st;
		}
		LOG("vtd", "unit %u: DMA remapping enabled", i);
	}
	io.enabled = true;
	/* 8.4: RMRR devices (their own identity domains) master again, now translated. */
	for (u32 i = 0; i < io.nr_devs; i++) {
		const struct pci_dev *d = pci_get(i);
		if (!io.devs[i].rmrr || !io.bme_was_on[i])
			continue;
		u16 cmd = pci_read16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND);
		pci_write16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND, cmd | PCI_COMMAND_MASTER);
	}
	return OK;
}

/*
 * One line per device: its unit and domain. For a device in no domain the
 * line reports the Bus Master Enable bit read back from its PCI command
 * register, so "bus mastering off" is a measured fact, not a label.
 */
void iommu_report(void)
{
	for (u32 i = 0; i < io.nr_devs; i++) {
		const struct iommu_dev *dev = &io.devs[i];
		const struct pci_dev *d = pci_get(i);
		char alias[24] = "";
		if (dev->alias != dev->sid)
			snprintf(alias, sizeof alias, " (DMA as %02x:%02x.%u)", dev->alias >> 8,
				 (dev->alias >> 3) & 31, dev->alias & 7);
		char unit[64] = "none";
		if (dev->unit)
			snprintf(unit, sizeof unit, "%u", dev->unit->index);
		else
			snprintf(unit, sizeof unit, "none (no DMA remapping: its DMA is untranslated)");
		char dom[80];
		if (dev->dom) {
			snprintf(dom, sizeof dom, "%s", dev->dom->name);
		} else {
			u16 cmd = pci_read16(d->seg, d->bus, d->dev, d->fn, PCI_COMMAND);
			snprintf(dom, sizeof dom, "none, %s (PCI command 0x%04x)",
				 d->header_type == 1 ? "bridge" :
				 cmd & PCI_COMMAND_MASTER ? "BUS MASTERING ON" : "bus mastering off", cmd);
		}
		LOG("iommu", "%04x:%02x:%02x.%u%s: unit %s, domain %s", dev->seg, dev->sid >> 8,
		    (dev->sid >> 3) & 31, dev->sid & 7, alias, unit, dom);
	}
}
