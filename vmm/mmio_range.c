/* The table of emulated guest-physical ranges: fixed ranges claimed at start-up, movable ones placed while guests run. */
#include "mmio.h"
#include "lib/log.h"
#include "lib/spinlock.h"

#define MMIO_MAX 48               /* fixed models plus the MSI-X table/PBA windows of assigned functions */

static struct mmio_range ranges[MMIO_MAX];
static u32 nr_ranges;             /* slots ever used; lookups scan these */
static spinlock_t lock = SPINLOCK_INIT;   /* writers only: lookups are lock-free */

static bool overlaps(const struct mmio_range *r, const struct domain *d, u64 base, u64 size)
{
	u64 rb = __atomic_load_n(&r->base, __ATOMIC_ACQUIRE);
	return r->size && rb != MMIO_PARKED && (!r->dom || !d || r->dom == d) && base < rb + r->size &&
	       rb < base + size;
}

static bool busy(const struct domain *d, u64 base, u64 size, const struct mmio_range *self)
{
	for (u32 i = 0; i < nr_ranges; i++)
		if (&ranges[i] != self && overlaps(&ranges[i], d, base, size))
			return true;
	return false;
}

/* A free slot (size 0) or a new one; the fields are written before base publishes the range. */
static MUST_CHECK status_t add(struct domain *d, const char *name, u64 base, u64 size, mmio_fn fn, void *ctx, u32 *handle)
{
	u32 i = 0;
	while (i < nr_ranges && ranges[i].size)
		i++;
	if (i == MMIO_MAX) {
		LOG("mmio", "no room for %s: raise MMIO_MAX (%u)", name, MMIO_MAX);
		return E_NOSPC;
	}
	struct mmio_range *r = &ranges[i];
	__atomic_store_n(&r->base, MMIO_PARKED, __ATOMIC_RELEASE);
	r->dom = d, r->name = name, r->fn = fn, r->ctx = ctx, r->size = size;
	__atomic_store_n(&r->base, base, __ATOMIC_RELEASE);
	if (i == nr_ranges)
		__atomic_store_n(&nr_ranges, nr_ranges + 1, __ATOMIC_RELEASE);
	if (handle)
		*handle = i;
	return OK;
}

status_t mmio_register(struct domain *d, const char *name, u64 base, u64 size, mmio_fn fn, void *ctx)
{
	if (!size || base + size < base || base == MMIO_PARKED)
		return E_INVAL;
	spin_lock(&lock);
	status_t st = busy(d, base, size, NULL) ? E_BUSY : add(d, name, base, size, fn, ctx, NULL);
	spin_unlock(&lock);
	return st;
}

status_t mmio_claim(struct domain *d, const char *name, u64 size, mmio_fn fn, void *ctx, u32 *handle)
{
	if (!size || !d || !fn)
		return E_INVAL;
	spin_lock(&lock);
	status_t st = add(d, name, MMIO_PARKED, size, fn, ctx, handle);
	spin_unlock(&lock);
	return st;
}

status_t mmio_move(u32 handle, u64 base)
{
	status_t st = OK;
	spin_lock(&lock);
	struct mmio_range *r = handle < nr_ranges ? &ranges[handle] : NULL;
	if (!r || !r->size || !r->dom || (base != MMIO_PARKED && base + r->size < base))
		st = E_INVAL;
	else if (base != MMIO_PARKED && busy(r->dom, base, r->size, r))
		st = E_BUSY;
	else
		__atomic_store_n(&r->base, base, __ATOMIC_RELEASE);
	spin_unlock(&lock);
	return st;
}

void mmio_release(u32 handle)
{
	spin_lock(&lock);
	if (handle < nr_ranges && ranges[handle].dom) {
		__atomic_store_n(&ranges[handle].base, MMIO_PARKED, __ATOMIC_RELEASE);
		ranges[handle].size = 0;
	}
	spin_unlock(&lock);
}

const struct mmio_range *mmio_find(struct domain *d, u64 gpa)
{
	u32 n = __atomic_load_n(&nr_ranges, __ATOMIC_ACQUIRE);
	for (u32 i = 0; i < n; i++) {
		const struct mmio_range *r = &ranges[i];
		u64 b = __atomic_load_n(&r->base, __ATOMIC_ACQUIRE);
		if (b != MMIO_PARKED && (!r->dom || r->dom == d) && gpa - b < r->size)
			return r;
	}
	return NULL;
}
