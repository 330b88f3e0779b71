/* 16-byte atomic compare-exchange and store (CMPXCHG16B, Intel SDM Vol. 2A "CMPXCHG8B/CMPXCHG16B"). */
#ifndef PASSAGE_ARCH_ATOMIC128_H
#define PASSAGE_ARCH_ATOMIC128_H

#include "lib/types.h"

/*
 * CMPXCHG16B needs CPUID.01H:ECX.CX16[bit 13] and a 16-byte-aligned operand
 * (#GP otherwise). With LOCK it is one atomic 128-bit read-modify-write, so a
 * device reading the location (an IRTE) sees the old or the new value, never
 * half of each. Plain x86-64 code: the host unit test executes it.
 */
#define CPUID1_ECX_CX16 BIT(13)

struct u128 {
	u64 lo, hi;
};

/* If *p equals *expected, stores (lo, hi) and returns true; otherwise loads *p into *expected. */
static inline bool atomic128_cmpxchg(volatile void *p, struct u128 *expected, u64 lo, u64 hi)
{
	bool ok;
	__asm__ volatile("lock cmpxchg16b %1"
			 : "=@ccz"(ok), "+m"(*(volatile struct u128 *)p), "+a"(expected->lo),
			   "+d"(expected->hi)
			 : "b"(lo), "c"(hi)
			 : "memory");
	return ok;
}

/* An atomic 128-bit read: a compare-exchange that writes back whatever it found. */
static inline struct u128 atomic128_load(volatile void *p)
{
	struct u128 v = { 0, 0 };
	atomic128_cmpxchg(p, &v, 0, 0);
	return v;
}

/* Stores (lo, hi) as one 128-bit write; returns the value it replaced. */
static inline struct u128 atomic128_store(volatile void *p, u64 lo, u64 hi)
{
	struct u128 old = atomic128_load(p);
	while (!atomic128_cmpxchg(p, &old, lo, hi))
		;
	return old;
}

#endif
