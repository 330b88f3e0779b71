/* Local APIC in xAPIC (MMIO) or x2APIC (MSR) mode (Intel SDM Vol. 3A chapter 11). */
#ifndef PASSAGE_ARCH_LAPIC_H
#define PASSAGE_ARCH_LAPIC_H

#include "lib/types.h"
#include "lib/status.h"

/* SDM Vol. 3A table 11-1: register offsets (x2APIC MSR = 0x800 + offset / 16). */
#define LAPIC_ID 0x020       /* Local APIC ID */
#define LAPIC_VER 0x030      /* Local APIC Version */
#define LAPIC_TPR 0x080      /* Task Priority */
#define LAPIC_EOI 0x0b0      /* EOI */
#define LAPIC_SVR 0x0f0      /* Spurious Interrupt Vector */
#define LAPIC_ESR 0x280      /* Error Status */
#define LAPIC_ICR_LO 0x300   /* Interrupt Command [31:0] */
#define LAPIC_ICR_HI 0x310   /* Interrupt Command [63:32] (xAPIC only) */
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_ICR 0x380 /* Initial Count */
#define LAPIC_TIMER_CCR 0x390 /* Current Count */
#define LAPIC_TIMER_DCR 0x3e0 /* Divide Configuration */

#define APIC_BASE_BSP BIT(8)     /* IA32_APIC_BASE: processor is BSP */
#define APIC_BASE_EXTD BIT(10)   /* x2APIC mode */
#define APIC_BASE_EN BIT(11)     /* xAPIC global enable */
#define SVR_APIC_ENABLE BIT(8)
#define SPURIOUS_VECTOR 0xff

#define ICR_INIT (5 << 8)        /* delivery mode INIT */
#define ICR_STARTUP (6 << 8)     /* delivery mode Start-Up */
#define ICR_LEVEL_ASSERT BIT(14)
#define ICR_TRIGGER_LEVEL BIT(15)
#define ICR_DELIVERY_PENDING BIT(12) /* xAPIC Delivery Status */

/* Enables the local APIC; x2APIC mode when want_x2apic and the CPU has it. */
status_t lapic_init(bool want_x2apic) MUST_CHECK;
bool lapic_x2apic(void);
u32 lapic_id(void);
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
status_t lapic_send_ipi(u32 apic_id, u32 icr_lo) MUST_CHECK;
void lapic_eoi(void);
/*
 * Halts this CPU until an interrupt, with the local APIC timer armed to fire at
 * TSC value deadline (0: no timer) when the CPU has TSC-deadline mode; without
 * it, it only pauses briefly. Interrupts are off again on return.
 */
void lapic_idle_until(u64 deadline);
/* Does lapic_idle_until wait on the TSC-deadline timer (else it only pauses)? */
bool lapic_idle_works(void);
/* Boot CPU, once, before other CPUs start: picks the idle wake-up vector. */
void lapic_idle_setup(void);
/* Periodic local APIC timer on vector (divide by 16, initial count count); 0 stops it. */
void lapic_timer_periodic(u8 vector, u32 count);

#endif
