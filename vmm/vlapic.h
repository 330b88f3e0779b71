/* Virtual local APIC (x2APIC MSR interface) per vCPU: timer, EOI, TPR, pending interrupts. */
#ifndef PASSAGE_VMM_VLAPIC_H
#define PASSAGE_VMM_VLAPIC_H

#include "lib/types.h"

struct vlapic {
	u32 id;
	u32 tpr, svr, ldr, esr;
	u32 lvt_timer, lvt_lint0, lvt_lint1, lvt_error, lvt_thermal, lvt_pmc, lvt_cmci;
	u32 timer_icr, timer_dcr;
	u64 timer_start;          /* TSC when the count was loaded */
	u64 deadline;             /* TSC value when the timer fires, 0 = not armed */
	u32 irr[8], isr[8];       /* 256-bit request and in-service registers */
	u64 icr;
	u64 tsc_per_tick;         /* TSC cycles per APIC timer tick before the divider */
	u64 interrupts;           /* delivered */
	bool dirty;               /* registers changed since the last vlapic_to_page */
	volatile u32 irr_posted;  /* IRR may be non-empty: the exit path skips the scan when 0 */
};

void vlapic_init(struct vlapic *a, u32 id, u64 tsc_khz);
/* x2APIC MSR access (SDM 11.12.1.2, MSRs 0x800-0x8ff) and IA32_TSC_DEADLINE. */
bool vlapic_rdmsr(struct vlapic *a, u32 msr, u64 *val);
bool vlapic_wrmsr(struct vlapic *a, u32 msr, u64 val);
/* Moves an expired timer into IRR; returns the TSC of the next deadline (0 = none). */
u64 vlapic_poll_timer(struct vlapic *a, u64 now);
void vlapic_set_irr(struct vlapic *a, u8 vector);
/* Highest pending vector deliverable above the processor priority, or -1. */
int vlapic_pending(const struct vlapic *a);
/* Mirrors the registers into an xAPIC-layout page (SDM 11.4.1 table 11-1). */
void vlapic_to_page(struct vlapic *a, u8 *page);
/* xAPIC register write at offset off (from an APIC-write exit); icr_hi is register 0x310. */
bool vlapic_mmio_write(struct vlapic *a, u32 off, u32 val, u32 icr_hi);
int vlapic_highest_irr(const struct vlapic *a);
/* The CPU accepts vector: IRR -> ISR. */
void vlapic_accept(struct vlapic *a, u8 vector);

#endif
