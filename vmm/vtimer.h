/* Virtual local APIC timers of posted vCPUs kept by a CPU that runs no guest. */
#ifndef PASSAGE_VMM_VTIMER_H
#define PASSAGE_VMM_VTIMER_H

#include "vcpu.h"

/* Once the vCPUs are placed: picks a CPU without a guest (domains_idle_cpu) to keep the timers
 * of every vCPU with CPU posting, or none (then each vCPU's own CPU takes a VMX-preemption-timer
 * exit at its deadline, vintr.c). */
void vtimer_assign(int keeper_cpu);
/* On the keeper: posts every kept timer that expired by now; returns the earliest deadline still
 * armed (host TSC, 0 = none). Elsewhere: 0. */
u64 vtimer_keep(u64 now);
/* Is this CPU the keeper? */
bool vtimer_is_keeper(void);
/* On v's own CPU, before an entry: the guest armed or moved its deadline; wakes the keeper. */
void vtimer_changed(struct vcpu *v, u64 deadline);

#endif
