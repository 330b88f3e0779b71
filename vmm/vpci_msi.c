/* A passthrough function's MSI capability as the guest sees it, remapped through one IRTE to a host vector that marks the guest's vector pending (PCI 3.0 6.8.1). */
#include "vpci.h"
#include "vmsi.h"
#include "vmsi_route.h"
#include "drivers/msi.h"
#include "drivers/pci.h"
#include "arch/x86/irq.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/string.h"

/* PCI Local Bus 3.0 6.8.1.3 Message Control */
#define MSI_CTL_ENABLE BIT(0)       /* MSI Enable */
#define MSI_CTL_MMC (7u << 1)       /* Multiple Message Capable: the guest is offered one vector */
#define MSI_CTL_MME (7u << 4)       /* Multiple Message Enable: stays 0 */
#define MSI_CTL_64BIT BIT(7)        /* 64 bit address capable */
#define MSI_CTL_PVM BIT(8)          /* Per-vector masking capable */

/* The registers after the header, by dword offset from the capability (6.8.1, figure 6-9). */
enum msi_reg { MSI_R_NONE, MSI_R_ADDR_LO, MSI_R_ADDR_HI, MSI_R_DATA, MSI_R_MASK, MSI_R_PENDING };

static enum msi_reg reg_at(const struct vpci_msi *m, u16 rel)
{
	static const enum msi_reg r32[] = { MSI_R_NONE, MSI_R_ADDR_LO, MSI_R_DATA, MSI_R_MASK, MSI_R_PENDING };
	static const enum msi_reg r64[] = { MSI_R_NONE, MSI_R_ADDR_LO, MSI_R_ADDR_HI, MSI_R_DATA, MSI_R_MASK,
					    MSI_R_PENDING };
	u32 i = rel / 4;
	enum msi_reg r = m->is64 ? (i < ARRAY_SIZE(r64) ? r64[i] : MSI_R_NONE)
				 : (i < ARRAY_SIZE(r32) ? r32[i] : MSI_R_NONE);
	return (r == MSI_R_MASK || r == MSI_R_PENDING) && !m->pvm ? MSI_R_NONE : r;
}

u32 vpci_msi_read(const struct vpci_fn *f, u16 off, u32 raw)
{
	const struct vpci_msi *m = &f->msi;
	switch (reg_at(m, (u16)(off - m->at))) {
	case MSI_R_NONE:
		if (off != m->at)
			return 0;
		/* ID and next pointer as filtered; control: 64-bit and PVM from the device, one vector. */
		return (raw & 0xffff) | (u32)((raw >> 16) & (MSI_CTL_64BIT | MSI_CTL_PVM)) << 16 |
		       (m->enabled ? (u32)MSI_CTL_ENABLE << 16 : 0);
	case MSI_R_ADDR_LO: return m->addr_lo;
	case MSI_R_ADDR_HI: return m->addr_hi;
	case MSI_R_DATA: return m->data;
	case MSI_R_MASK:
	case MSI_R_PENDING: return raw;            /* the device's own mask and pending bits */
	}
	return 0;
}

/* ---- routes ---- */

static void route_off(struct vpci_fn *f)
{
	struct vpci_msi *m = &f->msi;
	__atomic_store_n(&m->route, 0, __ATOMIC_RELEASE);
	m->mode = VMSI_MODE_NONE, m->mode_why = "no route";
	if (m->host_on && msi_disable(f->seg, f->bus, f->devfn >> 3, f->devfn & 7))
		LOG("vpci", "%s: guest 00:%02x.0: the device's MSI could not be disabled", m->d->name, f->gdev);
	m->host_on = false;
}

static void refuse(struct vpci_fn *f, const struct vmsi_route *r, const char *why)
{
	struct vpci_msi *m = &f->msi;
	route_off(f);
	m->refused++;
	LOG("vpci", "%s: guest 00:%02x.0 MSI to APIC 0x%x (%s) vector 0x%x refused: %s (%lu refused); "
	    "the device cannot interrupt", m->d->name, f->gdev, r->dest, r->logical ? "logical" : "physical",
	    r->vector, why, m->refused);
}

/*
 * The guest's message -> the IRTE (remapped, fixed, physical destination: the
 * physical CPU of the first target vCPU, vector: the host vector) -> the handler
 * marks the guest's vector pending in the target vCPUs' virtual APICs. A live
 * change rewrites the present entry atomically and invalidates its cache entry
 * (iommu_irq_remap); the device keeps sending the same remappable message.
 */
static void route(struct vpci_fn *f)
{
	struct vpci_msi *m = &f->msi;
	struct domain *d = m->d;
	if (!m->enabled)
		return route_off(f);
	const struct vlapic *apic[VMSI_MAX_VCPUS];
	u32 ids[VMSI_MAX_VCPUS], n = MIN(d->nr_vcpus, VMSI_MAX_VCPUS);
	for (u32 i = 0; i < n; i++)
		apic[i] = &d->vcpus[i]->apic, ids[i] = d->vcpus[i]->id;
	struct vmsi_route r;
	u64 addr = (u64)m->addr_hi << 32 | m->addr_lo;
	enum vmsi_verdict why = vmsi_translate(addr, m->data, apic, ids, n, &r);
	if (why != VMSI_OK)
		return refuse(f, &r, vmsi_verdict_str(why));
	struct vmsi_target t;
	status_t st = vmsi_program(d, &m->irte, m->host_vector, &r, &t);
	if (st)
		return refuse(f, &r, st == E_NOENT ? "the target vCPU's physical CPU is not online" : status_str(st));
	/* Logged when the destination or mode changes; a vector change alone is counted (routes). */
	bool changed = vpci_route_targets(m->route) != r.targets || m->host_apic != t.host_apic || m->mode != t.mode;
	m->host_apic = t.host_apic;
	m->mode = t.mode;
	m->mode_why = t.why;
	__atomic_store_n(&m->route, vpci_route(r.targets, r.vector), __ATOMIC_RELEASE);
	m->routes++;
	if (!m->host_on) {
		u64 ha;
		u32 hd;
		iommu_irq_msi(&m->irte, &ha, &hd);
		if ((st = msi_set(f->seg, f->bus, f->devfn >> 3, f->devfn & 7, ha, hd)))
			return refuse(f, &r, "the device's MSI could not be programmed");
		m->host_on = true;
		changed = true;
	}
	if (changed)
		LOG("vpci", "%s: guest 00:%02x.0 MSI vector 0x%x -> vCPU mask 0x%x (APIC 0x%x %s): IRTE %u "
		    "(unit %u) host vector 0x%x on CPU %u; mode %s (%s)", d->name, f->gdev, r.vector, r.targets,
		    r.dest, r.logical ? "logical" : "physical", m->irte.index, iommu_irq_unit(&m->irte),
		    m->host_vector, t.cpu, vmsi_mode_str(t.mode), t.why);
}

void vpci_msi_write(struct vpci_bus *bus, struct vpci_fn *f, u16 off, u32 v, u32 mask)
{
	struct vpci_msi *m = &f->msi;
	(void)bus;
	switch (reg_at(m, (u16)(off - m->at))) {
	case MSI_R_NONE:
		if (off != m->at) {
			f->ignored++;
			return;
		}
		if (mask & 0xffff)
			f->ignored++;                  /* ID and next pointer are read-only */
		if (!(mask >> 16))
			return;
		if ((v >> 16) & MSI_CTL_MME & (mask >> 16))
			f->ignored++;                  /* one vector offered: MME stays 0 */
		if (mask & (u32)MSI_CTL_ENABLE << 16)
			m->enabled = (v >> 16) & MSI_CTL_ENABLE;
		break;
	case MSI_R_ADDR_LO:
		m->addr_lo = (m->addr_lo & ~mask) | (v & mask & ~3u);
		break;
	case MSI_R_ADDR_HI:
		m->addr_hi = (m->addr_hi & ~mask) | (v & mask);
		break;
	case MSI_R_DATA:
		m->data = (u16)((m->data & ~mask) | (v & mask));
		if (mask >> 16)
			f->ignored++;
		break;
	case MSI_R_MASK:                           /* masking is the device's: it keeps the pending bit */
		pci_write32(f->seg, f->bus, f->devfn >> 3, f->devfn & 7, off,
			    (vpci_host_rd(f, off) & ~mask) | (v & mask & 1));
		return;
	case MSI_R_PENDING:
		f->ignored++;
		return;
	}
	if (m->enabled || m->host_on)
		route(f);
}

/* ---- the host vector ---- */

/* Exit-based delivery (MSI and MSI-X): GVEC pending in the virtual APIC of every vCPU in TARGETS,
 * each kicked so its next entry injects it. False (the message is dropped) when there is no
 * target or the domain does not run. */
bool vpci_msi_deliver(struct domain *d, u32 targets, u8 gvec)
{
	if (!targets || !d || d->state != DOM_RUNNING)
		return false;
	for (u32 i = 0; i < d->nr_vcpus && i < VMSI_MAX_VCPUS; i++)
		if (targets & (1u << i)) {
			vcpu_post(d->vcpus[i], gvec);
		}
	return true;
}

static void msi_irq(u8 vector, void *ctx)
{
	struct vpci_msi *m = ctx;
	(void)vector;
	u64 route = __atomic_load_n(&m->route, __ATOMIC_ACQUIRE);
	__atomic_add_fetch(vpci_msi_deliver(m->d, vpci_route_targets(route), vpci_route_gvec(route)) ? &m->delivered : &m->dropped, 1, __ATOMIC_RELAXED);
}

status_t vpci_msi_init(struct domain *d, struct vpci_fn *f, char *err, size_t errlen)
{
	struct vpci_msi *m = &f->msi;
	if (!m->at)
		return OK;
	m->d = d;
	status_t st = iommu_irq_alloc(f->seg, (u16)(f->bus << 8 | f->devfn), &m->irte);
	if (st) {
		snprintf(err, errlen, "it can send MSIs and %s", st == E_NOTSUP ?
			 "interrupt remapping does not cover it (a unit without IR, or booted without "
			 "vtd=ir): it could forge any interrupt" : "no interrupt-remapping entry is left");
		return st;
	}
	m->have_irte = true;
	if (!(m->host_vector = irq_alloc(msi_irq, m))) {
		snprintf(err, errlen, "no host interrupt vector left for its MSI");
		return E_NOSPC;
	}
	return OK;
}

void vpci_msi_report(const struct domain *d, const struct vpci_fn *f)
{
	const struct vpci_msi *m = &f->msi;
	if (!m->at)
		return;
	LOG("passthrough", "%s: guest 00:%02x.0 interrupts: MSI (1 vector%s): IRTE %u on unit %u, "
	    "source-id %02x:%02x.%u (SVT %u, SQ %u), host vector 0x%x", d->name, f->gdev,
	    m->is64 ? ", 64-bit" : "", m->irte.index, iommu_irq_unit(&m->irte), m->irte.src >> 8,
	    (m->irte.src >> 3) & 31, m->irte.src & 7, m->irte.svt, m->irte.sq, m->host_vector);
}

void vpci_msi_release(struct vpci_fn *f)
{
	struct vpci_msi *m = &f->msi;
	__atomic_store_n(&m->route, 0, __ATOMIC_RELEASE);
	m->host_on = false;
	/* The device is quiesced (MSI off): the entry goes not-present, then the vector is free. */
	if (m->have_irte && iommu_irq_free(&m->irte))
		LOG("vpci", "%s: guest 00:%02x.0: its IRTE could not be freed", m->d->name, f->gdev);
	m->have_irte = false;
	if (m->host_vector)
		irq_free(m->host_vector);
	m->host_vector = 0;
}
