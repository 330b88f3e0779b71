/* smp.c: one application processor, started with INIT-SIPI-SIPI (SDM Vol. 3A 9.4.4.1), that
 * takes interrupts in the shared IDT so a test can check which CPU an interrupt reached. */
#include "rt.h"

#define AP_TRAMP 0x8000UL
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_SVR 0xf0
#define LAPIC_DFR 0xe0
#define LAPIC_LDR 0xd0

extern char ap_tramp[], ap_tramp_end[];
extern u64 ap_stack_top;
void idt_load(void);

volatile u32 ap_apic_id = ~0u;          /* the AP's APIC ID once it runs */
static volatile bool ap_want_x2apic;
static volatile bool ap_is_x2apic;
static int (*volatile ap_fn)(void);     /* ap_run: the function the AP is asked to run */
static volatile int ap_fn_rc;
static volatile bool ap_fn_done;

/* The AP: the BSP's IDT, its APIC enabled (flat logical ID 2 in xAPIC mode), then halts with
 * interrupts on; on request it switches its APIC to x2APIC mode like the BSP, or runs a function. */
__attribute__((noreturn)) void ap_main(void)
{
	idt_load();
	lapic_w(LAPIC_SVR, 0x1ff);
	lapic_w(LAPIC_DFR, 0xffffffffu);
	lapic_w(LAPIC_LDR, 2u << 24);
	ap_apic_id = lapic_id();
	for (;;) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		if (ap_want_x2apic && !ap_is_x2apic) {
			u32 lo, hi;
			__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1b));
			lo |= (u32)(BIT(10) | BIT(11));
			__asm__ volatile("wrmsr" ::"c"(0x1b), "a"(lo), "d"(hi));
			ap_is_x2apic = true;
		}
		if (ap_fn && !ap_fn_done) {
			ap_fn_rc = ap_fn();
			barrier();
			ap_fn_done = true;
		}
	}
}

static void icr(u32 dest, u32 lo)
{
	lapic_w(LAPIC_ICR_HI, dest << 24);
	lapic_w(LAPIC_ICR_LO, lo);
	for (int i = 0; i < 1000000 && (lapic_r(LAPIC_ICR_LO) & BIT(12)); i++)   /* delivery status */
		;
}

static bool ap_up(void *ctx) { (void)ctx; return ap_apic_id != ~0u; }

/* Starts the first other CPU; false when none answers. xAPIC mode only (before any x2APIC switch). */
bool ap_start(void)
{
	memcpy((void *)AP_TRAMP, ap_tramp, (size_t)(ap_tramp_end - ap_tramp));
	ap_stack_top = (u64)page_alloc_n(4, PAGE) + 4 * PAGE;
	icr(0, 0xc4500);                          /* INIT, all excluding self */
	delay_ticks(2);
	for (int i = 0; i < 2 && !ap_up(NULL); i++) {
		icr(0, 0xc4600 | (u32)(AP_TRAMP >> 12)); /* start-up, all excluding self */
		wait_for(ap_up, NULL, 5);
	}
	return ap_up(NULL);
}

/* The AP goes to x2APIC mode (a fixed IPI, vector 0x4f, wakes it to look); called while the BSP is
 * still in xAPIC mode, which it leaves right after: no interrupt targets the AP in between. */
static bool ap_x2(void *ctx) { (void)ctx; return ap_is_x2apic; }
bool ap_x2apic(void)
{
	ap_want_x2apic = true;
	barrier();
	icr(ap_apic_id, 0x4f);
	return wait_for(ap_x2, NULL, 5);
}

/* Runs fn on the AP (a fixed IPI, vector 0x4f, wakes it to look) while this CPU waits; false when it
 * does not finish within `max_ticks`. In x2APIC mode the ICR is one 64-bit MSR (SDM Vol. 3A 10.12.9). */
static bool ap_fn_finished(void *ctx) { (void)ctx; return ap_fn_done; }
bool ap_run(int (*fn)(void), int *rc, u64 max_ticks)
{
	ap_fn_done = false;
	ap_fn = fn;
	barrier();
	if (lapic_is_x2apic())
		__asm__ volatile("wrmsr" ::"c"(0x830), "a"(0x4fu), "d"(ap_apic_id) : "memory");
	else
		icr(ap_apic_id, 0x4f);
	bool done = wait_for(ap_fn_finished, NULL, max_ticks);
	if (done) {
		*rc = ap_fn_rc;
		ap_fn = NULL;
	}
	return done;
}
