/* The vCPU's CPUID/MSR policy as one table: which feature bits a guest sees and how each MSR behind them behaves. */
#ifndef PASSAGE_VMM_CPU_POLICY_H
#define PASSAGE_VMM_CPU_POLICY_H

#include "lib/types.h"

/* How a guest's RDMSR or WRMSR of one MSR is served. */
enum msr_how {
	MSR_GP = 0,      /* #GP(0): the MSR does not exist for the guest */
	MSR_PASS,        /* the MSR bitmap lets it reach the CPU (the guest owns the CPU's value) */
	MSR_EMUL,        /* exits; exit_msr.c emulates it with the handler named in the rule */
};

/* The emulations exit_msr.c implements (one read and one write function each). */
enum msr_handler {
	MSRH_NONE = 0,
	MSRH_TSC,            /* IA32_TIME_STAMP_COUNTER through the VMCS TSC offset */
	MSRH_TSC_ADJUST,     /* IA32_TSC_ADJUST (SDM Vol. 3B 18.17.3) through the TSC offset */
	MSRH_APIC_BASE,      /* IA32_APIC_BASE: mode transitions of SDM Vol. 3A 11.12.5 */
	MSRH_FEATURE_CONTROL, /* reads locked, VMX off */
	MSRH_ZERO,           /* reads 0, writes ignored (IA32_BIOS_SIGN_ID, IA32_DEBUGCTL) */
	MSRH_MTRRCAP,        /* no variable or fixed ranges, no WC */
	MSRH_MTRR_DEF_TYPE,  /* kept per vCPU, no effect (EPT memory types rule) */
	MSRH_VMCS,           /* guest value in a VMCS guest-state field (SYSENTER_*, PAT) */
	MSRH_MISC_ENABLE,    /* kept per vCPU: fast strings R/W, the rest read-only */
	MSRH_X2APIC,         /* the vLAPIC's (x2APIC registers, TSC deadline) */
	MSRH_EFER,           /* IA32_EFER: LMA follows the IA-32e mode entry control */
	MSRH_COUNT
};

struct msr_rule {
	u32 first, last;     /* inclusive range */
	const char *name;
	u8 read, write;      /* enum msr_how for RDMSR and WRMSR */
	u8 handler;          /* enum msr_handler for MSR_EMUL */
};

/* A CPUID feature bit and the MSRs it enumerates (SDM Vol. 4 table 2-2 "Comment" column). */
struct cpuid_feature {
	u32 leaf;
	u8 sub, reg, bit;    /* reg: CPUID_EAX .. CPUID_EDX */
	bool expose;         /* false: the bit reads 0 because Passage does not support its MSRs */
	const char *name;
	u32 msrs[3];         /* MSRs a guest may use once it sees the bit; 0 ends the list */
	u8 writes;           /* bit i: msrs[i] takes WRMSR too (else RDMSR only, or write-only below) */
	u8 write_only;       /* bit i: msrs[i] is a command register: WRMSR only (SDM: RDMSR #GPs) */
};

enum { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

extern const struct msr_rule cpu_msr_rules[];
extern const u32 cpu_msr_rule_count;
extern const struct cpuid_feature cpu_features[];
extern const u32 cpu_feature_count;

/* The rule covering msr, NULL when there is none (then both directions #GP). */
const struct msr_rule *cpu_policy_msr(u32 msr);
/* Bits of (leaf, sub, reg) a guest may see: the exposed bits of the feature table. Leaves the
 * table governs return 0 for every bit not listed; *governed is false for other leaves. */
u32 cpu_policy_mask(u32 leaf, u32 sub, u32 reg, bool *governed);
/* The XCR0 bits a guest may enable, of the host's (CPUID.(EAX=0DH,ECX=0):EDX:EAX): x87 and SSE,
 * and each other user state component only while the feature that enumerates it is exposed. */
u64 cpu_policy_xcr0(u64 host_supported);
/* Clears the read and write intercepts of every MSR_PASS rule in a 4 KiB MSR bitmap that
 * starts with every bit set (SDM Vol. 3C 25.6.9). */
void cpu_policy_msr_bitmap(u8 *bitmap);
/* The x2APIC MSRs the CPU virtualizes with posting (a copy of the bitmap above, for vCPUs in x2APIC mode). */
void cpu_policy_msr_bitmap_x2apic(u8 *bitmap);

#endif
