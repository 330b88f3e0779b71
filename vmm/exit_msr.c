/* RDMSR/WRMSR exits: the emulations behind the MSR_EMUL rules of cpu_policy.c, one read and one write function each. */
#include "exits.h"
#include "vintr.h"
#include "cpu_policy.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/tsc.h"

typedef bool (*msr_read_fn)(struct vcpu *v, u32 msr, u64 *val);
typedef bool (*msr_write_fn)(struct vcpu *v, u32 msr, u64 val);

static bool rd_zero(struct vcpu *v, u32 msr, u64 *val) { (void)v, (void)msr; *val = 0; return true; }
static bool wr_ignore(struct vcpu *v, u32 msr, u64 val) { (void)v, (void)msr, (void)val; return true; }

/*
 * SDM Vol. 3B 18.17.3: the guest's TSC is the host's plus the VMCS TSC offset
 * (SDM Vol. 3C 26.3, "use TSC offsetting"). A write to IA32_TIME_STAMP_COUNTER
 * moves IA32_TSC_ADJUST by the same amount; a write to IA32_TSC_ADJUST moves the
 * TSC by the difference to its old value.
 */
static u64 guest_tsc(void) { return rdtsc() + vmread(TSC_OFFSET); }
static bool rd_tsc(struct vcpu *v, u32 msr, u64 *val) { (void)v, (void)msr; *val = guest_tsc(); return true; }
static bool wr_tsc(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	u64 now = rdtsc();
	v->msr.tsc_adjust += val - (now + vmread(TSC_OFFSET));
	vmwrite(TSC_OFFSET, val - now);
	return true;
}
static bool rd_tsc_adjust(struct vcpu *v, u32 msr, u64 *val) { (void)msr; *val = v->msr.tsc_adjust; return true; }
static bool wr_tsc_adjust(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	vmwrite(TSC_OFFSET, vmread(TSC_OFFSET) + (val - v->msr.tsc_adjust));
	v->msr.tsc_adjust = val;
	return true;
}

/* SDM Vol. 4 table 2-2: fast strings is R/W; the rest of what Passage shows is read-only, and
 * a write that changes a read-only or reserved bit raises #GP. */
static bool rd_misc_enable(struct vcpu *v, u32 msr, u64 *val) { (void)msr; *val = v->msr.misc_enable; return true; }
static bool wr_misc_enable(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	if ((val ^ v->msr.misc_enable) & ~MISC_ENABLE_FAST_STRINGS)
		return false;
	v->msr.misc_enable = val;
	return true;
}

/* No variable or fixed MTRRs (VCNT, FIX, WC all 0): memory types come from EPT and PAT. */
static bool rd_mtrr_def_type(struct vcpu *v, u32 msr, u64 *val) { (void)msr; *val = v->msr.mtrr_def_type; return true; }
static bool wr_mtrr_def_type(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	if (val & ~0xcffULL)   /* type 7:0, FE 10, E 11 (SDM Vol. 3A 12.11.2.1) */
		return false;
	v->msr.mtrr_def_type = val;
	return true;
}
/* VMX is hidden: the control MSR reads locked with VMX off. */
static bool rd_feature_control(struct vcpu *v, u32 msr, u64 *val)
{
	(void)v, (void)msr;
	*val = FEATURE_CONTROL_LOCK;
	return true;
}

/* MSRs whose guest value lives in a VMCS guest-state field (SDM Vol. 3C 25.4.1). */
static u64 vmcs_field(u32 msr)
{
	switch (msr) {
	case MSR_IA32_SYSENTER_CS: return GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP: return GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP: return GUEST_SYSENTER_EIP;
	case MSR_IA32_PAT: return GUEST_IA32_PAT;
	default: return GUEST_IA32_EFER;
	}
}
static bool rd_vmcs(struct vcpu *v, u32 msr, u64 *val) { (void)v; *val = vmread(vmcs_field(msr)); return true; }
static bool wr_vmcs(struct vcpu *v, u32 msr, u64 val) { (void)v; vmwrite(vmcs_field(msr), val); return true; }

/* 25.8.1 / 27.3.1.1: EFER.LMA follows the IA-32e mode entry control, not the guest's write. */
static bool wr_efer(struct vcpu *v, u32 msr, u64 val)
{
	(void)v, (void)msr;
	if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
		return false;
	u64 lma = vmread(GUEST_IA32_EFER) & EFER_LMA;
	vmwrite(GUEST_IA32_EFER, (val & ~EFER_LMA) | lma);
	return true;
}

static bool rd_apic_base(struct vcpu *v, u32 msr, u64 *val) { (void)msr; *val = v->apic_base; return true; }

/* SDM Vol. 3A 11.12.5 figure 11-27: valid APIC mode transitions; x2APIC straight to xAPIC is not. */
static bool wr_apic_base(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	u64 old = v->apic_base;
	if ((val & APIC_BASE_EXTD) && !(val & APIC_BASE_EN))
		return false;                                  /* EXTD without EN: invalid */
	if ((old & APIC_BASE_EXTD) && (old & APIC_BASE_EN) && (val & APIC_BASE_EN) && !(val & APIC_BASE_EXTD))
		return false;                                  /* x2APIC -> xAPIC directly */
	if ((val & 0xfffff000ULL) != GUEST_APIC_GPA)
		return false;                                  /* Passage does not move the APIC */
	v->apic_base = (old & APIC_BASE_BSP) | (val & (APIC_BASE_EN | APIC_BASE_EXTD)) | GUEST_APIC_GPA;
	/* 11.12.5.1: no APIC register state survives a change of mode, except the ID: leaving or
	 * entering the disabled state puts the vLAPIC back in its power-up state. */
	if ((old ^ v->apic_base) & APIC_BASE_EN)
		vintr_apic_reset(v);
	vcpu_apic_mode_changed(v);
	vintr_apic_hold_update(v);
	return true;
}

/* x2APIC registers and IA32_TSC_DEADLINE: the vLAPIC's; #GP outside x2APIC mode (11.12.1.2). */
static bool rd_x2apic(struct vcpu *v, u32 msr, u64 *val)
{
	if (msr != MSR_IA32_TSC_DEADLINE && !(v->apic_base & APIC_BASE_EXTD))
		return false;
	if (!vlapic_rdmsr(&v->apic, msr, val))
		return false;
	if (msr == MSR_IA32_TSC_DEADLINE && *val)
		*val += vmread(TSC_OFFSET);     /* the vLAPIC keeps deadlines in host TSC */
	return true;
}

static bool wr_x2apic(struct vcpu *v, u32 msr, u64 val)
{
	if (msr != MSR_IA32_TSC_DEADLINE && !(v->apic_base & APIC_BASE_EXTD))
		return false;
	if (msr == MSR_IA32_TSC_DEADLINE && val) {
		u64 host = val - vmread(TSC_OFFSET);
		val = (s64)(val - guest_tsc()) <= 0 ? 1 : host; /* already past: expires at once */
	}
	if (!vlapic_wrmsr(&v->apic, msr, val))
		return false;
	if (msr == MSR_IA32_X2APIC_ICR)
		vcpu_send_ipi(v, val);
	vintr_apic_hold_update(v); /* SVR */
	return true;
}

struct msr_emul {
	msr_read_fn read;         /* NULL: #GP */
	msr_write_fn write;       /* NULL: #GP */
};

static const struct msr_emul emul[MSRH_COUNT] = {
	[MSRH_TSC] = { rd_tsc, wr_tsc },
	[MSRH_TSC_ADJUST] = { rd_tsc_adjust, wr_tsc_adjust },
	[MSRH_APIC_BASE] = { rd_apic_base, wr_apic_base },
	[MSRH_FEATURE_CONTROL] = { rd_feature_control, NULL },
	[MSRH_ZERO] = { rd_zero, wr_ignore },
	[MSRH_MTRRCAP] = { rd_zero, NULL },
	[MSRH_MTRR_DEF_TYPE] = { rd_mtrr_def_type, wr_mtrr_def_type },
	[MSRH_VMCS] = { rd_vmcs, wr_vmcs },
	[MSRH_MISC_ENABLE] = { rd_misc_enable, wr_misc_enable },
	[MSRH_X2APIC] = { rd_x2apic, wr_x2apic },
	[MSRH_EFER] = { rd_vmcs, wr_efer },
};

/* The emulation of msr if the policy emulates it in this direction, NULL for #GP. An MSR_PASS
 * MSR never exits (the bitmap lets it through to the CPU, which raises #GP itself if it lacks it). */
static const struct msr_emul *emulation(u32 msr, bool write)
{
	const struct msr_rule *r = cpu_policy_msr(msr);
	if (!r || (write ? r->write : r->read) != MSR_EMUL || r->handler >= MSRH_COUNT)
		return NULL;
	return &emul[r->handler];
}

/* SDM Vol. 2B RDMSR/WRMSR: an unimplemented MSR (or a refused value) raises #GP(0). */
bool exit_rdmsr(struct vcpu *v)
{
	u32 msr = (u32)v->regs.rcx;
	const struct msr_emul *e = emulation(msr, false);
	u64 val;
	if (!e || !e->read || !e->read(v, msr, &val)) {
		exit_inject_gp();
		return true;
	}
	v->regs.rax = (u32)val, v->regs.rdx = val >> 32;
	exit_skip_instruction();
	return true;
}

bool exit_wrmsr(struct vcpu *v)
{
	u32 msr = (u32)v->regs.rcx;
	const struct msr_emul *e = emulation(msr, true);
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;
	if (!e || !e->write || !e->write(v, msr, val)) {
		exit_inject_gp();
		return true;
	}
	exit_skip_instruction();
	return true;
}
