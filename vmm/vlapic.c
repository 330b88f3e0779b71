/* Virtual local APIC over the virtual-APIC page: one-shot/periodic/TSC-deadline timer, IRR/ISR priority (SDM 11.5.4, 11.8). */
#include "vlapic.h"
#include "lib/string.h"

#define LVT_MASKED BIT(16)
#define TIMER_MODE(l) (((l) >> 17) & 3)    /* 0 one-shot, 1 periodic, 2 TSC-deadline */
#define SVR_ENABLE BIT(8)                  /* APIC software enable */
#define VERSION 0x50014                    /* version 0x14, 6 LVT entries (max LVT 5) */

static volatile u32 *reg(const struct vlapic *a, u32 off)
{
	return (volatile u32 *)(a->regs + off);
}

/* IRR/ISR/TMR bit v: 32 vectors per register, registers 16 bytes apart (SDM 11.8.4 figure 11-20).
 * Atomic: another vCPU of the domain may post into IRR while this one runs. */
static void set_vec(struct vlapic *a, u32 base, u32 v)
{
	__atomic_fetch_or((u32 *)(a->regs + base + 0x10 * (v / 32)), 1u << (v % 32), __ATOMIC_SEQ_CST);
}

static void clear_vec(struct vlapic *a, u32 base, u32 v)
{
	__atomic_fetch_and((u32 *)(a->regs + base + 0x10 * (v / 32)), ~(1u << (v % 32)), __ATOMIC_SEQ_CST);
}

static int highest(const struct vlapic *a, u32 base)
{
	for (int i = 7; i >= 0; i--) {
		u32 w = *reg(a, base + 0x10 * (u32)i);
		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

int vlapic_highest_irr(const struct vlapic *a) { return highest(a, APIC_IRR); }
int vlapic_highest_isr(const struct vlapic *a) { return highest(a, APIC_ISR); }

static void update_ppr(struct vlapic *a)
{
	vlapic_set(a, APIC_PPR, vlapic_ppr(a));
}

void vlapic_init(struct vlapic *a, u8 *page, u32 id, u64 tsc_khz)
{
	struct vlapic r = { .regs = page }; /* fill the page before other vCPUs can see it */
	memset(page, 0, PAGE_SIZE);
	vlapic_set(&r, APIC_ID, id << 24);            /* xAPIC format; x2APIC reads shift it down */
	vlapic_set(&r, APIC_VER, VERSION);
	vlapic_set(&r, APIC_LDR, 1u << (24 + (id & 7))); /* preset flat logical ID; the guest may rewrite it */
	vlapic_set(&r, APIC_DFR, 0xffffffff);           /* flat model */
	vlapic_set(&r, APIC_SVR, 0xff);                 /* SDM 11.4.7.1: software-disabled */
	static const u32 lvts[] = { APIC_LVT_CMCI, APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PMC,
				    APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_ERROR };
	for (u32 i = 0; i < ARRAY_SIZE(lvts); i++)
		vlapic_set(&r, lvts[i], LVT_MASKED);
	a->deadline = 0;
	a->timer_mode = 0;
	a->interrupts = 0;
	a->irr_posted = 0;
	a->isr_top = -1;
	if (a->pid) {
		u64 gone[4];
		pi_drain(a->pid, gone);
	}
	/* The virtual APIC timer runs at 1 GHz / divider, expressed in TSC cycles. */
	a->tsc_per_tick = tsc_khz / 1000000 ? tsc_khz / 1000000 : 1;
	__atomic_store_n(&a->regs, page, __ATOMIC_RELEASE);
}

static u32 divider(u32 dcr) /* SDM figure 11-10 */
{
	u32 v = ((dcr & 8) >> 1) | (dcr & 3);
	return v == 7 ? 1 : 2u << v;
}

static void arm_count(struct vlapic *a, u64 now)
{
	u32 icr = vlapic_get(a, APIC_TMICT);
	__atomic_store_n(&a->deadline, icr ? now + (u64)icr * divider(vlapic_get(a, APIC_TDCR)) * a->tsc_per_tick : 0,
			 __ATOMIC_RELEASE);
}

bool vlapic_set_irr(struct vlapic *a, u8 vector)
{
	if (vector < 16 || !__atomic_load_n(&a->regs, __ATOMIC_ACQUIRE))
		return false; /* vectors 0-15 are illegal (SDM 11.5.2); a vCPU not yet set up has no APIC */
	struct pi_desc *pid = __atomic_load_n(&a->pid, __ATOMIC_ACQUIRE);
	if (pid) {
		__atomic_add_fetch(&a->interrupts, 1, __ATOMIC_RELAXED); /* posted; the CPU delivers */
		return pi_post(pid, vector);
	}
	set_vec(a, APIC_IRR, vector);
	__atomic_store_n(&a->irr_posted, 1, __ATOMIC_RELEASE);
	return true;
}

void vlapic_merge_irr(struct vlapic *a, const u64 pir[4])
{
	for (u32 i = 0; i < 8; i++) {
		u32 w = (u32)(pir[i / 2] >> (32 * (i % 2)));
		if (w)
			__atomic_fetch_or((u32 *)(a->regs + APIC_IRR + 0x10 * i), w, __ATOMIC_SEQ_CST);
	}
}

int vlapic_pending(const struct vlapic *a)
{
	if (!a->pid && !__atomic_load_n(&a->irr_posted, __ATOMIC_ACQUIRE))
		return -1;
	int irr = highest(a, APIC_IRR);
	if (irr < 0 || !(vlapic_get(a, APIC_SVR) & SVR_ENABLE))
		return -1;
	return ((u32)irr & 0xf0) > (vlapic_ppr(a) & 0xf0) ? irr : -1;
}

void vlapic_accept(struct vlapic *a, u8 vector)
{
	__atomic_store_n(&a->irr_posted, 0, __ATOMIC_SEQ_CST);
	clear_vec(a, APIC_IRR, vector);
	if (highest(a, APIC_IRR) >= 0) /* a sender may have posted meanwhile: re-arm after clearing */
		__atomic_store_n(&a->irr_posted, 1, __ATOMIC_SEQ_CST);
	set_vec(a, APIC_ISR, vector);
	a->isr_top = highest(a, APIC_ISR);
	a->interrupts++;
	update_ppr(a);
}

/* SDM 11.8.5: an EOI clears the highest in-service bit. */
static void eoi(struct vlapic *a)
{
	int i = a->isr_top;
	if (i >= 0)
		clear_vec(a, APIC_ISR, (u32)i);
	a->isr_top = highest(a, APIC_ISR);
	update_ppr(a);
}

/*
 * With CPU posting a second CPU may keep this timer (vtimer.c): the expiry is claimed by a
 * compare-and-swap of the deadline, so each one fires once, and a deadline the guest rewrote
 * meanwhile is left alone (it is the guest's newer request).
 */
int vlapic_timer_take(struct vlapic *a, u64 now, u64 *next)
{
	u64 d = __atomic_load_n(&a->deadline, __ATOMIC_ACQUIRE);
	*next = d;
	if (!d || now < d)
		return -1;
	u64 n = 0;
	u32 icr = vlapic_get(a, APIC_TMICT);
	if (a->timer_mode == 1 && icr) /* periodic: reload the count; periods missed meanwhile are dropped */
		n = now + (u64)icr * divider(vlapic_get(a, APIC_TDCR)) * a->tsc_per_tick;
	if (!__atomic_compare_exchange_n(&a->deadline, &d, n, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		*next = d; /* taken by the other CPU, or rewritten by the guest */
		return -1;
	}
	*next = n;
	u32 lvt = vlapic_get(a, APIC_LVT_TIMER);
	return lvt & LVT_MASKED ? -1 : (int)(u8)lvt;
}

u64 vlapic_poll_timer(struct vlapic *a, u64 now)
{
	u64 next;
	int vec = vlapic_timer_take(a, now, &next);
	if (vec >= 0)
		vlapic_set_irr(a, (u8)vec);
	return next;
}

static u32 current_count(const struct vlapic *a, u64 now)
{
	if (!a->deadline || a->timer_mode == 2 || now >= a->deadline)
		return 0;
	return (u32)((a->deadline - now) / (divider(vlapic_get(a, APIC_TDCR)) * a->tsc_per_tick));
}

bool vlapic_read(struct vlapic *a, u32 off, u64 now, u32 *val)
{
	if (off >= APIC_ISR && off < APIC_ESR && !(off & 0xf)) { /* ISR, TMR, IRR */
		*val = vlapic_get(a, off);
		return true;
	}
	switch (off) {
	case APIC_PPR:
		*val = vlapic_ppr(a);
		return true;
	case APIC_TMCCT:
		*val = current_count(a, now);
		return true;
	case APIC_ID: case APIC_VER: case APIC_TPR: case APIC_LDR: case APIC_DFR: case APIC_SVR:
	case APIC_ESR: case APIC_LVT_CMCI: case APIC_ICR_LO: case APIC_ICR_HI: case APIC_LVT_TIMER:
	case APIC_LVT_THERMAL: case APIC_LVT_PMC: case APIC_LVT_LINT0: case APIC_LVT_LINT1:
	case APIC_LVT_ERROR: case APIC_TMICT: case APIC_TDCR:
		*val = vlapic_get(a, off);
		return true;
	}
	return false;
}

static void write_lvt_timer(struct vlapic *a, u32 v)
{
	if (TIMER_MODE(v) != a->timer_mode)
		__atomic_store_n(&a->deadline, 0, __ATOMIC_RELEASE); /* SDM 11.5.4.1: switching mode disarms it */
	a->timer_mode = TIMER_MODE(v);
	vlapic_set(a, APIC_LVT_TIMER, v);
}

bool vlapic_write(struct vlapic *a, u32 off, u32 val, u64 now)
{
	switch (off) {
	case APIC_TPR: vlapic_set(a, off, val & 0xff); update_ppr(a); return true;
	case APIC_EOI: vlapic_set(a, off, 0); eoi(a); return true;
	case APIC_LDR: vlapic_set(a, off, val & 0xff000000); return true;
	case APIC_DFR: vlapic_set(a, off, val | 0x0fffffff); return true; /* bits 27:0 read as 1s */
	case APIC_SVR: vlapic_set(a, off, val & 0x1ff); return true;
	case APIC_ESR: vlapic_set(a, off, 0); return true; /* no errors to latch */
	case APIC_ICR_LO: case APIC_ICR_HI: /* sending is the caller's business (vipi.c) */
	case APIC_LVT_CMCI: case APIC_LVT_THERMAL: case APIC_LVT_PMC: case APIC_LVT_LINT0:
	case APIC_LVT_LINT1: case APIC_LVT_ERROR:
		vlapic_set(a, off, val);
		return true;
	case APIC_LVT_TIMER: write_lvt_timer(a, val); return true;
	case APIC_TMICT:
		vlapic_set(a, off, val);
		if (a->timer_mode != 2) /* SDM 11.5.4.1: ignored in TSC-deadline mode */
			arm_count(a, now);
		return true;
	case APIC_TDCR: vlapic_set(a, off, val & 0xb); return true;
	case APIC_SELF_IPI: vlapic_set_irr(a, (u8)val); return true;
	}
	return false;
}

bool vlapic_rdmsr_at(struct vlapic *a, u32 msr, u64 now, u64 *val)
{
	u32 off = (msr - 0x800) * 16, v;
	if (msr == MSR_IA32_TSC_DEADLINE) {
		*val = a->timer_mode == 2 ? a->deadline : 0;
		return true;
	}
	if (msr < 0x800 || msr > 0x8ff)
		return false;
	switch (off) { /* SDM 11.12.1.2 table 11-6: x2APIC views of these registers */
	case APIC_ID: *val = vlapic_get(a, APIC_ID) >> 24; return true;
	case APIC_LDR: { /* 11.12.10.2: cluster ID[19:4] in 31:16, 1 << ID[3:0] in 15:0 */
		u32 id = vlapic_get(a, APIC_ID) >> 24;
		*val = ((id >> 4) << 16) | (1u << (id & 0xf));
		return true;
	}
	case APIC_ICR_LO: *val = ((u64)vlapic_get(a, APIC_ICR_HI) << 32) | vlapic_get(a, APIC_ICR_LO); return true;
	case APIC_DFR: case APIC_ICR_HI: return false; /* no x2APIC MSR */
	}
	if (!vlapic_read(a, off, now, &v))
		return false;
	*val = v;
	return true;
}

bool vlapic_wrmsr_at(struct vlapic *a, u32 msr, u64 val, u64 now)
{
	u32 off = (msr - 0x800) * 16;
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (a->timer_mode == 2)
			__atomic_store_n(&a->deadline, val, __ATOMIC_RELEASE); /* SDM 11.5.4.1: ignored outside TSC-deadline mode */
		return true;
	}
	if (msr < 0x800 || msr > 0x8ff)
		return false;
	switch (off) {
	case APIC_ICR_LO: /* one 64-bit register in x2APIC mode: the destination is bits 63:32 */
		vlapic_set(a, APIC_ICR_HI, (u32)(val >> 32));
		vlapic_set(a, APIC_ICR_LO, (u32)val);
		return true;
	case APIC_LDR: case APIC_DFR: case APIC_ICR_HI:
		return false; /* read-only or absent in x2APIC mode */
	}
	return vlapic_write(a, off, (u32)val, now);
}

bool vlapic_rdmsr(struct vlapic *a, u32 msr, u64 *val)
{
	return vlapic_rdmsr_at(a, msr, __builtin_ia32_rdtsc(), val);
}

bool vlapic_wrmsr(struct vlapic *a, u32 msr, u64 val)
{
	return vlapic_wrmsr_at(a, msr, val, __builtin_ia32_rdtsc());
}

bool vlapic_mmio_write(struct vlapic *a, u32 off, u32 val, u32 icr_hi)
{
	(void)icr_hi; /* already in the page at APIC_ICR_HI */
	if (off == APIC_SELF_IPI)
		return false; /* x2APIC only */
	return vlapic_write(a, off, val, __builtin_ia32_rdtsc());
}

bool vlapic_match_dest(const struct vlapic *a, u32 id, u32 dest, bool logical, bool x2apic)
{
	if (!logical) /* physical: the ID, or the broadcast ID (SDM 11.6.2.1, 11.12.9) */
		return x2apic ? dest == id || dest == 0xffffffff : (dest & 0xff) == id || (dest & 0xff) == 0xff;
	if (x2apic) { /* 11.12.10.2: cluster in 31:16, member bitmap in 15:0; 0xffffffff broadcasts */
		if (dest == 0xffffffff)
			return true;
		return (dest >> 16) == (id >> 4) && (dest & (1u << (id & 0xf)));
	}
	/* 11.6.2.2: xAPIC logical, the model from DFR[31:28]; MDA in bits 7:0 of the destination. */
	/* A vCPU not yet set up has the preset flat logical ID (vlapic_init). */
	u32 mda = dest & 0xff, ldr = a->regs ? vlapic_get(a, APIC_LDR) >> 24 : 1u << (id & 7);
	u32 model = a->regs ? vlapic_get(a, APIC_DFR) >> 28 : 0xf;
	if (mda == 0xff)
		return true; /* broadcast to all */
	if (model == 0xf) /* flat: any common bit */
		return (mda & ldr) != 0;
	/* cluster (DFR model 0): cluster address in 7:4 must match, member bits in 3:0 */
	return (mda >> 4) == (ldr >> 4) && (mda & ldr & 0xf) != 0;
}

bool vlapic_ipi_targets(const struct vlapic *a, u32 id, bool is_self, u64 icr, bool x2apic)
{
	switch (ICR_SHORTHAND(icr)) { /* SDM 11.6.1: a shorthand overrides the destination field */
	case 1: return is_self;
	case 2: return true;
	case 3: return !is_self;
	}
	return vlapic_match_dest(a, id, ICR_DEST(icr), icr & ICR_LOGICAL, x2apic);
}
