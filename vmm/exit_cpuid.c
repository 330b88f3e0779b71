/* CPUID policy: what a guest sees of the host's CPUID leaves (SDM Vol. 2A "CPUID"). */
#include "exits.h"
#include "arch/x86/cpu.h"
#include "lib/string.h"

#define CPUID1_ECX_MONITOR BIT(3)          /* MONITOR/MWAIT: they would exit */
#define CPUID1_ECX_OSXSAVE BIT(27)         /* mirrors CR4.OSXSAVE */
#define CPUID7_EBX_INVPCID BIT(10)
#define CPUID7_EDX_ARCH_CAPABILITIES BIT(29)
#define CPUIDD1_EAX_XSAVES BIT(3)
#define CPUID81_EDX_RDTSCP BIT(27)
#define CR4_OSXSAVE BIT(18)
#define HV_LEAF 0x40000000                 /* hypervisor range: 0x40000000-0x400000ff */

static void leaf1(struct vcpu *v, struct cpuid_regs *r)
{
	r->ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_MONITOR); /* no nested VMX, no MWAIT */
	r->ecx |= CPUID1_ECX_HYPERVISOR;
	/* OSXSAVE mirrors the guest's CR4.OSXSAVE, not the host's. */
	r->ecx = (vmread(GUEST_CR4) & CR4_OSXSAVE) ? r->ecx | CPUID1_ECX_OSXSAVE : r->ecx & ~CPUID1_ECX_OSXSAVE;
	r->ebx = (r->ebx & 0x00ffffff) | (v->id << 24); /* initial APIC ID of this vCPU */
}

bool exit_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->regs.rax, sub = (u32)v->regs.rcx;
	struct cpuid_regs r = cpuid(leaf, sub);
	if (leaf == 1) {
		leaf1(v, &r);
	} else if (leaf == 6 || leaf == 0xa) {
		r = (struct cpuid_regs){ 0, 0, 0, 0 }; /* no thermal/power or PMU interface */
	} else if (leaf == 7 && sub == 0) {
		if (!(vmx_caps.proc2 & SEC_ENABLE_INVPCID))
			r.ebx &= ~CPUID7_EBX_INVPCID;
		r.edx &= ~CPUID7_EDX_ARCH_CAPABILITIES; /* IA32_ARCH_CAPABILITIES not offered */
	} else if (leaf == 0xb || leaf == 0x1f) {
		r.edx = v->id;                        /* x2APIC ID */
	} else if (leaf == 0xd && sub == 1) {
		r.eax &= ~CPUIDD1_EAX_XSAVES;         /* XSAVES/XRSTORS are not enabled for guests */
	} else if (leaf == 0x80000001) {
		if (!(vmx_caps.proc2 & SEC_ENABLE_RDTSCP))
			r.edx &= ~CPUID81_EDX_RDTSCP;
	} else if (leaf == HV_LEAF) {
		/* Max leaf in EAX, signature "PassageHV\0\0\0" in EBX, ECX, EDX. */
		r.eax = HV_LEAF;
		memcpy(&r.ebx, "Pass", 4);
		memcpy(&r.ecx, "ageH", 4);
		memcpy(&r.edx, "V\0\0\0", 4);
	} else if (leaf > HV_LEAF && leaf < HV_LEAF + 0x100) {
		r = (struct cpuid_regs){ 0, 0, 0, 0 };
	}
	v->regs.rax = r.eax, v->regs.rbx = r.ebx, v->regs.rcx = r.ecx, v->regs.rdx = r.edx;
	exit_skip_instruction();
	return true;
}
