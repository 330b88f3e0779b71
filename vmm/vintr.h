/* Event injection into a vCPU before VM entry: pending vLAPIC interrupts, interrupt windows, timer exits. */
#ifndef PASSAGE_VMM_VINTR_H
#define PASSAGE_VMM_VINTR_H

#include "lib/types.h"

struct vcpu;

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

/* Before each entry of v on its own CPU, at TSC now: expire the virtual timer, inject or ask
 * for a window, keep the TPR threshold and the VMX-preemption timer right. */
void vintr_prepare_entry(struct vcpu *v, u64 now);

#endif
