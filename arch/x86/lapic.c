/* Local APIC access, enable, and IPIs in xAPIC and x2APIC mode. */
#include "lapic.h"
#include "cpu.h"
#include "paging.h"
#include "tsc.h"
#include "irq.h"

static bool x2apic_mode;
static u64 xapic_base;

bool lapic_x2apic(void)
{
	return x2apic_mode;
}

u32 lapic_read(u32 reg)
{
	if (x2apic_mode)
		return (u32)rdmsr(0x800 + reg / 16); /* SDM Vol. 3A 11.12.1.2 */
	return mmio_read32(xapic_base + reg);
}

void lapic_write(u32 reg, u32 v)
{
	if (x2apic_mode)
		wrmsr(0x800 + reg / 16, v);
	else
		mmio_write32(xapic_base + reg, v);
}

u32 lapic_id(void)
{
	return x2apic_mode ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24;
}

status_t lapic_init(bool want_x2apic)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	xapic_base = base & 0xffffff000ULL;
	bool have_x2 = (cpuid(1, 0).ecx & CPUID1_ECX_X2APIC) != 0;
	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		wrmsr(MSR_IA32_APIC_BASE, base);
	}
	if (want_x2apic && have_x2) {
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD); /* SDM 11.12.1: EN then EXTD */
		x2apic_mode = true;
	} else if (base & APIC_BASE_EXTD) {
		/* SDM 11.12.5: leaving x2APIC mode needs a full disable first. */
		wrmsr(MSR_IA32_APIC_BASE, base & ~(APIC_BASE_EN | APIC_BASE_EXTD));
		wrmsr(MSR_IA32_APIC_BASE, (base & ~APIC_BASE_EXTD) | APIC_BASE_EN);
		x2apic_mode = false;
	} else {
		x2apic_mode = false;
	}
	if (!x2apic_mode) {
		status_t st = paging_map(xapic_base, PAGE_SIZE, MAP_MMIO);
		if (st)
			return st; /* the registers cannot be reached: nothing below may run */
	}
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, SVR_APIC_ENABLE | SPURIOUS_VECTOR);
	lapic_write(LAPIC_ESR, 0);
	return OK;
}

status_t lapic_send_ipi(u32 apic_id, u32 icr_lo)
{
	if (x2apic_mode) {
		wrmsr(0x830, ((u64)apic_id << 32) | icr_lo); /* SDM 11.12.9: one 64-bit ICR write */
		return OK;
	}
	if (apic_id > 0xff)
		return E_RANGE;
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	u64 deadline = tsc_now_us() + 100000;
	while (lapic_read(LAPIC_ICR_LO) & ICR_DELIVERY_PENDING)
		if (tsc_now_us() > deadline)
			return E_TIMEDOUT;
	return OK;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_periodic(u8 vector, u32 count)
{
	lapic_write(LAPIC_TIMER_DCR, 0x3);                  /* divide by 16 (SDM figure 11-10) */
	lapic_write(LAPIC_LVT_TIMER, count ? vector | BIT(17) : BIT(16)); /* periodic / masked */
	lapic_write(LAPIC_TIMER_ICR, count);
}

static void idle_tick(u8 vector, void *ctx)
{
	(void)vector, (void)ctx;
}

/* TSC-deadline idle: the vector of its wake-up tick, 0 when the CPU lacks the mode (D20: set
 * once by the boot CPU before any AP starts, never lazily from several CPUs). */
static u8 idle_vector;

void lapic_idle_setup(void)
{
	if (cpuid(1, 0).ecx & CPUID1_ECX_TSC_DEADLINE)
		idle_vector = irq_alloc(idle_tick, NULL);
}

bool lapic_idle_works(void)
{
	return idle_vector != 0;
}

void lapic_idle_until(u64 deadline)
{
	if (!idle_vector) {
		cpu_relax();
		return;
	}
	/* SDM 11.5.4.1: LVT timer mode 2 = TSC-deadline; writing IA32_TSC_DEADLINE arms it. */
	lapic_write(LAPIC_LVT_TIMER, idle_vector | (2u << 17));
	wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	wrmsr(MSR_IA32_TSC_DEADLINE, 0);
}
