/* Per-CPU record of held ticket locks: holder CPU, and release of what an exception abandoned. */
#include "spinlock.h"

struct held {
	spinlock_t *lock[SPIN_HELD_MAX];
	u32 n;                    /* may exceed SPIN_HELD_MAX: the excess is not recorded */
};

static int (*cpu_fn)(void);
static struct held held[SPIN_MAX_CPUS];

void spin_set_cpu_fn(int (*fn)(void))
{
	cpu_fn = fn;
}

int spin_this_cpu(void)
{
	int c = cpu_fn ? cpu_fn() : 0;
	return c >= 0 && c < SPIN_MAX_CPUS ? c : 0; /* before per-CPU data: only CPU 0 runs */
}

void spin_note_acquired(spinlock_t *l)
{
	int c = spin_this_cpu();
	struct held *h = &held[c];
	l->holder = (u32)c + 1;
	if (h->n < SPIN_HELD_MAX)
		h->lock[h->n] = l;
	h->n++;
}

void spin_note_released(spinlock_t *l)
{
	struct held *h = &held[spin_this_cpu()];
	l->holder = 0;
	if (!h->n)
		return;
	u32 top = h->n < SPIN_HELD_MAX ? h->n : SPIN_HELD_MAX;
	for (u32 i = top; i-- > 0;)
		if (h->lock[i] == l) {
			for (; i + 1 < top; i++)
				h->lock[i] = h->lock[i + 1];
			h->n--;
			return;
		}
	if (h->n > SPIN_HELD_MAX) /* an untracked lock of the overflow */
		h->n--;
}

u32 spin_held_depth(void)
{
	return held[spin_this_cpu()].n;
}

void spin_release_held(u32 depth)
{
	struct held *h = &held[spin_this_cpu()];
	while (h->n > depth && h->n <= SPIN_HELD_MAX)
		spin_unlock(h->lock[h->n - 1]);
	if (h->n > depth) /* untracked overflow: nothing to release by name */
		h->n = depth;
}
