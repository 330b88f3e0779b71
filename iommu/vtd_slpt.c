/* Second-level page tables: 512-entry tables, 4 KiB leaves, 2 MiB / 1 GiB superpages (VT-d spec 9.8, 3.7). */
#include "vtd_slpt.h"
#include "vtd_regs.h"
#include "vtd_cache.h"
#include "lib/pmm.h"
#include "lib/string.h"

#define ENTRIES 512

static u64 level_size(u32 level) /* bytes covered by one entry at level (1 = 4 KiB leaf) */
{
	return PAGE_SIZE << (9 * (level - 1));
}

static u32 index_at(u64 iova, u32 level)
{
	return (iova >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static u64 *table(u64 entry)
{
	return (u64 *)(uintptr_t)(entry & SL_ADDR_MASK);
}

static void flush(const struct slpt *t, const void *p, u64 len)
{
	vtd_cache_flush(p, len, t->coherent);
}

static u64 *new_table(struct slpt *t)
{
	u64 p = pmm_alloc_pages(1, 0);
	if (!p)
		return NULL;
	t->pages++;
	flush(t, (void *)(uintptr_t)p, PAGE_SIZE);
	return (u64 *)(uintptr_t)p;
}

status_t slpt_init(struct slpt *t, u32 levels, u32 sllps, bool coherent)
{
	memset(t, 0, sizeof(*t));
	t->levels = levels;
	t->sllps = sllps;
	t->coherent = coherent;
	u64 *root = new_table(t);
	if (!root)
		return E_NOMEM;
	t->root = (u64)(uintptr_t)root;
	return OK;
}

/* Largest page size usable at iova/hpa for the remaining size (3.7: SLLPS bits). */
static u32 leaf_level(const struct slpt *t, u64 iova, u64 hpa, u64 remaining)
{
	for (u32 level = 3; level >= 2; level--) {
		u64 sz = level_size(level);
		bool allowed = level == 3 ? (t->sllps & SLLPS_1G) : (t->sllps & SLLPS_2M);
		/* a 3-level table's top entries may be 1 GiB pages too (VT-d 3.7, 9.8) */
		if (allowed && level <= t->levels && !((iova | hpa) & (sz - 1)) && remaining >= sz)
			return level;
	}
	return 1;
}

/* Replaces a superpage entry by a table of the next level holding the same mapping. */
static __attribute__((warn_unused_result)) status_t split(struct slpt *t, u64 *entry, u32 level)
{
	u64 *sub = new_table(t);
	if (!sub)
		return E_NOMEM;
	u64 base = *entry & SL_ADDR_MASK, perm = *entry & (SL_R | SL_W);
	u64 ps = level - 1 > 1 ? SL_PS : 0;
	for (u32 i = 0; i < ENTRIES; i++)
		sub[i] = (base + i * level_size(level - 1)) | perm | ps;
	flush(t, sub, PAGE_SIZE);
	*entry = (u64)(uintptr_t)sub | SL_R | SL_W;
	flush(t, entry, 8);
	return OK;
}

/*
 * Returns the entry for iova at target level, creating (or splitting into)
 * tables above it; *split is set when a present superpage was split.
 */
static u64 *walk(struct slpt *t, u64 iova, u32 target, bool create, status_t *st, bool *split_done)
{
	u64 *tab = (u64 *)(uintptr_t)t->root;
	*st = OK;
	for (u32 level = t->levels; level > target; level--) {
		u64 *e = &tab[index_at(iova, level)];
		if (!(*e & (SL_R | SL_W))) {
			if (!create)
				return NULL;
			u64 *sub = new_table(t);
			if (!sub) {
				*st = E_NOMEM;
				return NULL;
			}
			/* 9.8: non-leaf entries grant R and W; the leaf decides. */
			*e = (u64)(uintptr_t)sub | SL_R | SL_W;
			flush(t, e, 8);
		} else if (*e & SL_PS) {
			if ((*st = split(t, e, level)) != OK)
				return NULL;
			*split_done = true;
		}
		tab = table(*e);
	}
	return &tab[index_at(iova, target)];
}

status_t slpt_map(struct slpt *t, u64 iova, u64 hpa, u64 size, u64 perm, bool *replaced)
{
	bool rep = false;
	status_t st = OK;
	if ((iova | hpa | size) & (PAGE_SIZE - 1) || iova + size < iova ||
	    iova + size > (1ULL << (12 + 9 * t->levels)))
		st = E_INVAL;
	while (!st && size) {
		u32 level = leaf_level(t, iova, hpa, size);
		u64 *e = walk(t, iova, level, true, &st, &rep);
		if (e && level > 1 && (*e & (SL_R | SL_W)) && !(*e & SL_PS))
			level = 1, e = walk(t, iova, 1, true, &st, &rep); /* a table is already there */
		if (!e)
			break;
		/* D9: a present leaf overwritten may be cached in the IOTLB: the caller invalidates. */
		rep |= (*e & (SL_R | SL_W)) != 0;
		*e = hpa | (perm & (SL_R | SL_W)) | (level > 1 ? SL_PS : 0);
		flush(t, e, 8);
		iova += level_size(level);
		hpa += level_size(level);
		size -= level_size(level);
	}
	if (replaced)
		*replaced = rep;
	return st;
}

status_t slpt_unmap(struct slpt *t, u64 iova, u64 size)
{
	if ((iova | size) & (PAGE_SIZE - 1))
		return E_INVAL;
	while (size) {
		/* Find the level at which iova is mapped; split if the range covers it only partly. */
		u64 *tab = (u64 *)(uintptr_t)t->root;
		u32 level = t->levels;
		u64 *e = NULL;
		for (;; level--) {
			e = &tab[index_at(iova, level)];
			if (!(*e & (SL_R | SL_W)) || level == 1 || (*e & SL_PS))
				break;
			tab = table(*e);
		}
		u64 sz = level_size(level), off = iova & (sz - 1);
		if ((*e & (SL_R | SL_W)) && level > 1 && (off || size < sz)) {
			status_t st = split(t, e, level);
			if (st)
				return st;
			continue; /* walk again into the new table */
		}
		if (*e & (SL_R | SL_W)) {
			*e = 0;
			flush(t, e, 8);
		}
		u64 step = sz - off;
		if (step > size)
			step = size;
		iova += step;
		size -= step;
	}
	return OK;
}

u64 slpt_lookup(const struct slpt *t, u64 iova, u64 *perm)
{
	const u64 *tab = (const u64 *)(uintptr_t)t->root;
	for (u32 level = t->levels; level >= 1; level--) {
		u64 e = tab[index_at(iova, level)];
		if (!(e & (SL_R | SL_W)))
			return ~0ULL;
		if (level == 1 || (e & SL_PS)) {
			*perm = e & (SL_R | SL_W);
			return (e & SL_ADDR_MASK & ~(level_size(level) - 1)) + (iova & (level_size(level) - 1));
		}
		tab = table(e);
	}
	return ~0ULL;
}

static void free_level(u64 *tab, u32 level, u64 *pages)
{
	for (u32 i = 0; level > 1 && i < ENTRIES; i++)
		if ((tab[i] & (SL_R | SL_W)) && !(tab[i] & SL_PS))
			free_level(table(tab[i]), level - 1, pages);
	pmm_free_pages((u64)(uintptr_t)tab, 1);
	(*pages)--;
}

void slpt_destroy(struct slpt *t)
{
	if (t->root)
		free_level((u64 *)(uintptr_t)t->root, t->levels, &t->pages);
	t->root = 0;
}
