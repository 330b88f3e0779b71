/* Starts application processors one at a time through a real-mode trampoline. */
#include "smp.h"
#include "cpu.h"
#include "lapic.h"
#include "paging.h"
#include "tsc.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

extern const char trampoline_start[], trampoline_end[];
/* trampoline.asm's labels for struct trampoline_params and each of its fields */
extern const char t_params[], t_cr3[], t_stack[], t_entry[], t_arg[];

struct trampoline_params {
	u64 cr3;
	u64 stack;
	u64 entry;
	u64 arg;
};
_Static_assert(sizeof(struct trampoline_params) == 32, "trampoline.asm reserves 32 bytes");

#define AP_ONLINE_US 10000000 /* per AP: generous, an emulator's CPU may be starved (C.4) */

/* The C view of the trampoline's parameter block equals the assembly's, field by field. */
static bool params_match_asm(void)
{
	return t_cr3 - t_params == offsetof(struct trampoline_params, cr3) &&
	       t_stack - t_params == offsetof(struct trampoline_params, stack) &&
	       t_entry - t_params == offsetof(struct trampoline_params, entry) &&
	       t_arg - t_params == offsetof(struct trampoline_params, arg) &&
	       trampoline_end - t_params == sizeof(struct trampoline_params);
}

static ap_main_fn ap_main_hook;

static void ap_entry(struct percpu *p)
{
	percpu_install(p);
	status_t st = lapic_init(lapic_x2apic()); /* the same mode as the boot CPU */
	if (st) {
		/* Never marked online: the boot CPU reports it as not started and goes on. */
		LOG("smp", "error: local APIC not usable (%s); CPU stays halted", status_str(st));
		halt_forever();
	}
	if (lapic_id() != p->apic_id)
		LOG("smp", "APIC ID 0x%x, MADT said 0x%x", lapic_id(), p->apic_id);
	__atomic_store_n(&p->online, 1, __ATOMIC_RELEASE);
	LOG("smp", "online (APIC ID 0x%x, %s)", lapic_id(), lapic_x2apic() ? "x2APIC" : "xAPIC");
	if (ap_main_hook)
		ap_main_hook(p);
	halt_forever();
}

static bool wait_online(struct percpu *p, u64 us)
{
	u64 end = tsc_now_us() + us;
	while (tsc_now_us() < end)
		if (__atomic_load_n(&p->online, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

/* SDM Vol. 3A 9.4.4.1: INIT, 10 ms, SIPI, 200 us, SIPI. */
static MUST_CHECK status_t start_one(u32 apic_id, u64 page)
{
	status_t st = lapic_send_ipi(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
	if (st)
		return st;
	udelay(10000);
	for (int i = 0; i < 2 && st == OK; i++) {
		st = lapic_send_ipi(apic_id, ICR_STARTUP | (u32)(page >> 12));
		udelay(200);
	}
	return st;
}

u32 smp_start(const struct acpi_platform *acpi, u32 max_cpus, ap_main_fn ap_main)
{
	u32 online = 1, bsp = lapic_id();
	u64 size = (u64)(trampoline_end - trampoline_start);
	if (!params_match_asm()) {
		LOG("smp", "error: struct trampoline_params does not match trampoline.asm; APs not started");
		return online;
	}
	u64 page = pmm_alloc_pages(1, 1 * MiB);
	if (!page) {
		LOG("smp", "no free page below 1 MiB for the start-up trampoline; APs not started");
		return online;
	}
	ap_main_hook = ap_main;
	memcpy((void *)(uintptr_t)page, trampoline_start, size);
	struct trampoline_params *tp = (void *)(uintptr_t)(page + size - sizeof(*tp));
	for (u32 i = 0; i < acpi->nr_cpus; i++) {
		const struct acpi_cpu *c = &acpi->cpus[i];
		if (c->apic_id == bsp || !c->enabled)
			continue;
		if (max_cpus && online >= max_cpus) {
			LOG("smp", "maxcpus=%u: APIC ID 0x%x left stopped", max_cpus, c->apic_id);
			continue;
		}
		struct percpu *p = percpu_alloc(online, c->apic_id);
		if (!p) {
			LOG("smp", "no memory for CPU %u (APIC ID 0x%x)", online, c->apic_id);
			break;
		}
		*tp = (struct trampoline_params){ paging_cr3(), p->stack_top,
						  (u64)(uintptr_t)ap_entry, (u64)(uintptr_t)p };
		status_t st = start_one(c->apic_id, page);
		if (st == OK && wait_online(p, AP_ONLINE_US)) {
			online++;
			continue;
		}
		LOG("smp", "APIC ID 0x%x did not come online (%s)", c->apic_id,
		    st ? status_str(st) : "no response in 10 s");
		cpus[online] = NULL; /* its per-CPU memory stays reserved: the CPU may still wake */
	}
	nr_cpus_started = online;
	return online;
}
