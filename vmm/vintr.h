/* Event injection into a vCPU before VM entry: pending vLAPIC interrupts, interrupt windows, timer exits. */
#ifndef PASSAGE_VMM_VINTR_H
#define PASSAGE_VMM_VINTR_H

#include "vcpu.h"

enum vintr_action {
	VINTR_NONE,    /* nothing deliverable is pending */
	VINTR_INJECT,  /* inject the vector through VM_ENTRY_INTR_INFO at this entry */
	VINTR_WINDOW,  /* request an interrupt-window exit and inject then */
};

/*
 * The decision for the highest deliverable vector vec (-1: none), given whether an
 * event is already being injected at this entry (VM_ENTRY_INTR_INFO valid: a
 * reinjected or emulated exception) and whether the guest can take an external
 * interrupt now (SDM 26.3.1.5: RFLAGS.IF=1, no STI/MOV-SS blocking). Only one event
 * is injected per entry, so with one already queued the interrupt waits for the
 * window exit that follows its delivery (SDM 26.7.5), never for an unrelated exit.
 */
static inline enum vintr_action vintr_decide(int vec, bool event_queued, bool open)
{
	if (vec < 0)
		return VINTR_NONE;
	if (!event_queued && open)
		return VINTR_INJECT;
	return VINTR_WINDOW;
}

/* Without virtual-interrupt delivery the CPU keeps only VTPR in the page (SDM 29.1.1): PPR as
 * the guest reads it there follows TPR (which the guest writes without an exit) and ISR. */
static inline void vintr_update_ppr(struct vcpu *v)
{
	vlapic_set(&v->apic, APIC_PPR, vlapic_ppr(&v->apic));
}

/* The full vintr_prepare_entry: expire the virtual timer, inject or ask for a window, keep the
 * TPR threshold and the VMX-preemption timer right. */
void vintr_prepare_entry_slow(struct vcpu *v);
/* The same with CPU posting: posted requests into VIRR and RVI, NMIs, the preemption timer. */
void vintr_prepare_entry_posted(struct vcpu *v);
/* On v's own CPU, out of the guest: is an interrupt pending that the guest can take once IF=1? */
bool vintr_interrupt_pending(struct vcpu *v);
/* Resets v's vLAPIC (power-up, INIT, APIC enable or disable) and, with posting, RVI and SVI. */
void vintr_apic_reset(struct vcpu *v);
/* After a change of SVR or IA32_APIC_BASE: with posting, holds posted requests while the APIC is
 * disabled or software-disabled. */
void vintr_apic_hold_update(struct vcpu *v);

/*
 * Before each entry of v on its own CPU. On almost every entry nothing is pending: no virtual
 * timer armed, no NMI or interrupt posted, no window asked for, the TPR threshold at 0 and the
 * preemption timer holding its plain value (vintr.c). Then only PPR needs refreshing.
 */
static inline void vintr_prepare_entry(struct vcpu *v)
{
	if (v->apic.pid) { /* posting: the CPU delivers; only what it cannot see needs work */
		if (v->apic.deadline || __atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE) ||
		    (v->proc_ctl & (CPU_NMI_WINDOW_EXITING | CPU_HLT_EXITING)) || !v->preempt_quiet ||
		    pi_pending(&v->pid))
			vintr_prepare_entry_posted(v);
		return;
	}
	if (v->apic.deadline || __atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&v->apic.irr_posted, __ATOMIC_ACQUIRE) || v->tpr_threshold ||
	    (v->proc_ctl & (CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING)) || !v->preempt_quiet)
		vintr_prepare_entry_slow(v);
	else
		vintr_update_ppr(v);
}

#endif
