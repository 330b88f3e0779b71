/* Interrupt-remapping table per VT-d unit (VT-d spec rev 4.1 chapter 5.1, 9.10, 6.5.2.7). */
#include "vtd_irt.h"
#include "arch/x86/atomic128.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "drivers/pci.h"
#include "lib/log.h"
#include "lib/pmm.h"

#define IRT_MIN_ENTRIES 256       /* headroom for I/OxAPIC pins and sources found later */

static struct vtd_irt *irts;      /* every unit with remapping on, set once at start-up */

/* PCI 3.0 6.8.1 / 6.8.2: vectors a function can ask for (MSI multiple message capable, MSI-X table size). */
static u32 device_vectors(const struct pci_dev *d)
{
	u32 n = 0;
	if (d->cap_msi)
		n += 1u << ((pci_read16(d->seg, d->bus, d->dev, d->fn, d->cap_msi + 2) >> 1) & 7);
	if (d->cap_msix)
		n += (pci_read16(d->seg, d->bus, d->dev, d->fn, d->cap_msix + 2) & 0x7ff) + 1u;
	return n;
}

/* Entries for every vector the segment's functions can raise, plus headroom, as a power of two. */
static u32 table_entries(u16 seg, u32 *sources)
{
	u32 want = IRT_MIN_ENTRIES;
	*sources = 0;
	for (u32 i = 0; i < pci_count(); i++)
		if (pci_get(i)->seg == seg)
			*sources += device_vectors(pci_get(i));
	want += *sources;
	u32 n = 2; /* IRTA.S: 2^(S+1) entries, S = 0..15 */
	while (n < want && n < IRTA_MAX_ENTRIES)
		n <<= 1;
	return n;
}

struct vtd_irt *vtd_irt_of(const struct vtd_unit *u)
{
	for (struct vtd_irt *t = irts; t; t = t->next)
		if (t->u == u)
			return t;
	return NULL;
}

struct vtd_irt *vtd_irt_first(void)
{
	return irts;
}

status_t vtd_inv_iec_index(struct vtd_unit *u, u16 index)
{
	struct vtd_inv_desc d = vtd_iec_desc(false, index, 0);
	return vtd_qi_submit(u, &d, 1);
}

static bool usable(struct vtd_unit *u)
{
	if (!(u->ecap & ECAP_IR)) {
		LOG("vtd", "unit %u: no interrupt remapping (ECAP.IR=0): its devices' interrupts are "
			   "not remapped and a device behind it can forge any interrupt", u->index);
		return false;
	}
	if (!u->qi) { /* 6.5.2: the interrupt entry cache is invalidated only through the queue */
		LOG("vtd", "unit %u: interrupt remapping needs queued invalidation, which is off; "
			   "interrupts not remapped", u->index);
		return false;
	}
	return true;
}

/* 5.1.4 / 11.4.4: table pointer (SIRTP), global IEC invalidation, CFI clear, then IRE. */
static MUST_CHECK status_t program(struct vtd_irt *t, u32 s)
{
	struct vtd_unit *u = t->u;
	vtd_write64(u, IRTA_REG, (u64)(uintptr_t)t->table | (t->eime ? IRTA_EIME : 0) | IRTA_S(s));
	status_t st = vtd_gcmd(u, GCMD_SIRTP, true);
	/* 11.4.4 (SIRTP): after a new table pointer the IEC must be invalidated globally. */
	if (!st)
		st = vtd_inv_iec_global(u);
	if (!st && (vtd_read32(u, GSTS_REG) & GSTS_CFIS)) {
		LOG("vtd", "unit %u: compatibility-format interrupts were allowed (CFIS); blocking",
		    u->index);
		st = vtd_gcmd(u, GCMD_CFI, false);
	}
	if (!st)
		st = vtd_gcmd(u, GCMD_IRE, true);
	if (!st && (vtd_read32(u, GSTS_REG) & (GSTS_IRES | GSTS_CFIS)) != GSTS_IRES)
		st = E_IO;
	return st;
}

status_t vtd_irt_start(struct vtd_unit *u)
{
	if (!usable(u))
		return E_NOTSUP;
	u32 sources, entries = table_entries(u->segment, &sources);
	u64 pages = ALIGN_UP((u64)entries * sizeof(struct vtd_irte), PAGE_SIZE) / PAGE_SIZE;
	u64 use_pages = ALIGN_UP(entries, PAGE_SIZE) / PAGE_SIZE;
	struct vtd_irt *t = (void *)(uintptr_t)pmm_alloc_pages(1, 0);
	u64 table = pmm_alloc_pages(pages, 0);
	u8 *in_use = (u8 *)(uintptr_t)pmm_alloc_pages(use_pages, 0);
	if (!t || !table || !in_use) {
		LOG("vtd", "unit %u: no memory for a %u-entry interrupt-remapping table", u->index,
		    entries);
		goto err_free;
	}
	bool x2apic = lapic_x2apic();
	*t = (struct vtd_irt){ .u = u, .table = (struct vtd_irte *)(uintptr_t)table,
			       .entries = entries, .in_use = in_use,
			       .eime = x2apic && (u->ecap & ECAP_EIM),
			       .atomic16 = (cpuid(1, 0).ecx & CPUID1_ECX_CX16) != 0,
			       .lock = SPINLOCK_INIT };
	if (x2apic && !t->eime)
		LOG("vtd", "unit %u: CPUs in x2APIC mode but no ECAP.EIM: entries can target APIC "
			   "IDs below 256 only", u->index);
	if (!t->atomic16)
		LOG("vtd", "unit %u: no CMPXCHG16B: live entries are updated by clearing P first "
			   "(an interrupt in that window is blocked)", u->index);
	vtd_flush_cache(t->table, pages * PAGE_SIZE, u);
	u32 s = (u32)__builtin_ctz(entries) - 1;
	status_t st = program(t, s);
	if (st) {
		LOG("vtd", "unit %u: interrupt remapping could not be enabled (%s)", u->index,
		    status_str(st));
		return st; /* nothing freed: the unit may still hold the table pointer */
	}
	t->next = irts;
	irts = t;
	LOG("vtd", "unit %u: interrupt remapping on: %u entries (%lu KiB) for %u device vectors, "
		   "%s destinations, compatibility format blocked", u->index, entries,
	    pages * PAGE_SIZE / KiB, sources, t->eime ? "x2APIC (EIME)" : "xAPIC");
	return OK;

err_free:
	if (in_use)
		pmm_free_pages((u64)(uintptr_t)in_use, use_pages);
	if (table)
		pmm_free_pages(table, pages);
	if (t)
		pmm_free_pages((u64)(uintptr_t)t, 1);
	return E_NOMEM;
}

status_t vtd_irt_alloc(struct vtd_irt *t, u16 *index)
{
	u64 f = spin_lock_irqsave(&t->lock);
	status_t st = E_NOSPC;
	for (u32 i = 0; i < t->entries; i++)
		if (!t->in_use[i]) {
			t->in_use[i] = 1;
			t->used++;
			*index = (u16)i;
			st = OK;
			break;
		}
	spin_unlock_irqrestore(&t->lock, f);
	if (st)
		LOG("vtd", "unit %u: interrupt-remapping table full (%u entries)", t->u->index,
		    t->entries);
	return st;
}

struct sync_ctx {
	struct vtd_irt *t;
	u16 index;
};

/* The slot reaches memory the unit reads (flush when ECAP.C=0), then its cached copy goes. */
static int sync_entry(void *ctx)
{
	struct sync_ctx *c = ctx;
	vtd_flush_cache(&c->t->table[c->index], sizeof(struct vtd_irte), c->t->u);
	c->t->iec_invs++;
	return vtd_inv_iec_index(c->t->u, c->index);
}

status_t vtd_irt_write(struct vtd_irt *t, u16 index, struct vtd_irte e)
{
	if (index >= t->entries || !t->in_use[index])
		return E_INVAL;
	struct sync_ctx c = { t, index };
	t->updates++;
	status_t st = vtd_irte_update(&t->table[index], e, t->atomic16, sync_entry, &c);
	if (st)
		LOG("vtd", "unit %u: entry %u written but its invalidation failed (%s)", t->u->index,
		    index, status_str(st));
	return st;
}

status_t vtd_irt_free(struct vtd_irt *t, u16 index)
{
	status_t st = vtd_irt_write(t, index, (struct vtd_irte){ 0, 0 });
	if (st)
		return st; /* not freed: the unit may still use the old entry */
	u64 f = spin_lock_irqsave(&t->lock);
	t->in_use[index] = 0;
	t->used--;
	spin_unlock_irqrestore(&t->lock, f);
	return OK;
}
