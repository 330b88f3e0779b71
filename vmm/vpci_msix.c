/* A passthrough function's MSI-X as the guest sees it: capability, table and PBA trapped, one IRTE per vector (PCI 3.0 6.8.2). */
#include "vpci.h"
#include "vmsi.h"
#include "vmsi_route.h"
#include "ept.h"
#include "mmio.h"
#include "drivers/pci.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/string.h"

/* PCI Local Bus 3.0 6.8.2.3 Message Control */
#define MSIX_CTL_SIZE 0x7ffu        /* Table Size, bits 10:0: N-1 */
#define MSIX_CTL_FMASK BIT(14)      /* Function Mask */
#define MSIX_CTL_ENABLE BIT(15)     /* MSI-X Enable */
/* 6.8.2.4/6.8.2.5 Table Offset/Table BIR, PBA Offset/PBA BIR */
#define MSIX_BIR(v) ((v) & 7u)
#define MSIX_OFF(v) ((v) & ~7u)
/* 6.8.2.6-9: each table entry is 16 bytes; Vector Control bit 0 is Mask Bit */
#define MSIX_ENTRY 16
#define MSIX_VEC_MASK BIT(0)

/* ---- the device's table (host MMIO; memory decoding on while Passage touches it) ---- */

static u64 dev_addr(const struct vpci_fn *f, u8 bar, u64 off)
{
	return f->bar[bar].host + off;
}

/* The device answers memory reads of its table only while Memory Space is enabled (PCI 3.0 6.2.2). */
static u32 mem_on(const struct vpci_fn *f)
{
	u32 cmd = vpci_host_rd(f, PCI_COMMAND) & 0xffff;
	if (!(cmd & PCI_COMMAND_MEMORY))
		vpci_host_wr(f, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	return cmd;
}

static void mem_restore(const struct vpci_fn *f, u32 cmd)
{
	if (!(cmd & PCI_COMMAND_MEMORY))
		vpci_host_wr(f, PCI_COMMAND, cmd);
}

static u64 dev_entry(const struct vpci_msix *x, u32 e, u32 reg)
{
	return dev_addr(x->f, x->tbir, x->toff + (u64)e * MSIX_ENTRY + 4 * reg);
}

/* Mask or unmask entry e at the device; the other Vector Control bits are kept (reserved). */
static void dev_mask(const struct vpci_msix *x, u32 e, bool mask)
{
	u32 cmd = mem_on(x->f);
	u32 c = mmio_read32(dev_entry(x, e, 3));
	mmio_write32(dev_entry(x, e, 3), mask ? c | MSIX_VEC_MASK : c & ~MSIX_VEC_MASK);
	(void)mmio_read32(dev_entry(x, e, 3));     /* the write is posted: flush it before returning */
	mem_restore(x->f, cmd);
}

static void host_ctl(const struct vpci_msix *x, bool enable, bool fmask)
{
	u32 c = vpci_host_rd(x->f, x->at) & ~((u32)(MSIX_CTL_ENABLE | MSIX_CTL_FMASK) << 16);
	vpci_host_wr(x->f, x->at, c | (enable ? (u32)MSIX_CTL_ENABLE << 16 : 0) | (fmask ? (u32)MSIX_CTL_FMASK << 16 : 0));
}

/* ---- routes ---- */

/*
 * Entry e's message names no APIC of the domain or an illegal vector. The guest
 * left the entry unmasked, so on hardware each message would be sent and lost:
 * the IRTE aims at the entry's host vector on vCPU 0's CPU with no route, so
 * the handler drops (and counts) them, and the device's entry stays as the
 * guest set it. Masking it at the device instead would hold them as a pending
 * bit (PCI 3.0 6.8.2.9/6.8.2.10) that is sent once the entry is corrected: a
 * late interrupt, and a PBA bit on an entry the guest reads unmasked. Only
 * when that IRTE cannot be written is the entry masked at the device.
 */
static void refuse(struct vpci_msix *x, u32 e, const struct vmsi_route *r, const char *why)
{
	struct vpci_msix_vec *v = &x->vec[e];
	const struct vcpu *v0 = x->d->vcpus[0];
	__atomic_store_n(&v->route, 0, __ATOMIC_RELEASE);
	v->mode = VMSI_MODE_NONE, v->mode_why = "refused: its messages are dropped";
	bool drop = v0->cpu < MAX_CPUS && cpus[v0->cpu] &&
		    iommu_irq_remap(&v->irte, v->host_vector, cpus[v0->cpu]->apic_id) == OK;
	if (drop)
		v->host_apic = cpus[v0->cpu]->apic_id;
	dev_mask(x, e, !drop);
	x->refused++;
	LOG("vpci", "%s: guest 00:%02x.0 MSI-X entry %u to APIC 0x%x (%s) vector 0x%x refused: %s "
	    "(%lu refused); %s", x->d->name, x->f->gdev, e, r->dest, r->logical ? "logical" : "physical",
	    r->vector, why, x->refused, drop ? "its messages are dropped" : "the entry stays masked at the device");
}

/*
 * Entry e after a guest change. Deliverable (MSI-X enabled, the entry
 * unmasked): the guest's message -> a route over the domain's vCPUs -> the
 * entry's IRTE rewritten (a live entry atomically, iommu_irq_remap) -> the
 * device's entry unmasked. The device's address/data never change (they name
 * the IRTE), so a live reprogramming never shows the device a half-written
 * message. Masked: masked at the device too, which keeps the pending bit
 * (6.8.2.9), the route stays for a message already in flight. Disabled: no route.
 */
static void vec_update(struct vpci_msix *x, u32 e)
{
	struct vpci_msix_vec *v = &x->vec[e];
	struct domain *d = x->d;
	if (!x->enabled) {
		__atomic_store_n(&v->route, 0, __ATOMIC_RELEASE);
		v->mode = VMSI_MODE_NONE, v->mode_why = "MSI-X disabled";
	}
	if (!x->enabled || (v->ctl & MSIX_VEC_MASK))
		return dev_mask(x, e, true);
	const struct vlapic *apic[VMSI_MAX_VCPUS];
	u32 ids[VMSI_MAX_VCPUS], n = MIN(d->nr_vcpus, VMSI_MAX_VCPUS);
	for (u32 i = 0; i < n; i++)
		apic[i] = &d->vcpus[i]->apic, ids[i] = d->vcpus[i]->id;
	struct vmsi_route r;
	enum vmsi_verdict why = vmsi_translate((u64)v->addr_hi << 32 | v->addr_lo, v->data, apic, ids, n, &r);
	if (why != VMSI_OK)
		return refuse(x, e, &r, vmsi_verdict_str(why));
	struct vmsi_target t;
	status_t st = vmsi_program(d, &v->irte, v->host_vector, &r, &t);
	if (st)
		return refuse(x, e, &r, st == E_NOENT ? "the target vCPU's physical CPU is not online" : status_str(st));
	bool changed = vpci_route_targets(v->route) != r.targets || v->host_apic != t.host_apic || v->mode != t.mode;
	v->host_apic = t.host_apic;
	v->mode = t.mode;
	v->mode_why = t.why;
	__atomic_store_n(&v->route, vpci_route(r.targets, r.vector), __ATOMIC_RELEASE);
	x->routes++;
	dev_mask(x, e, false);
	if (changed)
		LOG("vpci", "%s: guest 00:%02x.0 MSI-X entry %u vector 0x%x -> vCPU mask 0x%x (APIC 0x%x %s): "
		    "IRTE %u host vector 0x%x on CPU %u; mode %s (%s)", d->name, x->f->gdev, e, r.vector,
		    r.targets, r.dest, r.logical ? "logical" : "physical", v->irte.index, v->host_vector,
		    t.cpu, vmsi_mode_str(t.mode), t.why);
}

/* ---- the capability ---- */

u32 vpci_msix_cfg_read(const struct vpci_fn *f, u16 off, u32 raw)
{
	const struct vpci_msix *x = &f->msix;
	if (off != x->at)
		return raw;                        /* Table and PBA Offset/BIR: the device's */
	/* The offered table size; Enable and Function Mask as the guest wrote them. */
	u32 ctl = (u32)(x->nr - 1) | (x->fmask ? MSIX_CTL_FMASK : 0) | (x->enabled ? MSIX_CTL_ENABLE : 0);
	return (raw & 0xffff) | ctl << 16;
}

void vpci_msix_cfg_write(struct vpci_bus *bus, struct vpci_fn *f, u16 off, u32 v, u32 m)
{
	struct vpci_msix *x = &f->msix;
	(void)bus;
	if (off != x->at) {
		f->ignored++;                      /* Table and PBA Offset/BIR: read-only */
		return;
	}
	if (!(m >> 16))
		return;
	u32 ctl = (v & m) >> 16;
	bool was = x->enabled, fmask = x->fmask;
	if ((m >> 16) & MSIX_CTL_ENABLE)
		x->enabled = ctl & MSIX_CTL_ENABLE;
	if ((m >> 16) & MSIX_CTL_FMASK)
		x->fmask = ctl & MSIX_CTL_FMASK;
	if (was != x->enabled) {
		/* Entries first (masked or routed), then the device's enable: no message escapes a stale entry. */
		if (!x->enabled)
			host_ctl(x, false, true);
		for (u32 e = 0; e < x->nr; e++)
			vec_update(x, e);
	}
	if (x->enabled && (was != x->enabled || fmask != x->fmask))
		host_ctl(x, true, x->fmask);       /* Function Mask is the device's: it keeps the pending bits */
	if (was != x->enabled)
		LOG("vpci", "%s: guest 00:%02x.0 MSI-X %s (%u entries)", x->d->name, f->gdev,
		    x->enabled ? "enabled" : "disabled", x->nr);
}

/* ---- the table and the PBA (EPT dispatcher) ---- */

static u32 table_rd(const struct vpci_msix *x, u32 e, u32 reg)
{
	const struct vpci_msix_vec *v = &x->vec[e];
	const u32 r[4] = { v->addr_lo, v->addr_hi, v->data, v->ctl };
	return r[reg];
}

static void table_wr(struct vpci_msix *x, u32 e, u32 reg, u32 val, u32 m)
{
	struct vpci_msix_vec *v = &x->vec[e];
	u32 old = v->ctl;
	switch (reg) {
	case 0: v->addr_lo = (v->addr_lo & ~m) | (val & m & ~3u); break;   /* bits 1:0 are 0 (6.8.2.6) */
	case 1: v->addr_hi = (v->addr_hi & ~m) | (val & m); break;
	case 2: v->data = (v->data & ~m) | (val & m); break;
	case 3:
		if (val & m & ~MSIX_VEC_MASK)
			x->ignored++;              /* reserved Vector Control bits */
		v->ctl = (v->ctl & ~(m & MSIX_VEC_MASK)) | (val & m & MSIX_VEC_MASK);
		if (v->ctl == old)
			return;
		break;
	}
	/* A masked (or disabled) entry is only stored; unmasking or a live change routes it. */
	if (reg == 3 || (x->enabled && !(v->ctl & MSIX_VEC_MASK)))
		vec_update(x, e);
}

/* PBA dword: the device's pending bits of the offered entries (6.8.2.10); the rest read 0. */
static u32 pba_rd(const struct vpci_msix *x, u64 rel)
{
	u32 first = (u32)(rel / 4) * 32;
	if (first >= x->nr)
		return 0;
	u32 cmd = mem_on(x->f);
	u32 bits = mmio_read32(dev_addr(x->f, x->pbir, x->poff + (rel & ~3ULL)));
	mem_restore(x->f, cmd);
	return x->nr - first >= 32 ? bits : bits & ((1u << (x->nr - first)) - 1);
}

/* Whether byte OFF of BAR BAR lies in the device's MSI-X table or PBA. */
static bool in_table(const struct vpci_msix *x, u8 bar, u64 off)
{
	return bar == x->tbir && off - x->toff < (u64)x->nr_dev * MSIX_ENTRY;
}

static bool in_pba(const struct vpci_msix *x, u8 bar, u64 off)
{
	return bar == x->pbir && off - x->poff < ((u64)x->nr_dev + 63) / 64 * 8;
}

/* One dword at offset off of BAR bar: the table, the PBA, or (same page) a device register. */
static bool dword_at(struct vpci_msix *x, u8 bar, u64 off, bool write, u32 *val, u32 m)
{
	if (in_table(x, bar, off)) {
		u32 e = (u32)((off - x->toff) / MSIX_ENTRY), reg = (u32)((off - x->toff) / 4) & 3;
		if (e >= x->nr) {                  /* beyond the offered entries: masked at the device */
			if (write)
				x->ignored++;
			else
				*val = 0;
		} else if (write)
			table_wr(x, e, reg, *val, m);
		else
			*val = table_rd(x, e, reg);
		return true;
	}
	if (in_pba(x, bar, off)) {
		if (write)
			x->ignored++;              /* the PBA is read-only */
		else
			*val = pba_rd(x, off - x->poff);
		return true;
	}
	return false;
}

/* Anything else in a trapped page goes to the device as the guest issued it. */
static void passthrough_access(const struct vpci_fn *f, u64 a, u32 size, bool write, u64 *val)
{
	switch (size) {
	case 1: if (write) mmio_write8(a, (u8)*val); else *val = mmio_read8(a); break;
	case 2: if (write) mmio_write16(a, (u16)*val); else *val = mmio_read16(a); break;
	case 4: if (write) mmio_write32(a, (u32)*val); else *val = mmio_read32(a); break;
	default: if (write) mmio_write64(a, *val); else *val = mmio_read64(a); break;
	}
	(void)f;
}

static bool access(struct vpci_msix *x, u8 bar, u64 off, u32 size, bool write, u64 *val)
{
	u64 in = *val, out = 0;
	u32 vals[2];
	u64 last = off + size - 1;
	bool first_in = in_table(x, bar, off) || in_pba(x, bar, off);
	bool last_in = in_table(x, bar, last) || in_pba(x, bar, last);
	/* 6.8.2: software accesses the table and PBA with aligned dwords or qwords; a qword is
	 * emulated only when both its dwords are the table's or the PBA's */
	if (size == 8 && !(off & 7) && first_in && last_in) {
		vals[0] = (u32)in, vals[1] = (u32)(in >> 32);
		for (u32 k = 0; k < 2; k++)
			dword_at(x, bar, off + 4 * k, write, &vals[k], ~0u);
		*val = write ? in : (u64)vals[1] << 32 | vals[0];
		return true;
	}
	if (size <= 4 && (off & 3) + size <= 4) {
		u32 sh = 8 * (off & 3), m = (size == 4 ? ~0u : (1u << (8 * size)) - 1) << sh;
		vals[0] = (u32)(in << sh);
		if (dword_at(x, bar, off & ~3ULL, write, &vals[0], m)) {
			if (!write)
				*val = (vals[0] & m) >> sh;
			return true;
		}
	}
	/* Any other access that touches the table or the PBA, at either end, never reaches the
	 * device: the entries hold Passage's remappable messages and masks, not the guest's. */
	if (first_in || last_in) {
		x->ignored++;                      /* an unaligned or straddling access */
		if (!write)
			*val = size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
		return true;
	}
	passthrough_access(x->f, dev_addr(x->f, bar, off), size, write, write ? val : &out);
	if (!write)
		*val = out;
	return true;
}

static bool msix_mmio(struct vcpu *vc, u64 gpa, u32 size, bool write, u64 *val, void *ctx)
{
	struct vpci_msix *x = ctx;
	(void)vc;
	vpci_lock();
	bool done = false;
	for (u32 w = 0; w < x->nwin && !done; w++) {
		const struct vpci_bar *b = &x->f->bar[x->win[w].bar];
		u64 rel = gpa - b->guest - x->win[w].off;
		if (!b->guest || rel >= x->win[w].len || rel + size > x->win[w].len)
			continue;
		if (x->d->state == DOM_STOPPED)    /* a stopped domain's device stays quiesced */
			break;
		done = access(x, x->win[w].bar, gpa - b->guest, size, write, val);
	}
	vpci_unlock();
	if (!done && !write)                       /* moved away meanwhile, or stopped: floats high */
		*val = size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
	return true;
}

/* ---- BAR placement: the trapped pages are left out of EPT ---- */

static void unmap_at(struct domain *d, struct vpci_fn *f, u32 i, u64 a)
{
	struct vpci_msix *x = &f->msix;
	for (u32 w = 0; w < x->nwin; w++)
		if (x->win[w].bar == i && mmio_move(x->win[w].handle, MMIO_PARKED))
			LOG("vpci", "%s: guest 00:%02x.0: parking an MSI-X window failed", d->name, f->gdev);
	if (ept_unmap(d, a, f->bar[i].size))
		LOG("vpci", "%s: unmapping a BAR at 0x%lx failed", d->name, a);
}

status_t vpci_bar_map(struct domain *d, struct vpci_fn *f, u32 i, u64 a)
{
	struct vpci_msix *x = &f->msix;
	const struct vpci_bar *b = &f->bar[i];
	u64 at = 0;
	status_t st = OK;
	/* windows are sorted by offset (vpci_msix_init) */
	for (u32 w = 0; w <= x->nwin && !st; w++) {
		bool last = w == x->nwin;
		if (!last && x->win[w].bar != i)
			continue;
		u64 end = last ? b->size : x->win[w].off;
		if (end > at)
			st = ept_map(d, a + at, b->host + at, end - at, EPT_R | EPT_W | EPT_MT_UC);
		if (!last && !st) {
			st = mmio_move(x->win[w].handle, a + x->win[w].off);
			at = x->win[w].off + x->win[w].len;
		}
	}
	if (st)
		unmap_at(d, f, i, a);
	return st;
}

void vpci_bar_unmap(struct domain *d, struct vpci_fn *f, u32 i)
{
	if (f->bar[i].guest)
		unmap_at(d, f, i, f->bar[i].guest);
}

/* ---- set-up ---- */

/* The device's delivery: pending in the virtual APIC, the vCPU kicked; its next entry injects it. */
static void msix_irq(u8 vector, void *ctx)
{
	struct vpci_msix_vec *v = ctx;
	struct vpci_msix *x = v->x;
	struct domain *d = x->d;
	(void)vector;
	u64 route = __atomic_load_n(&v->route, __ATOMIC_ACQUIRE);
	__atomic_add_fetch(vpci_msi_deliver(d, vpci_route_targets(route), vpci_route_gvec(route)) ? &x->delivered : &x->dropped, 1, __ATOMIC_RELAXED);
}

/* A memory BAR that holds [off, off+len): the table's or the PBA's. */
static const char *region_bad(const struct vpci_fn *f, u8 bir, u64 off, u64 len)
{
	if (bir >= VPCI_NR_BARS || !f->bar[bir].size || f->bar[bir].upper)
		return "names no BAR";
	if (f->bar[bir].io)
		return "is in an I/O BAR";
	if (off + len > f->bar[bir].size)
		return "extends past its BAR";
	return NULL;
}

static void add_window(struct vpci_msix *x, u8 bar, u64 off, u64 len)
{
	u64 lo = off & ~(PAGE_SIZE - 1), hi = (off + len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	/* The table and the PBA on the same or touching pages of one BAR: one window. */
	if (x->nwin && x->win[0].bar == bar && lo <= x->win[0].off + x->win[0].len && x->win[0].off <= hi) {
		u64 a = MIN(lo, x->win[0].off), b = MAX(hi, x->win[0].off + x->win[0].len);
		x->win[0].off = a, x->win[0].len = b - a;
		return;
	}
	x->win[x->nwin].bar = bar, x->win[x->nwin].off = lo, x->win[x->nwin].len = hi - lo;
	if (x->nwin++ && x->win[1].bar == x->win[0].bar && x->win[1].off < x->win[0].off) {
		__typeof__(x->win[0]) t = x->win[0];
		x->win[0] = x->win[1], x->win[1] = t;
	}
}

static MUST_CHECK status_t layout(struct vpci_msix *x, char *err, size_t errlen)
{
	const struct vpci_fn *f = x->f;
	u32 ctl = vpci_host_rd(f, x->at) >> 16, t = vpci_host_rd(f, x->at + 4), p = vpci_host_rd(f, x->at + 8);
	x->nr_dev = (u16)((ctl & MSIX_CTL_SIZE) + 1);
	x->tbir = (u8)MSIX_BIR(t), x->toff = MSIX_OFF(t);
	x->pbir = (u8)MSIX_BIR(p), x->poff = MSIX_OFF(p);
	u64 tlen = (u64)x->nr_dev * MSIX_ENTRY, plen = ((u64)x->nr_dev + 63) / 64 * 8;
	const char *why;
	if ((why = region_bad(f, x->tbir, x->toff, tlen)) || (why = region_bad(f, x->pbir, x->poff, plen))) {
		snprintf(err, errlen, "its MSI-X table (BIR %u offset 0x%x) or PBA (BIR %u offset 0x%x) %s",
			 x->tbir, x->toff, x->pbir, x->poff, why);
		return E_NOTSUP;
	}
	add_window(x, x->tbir, x->toff, tlen);
	add_window(x, x->pbir, x->poff, plen);
	x->nr = (u16)MIN(x->nr_dev, VPCI_MSIX_MAX);
	return OK;
}

/* The device's table: every entry masked, each offered one aimed at its own IRTE (the device is quiesced). */
static void load_table(struct vpci_msix *x)
{
	u32 cmd = mem_on(x->f);
	for (u32 e = 0; e < x->nr_dev; e++) {
		mmio_write32(dev_entry(x, e, 3), mmio_read32(dev_entry(x, e, 3)) | MSIX_VEC_MASK);
		if (e >= x->nr)
			continue;
		u64 a;
		u32 dt;
		iommu_irq_msi(&x->vec[e].irte, &a, &dt);
		mmio_write32(dev_entry(x, e, 0), (u32)a);
		mmio_write32(dev_entry(x, e, 1), (u32)(a >> 32));
		mmio_write32(dev_entry(x, e, 2), dt);
	}
	(void)mmio_read32(dev_entry(x, 0, 3));
	mem_restore(x->f, cmd);
}

status_t vpci_msix_init(struct domain *d, struct vpci_fn *f, char *err, size_t errlen)
{
	struct vpci_msix *x = &f->msix;
	status_t st;
	if (!x->at)
		return OK;
	x->d = d, x->f = f;
	if ((st = layout(x, err, errlen)))
		return x->nr = 0, x->nwin = 0, st;
	for (u32 w = 0; w < x->nwin; w++) {
		if ((st = paging_map(dev_addr(f, x->win[w].bar, x->win[w].off), x->win[w].len, MAP_MMIO)) ||
		    (st = mmio_claim(d, "MSI-X table/PBA", x->win[w].len, msix_mmio, x, &x->win[w].handle))) {
			snprintf(err, errlen, "its MSI-X table/PBA pages could not be mapped or trapped: %s",
				 status_str(st));
			return st;
		}
		x->win[w].claimed = true;
	}
	for (u32 e = 0; e < x->nr; e++) {
		struct vpci_msix_vec *v = &x->vec[e];
		v->x = x, v->ctl = MSIX_VEC_MASK;  /* 6.8.2.9: entries come out of reset masked */
		if ((st = iommu_irq_alloc(f->seg, (u16)(f->bus << 8 | f->devfn), &v->irte))) {
			snprintf(err, errlen, "it can send MSI-X messages and %s", st == E_NOTSUP ?
				 "interrupt remapping does not cover it (a unit without IR, or booted without "
				 "vtd=ir): it could forge any interrupt" : "no interrupt-remapping entry is left");
			return st;
		}
		v->have_irte = true;
		if (!(v->host_vector = irq_alloc(msix_irq, v))) {
			snprintf(err, errlen, "no host interrupt vector left for MSI-X entry %u", e);
			return E_NOSPC;
		}
	}
	host_ctl(x, false, true);
	load_table(x);
	return OK;
}

void vpci_msix_report(const struct domain *d, const struct vpci_fn *f)
{
	const struct vpci_msix *x = &f->msix;
	if (!x->nr)
		return;
	LOG("passthrough", "%s: guest 00:%02x.0 interrupts: MSI-X (%u of %u entries; table BAR%u+0x%x, PBA "
	    "BAR%u+0x%x, %u trapped window%s): IRTEs %u-%u on unit %u, host vectors 0x%x-0x%x", d->name,
	    f->gdev, x->nr, x->nr_dev, x->tbir, x->toff, x->pbir, x->poff, x->nwin, x->nwin > 1 ? "s" : "",
	    x->vec[0].irte.index, x->vec[x->nr - 1].irte.index, iommu_irq_unit(&x->vec[0].irte),
	    x->vec[0].host_vector, x->vec[x->nr - 1].host_vector);
}

void vpci_msix_release(struct vpci_fn *f)
{
	struct vpci_msix *x = &f->msix;
	for (u32 e = 0; e < VPCI_MSIX_MAX; e++) {
		struct vpci_msix_vec *v = &x->vec[e];
		__atomic_store_n(&v->route, 0, __ATOMIC_RELEASE);
		/* The device is quiesced (MSI-X off, function masked): entry not present, then the vector free. */
		if (v->have_irte && iommu_irq_free(&v->irte))
			LOG("vpci", "%s: guest 00:%02x.0: the IRTE of MSI-X entry %u could not be freed",
			    x->d ? x->d->name : "?", f->gdev, e);
		v->have_irte = false;
		if (v->host_vector)
			irq_free(v->host_vector);
		v->host_vector = 0;
	}
	for (u32 w = 0; w < x->nwin; w++)
		if (x->win[w].claimed)
			mmio_release(x->win[w].handle);
	x->nwin = 0, x->nr = 0, x->enabled = false;
}
