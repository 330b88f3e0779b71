/* Per-domain EPT: guest RAM at 0..size mapped write-back with 2 MiB pages where aligned (SDM 28.3). */
#include "vcpu.h"
#include "lib/pmm.h"

static u64 *ept_table(struct domain *d, u64 *entry)
{
	if (*entry & EPT_R)
		return (u64 *)(uintptr_t)(*entry & 0x000ffffffffff000ULL);
	u64 t = pmm_alloc_pages(1, 0);
	if (!t)
		return NULL;
	d->ept_pages++;
	*entry = t | EPT_R | EPT_W | EPT_X; /* non-leaf: permissions are the leaf's business */
	return (u64 *)(uintptr_t)t;
}

/* Maps one 2 MiB (large) or 4 KiB page of guest-physical gpa to hpa. */
static status_t ept_map_one(struct domain *d, u64 gpa, u64 hpa, bool large, u64 flags)
{
	u64 *pml4 = (u64 *)(uintptr_t)(d->eptp & ~0xfffULL);
	u64 *pdpt = ept_table(d, &pml4[(gpa >> 39) & 511]);
	u64 *pd = pdpt ? ept_table(d, &pdpt[(gpa >> 30) & 511]) : NULL;
	if (!pd)
		return E_NOMEM;
	if (large) {
		pd[(gpa >> 21) & 511] = hpa | flags | EPT_PS;
		return OK;
	}
	u64 *pt = ept_table(d, &pd[(gpa >> 21) & 511]);
	if (!pt)
		return E_NOMEM;
	pt[(gpa >> 12) & 511] = hpa | flags;
	return OK;
}

u64 apic_access_page(void)
{
	static u64 page;
	if (!page)
		page = pmm_alloc_pages(1, 0);
	return page;
}

status_t ept_build(struct domain *d)
{
	u64 root = pmm_alloc_pages(1, 0);
	if (!root)
		return E_NOMEM;
	d->ept_pages = 1;
	d->eptp = root | EPTP_WALK_4 | EPTP_WB;
	u64 flags = EPT_R | EPT_W | EPT_X | EPT_MT_WB; /* 28.3.7: RAM is write-back */
	for (u64 gpa = 0; gpa < d->mem_size;) {
		bool large = !((gpa | (d->mem_hpa + gpa)) & (2 * MiB - 1)) && d->mem_size - gpa >= 2 * MiB;
		status_t st = ept_map_one(d, gpa, d->mem_hpa + gpa, large, flags);
		if (st)
			return st;
		gpa += large ? 2 * MiB : PAGE_SIZE;
	}
	/* The xAPIC window: accesses that translate to the APIC-access page are virtualized. */
	if ((vmx_caps.proc2 & SEC_VIRTUALIZE_APIC_ACCESSES) && apic_access_page())
		return ept_map_one(d, GUEST_APIC_GPA, apic_access_page(), false,
				   EPT_R | EPT_W | EPT_MT_UC);
	return OK;
}

void *domain_gpa(struct domain *d, u64 gpa, u64 len)
{
	if (gpa >= d->mem_size || len > d->mem_size - gpa)
		return NULL;
	return (void *)(uintptr_t)(d->mem_hpa + gpa);
}
