/* Vector table for external interrupts: handlers, counters and the local APIC EOI. */
#include "irq.h"
#include "lapic.h"
#include "lib/log.h"
#include "lib/spinlock.h"

struct irq_slot {
	irq_handler_fn handler;
	void *ctx;
	u64 count;
};

static struct irq_slot slots[256];
static spinlock_t irq_lock = SPINLOCK_INIT;

u8 irq_alloc(irq_handler_fn handler, void *ctx)
{
	u8 v = 0;
	spin_lock(&irq_lock);
	for (u32 i = IRQ_VECTOR_FIRST; i <= IRQ_VECTOR_LAST; i++) {
		if (!slots[i].handler) {
			/* ctx and count first, then the handler with release: irq_dispatch on another
			 * CPU reads the handler without the lock and must then see its ctx. */
			slots[i].ctx = ctx;
			__atomic_store_n(&slots[i].count, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&slots[i].handler, handler, __ATOMIC_RELEASE);
			v = (u8)i;
			break;
		}
	}
	spin_unlock(&irq_lock);
	if (!v)
		LOG("irq", "error: no free interrupt vector");
	return v;
}

void irq_free(u8 vector)
{
	spin_lock(&irq_lock);
	__atomic_store_n(&slots[vector].handler, NULL, __ATOMIC_RELEASE);
	spin_unlock(&irq_lock);
}

void irq_dispatch(u8 vector)
{
	struct irq_slot *s = &slots[vector];
	__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
	if (vector == 0xff)
		return; /* SDM Vol. 3A 11.9: no EOI for the spurious vector */
	/* One acquire load: the handler checked is the one called, with the ctx stored before it. */
	irq_handler_fn h = __atomic_load_n(&s->handler, __ATOMIC_ACQUIRE);
	if (h)
		h(vector, s->ctx);
	else
		LOG("irq", "unexpected interrupt on vector 0x%x", vector);
	lapic_eoi();
}

u64 irq_count(u8 vector)
{
	return __atomic_load_n(&slots[vector].count, __ATOMIC_RELAXED);
}
