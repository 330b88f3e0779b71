/* Device passthrough: ownership checks, quiescing, the VT-d domain over the guest's RAM, stop-time containment. */
#include "passthrough.h"
#include "vmsi_route.h"
#include "vpci.h"
#include "iommu/iommu.h"
#include "drivers/edu.h"
#include "drivers/pci.h"
#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "arch/x86/tsc.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

#define MSI_CTL_ENABLE BIT(0)
#define MSIX_CTL_ENABLE BIT(15)
#define MSIX_CTL_MASK_ALL BIT(14)           /* Function Mask */
#define EXP_DEVCAP 0x04                     /* PCIe base 7.5.3.3 Device Capabilities */
#define EXP_DEVCAP_FLR BIT(28)              /* Function Level Reset Capability */
#define EXP_DEVCTL 0x08                     /* 7.5.3.4 Device Control */
#define EXP_DEVCTL_FLR BIT(15)              /* Initiate Function Level Reset */
#define FLR_WAIT_US 100000                  /* 6.6.2: 100 ms before the function is touched again */
#define SENTINEL_BYTE(i) ((u8)(0xa5 ^ (i) * 7))

struct pt_domain {
	struct domain *d;
	struct iommu_domain *io;
	bool stopped;
	u8 irq_on_at_stop[VPCI_MAX_FNS];   /* test aid: QUIESCED_MSI/_MSIX, what teardown turned off */
};

#define QUIESCED_MSI BIT(0)
#define QUIESCED_MSIX BIT(1)

static struct pt_domain pts[CFG_MAX_DOMAINS];
static const struct domain *owner[256];     /* by host PCI index (the first 256 functions) */
static u8 *sentinel;                         /* test aid: a hypervisor page guests aim DMA at */

static void bdf_str(char *s, size_t n, const struct vpci_fn *f)
{
	snprintf(s, n, "%04x:%02x:%02x.%u", f->seg, f->bus, f->devfn >> 3, f->devfn & 7);
}

/* Bus mastering, decoding, MSI, MSI-X and INTx off; a function-level reset where offered. Returns
 * which of MSI and MSI-X were enabled (QUIESCED_MSI, QUIESCED_MSIX). */
static u8 quiesce(const struct vpci_fn *f, const struct pci_dev *p)
{
	u8 was_on = 0;
	u32 cmd = vpci_host_read(f, PCI_COMMAND) & 0xffff;
	vpci_host_write(f, PCI_COMMAND, (cmd & ~(u32)(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) | PCI_COMMAND_INTX_DISABLE);
	if (p->cap_msi) {
		u32 c = vpci_host_read(f, p->cap_msi);
		was_on |= c & (u32)MSI_CTL_ENABLE << 16 ? QUIESCED_MSI : 0;
		vpci_host_write(f, p->cap_msi, c & ~((u32)MSI_CTL_ENABLE << 16));
	}
	if (p->cap_msix) {
		u32 c = vpci_host_read(f, p->cap_msix);
		was_on |= c & (u32)MSIX_CTL_ENABLE << 16 ? QUIESCED_MSIX : 0;
		vpci_host_write(f, p->cap_msix, (c & ~((u32)MSIX_CTL_ENABLE << 16)) | (u32)MSIX_CTL_MASK_ALL << 16);
	}
	if (p->cap_exp && (vpci_host_read(f, p->cap_exp + EXP_DEVCAP) & EXP_DEVCAP_FLR)) {
		u32 bars[VPCI_NR_BARS];
		for (u32 i = 0; i < VPCI_NR_BARS; i++)
			bars[i] = vpci_host_read(f, (u16)(0x10 + 4 * i));
		u32 ctl = vpci_host_read(f, p->cap_exp + EXP_DEVCTL);
		vpci_host_write(f, p->cap_exp + EXP_DEVCTL, ctl | EXP_DEVCTL_FLR);
		udelay(FLR_WAIT_US);
		for (u32 i = 0; i < VPCI_NR_BARS; i++)   /* the reset cleared the BARs */
			vpci_host_write(f, (u16)(0x10 + 4 * i), bars[i]);
		vpci_host_write(f, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	}
	return was_on;
}

/*
 * The hypervisor's own devices: an I/O BAR that may hold its console UART's
 * ports. Checked before the device is touched (sizing would move the BAR under
 * the console), so conservatively: any I/O BAR starting at most 256 ports
 * (the largest I/O BAR, PCI 3.0 6.2.5.1) below the console port.
 */
static const char *hv_use(const struct vpci_fn *f, u16 console_port)
{
	for (u16 off = 0x10; console_port && off < 0x28; off += 4) {
		u32 bar = vpci_host_read(f, off);
		u32 base = bar & ~3u;
		if ((bar & 1) && base && console_port >= base && console_port < base + 256)
			return "its I/O BAR may hold the hypervisor's console UART";
	}
	return NULL;
}

/*
 * Without interrupt remapping a device that can send MSIs could write any
 * vector to any CPU (DESIGN.md; VT-d 5.1): such a device needs an IRTE on its
 * unit. MSI gets its entry and host vector here, MSI-X one per offered entry.
 */
static MUST_CHECK status_t msi_capable_ok(struct domain *d, struct vpci_fn *f, const struct pci_dev *p, char *err,
			       size_t errlen)
{
	status_t st = p->cap_msi ? vpci_msi_init(d, f, err, errlen) : OK;
	return st ? st : vpci_msix_init(d, f, err, errlen);
}

static void msi_release(struct vpci_fn *f)
{
	vpci_msi_release(f);
	vpci_msix_release(f);
}

static MUST_CHECK status_t add_device(struct pt_domain *pt, struct vpci_bus *bus, const struct cfg_device *c,
			   u16 console_port, char *err, size_t errlen)
{
	struct domain *d = pt->d;
	u8 devfn = (u8)PCI_SID(0, c->dev, c->fn);
	s32 k = pci_find(c->seg, c->bus, devfn);
	const struct pci_dev *p = k >= 0 ? pci_get((u32)k) : NULL;
	const char *why = NULL;
	status_t st;
	char bdf[16];
	snprintf(bdf, sizeof bdf, "%04x:%02x:%02x.%u", c->seg, c->bus, c->dev, c->fn);
	if (!p)
		return snprintf(err, errlen, "device %s: no such PCI function", bdf), E_NOENT;
	/* Class 06 (bridges: host, ISA, PCI) belongs to the platform, and a type 1 header routes others. */
	if (p->header_type != 0 || p->class_rev >> 24 == 0x06)
		return snprintf(err, errlen, "device %s: a bridge (class %02x:%02x) belongs to the platform, "
				"it cannot be passed through", bdf, p->class_rev >> 24,
				(p->class_rev >> 16) & 0xff), E_NOTSUP;
	if (k < (s32)ARRAY_SIZE(owner) && owner[k])
		return snprintf(err, errlen, "device %s is already assigned to domain %s", bdf,
				owner[k]->name), E_BUSY;
	if (bus->nr == VPCI_MAX_FNS)
		return snprintf(err, errlen, "device %s: more than %u devices", bdf, VPCI_MAX_FNS), E_NOSPC;
	struct vpci_fn *f = &bus->fn[bus->nr];
	*f = (struct vpci_fn){ .seg = c->seg, .bus = c->bus, .devfn = devfn, .gdev = (u8)(bus->nr + 1) };
	if ((why = hv_use(f, console_port)))
		return snprintf(err, errlen, "device %s is used by the hypervisor: %s", bdf, why), E_BUSY;
	(void)quiesce(f, p);
	char e2[160] = "";
	if ((st = vpci_fn_init(f, e2, sizeof e2)))
		return snprintf(err, errlen, "device %s: %s", bdf, e2), st;
	if ((st = msi_capable_ok(d, f, p, e2, sizeof e2))) {
		msi_release(f);
		return snprintf(err, errlen, "device %s: %s", bdf, e2), st;
	}
	st = iommu_attach(pt->io, c->seg, c->bus, devfn);
	if (st)
		msi_release(f);
	if (st == E_BUSY)
		return snprintf(err, errlen, "device %s is in another VT-d domain (the hypervisor's or "
				"another domain's)", bdf), st;
	if (st)
		return snprintf(err, errlen, "device %s: %s", bdf, st == E_NOTSUP ?
				"no remapping unit covers it, its DMA could not be confined" :
				status_str(st)), st;
	if (k < (s32)ARRAY_SIZE(owner))
		owner[k] = d;
	bus->nr++;
	struct iommu_domain_stats s;
	iommu_domain_get_stats(pt->io, &s);
	LOG("passthrough", "%s: %s %04x:%04x as guest 00:%02x.0, VT-d domain %s (DID %u), RAM 0x0-0x%lx "
	    "-> host 0x%lx, quiesced (command 0x%04x)", d->name, bdf, p->vendor, p->device, f->gdev,
	    d->name, s.did, d->mem_size - 1, d->mem_hpa, vpci_host_read(f, PCI_COMMAND) & 0xffff);
	vpci_msi_report(d, f);
	vpci_msix_report(d, f);
	return OK;
}

static void teardown(struct pt_domain *pt)
{
	struct vpci_bus *bus = vpci_bus_get(pt->d, false);
	for (u32 i = 0; bus && i < bus->nr; i++) {
		struct vpci_fn *f = &bus->fn[i];
		s32 k = pci_find(f->seg, f->bus, f->devfn);
		if (k >= 0)
			pt->irq_on_at_stop[i] = quiesce(f, pci_get((u32)k));
		msi_release(f);
		if (iommu_detach(pt->io, f->seg, f->bus, f->devfn))
			LOG("passthrough", "%s: detaching guest 00:%02x.0 failed", pt->d->name, f->gdev);
	}
}

/* Test aid: the page guests aim a DMA at must still hold its pattern. */
static void sentinel_check(void)
{
	u32 bad = 0;
	for (u32 i = 0; sentinel && i < PAGE_SIZE; i++)
		bad += sentinel[i] != SENTINEL_BYTE(i);
	if (sentinel)
		LOG("passthrough", "hypervisor page 0x%lx: %s (%u bytes changed)", (u64)(uintptr_t)sentinel,
		    bad ? "CHANGED" : "unchanged", bad);
}

/* The MSI entry of a domain's first device (a guest forges a message naming it), ~0 if none. */
static u64 irte_of(const struct pt_domain *pt)
{
	struct vpci_bus *b = vpci_bus_get(pt->d, false);
	return b && b->nr && b->fn[0].msi.have_irte ? b->fn[0].msi.irte.index : ~0ULL;
}

static void test_aids(struct pt_domain *pt)
{
	if (!sentinel && (sentinel = (u8 *)(uintptr_t)pmm_alloc_pages(1, 0)))
		for (u32 i = 0; i < PAGE_SIZE; i++)
			sentinel[i] = SENTINEL_BYTE(i);
	/* Every domain with devices learns the previous one's RAM and the next one learns ours. */
	struct pt_domain *other = NULL;
	for (u32 i = 0; i < ARRAY_SIZE(pts); i++)
		if (pts[i].d && &pts[i] != pt && !pts[i].stopped) {
			other = &pts[i];
			vpci_set_test_aids(pts[i].d, pt->d, (u64)(uintptr_t)sentinel, irte_of(pt));
		}
	vpci_set_test_aids(pt->d, other ? other->d : NULL, (u64)(uintptr_t)sentinel, other ? irte_of(other) : ~0ULL);
}

/*
 * Test aid, at a domain's stop: what its device wrote, read at the host-physical page (the suite
 * compares the checksum with the one the guest announced), and the canary of the domain its
 * device attacked, compared with its checksum when that domain registered it: the attack was
 * made before this stop, so an unchanged canary here is a fact, not a race.
 */
static void region_checks(struct domain *d)
{
	const struct vpci_bus *b = vpci_bus_get(d, false);
	if (b && b->dma_set)
		LOG("passthrough", "%s: DMA buffer at guest-physical 0x%lx (%u bytes) read at host 0x%lx: "
		    "checksum 0x%08x", d->name, b->dma_gpa, VPCI_AID_LEN, d->mem_hpa + b->dma_gpa,
		    vpci_aid_sum(d, b->dma_gpa));
	const struct vpci_bus *o = b && b->aid_other ? vpci_bus_get(b->aid_other, false) : NULL;
	if (!o)
		return;
	if (!o->canary_set) {
		LOG("passthrough", "%s stopped: %s registered no canary", d->name, o->d->name);
		return;
	}
	u32 now = vpci_aid_sum(o->d, o->canary_gpa);
	LOG("passthrough", "%s stopped: %s's canary at host 0x%lx (%u bytes): %s (checksum 0x%08x, "
	    "0x%08x when registered)", d->name, o->d->name, o->d->mem_hpa + o->canary_gpa, VPCI_AID_LEN,
	    now == o->canary_sum ? "unchanged" : "CHANGED", now, o->canary_sum);
}

status_t passthrough_build(struct domain *d, const struct cfg_device *devs, u32 n, u16 hv_console_port,
			   char *err, size_t errlen)
{
	if (!n)
		return OK;
	if (d->index >= CFG_MAX_DOMAINS)
		return snprintf(err, errlen, "devices: too many domains"), E_NOSPC;
	if (!iommu_units())
		return snprintf(err, errlen, "devices: no VT-d remapping unit in use, a device's DMA "
				"could not be confined"), E_NOTSUP;
	if (d->mem_size > VPCI_ECAM_GPA)
		return snprintf(err, errlen, "devices: memory above 0x%llx would cover the PCI "
				"configuration window", VPCI_ECAM_GPA), E_RANGE;
	struct pt_domain *pt = &pts[d->index];
	struct vpci_bus *bus = vpci_bus_get(d, true);
	status_t st = E_NOMEM;
	*pt = (struct pt_domain){ .d = d };
	if (!bus || !(pt->io = iommu_domain_create(d->name))) {
		snprintf(err, errlen, "devices: no VT-d domain available");
		goto fail;
	}
	/* The device sees guest-physical addresses, exactly the RAM EPT gives the CPU. */
	if ((st = iommu_map(pt->io, 0, d->mem_hpa, d->mem_size, IOMMU_READ | IOMMU_WRITE))) {
		snprintf(err, errlen, "devices: mapping the RAM for DMA failed: %s", status_str(st));
		goto fail;
	}
	for (u32 i = 0; i < n; i++)
		if ((st = add_device(pt, bus, &devs[i], hv_console_port, err, errlen)))
			goto fail;
	if ((st = vpci_register())) {
		snprintf(err, errlen, "devices: virtual PCI not registered: %s", status_str(st));
		goto fail;
	}
	if (exits_test_aids)
		test_aids(pt);
	return OK;
fail:
	passthrough_release(d);
	return st;
}

void passthrough_release(struct domain *d)
{
	struct pt_domain *pt = d->index < CFG_MAX_DOMAINS ? &pts[d->index] : NULL;
	if (!pt || pt->d != d)
		return;
	if (pt->io) {
		teardown(pt);
		status_t st = iommu_domain_destroy(pt->io);
		if (st)
			LOG("passthrough", "%s: VT-d domain not freed: %s", d->name, status_str(st));
	}
	for (u32 i = 0; i < ARRAY_SIZE(owner); i++)
		if (owner[i] == d)
			owner[i] = NULL;
	vpci_bus_put(d);
	*pt = (struct pt_domain){ 0 };
}

/*
 * Test aid: the stopped domain's edu raises an interrupt (MSI, or MSI-X entry 0) through
 * its raise register. Quiescing turned its MSI and MSI-X off and bus mastering with them,
 * and the entries and host vectors are freed: no message may reach the unit (a
 * message through a freed entry would fault, VT-d 5.1.4.1) and none may be delivered
 * or dropped by a host vector handler.
 */
static void irq_after_stop(const struct pt_domain *pt, const struct vpci_fn *f, const struct pci_dev *p,
			   const char *bdf, u8 was_on)
{
	u64 r = f->bar[0].host;
	u64 handled = f->msi.delivered + f->msi.dropped + f->msix.delivered + f->msix.dropped;
	u64 faults = iommu_device_faults(f->seg, PCI_SID(f->bus, 0, 0) | f->devfn);
	u32 cmd = vpci_host_read(f, PCI_COMMAND) & 0xffff;
	vpci_host_write(f, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);       /* registers reachable, nothing else */
	mmio_write32(r + EDU_IRQ_RAISE, 1);                   /* bits 25:24: MSI-X entry 0 */
	udelay(2000);
	mmio_write32(r + EDU_IRQ_ACK, mmio_read32(r + EDU_IRQ_STATUS));
	vpci_host_write(f, PCI_COMMAND, cmd);
	iommu_poll_faults();
	u64 nf = iommu_device_faults(f->seg, PCI_SID(f->bus, 0, 0) | f->devfn) - faults;
	u64 nh = f->msi.delivered + f->msi.dropped + f->msix.delivered + f->msix.dropped - handled;
	bool msi = p->cap_msi && vpci_host_read(f, p->cap_msi) & (u32)MSI_CTL_ENABLE << 16;
	bool msix = p->cap_msix && vpci_host_read(f, p->cap_msix) & (u32)MSIX_CTL_ENABLE << 16;
	/* What the stop turned off: "off at the device" says something only if it was on. */
	static const char *const on_at_stop[] = { "none", "MSI", "MSI-X", "MSI and MSI-X" };
	LOG("passthrough", "%s: after stop: interrupt raised by %s: %lu handled by Passage, %lu new faults; "
	    "MSI %s, MSI-X %s at the device (on at the stop: %s)%s", pt->d->name, bdf, nh, nf,
	    msi ? "on" : "off", msix ? "on" : "off", on_at_stop[was_on & 3],
	    !nh && !nf && !msi && !msix ? " (silent)" : " (NOT SILENT)");
}

/*
 * Test aid: with the device quiesced and detached, program an edu to copy its
 * buffer into the stopped domain's RAM; nothing may land there and no request
 * may even reach the unit (bus mastering is off).
 */
static void dma_after_stop(struct pt_domain *pt, const struct vpci_fn *f, u32 idx)
{
	s32 k = pci_find(f->seg, f->bus, f->devfn);
	const struct pci_dev *p = k >= 0 ? pci_get((u32)k) : NULL;
	const struct vpci_bar *b = &f->bar[0];
	char bdf[16];
	if (!p || p->vendor != EDU_VENDOR || p->device != EDU_DEVICE || b->io || !b->host ||
	    paging_map(b->host, b->size, MAP_MMIO))
		return;
	bdf_str(bdf, sizeof bdf, f);
	u8 *page = (u8 *)(uintptr_t)(pt->d->mem_hpa + 0x2000);
	memset(page, 0x3c, 256);
	iommu_poll_faults();
	u64 faults = iommu_device_faults(f->seg, PCI_SID(f->bus, 0, 0) | f->devfn);
	u32 cmd = vpci_host_read(f, PCI_COMMAND) & 0xffff;
	vpci_host_write(f, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);       /* registers reachable, bus mastering stays off */
	u64 r = b->host;
	mmio_write64(r + 0x80, EDU_BUF);                       /* source: the device's buffer */
	mmio_write64(r + 0x88, 0x2000);                        /* destination: the domain's page 2 */
	mmio_write64(r + 0x90, 256);
	mmio_write64(r + 0x98, 0x3);                           /* run, buffer to RAM */
	for (u32 t = 0; t < 2000 && (mmio_read32(r + 0x98) & 1); t++)
		udelay(100);
	udelay(1000);
	vpci_host_write(f, PCI_COMMAND, cmd);
	iommu_poll_faults();
	u32 changed = 0;
	for (u32 i = 0; i < 256; i++)
		changed += page[i] != 0x3c;
	u64 nf = iommu_device_faults(f->seg, PCI_SID(f->bus, 0, 0) | f->devfn) - faults;
	LOG("passthrough", "%s: after stop: DMA attempt by %s wrote %u bytes, %lu new faults%s", pt->d->name,
	    bdf, changed, nf, !changed && !nf ? " (quiesced)" : " (NOT QUIESCED)");
	irq_after_stop(pt, f, p, bdf, pt->irq_on_at_stop[idx]);
}

void passthrough_stop(struct domain *d)
{
	struct pt_domain *pt = d->index < CFG_MAX_DOMAINS ? &pts[d->index] : NULL;
	if (!pt || pt->d != d || !pt->io || pt->stopped)
		return;
	pt->stopped = true;
	iommu_poll_faults();    /* records still pending are the domain's: name it while attached */
	teardown(pt);
	struct vpci_bus *bus = vpci_bus_get(d, false);
	LOG("passthrough", "%s stopped: %u devices quiesced and detached from VT-d domain %s",
	    d->name, bus ? bus->nr : 0, d->name);
	for (u32 i = 0; bus && i < bus->nr; i++) {
		const struct vpci_fn *f = &bus->fn[i];
		LOG("passthrough", "%s: guest 00:%02x.0: %lu config writes ignored, %lu MSI-X enables "
		    "refused, %lu BAR placements refused", d->name, f->gdev, f->ignored, f->msi_refused,
		    f->bar_refused);
		if (f->msi.at)
			LOG("passthrough", "%s: guest 00:%02x.0: MSI: %lu delivered, %lu dropped (no route), "
			    "%lu routes programmed, %lu programmings refused; last mode %s%s", d->name, f->gdev,
			    f->msi.delivered, f->msi.dropped, f->msi.routes, f->msi.refused,
			    vmsi_mode_str(f->msi.mode), f->msi.mode == VMSI_MODE_VTD_POST ?
			    " (the unit posts: Passage sees none of them)" : "");
		if (f->msix.d)
			LOG("passthrough", "%s: guest 00:%02x.0: MSI-X: %lu delivered, %lu dropped (no route), "
			    "%lu routes programmed, %lu entries refused, %lu table/PBA writes ignored", d->name,
			    f->gdev, f->msix.delivered, f->msix.dropped, f->msix.routes, f->msix.refused,
			    f->msix.ignored);
		if (exits_test_aids)
			dma_after_stop(pt, f, i);
	}
	if (exits_test_aids) {
		sentinel_check();
		region_checks(d);
	}
}

static void print_route(const struct domain *d, const struct vpci_fn *f, const char *what, u64 route, u8 mode,
			const char *why)
{
	if (!vpci_route_targets(route)) {
		LOG("irqs", "%s: guest 00:%02x.0 %s: no route (disabled, masked or refused)", d->name, f->gdev, what);
		return;
	}
	LOG("irqs", "%s: guest 00:%02x.0 %s: vector 0x%x -> vCPU mask 0x%x: mode %s (%s)", d->name, f->gdev, what,
	    vpci_route_gvec(route), vpci_route_targets(route), vmsi_mode_str(mode), why ? why : "-");
}

/* The console's irqs: every passthrough interrupt source, its route, delivery mode and why, and
 * what Passage delivered itself (none in mode vtd-post: the unit posts those). */
void passthrough_print_irqs(void)
{
	u32 n = 0;
	for (u32 i = 0; i < CFG_MAX_DOMAINS; i++) {
		const struct pt_domain *pt = &pts[i];
		const struct vpci_bus *bus = pt->d ? vpci_bus_get(pt->d, false) : NULL;
		for (u32 k = 0; bus && k < bus->nr; k++) {
			const struct vpci_fn *f = &bus->fn[k];
			if (f->msi.at) {
				print_route(pt->d, f, "MSI", __atomic_load_n(&f->msi.route, __ATOMIC_ACQUIRE),
					    f->msi.mode, f->msi.mode_why);
				LOG("irqs", "%s: guest 00:%02x.0 MSI: %lu delivered by Passage, %lu dropped", pt->d->name,
				    f->gdev, f->msi.delivered, f->msi.dropped);
				n++;
			}
			for (u32 e = 0; f->msix.d && e < f->msix.nr; e++, n++) {
				char what[24];
				snprintf(what, sizeof what, "MSI-X entry %u", e);
				print_route(pt->d, f, what, __atomic_load_n(&f->msix.vec[e].route, __ATOMIC_ACQUIRE),
					    f->msix.vec[e].mode, f->msix.vec[e].mode_why);
			}
			if (f->msix.d)
				LOG("irqs", "%s: guest 00:%02x.0 MSI-X: %lu delivered by Passage, %lu dropped", pt->d->name,
				    f->gdev, f->msix.delivered, f->msix.dropped);
		}
	}
	LOG("irqs", "%u passthrough interrupt sources", n);
}
