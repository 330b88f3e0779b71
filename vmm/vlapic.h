/* Virtual local APIC per vCPU over its virtual-APIC page: registers, timer, EOI, priority, destinations. */
#ifndef PASSAGE_VMM_VLAPIC_H
#define PASSAGE_VMM_VLAPIC_H

#include "lib/types.h"
#include "arch/x86/pi_desc.h"

/* Register offsets in the virtual-APIC page, xAPIC layout (SDM 11.4.1 table 11-1). The x2APIC MSR
 * of a register is 0x800 + offset / 16 (SDM 11.12.1.2). Edition cited: SDM Vol. 3, 2023. */
#define APIC_ID 0x20          /* Local APIC ID */
#define APIC_VER 0x30         /* Local APIC Version */
#define APIC_TPR 0x80         /* Task Priority Register */
#define APIC_PPR 0xa0         /* Processor Priority Register */
#define APIC_EOI 0xb0         /* EOI Register */
#define APIC_LDR 0xd0         /* Logical Destination Register */
#define APIC_DFR 0xe0         /* Destination Format Register */
#define APIC_SVR 0xf0         /* Spurious Interrupt Vector Register */
#define APIC_ISR 0x100        /* In-Service Register, 8 words 16 bytes apart */
#define APIC_TMR 0x180        /* Trigger Mode Register */
#define APIC_IRR 0x200        /* Interrupt Request Register */
#define APIC_ESR 0x280        /* Error Status Register */
#define APIC_LVT_CMCI 0x2f0   /* LVT Corrected Machine Check Interrupt */
#define APIC_ICR_LO 0x300     /* Interrupt Command Register bits 31:0 */
#define APIC_ICR_HI 0x310     /* Interrupt Command Register bits 63:32 (xAPIC: destination in 31:24) */
#define APIC_LVT_TIMER 0x320  /* LVT Timer */
#define APIC_LVT_THERMAL 0x330 /* LVT Thermal Sensor */
#define APIC_LVT_PMC 0x340    /* LVT Performance Monitoring Counters */
#define APIC_LVT_LINT0 0x350  /* LVT LINT0 */
#define APIC_LVT_LINT1 0x360  /* LVT LINT1 */
#define APIC_LVT_ERROR 0x370  /* LVT Error */
#define APIC_TMICT 0x380      /* Initial Count (timer) */
#define APIC_TMCCT 0x390      /* Current Count (timer): computed, never stored */
#define APIC_TDCR 0x3e0       /* Divide Configuration (timer) */
#define APIC_SELF_IPI 0x3f0   /* SELF IPI (x2APIC only) */

#define MSR_IA32_TSC_DEADLINE 0x6e0

/*
 * The virtual-APIC page is the one register file (SDM 29.1): the guest's xAPIC
 * reads are served from it by the CPU (APIC-register virtualization), and once
 * virtual-interrupt delivery is on the CPU itself writes IRR/ISR/PPR there.
 * Beside it lives only what the page has no place for: the timer.
 */
struct vlapic {
	u8 *regs;                 /* the virtual-APIC page; NULL until the vCPU is set up */
	u64 deadline;             /* TSC value when the timer fires, 0 = not armed */
	u32 timer_mode;           /* LVT timer mode the timer was armed in (0 one-shot, 1 periodic, 2 TSC-deadline) */
	u64 tsc_per_tick;         /* TSC cycles per APIC timer tick before the divider */
	u64 interrupts;           /* injected (without posting) or posted (with) */
	volatile u32 irr_posted;  /* IRR may be non-empty: the exit path skips the scan when 0 */
	int isr_top;              /* highest in-service vector, -1 = none: ISR changes only in
				   * vlapic.c (accept, EOI, init), so PPR needs no ISR scan */
	struct pi_desc *pid;      /* with CPU posting (vintr.c): requests go here, never straight into
				   * IRR, which the CPU owns while the guest runs; NULL without */
};

/* Resets the registers in page (SDM 11.4.7.1 power-up state) and publishes it as a's register file;
 * with posting, requests still in the descriptor are dropped too (INIT clears IRR). */
void vlapic_init(struct vlapic *a, u8 *page, u32 id, u64 tsc_khz);
/* Raw register access by offset (no side effects). */
static inline u32 vlapic_get(const struct vlapic *a, u32 off)
{
	return *(volatile u32 *)(a->regs + off);
}

static inline void vlapic_set(struct vlapic *a, u32 off, u32 val)
{
	*(volatile u32 *)(a->regs + off) = val;
}

/* SDM 11.8.3.1: PPR is TPR when its class is at least the highest in-service class, else that
 * class. Without virtual-interrupt delivery the CPU keeps no PPR in the page (SDM 29.1.1). */
static inline u32 vlapic_ppr(const struct vlapic *a)
{
	if (a->pid) /* SDM Vol. 3C 30.1.3: with virtual-interrupt delivery the CPU keeps VPPR */
		return vlapic_get(a, APIC_PPR);
	u32 isrv = a->isr_top >= 0 ? (u32)a->isr_top & 0xf0 : 0, tpr = vlapic_get(a, APIC_TPR) & 0xff;
	return (tpr & 0xf0) >= isrv ? tpr : isrv;
}
/* SVR[8], APIC software enable (SDM 11.4.7.2). */
static inline bool vlapic_sw_enabled(const struct vlapic *a)
{
	return vlapic_get(a, APIC_SVR) & BIT(8);
}
/* The guest reads / writes register off at TSC now, with the architectural side effects
 * (EOI, timer arming, read-only and reserved registers). False: no such register (#GP for MSRs). */
bool vlapic_read(struct vlapic *a, u32 off, u64 now, u32 *val);
bool vlapic_write(struct vlapic *a, u32 off, u32 val, u64 now);
/* x2APIC MSR access (SDM 11.12.1.2, MSRs 0x800-0x8ff) and IA32_TSC_DEADLINE, at TSC now. */
bool vlapic_rdmsr_at(struct vlapic *a, u32 msr, u64 now, u64 *val);
bool vlapic_wrmsr_at(struct vlapic *a, u32 msr, u64 val, u64 now);
/* The same at the current TSC. */
bool vlapic_rdmsr(struct vlapic *a, u32 msr, u64 *val);
bool vlapic_wrmsr(struct vlapic *a, u32 msr, u64 val);
/* An APIC-write exit at off (SDM 29.4.3.3): the value is already in the page; apply its effects. */
bool vlapic_mmio_write(struct vlapic *a, u32 off, u32 val, u32 icr_hi);
/* Moves an expired timer into IRR; returns the TSC of the next deadline (0 = none). */
u64 vlapic_poll_timer(struct vlapic *a, u64 now);
/* Claims an expired timer without requesting it: its vector (-1: none expired, or masked);
 * *next is the deadline from now on (0 = none). Safe with two CPUs polling the same timer. */
int vlapic_timer_take(struct vlapic *a, u64 now, u64 *next);
/* Requests vector (into IRR, or with posting into the descriptor's PIR). True when whoever runs
 * the vCPU must be told: a kick without posting, a notification when this post set ON. */
bool vlapic_set_irr(struct vlapic *a, u8 vector);
/* ORs posted requests (a PIR image, bit v = vector v) into IRR. */
void vlapic_merge_irr(struct vlapic *a, const u64 pir[4]);
/* Highest pending vector deliverable above the processor priority, or -1. */
int vlapic_pending(const struct vlapic *a);
int vlapic_highest_irr(const struct vlapic *a);
int vlapic_highest_isr(const struct vlapic *a);
/* The CPU accepts vector: IRR -> ISR, PPR follows. */
void vlapic_accept(struct vlapic *a, u8 vector);
/* SDM 11.6.2: does the local APIC a with APIC ID id accept a message with destination dest?
 * x2apic selects the x2APIC interpretation (32-bit IDs, cluster LDR derived from the ID, SDM
 * 11.12.10.2). a may not be set up yet (an AP waiting for SIPI): then the preset LDR/DFR apply. */
bool vlapic_match_dest(const struct vlapic *a, u32 id, u32 dest, bool logical, bool x2apic);

/* Interrupt Command Register fields (SDM 11.6.1 figure 11-12). */
#define ICR_VECTOR(i) ((u8)(i))
#define ICR_MODE(i) (((i) >> 8) & 7)        /* 0 fixed, 1 lowest priority, 4 NMI, 5 INIT, 6 SIPI */
#define ICR_LOGICAL BIT(11)                 /* destination mode */
#define ICR_LEVEL BIT(14)                   /* INIT with level 0 is a de-assert */
#define ICR_SHORTHAND(i) (((i) >> 18) & 3)  /* 0 none, 1 self, 2 all including self, 3 all but self */
#define ICR_DEST(i) ((u32)((i) >> 32))      /* x2APIC layout; xAPIC callers pass ICR_HI >> 24 here */
/* Is the local APIC a with ID id (is_self: the sender's own) a target of an IPI with this ICR? */
bool vlapic_ipi_targets(const struct vlapic *a, u32 id, bool is_self, u64 icr, bool x2apic);

#endif
