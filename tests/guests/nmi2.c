/* nmi2.c — NMIs between the two vCPUs of a domain: delivered as NMIs (not dropped), also to a vCPU waiting in HLT. */
#include "guest.h"
#include "x86.h"
#include "apic.h"

#define AP_ID 1u
#define AP_STACK_SIZE 4096
#define WAIT_TSC 400000000ull          /* timeouts only */
#define SETTLE_TSC 1000000ull          /* long enough for the AP to reach HLT */
#define ICR_NMI ((4u << 8) | ICR_ASSERT) /* delivery mode NMI (SDM 11.6.1), physical destination */

static uint8_t ap_stack[AP_STACK_SIZE] __attribute__((aligned(16)));
static volatile uint32_t ap_started, ap_halts;
volatile uint32_t nmi_on[2];          /* NMIs handled by each vCPU (0 BSP, 1 AP) */

/* NMI handler: counts on the CPU whose stack it runs on, returns with IRET (ends NMI blocking). */
void nmi_entry(void);
__asm__(".text\n.globl nmi_entry\nnmi_entry:\n"
	"push %eax\n"
	"mov %esp, %eax\n"
	"cmp $ap_stack, %eax\njb 1f\n"
	"cmp $ap_stack + 4096, %eax\njae 1f\n"
	"lock incl nmi_on + 4\njmp 2f\n"
	"1: lock incl nmi_on\n"
	"2: pop %eax\niret\n");

static bool wait_until(volatile uint32_t *p, uint32_t want)
{
	for (uint64_t t0 = rdtsc(); rdtsc() - t0 < WAIT_TSC; )
		if (__atomic_load_n(p, __ATOMIC_SEQ_CST) >= want)
			return true;
	return false;
}

/* The AP: waits in HLT with interrupts open until an NMI, and again after it. */
void ap_main(void)
{
	irq_load();
	x2apic_enable();
	__atomic_store_n(&ap_started, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		__asm__ volatile("sti; hlt; nop" ::: "memory");
		__atomic_fetch_add(&ap_halts, 1, __ATOMIC_SEQ_CST);
	}
}

static void send_ipi(uint32_t dest, uint32_t flags) { wrmsr(X2APIC_ICR, ((uint64_t)dest << 32) | flags); }

static bool start_ap(void)
{
	return ap_boot(AP_ID, (uint32_t)(uintptr_t)(ap_stack + AP_STACK_SIZE), &ap_started, WAIT_TSC);
}

int guest_main(void)
{
	irq_init();
	idt_set_gate(2, nmi_entry);
	if (!x2apic_enable() || !start_ap()) {
		fail("nmi-cross-vcpu", "could not start vCPU 1 in x2APIC mode");
		return report_summary();
	}
	for (uint64_t t0 = rdtsc(); rdtsc() - t0 < SETTLE_TSC; ) /* let the AP reach HLT */
		__asm__ volatile("pause");
	send_ipi(AP_ID, ICR_NMI);
	if (!wait_until(&nmi_on[1], 1))
		fail("nmi-cross-vcpu", "vCPU 1 took no NMI from vCPU 0 (it took %u)", nmi_on[1]);
	else if (nmi_on[0])
		fail("nmi-cross-vcpu", "the NMI for vCPU 1 also reached vCPU 0");
	else
		pass("nmi-cross-vcpu");
	/* 6.7.1: an NMI wakes a halted CPU; its handler's IRET returns after the HLT. */
	if (!wait_until(&ap_halts, 1))
		fail("nmi-wakes-hlt", "vCPU 1 did not leave HLT after the NMI");
	else
		pass("nmi-wakes-hlt");
	send_ipi(0, ICR_NMI);                 /* and the other way round: vCPU 0 to itself by ID */
	if (!wait_until(&nmi_on[0], 1))
		fail("nmi-to-bsp", "vCPU 0 took no NMI sent to its APIC ID");
	else
		pass("nmi-to-bsp");
	return report_summary();
}
