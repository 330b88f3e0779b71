/*
 * ipi.c — "ipi" guest (2 vCPUs): vCPU 0 starts vCPU 1 with INIT and a start-up
 * IPI into a real-mode trampoline at 0x8000, then the two exchange fixed IPIs
 * through the x2APIC ICR: ping-pong with spinning and with halted receivers,
 * destination shorthands, logical and broadcast destinations, and an IPI to an
 * APIC ID nobody has; under Passage with its test aids (crash=vmexit), a stream
 * of IPIs to a vCPU that counts its own VM exits meanwhile (expect=posted: none,
 * the IPIs are posted; expect=exits: at least one each), a fixed IPI to a
 * software-disabled APIC, and INIT and one start-up IPI to a vCPU halted with
 * interrupts on. Only vCPU 0 prints (the console is shared).
 *
 * Bare: qemu-system-x86_64 -smp 2 -cpu max,+x2apic -kernel ipi.elf
 *       -device isa-debug-exit,iobase=0xf4,iosize=4. Command line: rounds=N (default 100).
 */
#include "guest.h"
#include "x86.h"
#include "apic.h"

#define VEC_PONG       0x40   /* AP -> BSP */
#define VEC_PING       0x41   /* BSP -> AP */
#define VEC_NOBODY     0x42   /* to an APIC ID that does not exist */
#define VEC_ALL_BUT    0x43
#define VEC_ALL        0x44
#define VEC_LOGICAL    0x46
#define VEC_BROADCAST  0x47
#define VEC_CLUSTER    0x48   /* logical, the AP's bit but another cluster */
#define VEC_STREAM     0x49   /* BSP -> AP while the AP counts its exits */
#define VEC_SWDIS      0x4a   /* BSP -> AP while the AP's APIC is software-disabled */
#define STREAM_IPIS    200u
#define HC_TEST_EXITS  0xc0e0u /* vmm/hypercall.c: this vCPU's VM exits so far (EBX=~0: all reasons) */
#define HC_TEST_QUIET  0xc0e1u /* EBX=1: no exits for the hypervisor's own polling; 0: back */

#define AP_ID          1u
#define NO_SUCH_ID     7u
#define SIPI_VECTOR    (AP_TRAMPOLINE >> 12)
#define DEFAULT_ROUNDS 100
#define INIT_DELAY_TSC 1000000ull    /* INIT -> SIPI (SDM 9.4.4.1 wants 10 ms; emulators need less) */
#define START_TSC      400000000ull  /* timeouts only: how long the AP may take to come up */
#define ROUND_TSC      300000000ull  /* ... and one IPI to arrive */
#define QUIET_TSC      1000000ull    /* "nothing arrives" window */
/* INIT and SIPI to a halted AP under Passage: the AP must be running this soon after the SIPI.
 * Measured on Bochs (TSC 50 MHz): about 275k cycles, all but about 6k of it Passage's "restarted" log
 * line at 115200 baud (measured with the line removed); with INIT not kicking the vCPU (it waits for its next preemption-timer exit)
 * 770k-1.8M. Bare emulators are not held to it (their TSC rate is the host's). */
#define PROMPT_START_TSC 600000ull
#define AP_STACK_SIZE  16384

static uint8_t ap_stack[AP_STACK_SIZE] __attribute__((aligned(16)));

/* Written by the AP, read by the BSP. */
static volatile uint32_t ap_started, ap_done, ap_id, ap_cpuid_id, ap_ldr, ap_x2apic_ok;
static volatile uint64_t ap_apic_base;
static volatile uint32_t pongs_sent;
/* The AP's exit count across the stream (~0: no test-aid hypercalls), and its phases. */
static volatile uint32_t ap_stream_exits, ap_stream_ready, ap_stream_done;
/* The AP's APIC software-disable phase (1 disabled, 2 enabled again) and its HLTs so far. */
static volatile uint32_t ap_swdis_state, ap_halts;
/* Written by the BSP. */
static volatile uint32_t bsp_id, ap_stop, ap_stream, ap_swdis;
static volatile bool ap_halt_wait;

/* Interrupts seen per CPU (0 = BSP, 1 = AP), told apart by the stack the frame is on. */
static volatile uint32_t seen[2][256];

static void pause(void) { __asm__ volatile("pause" ::: "memory"); }
static void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static void cli(void) { __asm__ volatile("cli" ::: "memory"); }

static void h_count(struct irq_frame *f)
{
	uint32_t cpu = (uint8_t *)f >= ap_stack && (uint8_t *)f < ap_stack + AP_STACK_SIZE;

	__atomic_fetch_add(&seen[cpu][(uint8_t)f->vector], 1, __ATOMIC_SEQ_CST);
}

static void send_ipi(uint32_t dest, uint32_t flags)
{
	wrmsr(X2APIC_ICR, ((uint64_t)dest << 32) | flags);
}

/*
 * Waits until *p >= want: spinning with interrupts on, or halting between
 * checks (cli; check; sti; hlt: the STI shadow closes the race; the NOP keeps
 * the instruction after HLT harmless if an interrupt is taken one late).
 */
static bool wait_for(volatile uint32_t *p, uint32_t want, bool halt, uint64_t budget)
{
	uint64_t t0 = rdtsc();

	for (;;) {
		cli();
		if (*p >= want) {
			sti();
			return true;
		}
		if (rdtsc() - t0 > budget) {
			sti();
			return false;
		}
		if (halt)
			__asm__ volatile("sti; hlt; nop" ::: "memory");
		else {
			sti();
			pause();
		}
	}
}

static void quiet(uint64_t tsc)
{
	uint64_t t0 = rdtsc();

	cpuid(0, 0);
	while (rdtsc() - t0 < tsc)
		pause();
	cpuid(0, 0);
}

/* The AP: smp.S comes here in 32-bit protected mode on ap_stack. */
void ap_main(void)
{
	irq_load();
	ap_x2apic_ok = x2apic_enable();     /* bare QEMU: INIT left it in xAPIC mode */
	wrmsr(X2APIC_LVT_LINT0, LVT_MASKED);
	wrmsr(X2APIC_LVT_LINT1, LVT_MASKED);
	wrmsr(X2APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	wrmsr(X2APIC_TPR, 0);
	ap_id = (uint32_t)rdmsr(X2APIC_ID);
	ap_cpuid_id = cpuid(1, 0).ebx >> 24;
	ap_apic_base = rdmsr(MSR_APIC_BASE);
	ap_ldr = (uint32_t)rdmsr(X2APIC_LDR);
	__atomic_store_n(&ap_started, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		cli();
		if (ap_stream && !ap_stream_done) {
			/* Counts its own exits while STREAM_IPIS arrive, spinning on memory only. */
			sti();
			uint32_t aids = vmcall(HC_TEST_QUIET, 1, 0);
			uint32_t e0 = vmcall(HC_TEST_EXITS, ~0u, 0), base = seen[1][VEC_STREAM];
			__atomic_store_n(&ap_stream_ready, 1, __ATOMIC_SEQ_CST);
			uint64_t t0 = rdtsc();
			while (seen[1][VEC_STREAM] - base < STREAM_IPIS && rdtsc() - t0 < ROUND_TSC)
				pause();
			uint32_t e1 = vmcall(HC_TEST_EXITS, ~0u, 0);
			vmcall(HC_TEST_QUIET, 0, 0);
			ap_stream_exits = aids == 0xffffffffu ? aids : e1 - e0 - 1;
			__atomic_store_n(&ap_stream_done, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (ap_swdis > ap_swdis_state) {
			/* SVR[8] cleared, then set again, with IF=1 (SDM Vol. 3A 11.4.7.2). */
			sti();
			wrmsr(X2APIC_SVR, (ap_swdis == 2 ? SVR_ENABLE : 0) | SPURIOUS_VECTOR);
			__atomic_store_n(&ap_swdis_state, ap_swdis, __ATOMIC_SEQ_CST);
			continue;
		}
		if (seen[1][VEC_PING] > pongs_sent) {
			pongs_sent++;
			send_ipi(bsp_id, ICR_FIXED | VEC_PONG);
			continue;
		}
		if (ap_stop)
			break;
		if (ap_halt_wait) {
			__atomic_fetch_add(&ap_halts, 1, __ATOMIC_SEQ_CST);
			__asm__ volatile("sti; hlt; nop" ::: "memory");
		} else {
			sti();
			pause();
		}
	}
	__atomic_store_n(&ap_done, 1, __ATOMIC_SEQ_CST);
	/* smp.S parks the AP (cli; hlt) when we return. */
}

static bool start_ap(const char *name)
{
	uint64_t t0 = rdtsc();

	if (!ap_boot(AP_ID, (uint32_t)(uintptr_t)(ap_stack + AP_STACK_SIZE), &ap_started, START_TSC)) {
		fail(name, "vCPU 1 did not come up within %llu TSC cycles of its INIT", START_TSC);
		return false;
	}
	gprintf("INFO AP up %llu TSC cycles after its INIT\n", rdtsc() - t0);
	pass(name);
	return true;
}

static void check_ap_identity(void)
{
	gprintf("INFO AP: x2APIC ID %u, CPUID.1 initial ID %u, APIC_BASE 0x%llx, LDR 0x%x\n",
		ap_id, ap_cpuid_id, ap_apic_base, ap_ldr);
	if (!ap_x2apic_ok)
		fail("ap-identity", "AP could not enter x2APIC mode (APIC_BASE 0x%llx)", ap_apic_base);
	else if (ap_id != AP_ID || ap_cpuid_id != AP_ID)
		fail("ap-identity", "AP has x2APIC ID %u and CPUID ID %u, want %u", ap_id, ap_cpuid_id, AP_ID);
	else if (ap_apic_base & APIC_BASE_BSP)
		fail("ap-identity", "AP's IA32_APIC_BASE 0x%llx has the BSP bit", ap_apic_base);
	else
		pass("ap-identity");
}

/* rounds of ping (BSP -> AP) and pong (AP -> BSP); each side counts what it received. */
static void ping_pong(const char *name, uint32_t rounds, bool halt)
{
	uint32_t base_ping = seen[1][VEC_PING], base_pong = seen[0][VEC_PONG];
	uint64_t t0 = rdtsc();

	ap_halt_wait = halt;
	for (uint32_t i = 1; i <= rounds; i++) {
		send_ipi(AP_ID, ICR_FIXED | VEC_PING);
		if (!wait_for(&seen[0][VEC_PONG], base_pong + i, halt, ROUND_TSC)) {
			fail(name, "round %u: no pong within %llu TSC cycles (AP saw %u pings, sent %u pongs)",
			     i, ROUND_TSC, seen[1][VEC_PING] - base_ping, pongs_sent);
			return;
		}
	}
	quiet(QUIET_TSC);
	if (seen[1][VEC_PING] - base_ping != rounds || seen[0][VEC_PONG] - base_pong != rounds ||
	    seen[0][VEC_PING] || seen[1][VEC_PONG])
		fail(name, "AP took %u pings, BSP %u pongs (want %u each); misrouted: %u pings on the BSP, "
		     "%u pongs on the AP", seen[1][VEC_PING] - base_ping, seen[0][VEC_PONG] - base_pong,
		     rounds, seen[0][VEC_PING], seen[1][VEC_PONG]);
	else {
		gprintf("INFO %s: %u round trips in %llu TSC cycles\n", name, rounds, rdtsc() - t0);
		pass(name);
	}
}

/* One round trip: everything the BSP sent before has reached the AP. */
static bool fence(void)
{
	uint32_t want = seen[0][VEC_PONG] + 1;

	send_ipi(AP_ID, ICR_FIXED | VEC_PING);
	return wait_for(&seen[0][VEC_PONG], want, false, ROUND_TSC);
}

/* One IPI; after it settled, BSP and AP must have seen exactly want_bsp and want_ap of it. */
static void expect_ipi(const char *name, uint8_t vec, uint32_t dest, uint32_t flags,
		       uint32_t want_bsp, uint32_t want_ap)
{
	send_ipi(dest, flags | vec);
	if (want_ap)
		wait_for(&seen[1][vec], want_ap, false, ROUND_TSC);
	if (want_bsp)
		wait_for(&seen[0][vec], want_bsp, false, ROUND_TSC);
	if (!fence()) {
		fail(name, "the AP stopped answering");
		return;
	}
	quiet(QUIET_TSC);
	if (seen[0][vec] != want_bsp || seen[1][vec] != want_ap)
		fail(name, "ICR 0x%llx: BSP took vector 0x%x %u times, AP %u times; want %u and %u",
		     ((uint64_t)dest << 32) | flags | vec, vec, seen[0][vec], seen[1][vec], want_bsp, want_ap);
	else
		pass(name);
}

/*
 * IPIs between the vCPUs of a domain with CPU posting (README "Exitless interrupts"): the
 * sender exits for its ICR write, the target only gets the notification, processed by its
 * CPU in the guest. The BSP sends one IPI at a time (each waited for, so none merges in IRR).
 */
static bool expect_posted, expect_exits;   /* from the command line, read before the trampoline */

static void ipi_stream(void)
{
	bool posted = expect_posted;
	if (!under_passage() || (!posted && !expect_exits)) {
		skip("ipi-stream-target-exits", "not under Passage with expect=posted|exits");
		return;
	}
	ap_stream = 1;
	if (!wait_for(&ap_stream_ready, 1, false, ROUND_TSC)) {
		fail("ipi-stream-target-exits", "the AP did not start counting");
		return;
	}
	uint32_t i;
	for (i = 1; i <= STREAM_IPIS; i++) {
		send_ipi(AP_ID, ICR_FIXED | VEC_STREAM);
		if (!wait_for(&seen[1][VEC_STREAM], i, false, ROUND_TSC))
			break;
	}
	if (!wait_for(&ap_stream_done, 1, false, ROUND_TSC) || ap_stream_exits == 0xffffffffu) {
		fail("ipi-stream-target-exits", "no exit count from the AP (boot Passage with crash=vmexit)");
		return;
	}
	ap_stream = 0;
	gprintf("INFO ipi-stream: %u IPIs, the target took %u VM exits\n", seen[1][VEC_STREAM], ap_stream_exits);
	if (seen[1][VEC_STREAM] != STREAM_IPIS)
		fail("ipi-stream-target-exits", "the AP took %u of %u IPIs", seen[1][VEC_STREAM], STREAM_IPIS);
	else if (posted ? ap_stream_exits != 0 : ap_stream_exits < STREAM_IPIS)
		fail("ipi-stream-target-exits", "the target took %u VM exits for %u IPIs (want %s)", ap_stream_exits,
		     STREAM_IPIS, posted ? "0: posted" : "at least one each");
	else
		pass("ipi-stream-target-exits");
}

/*
 * SDM Vol. 3A 11.4.7.2: a software-disabled local APIC "will respond normally to INIT, NMI, SMI,
 * and SIPI messages" and holds what was pending in IRR and ISR; a fixed interrupt is not in that
 * list (the AMD APM, Vol. 2 16.3.1, says it outright: "further fixed, lowest-priority, and ExtInt
 * interrupts are not accepted"). So a fixed IPI sent while the AP's SVR[8] is clear is neither
 * taken then nor after SVR[8] is set again; one sent after that is taken once.
 */
static void ipi_sw_disabled(void)
{
	const char *off = "ipi-sw-disabled-not-taken", *lost = "ipi-sw-disabled-not-accepted";

	ap_swdis = 1;
	if (!wait_for(&ap_swdis_state, 1, false, ROUND_TSC)) {
		fail(off, "the AP did not clear SVR[8]");
		return;
	}
	send_ipi(AP_ID, ICR_FIXED | VEC_SWDIS);
	quiet(4 * QUIET_TSC);
	uint32_t while_off = seen[1][VEC_SWDIS];
	ap_swdis = 2;
	if (!wait_for(&ap_swdis_state, 2, false, ROUND_TSC)) {
		fail(lost, "the AP did not set SVR[8] again");
		return;
	}
	quiet(4 * QUIET_TSC);                      /* a held IPI would be taken now */
	uint32_t after_on = seen[1][VEC_SWDIS];
	send_ipi(AP_ID, ICR_FIXED | VEC_SWDIS);    /* enabled again: this one counts */
	wait_for(&seen[1][VEC_SWDIS], after_on + 1, false, ROUND_TSC);
	quiet(QUIET_TSC);
	uint32_t fresh = seen[1][VEC_SWDIS] - after_on;
	if (while_off)
		fail(off, "the AP took vector 0x%x %u times with SVR[8] clear", VEC_SWDIS, while_off);
	else
		pass(off);
	if (after_on || fresh != 1)
		fail(lost, "the IPI sent with SVR[8] clear was taken %u times after SVR[8] was set (want 0: "
		     "not accepted), one sent after %u times (want 1)", after_on - while_off, fresh);
	else
		pass(lost);
}

/*
 * INIT is not masked by RFLAGS.IF or ended by HLT's wait (SDM Vol. 3A 9.4, 11.6.1): the AP
 * halted with interrupts on (sti; hlt, no timer armed; with CPU posting HLT does not exit, the
 * vCPU halts in the guest) goes to wait-for-SIPI, and ONE start-up IPI, sent delay_tsc cycles
 * after the INIT (0: back to back), restarts it through the trampoline at its vector.
 */
static void init_sipi_halted_ap(const char *name, uint64_t delay_tsc)
{
	uint32_t halts = ap_halts;

	ap_halt_wait = true;
	if (!fence() || !wait_for(&ap_halts, halts + 1, false, ROUND_TSC)) { /* the ping ends a HLT */
		fail(name, "the AP did not halt");
		return;
	}
	quiet(QUIET_TSC);                          /* it is in HLT now */
	ap_started = 0;
	send_ipi(AP_ID, ICR_INIT | ICR_ASSERT);
	for (uint64_t t0 = rdtsc(); rdtsc() - t0 < delay_tsc; )
		pause();
	send_ipi(AP_ID, ICR_STARTUP | SIPI_VECTOR); /* one: ap_boot's retry would hide a lost one */
	uint64_t t_sipi = rdtsc(), took;
	bool up = wait_for(&ap_started, 1, false, START_TSC);
	took = rdtsc() - t_sipi;
	gprintf("INFO %s: the AP ran %llu TSC cycles after the SIPI\n", name, took);
	if (!up)
		fail(name, "the AP halted with IF=1 did not restart at vector 0x%x after INIT and one "
		     "start-up IPI %llu TSC cycles later", SIPI_VECTOR, delay_tsc);
	else if (under_passage() && took > PROMPT_START_TSC)
		fail(name, "the AP ran %llu TSC cycles after the SIPI, want at most %llu (INIT not acted "
		     "on until a later exit?)", took, PROMPT_START_TSC);
	else if (ap_id != AP_ID)
		fail(name, "the restarted AP has x2APIC ID %u", ap_id);
	else if (!fence())
		fail(name, "the restarted AP does not answer IPIs");
	else
		pass(name);
	ap_halt_wait = false;
	fence();                                   /* out of its HLT */
}

/*
 * The AP returned from ap_main and parked itself (cli; hlt), as Linux parks
 * a CPU it takes offline. INIT and a start-up IPI must bring it back through
 * the trampoline (SDM Vol. 3A 9.4.4), the way Linux onlines it again.
 */
static void restart_parked_ap(void)
{
	quiet(QUIET_TSC);                          /* long enough for its cli; hlt */
	ap_started = ap_done = 0;
	if (!start_ap("ap-restarted-by-init-sipi"))
		return;
	if (!wait_for(&ap_done, 1, false, ROUND_TSC)) /* ap_stop is still set: it parks again */
		fail("ap-restart-after-park", "the restarted AP did not run to its end");
	else if (ap_id != AP_ID)
		fail("ap-restart-after-park", "the restarted AP has x2APIC ID %u", ap_id);
	else
		pass("ap-restart-after-park");
}

int guest_main(void)
{
	uint32_t rounds = cmdline_uint("rounds", DEFAULT_ROUNDS); /* before the trampoline covers 0x8000 */
	expect_posted = cmdline_has("expect=posted"), expect_exits = cmdline_has("expect=exits");
	uint64_t base;

	gprintf("ipi: inter-processor interrupt guest (2 vCPUs), cmdline \"%s\"\n", cmdline());
	gprintf("INFO under-passage %s\n", under_passage() ? "yes" : "no");
	irq_init();
	for (unsigned v = VEC_PONG; v <= VEC_SWDIS; v++)
		irq_set_handler((uint8_t)v, h_count, false);
	if (!x2apic_enable()) {
		fail("x2apic-mode", "cannot enter x2APIC mode (APIC_BASE 0x%llx)", rdmsr(MSR_APIC_BASE));
		return report_summary();
	}
	apic_quiet_legacy();
	base = rdmsr(MSR_APIC_BASE);
	bsp_id = (uint32_t)rdmsr(X2APIC_ID);
	wrmsr(X2APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	wrmsr(X2APIC_TPR, 0);
	if (!(base & APIC_BASE_BSP) || bsp_id != 0)
		fail("bsp-identity", "APIC_BASE 0x%llx, x2APIC ID %u: want the BSP bit and ID 0", base, bsp_id);
	else
		pass("bsp-identity");
	sti();

	if (!start_ap("ap-started"))
		return report_summary();
	check_ap_identity();

	ping_pong("ipi-ping-pong-spin", rounds / 2, false);
	ping_pong("ipi-ping-pong-hlt", rounds - rounds / 2, true);
	ap_halt_wait = false;

	expect_ipi("ipi-nonexistent-id", VEC_NOBODY, NO_SUCH_ID, ICR_FIXED, 0, 0);
	expect_ipi("ipi-all-but-self", VEC_ALL_BUT, 0, ICR_ALL_BUT_SELF | ICR_FIXED, 0, 1);
	expect_ipi("ipi-all-incl-self", VEC_ALL, 0, ICR_ALL_INCL_SELF | ICR_FIXED, 1, 1);
	/* SDM 11.12.10.2: x2APIC logical ID = cluster (ID[19:4]) << 16 | 1 << ID[3:0]. */
	if (ap_ldr != ((AP_ID >> 4) << 16 | 1u << (AP_ID & 0xf)))
		fail("ipi-logical", "AP's LDR reads 0x%x, want 0x%x", ap_ldr, (AP_ID >> 4) << 16 | 1u << (AP_ID & 0xf));
	else
		expect_ipi("ipi-logical", VEC_LOGICAL, ap_ldr, ICR_LOGICAL | ICR_FIXED, 0, 1);
	/* Same member bit in cluster 1 (x2APIC IDs 16-31): nobody here. */
	expect_ipi("ipi-logical-other-cluster", VEC_CLUSTER, (1u << 16) | (ap_ldr & 0xffff),
		   ICR_LOGICAL | ICR_FIXED, 0, 0);
	expect_ipi("ipi-broadcast-ffffffff", VEC_BROADCAST, 0xffffffffu, ICR_FIXED, 1, 1);
	ipi_sw_disabled();
	ipi_stream();
	init_sipi_halted_ap("init-sipi-halted-ap", INIT_DELAY_TSC);
	init_sipi_halted_ap("init-sipi-halted-ap-back-to-back", 0);

	ap_stop = 1;
	send_ipi(AP_ID, ICR_FIXED | VEC_PING);     /* wakes it if it halts */
	if (!wait_for(&ap_done, 1, false, ROUND_TSC))
		fail("ap-stop", "the AP did not leave its loop");
	else
		pass("ap-stop");
	restart_parked_ap();
	cli();
	return report_summary();
}
