/* Per-domain EPT: 4-level tables with 2 MiB and 4 KiB leaves, a map/unmap/protect API and INVEPT (SDM Vol. 3C 29.3-29.4). */
#include "ept.h"
#include "vcpu.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

#define EPT_ADDR 0x000ffffffffff000ULL  /* 29.3.2: physical-address bits of an entry */
#define EPT_PERM (EPT_R | EPT_W | EPT_X)
#define LARGE (2 * MiB)

static bool apic_virt;

status_t ept_global_init(void)
{
	apic_virt = vmx_caps.proc2 & SEC_VIRTUALIZE_APIC_ACCESSES;
	return OK;
}

bool apic_access_virtualized(void)
{
	return apic_virt;
}

static u64 *table_of(u64 entry)
{
	return (u64 *)(uintptr_t)(entry & EPT_ADDR);
}

/* The next-level table under *entry, made when absent and alloc is set. */
static u64 *next_table(struct domain *d, u64 *entry, bool alloc)
{
	if (*entry & EPT_PERM)
		return (*entry & EPT_PS) ? NULL : table_of(*entry);
	if (!alloc)
		return NULL;
	u64 t = pmm_alloc_pages(1, 0);
	if (!t)
		return NULL;
	d->ept_pages++;
	*entry = t | EPT_PERM; /* non-leaf: permissions are the leaf's business */
	return (u64 *)(uintptr_t)t;
}

/* The page-directory entry (2 MiB level) for gpa. */
static u64 *pd_entry(struct domain *d, u64 gpa, bool alloc)
{
	u64 *pml4 = (u64 *)(uintptr_t)(d->eptp & EPT_ADDR);
	u64 *pdpt = next_table(d, &pml4[(gpa >> 39) & 511], alloc);
	u64 *pd = pdpt ? next_table(d, &pdpt[(gpa >> 30) & 511], alloc) : NULL;
	return pd ? &pd[(gpa >> 21) & 511] : NULL;
}

/* Replaces a 2 MiB leaf by a table of 512 4 KiB leaves with the same attributes. */
static MUST_CHECK status_t split(struct domain *d, u64 *pde)
{
	u64 t = pmm_alloc_pages(1, 0);
	if (!t)
		return E_NOMEM;
	d->ept_pages++;
	u64 *pt = (u64 *)(uintptr_t)t, base = *pde & EPT_ADDR & ~(LARGE - 1), attr = *pde & ~EPT_ADDR & ~EPT_PS;
	for (u32 i = 0; i < 512; i++)
		pt[i] = (base + (u64)i * PAGE_SIZE) | attr;
	*pde = t | EPT_PERM;
	return OK;
}

/* The 4 KiB leaf for gpa, splitting a 2 MiB leaf when split_large; NULL when not mapped. */
static u64 *pte(struct domain *d, u64 gpa, bool split_large)
{
	u64 *pde = pd_entry(d, gpa, false);
	if (!pde || !(*pde & EPT_PERM))
		return NULL;
	if ((*pde & EPT_PS) && (!split_large || split(d, pde)))
		return NULL;
	return &table_of(*pde)[(gpa >> 12) & 511];
}

static bool aligned(u64 a)
{
	return !(a & (PAGE_SIZE - 1));
}

status_t ept_map(struct domain *d, u64 gpa, u64 hpa, u64 size, u64 flags)
{
	if (!aligned(gpa) || !aligned(hpa) || !aligned(size))
		return E_INVAL;
	for (u64 off = 0; off < size;) {
		u64 g = gpa + off, h = hpa + off;
		u64 *pde = pd_entry(d, g, true);
		if (!pde)
			return E_NOMEM;
		if (!((g | h) & (LARGE - 1)) && size - off >= LARGE && !(*pde & EPT_PERM)) {
			*pde = h | flags | EPT_PS;
			off += LARGE;
			continue;
		}
		if ((*pde & EPT_PS) && (*pde & EPT_PERM))
			return E_BUSY;
		u64 *pt = next_table(d, pde, true);
		if (!pt)
			return E_NOMEM;
		if (pt[(g >> 12) & 511] & EPT_PERM)
			return E_BUSY;
		pt[(g >> 12) & 511] = h | flags;
		off += PAGE_SIZE;
	}
	return OK; /* not-present -> present needs no invalidation (29.4.3.1) */
}

/* Every CPU running the domain invalidates before its next entry (ept_sync). */
static MUST_CHECK status_t changed(struct domain *d)
{
	__atomic_add_fetch(&d->ept_gen, 1, __ATOMIC_SEQ_CST);
	status_t st = invept_single(d->eptp); /* this CPU now, in case it runs the domain */
	for (u32 i = 0; i < d->nr_vcpus; i++)
		if (d->vcpus[i])
			vcpu_kick(d->vcpus[i]);
	return st;
}

/* Applies set/clear to the leaves covering [gpa, gpa+size); whole aligned 2 MiB leaves stay large. */
static MUST_CHECK status_t update(struct domain *d, u64 gpa, u64 size, u64 clear, u64 set)
{
	if (!aligned(gpa) || !aligned(size))
		return E_INVAL;
	for (u64 g = gpa; g < gpa + size;) {
		u64 *pde = pd_entry(d, g, false);
		if (pde && (*pde & EPT_PS) && !(g & (LARGE - 1)) && gpa + size - g >= LARGE) {
			*pde = clear == ~0ULL ? 0 : (*pde & ~clear) | set;
			g += LARGE;
			continue;
		}
		u64 *e = pte(d, g, true);
		if (pde && (*pde & EPT_PS))
			return E_NOMEM; /* the split failed */
		if (e && (*e & EPT_PERM))
			*e = clear == ~0ULL ? 0 : (*e & ~clear) | set;
		g += PAGE_SIZE;
	}
	return changed(d);
}

status_t ept_unmap(struct domain *d, u64 gpa, u64 size)
{
	return update(d, gpa, size, ~0ULL, 0);
}

status_t ept_protect(struct domain *d, u64 gpa, u64 size, u64 rwx)
{
	if (rwx & ~EPT_PERM)
		return E_INVAL;
	return update(d, gpa, size, EPT_PERM, rwx);
}

u64 ept_lookup(struct domain *d, u64 gpa, u64 *hpa_out)
{
	u64 *pde = pd_entry(d, gpa, false);
	if (!pde || !(*pde & EPT_PERM))
		return 0;
	if (*pde & EPT_PS) {
		*hpa_out = (*pde & EPT_ADDR & ~(LARGE - 1)) + (gpa & (LARGE - 1));
		return *pde;
	}
	u64 e = table_of(*pde)[(gpa >> 12) & 511];
	if (e & EPT_PERM)
		*hpa_out = (e & EPT_ADDR) + (gpa & (PAGE_SIZE - 1));
	return e & EPT_PERM ? e : 0;
}

status_t ept_sync(struct vcpu *v)
{
	u32 gen = __atomic_load_n(&v->dom->ept_gen, __ATOMIC_ACQUIRE);
	if (gen == v->ept_gen)
		return OK;
	v->ept_gen = gen;
	return invept_single(v->dom->eptp);
}

status_t ept_build(struct domain *d)
{
	u64 root = pmm_alloc_pages(1, 0);
	if (!root)
		return E_NOMEM;
	d->ept_pages = 1;
	d->eptp = root | EPTP_WALK_4 | EPTP_WB;
	status_t st = ept_map(d, 0, d->mem_hpa, d->mem_size, EPT_RWX | EPT_MT_WB); /* 29.3.7: RAM is WB */
	if (st)
		return st;
	/*
	 * The xAPIC window: accesses that translate to the APIC-access page are virtualized (30.4).
	 * One page per domain: a vCPU in x2APIC mode with x2APIC virtualization has APIC-access
	 * virtualization off (27.2.1.1 forbids both), so its accesses reach the page as memory; a
	 * page of its own keeps that from being a channel to another domain. All ones, so reads
	 * float high as from no device (SDM Vol. 3A 11.12.1.2: no MMIO interface in x2APIC mode);
	 * a write there sticks, which no real machine does (README: known deviations).
	 */
	if (!apic_virt)
		return OK;
	if (!(d->apic_access = pmm_alloc_pages(1, 0)))
		return E_NOMEM;
	memset((void *)(uintptr_t)d->apic_access, 0xff, PAGE_SIZE);
	return ept_map(d, GUEST_APIC_GPA, d->apic_access, PAGE_SIZE, EPT_R | EPT_W | EPT_MT_UC);
}

void *domain_gpa(struct domain *d, u64 gpa, u64 len)
{
	if (gpa >= d->mem_size || len > d->mem_size - gpa)
		return NULL;
	return (void *)(uintptr_t)(d->mem_hpa + gpa);
}
