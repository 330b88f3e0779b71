/* Inter-processor interrupts between the vCPUs of one domain: fixed, NMI, INIT and SIPI (SDM 11.6). */
#include "vcpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/status.h"

static u8 kick_vector;             /* set once by vcpu_kick_init, before any CPU runs a guest */
static u8 notify_vector;           /* CPU posting's notification vector (SDM Vol. 3C 30.6) */

static void kick_handler(u8 vector, void *ctx)
{
	(void)vector, (void)ctx; /* the VM exit it caused was the point */
}

/* A notification taken by the host (its vCPU was out of the guest, or halted): waking the CPU
 * was the point; the run loop moves the posted requests in before the next entry (vintr.c). */
static void notify_handler(u8 vector, void *ctx)
{
	(void)vector, (void)ctx;
}

status_t vcpu_kick_init(void)
{
	if (vmx_caps.posting && !notify_vector && !(notify_vector = irq_alloc(notify_handler, NULL)))
		vmx_posting_off("no host vector left for its notifications");
	if (!kick_vector)
		kick_vector = irq_alloc(kick_handler, NULL);
	if (!kick_vector) {
		LOG("vmx", "no host vector left for vCPU kicks: IPIs and stops wait for the next exit");
		if (vmx_caps.posting) /* a vCPU halted in the guest would hear of INIT, NMIs and stops late */
			vmx_posting_off("no host vector left for vCPU kicks");
		return E_NOSPC;
	}
	return OK;
}

u8 vcpu_notify_vector(void)
{
	return notify_vector;
}

/* The notification of SDM 30.6 to the CPU running t: processed there without a VM exit when
 * t is in the guest, taken by notify_handler otherwise. Its own CPU needs none: the run loop
 * looks at the descriptor before every entry. */
static void notify(struct vcpu *t)
{
	struct percpu *p = cpus[t->cpu];
	if (!p || p == this_cpu())
		return;
	if (lapic_send_ipi(p->apic_id, notify_vector))
		LOG("vmx", "posted-interrupt notification to CPU %u not delivered", t->cpu);
}

void vcpu_post(struct vcpu *t, u8 vector)
{
	if (!vlapic_set_irr(&t->apic, vector))
		return;
	if (t->apic.pid)
		notify(t);
	else
		vcpu_kick(t);
}

void vcpu_kick(struct vcpu *t)
{
	vcpu_kick_cpu(t->cpu);
}

void vcpu_kick_cpu(u32 cpu)
{
	struct percpu *p = cpu < MAX_CPUS ? cpus[cpu] : NULL;
	u8 vec = __atomic_load_n(&kick_vector, __ATOMIC_ACQUIRE);
	if (!p || !vec || p == this_cpu())
		return;
	if (lapic_send_ipi(p->apic_id, vec))
		LOG("vmx", "kick IPI to CPU %u not delivered", cpu);
}

static bool targets(const struct vcpu *from, const struct vcpu *t, u64 icr)
{
	return vlapic_ipi_targets(&t->apic, t->id, t == from, icr, from->apic_base & BIT(10));
}

static void deliver(struct vcpu *from, struct vcpu *t, u64 icr)
{
	switch (ICR_MODE(icr)) {
	case 0:
	case 1:
		/* A disabled APIC is no APIC (SDM Vol. 3A 11.4.3); a software-disabled one takes INIT,
		 * NMI, SMI and SIPI (11.4.7.2) but no fixed interrupt: dropped, not held for later
		 * (the AMD APM, Vol. 2 16.3.1: "further fixed ... interrupts are not accepted"). */
		if ((t->apic_base & APIC_BASE_EN) && vlapic_sw_enabled(&t->apic))
			vcpu_post(t, ICR_VECTOR(icr));
		break;
	case 4:
		/* NMI: injected as an NMI at t's next entry that NMI blocking allows (vintr.c). */
		__atomic_store_n(&t->nmi_pending, true, __ATOMIC_RELEASE);
		vcpu_kick(t);
		break;
	case 5:
		if (icr & ICR_LEVEL) {
			/* INIT puts the processor in wait-for-SIPI (SDM Vol. 3A 9.4.4): a SIPI from now on
			 * counts, one received before it does not. */
			__atomic_store_n(&t->sipi_vector, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&t->init_pending, true, __ATOMIC_RELEASE);
			vcpu_kick(t); /* it goes to wait-for-SIPI at the kick's exit, halted or not (exit_misc.c) */
		}
		break;
	case 6:
		/* Only a processor waiting for SIPI takes one (SDM 9.4.4: later SIPIs are ignored): one
		 * that has not started, or one INIT has reached (it may not have parked yet). */
		if ((t->entry_mode == GUEST_MODE_WAIT_SIPI || __atomic_load_n(&t->init_pending, __ATOMIC_ACQUIRE)) &&
		    !(t->sipi_vector & BIT(31))) {
			__atomic_store_n(&t->sipi_vector, BIT(31) | ICR_VECTOR(icr), __ATOMIC_RELEASE);
			vcpu_kick(t); /* a parked vCPU idles between looks (exit_misc.c): wake it now */
		}
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
