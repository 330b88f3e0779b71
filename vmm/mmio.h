/* Emulated guest-physical ranges: device models claim a range; EPT violations and APIC accesses in it reach them. */
#ifndef PASSAGE_VMM_MMIO_H
#define PASSAGE_VMM_MMIO_H

#include "vcpu.h"

/*
 * One access of size bytes (1, 2, 4 or 8) at gpa: a write passes *val, a read
 * fills it. Returns false when the model refuses the access; the domain then
 * stops with a message naming the range.
 */
typedef bool (*mmio_fn)(struct vcpu *v, u64 gpa, u32 size, bool write, u64 *val, void *ctx);

/*
 * Claims [base, base+size) for fn in domain d (NULL: in every domain). At
 * start-up or while the domain's vCPUs cannot run; E_BUSY on overlap, E_NOSPC
 * when the table is full. The range must not be mapped in EPT (or must be
 * mapped so that the accesses to emulate fault, e.g. write-protected).
 */
status_t mmio_register(struct domain *d, const char *name, u64 base, u64 size, mmio_fn fn, void *ctx)
	MUST_CHECK;

/*
 * A movable range (mmio_range.c): claimed once for domain d with its size,
 * parked (matching nothing) until mmio_move places it. mmio_move runs while
 * the domain's vCPUs run (a guest placing a BAR): the base changes with one
 * atomic store, so a concurrent lookup sees the old or the new placement,
 * never a mix; the model checks gpa against its own state under its lock.
 * Claim and release at build or stop only (while no vCPU of d runs).
 */
#define MMIO_PARKED (~0ULL)
status_t mmio_claim(struct domain *d, const char *name, u64 size, mmio_fn fn, void *ctx, u32 *handle)
	MUST_CHECK;
/* Places the range at base (MMIO_PARKED: nowhere); E_BUSY on overlap, E_INVAL for a bad handle/base. */
status_t mmio_move(u32 handle, u64 base) MUST_CHECK;
/* Parks the range and frees its slot. */
void mmio_release(u32 handle);

/* The dispatcher's lookup: the range of domain d (or of every domain) holding gpa. */
struct mmio_range {
	struct domain *dom;       /* NULL: every domain */
	const char *name;
	volatile u64 base;        /* MMIO_PARKED: matches nothing */
	u64 size;                 /* 0: free slot */
	mmio_fn fn;
	void *ctx;
};
const struct mmio_range *mmio_find(struct domain *d, u64 gpa);

/* The xAPIC window model behind the APIC-access page (reads the timer's current count). */
status_t mmio_register_apic(void) MUST_CHECK;

/* Test aid (vtestdev.c, only with crash=vmexit): a scratch page at 0xfeb00000 in every domain. */
status_t vtestdev_register(void) MUST_CHECK;

#endif
