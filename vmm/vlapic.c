/* Virtual x2APIC: register file, one-shot/periodic/TSC-deadline timer, IRR/ISR priority (SDM 11.5.4, 11.8). */
#include "vlapic.h"
#include "lib/string.h"

#define LVT_MASKED BIT(16)
#define TIMER_MODE(l) (((l) >> 17) & 3)    /* 0 one-shot, 1 periodic, 2 TSC-deadline */
#define MSR_TSC_DEADLINE 0x6e0

/* Atomic: another vCPU of the domain may post into IRR while this one runs. */
static void set_bit(u32 *bm, u32 v) { __atomic_fetch_or(&bm[v / 32], 1u << (v % 32), __ATOMIC_SEQ_CST); }
static void clear_bit(u32 *bm, u32 v) { __atomic_fetch_and(&bm[v / 32], ~(1u << (v % 32)), __ATOMIC_SEQ_CST); }

static int highest(const u32 *bm)
{
	for (int i = 7; i >= 0; i--)
		if (bm[i])
			return i * 32 + 31 - __builtin_clz(bm[i]);
	return -1;
}

void vlapic_init(struct vlapic *a, u32 id, u64 tsc_khz)
{
	memset(a, 0, sizeof(*a));
	a->dirty = true;
	a->id = id;
	a->svr = 0xff;
	a->lvt_timer = a->lvt_lint0 = a->lvt_lint1 = a->lvt_error = LVT_MASKED;
	a->lvt_thermal = a->lvt_pmc = a->lvt_cmci = LVT_MASKED;
	/* The virtual APIC timer runs at 1 GHz / divider... expressed in TSC cycles. */
	a->tsc_per_tick = tsc_khz / 1000000 ? tsc_khz / 1000000 : 1;
}

static u32 divider(u32 dcr) /* SDM figure 11-10 */
{
	u32 v = ((dcr & 8) >> 1) | (dcr & 3);
	return v == 7 ? 1 : 2u << v;
}

static void arm_count(struct vlapic *a, u64 now)
{
	a->timer_start = now;
	a->deadline = a->timer_icr ? now + (u64)a->timer_icr * divider(a->timer_dcr) * a->tsc_per_tick : 0;
}

void vlapic_set_irr(struct vlapic *a, u8 vector)
{
	if (vector >= 16) {
		set_bit(a->irr, vector);
		a->dirty = true;
		__atomic_store_n(&a->irr_posted, 1, __ATOMIC_RELEASE);
	}
}

/* SDM 11.8.3.1: PPR is TPR when its class is at least the highest in-service class. */
static u32 ppr(const struct vlapic *a)
{
	int isr = highest(a->isr);
	u32 isrv = isr >= 0 ? (u32)isr & 0xf0 : 0;
	return (a->tpr & 0xf0) >= isrv ? a->tpr & 0xff : isrv;
}

int vlapic_pending(const struct vlapic *a)
{
	if (!__atomic_load_n(&a->irr_posted, __ATOMIC_ACQUIRE))
		return -1;
	int irr = highest(a->irr);
	if (irr < 0 || !(a->svr & BIT(8)))
		return -1;
	return ((u32)irr & 0xf0) > (ppr(a) & 0xf0) ? irr : -1;
}

int vlapic_highest_irr(const struct vlapic *a)
{
	return highest(a->irr);
}

void vlapic_accept(struct vlapic *a, u8 vector)
{
	__atomic_store_n(&a->irr_posted, 0, __ATOMIC_SEQ_CST);
	clear_bit(a->irr, vector);
	if (highest(a->irr) >= 0) /* a sender may have posted meanwhile: re-arm after clearing */
		__atomic_store_n(&a->irr_posted, 1, __ATOMIC_SEQ_CST);
	set_bit(a->isr, vector);
	a->interrupts++;
	a->dirty = true;
}

u64 vlapic_poll_timer(struct vlapic *a, u64 now)
{
	if (!a->deadline)
		return 0;
	if (now < a->deadline)
		return a->deadline;
	if (!(a->lvt_timer & LVT_MASKED))
		vlapic_set_irr(a, (u8)a->lvt_timer);
	if (TIMER_MODE(a->lvt_timer) == 1 && a->timer_icr)
		arm_count(a, a->deadline > now ? a->deadline : now);
	else
		a->deadline = 0;
	return a->deadline;
}

static u32 current_count(const struct vlapic *a, u64 now)
{
	if (!a->deadline || TIMER_MODE(a->lvt_timer) == 2 || now >= a->deadline)
		return 0;
	return (u32)((a->deadline - now) / (divider(a->timer_dcr) * a->tsc_per_tick));
}

bool vlapic_rdmsr(struct vlapic *a, u32 msr, u64 *val)
{
	u64 now = __builtin_ia32_rdtsc();
	if (msr == MSR_TSC_DEADLINE) {
		*val = TIMER_MODE(a->lvt_timer) == 2 ? a->deadline : 0;
		return true;
	}
	switch (msr) {
	case 0x802: *val = a->id; return true;
	case 0x803: *val = 0x50014; return true;       /* version 0x14, 6 LVT entries */
	case 0x808: *val = a->tpr; return true;
	case 0x80a: *val = ppr(a); return true;
	case 0x80d: *val = ((a->id >> 4) << 16) | (1u << (a->id & 0xf)); return true; /* 11.12.10.2 */
	case 0x80f: *val = a->svr; return true;
	case 0x828: *val = a->esr; return true;
	case 0x82f: *val = a->lvt_cmci; return true;
	case 0x830: *val = a->icr; return true;
	case 0x832: *val = a->lvt_timer; return true;
	case 0x833: *val = a->lvt_thermal; return true;
	case 0x834: *val = a->lvt_pmc; return true;
	case 0x835: *val = a->lvt_lint0; return true;
	case 0x836: *val = a->lvt_lint1; return true;
	case 0x837: *val = a->lvt_error; return true;
	case 0x838: *val = a->timer_icr; return true;
	case 0x839: *val = current_count(a, now); return true;
	case 0x83e: *val = a->timer_dcr; return true;
	}
	if (msr >= 0x810 && msr <= 0x817) { *val = a->isr[msr - 0x810]; return true; }
	if (msr >= 0x818 && msr <= 0x81f) { *val = 0; return true; }
	if (msr >= 0x820 && msr <= 0x827) { *val = a->irr[msr - 0x820]; return true; }
	return false;
}

bool vlapic_wrmsr(struct vlapic *a, u32 msr, u64 val)
{
	u64 now = __builtin_ia32_rdtsc();
	a->dirty = true;
	u32 v = (u32)val;
	if (msr == MSR_TSC_DEADLINE) {
		if (TIMER_MODE(a->lvt_timer) == 2)
			a->deadline = val;
		return true;
	}
	switch (msr) {
	case 0x808: a->tpr = v & 0xff; return true;
	case 0x80b: { int i = highest(a->isr); if (i >= 0) clear_bit(a->isr, (u32)i); return true; }
	case 0x80f: a->svr = v & 0x1ff; return true;
	case 0x828: a->esr = 0; return true;
	case 0x82f: a->lvt_cmci = v; return true;
	case 0x830: /* ICR: self-IPI and fixed IPIs to itself; others are the caller's business */
		a->icr = val;
		return true;
	case 0x832:
		if (TIMER_MODE(v) != TIMER_MODE(a->lvt_timer))
			a->deadline = 0; /* SDM 11.5.4.1: switching mode disarms the timer */
		a->lvt_timer = v;
		return true;
	case 0x833: a->lvt_thermal = v; return true;
	case 0x834: a->lvt_pmc = v; return true;
	case 0x835: a->lvt_lint0 = v; return true;
	case 0x836: a->lvt_lint1 = v; return true;
	case 0x837: a->lvt_error = v; return true;
	case 0x838:
		a->timer_icr = v;
		if (TIMER_MODE(a->lvt_timer) != 2)
			arm_count(a, now);
		return true;
	case 0x83e: a->timer_dcr = v & 0xb; return true;
	case 0x83f: vlapic_set_irr(a, (u8)v); return true; /* SELF IPI */
	}
	return false;
}

static void put(u8 *page, u32 off, u32 v)
{
	*(volatile u32 *)(page + off) = v;
}

void vlapic_to_page(struct vlapic *a, u8 *page)
{
	a->dirty = false;
	put(page, 0x20, a->id << 24);
	put(page, 0x80, a->tpr);
	put(page, 0x30, 0x50014);
	put(page, 0xd0, (1u << (24 + (a->id & 7))));   /* LDR (flat model) */
	put(page, 0xe0, 0xffffffff);                    /* DFR: flat */
	put(page, 0xf0, a->svr);
	for (u32 i = 0; i < 8; i++) {
		put(page, 0x100 + 0x10 * i, a->isr[i]);
		put(page, 0x180 + 0x10 * i, 0);
		put(page, 0x200 + 0x10 * i, a->irr[i]);
	}
	put(page, 0x280, a->esr);
	put(page, 0x2f0, a->lvt_cmci);
	put(page, 0x320, a->lvt_timer);
	put(page, 0x330, a->lvt_thermal);
	put(page, 0x340, a->lvt_pmc);
	put(page, 0x350, a->lvt_lint0);
	put(page, 0x360, a->lvt_lint1);
	put(page, 0x370, a->lvt_error);
	put(page, 0x380, a->timer_icr);
	put(page, 0x3e0, a->timer_dcr);
}

bool vlapic_mmio_write(struct vlapic *a, u32 off, u32 val, u32 icr_hi)
{
	if (off == 0x300) /* ICR: xAPIC destination is in bits 31:24 of the high half */
		return vlapic_wrmsr(a, 0x830, ((u64)(icr_hi >> 24) << 32) | val);
	if (off == 0x20 || off == 0xd0 || off == 0xe0 || off == 0x310)
		return true; /* ID, LDR, DFR writes: accepted, Passage keeps its own IDs */
	return vlapic_wrmsr(a, 0x800 + off / 16, val);
}
