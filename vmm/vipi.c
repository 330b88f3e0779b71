/* Inter-processor interrupts between the vCPUs of one domain: fixed, NMI-less, INIT and SIPI (SDM 11.6). */
#include "vcpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"

#define ICR_VECTOR(i) ((u8)(i))
#define ICR_MODE(i) (((i) >> 8) & 7)        /* 0 fixed, 1 lowest priority, 4 NMI, 5 INIT, 6 SIPI */
#define ICR_LOGICAL BIT(11)
#define ICR_LEVEL BIT(14)                   /* INIT with level 0 is a de-assert: ignored */
#define ICR_SHORTHAND(i) (((i) >> 18) & 3)  /* 0 none, 1 self, 2 all, 3 all but self */
#define ICR_DEST(i) ((u32)((i) >> 32))

static void kick_handler(u8 vector, void *ctx)
{
	(void)vector, (void)ctx; /* the VM exit it caused was the point */
}

void vcpu_kick(struct vcpu *t)
{
	static u8 kick_vector;
	if (!kick_vector)
		kick_vector = irq_alloc(kick_handler, NULL);
	struct percpu *p = cpus[t->cpu];
	if (!p || !kick_vector || p == this_cpu())
		return;
	lapic_send_ipi(p->apic_id, kick_vector);
}

static bool targets(const struct vcpu *from, const struct vcpu *t, u64 icr)
{
	switch (ICR_SHORTHAND(icr)) {
	case 1: return t == from;
	case 2: return true;
	case 3: return t != from;
	}
	if (icr & ICR_LOGICAL) {
		u32 dest = ICR_DEST(icr);
		if (from->apic_base & BIT(10)) /* x2APIC cluster: cluster in 31:16, members 15:0 */
			return (dest >> 16) == (t->id >> 4) && (dest & (1u << (t->id & 0xf)));
		return (dest & (1u << (t->id & 7))) != 0; /* xAPIC flat model */
	}
	return ICR_DEST(icr) == t->id || ICR_DEST(icr) == 0xffffffff ||
	       (ICR_DEST(icr) == 0xff && !(from->apic_base & BIT(10)));
}

static void deliver(struct vcpu *from, struct vcpu *t, u64 icr)
{
	switch (ICR_MODE(icr)) {
	case 0:
	case 1:
		vlapic_set_irr(&t->apic, ICR_VECTOR(icr));
		vcpu_kick(t);
		break;
	case 5:
		if (icr & ICR_LEVEL)
			t->init_pending = true;
		break;
	case 6:
		/* Only a vCPU that has not started takes a SIPI (SDM 9.4.4: later SIPIs are ignored). */
		if (t->entry_mode == GUEST_MODE_WAIT_SIPI && !(t->sipi_vector & BIT(31)))
			__atomic_store_n(&t->sipi_vector, BIT(31) | ICR_VECTOR(icr), __ATOMIC_RELEASE);
		break;
	default:
		LOG(from->dom->name, "IPI delivery mode %lu not supported; dropped", ICR_MODE(icr));
	}
}

void vcpu_send_ipi(struct vcpu *v, u64 icr)
{
	struct domain *d = v->dom;
	for (u32 i = 0; i < d->nr_vcpus; i++) /* never outside the domain */
		if (targets(v, d->vcpus[i], icr))
			deliver(v, d->vcpus[i], icr);
}
