/* Ticket spinlock (fair, interrupt state left to the caller) that records its holder CPU. */
#ifndef PASSAGE_LIB_SPINLOCK_H
#define PASSAGE_LIB_SPINLOCK_H

#include "types.h"

typedef struct {
	volatile u32 next;        /* next ticket to hand out */
	volatile u32 owner;       /* ticket now allowed in */
	volatile u32 holder;      /* CPU number + 1 while held, 0 when free */
} spinlock_t;

#define SPINLOCK_INIT { 0, 0, 0 }
#define SPIN_MAX_CPUS 256         /* CPUs whose held locks are tracked (arch MAX_CPUS) */
#define SPIN_HELD_MAX 8           /* locks one CPU may hold at once and still be tracked */

/*
 * Each CPU's held locks are recorded (in acquisition order) so an exception's
 * recovery can release what the abandoned code held, and the exception path
 * can tell its own CPU's lock from another CPU's. The CPU number comes from
 * the function registered here (none: CPU 0).
 */
void spin_set_cpu_fn(int (*fn)(void));
int spin_this_cpu(void);
void spin_note_acquired(spinlock_t *l);
void spin_note_released(spinlock_t *l);
/* Number of locks this CPU holds. */
u32 spin_held_depth(void);
/* Releases the locks this CPU took after it held `depth` of them (newest first). */
void spin_release_held(u32 depth);

static inline void spin_lock(spinlock_t *l)
{
	u32 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		__builtin_ia32_pause();
	spin_note_acquired(l);
}

/* Takes the lock only if it is free and nobody waits; never leaves a ticket behind. */
static inline bool spin_trylock(spinlock_t *l)
{
	u32 owner = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
	u32 expect = owner;
	if (!__atomic_compare_exchange_n(&l->next, &expect, owner + 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	spin_note_acquired(l);
	return true;
}

static inline bool spin_held_by_me(const spinlock_t *l)
{
	return __atomic_load_n(&l->holder, __ATOMIC_RELAXED) == (u32)spin_this_cpu() + 1;
}

static inline void spin_unlock(spinlock_t *l)
{
	spin_note_released(l);
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/*
 * For locks an interrupt handler also takes: interrupts stay off while the
 * lock is held, so a handler never spins on a lock its own CPU holds.
 */
static inline u64 spin_lock_irqsave(spinlock_t *l)
{
	u64 flags = 0;
#ifndef PASSAGE_HOST /* host tests run the lock logic in user mode */
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
#endif
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
