/* Event injection before VM entry: NMIs and vLAPIC interrupts through VM_ENTRY_INTR_INFO, NMI and interrupt windows, TPR threshold, preemption timer. */
#include "vintr.h"
#include "vcpu.h"
#include "vtimer.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/tsc.h"

/* SDM 26.3.1.5: an external interrupt can be delivered only with IF=1 and no STI/MOV-SS blocking. */
static bool guest_open(void)
{
	return (vmread(GUEST_RFLAGS) & RFLAGS_IF) && !(vmread(GUEST_INTERRUPTIBILITY_INFO) & 3);
}

/*
 * A pending NMI goes in before any interrupt (SDM Vol. 3A 6.9 priorities). With virtual NMIs
 * (25.3: pin-based control) the CPU keeps NMI blocking from the injection to the guest's IRET;
 * while it, MOV-SS or STI blocking holds (26.3.1.5 forbids injecting an NMI then) or another event
 * is queued for this entry, NMI-window exiting (25.6.2) brings the vCPU out when it may take it.
 */
static u32 inject_nmi(struct vcpu *v, u32 proc)
{
	if (!__atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE))
		return proc;
	bool vnmi = vmx_caps.pin & PIN_VIRTUAL_NMIS;
	u64 irq = vmread(GUEST_INTERRUPTIBILITY_INFO);
	if ((vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) || (irq & (3 | GUEST_INTR_BLOCKING_NMI)))
		return vnmi ? proc | CPU_NMI_WINDOW_EXITING : proc; /* without virtual NMIs: next exit */
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_NMI | VEC_NMI);
	__atomic_store_n(&v->nmi_pending, false, __ATOMIC_RELEASE);
	return proc;
}

static void inject_pending(struct vcpu *v)
{
	u32 proc = inject_nmi(v, v->proc_ctl & ~(CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING));
	int vec = vlapic_pending(&v->apic);
	bool queued = vec >= 0 && (vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID);
	switch (vintr_decide(vec, queued, vec >= 0 && !queued && guest_open())) {
	case VINTR_INJECT:
		vlapic_accept(&v->apic, (u8)vec);
		vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (u32)vec);
		break;
	case VINTR_WINDOW:
		proc |= CPU_INTR_WINDOW_EXITING;
		break;
	case VINTR_NONE:
		break;
	}
	if (proc != v->proc_ctl)
		vmwrite(CPU_BASED_VM_EXEC_CONTROL, v->proc_ctl = proc);
}

/* 29.1.2: a guest TPR write below the pending class exits, so the interrupt gets delivered;
 * 26.2.1.1: the threshold may not exceed VTPR[7:4]. */
static void update_tpr_threshold(struct vcpu *v)
{
	if (!(v->proc_ctl & CPU_USE_TPR_SHADOW))
		return;
	int irr = __atomic_load_n(&v->apic.irr_posted, __ATOMIC_ACQUIRE) ? vlapic_highest_irr(&v->apic) : -1;
	u32 tpr = vlapic_get(&v->apic, APIC_TPR);
	u32 th = irr >= 0 ? MIN((u32)irr >> 4, (tpr >> 4) & 0xf) : 0;
	if (th != v->tpr_threshold)
		vmwrite(TPR_THRESHOLD, v->tpr_threshold = th);
}

/*
 * The VMX-preemption timer (SDM 25.5.1) brings the vCPU out for its next virtual deadline, and
 * at least every max_run_tsc cycles when the CPU has host work to look at (the console). Every
 * VM entry loads the timer from the VMCS field, which a VM exit leaves alone (Passage does not
 * use the "save VMX-preemption timer value" exit control, 25.7.1): without a virtual deadline
 * the value is the same at every entry and is written only once.
 */
static void arm_preemption(struct vcpu *v, u64 now, u64 next)
{
	if (!(vmx_caps.pin & PIN_PREEMPTION_TIMER)) {
		v->preempt_quiet = true;
		return;
	}
	u64 quiet = v->max_run_tsc ? MIN(v->max_run_tsc >> vmx_caps.preempt_shift, 0xffffffffULL) : 0xffffffffULL;
	u64 ticks = quiet;
	if (next && (!v->max_run_tsc || next <= now + v->max_run_tsc))
		ticks = next > now ? MIN((next - now) >> vmx_caps.preempt_shift, 0xffffffffULL) : 0;
	if (ticks != v->preempt_ticks)
		vmwrite(VMX_PREEMPTION_TIMER_VALUE, v->preempt_ticks = ticks);
	v->preempt_quiet = ticks == quiet;
}

void vintr_prepare_entry_slow(struct vcpu *v)
{
	u64 now = rdtsc();
	u64 next = vlapic_poll_timer(&v->apic, now);
	inject_pending(v);
	vintr_update_ppr(v);
	update_tpr_threshold(v);
	arm_preemption(v, now, next);
}

/*
 * With CPU posting the vCPU's interrupts reach the guest by virtual-interrupt delivery (SDM
 * Vol. 3C 30.2): requests are posted into its descriptor (vlapic_set_irr, the VT-d unit), and a
 * notification that finds the guest running is processed by the CPU without an exit (30.6).
 * Whatever was posted while the vCPU was out of the guest, or with SN set, is moved here into
 * VIRR, and RVI raised to the highest request (30.1.1), so that the evaluation of pending
 * virtual interrupts at VM entry (27.3.2.5, 30.2.1) delivers it. PIR is read, not only ON.
 */
static void sync_posted(struct vcpu *v)
{
	u64 pir[4];
	if (v->apic_hold || !pi_drain(&v->pid, pir))
		return;
	vlapic_merge_irr(&v->apic, pir);
	int top = vlapic_highest_irr(&v->apic);
	u64 st = vmread(GUEST_INTR_STATUS);
	if (top > (int)(st & 0xff))
		vmwrite(GUEST_INTR_STATUS, (st & 0xff00) | (u32)top);
}

/*
 * With posting, HLT does not exit while the vCPU has no virtual timer running: the CPU halts in
 * the guest and a posted interrupt (an IPI, a passthrough device) wakes it there with no exit
 * (SDM Vol. 3C 30.2.2). While a virtual timer runs, HLT exits and the host waits for the
 * deadline on its own TSC-deadline timer (exit_misc.c), the wait the path without posting uses,
 * unless a CPU without a guest keeps the timer (vtimer.c): its post then wakes the guest. Chosen
 * while chasing a Linux stall on Bochs with posting on; the stall stayed, so whether
 * Bochs wakes a halted CPU for the VMX-preemption timer less readily is not verified.
 */
static u32 hlt_control(const struct vcpu *v, u32 proc)
{
	return v->apic.deadline && !v->timer_kept ? proc | CPU_HLT_EXITING : proc & ~CPU_HLT_EXITING;
}

void vintr_prepare_entry_posted(struct vcpu *v)
{
	u64 now = rdtsc();
	u64 next = vlapic_poll_timer(&v->apic, now); /* an expired timer posts to v itself */
	if (v->timer_kept) { /* the keeper posts it at its deadline: no exit for it here (vtimer.c) */
		if (next != v->told_deadline)
			vtimer_changed(v, next);
		next = 0;
	}
	sync_posted(v);
	u32 proc = inject_nmi(v, hlt_control(v, v->proc_ctl & ~CPU_NMI_WINDOW_EXITING));
	if (proc != v->proc_ctl)
		vmwrite(CPU_BASED_VM_EXEC_CONTROL, v->proc_ctl = proc);
	arm_preemption(v, now, next);
}

bool vintr_interrupt_pending(struct vcpu *v)
{
	if (v->apic.pid)
		sync_posted(v);
	return vlapic_pending(&v->apic) >= 0;
}

void vintr_apic_reset(struct vcpu *v)
{
	vlapic_init(&v->apic, v->vapic_page, v->id, tsc_khz());
	if (v->apic.pid)
		vmwrite(GUEST_INTR_STATUS, 0); /* RVI and SVI of the cleared IRR and ISR */
	vintr_apic_hold_update(v);
}

/*
 * A software-disabled local APIC holds what it received (SDM Vol. 3A 11.4.7.2) and a disabled
 * one is no APIC (11.4.3); virtual-interrupt delivery looks at neither (SDM Vol. 3C 30.2). While
 * either holds, SN keeps posters (vcpu_post, a VT-d unit without URG) from notifying and the run
 * loop leaves PIR alone; enabling the APIC releases what was held, and INIT or a change of
 * IA32_APIC_BASE.EN (vintr_apic_reset) drops it.
 */
void vintr_apic_hold_update(struct vcpu *v)
{
	if (!v->apic.pid)
		return;
	bool hold = !(v->apic_base & APIC_BASE_EN) || !vlapic_sw_enabled(&v->apic);
	if (hold == v->apic_hold)
		return;
	v->apic_hold = hold;
	if (hold)
		__atomic_fetch_or(&v->pid.ctl, PID_SN, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&v->pid.ctl, ~PID_SN, __ATOMIC_SEQ_CST);
}
