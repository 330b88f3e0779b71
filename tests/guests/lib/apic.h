/* apic.h — local APIC (x2APIC MSRs and xAPIC MMIO), interrupt IDT and AP start-up helpers for the interrupt test guests. */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include <stdbool.h>
#include <stdint.h>

/* IA32_APIC_BASE (SDM Vol. 3A 11.4.4, 11.12.1). */
#define MSR_APIC_BASE       0x1bu
#define APIC_BASE_BSP       (1u << 8)
#define APIC_BASE_EXTD      (1u << 10)   /* x2APIC mode */
#define APIC_BASE_EN        (1u << 11)   /* APIC global enable */
#define APIC_BASE_ADDR_MASK 0xfffff000u

#define MSR_TSC_DEADLINE    0x6e0u       /* IA32_TSC_DEADLINE (SDM 11.5.4.1) */

/* x2APIC MSRs (SDM Vol. 3A table 11-6): MSR = 0x800 + xAPIC offset / 16. */
#define X2APIC_ID           0x802u
#define X2APIC_VERSION      0x803u
#define X2APIC_TPR          0x808u
#define X2APIC_PPR          0x80au
#define X2APIC_EOI          0x80bu
#define X2APIC_LDR          0x80du
#define X2APIC_SVR          0x80fu
#define X2APIC_ISR0         0x810u       /* ISR bits 31:0; 0x811 bits 63:32 ... */
#define X2APIC_TMR0         0x818u
#define X2APIC_IRR0         0x820u
#define X2APIC_ESR          0x828u
#define X2APIC_ICR          0x830u       /* 64-bit: destination in 63:32 */
#define X2APIC_LVT_TIMER    0x832u
#define X2APIC_LVT_LINT0    0x835u
#define X2APIC_LVT_LINT1    0x836u
#define X2APIC_TIMER_ICR    0x838u       /* initial count */
#define X2APIC_TIMER_CCR    0x839u       /* current count */
#define X2APIC_TIMER_DCR    0x83eu       /* divide configuration */
#define X2APIC_SELF_IPI     0x83fu

/* xAPIC MMIO offsets (SDM Vol. 3A table 11-1). */
#define XAPIC_DEFAULT_BASE  0xfee00000u
#define XAPIC_ID            0x020u
#define XAPIC_VERSION       0x030u
#define XAPIC_TPR           0x080u
#define XAPIC_EOI           0x0b0u
#define XAPIC_SVR           0x0f0u
#define XAPIC_ISR0          0x100u
#define XAPIC_IRR0          0x200u
#define XAPIC_ICR_LO        0x300u
#define XAPIC_ICR_HI        0x310u
#define XAPIC_LVT_TIMER     0x320u
#define XAPIC_TIMER_ICR     0x380u
#define XAPIC_TIMER_CCR     0x390u
#define XAPIC_TIMER_DCR     0x3e0u

#define SVR_ENABLE          (1u << 8)
#define SPURIOUS_VECTOR     0xffu

/* LVT timer (SDM figure 11-8). */
#define LVT_MASKED          (1u << 16)
#define LVT_ONESHOT         (0u << 17)
#define LVT_PERIODIC        (1u << 17)
#define LVT_TSC_DEADLINE    (2u << 17)
#define TIMER_DIV_1         0xbu         /* DCR: divide by 1 */

/* ICR (SDM figure 11-12 / 11.12.9). */
#define ICR_FIXED           (0u << 8)
#define ICR_INIT            (5u << 8)
#define ICR_STARTUP         (6u << 8)
#define ICR_LOGICAL         (1u << 11)
#define ICR_ASSERT          (1u << 14)
#define ICR_SELF            (1u << 18)
#define ICR_ALL_INCL_SELF   (2u << 18)
#define ICR_ALL_BUT_SELF    (3u << 18)

#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

/* apic.c */
extern volatile bool apic_x2;              /* this guest drives its APICs as x2APICs */

/* Puts this CPU's APIC in x2APIC mode (enabling it when the loader left it in xAPIC mode). */
bool x2apic_enable(void);
/* Masks the 8259 PICs and LVT LINT0/LINT1 (x2APIC mode): no legacy interrupts. */
void apic_quiet_legacy(void);
uint32_t xapic_read(uint32_t off);
void xapic_write(uint32_t off, uint32_t val);
void apic_eoi(void);                       /* MSR 0x80b or MMIO 0xb0, after apic_x2 */
/* Bit `vec` of a 256-bit APIC bitmap whose first x2APIC MSR is base (ISR0, TMR0, IRR0). */
bool x2apic_bit(uint32_t base, uint8_t vec);

/* irq.S / irq.c: a 256-entry IDT; vectors 0-31 keep start.S's exception stubs. */
struct irq_frame {
	uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
	uint32_t vector, eip, cs, eflags;
};
typedef void (*irq_handler_t)(struct irq_frame *f);

void irq_init(void);                       /* builds the IDT (once) and loads it on this CPU */
void irq_load(void);                       /* loads the IDT built by irq_init() on this CPU (APs) */
void irq_set_handler(uint8_t vec, irq_handler_t fn, bool manual_eoi);
void irq_reset_stats(void);
/* Per-vector statistics kept by the common handler (shared by all CPUs). */
extern volatile uint32_t irq_count[256];
extern volatile uint32_t irq_last_eip[256];
extern volatile uint64_t irq_last_tsc[256];

/* smp.S: the real-mode AP trampoline, copied to AP_TRAMPOLINE before the SIPI. */
#define AP_TRAMPOLINE 0x8000u              /* SIPI vector 0x08 */
extern char ap_tramp_start[], ap_tramp_end[];
extern volatile uint32_t ap_stack_top;     /* the AP's initial ESP */
void ap_main(void);                        /* the guest defines it; the AP calls it in 32-bit mode */
/* Starts the x2APIC AP apic_id on stack_top (INIT, SIPI; x2APIC mode); true once *started is set. */
bool ap_boot(uint32_t apic_id, uint32_t stack_top, volatile uint32_t *started, uint64_t budget);

#endif
