/* cpufix.c: tests of the CPU side of VMX interrupt virtualization and event delivery that the
 * project's Bochs fixes (tests/platforms/bochs-vtd/patches 0006-0010, 0012-0014), run in the
 * program's minimal VMM (vmm.c) without
 * any VT-d unit: each fails on stock Bochs 3.0 and passes on the patched one, except
 * cpu/vmentry-evaluates-rvi, which checks a rule stock Bochs already keeps. The interrupts come
 * from the local APIC (self-IPIs, the timer in one-shot mode); a VMX-preemption-timer watchdog ends
 * a guest that the CPU never wakes. Intel SDM Vol. 3C (order no. 326019), section numbers of the
 * 2016-2022 editions, where chapter 29 is "APIC Virtualization and Virtual Interrupts" (later
 * editions number the VMX chapters higher; the section titles identify them). */
#include "test.h"
#include "vmm.h"

#define V_VIRT 0x65               /* the guest's virtual interrupt */
#define V_KICK 0x66               /* a physical interrupt (external-interrupt exiting makes it exit) */
#define V_TIMER 0x67              /* the local APIC timer, one-shot, during a test */
#define V_NOTIFY 0xf3             /* posted-interrupt notification vector */
#define V_SOFT 0x70               /* a software interrupt (INT n) of the guest's */
#define CALL_DONE 0x600d          /* guest VMCALL codes (RAX) */
#define CALL_EXC 0xe4c
#define CALL_STEP 0x57e9

/* ---- the guests ---- */
static u64 cpu_idt[512] __attribute__((aligned(16)));
static volatile u64 gi_count, gi_vec, gi_rflags, gi_if0, gi_exc;   /* guest interrupts seen */
static volatile u64 gi_exc_frame;                                   /* the exception's frame address */
static volatile u64 gi_rip;                                         /* the last interrupt's return RIP */
static volatile u64 g_step, g_before_sti;
static bool host_x2;              /* this CPU's APIC is in x2APIC mode */

static inline void g_wrmsr(u32 m, u64 v) { __asm__ volatile("wrmsr" ::"c"(m), "a"((u32)v), "d"((u32)(v >> 32)) : "memory"); }
static inline void g_vmcall(u64 code) { __asm__ volatile("vmcall" ::"a"(code) : "memory"); }
static __attribute__((noreturn)) void g_done(void) { for (;;) g_vmcall(CALL_DONE); }

/* guest interrupt handler (guest_stubs in vmx.S): counts, keeps the interrupted RFLAGS, virtual EOI
 * through the x2APIC EOI MSR (virtualized, SDM 29.5); an exception ends the run */
void guest_irq(u64 vec, u64 *frame)
{
	if (vec < 32) {
		gi_exc = vec | 0x100;
		gi_exc_frame = (u64)frame;
		for (;;)
			g_vmcall(CALL_EXC);
	}
	gi_count++;
	gi_vec = vec;
	gi_rflags = frame[2];
	gi_rip = frame[0];
	if (!(frame[2] & BIT(9)))
		gi_if0++;
	g_wrmsr(0x80b, 0);
}

/* A physical fixed interrupt to the guest's own CPU, sent by the guest: without "virtualize APIC
 * accesses" an xAPIC MMIO access reaches the local APIC; in x2APIC mode a WRMSR to the ICR is not
 * virtualized and writes the local APIC's register (SDM 29.5). Shorthand 01 = self (SDM Vol. 3A 10.6.1). */
static void g_phys_self_ipi(u8 v)
{
	if (host_x2)
		g_wrmsr(0x830, BIT(18) | v);
	else
		mmio_w32(0xfee00300, (u32)(BIT(18) | v));
}

static __attribute__((noreturn)) void guest_vmcall(void) { g_done(); }
static __attribute__((noreturn)) void guest_spin(void)
{
	for (;;) {
		g_step++;
		__asm__ volatile("pause" ::: "memory");
	}
}
/* entered with IF = 1: the CLI in VMX non-root operation (not the entry, cpu/kick-if0-guest's case)
 * sets the masking */
static __attribute__((noreturn)) void guest_cli_hlt(void)
{
	g_step = 1;
	__asm__ volatile("cli; hlt" ::: "memory");
	g_step = 2;
	g_done();
}
/* "sti; hlt" (entered with IF = 0): halted in STI's shadow; g_after_hlt labels the instruction
 * after HLT, the return RIP of an interrupt that ends the HLT */
extern char g_after_hlt[];
static __attribute__((noreturn)) void guest_sti_hlt(void)
{
	g_step = 1;
	__asm__ volatile("sti; hlt\n.globl g_after_hlt\ng_after_hlt:\n\tnop" ::: "memory");
	g_step = 2;
	g_done();
}
/* IF=0 with a recognized virtual interrupt, then a physical interrupt; sti at the end */
static __attribute__((noreturn)) void guest_virq_if0(void)
{
	__asm__ volatile("cli" ::: "memory");
	g_wrmsr(0x83f, V_VIRT);           /* self-IPI virtualization (SDM 29.1.5): RVI = V_VIRT */
	g_phys_self_ipi(V_KICK);
	g_step = 1;
	for (int i = 0; i < 1000; i++)
		__asm__ volatile("pause" ::: "memory");
	g_before_sti = gi_count;
	__asm__ volatile("sti; nop" ::: "memory");
	g_done();
}

/* the guest of cpu/virq-exit-idt-vectoring: an INT n delivered through its IDT (the last event
 * before the one under test), a VMCALL, then step 1 and done */
static __attribute__((noreturn)) void guest_int_vmcall(void)
{
	__asm__ volatile("int %0" ::"i"(V_SOFT) : "memory");
	g_vmcall(CALL_STEP);
	g_step = 1;
	g_done();
}

/* the guest of cpu/mtf-after-fault: its first instruction raises #UD (SDM Vol. 3A 6.15, vector 6) */
void guest_ud2(void);
__asm__(".text\n.globl guest_ud2\nguest_ud2:\n\tud2\n\tjmp guest_ud2\n");

/* ---- the host ---- */
#define WATCHDOG_TICKS (1UL << 23)   /* TSC cycles before the VMX-preemption timer ends the guest */

static void cpu_idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		u64 a = (u64)guest_stubs + 16 * (u64)v;
		cpu_idt[2 * v] = (a & 0xffff) | 0x08UL << 16 | 0x8eUL << 40 | ((a >> 16) & 0xffff) << 48;
		cpu_idt[2 * v + 1] = a >> 32;
	}
}

/* A guest with the test's IDT, a page-aligned PID unless given, and the watchdog; interrupts off
 * and the program's timer stopped until cpu_close (no interrupt but the test's own). */
static u32 saved_lvt, saved_icr, saved_dcr;
static int cpu_open(struct vmm_cfg *c)
{
	gi_count = gi_vec = gi_rflags = gi_if0 = gi_exc = gi_exc_frame = gi_rip = g_step = g_before_sti = 0;
	irq_count[V_KICK] = irq_count[V_TIMER] = irq_count[V_NOTIFY] = 0;
	host_x2 = lapic_is_x2apic();
	c->idt = cpu_idt;
	if (!c->pid)
		c->pid = (u64)page_alloc();
	if (!c->nv)
		c->nv = V_NOTIFY;
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x485));   /* IA32_VMX_MISC 4:0: timer rate */
	c->preempt = (u32)(WATCHDOG_TICKS >> (lo & 0x1f));
	int r = vmm_open(c, why, sizeof why);
	if (r != VMM_PASS)
		return r == VMM_SKIP ? SKIP_ : FAIL_;
	__asm__ volatile("cli");
	saved_lvt = lapic_r(0x320);
	saved_icr = lapic_r(0x380);
	saved_dcr = lapic_r(0x3e0);
	lapic_w(0x320, BIT(16) | saved_lvt);
	return PASS_;
}

static void cpu_close(void)
{
	vmm_close();
	lapic_w(0x320, BIT(16) | saved_lvt);
	lapic_w(0x380, 0);
	lapic_w(0x3e0, saved_dcr);
	lapic_w(0x320, saved_lvt);
	lapic_w(0x380, saved_icr);
	__asm__ volatile("sti");
}

/* The local APIC timer as a one-shot source of `vec`, `count` bus clocks (divide by 1) from now
 * (SDM Vol. 3A 10.5.4); cpu_close puts the program's periodic tick back. */
static void timer_oneshot(u8 vec, u32 count)
{
	lapic_w(0x3e0, 0xb);
	lapic_w(0x320, vec);              /* one-shot, unmasked */
	lapic_w(0x380, count);
}

static const char *reason_name(int r)
{
	switch (r) {
	case EXIT_EXC_NMI: return "exception or NMI";
	case EXIT_EXT_INTR: return "external interrupt";
	case EXIT_VMCALL: return "VMCALL";
	case EXIT_MTF: return "monitor trap flag";
	case EXIT_PREEMPT: return "VMX-preemption timer (watchdog: the guest was never woken)";
	default: return "other";
	}
}

/* One VM entry; returns the exit reason (negative: entry failed, why set). Interrupts stay off. */
static int enter(void)
{
	int r = vmm_enter(why, sizeof why);
	if (r == EXIT_VMCALL && vmm_regs[0] == CALL_EXC)
		snprintf(why, sizeof why, "guest exception %lu", gi_exc & 0xff);
	return r;
}

/* the exit reason `r` must be `want`; a failed entry names the VM-instruction error */
static int expect_exit(int r, int want)
{
	if (r == want)
		return PASS_;
	char q[sizeof why];
	snprintf(q, sizeof q, "%s", r < 0 ? why : "");
	FAILF("VM exit %d (%s), expected %d (%s)%s%s", r, reason_name(r), want, reason_name(want), q[0] ? ": " : "", q);
}
#define EXPECT_EXIT(r, want) do { if (expect_exit((r), (want)) != PASS_) return FAIL_; } while (0)

/* 0006. SDM 24.6.8 and 26.2.1.1: the posted-interrupt descriptor is 64-byte aligned (bits 5:0 of
 * its address 0); VM entry must accept one that is not page aligned, and reject bits 5:0 set. */
static int t_pid_align(void)
{
	for (int k = 0; k < 2; k++) {
		u64 pid = (u64)page_alloc() + (k ? 0x20 : 0x40);
		struct vmm_cfg c = { .entry = guest_vmcall, .rflags = 0x2, .pid = pid };
		int r = cpu_open(&c);
		if (r != PASS_)
			return r;
		int e = vmm_enter(why, sizeof why);
		u64 err = vmm_read(VMCS_VM_ERROR);
		cpu_close();
		if (k == 0 && e != EXIT_VMCALL) {
			char q[sizeof why];
			snprintf(q, sizeof q, "%s", e < 0 ? why : reason_name(e));
			FAILF("VM entry with the PID at 0x%lx (64-byte aligned, not 4 KiB): %s", pid, q);
		}
		if (k == 1)
			REQUIRE(e < 0 && err == 7, "VM entry with the PID at 0x%lx (bits 5:0 = 0x20): %s, VM-instruction "
				"error %lu, expected failure with error 7 (invalid control field)", pid,
				e < 0 ? "failed" : reason_name(e), err);
	}
	return PASS_;
}

/* 0007. SDM 24.6.1 (Table 24-5, "external-interrupt exiting": with it, RFLAGS.IF does not affect
 * interrupt blocking) and 25.4.1 "Event Blocking": a guest entered with RFLAGS.IF = 0 that never
 * touches IF exits for a physical interrupt (the "kick" a VMM sends a running guest). */
static int t_kick_if0(void)
{
	struct vmm_cfg c = { .entry = guest_spin, .rflags = 0x2 };
	int r = cpu_open(&c);
	if (r != PASS_)
		return r;
	timer_oneshot(V_TIMER, 2000);
	int e = enter();
	u64 rf = vmm_read(VMCS_G_RFLAGS);
	cpu_close();
	EXPECT_EXIT(e, EXIT_EXT_INTR);
	REQUIRE(vmm_exit_vec == V_TIMER, "external-interrupt exit for vector 0x%x, expected 0x%x", vmm_exit_vec, V_TIMER);
	REQUIRE(!(rf & BIT(9)), "guest RFLAGS 0x%lx at the exit: IF set", rf);
	REQUIRE(g_step > 0, "the guest never ran");
	return PASS_;
}

/* 0008. SDM 29.2.2: a recognized virtual interrupt is delivered only when RFLAGS.IF = 1 (and no
 * STI/MOV SS blocking); a physical interrupt meanwhile exits (external-interrupt exiting) and the
 * virtual one stays pending until the guest sets IF. */
static int t_virq_needs_if(void)
{
	struct vmm_cfg c = { .entry = guest_virq_if0, .rflags = 0x202 };
	int r = cpu_open(&c);
	if (r != PASS_)
		return r;
	int e1 = enter(), e2 = -2;
	u8 v1 = vmm_exit_vec;
	u64 rvi = vmm_read(VMCS_G_INTR_STATUS) & 0xff;
	if (e1 == EXIT_EXT_INTR)
		e2 = enter();
	cpu_close();
	REQUIRE(!gi_if0, "virtual interrupt 0x%lx delivered with the guest's RFLAGS.IF = 0 (interrupted RFLAGS 0x%lx)",
		gi_vec, gi_rflags);
	EXPECT_EXIT(e1, EXIT_EXT_INTR);
	REQUIRE(v1 == V_KICK, "external-interrupt exit for vector 0x%x, expected 0x%x", v1, V_KICK);
	REQUIRE(rvi == V_VIRT, "RVI 0x%lx at the physical interrupt's exit, expected 0x%x pending", rvi, V_VIRT);
	EXPECT_EXIT(e2, EXIT_VMCALL);
	REQUIRE(g_before_sti == 0, "%lu guest interrupts before sti", g_before_sti);
	REQUIRE(gi_count == 1 && gi_vec == V_VIRT, "after sti: %lu guest interrupts, last 0x%lx; expected 0x%x once", gi_count,
		gi_vec, V_VIRT);
	return PASS_;
}

/* 0009 (a). SDM 24.6.1 Table 24-5 and 25.4.1 "Event Blocking": with external-interrupt exiting a
 * physical interrupt is not blocked by RFLAGS.IF = 0, so it ends HLT of a guest in "cli; hlt" with
 * a VM exit. */
static int t_cli_hlt_exit(void)
{
	struct vmm_cfg c = { .entry = guest_cli_hlt, .rflags = 0x202 };
	int r = cpu_open(&c);
	if (r != PASS_)
		return r;
	timer_oneshot(V_TIMER, 20000);
	int e1 = enter(), e2 = -2;
	u64 step = g_step;
	if (e1 == EXIT_EXT_INTR)
		e2 = enter();
	cpu_close();
	EXPECT_EXIT(e1, EXIT_EXT_INTR);
	REQUIRE(step == 1, "the timer fired before the guest halted (guest step %lu): the test's timing is off", step);
	REQUIRE(vmm_exit_vec == V_TIMER, "external-interrupt exit for vector 0x%x, expected 0x%x", vmm_exit_vec, V_TIMER);
	EXPECT_EXIT(e2, EXIT_VMCALL);
	REQUIRE(g_step == 2, "guest step %lu after resuming, expected 2 (past HLT)", g_step);
	return PASS_;
}

/* 0009 (b). SDM 29.6: posted-interrupt processing also takes place when the notification arrives
 * while the logical processor is in HLT, here in "cli; hlt" (external-interrupt exiting: IF does not
 * block it): PIR goes to VIRR and RVI, ON is cleared, and nothing is delivered while IF = 0
 * (29.2.2). Whether the guest then stays in HLT is not checked: the run ends by the watchdog or by
 * the guest's VMCALL. */
static int t_cli_hlt_posted(void)
{
	volatile u64 *pid = page_alloc();
	pid[V_VIRT / 64] = BIT(V_VIRT % 64);
	pid[4] = 1;                                     /* ON */
	struct vmm_cfg c = { .entry = guest_cli_hlt, .rflags = 0x202, .pid = (u64)pid };
	int r = cpu_open(&c);
	if (r != PASS_)
		return r;
	timer_oneshot(V_NOTIFY, 20000);                 /* the timer sends the notification vector */
	int e = enter();
	u64 step = g_step, rvi = vmm_read(VMCS_G_INTR_STATUS) & 0xff;
	cpu_close();
	u32 virr = *(volatile u32 *)(vmm_vapic() + 0x200 + 0x10 * (V_VIRT / 32));
	if (e != EXIT_VMCALL)
		EXPECT_EXIT(e, EXIT_PREEMPT);
	REQUIRE(step >= 1, "the guest never reached HLT");
	REQUIRE(!(pid[4] & 1) && !pid[V_VIRT / 64], "notification not processed while the guest was in cli; hlt: "
		"PID ON %lu, PIR[%u] 0x%lx", pid[4] & 1, V_VIRT / 64, pid[V_VIRT / 64]);
	REQUIRE(virr & BIT(V_VIRT % 32) && rvi == V_VIRT, "VIRR bit 0x%x %s, RVI 0x%lx", V_VIRT,
		virr & BIT(V_VIRT % 32) ? "set" : "clear", rvi);
	REQUIRE(gi_count == 0, "%lu guest interrupts (vector 0x%lx) with RFLAGS.IF = 0", gi_count, gi_vec);
	return PASS_;
}

/* 0009 (c). SDM 29.2.2: a deliverable virtual interrupt wakes the logical processor from HLT as an
 * external interrupt would: a guest entered in HLT with IF = 1 and RVI above VPPR (VM entry
 * evaluates pending virtual interrupts, 26.3.2.5 / 29.2.1) is woken and takes it. */
static int t_hlt_virq(void)
{
	struct vmm_cfg c = { .entry = guest_vmcall, .rflags = 0x202, .intr_status = V_VIRT, .activity = 1 };
	int r = cpu_open(&c);
	if (r != PASS_)
		return r;
	int e = enter();
	cpu_close();
	EXPECT_EXIT(e, EXIT_VMCALL);
	REQUIRE(gi_count == 1 && gi_vec == V_VIRT, "%lu guest interrupts, last 0x%lx; expected 0x%x once", gi_count, gi_vec,
		V_VIRT);
	REQUIRE(!gi_if0, "delivered with RFLAGS.IF = 0");
	return PASS_;
}

/* 0013. SDM 29.6: posted-interrupt processing ends with the evaluation of pending virtual
 * interrupts (29.2.1), and one recognized is delivered at that instruction boundary when RFLAGS.IF
 * = 1 and nothing blocks it (29.2.2). A guest halted in "sti; hlt" (HLT does not exit) woken by a
 * notification whose PIR holds a vector therefore takes it with the instruction after HLT as its
 * return RIP, as an external interrupt would wake HLT (SDM Vol. 3A, HLT). Stock Bochs delivered it
 * only after the guest had run that instruction. */
static int t_posted_same_boundary(void)
{
	volatile u64 *pid = page_alloc();
	pid[V_VIRT / 64] = BIT(V_VIRT % 64);
	pid[4] = 1;                                     /* ON */
	struct vmm_cfg c = { .entry = guest_sti_hlt, .rflags = 0x2, .pid = (u64)pid };
	int r = cpu_open(&c);
	if (r != PASS_)
		return r;
	timer_oneshot(V_NOTIFY, 20000);                 /* the notification, once the guest halts */
	int e = enter();
	u64 step = g_step;
	cpu_close();
	EXPECT_EXIT(e, EXIT_VMCALL);
	REQUIRE(step == 2, "the guest did not get past HLT");
	REQUIRE(gi_count == 1 && gi_vec == V_VIRT, "%lu guest interrupts, last 0x%lx; expected 0x%x once", gi_count,
		gi_vec, V_VIRT);
	REQUIRE(gi_rip == (u64)g_after_hlt, "the interrupt returned to 0x%lx, %s 0x%lx (the instruction after HLT)",
		gi_rip, gi_rip == (u64)g_after_hlt + 1 ? "one instruction after" : "not", (u64)g_after_hlt);
	return PASS_;
}

/* Not a fix (the design brief suspected one; Bochs 3.0 does it in VMX_TPR_Virtualization at the end
 * of VMLAUNCH): SDM 26.3.2.5 / 29.2.1, VM entry evaluates pending virtual interrupts, so RVI above
 * VPPR with IF = 1 is delivered before the guest's first instruction. Passes on stock Bochs too. */
static int t_entry_evaluates(void)
{
	struct vmm_cfg c = { .entry = guest_vmcall, .rflags = 0x202, .intr_status = V_VIRT };
	int r = cpu_open(&c);
	if (r != PASS_)
		return r;
	int e = enter();
	cpu_close();
	EXPECT_EXIT(e, EXIT_VMCALL);
	REQUIRE(gi_count == 1 && gi_vec == V_VIRT, "%lu guest interrupts, last 0x%lx; expected 0x%x once before the "
		"first instruction's VMCALL", gi_count, gi_vec, V_VIRT);
	return PASS_;
}

/* 0014. SDM 27.2.3 "Information for VM Exits During Event Delivery": a VM exit caused by a fault
 * while an event is delivered through the IDT (an exception the exception bitmap intercepts, an EPT
 * violation or misconfiguration, ...) saves that event in the IDT-vectoring information field, an
 * external interrupt as type 0 with its vector. Virtual-interrupt delivery delivers its vector
 * through the IDT after it has moved it from VIRR/RVI to VISR/SVI (29.2.2), so a VMM re-injects the
 * vector that field names and the guest's EOI then clears VISR. Here the virtual interrupt's IDT
 * gate is not present and #NP is intercepted: the exit must name vector V_VIRT, type external
 * interrupt. Stock Bochs left the field as the event before it had recorded (the guest's INT n
 * here); Xen's dom0 lost its event-channel upcall that way, VISR kept the vector and no interrupt
 * of that priority class or below was delivered again. */
static int t_virq_exit_idt_vectoring(void)
{
	struct vmm_cfg c = { .entry = guest_int_vmcall, .rflags = 0x202 };
	int r = cpu_open(&c);
	if (r != PASS_)
		return r;
	int e1 = enter(), e2 = -2, e3 = -2;
	u64 call1 = vmm_regs[0], count1 = gi_count, vec1 = gi_vec, rip2 = 0, rip_e2 = 0, info = 0, err = 0, idtv = 0, status2 = 0, status3 = ~0UL;
	u64 gate = cpu_idt[2 * V_VIRT];
	if (e1 == EXIT_VMCALL && call1 == CALL_STEP) {
		vmm_skip_insn();
		rip2 = vmm_read(VMCS_G_RIP);
		vmm_write(VMCS_G_INTR_STATUS, V_VIRT);          /* RVI: recognized at VM entry (26.3.2.5) */
		vmm_write(VMCS_EXC_BITMAP, BIT(11));            /* #NP exits */
		cpu_idt[2 * V_VIRT] = gate & ~BIT(47);          /* the gate's P bit clear */
		e2 = enter();
		cpu_idt[2 * V_VIRT] = gate;
		info = vmm_read(VMCS_EXIT_INTR_INFO);
		err = vmm_read(VMCS_EXIT_INTR_ERR);
		idtv = vmm_read(VMCS_IDT_VECTORING);
		status2 = vmm_read(VMCS_G_INTR_STATUS);
		rip_e2 = vmm_read(VMCS_G_RIP);
		/* what a VMM does (27.2.3; event injection, 26.5): re-inject the event the field
		 * names, bits 30:12 clear */
		if (e2 == EXIT_EXC_NMI && (idtv & 0x80000fffUL) == (0x80000000UL | V_VIRT)) {
			vmm_write(VMCS_EXC_BITMAP, 0);
			vmm_write(VMCS_ENTRY_INTR, idtv & 0x80000fffUL);
			e3 = enter();
			status3 = vmm_read(VMCS_G_INTR_STATUS);
		}
	}
	cpu_close();
	EXPECT_EXIT(e1, EXIT_VMCALL);
	REQUIRE(call1 == CALL_STEP, "the guest's first VMCALL had RAX 0x%lx, expected 0x%x", call1, CALL_STEP);
	REQUIRE(count1 == 1 && vec1 == V_SOFT, "the guest's INT 0x%x before its VMCALL: %lu guest interrupts, last 0x%lx",
		V_SOFT, count1, vec1);
	EXPECT_EXIT(e2, EXIT_EXC_NMI);
	REQUIRE((info & 0x80000fffUL) == 0x80000b0bUL && (err & ~1UL) == (u64)(V_VIRT * 8 + 2),
		"VM exit for interruption 0x%lx error code 0x%lx, expected #NP (0x80000b0b) naming IDT entry 0x%x (0x%x)",
		info, err, V_VIRT, V_VIRT * 8 + 3);
	REQUIRE((idtv & 0x80000fffUL) == (0x80000000UL | V_VIRT), "VM exit during the virtual interrupt's delivery: "
		"IDT-vectoring information 0x%lx, expected 0x%x (valid, external interrupt, vector 0x%x)", idtv,
		0x80000000u | V_VIRT, V_VIRT);
	REQUIRE(rip_e2 == rip2, "guest RIP 0x%lx at the exit, expected 0x%lx (the delivery did not complete)", rip_e2,
		rip2);
	REQUIRE((status2 & 0xffff) == (u64)V_VIRT << 8, "guest interrupt status 0x%lx at the exit, expected SVI 0x%x, "
		"RVI 0 (29.2.2 updates them before the delivery through the IDT)", status2, V_VIRT);
	EXPECT_EXIT(e3, EXIT_VMCALL);
	REQUIRE(gi_count == 2 && gi_vec == V_VIRT && g_step == 1, "after re-injection: %lu guest interrupts, last 0x%lx, "
		"guest step %lu; expected INT 0x%x then 0x%x, step 1", gi_count, gi_vec, g_step, V_SOFT, V_VIRT);
	REQUIRE((status3 & 0xffff) == 0, "guest interrupt status 0x%lx after the guest's EOI, expected 0 (VISR empty)",
		status3);
	return PASS_;
}

/* 0010. SDM 29.6 (step 6 of posted-interrupt processing: RVI becomes the maximum of RVI and the
 * highest PIR bit, unchanged when PIR is empty): a notification with an empty PIR (a kick, or a
 * PIR already drained) delivers nothing. The notification is pending when
 * the guest (IF = 1) is entered. */
static int t_empty_pir(void)
{
	struct vmm_cfg c = { .entry = guest_spin, .rflags = 0x202 };
	int r = cpu_open(&c);
	if (r != PASS_)
		return r;
	vmm_self_ipi(V_NOTIFY);
	timer_oneshot(V_TIMER, 200000);            /* ends the run: an exit well after the notification */
	int e = enter();

	u64 rvi = vmm_read(VMCS_G_INTR_STATUS);
	cpu_close();
	REQUIRE(gi_count == 0, "the guest took vector 0x%lx (%lu interrupts) from an empty-PIR notification", gi_vec,
		gi_count);
	REQUIRE((rvi & 0xff) == 0, "guest interrupt status 0x%lx: RVI changed by an empty PIR", rvi);
	EXPECT_EXIT(e, EXIT_EXT_INTR);
	REQUIRE(vmm_exit_vec == V_TIMER, "external-interrupt exit for vector 0x%x, expected the timer 0x%x (the "
		"notification was not consumed by posted-interrupt processing?)", vmm_exit_vec, V_TIMER);
	REQUIRE(irq_count[V_NOTIFY] == 0, "the notification reached the host %lu times", irq_count[V_NOTIFY]);
	return PASS_;
}

/* 0012. SDM 25.5.2 "Monitor Trap Flag": an instruction that faults, with the exception delivered
 * through the guest's IDT (exception bitmap clear), is followed by an MTF VM exit after the delivery,
 * before the handler's first instruction, and an MTF exit is fault-like: the guest state it saves
 * (27.3) is the handler's RIP with the handler's CS, RSP and RFLAGS (6.14.2, 64-bit frame: RSP
 * aligned to 16, then SS, RSP, RFLAGS, CS, RIP). Resuming (MTF off) runs the handler once on that
 * frame. Stock Bochs with more than one CPU delivered the exception from main.cc's trace loop without
 * committing the new RIP, and the exit saved the faulting RIP beside the handler's stack. */
static int t_mtf_after_fault(void)
{
	struct vmm_cfg c = { .entry = guest_ud2, .rflags = 0x2 };
	int r = cpu_open(&c);                      /* SKIPs without VMX, before any VMX MSR is read */
	if (r != PASS_)
		return r;
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x480));   /* IA32_VMX_BASIC */
	u32 cap_msr = (hi & BIT(55 - 32)) ? 0x48e : 0x482;              /* IA32_VMX_(TRUE_)PROCBASED_CTLS */
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(cap_msr));
	if (!(hi & BIT(27))) {                     /* allowed-1 settings in bits 63:32 (SDM Appendix A.3.2) */
		cpu_close();
		SKIPF("no monitor trap flag (allowed-1 bit 27 of the primary processor-based controls clear)");
	}
	u64 proc = vmm_read(VMCS_PROC_CTLS), rsp0 = vmm_read(VMCS_G_RSP);
	vmm_write(VMCS_PROC_CTLS, proc | BIT(27));
	int e1 = enter(), e2 = -2;
	u64 rip = vmm_read(VMCS_G_RIP), cs = vmm_read(VMCS_G_CS), rsp = vmm_read(VMCS_G_RSP);
	u64 rflags = vmm_read(VMCS_G_RFLAGS);
	if (e1 == EXIT_MTF) {
		vmm_write(VMCS_PROC_CTLS, proc);
		e2 = enter();
	}
	cpu_close();
	u64 ud = (u64)guest_ud2, handler = (u64)guest_stubs + 16 * 6, want_rsp = (rsp0 & ~0xfUL) - 40;
	EXPECT_EXIT(e1, EXIT_MTF);
	REQUIRE(rip != ud, "MTF VM exit after the #UD delivery saved guest RIP 0x%lx = the faulting ud2, with the "
		"handler's RSP 0x%lx (expected RIP 0x%lx, the handler's first instruction)", rip, rsp, handler);
	REQUIRE(rip == handler, "MTF VM exit after the #UD delivery: guest RIP 0x%lx, expected the handler 0x%lx", rip,
		handler);
	REQUIRE(cs == 0x08 && rsp == want_rsp && rflags == 0x2, "MTF VM exit in the handler: CS 0x%lx RSP 0x%lx RFLAGS 0x%lx, "
		"expected 0x8, 0x%lx (the #UD frame below 0x%lx), 0x2", cs, rsp, rflags, want_rsp, rsp0);
	const u64 *f = (const u64 *)want_rsp;
	/* the saved RFLAGS has RF = 1: the image of a fault-class exception (SDM Vol. 3A 17.3.1.1) */
	REQUIRE(f[0] == ud && f[1] == 0x08 && f[2] == (0x2 | BIT(16)) && f[3] == rsp0 && f[4] == 0x10, "#UD frame RIP "
		"0x%lx CS 0x%lx RFLAGS 0x%lx RSP 0x%lx SS 0x%lx, expected 0x%lx 0x8 0x10002 0x%lx 0x10", f[0], f[1], f[2], f[3],
		f[4], ud, rsp0);
	if (e2 != EXIT_VMCALL || vmm_regs[0] != CALL_EXC) {
		char q[sizeof why];
		snprintf(q, sizeof q, "%s", e2 < 0 ? why : reason_name(e2));
		FAILF("after resuming: VM exit %d (%s), RAX 0x%lx; expected the #UD handler's VMCALL 0x%x", e2, q,
		      vmm_regs[0], CALL_EXC);
	}
	REQUIRE(gi_exc == 0x106 && gi_exc_frame == want_rsp, "after resuming: the handler saw exception 0x%lx on the frame "
		"at 0x%lx, expected #UD (6) once on 0x%lx", gi_exc & 0xff, gi_exc_frame, want_rsp);
	return PASS_;
}

/* 0012 on the application processor: Bochs's multi-CPU loop must commit the RIP of the CPU that
 * took the exception, not only the first one's. With cpus=2 the AP is started here unless the
 * interrupt-remapping tests did (xAPIC mode only, see ap_start). */
static int t_mtf_after_fault_ap(void)
{
	if (arg_num("cpus", 1) < 2)
		SKIPF("one CPU (cpus=1): no application processor to run it on");
	if (ap_apic_id == ~0u && lapic_is_x2apic())
		FAILF("no application processor running, and this CPU is in x2APIC mode (ap_start needs xAPIC)");
	if (ap_apic_id == ~0u && !ap_start())
		FAILF("no application processor answered INIT-SIPI-SIPI");
	int rc = FAIL_;
	if (!ap_run(t_mtf_after_fault, &rc, 50))
		FAILF("the test did not finish on the AP (APIC ID %u)", ap_apic_id);
	return rc;
}

void cpu_tests(void)
{
	cpu_idt_init();
	report("cpu/pid-align-64", t_pid_align());
	report("cpu/vmentry-evaluates-rvi", t_entry_evaluates());
	report("cpu/kick-if0-guest", t_kick_if0());
	report("cpu/virq-needs-if", t_virq_needs_if());
	report("cpu/cli-hlt-exit", t_cli_hlt_exit());
	report("cpu/cli-hlt-posted", t_cli_hlt_posted());
	report("cpu/hlt-virq-wakes", t_hlt_virq());
	report("cpu/empty-pir-notification", t_empty_pir());
	report("cpu/posted-same-boundary", t_posted_same_boundary());
	report("cpu/virq-exit-idt-vectoring", t_virq_exit_idt_vectoring());
	report("cpu/mtf-after-fault", t_mtf_after_fault());
	report("cpu/mtf-after-fault-ap", t_mtf_after_fault_ap());
}
