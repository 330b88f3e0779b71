/* HLT (wait or park), INVD/WBINVD, NMI and external-interrupt exits. */
#include "exits.h"
#include "console.h"
#include "vintr.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/nmi.h"
#include "arch/x86/tsc.h"
#include "lib/log.h"

/* INVD would drop other domains' dirty lines: both become WBINVD. */
bool exit_wbinvd(struct vcpu *v)
{
	(void)v;
	__asm__ volatile("wbinvd" ::: "memory");
	exit_skip_instruction();
	return true;
}

/* An INIT IPI has reached v (vipi.c) and not yet put it in wait-for-SIPI. */
static bool init_reached(struct vcpu *v)
{
	return __atomic_load_n(&v->init_pending, __ATOMIC_ACQUIRE);
}

/* HLT with IF=1: the vCPU owns this CPU, so wait here until its timer, an IPI or an INIT has work. */
static bool wait_for_interrupt(struct vcpu *v)
{
	v->halted++;
	for (;;) {
		u64 next = vlapic_poll_timer(&v->apic, rdtsc());
		if (vintr_interrupt_pending(v) || __atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE) ||
		    init_reached(v) || v->dom->state != DOM_RUNNING)
			return v->dom->state == DOM_RUNNING;
		/* Idle until the virtual timer's deadline or a kick (another vCPU's IPI, a stop),
		 * serving host work (console, snapshots) meanwhile. */
		vcpu_idle(v, next);
	}
}

/* Idles this CPU for about a millisecond with interrupts open, serving host work (the console
 * on CPU 0, snapshot requests). INIT and SIPI kick the vCPU (vipi.c); it also looks again this often,
 * for a kick that found it between its look and its idle. */
static void idle_a_while(struct vcpu *v)
{
	vcpu_idle(v, rdtsc() + tsc_khz());
	__asm__ volatile("sti; nop; cli" ::: "memory"); /* a window even where lapic_idle_until only pauses */
}

/*
 * HLT with IF=0: only INIT wakes the vCPU here (on hardware an NMI would too;
 * Passage does not wake a parked vCPU for one yet); Linux parks CPUs like this
 * when it takes them offline. A vCPU that INIT reaches in any other state
 * (running, halted with IF=1) comes here too, at the exit the INIT's kick or
 * its next VMX-preemption timer exit brings: neither RFLAGS.IF nor HLT
 * holds INIT off. The CPU idles
 * with its own interrupts open (the host's fault and kick interrupts still
 * run). INIT puts the vCPU in wait-for-SIPI (SDM Vol. 3A 9.4, 11.6.1); a
 * start-up IPI then restarts it in real mode at its vector, as Linux does to
 * bring an offlined CPU back. When every vCPU is parked the domain can never
 * make progress and is stopped.
 */
static bool park(struct vcpu *v)
{
	struct domain *d = v->dom;
	if (__atomic_add_fetch(&d->parked, 1, __ATOMIC_SEQ_CST) >= d->nr_vcpus) {
		domain_stop(d, -1, "every vCPU halted with interrupts disabled (last at 0x%lx)",
			    vmread(GUEST_RIP));
		return false;
	}
	while (d->state == DOM_RUNNING && !__atomic_load_n(&v->init_pending, __ATOMIC_ACQUIRE))
		idle_a_while(v);
	if (d->state == DOM_RUNNING) { /* INIT: wait for the start-up IPI, still counted as parked
					* (the INIT cleared any earlier SIPI; one sent since is kept, vipi.c) */
		v->entry_mode = GUEST_MODE_WAIT_SIPI;
		__atomic_store_n(&v->init_pending, false, __ATOMIC_RELEASE);
		while (d->state == DOM_RUNNING && !(__atomic_load_n(&v->sipi_vector, __ATOMIC_ACQUIRE) & BIT(31)))
			idle_a_while(v);
	}
	__atomic_sub_fetch(&d->parked, 1, __ATOMIC_SEQ_CST);
	if (d->state != DOM_RUNNING)
		return false;
	LOG("domain", "%s vCPU %u restarted by INIT and SIPI at 0x%x", d->name, v->id,
	    (v->sipi_vector & 0xff) << 12);
	vcpu_reset_to_sipi(v);
	return true;
}

/*
 * With CPU posting the guest's HLT does not exit (vcpu.c): the CPU halts in the guest and a
 * posted interrupt wakes it there (SDM Vol. 3C 30.2.2: a delivered virtual interrupt ends HLT),
 * with no exit. A vCPU halted with interrupts disabled is then found at its next exit (the
 * VMX-preemption timer brings it out for host work): its activity state is HLT (25.4.2) and
 * RFLAGS.IF is 0, and it is parked as a HLT exit would have parked it.
 */
static bool halted_with_if_clear(void)
{
	return vmread(GUEST_ACTIVITY_STATE) == ACTIVITY_HLT && !(vmread(GUEST_RFLAGS) & RFLAGS_IF);
}

bool exit_preemption_timer(struct vcpu *v)
{
	return halted_with_if_clear() || init_reached(v) ? park(v) : true;
}

bool exit_hlt(struct vcpu *v)
{
	if (!(vmread(GUEST_RFLAGS) & RFLAGS_IF))
		return park(v);
	exit_skip_instruction();
	if (!wait_for_interrupt(v))
		return false;
	return init_reached(v) ? park(v) : true;
}

/* IRET to the next instruction: ends any NMI blocking (SDM Vol. 3A 6.7.1) without going through
 * the IDT, so a pending NMI is then delivered normally, with hardware blocking NMIs meanwhile. */
static void unblock_nmis(void)
{
	__asm__ volatile("mov %%rsp, %%rdx\n\t"
			 "mov %%ss, %%eax\n\t"
			 "push %%rax\n\t"          /* SS */
			 "push %%rdx\n\t"          /* RSP before these pushes */
			 "pushfq\n\t"
			 "mov %%cs, %%eax\n\t"
			 "push %%rax\n\t"          /* CS */
			 "lea 1f(%%rip), %%rax\n\t"
			 "push %%rax\n\t"          /* RIP */
			 "iretq\n"
			 "1:" ::: "rax", "rdx", "cc", "memory");
}

/*
 * Exception or NMI exit (28.2.2: VM_EXIT_INTR_INFO). With "NMI exiting" an
 * NMI that arrives in guest mode exits instead of reaching the host's IDT:
 * the host's NMI handler runs here, directly (INT 2 would run it on the NMI's
 * IST stack while NMIs may be unblocked, so a second NMI could overwrite its
 * frame), then an IRET ends any NMI blocking and the guest resumes. The
 * exception bitmap is 0, so no guest exception exits.
 */
bool exit_exception_nmi(struct vcpu *v)
{
	u32 info = (u32)vmread(VM_EXIT_INTR_INFO);
	if ((info & INTR_INFO_VALID) && (info & INTR_TYPE_MASK) == INTR_TYPE_NMI) {
		nmi_handle();
		unblock_nmis();
		return true;
	}
	vcpu_dump(v);
	domain_stop(v->dom, -1, "unexpected exception exit (interruption information 0x%x) at guest RIP 0x%lx",
		    info, vmread(GUEST_RIP));
	return false;
}

/* The host's own interrupt (a VT-d fault event, a kick): open a window to take it. */
/*
 * With "acknowledge interrupt on exit" (CPU posting, vmx.c) the exit has taken the interrupt
 * from the local APIC and VM_EXIT_INTR_INFO names its vector (SDM Vol. 3C 28.2.2): its handler
 * runs here as the IDT would have run it, interrupts still off, and sends the EOI. Without it
 * the interrupt is still pending and a one-instruction window lets the IDT take it.
 */
bool exit_external_interrupt(struct vcpu *v)
{
	if (vmx_caps.exit & EXIT_ACK_INTR_ON_EXIT) {
		u32 info = (u32)vmread(VM_EXIT_INTR_INFO);
		if (info & INTR_INFO_VALID)
			irq_dispatch((u8)info);
	} else {
		__asm__ volatile("sti; nop; cli" ::: "memory");
	}
	/* A vCPU halted in the guest with IF=0 (CPU posting: HLT does not exit) parks at the kick
	 * an INIT sends it, not only at its next preemption-timer exit; one the INIT reached
	 * running or halted with IF=1 goes to wait-for-SIPI there (park). */
	return halted_with_if_clear() || init_reached(v) ? park(v) : true;
}
