/* Ticket spinlock (fair, interrupt state left to the caller). */
#ifndef PASSAGE_LIB_SPINLOCK_H
#define PASSAGE_LIB_SPINLOCK_H

#include "types.h"

typedef struct {
	volatile u32 next;
	volatile u32 owner;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(spinlock_t *l)
{
	u32 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		__builtin_ia32_pause();
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/*
 * For locks an interrupt handler also takes: interrupts stay off while the
 * lock is held, so a handler never spins on a lock its own CPU holds.
 */
static inline u64 spin_lock_irqsave(spinlock_t *l)
{
	u64 flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, u64 flags)
{
	spin_unlock(l);
	if (flags & (1u << 9)) /* RFLAGS.IF */
		__asm__ volatile("sti" ::: "memory");
}

#endif
