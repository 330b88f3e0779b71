/*
 * timer.c — "timer" guest (1 vCPU): the virtual local APIC as one CPU sees it.
 * x2APIC identity and SVR, the APIC timer (one-shot, periodic, TSC-deadline),
 * self-IPIs (SELF IPI MSR, ICR), ISR/EOI and PPR, TPR masking, the interrupt
 * window after STI, HLT wake-up, and at the end the xAPIC MMIO interface.
 *
 * Bare: qemu-system-x86_64 -cpu max,+x2apic -kernel timer.elf
 *       -device isa-debug-exit,iobase=0xf4,iosize=4 (the guest enables x2APIC itself).
 * Command line: "xapic-ccr" also reads the xAPIC current-count register (0x390);
 * off by default because Passage stops the domain on that read (APIC-access exit).
 */
#include "guest.h"
#include "x86.h"
#include "apic.h"

#define VEC_CAL        0x5f   /* calibration timer: masked, never delivered */
#define VEC_ONESHOT    0x51
#define VEC_DEADLINE   0x52
#define VEC_EOI        0x53
#define VEC_OUTER      0x54   /* in service while VEC_LOW and VEC_HIGH are raised */
#define VEC_LOW        0x45   /* class 4: below the in-service class 5 */
#define VEC_HIGH       0x64   /* class 6: nests */
#define VEC_TPR        0x50
#define VEC_HLT        0x57
#define VEC_PERIODIC   0x58
#define VEC_SELF_MSR   0x60
#define VEC_SELF_ICR   0x61
#define VEC_SELF_DEST  0x62
#define VEC_WINDOW     0x63
#define VEC_BESIDE     0x65   /* pending while the hypervisor injects a #GP */
#define MSR_UNKNOWN    0x12345678u  /* no CPU implements it: RDMSR #GP(0) under Passage */
#define VEC_X_SELF     0x66   /* xAPIC-mode vectors */
#define VEC_X_TPR      0x56
#define VEC_X_TIMER    0x59

#define TIMER_TICKS    100000u      /* one interval: 100 us at 1 GHz, 2 ms at Bochs's 50 MHz */
#define PERIODIC_WANT  5
#define CAL_TSC        2000000u     /* calibration window */
#define SHORT_TSC      50000000ull  /* upper bound for a self-IPI to arrive (only a timeout) */
#define QUIET_TSC      400000ull    /* "nothing arrives" windows */
#define SLACK_TSC      50000000ull  /* timeouts: exits, emulation and a loaded host */
#define VEC_GP         13
#define STREAM_TICKS   100u         /* periodic interrupts taken spinning, then as many halted */
#define HC_TEST_EXITS  0xc0e0u      /* vmm/hypercall.c: this vCPU's VM exits so far, this call included */
#define HC_TEST_QUIET  0xc0e1u      /* test aid (crash=vmexit): EBX=1 no exits for host-work polling */

static uint32_t tsc_per_tick_x1024; /* APIC timer ticks (divide by 1) in TSC cycles, times 1024 */
static uint64_t interval_tsc;       /* TIMER_TICKS in TSC cycles */
static uint32_t my_id;

static void pause(void) { __asm__ volatile("pause" ::: "memory"); }
static void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static void cli(void) { __asm__ volatile("cli" ::: "memory"); }

/* CPUID always VM-exits: under a hypervisor it is a point where pending interrupts get injected. */
static void force_exit(void) { cpuid(0, 0); }

/* Spins (interrupts as they are) until irq_count[vec] >= want or `budget` TSC cycles pass. */
static bool wait_irq(uint8_t vec, uint32_t want, uint64_t budget)
{
	uint64_t t0 = rdtsc();

	while (irq_count[vec] < want)
		if (rdtsc() - t0 > budget)
			return false;
		else
			pause();
	return true;
}

/* A window in which nothing should arrive; ends with a VM exit so a hypervisor had its chance. */
static void quiet(uint64_t tsc)
{
	uint64_t t0 = rdtsc();

	force_exit();
	while (rdtsc() - t0 < tsc)
		pause();
	force_exit();
}

static uint64_t ticks_to_tsc(uint64_t ticks)
{
	return (ticks * tsc_per_tick_x1024) >> 10;
}

static void timer_stop(void)
{
	wrmsr(X2APIC_LVT_TIMER, LVT_MASKED);
	wrmsr(X2APIC_TIMER_ICR, 0);
}

static bool check_apic_base(void)
{
	uint64_t before = rdmsr(MSR_APIC_BASE), after;
	bool ok = x2apic_enable();

	after = rdmsr(MSR_APIC_BASE);
	gprintf("INFO IA32_APIC_BASE 0x%llx at entry, 0x%llx now\n", before, after);
	if (!ok) {
		fail("x2apic-mode", "cannot enter x2APIC mode (CPUID.1:ECX.x2APIC %u, APIC_BASE 0x%llx)",
		     (cpuid(1, 0).ecx >> 21) & 1, after);
		return false;
	}
	if ((after & APIC_BASE_ADDR_MASK) != XAPIC_DEFAULT_BASE || !(after & APIC_BASE_BSP))
		fail("x2apic-mode", "APIC_BASE 0x%llx: want base 0xfee00000 with the BSP bit", after);
	else if (under_passage() && (before & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN)
		fail("x2apic-mode", "Passage started the vCPU with APIC_BASE 0x%llx, not in xAPIC mode "
		     "(the state after RESET, SDM Vol. 3A 11.12.5.1)", before);
	else
		pass("x2apic-mode");
	return true;
}

static void check_id_version_svr(void)
{
	uint32_t id = (uint32_t)rdmsr(X2APIC_ID), ver = (uint32_t)rdmsr(X2APIC_VERSION), svr;
	uint32_t c1 = cpuid(1, 0).ebx >> 24, cb = c1;

	my_id = id;
	if (cpuid(0, 0).eax >= 0xb)
		cb = cpuid(0xb, 0).edx;
	gprintf("INFO x2APIC ID %u, CPUID.1 initial ID %u, CPUID.0xB x2APIC ID %u, version 0x%x\n",
		id, c1, cb, ver);
	if (id != cb || (id & 0xff) != c1)
		fail("x2apic-id", "MSR 0x802 says %u, CPUID.1:EBX[31:24] %u, CPUID.0xB:EDX %u", id, c1, cb);
	else
		pass("x2apic-id");
	/* SDM 11.4.8: integrated APICs have versions 0x10-0x15; bits 23:16 are the last LVT index. */
	if ((ver & 0xff) < 0x10 || (ver & 0xff) > 0x15 || ((ver >> 16) & 0xff) < 4)
		fail("apic-version", "version register 0x%x", ver);
	else
		pass("apic-version");

	wrmsr(X2APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	svr = (uint32_t)rdmsr(X2APIC_SVR);
	if ((svr & 0x1ff) != (SVR_ENABLE | SPURIOUS_VECTOR))
		fail("svr-enable", "wrote 0x1ff, read 0x%x", svr);
	else
		pass("svr-enable");
}

/* The timer counts down from the initial count (SDM 11.5.4); its rate against the TSC sizes every later bound. */
static bool calibrate(void)
{
	uint32_t c0, c1, c2;
	uint64_t t0, t1;

	wrmsr(X2APIC_TIMER_DCR, TIMER_DIV_1);
	wrmsr(X2APIC_LVT_TIMER, LVT_MASKED | LVT_ONESHOT | VEC_CAL);
	wrmsr(X2APIC_TIMER_ICR, 0xffffffffu);
	c0 = (uint32_t)rdmsr(X2APIC_TIMER_CCR);
	t0 = rdtsc();
	while (rdtsc() - t0 < CAL_TSC)
		pause();
	c1 = (uint32_t)rdmsr(X2APIC_TIMER_CCR);
	t1 = rdtsc();
	c2 = (uint32_t)rdmsr(X2APIC_TIMER_CCR);
	timer_stop();
	if (!c0 || c1 >= c0 || c2 > c1) {
		fail("timer-current-count", "current count read %u, %u, %u: not decreasing", c0, c1, c2);
		return false;
	}
	pass("timer-current-count");
	tsc_per_tick_x1024 = (uint32_t)udiv64((t1 - t0) << 10, c0 - c1, NULL);
	if (!tsc_per_tick_x1024)
		tsc_per_tick_x1024 = 1;
	interval_tsc = ticks_to_tsc(TIMER_TICKS);
	gprintf("INFO timer: %u ticks in %llu TSC cycles (%u.%03u TSC/tick), interval %u ticks = %llu TSC\n",
		c0 - c1, t1 - t0, tsc_per_tick_x1024 >> 10, ((tsc_per_tick_x1024 & 1023) * 1000) >> 10,
		TIMER_TICKS, interval_tsc);
	if (wait_irq(VEC_CAL, 1, 0))
		fail("timer-masked", "masked one-shot timer delivered vector 0x%x", VEC_CAL);
	else
		pass("timer-masked");
	return true;
}

static void check_oneshot(void)
{
	uint64_t t0, elapsed, bound = 8 * interval_tsc + SLACK_TSC;
	uint32_t ccr;

	wrmsr(X2APIC_TIMER_DCR, TIMER_DIV_1);
	wrmsr(X2APIC_LVT_TIMER, LVT_ONESHOT | VEC_ONESHOT);
	t0 = rdtsc();
	wrmsr(X2APIC_TIMER_ICR, TIMER_TICKS);
	if (!wait_irq(VEC_ONESHOT, 1, bound)) {
		fail("timer-oneshot", "no interrupt within %llu TSC cycles (%u ticks armed)", bound, TIMER_TICKS);
		timer_stop();
		return;
	}
	elapsed = irq_last_tsc[VEC_ONESHOT] - t0;
	quiet(2 * interval_tsc);
	ccr = (uint32_t)rdmsr(X2APIC_TIMER_CCR);
	gprintf("INFO timer-oneshot fired after %llu TSC cycles (expected ~%llu)\n", elapsed, interval_tsc);
	if (elapsed < interval_tsc - interval_tsc / 8)
		fail("timer-oneshot", "fired after %llu TSC cycles, before the ~%llu the count takes",
		     elapsed, interval_tsc);
	else if (irq_count[VEC_ONESHOT] != 1)
		fail("timer-oneshot", "fired %u times, want once", irq_count[VEC_ONESHOT]);
	else if (ccr != 0)
		fail("timer-oneshot", "current count %u after expiry, want 0", ccr);
	else
		pass("timer-oneshot");
	timer_stop();
}

static volatile uint32_t periodic_n;
static volatile uint64_t periodic_tsc[PERIODIC_WANT];

static void h_periodic(struct irq_frame *f)
{
	(void)f;
	if (periodic_n < PERIODIC_WANT)
		periodic_tsc[periodic_n] = irq_last_tsc[VEC_PERIODIC];
	periodic_n++;
}

static void check_periodic(void)
{
	uint64_t t0, bound = 4 * PERIODIC_WANT * interval_tsc + SLACK_TSC, span;
	uint32_t n;

	irq_set_handler(VEC_PERIODIC, h_periodic, false);
	wrmsr(X2APIC_TIMER_DCR, TIMER_DIV_1);
	wrmsr(X2APIC_LVT_TIMER, LVT_PERIODIC | VEC_PERIODIC);
	t0 = rdtsc();
	wrmsr(X2APIC_TIMER_ICR, TIMER_TICKS);
	if (!wait_irq(VEC_PERIODIC, PERIODIC_WANT, bound)) {
		fail("timer-periodic", "%u interrupts within %llu TSC cycles, want %u",
		     irq_count[VEC_PERIODIC], bound, PERIODIC_WANT);
		timer_stop();
		return;
	}
	span = periodic_tsc[PERIODIC_WANT - 1] - t0;
	gprintf("INFO timer-periodic %u interrupts in %llu TSC cycles (expected ~%llu)\n",
		PERIODIC_WANT, span, PERIODIC_WANT * interval_tsc);
	if (span < PERIODIC_WANT * (interval_tsc - interval_tsc / 8))
		fail("timer-periodic", "%u interrupts after only %llu TSC cycles", PERIODIC_WANT, span);
	else
		pass("timer-periodic");

	/* SDM 11.5.1: a masked LVT entry delivers nothing; the counter keeps running. */
	wrmsr(X2APIC_LVT_TIMER, LVT_MASKED | LVT_PERIODIC | VEC_PERIODIC);
	quiet(QUIET_TSC / 8);            /* one already requested before the mask may still land */
	n = irq_count[VEC_PERIODIC];
	quiet(3 * interval_tsc);
	if (irq_count[VEC_PERIODIC] != n)
		fail("timer-periodic-mask", "%u more interrupts after masking", irq_count[VEC_PERIODIC] - n);
	else
		pass("timer-periodic-mask");
	timer_stop();
	irq_set_handler(VEC_PERIODIC, NULL, false);
}

struct msr_op { uint32_t msr; uint64_t val; };
static void do_rdmsr(void *p) { struct msr_op *o = p; o->val = rdmsr(o->msr); }
static void do_wrmsr(void *p) { struct msr_op *o = p; wrmsr(o->msr, o->val); }

/* trap_catch() leaves IF=0 when it recovers from an exception (the gate cleared it): restore IF. */
static int catch_keep_if(void (*fn)(void *), void *arg)
{
	uint32_t flags;
	int vec;

	__asm__ volatile("pushf; pop %0" : "=r"(flags));
	vec = trap_catch(fn, arg);
	if (flags & (1u << 9))
		sti();
	return vec;
}

static void check_tsc_deadline(void)
{
	uint64_t dl, got, bound = 8 * interval_tsc + SLACK_TSC;
	uint32_t n;

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_TSC_DEADLINE)) {
		skip("timer-tsc-deadline", "CPUID.1:ECX.TSC_Deadline[24] is 0");
		return;
	}
	wrmsr(X2APIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_DEADLINE);
	dl = rdtsc() + interval_tsc;
	wrmsr(MSR_TSC_DEADLINE, dl);
	got = rdmsr(MSR_TSC_DEADLINE);
	if (!wait_irq(VEC_DEADLINE, 1, bound)) {
		fail("timer-tsc-deadline", "no interrupt within %llu TSC cycles of arming", bound);
		timer_stop();
		wrmsr(MSR_TSC_DEADLINE, 0);
		return;
	}
	quiet(2 * interval_tsc);
	gprintf("INFO timer-tsc-deadline fired %llu TSC cycles after the deadline\n",
		irq_last_tsc[VEC_DEADLINE] - dl);
	if (got != dl)
		fail("timer-tsc-deadline", "IA32_TSC_DEADLINE read 0x%llx after writing 0x%llx", got, dl);
	else if (irq_last_tsc[VEC_DEADLINE] < dl)
		fail("timer-tsc-deadline", "handler ran at TSC 0x%llx, before the deadline 0x%llx",
		     irq_last_tsc[VEC_DEADLINE], dl);
	else if (irq_count[VEC_DEADLINE] != 1)
		fail("timer-tsc-deadline", "fired %u times, want once", irq_count[VEC_DEADLINE]);
	else if ((got = rdmsr(MSR_TSC_DEADLINE)) != 0)
		fail("timer-tsc-deadline", "IA32_TSC_DEADLINE reads 0x%llx after firing, want 0", got);
	else
		pass("timer-tsc-deadline");

	/* SDM 11.5.4.1: writing 0 disarms. */
	n = irq_count[VEC_DEADLINE];
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + interval_tsc);
	wrmsr(MSR_TSC_DEADLINE, 0);
	quiet(3 * interval_tsc);
	if (irq_count[VEC_DEADLINE] != n)
		fail("timer-tsc-deadline-disarm", "fired after the deadline was written to 0");
	else
		pass("timer-tsc-deadline-disarm");

	/* A deadline already in the past fires at once. */
	n = irq_count[VEC_DEADLINE];
	wrmsr(MSR_TSC_DEADLINE, 1);
	if (!wait_irq(VEC_DEADLINE, n + 1, SHORT_TSC))
		fail("timer-tsc-deadline-past", "deadline 1 did not fire within %llu TSC cycles", SHORT_TSC);
	else
		pass("timer-tsc-deadline-past");
	timer_stop();
}

/* One self-IPI through `how`, delivered once, promptly, with interrupts enabled. */
static void self_ipi(const char *name, uint8_t vec, uint32_t msr, uint64_t val)
{
	wrmsr(msr, val);
	if (!wait_irq(vec, 1, SHORT_TSC)) {
		fail(name, "vector 0x%x not delivered within %llu TSC cycles", vec, SHORT_TSC);
		return;
	}
	quiet(QUIET_TSC / 4);
	if (irq_count[vec] != 1)
		fail(name, "vector 0x%x delivered %u times", vec, irq_count[vec]);
	else
		pass(name);
}

static void check_self_ipis(void)
{
	self_ipi("self-ipi-msr", VEC_SELF_MSR, X2APIC_SELF_IPI, VEC_SELF_MSR);
	self_ipi("self-ipi-icr-shorthand", VEC_SELF_ICR, X2APIC_ICR, ICR_SELF | ICR_FIXED | VEC_SELF_ICR);
	self_ipi("self-ipi-icr-dest", VEC_SELF_DEST, X2APIC_ICR,
		 ((uint64_t)my_id << 32) | ICR_FIXED | VEC_SELF_DEST);
}

static volatile bool eoi_isr_in, eoi_irr_in, eoi_isr_after;

static void h_eoi(struct irq_frame *f)
{
	(void)f;
	eoi_isr_in = x2apic_bit(X2APIC_ISR0, VEC_EOI);
	eoi_irr_in = x2apic_bit(X2APIC_IRR0, VEC_EOI);
	apic_eoi();
	eoi_isr_after = x2apic_bit(X2APIC_ISR0, VEC_EOI);
}

static bool isr_empty(uint32_t *which)
{
	for (uint32_t i = 0; i < 8; i++)
		if (rdmsr(X2APIC_ISR0 + i)) {
			*which = i;
			return false;
		}
	return true;
}

/* SDM 11.8.4-11.8.5: acceptance moves IRR to ISR; EOI clears the highest ISR bit. */
static void check_eoi_isr(void)
{
	uint32_t i;

	irq_set_handler(VEC_EOI, h_eoi, true);
	wrmsr(X2APIC_SELF_IPI, VEC_EOI);
	if (!wait_irq(VEC_EOI, 1, SHORT_TSC))
		fail("eoi-isr", "vector 0x%x not delivered", VEC_EOI);
	else if (!eoi_isr_in || eoi_irr_in)
		fail("eoi-isr", "in the handler ISR bit %u IRR bit %u, want 1 and 0", eoi_isr_in, eoi_irr_in);
	else if (eoi_isr_after)
		fail("eoi-isr", "ISR bit still set after EOI");
	else if (!isr_empty(&i))
		fail("eoi-isr", "ISR word %u is 0x%llx after the handler", i, rdmsr(X2APIC_ISR0 + i));
	else
		pass("eoi-isr");
	irq_set_handler(VEC_EOI, NULL, false);
}

static volatile uint32_t outer_ppr, outer_low_seen, outer_high_seen;

/* Runs with VEC_OUTER in service: a lower class stays pending, a higher one nests (SDM 11.8.3.1). */
static void h_outer(struct irq_frame *f)
{
	(void)f;
	outer_ppr = (uint32_t)rdmsr(X2APIC_PPR);
	sti();
	wrmsr(X2APIC_SELF_IPI, VEC_LOW);
	quiet(QUIET_TSC / 2);
	outer_low_seen = irq_count[VEC_LOW];
	wrmsr(X2APIC_SELF_IPI, VEC_HIGH);
	wait_irq(VEC_HIGH, 1, SHORT_TSC);
	outer_high_seen = irq_count[VEC_HIGH];
	cli();
	apic_eoi();
}

static void check_priority(void)
{
	irq_set_handler(VEC_OUTER, h_outer, true);
	wrmsr(X2APIC_TPR, 0);
	wrmsr(X2APIC_SELF_IPI, VEC_OUTER);
	if (!wait_irq(VEC_OUTER, 1, SHORT_TSC)) {
		fail("isr-priority", "vector 0x%x not delivered", VEC_OUTER);
		irq_set_handler(VEC_OUTER, NULL, false);
		return;
	}
	wait_irq(VEC_LOW, 1, SHORT_TSC);   /* the lower class comes in after the EOI */
	if (outer_low_seen)
		fail("isr-priority", "vector 0x%x (class 4) delivered while 0x%x (class 5) was in service",
		     VEC_LOW, VEC_OUTER);
	else if (outer_high_seen != 1)
		fail("isr-priority", "vector 0x%x (class 6) did not nest inside 0x%x", VEC_HIGH, VEC_OUTER);
	else if (irq_count[VEC_LOW] != 1)
		fail("isr-priority", "vector 0x%x not delivered after the EOI of 0x%x", VEC_LOW, VEC_OUTER);
	else
		pass("isr-priority");
	/* PPR = max(TPR, class of the highest in-service vector) = 0x50 here. */
	if ((outer_ppr & 0xf0) != (VEC_OUTER & 0xf0))
		fail("ppr", "PPR read 0x%x with TPR 0 and vector 0x%x in service, want 0x%x",
		     outer_ppr, VEC_OUTER, VEC_OUTER & 0xf0);
	else
		pass("ppr");
	irq_set_handler(VEC_OUTER, NULL, false);
}

/* SDM 11.8.3: a vector whose class is not above TPR[7:4] stays in IRR. */
static void check_tpr(void)
{
	uint32_t tpr, early;
	bool irr;

	wrmsr(X2APIC_TPR, 0xf0);
	tpr = (uint32_t)rdmsr(X2APIC_TPR);
	if ((tpr & 0xff) != 0xf0)
		fail("tpr-readback", "wrote 0xf0 to TPR (MSR 0x808), read 0x%x", tpr);
	else
		pass("tpr-readback");

	wrmsr(X2APIC_TPR, 0xf0);
	wrmsr(X2APIC_SELF_IPI, VEC_TPR);
	quiet(QUIET_TSC);
	early = irq_count[VEC_TPR];
	irr = x2apic_bit(X2APIC_IRR0, VEC_TPR);
	wrmsr(X2APIC_TPR, 0);
	if (!wait_irq(VEC_TPR, 1, SHORT_TSC))
		fail("tpr-mask", "vector 0x%x never delivered, not even after TPR went back to 0", VEC_TPR);
	else if (early)
		fail("tpr-mask", "vector 0x%x delivered with TPR 0xf0 (TPR then read 0x%x)", VEC_TPR, tpr);
	else if (!irr)
		fail("tpr-mask", "vector 0x%x held back but not shown in IRR", VEC_TPR);
	else
		pass("tpr-mask");
}

/* SDM 6.8.3 (STI): interrupts are recognized after the instruction following STI. */
static void check_window(void)
{
	uint32_t early, at;
	bool irr;

	cli();
	wrmsr(X2APIC_SELF_IPI, VEC_WINDOW);
	quiet(QUIET_TSC);
	early = irq_count[VEC_WINDOW];
	irr = x2apic_bit(X2APIC_IRR0, VEC_WINDOW);
	__asm__ volatile("sti\n\tnop\n1:\tcli\n\tmovl $1b, %0" : "=r"(at) : : "memory");
	if (early) {
		fail("irq-window", "vector 0x%x delivered while IF=0", VEC_WINDOW);
	} else if (!irr) {
		fail("irq-window", "vector 0x%x not pending in IRR while IF=0", VEC_WINDOW);
	} else if (!irq_count[VEC_WINDOW]) {
		sti();
		wait_irq(VEC_WINDOW, 1, SHORT_TSC);
		fail("irq-window", "not delivered right after STI; %s", irq_count[VEC_WINDOW] ?
		     "only at the next STI" : "not even later");
	} else if (irq_last_eip[VEC_WINDOW] != at) {
		fail("irq-window", "delivered at EIP 0x%x, want 0x%x (after STI; NOP)",
		     irq_last_eip[VEC_WINDOW], at);
	} else {
		pass("irq-window");
	}
	sti();
}

/* STI, then an RDMSR the hypervisor answers with #GP: RDMSR sits in the STI shadow, so the
 * pending interrupt cannot come first, and the #GP is injected while it is still pending. */
static void do_sti_rdmsr(void *p)
{
	uint32_t lo, hi;

	(void)p;
	__asm__ volatile("sti\n\trdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_UNKNOWN) : "memory");
}

/*
 * An interrupt pending while an exception is injected (one event per VM entry,
 * SDM 26.6) must follow as soon as the guest opens IF again, through an
 * interrupt-window exit requested at that same entry (SDM 26.7.5: the window
 * exit follows the injection) -- not at some later unrelated exit.
 */
static void check_window_beside_exception(void)
{
	uint32_t at, early;
	int vec;

	if (!under_passage()) {
		skip("irq-window-beside-exception", "needs a hypervisor that injects #GP for RDMSR");
		return;
	}
	cli();
	wrmsr(X2APIC_SELF_IPI, VEC_BESIDE);
	vec = trap_catch(do_sti_rdmsr, NULL);   /* the #GP handler leaves IF=0 */
	early = irq_count[VEC_BESIDE];
	__asm__ volatile("sti\n\tnop\n1:\tcli\n\tmovl $1b, %0" : "=r"(at) : : "memory");
	if (vec != VEC_GP) {
		fail("irq-window-beside-exception", "RDMSR 0x%x gave vector %d, want #GP", MSR_UNKNOWN, vec);
	} else if (early) {
		fail("irq-window-beside-exception", "vector 0x%x delivered before the #GP handler", VEC_BESIDE);
	} else if (!irq_count[VEC_BESIDE]) {
		sti();
		force_exit();
		fail("irq-window-beside-exception", "not delivered when IF opened after the #GP; %s",
		     irq_count[VEC_BESIDE] ? "only at the next unrelated exit" : "not even after one");
	} else if (irq_last_eip[VEC_BESIDE] != at) {
		fail("irq-window-beside-exception", "delivered at EIP 0x%x, want 0x%x (after STI; NOP)",
		     irq_last_eip[VEC_BESIDE], at);
	} else {
		pass("irq-window-beside-exception");
	}
	sti();
}

/*
 * HLT with IF=1 sleeps until an interrupt, which returns to the instruction
 * after HLT. `sti; hlt` is the usual idle sequence: HLT sits in the STI
 * shadow, and that blocking must not outlive the HLT (SDM 6.8.3; a hypervisor
 * that emulates the HLT has to clear it, SDM 25.4.2 interruptibility state).
 */
static void check_hlt(void)
{
	uint64_t t0, elapsed;
	uint32_t at, late;

	wrmsr(X2APIC_TIMER_DCR, TIMER_DIV_1);
	wrmsr(X2APIC_LVT_TIMER, LVT_ONESHOT | VEC_HLT);
	cli();
	t0 = rdtsc();
	wrmsr(X2APIC_TIMER_ICR, TIMER_TICKS);
	__asm__ volatile("sti\n\thlt\n1:\tnop\n2:\tcli\n\tmovl $1b, %0\n\tmovl $2b, %1"
			 : "=r"(at), "=r"(late) : : "memory");
	elapsed = rdtsc() - t0;
	if (!irq_count[VEC_HLT]) {
		sti();
		wait_irq(VEC_HLT, 1, 8 * interval_tsc + SLACK_TSC);
		fail("hlt-wake", "HLT returned after %llu TSC cycles without taking the interrupt; %s",
		     elapsed, irq_count[VEC_HLT] ? "it came only at the next STI" : "it never came");
	} else if (irq_last_eip[VEC_HLT] == late) {
		fail("hlt-wake", "interrupt taken one instruction late, at 0x%x instead of 0x%x right after "
		     "HLT: blocking by STI outlived the HLT", late, at);
	} else if (irq_last_eip[VEC_HLT] != at) {
		fail("hlt-wake", "interrupt returned to 0x%x, want 0x%x (right after HLT)",
		     irq_last_eip[VEC_HLT], at);
	} else if (elapsed < interval_tsc - interval_tsc / 8) {
		fail("hlt-wake", "woke after %llu TSC cycles, the timer needs ~%llu", elapsed, interval_tsc);
	} else {
		gprintf("INFO hlt-wake after %llu TSC cycles\n", elapsed);
		pass("hlt-wake");
	}
	sti();
	timer_stop();
}

static uint32_t xisr_nonzero(void)
{
	for (uint32_t i = 0; i < 8; i++)
		if (xapic_read(XAPIC_ISR0 + 0x10 * i))
			return i + 1;
	return 0;
}

/* xAPIC mode and its MMIO page at 0xfee00000 (SDM 11.4, 11.12.5). */
static void check_xapic(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), now;
	struct msr_op op = { MSR_APIC_BASE, base & ~(uint64_t)APIC_BASE_EXTD };
	uint32_t v, early, id = cpuid(1, 0).ebx >> 24;
	int vec;

	/* SDM 11.12.5 figure 11-27: x2APIC -> xAPIC directly is an invalid transition: #GP. */
	vec = catch_keep_if(do_wrmsr, &op);
	if (vec == VEC_GP)
		pass("apic-base-invalid-transition");
	else
		fail("apic-base-invalid-transition", "x2APIC -> xAPIC write to IA32_APIC_BASE %s",
		     vec == TRAP_NONE ? "succeeded, want #GP" : "took another exception");
	wrmsr(MSR_APIC_BASE, base & ~(uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD));
	wrmsr(MSR_APIC_BASE, (base & ~(uint64_t)APIC_BASE_EXTD) | APIC_BASE_EN);
	now = rdmsr(MSR_APIC_BASE);
	if ((now & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN) {
		if (!under_passage() && !(now & APIC_BASE_EN)) {
			/* QEMU's APIC cannot be re-enabled once disabled (hw/intc/apic.c). */
			skip("apic-mode-xapic", "APIC stayed disabled after disable -> enable (0x%llx)", now);
			return;
		}
		fail("apic-mode-xapic", "disabled then enabled in xAPIC mode, APIC_BASE reads 0x%llx", now);
		wrmsr(MSR_APIC_BASE, base);
		return;
	}
	pass("apic-mode-xapic");
	apic_x2 = false;

	/* SDM 11.12.1.2: the x2APIC MSRs are #GP outside x2APIC mode. */
	op.msr = X2APIC_ID;
	vec = catch_keep_if(do_rdmsr, &op);
	if (vec == VEC_GP)
		pass("x2apic-msr-gp-in-xapic");
	else
		fail("x2apic-msr-gp-in-xapic", "RDMSR 0x802 in xAPIC mode %s",
		     vec == TRAP_NONE ? "succeeded, want #GP" : "took another exception");

	v = xapic_read(XAPIC_ID);
	if (v >> 24 != id)
		fail("xapic-id", "ID register 0x%x, want ID %u in bits 31:24", v, id);
	else
		pass("xapic-id");

	xapic_write(XAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	v = xapic_read(XAPIC_SVR);
	if ((v & 0x1ff) != (SVR_ENABLE | SPURIOUS_VECTOR))
		fail("xapic-svr", "wrote 0x1ff, read 0x%x", v);
	else
		pass("xapic-svr");

	xapic_write(XAPIC_TPR, 0);
	xapic_write(XAPIC_ICR_HI, 0);
	xapic_write(XAPIC_ICR_LO, ICR_SELF | ICR_FIXED | VEC_X_SELF);
	if (!wait_irq(VEC_X_SELF, 1, SHORT_TSC))
		fail("xapic-self-ipi", "vector 0x%x not delivered", VEC_X_SELF);
	else if ((v = xisr_nonzero()) != 0)
		fail("xapic-self-ipi", "ISR word %u nonzero after the EOI write to 0xb0", v - 1);
	else
		pass("xapic-self-ipi");

	/* TPR through MMIO; lowering it must let the held-back vector in without further help. */
	xapic_write(XAPIC_TPR, 0xf0);
	v = xapic_read(XAPIC_TPR);
	xapic_write(XAPIC_ICR_LO, ICR_SELF | ICR_FIXED | VEC_X_TPR);
	quiet(QUIET_TSC);
	early = irq_count[VEC_X_TPR];
	xapic_write(XAPIC_TPR, 0);
	{
		uint64_t t0 = rdtsc();

		while (!irq_count[VEC_X_TPR] && rdtsc() - t0 < QUIET_TSC) /* no VM exit in this loop */
			pause();
	}
	if ((v & 0xff) != 0xf0)
		fail("xapic-tpr", "wrote 0xf0 to TPR (0x80), read 0x%x", v);
	else if (early)
		fail("xapic-tpr", "vector 0x%x delivered with TPR 0xf0", VEC_X_TPR);
	else if (!irq_count[VEC_X_TPR]) {
		force_exit();
		fail("xapic-tpr", "vector 0x%x not delivered after TPR was lowered to 0 (%s)", VEC_X_TPR,
		     irq_count[VEC_X_TPR] ? "it came at the next VM exit: no TPR-threshold exit?" :
		     "not even after a VM exit");
	} else
		pass("xapic-tpr");

	xapic_write(XAPIC_TIMER_DCR, TIMER_DIV_1);
	if (cmdline_has("xapic-ccr")) {
		/* 0x390 is not in the APIC-register-virtualization set (SDM 29.4.2): an APIC-access exit. */
		uint32_t c0, c1;
		uint64_t t0;

		xapic_write(XAPIC_LVT_TIMER, LVT_MASKED | LVT_ONESHOT | VEC_X_TIMER);
		xapic_write(XAPIC_TIMER_ICR, 0xffffffffu);
		c0 = xapic_read(XAPIC_TIMER_CCR);
		for (t0 = rdtsc(); rdtsc() - t0 < QUIET_TSC; )
			pause();
		c1 = xapic_read(XAPIC_TIMER_CCR);
		xapic_write(XAPIC_TIMER_ICR, 0);
		if (!c0 || c1 >= c0)
			fail("xapic-timer-ccr", "current count (0x390) read %u then %u", c0, c1);
		else
			pass("xapic-timer-ccr");
	}
	xapic_write(XAPIC_LVT_TIMER, LVT_ONESHOT | VEC_X_TIMER);
	xapic_write(XAPIC_TIMER_ICR, TIMER_TICKS);
	if (!wait_irq(VEC_X_TIMER, 1, 8 * interval_tsc + SLACK_TSC))
		fail("xapic-timer", "one-shot armed through MMIO did not fire");
	else
		pass("xapic-timer");
	xapic_write(XAPIC_LVT_TIMER, LVT_MASKED);

	/* Back to x2APIC mode: xAPIC -> x2APIC is a valid transition. */
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	apic_x2 = true;
}

/*
 * The virtual timer by posting. expect=posted (CPU posting, a CPU without a guest keeps the
 * timer and posts each expiry): this vCPU takes no VM exit for 2 x STREAM_TICKS periodic
 * interrupts, spinning and halted. expect=exits (injection at VM entry): at least one each.
 */
static void check_timer_stream(void)
{
	bool posted = cmdline_has("expect=posted");
	uint32_t want = 2 * STREAM_TICKS, exits, got;
	uint64_t t0, bound = 4 * want * interval_tsc + SLACK_TSC;

	if (!under_passage() || (!posted && !cmdline_has("expect=exits"))) {
		skip("timer-stream-exits", "not under Passage with expect=posted|exits");
		return;
	}
	wrmsr(X2APIC_TIMER_DCR, TIMER_DIV_1);
	wrmsr(X2APIC_LVT_TIMER, LVT_PERIODIC | VEC_PERIODIC);
	wrmsr(X2APIC_TIMER_ICR, TIMER_TICKS);
	uint32_t aids = vmcall(HC_TEST_QUIET, 1, 0);
	uint32_t e0 = vmcall(HC_TEST_EXITS, ~0u, 0), base = irq_count[VEC_PERIODIC];
	t0 = rdtsc();
	while (irq_count[VEC_PERIODIC] - base < STREAM_TICKS && rdtsc() - t0 < bound)
		pause();
	while (irq_count[VEC_PERIODIC] - base < want && rdtsc() - t0 < bound)
		__asm__ volatile("sti; hlt" ::: "memory"); /* woken by the next tick */
	uint32_t e1 = vmcall(HC_TEST_EXITS, ~0u, 0);
	got = irq_count[VEC_PERIODIC] - base;
	vmcall(HC_TEST_QUIET, 0, 0);
	timer_stop();
	exits = e1 - e0 - 1;
	if (aids == 0xffffffffu) {
		fail("timer-stream-exits", "no exit count (boot Passage with crash=vmexit)");
		return;
	}
	gprintf("INFO timer-stream: %u periodic interrupts, %u VM exits meanwhile\n", got, exits);
	if (got < want)
		fail("timer-stream-exits", "%u of %u periodic interrupts within %llu TSC cycles", got, want, bound);
	else if (posted ? exits != 0 : exits < want)
		fail("timer-stream-exits", "%u VM exits for %u timer interrupts (want %s)", exits, got,
		     posted ? "none" : "at least one each");
	else
		pass("timer-stream-exits");
}

int guest_main(void)
{
	gprintf("timer: local APIC interrupt guest, cmdline \"%s\"\n", cmdline());
	gprintf("INFO under-passage %s\n", under_passage() ? "yes" : "no");
	irq_init();
	if (!check_apic_base())
		return report_summary();
	apic_quiet_legacy();
	check_id_version_svr();
	sti();
	check_self_ipis();
	check_eoi_isr();
	check_priority();
	check_window();
	check_window_beside_exception();
	if (calibrate()) {
		check_oneshot();
		check_periodic();
		check_tsc_deadline();
		check_hlt();
		check_timer_stream();
	} else {
		skip("timer-oneshot", "no timer calibration");
	}
	check_tpr();
	wrmsr(X2APIC_TPR, 0);
	check_xapic();
	cli();
	return report_summary();
}
