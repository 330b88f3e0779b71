/* Host NMI handling: per-CPU counts and NMI IPIs (SDM Vol. 3A 6.7.1, 11.6.1). */
#include "nmi.h"
#include "lapic.h"
#include "percpu.h"

#define ICR_DELIVERY_NMI (4u << 8)

static volatile u64 counts[MAX_CPUS];

void nmi_handle(void)
{
	int cpu = percpu_log_cpu();
	__atomic_add_fetch(&counts[cpu >= 0 ? cpu : 0], 1, __ATOMIC_RELAXED);
}

u64 nmi_count(u32 cpu)
{
	return cpu < MAX_CPUS ? __atomic_load_n(&counts[cpu], __ATOMIC_RELAXED) : 0;
}

status_t nmi_send(u32 cpu)
{
	if (cpu >= MAX_CPUS || !cpus[cpu])
		return E_NOENT;
	return lapic_send_ipi(cpus[cpu]->apic_id, ICR_DELIVERY_NMI);
}
