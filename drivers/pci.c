/* PCI: ECAM (PCIe base spec 7.2.2) with CF8/CFC fallback (PCI 3.0 3.2.2.3.2), bridge walk, capabilities. */
#include "pci.h"
#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

#define MAX_ECAM 16

static struct pci_ecam ecams[MAX_ECAM];
static u32 nr_ecam;
static struct pci_dev *devs;
static u32 nr_devs, cap_devs;

static u64 ecam_addr(u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	for (u32 i = 0; i < nr_ecam; i++) {
		const struct pci_ecam *e = &ecams[i];
		if (e->segment == seg && bus >= e->start_bus && bus <= e->end_bus)
			return e->base + ((u64)(bus - e->start_bus) << 20) + ((u64)dev << 15) +
			       ((u64)fn << 12) + off;
	}
	return 0;
}

static u32 cf8_addr(u8 bus, u8 dev, u8 fn, u16 off)
{
	return 0x80000000u | ((u32)bus << 16) | ((u32)dev << 11) | ((u32)fn << 8) | (off & 0xfc);
}

u32 pci_read32(u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	u64 a = ecam_addr(seg, bus, dev, fn, off);
	if (a)
		return mmio_read32(a);
	if (seg != 0 || off >= 256)
		return ~0u;
	outl(0xcf8, cf8_addr(bus, dev, fn, off));
	return inl(0xcfc);
}

void pci_write32(u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u32 v)
{
	u64 a = ecam_addr(seg, bus, dev, fn, off);
	if (a) {
		mmio_write32(a, v);
		return;
	}
	if (seg != 0 || off >= 256)
		return;
	outl(0xcf8, cf8_addr(bus, dev, fn, off));
	outl(0xcfc, v);
}

u16 pci_read16(u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	return (u16)(pci_read32(seg, bus, dev, fn, off & ~3) >> ((off & 2) * 8));
}

u8 pci_read8(u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	return (u8)(pci_read32(seg, bus, dev, fn, off & ~3) >> ((off & 3) * 8));
}

void pci_write16(u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u16 v)
{
	u32 shift = (off & 2) * 8;
	u32 old = pci_read32(seg, bus, dev, fn, off & ~3);
	pci_write32(seg, bus, dev, fn, off & ~3, (old & ~(0xffffu << shift)) | ((u32)v << shift));
}

status_t pci_init(const struct pci_ecam *ecam, u32 nr)
{
	for (u32 i = 0; i < nr; i++) {
		if (nr_ecam == MAX_ECAM) {
			LOG("pci", "more than %d ECAM windows; segment %u ignored", MAX_ECAM,
			    ecam[i].segment);
			continue;
		}
		u64 len = ((u64)(ecam[i].end_bus - ecam[i].start_bus) + 1) << 20;
		if (paging_map(ecam[i].base, len, MAP_MMIO))
			return E_NOMEM;
		ecams[nr_ecam++] = ecam[i];
	}
	return OK;
}

bool pci_using_ecam(void)
{
	return nr_ecam > 0;
}

static void read_caps(struct pci_dev *d)
{
	if (!(pci_read16(d->seg, d->bus, d->dev, d->fn, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	u8 ptr = pci_read8(d->seg, d->bus, d->dev, d->fn, PCI_CAPABILITY_LIST) & 0xfc;
	/* At most 48 capabilities fit in 192 bytes: a longer chain is a loop. */
	for (int n = 0; ptr >= 0x40 && n < 48; n++) {
		u8 id = pci_read8(d->seg, d->bus, d->dev, d->fn, ptr);
		if (id == PCI_CAP_ID_MSI)
			d->cap_msi = ptr;
		else if (id == PCI_CAP_ID_MSIX)
			d->cap_msix = ptr;
		else if (id == PCI_CAP_ID_EXP)
			d->cap_exp = ptr;
		else if (id == PCI_CAP_ID_PM)
			d->cap_pm = ptr;
		ptr = pci_read8(d->seg, d->bus, d->dev, d->fn, ptr + 1) & 0xfc;
	}
	if (!d->cap_exp || !ecam_addr(d->seg, d->bus, d->dev, d->fn, 0))
		return;
	/* PCIe base spec 7.6: extended capabilities start at 0x100; 0 or ~0 ends the list. */
	u16 off = 0x100;
	for (int n = 0; off >= 0x100 && n < 960; n++) {
		u32 h = pci_read32(d->seg, d->bus, d->dev, d->fn, off);
		if (h == 0 || h == ~0u)
			break;
		d->nr_ext_caps++;
		off = (h >> 20) & 0xffc;
	}
}

/* Visits every function below bus; only counts while the table is not allocated. */
static void scan_bus(u16 seg, u8 bus, int depth, u8 *visited, s32 parent)
{
	if (visited[bus] || depth > 32)
		return;
	visited[bus] = 1;
	for (u8 dev = 0; dev < 32; dev++) {
		for (u8 fn = 0; fn < 8; fn++) {
			u32 id = pci_read32(seg, bus, dev, fn, PCI_VENDOR_ID);
			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;
				continue;
			}
			u8 ht = pci_read8(seg, bus, dev, fn, PCI_HEADER_TYPE);
			if (devs && nr_devs < cap_devs) {
				struct pci_dev *d = &devs[nr_devs];
				memset(d, 0, sizeof(*d));
				*d = (struct pci_dev){ .seg = seg, .bus = bus, .dev = dev, .fn = fn,
						       .vendor = (u16)id, .device = (u16)(id >> 16),
						       .class_rev = pci_read32(seg, bus, dev, fn,
									       PCI_CLASS_REVISION),
						       .header_type = ht & 0x7f, .parent = parent,
						       .pcie_type = 0xff };
				read_caps(d);
				if (d->cap_exp)
					d->pcie_type = (pci_read8(seg, bus, dev, fn, d->cap_exp + 2) >> 4) & 0xf;
			}
			nr_devs++;
			if ((ht & 0x7f) == 1) {
				u8 sec = pci_read8(seg, bus, dev, fn, PCI_SECONDARY_BUS);
				s32 me = (s32)nr_devs - 1;
				if (devs && nr_devs <= cap_devs) {
					devs[me].secondary_bus = sec;
					devs[me].subordinate_bus =
						pci_read8(seg, bus, dev, fn, PCI_SUBORDINATE_BUS);
				}
				if (sec > bus)
					scan_bus(seg, sec, depth + 1, visited, me);
			}
			if (fn == 0 && !(ht & 0x80))
				break;
		}
	}
}

static void scan_all(void)
{
	static u8 visited[256];
	nr_devs = 0;
	if (!nr_ecam) {
		memset(visited, 0, sizeof visited);
		scan_bus(0, 0, 0, visited, -1);
		return;
	}
	for (u32 i = 0; i < nr_ecam; i++) {
		memset(visited, 0, sizeof visited);
		scan_bus(ecams[i].segment, ecams[i].start_bus, 0, visited, -1);
	}
}

status_t pci_enumerate(void)
{
	/* Two passes: count, then size the table from what the platform has. */
	devs = NULL;
	scan_all();
	u32 count = nr_devs;
	if (!count)
		return OK;
	u64 pages = (count * sizeof(struct pci_dev) + PAGE_SIZE - 1) / PAGE_SIZE;
	devs = (struct pci_dev *)(uintptr_t)pmm_alloc_pages(pages, 0);
	if (!devs)
		return E_NOMEM;
	cap_devs = count;
	scan_all();
	if (nr_devs > cap_devs) {
		LOG("pci", "%u functions appeared during the scan; %u listed", nr_devs, cap_devs);
		nr_devs = cap_devs;
	}
	return OK;
}

u32 pci_count(void)
{
	return nr_devs;
}

const struct pci_dev *pci_get(u32 i)
{
	return i < nr_devs ? &devs[i] : NULL;
}

s32 pci_find(u16 seg, u8 bus, u8 devfn)
{
	for (u32 i = 0; i < nr_devs; i++)
		if (devs[i].seg == seg && devs[i].bus == bus && PCI_SID(0, devs[i].dev, devs[i].fn) == devfn)
			return (s32)i;
	return -1;
}

/*
 * PCI Express to PCI/PCI-X Bridge spec 1.0 section 2.3: a PCIe-to-PCI bridge
 * forwards upstream requests with the requester ID (secondary bus, 0, 0); a
 * conventional PCI-to-PCI bridge above a device replaces the ID with its own.
 * The topmost such bridge decides what the remapping unit sees.
 */
u16 pci_dma_alias(u32 i)
{
	const struct pci_dev *d = &devs[i];
	u16 sid = PCI_SID(d->bus, d->dev, d->fn);
	for (s32 p = d->parent; p >= 0 && (u32)p < nr_devs; p = devs[p].parent) {
		const struct pci_dev *b = &devs[p];
		if (b->pcie_type == PCI_EXP_TYPE_PCI_BRIDGE)
			sid = PCI_SID(b->secondary_bus, 0, 0);
		else if (b->pcie_type == 0xff)
			sid = PCI_SID(b->bus, b->dev, b->fn);
	}
	return sid;
}
