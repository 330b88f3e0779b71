/* Physical page allocator over sorted free extents. */
#include "pmm.h"
#include "string.h"
#include "spinlock.h"

static spinlock_t pmm_lock = SPINLOCK_INIT;

struct pmm pmm_global;

static void remove_at(struct pmm *m, u32 i)
{
	memmove(&m->ext[i], &m->ext[i + 1], (m->nr - i - 1) * sizeof(m->ext[0]));
	m->nr--;
}

static bool insert_at(struct pmm *m, u32 i, u64 base, u64 pages)
{
	if (m->nr == PMM_MAX_EXTENTS)
		return false;
	memmove(&m->ext[i + 1], &m->ext[i], (m->nr - i) * sizeof(m->ext[0]));
	m->ext[i] = (struct pmm_extent){ base, pages };
	m->nr++;
	return true;
}

/* Adds free pages, merging with neighbours. Returns false if the table is full. */
static bool add_free(struct pmm *m, u64 base, u64 pages)
{
	u32 i = 0;
	while (i < m->nr && m->ext[i].base < base)
		i++;
	bool merge_prev = i > 0 && m->ext[i - 1].base + m->ext[i - 1].pages * PAGE_SIZE >= base;
	bool merge_next = i < m->nr && base + pages * PAGE_SIZE >= m->ext[i].base;
	if (merge_prev) {
		struct pmm_extent *p = &m->ext[i - 1];
		u64 end = MAX(p->base + p->pages * PAGE_SIZE, base + pages * PAGE_SIZE);
		p->pages = (end - p->base) / PAGE_SIZE;
		while (i < m->nr && m->ext[i].base <= end) {
			u64 e2 = m->ext[i].base + m->ext[i].pages * PAGE_SIZE;
			if (e2 > end)
				p->pages = (e2 - p->base) / PAGE_SIZE, end = e2;
			remove_at(m, i);
		}
		return true;
	}
	if (merge_next) {
		struct pmm_extent *n = &m->ext[i];
		u64 end = MAX(n->base + n->pages * PAGE_SIZE, base + pages * PAGE_SIZE);
		n->base = base;
		n->pages = (end - base) / PAGE_SIZE;
		while (i + 1 < m->nr && m->ext[i + 1].base <= end) {
			u64 e2 = m->ext[i + 1].base + m->ext[i + 1].pages * PAGE_SIZE;
			if (e2 > end)
				n->pages = (e2 - n->base) / PAGE_SIZE, end = e2;
			remove_at(m, i + 1);
		}
		return true;
	}
	return insert_at(m, i, base, pages);
}

void pmm_reserve(struct pmm *m, u64 base, u64 len)
{
	u64 lo = ALIGN_DOWN(base, PAGE_SIZE);
	u64 hi = len > ~0ULL - base ? ~0ULL & ~(PAGE_SIZE - 1) : ALIGN_UP(base + len, PAGE_SIZE);
	for (u32 i = 0; i < m->nr;) {
		struct pmm_extent e = m->ext[i];
		u64 end = e.base + e.pages * PAGE_SIZE;
		if (end <= lo || e.base >= hi) {
			i++;
			continue;
		}
		remove_at(m, i);
		/* Each piece kept needs an extent; with the table full it is lost, and counted. */
		if (e.base < lo && !insert_at(m, i++, e.base, (lo - e.base) / PAGE_SIZE))
			m->lost_pages += (lo - e.base) / PAGE_SIZE, i--;
		if (end > hi && !insert_at(m, i++, hi, (end - hi) / PAGE_SIZE))
			m->lost_pages += (end - hi) / PAGE_SIZE, i--;
	}
}

static u64 count_free(const struct pmm *m)
{
	u64 n = 0;
	for (u32 i = 0; i < m->nr; i++)
		n += m->ext[i].pages;
	return n;
}

void pmm_init(struct pmm *m, const struct boot_info *bi, const struct mem_range *reserved,
	      u32 nr_reserved)
{
	memset(m, 0, sizeof(*m));
	for (u32 i = 0; i < bi->nr_memmap; i++) {
		const struct mem_range *r = &bi->memmap[i];
		if (r->type != MEM_USABLE || r->length == 0 || r->base > ~0ULL - r->length)
			continue;
		u64 lo = ALIGN_UP(r->base, PAGE_SIZE), hi = ALIGN_DOWN(r->base + r->length, PAGE_SIZE);
		if (hi > lo && !add_free(m, lo, (hi - lo) / PAGE_SIZE))
			m->dropped_ranges++;
	}
	for (u32 i = 0; i < bi->nr_memmap; i++) {
		const struct mem_range *r = &bi->memmap[i];
		if (r->type != MEM_USABLE)
			pmm_reserve(m, r->base, r->length);
	}
	pmm_reserve(m, 0, PAGE_SIZE);
	for (u32 i = 0; i < nr_reserved; i++)
		pmm_reserve(m, reserved[i].base, reserved[i].length);
	m->free_pages = m->total_pages = count_free(m);
}

u64 pmm_alloc(struct pmm *m, u64 n, u64 max_addr)
{
	if (n == 0)
		return 0;
	for (u32 k = m->nr; k-- > 0;) {
		struct pmm_extent *e = &m->ext[k];
		u64 end = e->base + e->pages * PAGE_SIZE;
		if (max_addr && end > max_addr)
			end = ALIGN_DOWN(max_addr, PAGE_SIZE);
		if (end <= e->base || (end - e->base) / PAGE_SIZE < n)
			continue;
		u64 base = end - n * PAGE_SIZE, lost = m->lost_pages;
		pmm_reserve(m, base, n * PAGE_SIZE);
		m->free_pages -= n + (m->lost_pages - lost); /* a split the full table could not keep */
		return base;
	}
	return 0;
}

void pmm_free(struct pmm *m, u64 base, u64 n)
{
	if (!n)
		return;
	if (add_free(m, base, n))
		m->free_pages += n;
	else
		m->lost_pages += n;
}

u64 pmm_alloc_aligned(struct pmm *m, u64 n, u64 align, u64 max_addr)
{
	u64 slack = align > PAGE_SIZE ? align / PAGE_SIZE - 1 : 0;
	u64 raw = pmm_alloc(m, n + slack, max_addr);
	if (!raw)
		return 0;
	u64 base = ALIGN_UP(raw, align > PAGE_SIZE ? align : PAGE_SIZE);
	u64 head = (base - raw) / PAGE_SIZE;
	pmm_free(m, raw, head);
	pmm_free(m, base + n * PAGE_SIZE, slack - head);
	return base;
}

u64 pmm_alloc_pages(u64 n, u64 max_addr)
{
	spin_lock(&pmm_lock);
	u64 p = pmm_alloc(&pmm_global, n, max_addr);
	spin_unlock(&pmm_lock);
	if (p)
		memset((void *)(uintptr_t)p, 0, n * PAGE_SIZE);
	return p;
}

u64 pmm_alloc_pages_aligned(u64 n, u64 align)
{
	spin_lock(&pmm_lock);
	u64 p = pmm_alloc_aligned(&pmm_global, n, align, 0);
	spin_unlock(&pmm_lock);
	if (p)
		memset((void *)(uintptr_t)p, 0, n * PAGE_SIZE);
	return p;
}

void pmm_free_pages(u64 base, u64 n)
{
	spin_lock(&pmm_lock);
	pmm_free(&pmm_global, base, n);
	spin_unlock(&pmm_lock);
}
