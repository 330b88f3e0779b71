/* RDMSR/WRMSR policy: a table of the MSRs a guest may use, each with a read and a write function. */
#include "exits.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"

typedef bool (*msr_read_fn)(struct vcpu *v, u32 msr, u64 *val);
typedef bool (*msr_write_fn)(struct vcpu *v, u32 msr, u64 val);

struct msr_entry {
	u32 first, last;          /* inclusive range */
	msr_read_fn read;         /* NULL: #GP */
	msr_write_fn write;       /* NULL: #GP */
};

static bool rd_zero(struct vcpu *v, u32 msr, u64 *val) { (void)v, (void)msr; *val = 0; return true; }
static bool wr_ignore(struct vcpu *v, u32 msr, u64 val) { (void)v, (void)msr, (void)val; return true; }
static bool rd_tsc(struct vcpu *v, u32 msr, u64 *val) { (void)v, (void)msr; *val = rdtsc(); return true; }
static bool rd_misc_enable(struct vcpu *v, u32 msr, u64 *val)
{
	(void)v, (void)msr;
	*val = MISC_ENABLE_FAST_STRINGS;
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
	return true;
}

/* x2APIC registers and IA32_TSC_DEADLINE: the vLAPIC's; #GP outside x2APIC mode (11.12.1.2). */
static bool rd_x2apic(struct vcpu *v, u32 msr, u64 *val)
{
	if (msr != MSR_IA32_TSC_DEADLINE && !(v->apic_base & APIC_BASE_EXTD))
		return false;
	return vlapic_rdmsr(&v->apic, msr, val);
}

static bool wr_x2apic(struct vcpu *v, u32 msr, u64 val)
{
	if (msr != MSR_IA32_TSC_DEADLINE && !(v->apic_base & APIC_BASE_EXTD))
		return false;
	if (!vlapic_wrmsr(&v->apic, msr, val))
		return false;
	if (msr == MSR_IA32_X2APIC_ICR)
		vcpu_send_ipi(v, val);
	return true;
}

#define ONE(m, r, w) { m, m, r, w }
static const struct msr_entry msrs[] = {
	ONE(MSR_IA32_TIME_STAMP_COUNTER, rd_tsc, wr_ignore),
	ONE(MSR_IA32_APIC_BASE, rd_apic_base, wr_apic_base),
	ONE(MSR_IA32_FEATURE_CONTROL, rd_feature_control, NULL),
	ONE(MSR_IA32_TSC_ADJUST, rd_zero, wr_ignore),
	ONE(MSR_IA32_SPEC_CTRL, NULL, wr_ignore),
	ONE(MSR_IA32_PRED_CMD, NULL, wr_ignore),
	ONE(MSR_IA32_BIOS_SIGN_ID, rd_zero, wr_ignore),
	ONE(MSR_IA32_MTRRCAP, rd_zero, NULL),
	{ MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_EIP, rd_vmcs, wr_vmcs },
	ONE(MSR_IA32_MISC_ENABLE, rd_misc_enable, NULL),
	ONE(MSR_IA32_DEBUGCTL, rd_zero, wr_ignore),
	ONE(MSR_IA32_PAT, rd_vmcs, wr_vmcs),
	ONE(MSR_IA32_MTRR_DEF_TYPE, rd_zero, wr_ignore),
	ONE(MSR_IA32_TSC_DEADLINE, rd_x2apic, wr_x2apic),
	{ MSR_IA32_X2APIC_FIRST, MSR_IA32_X2APIC_LAST, rd_x2apic, wr_x2apic },
	ONE(MSR_IA32_EFER, rd_vmcs, wr_efer),
};

static const struct msr_entry *lookup(u32 msr)
{
	for (u32 i = 0; i < ARRAY_SIZE(msrs); i++)
		if (msr >= msrs[i].first && msr <= msrs[i].last)
			return &msrs[i];
	return NULL;
}

/* SDM Vol. 2B RDMSR/WRMSR: an unimplemented MSR (or a refused value) raises #GP(0). */
bool exit_rdmsr(struct vcpu *v)
{
	u32 msr = (u32)v->regs.rcx;
	const struct msr_entry *e = lookup(msr);
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
	const struct msr_entry *e = lookup(msr);
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;
	if (!e || !e->write || !e->write(v, msr, val)) {
		exit_inject_gp();
		return true;
	}
	exit_skip_instruction();
	return true;
}
