/* Virtual local APIC timers of posted vCPUs kept by a CPU that runs no guest, so an expiry reaches the guest without a VM exit. */
#include "vtimer.h"
#include "vcpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"

/*
 * With CPU posting a vCPU's interrupts arrive by posted-interrupt processing (SDM Vol. 3C 30.6).
 * Its own CPU could notice an expired deadline only by leaving the guest (the VMX-preemption
 * timer, 25.5.1); a CPU that runs no guest instead waits for the earliest deadline on its own
 * TSC-deadline timer and posts the vector, and the guest's CPU takes no exit. The deadline is
 * claimed by compare-and-swap (vlapic_timer_take), so both CPUs may look at it.
 */
static struct vcpu *kept[MAX_CPUS];
static u32 nr_kept;
static int keeper = -1;

void vtimer_assign(int keeper_cpu)
{
	if (keeper_cpu < 0 || !cpus[keeper_cpu] || !lapic_idle_works())
		return;
	for (u32 c = 0; c < MAX_CPUS; c++) {
		struct percpu *p = cpus[c];
		struct vmx_cpu *vc = p ? p->vmm : NULL;
		struct vcpu *v = vc ? vc->vcpu : NULL;
		if (v && vmx_caps.posting && nr_kept < MAX_CPUS)
			kept[nr_kept++] = v;
	}
	if (!nr_kept)
		return;
	__atomic_store_n(&keeper, keeper_cpu, __ATOMIC_RELEASE);
	for (u32 i = 0; i < nr_kept; i++)
		__atomic_store_n(&kept[i]->timer_kept, true, __ATOMIC_RELEASE);
	LOG("vtimer", "CPU %d keeps the virtual timers of %u posted vCPUs: their expiries are posted", keeper_cpu,
	    nr_kept);
}

bool vtimer_is_keeper(void)
{
	return (int)this_cpu()->cpu == __atomic_load_n(&keeper, __ATOMIC_ACQUIRE);
}

u64 vtimer_keep(u64 now)
{
	if (!vtimer_is_keeper())
		return 0;
	u64 earliest = 0;
	for (u32 i = 0; i < nr_kept; i++) {
		struct vcpu *v = kept[i];
		if (v->dom->state != DOM_RUNNING)
			continue;
		u64 next;
		int vec = vlapic_timer_take(&v->apic, now, &next);
		if (vec >= 0)
			vcpu_post(v, (u8)vec);
		if (next && (!earliest || next < earliest))
			earliest = next;
	}
	return earliest;
}

void vtimer_changed(struct vcpu *v, u64 deadline)
{
	int k = __atomic_load_n(&keeper, __ATOMIC_ACQUIRE);
	v->told_deadline = deadline;
	if (deadline && k >= 0)
		vcpu_kick_cpu((u32)k);
}
