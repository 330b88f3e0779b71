/* apic.c — local APIC access (x2APIC MSRs, xAPIC MMIO) and the common interrupt handler of the interrupt test guests. */
#include "guest.h"
#include "x86.h"
#include "apic.h"

#define FIRST_IRQ 32
#define IRQ_STUB_SIZE 16                 /* irq.S aligns every stub to 16 bytes */
#define KERNEL_CS 0x08
#define GATE_INTR32 0x8E00u              /* present, DPL 0, 32-bit interrupt gate (IF cleared on entry) */

struct idt_gate { uint16_t off_lo, sel, flags, off_hi; };
struct __attribute__((packed)) desc_ptr { uint16_t limit; uint32_t base; };

extern char irq_stubs[];
void irq_dispatch(struct irq_frame *f);

volatile bool apic_x2 = true;
volatile uint32_t irq_count[256];
volatile uint32_t irq_last_eip[256];
volatile uint64_t irq_last_tsc[256];
static irq_handler_t handlers[256];
static bool manual_eoi[256];
static struct idt_gate idt[256] __attribute__((aligned(8)));
static bool idt_built;

bool x2apic_enable(void)
{
	uint64_t base;

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_X2APIC))
		return false;
	base = rdmsr(MSR_APIC_BASE);
	/* SDM 11.12.5 figure 11-27: disabled -> xAPIC -> x2APIC; set EN before EXTD. */
	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		wrmsr(MSR_APIC_BASE, base);
	}
	if (!(base & APIC_BASE_EXTD))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	apic_x2 = true;
	return (rdmsr(MSR_APIC_BASE) & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

uint32_t xapic_read(uint32_t off)
{
	return *(volatile uint32_t *)(uintptr_t)(XAPIC_DEFAULT_BASE + off);
}

void xapic_write(uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(uintptr_t)(XAPIC_DEFAULT_BASE + off) = val;
}

/*
 * The BIOS leaves the 8259 PIC at vector 8 with the PIT on IRQ 0, reaching the
 * BSP through LINT0 in ExtINT mode (bare QEMU/SeaBIOS). Mask both 8259s (OCW1)
 * and the LINT pins so only the APIC's own interrupts arrive.
 */
void apic_quiet_legacy(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	if (apic_x2) {
		wrmsr(X2APIC_LVT_LINT0, LVT_MASKED);
		wrmsr(X2APIC_LVT_LINT1, LVT_MASKED);
	}
}

void apic_eoi(void)
{
	if (apic_x2)
		wrmsr(X2APIC_EOI, 0);            /* x2APIC: a non-zero value is #GP (SDM 11.12.1.2) */
	else
		xapic_write(XAPIC_EOI, 0);
}

bool x2apic_bit(uint32_t base, uint8_t vec)
{
	return (rdmsr(base + vec / 32) >> (vec % 32)) & 1;
}

static void set_gate(unsigned v, uint32_t addr)
{
	idt[v] = (struct idt_gate){ (uint16_t)addr, KERNEL_CS, GATE_INTR32, (uint16_t)(addr >> 16) };
}

void irq_load(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

void irq_init(void)
{
	if (!idt_built) {
		struct desc_ptr cur;

		/* Keep start.S's exception gates 0-31 (trap_catch() depends on them). */
		__asm__ volatile("sidt %0" : "=m"(cur));
		memcpy(idt, (const void *)(uintptr_t)cur.base, FIRST_IRQ * sizeof(idt[0]));
		for (unsigned v = FIRST_IRQ; v < 256; v++)
			set_gate(v, (uint32_t)(uintptr_t)irq_stubs + (v - FIRST_IRQ) * IRQ_STUB_SIZE);
		idt_built = true;
	}
	irq_load();
}

void irq_set_handler(uint8_t vec, irq_handler_t fn, bool manual)
{
	handlers[vec] = fn;
	manual_eoi[vec] = manual;
}

void irq_reset_stats(void)
{
	for (unsigned v = 0; v < 256; v++) {
		irq_count[v] = 0;
		irq_last_eip[v] = 0;
		irq_last_tsc[v] = 0;
	}
}

/* Called by irq.S with interrupts disabled (interrupt gate). */
void irq_dispatch(struct irq_frame *f)
{
	uint8_t v = (uint8_t)f->vector;

	irq_last_tsc[v] = rdtsc();
	irq_last_eip[v] = f->eip;
	__atomic_fetch_add(&irq_count[v], 1, __ATOMIC_SEQ_CST);
	if (handlers[v])
		handlers[v](f);
	/* SDM 11.9: the spurious vector sets no ISR bit and takes no EOI. */
	if (v != SPURIOUS_VECTOR && !manual_eoi[v])
		apic_eoi();
}

/* Guests that start no AP need not define ap_main(). */
__attribute__((weak)) void ap_main(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/*
 * SDM Vol. 3A 9.4.4.1 "Typical BSP Initialization Sequence" for one AP, in x2APIC mode: the
 * trampoline copied to AP_TRAMPOLINE, INIT, a pause, a start-up IPI (a second one if the first
 * gets no answer within half the budget), then *started is waited for.
 */
bool ap_boot(uint32_t apic_id, uint32_t stack_top, volatile uint32_t *started, uint64_t budget)
{
	memcpy((void *)AP_TRAMPOLINE, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
	ap_stack_top = stack_top;
	wrmsr(X2APIC_ICR, (uint64_t)apic_id << 32 | ICR_INIT | ICR_ASSERT);
	for (uint64_t t0 = rdtsc(); rdtsc() - t0 < 1000000ull; )
		__asm__ volatile("pause");
	wrmsr(X2APIC_ICR, (uint64_t)apic_id << 32 | ICR_STARTUP | (AP_TRAMPOLINE >> 12));
	uint64_t t0 = rdtsc();
	for (bool again = true; !*started; ) {
		if (again && rdtsc() - t0 > budget / 2) {
			wrmsr(X2APIC_ICR, (uint64_t)apic_id << 32 | ICR_STARTUP | (AP_TRAMPOLINE >> 12));
			again = false;
		}
		if (rdtsc() - t0 > budget)
			return false;
		__asm__ volatile("pause");
	}
	return true;
}
