/* Host identity page tables with 1 GiB pages where the CPU has them, 2 MiB otherwise. */
#include "paging.h"
#include "cpu.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/spinlock.h"

static u64 *pml4;
static bool use_1g;
static spinlock_t paging_lock = SPINLOCK_INIT;

/* Page tables stay below 4 GiB: APs load CR3 in 32-bit mode (SDM Vol. 3A 4.5: CR3 in PAE load). */
static u64 *table_at(u64 *entry)
{
	if (*entry & PTE_P)
		return (*entry & PTE_PS) ? NULL : (u64 *)(uintptr_t)(*entry & PTE_ADDR_MASK);
	u64 t = pmm_alloc_pages(1, 4 * GiB);
	if (!t)
		return NULL;
	*entry = t | PTE_P | PTE_RW;
	return (u64 *)(uintptr_t)t;
}

static MUST_CHECK status_t map_one(u64 addr, u64 flags, u64 *step)
{
	u64 *pdpt = table_at(&pml4[(addr >> 39) & 511]);
	if (!pdpt)
		return E_NOMEM;
	u64 *pdpte = &pdpt[(addr >> 30) & 511];
	if (use_1g && (addr & (GiB - 1)) == 0) {
		*step = GiB;
		if (!(*pdpte & PTE_P))
			*pdpte = addr | flags | PTE_PS;
		return OK;
	}
	*step = 2 * MiB;
	if ((*pdpte & (PTE_P | PTE_PS)) == (PTE_P | PTE_PS)) {
		*step = GiB - (addr & (GiB - 1));
		return OK;
	}
	u64 *pd = table_at(pdpte);
	if (!pd)
		return E_NOMEM;
	u64 *pde = &pd[(addr >> 21) & 511];
	if (!(*pde & PTE_P))
		*pde = addr | flags | PTE_PS;
	return OK;
}

status_t paging_map(u64 base, u64 len, int type)
{
	u64 flags = PTE_P | PTE_RW | (type == MAP_MMIO ? PTE_PCD | PTE_PWT : 0);
	u64 a = ALIGN_DOWN(base, 2 * MiB), end = ALIGN_UP(base + len, 2 * MiB);
	status_t st = OK;
	spin_lock(&paging_lock);
	for (u64 step; a < end && st == OK; a += step)
		st = map_one(a, flags, &step);
	spin_unlock(&paging_lock);
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
	return st;
}

status_t paging_init(u64 top)
{
	use_1g = (cpuid(0x80000001, 0).edx & CPUID81_EDX_PAGE1GB) != 0;
	u64 t = pmm_alloc_pages(1, 4 * GiB);
	if (!t)
		return E_NOMEM;
	pml4 = (u64 *)(uintptr_t)t;
	/* RAM write-back; the MTRRs firmware set keep legacy and MMIO holes uncacheable. */
	status_t st = paging_map(0, MAX(top, 4 * GiB), MAP_RAM);
	if (st)
		return st;
	write_cr3(t);
	LOG("paging", "identity map 0-0x%lx with %s pages, CR3 0x%lx", MAX(top, 4 * GiB),
	    use_1g ? "1 GiB" : "2 MiB", t);
	return OK;
}

u64 paging_cr3(void)
{
	return (u64)(uintptr_t)pml4;
}

bool paging_has_1g(void)
{
	return use_1g;
}
