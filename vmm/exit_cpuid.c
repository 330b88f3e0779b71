/* CPUID exits: the host's leaves filtered through the feature table of cpu_policy.c (SDM Vol. 2A "CPUID"). */
#include "exits.h"
#include "cpu_policy.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "lib/string.h"

#define CPUID1_EDX_APIC BIT(9)             /* on-chip APIC, and enabled (SDM Vol. 3A 11.4.3) */
#define CPUID1_ECX_OSXSAVE BIT(27)         /* mirrors CR4.OSXSAVE */
#define CPUID7_EBX_INVPCID BIT(10)
#define CPUID7_ECX_OSPKE BIT(4)            /* mirrors CR4.PKE */
#define CPUID7_ECX_RDPID BIT(22)
#define CPUIDD1_EAX_XSAVES BIT(3)
#define CPUID81_EDX_RDTSCP BIT(27)
#define CR4_OSXSAVE BIT(18)
#define CR4_PKE BIT(22)
#define HV_LEAF 0x40000000                 /* hypervisor range: 0x40000000-0x400000ff */

/* Feature flags: only the bits the table exposes. */
static void apply_policy(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	u32 *regs[4] = { &r->eax, &r->ebx, &r->ecx, &r->edx };
	for (u32 reg = CPUID_EAX; reg <= CPUID_EDX; reg++) {
		bool governed;
		u32 mask = cpu_policy_mask(leaf, sub, reg, &governed);
		if (governed)
			*regs[reg] &= mask;
	}
}

/* CR4 as the guest sees it: the read shadow for the bits Passage owns, the real bits for the rest. */
static u64 guest_cr4(void)
{
	return (vmread(CR4_READ_SHADOW) & vmread(CR4_GUEST_HOST_MASK)) |
	       (vmread(GUEST_CR4) & ~vmread(CR4_GUEST_HOST_MASK));
}

/* Bits whose value follows guest state or a VMX control. */
static void dynamic_bits(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs *r)
{
	if (leaf == 1) {
		u64 cr4 = guest_cr4();
		r->ecx |= CPUID1_ECX_HYPERVISOR;
		r->ecx = (cr4 & CR4_OSXSAVE) ? r->ecx | CPUID1_ECX_OSXSAVE : r->ecx & ~CPUID1_ECX_OSXSAVE;
		if (!(v->apic_base & APIC_BASE_EN))
			r->edx &= ~CPUID1_EDX_APIC;   /* 11.4.3: a disabled APIC clears CPUID.1:EDX.APIC */
		r->ebx = (r->ebx & 0x00ffffff) | (v->id << 24); /* initial APIC ID of this vCPU */
	} else if (leaf == 7 && sub == 0) {
		u64 cr4 = guest_cr4();
		r->eax = 0;                           /* sub-leaf 0 is the only one */
		if (!(vmx_caps.proc2 & SEC_ENABLE_INVPCID))
			r->ebx &= ~CPUID7_EBX_INVPCID;
		if (!(vmx_caps.proc2 & SEC_ENABLE_RDTSCP))
			r->ecx &= ~CPUID7_ECX_RDPID;
		r->ecx = (cr4 & CR4_PKE) ? r->ecx | CPUID7_ECX_OSPKE : r->ecx & ~CPUID7_ECX_OSPKE;
	} else if (leaf == 0x80000001) {
		if (!(vmx_caps.proc2 & SEC_ENABLE_RDTSCP))
			r->edx &= ~CPUID81_EDX_RDTSCP;
	}
}

/* Leaves 1, 7 and 80000001H: the feature flags. Leaf 7 has sub-leaf 0 only. */
static __attribute__((noinline)) struct cpuid_regs feature_leaf(struct vcpu *v, u32 leaf, u32 sub,
								 struct cpuid_regs r)
{
	if (leaf == 7 && sub > 0)
		return (struct cpuid_regs){ 0, 0, 0, 0 };
	apply_policy(leaf, sub, &r);
	dynamic_bits(v, leaf, sub, &r);
	return r;
}

/* Max leaf in EAX, signature "PassageHV\0\0\0" in EBX, ECX, EDX. */
static struct cpuid_regs hypervisor_leaf(void)
{
	struct cpuid_regs r = { .eax = HV_LEAF };
	memcpy(&r.ebx, "Pass", 4);
	memcpy(&r.ecx, "ageH", 4);
	memcpy(&r.edx, "V\0\0\0", 4);
	return r;
}

/* The leaves below 32 that are not the host's as they are: exactly the cases of special_leaf
 * below 32 (a case missing here would pass the host's leaf through unchanged). */
#define SPECIAL_LOW_LEAVES (BIT(1) | BIT(5) | BIT(6) | BIT(7) | BIT(0xa) | BIT(0xb) | BIT(0xd) | \
			    BIT(0xf) | BIT(0x10) | BIT(0x12) | BIT(0x14) | BIT(0x1f))

static void set_result(struct vcpu *v, struct cpuid_regs r)
{
	v->regs.rax = r.eax, v->regs.rbx = r.ebx, v->regs.rcx = r.ecx, v->regs.rdx = r.edx;
}

static struct cpuid_regs special_leaf(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs r)
{
	switch (leaf) {
	case 1: case 7: case 0x80000001:
		return feature_leaf(v, leaf, sub, r);
	/* Leaves that describe hidden features: MONITOR/MWAIT (5), thermal and power (6), the PMU
	 * (0AH), resource director monitoring and allocation (0FH, 10H), SGX (12H), processor
	 * trace (14H). */
	case 5: case 6: case 0xa: case 0xf: case 0x10: case 0x12: case 0x14:
		return (struct cpuid_regs){ 0, 0, 0, 0 };
	case 0xb: case 0x1f:
		r.edx = v->id;                        /* x2APIC ID */
		return r;
	case 0xd: {
		/* XCR0 components follow the features exposed (cpu_policy_xcr0); ECX of sub-leaf 0,
		 * the size for every supported component, stays the host's: larger than needed, which
		 * only costs the guest memory. */
		struct cpuid_regs s0 = sub == 0 ? r : cpuid(0xd, 0);
		u64 xcr0 = cpu_policy_xcr0(((u64)s0.edx << 32) | s0.eax);
		if (sub == 0)
			r.eax = (u32)xcr0, r.edx = (u32)(xcr0 >> 32);
		else if (sub == 1)                    /* XSAVES/XRSTORS and IA32_XSS are not offered */
			r.eax &= ~CPUIDD1_EAX_XSAVES, r.ecx = 0, r.edx = 0;
		else if (sub < 64 && !(xcr0 & (1ULL << sub)))
			r = (struct cpuid_regs){ 0, 0, 0, 0 }; /* a component not offered */
		return r;
	}
	case HV_LEAF:
		return hypervisor_leaf();
	default:                                      /* the rest of the hypervisor range */
		return (struct cpuid_regs){ 0, 0, 0, 0 };
	}
}

static __attribute__((noinline)) bool exit_cpuid_special(struct vcpu *v, u32 leaf, u32 sub)
{
	set_result(v, special_leaf(v, leaf, sub, cpuid(leaf, sub)));
	return exit_skip_instruction();
}

/* Every other leaf is the host's as it is. */
bool exit_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->regs.rax, sub = (u32)v->regs.rcx;
	if (leaf < 32 ? (BIT(leaf) & SPECIAL_LOW_LEAVES) : (leaf - HV_LEAF < 0x100 || leaf == 0x80000001))
		return exit_cpuid_special(v, leaf, sub);
	set_result(v, cpuid(leaf, sub));
	return exit_skip_instruction();
}
