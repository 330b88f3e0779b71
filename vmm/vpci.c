/* Virtual PCI configuration space of a domain: host bridge, assigned functions, CF8/CFC and ECAM (PCI 3.0 ch. 6, PCIe base 7.2). */
#include "vpci.h"
#include "exit_io.h"
#include "mmio.h"
#include "drivers/pci.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/string.h"

#define PORT_CONFIG_ADDRESS 0xcf8   /* PCI 3.0 3.2.2.3.2: dword accesses only */
#define PORT_CONFIG_DATA 0xcfc      /* 0xcfc-0xcff */
#define CF8_ENABLE BIT(31)

#define HB_ID 0x29c08086u           /* host bridge 8086:29c0 (a Q35-class DRAM controller ID) */
#define HB_CLASS 0x06000000u        /* class 06 (bridge), subclass 00 (host), rev 0 */
#define AID_BASE 0x40               /* test aid dwords in the host bridge: 0x40-0x5f */
#define AID_OTHER_CANARY 0x60       /* read: the other domain's canary (host-physical), 0x60-0x67 */
#define AID_CANARY_AT 0x68          /* write: the guest's canary (guest-physical) */
#define AID_DMA_AT 0x6c             /* write: a buffer the guest's device wrote (guest-physical) */

#define CMD_ALLOWED (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)
#define MSIX_CTL_ENABLE BIT(15)     /* Message Control bit 15: MSI-X Enable */
#define BAR_IO BIT(0)
#define BAR_64 0x4                  /* memory BAR type 10b: 64-bit */
#define BAR_PREFETCH BIT(3)

static struct vpci_bus buses[CFG_MAX_DOMAINS];
static spinlock_t lock = SPINLOCK_INIT;
static bool claimed;             /* CF8/CFC and ECAM registered */

struct vpci_bus *vpci_bus_get(struct domain *d, bool create)
{
	if (d->index >= CFG_MAX_DOMAINS)
		return NULL;
	struct vpci_bus *b = &buses[d->index];
	if (b->d == d)
		return b;
	if (!create)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->d = d;
	return b;
}

/* Unlocked host access; callers hold the lock or run before any guest. */
void vpci_lock(void)
{
	spin_lock(&lock);
}

void vpci_unlock(void)
{
	spin_unlock(&lock);
}

u32 vpci_host_read(const struct vpci_fn *f, u16 off)
{
	spin_lock(&lock);
	u32 v = vpci_host_rd(f, off);
	spin_unlock(&lock);
	return v;
}

void vpci_host_write(const struct vpci_fn *f, u16 off, u32 val)
{
	spin_lock(&lock);
	vpci_host_wr(f, off, val);
	spin_unlock(&lock);
}

void vpci_set_test_aids(struct domain *d, struct domain *other, u64 sentinel_hpa, u64 other_irte)
{
	struct vpci_bus *b = vpci_bus_get(d, false);
	if (b)
		b->aid[0] = d->mem_hpa, b->aid[1] = other ? other->mem_hpa : 0, b->aid[2] = sentinel_hpa,
		b->aid[3] = other_irte, b->aid_other = other;
}

u32 vpci_aid_sum(const struct domain *d, u64 gpa)
{
	const u8 *p = (const u8 *)(uintptr_t)(d->mem_hpa + gpa);
	u32 h = 2166136261u;                           /* FNV-1a offset basis and prime */
	for (u32 i = 0; i < VPCI_AID_LEN; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* A test-aid register the guest wrote: a region of its RAM (bad addresses are ignored, counted). */
static void hb_write(struct vpci_bus *b, u16 off, u32 v, u32 m)
{
	u64 gpa = v;
	if (!exits_test_aids || m != 0xffffffffu || (off != AID_CANARY_AT && off != AID_DMA_AT) || gpa + VPCI_AID_LEN > b->d->mem_size) {
		b->hb_ignored++;
		return;
	}
	if (off == AID_CANARY_AT)
		b->canary_gpa = gpa, b->canary_sum = vpci_aid_sum(b->d, gpa), b->canary_set = true;
	else
		b->dma_gpa = gpa, b->dma_set = true;
}

/* ---- set-up ---- */

/* PCI 3.0 6.2.5.1: write all ones, read the size mask back, restore (decoding is off). */
static MUST_CHECK status_t probe_bars(struct vpci_fn *f, char *err, size_t errlen)
{
	for (u32 i = 0; i < VPCI_NR_BARS; i++) {
		struct vpci_bar *b = &f->bar[i];
		u16 off = (u16)(0x10 + 4 * i);
		u32 lo = vpci_host_rd(f, off);
		vpci_host_wr(f, off, 0xffffffffu);
		u32 mask = vpci_host_rd(f, off);
		vpci_host_wr(f, off, lo);
		if (!mask)
			continue;
		b->io = lo & BAR_IO;
		if (b->io) {
			b->host = lo & ~3u;
			b->size = (u16)(~(mask & ~3u) + 1);
			continue;
		}
		b->is64 = (lo & 6) == BAR_64;
		b->prefetch = lo & BAR_PREFETCH;
		u64 m = mask & ~0xfu, base = lo & ~0xfu;
		if (b->is64 && i + 1 < VPCI_NR_BARS) {
			u32 hi = vpci_host_rd(f, off + 4);
			vpci_host_wr(f, off + 4, 0xffffffffu);
			m |= (u64)vpci_host_rd(f, off + 4) << 32;
			vpci_host_wr(f, off + 4, hi);
			base |= (u64)hi << 32;
			f->bar[i + 1].upper = true;
		} else
			m |= 0xffffffff00000000ULL;
		b->host = base;
		b->size = ~m + 1;
		if (!base) {
			snprintf(err, errlen, "BAR%u was not assigned an address by firmware", i);
			return E_INVAL;
		}
		/* EPT maps whole pages: a smaller BAR would expose what shares its page. */
		if ((base | b->size) & (PAGE_SIZE - 1)) {
			snprintf(err, errlen, "BAR%u (0x%lx bytes at 0x%lx) is not page-sized and page-aligned",
				 i, b->size, base);
			return E_NOTSUP;
		}
		i += b->is64;
	}
	return OK;
}

static u32 cap_len(const struct vpci_fn *f, u8 at, u8 id)
{
	switch (id) {
	case PCI_CAP_ID_PM: return 8;            /* PCI PM 1.2 3.2 */
	case PCI_CAP_ID_MSIX: return 12;         /* PCI 3.0 6.8.2 */
	case PCI_CAP_ID_EXP: return 0x3c;        /* PCIe base 7.5.3 */
	case PCI_CAP_ID_MSI: {                   /* PCI 3.0 6.8.1: 64-bit address, per-vector masking */
		u16 ctl = (u16)(vpci_host_rd(f, at) >> 16);
		return (ctl & BIT(7) ? 14 : 10) + (ctl & BIT(8) ? 10 : 0);
	}
	}
	return 0;
}

/* Keeps only the capabilities Passage virtualizes; the others vanish from the guest's list. */
static void filter_caps(struct vpci_fn *f)
{
	if (!((vpci_host_rd(f, PCI_COMMAND) >> 16) & PCI_STATUS_CAP_LIST))
		return;
	u8 at = (u8)vpci_host_rd(f, PCI_CAPABILITY_LIST) & 0xfc;
	for (u32 guard = 0; at >= 0x40 && guard < 48; guard++) {
		u32 h = vpci_host_rd(f, at);
		u8 id = (u8)h;
		if ((id == PCI_CAP_ID_PM || id == PCI_CAP_ID_MSI || id == PCI_CAP_ID_EXP ||
		     id == PCI_CAP_ID_MSIX) && f->nr_caps < ARRAY_SIZE(f->caps))
			f->caps[f->nr_caps++] = at;
		if (id == PCI_CAP_ID_MSIX && !f->msix.at)
			f->msix.at = at;
		if (id == PCI_CAP_ID_MSI && !f->msi.at) {  /* PCI 3.0 6.8.1.3: bit 7 64-bit, bit 8 PVM */
			f->msi.at = at;
			f->msi.is64 = (h >> 16) & BIT(7);
			f->msi.pvm = (h >> 16) & BIT(8);
		}
		at = (u8)(h >> 8) & 0xfc;
	}
}

status_t vpci_fn_init(struct vpci_fn *f, char *err, size_t errlen)
{
	status_t st = probe_bars(f, err, errlen);
	if (st)
		return st;
	filter_caps(f);
	f->cmd = PCI_COMMAND_INTX_DISABLE;
	return OK;
}

/* ---- configuration reads ---- */

static const struct vpci_fn *cap_of(const struct vpci_fn *f, u16 off, u32 *k)
{
	for (u32 i = 0; i < f->nr_caps; i++)
		if (off >= f->caps[i] && off < f->caps[i] + cap_len(f, f->caps[i], (u8)vpci_host_rd(f, f->caps[i]))) {
			*k = i;
			return f;
		}
	return NULL;
}

static u32 bar_read(const struct vpci_fn *f, u32 i)
{
	const struct vpci_bar *b = &f->bar[i];
	if (b->upper) {
		const struct vpci_bar *lo = &f->bar[i - 1];
		return lo->sizing_hi ? (u32)(~(lo->size - 1) >> 32) : (u32)(lo->guest >> 32);
	}
	if (!b->size)
		return 0;
	u32 flags = b->io ? BAR_IO : (b->is64 ? BAR_64 : 0) | (b->prefetch ? BAR_PREFETCH : 0);
	u32 addr = b->sizing_lo ? (u32)~(b->size - 1) : (u32)b->guest;
	return (addr & (b->io ? ~3u : ~0xfu)) | flags;
}

static u32 fn_read(const struct vpci_fn *f, u16 off)
{
	u32 k, v;
	switch (off) {
	case PCI_VENDOR_ID:
	case PCI_CLASS_REVISION:
	case 0x2c:                                 /* subsystem vendor and ID */
		return vpci_host_rd(f, off);
	case PCI_COMMAND:                          /* status from the device, its capability bit ours */
		v = vpci_host_rd(f, off) & 0xffff0000u & ~((u32)PCI_STATUS_CAP_LIST << 16);
		return v | (f->nr_caps ? (u32)PCI_STATUS_CAP_LIST << 16 : 0) | f->cmd;
	case 0x0c:                                 /* one function per guest device: no multifunction bit */
		return ((vpci_host_rd(f, off) >> 16) & 0x7f) << 16 | (u32)f->latency << 8 | f->cacheline;
	case PCI_CAPABILITY_LIST:
		return f->nr_caps ? f->caps[0] : 0;
	case 0x3c:                                 /* no INTx offered yet: interrupt pin 0 */
		return f->intline;
	}
	if (off >= 0x10 && off < 0x10 + 4 * VPCI_NR_BARS)
		return bar_read(f, (off - 0x10) / 4);
	if (cap_of(f, off, &k)) {
		v = vpci_host_rd(f, off);
		if (off == f->caps[k])             /* Next Capability Pointer, bits 15:8 */
			v = (v & ~0xff00u) | (u32)(k + 1 < f->nr_caps ? f->caps[k + 1] : 0) << 8;
		if (f->caps[k] == f->msix.at && f->msix.nr)
			return vpci_msix_cfg_read(f, off, v);
		return f->caps[k] == f->msi.at ? vpci_msi_read(f, off, v) : v;
	}
	return 0;                                  /* expansion ROM, the rest, extended space: hidden */
}

static u32 hb_read(const struct vpci_bus *b, u16 off)
{
	if (off == PCI_VENDOR_ID)
		return HB_ID;
	if (off == PCI_CLASS_REVISION)
		return HB_CLASS;
	if (exits_test_aids && off >= AID_BASE && off < AID_BASE + 8 * ARRAY_SIZE(b->aid)) {
		u64 a = b->aid[(off - AID_BASE) / 8];
		return off & 4 ? (u32)(a >> 32) : (u32)a;
	}
	if (exits_test_aids && (off & ~4) == AID_OTHER_CANARY) {
		const struct vpci_bus *o = b->aid_other ? vpci_bus_get(b->aid_other, false) : NULL;
		u64 a = o && o->canary_set ? o->d->mem_hpa + o->canary_gpa : 0;
		return off & 4 ? (u32)(a >> 32) : (u32)a;
	}
	return 0;
}

/* ---- configuration writes ---- */

static const char *bar_conflict(const struct vpci_bus *bus, const struct vpci_fn *f,
				const struct vpci_bar *b, u64 a, char *buf, size_t len)
{
	u64 end = a + b->size;
	if (a & (b->size - 1))
		return "not aligned to its size";
	if (end < a || end > (1ULL << 39))
		return "beyond the guest-physical space Passage maps (512 GiB)";
	if (a < bus->d->mem_size)
		return "overlaps guest RAM";
	if (a < GUEST_APIC_GPA + PAGE_SIZE && GUEST_APIC_GPA < end)
		return "overlaps the local APIC page";
	if (a < VPCI_ECAM_GPA + VPCI_ECAM_SIZE && VPCI_ECAM_GPA < end)
		return "overlaps the PCI configuration window (ECAM)";
	if (exits_test_aids && a < 0xfeb00000ULL + PAGE_SIZE && 0xfeb00000ULL < end)
		return "overlaps the test scratch page";
	for (u32 n = 0; n < bus->nr; n++)
		for (u32 i = 0; i < VPCI_NR_BARS; i++) {
			const struct vpci_bar *o = &bus->fn[n].bar[i];
			if (o == b || o->io || !o->size || !o->guest)
				continue;
			if (a < o->guest + o->size && o->guest < end) {
				snprintf(buf, len, "overlaps BAR%u of guest 00:%02x.0", i, bus->fn[n].gdev);
				return buf;
			}
		}
	(void)f;
	return NULL;
}

static void io_bitmap_set(struct domain *d, u64 port, u64 n, bool open)
{
	for (u64 p = port; p < port + n && p < 0x10000; p++)
		if (open)
			d->io_bitmap[p / 8] &= (u8)~(1u << (p % 8));
		else
			d->io_bitmap[p / 8] |= (u8)(1u << (p % 8));
}

static void bar_unplace(struct domain *d, struct vpci_fn *f, struct vpci_bar *b)
{
	if (!b->guest)
		return;
	if (b->io)
		io_bitmap_set(d, b->guest, b->size, false);
	else
		vpci_bar_unmap(d, f, (u32)(b - f->bar));
	b->guest = 0;
}

/* Places BAR i at guest address a, or refuses (the guest reads the old placement back). */
static void bar_place(struct vpci_bus *bus, struct vpci_fn *f, u32 i, u64 a)
{
	struct vpci_bar *b = &f->bar[i];
	struct domain *d = bus->d;
	char buf[48];
	const char *why = NULL;
	if (a == b->guest)
		return;
	if (!a) {
		bar_unplace(d, f, b);
		return;
	}
	if (b->io) /* the I/O bitmap passes ports through, it cannot renumber them */
		why = a != b->host ? "an I/O BAR stays at its host ports" :
		      a < 0x1000 ? "ports below 0x1000 are the platform's (and Passage's emulated ones)" : NULL;
	else
		why = bar_conflict(bus, f, b, a, buf, sizeof buf);
	if (why) {
		f->bar_refused++;
		LOG("vpci", "%s: guest 00:%02x.0 BAR%u at 0x%lx refused: %s (%lu refused)", d->name,
		    f->gdev, i, a, why, f->bar_refused);
		return;
	}
	bar_unplace(d, f, b);
	if (b->io)
		io_bitmap_set(d, a, b->size, true);
	else if (vpci_bar_map(d, f, i, a)) {   /* the MSI-X table/PBA pages trapped, the rest direct */
		f->bar_refused++;
		LOG("vpci", "%s: guest 00:%02x.0 BAR%u at 0x%lx refused: EPT mapping failed", d->name,
		    f->gdev, i, a);
		return;
	}
	b->guest = a;
	LOG("vpci", "%s: guest 00:%02x.0 BAR%u at 0x%lx -> host 0x%lx (0x%lx bytes%s%s)", d->name,
	    f->gdev, i, a, b->host, b->size, b->is64 ? ", 64-bit" : "", b->prefetch ? ", prefetchable" : "");
}

static void bar_write(struct vpci_bus *bus, struct vpci_fn *f, u32 i, u32 v)
{
	struct vpci_bar *b = &f->bar[i];
	if (b->upper) {
		struct vpci_bar *lo = &f->bar[i - 1];
		lo->sizing_hi = v == 0xffffffffu;
		if (!lo->sizing_hi)
			bar_place(bus, f, i - 1, (u64)v << 32 | (lo->guest & 0xffffffffu));
		return;
	}
	if (!b->size) {
		f->ignored++;
		return;
	}
	u32 mask = b->io ? ~3u : ~0xfu;
	b->sizing_lo = (v & mask) == (0xffffffffu & mask);
	if (b->sizing_lo)
		return;
	u64 a = (b->guest & 0xffffffff00000000ULL) | (v & mask & (u32)~(b->size - 1));
	bar_place(bus, f, i, b->io ? a & 0xffff : a);
}

/* Command: I/O, memory, bus master follow the guest; INTx stays disabled on the device. */
static void cmd_write(struct vpci_fn *f, u32 v, u32 m)
{
	u16 want = (u16)((f->cmd & ~m) | (v & m));
	if ((want ^ f->cmd) & ~CMD_ALLOWED & 0xffff)
		f->ignored++;
	if ((v & m) >> 16)
		f->ignored++;                      /* status: error bits are the device's */
	f->cmd = want & CMD_ALLOWED;
	u32 host = vpci_host_rd(f, PCI_COMMAND) & 0xffff;
	host = (host & ~(u32)(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) | (f->cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	vpci_host_wr(f, PCI_COMMAND, host | PCI_COMMAND_INTX_DISABLE);
}

static void fn_write(struct vpci_bus *bus, struct vpci_fn *f, u16 off, u32 v, u32 m)
{
	u32 k;
	if (off == PCI_COMMAND)
		return cmd_write(f, v, m);
	if (off == 0x0c) {
		if (m & 0xff)
			f->cacheline = (u8)v;
		if (m & 0xff00)
			f->latency = (u8)(v >> 8);
		if (m & 0xffff0000u)
			f->ignored++;
		return;
	}
	if (off == 0x3c) {
		if (m & 0xff)
			f->intline = (u8)v;
		if (m & ~0xffu)
			f->ignored++;
		return;
	}
	if (off >= 0x10 && off < 0x10 + 4 * VPCI_NR_BARS)
		return bar_write(bus, f, (off - 0x10) / 4, (bar_read(f, (off - 0x10) / 4) & ~m) | (v & m));
	if (cap_of(f, off, &k) && f->caps[k] == f->msi.at)
		return vpci_msi_write(bus, f, off, v, m);
	if (cap_of(f, off, &k) && f->caps[k] == f->msix.at && f->msix.nr)
		return vpci_msix_cfg_write(bus, f, off, v, m);
	if (cap_of(f, off, &k) && off == f->caps[k] && (u8)vpci_host_rd(f, off) == PCI_CAP_ID_MSIX &&
	    (m & v & (u32)MSIX_CTL_ENABLE << 16)) {
		f->msi_refused++;
		LOG("vpci", "%s: guest 00:%02x.0 MSI-X enable refused: its MSI-X is not set up "
		    "(%lu refused)", bus->d->name, f->gdev, f->msi_refused);
		return;
	}
	f->ignored++;
}

/* ---- access paths ---- */

static struct vpci_fn *fn_at(struct vpci_bus *b, u8 devfn)
{
	for (u32 i = 0; i < b->nr; i++)
		if (devfn == PCI_SID(0, b->fn[i].gdev, 0))
			return &b->fn[i];
	return NULL;
}

/* One access of size bytes at register reg of bus 0's devfn; reads of an absent function float high. */
static void cfg_access(struct vpci_bus *b, u8 devfn, u16 reg, u32 size, bool write, u32 *val)
{
	u16 off = reg & 0xffc;
	u32 shift = 8 * (reg & 3), m = (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1) << shift;
	spin_lock(&lock);
	struct vpci_fn *f = devfn ? fn_at(b, devfn) : NULL;
	bool hb = devfn == 0;
	if (write) {
		if (b->d->state == DOM_STOPPED)
			;                          /* a stopped domain's device stays quiesced */
		else if (f)
			fn_write(b, f, off, *val << shift, m);
		else if (hb)
			hb_write(b, off, *val << shift, m);
	} else {
		u32 dw = f ? fn_read(f, off) : hb ? hb_read(b, off) : 0xffffffffu;
		*val = (dw & m) >> shift;
	}
	spin_unlock(&lock);
}

static bool cf8(struct vcpu *v, u16 port, u32 size, bool in, u32 *val, void *ctx)
{
	(void)port, (void)ctx;
	struct vpci_bus *b = vpci_bus_get(v->dom, false);
	if (!b || size != 4)
		return true;                       /* other sizes are not CONFIG_ADDRESS */
	if (in)
		*val = b->cf8;
	else
		b->cf8 = *val & 0x80fffffcu;
	return true;
}

static bool cfc(struct vcpu *v, u16 port, u32 size, bool in, u32 *val, void *ctx)
{
	(void)ctx;
	struct vpci_bus *b = vpci_bus_get(v->dom, false);
	if (!b || !(b->cf8 & CF8_ENABLE) || ((b->cf8 >> 16) & 0xff) || (port & 3) + size > 4)
		return true;                       /* only bus 0 exists */
	cfg_access(b, (u8)(b->cf8 >> 8), (u16)((b->cf8 & 0xfc) | (port & 3)), size, !in, val);
	return true;
}

static bool ecam(struct vcpu *v, u64 gpa, u32 size, bool write, u64 *val, void *ctx)
{
	struct vpci_bus *b = vpci_bus_get(v->dom, false);
	(void)ctx;
	u64 off = gpa - VPCI_ECAM_GPA;
	u32 x = (u32)*val;
	/* PCIe base 7.2.2: no access crosses a dword; a domain without a bus has nothing there */
	if (!b || size > 4 || (off & 3) + size > 4) {
		if (!write)
			*val = ~0ULL;
		return true;
	}
	cfg_access(b, (u8)(off >> 12), (u16)(off & 0xfff), size, write, &x);
	if (!write)
		*val = x;
	return true;
}

/* Claimed once for every domain: a domain without a bus reads all ones and writes nothing. */
status_t vpci_register(void)
{
	status_t st;
	if (claimed)
		return OK;
	if ((st = pio_register("PCI CONFIG_ADDRESS", PORT_CONFIG_ADDRESS, 1, cf8, NULL)) ||
	    (st = pio_register("PCI CONFIG_DATA", PORT_CONFIG_DATA, 4, cfc, NULL)) ||
	    (st = mmio_register(NULL, "PCI ECAM", VPCI_ECAM_GPA, VPCI_ECAM_SIZE, ecam, NULL)))
		return st;
	claimed = true;
	return OK;
}

void vpci_bus_put(struct domain *d)
{
	struct vpci_bus *b = vpci_bus_get(d, false);
	if (b)
		b->d = NULL, b->nr = 0;
	/* No other bus's test aid may keep naming d: a domain refused at build is freed after this. */
	for (u32 i = 0; i < CFG_MAX_DOMAINS; i++)
		if (buses[i].aid_other == d)
			buses[i].aid_other = NULL;
}
