/* The vCPU's CPUID/MSR policy tables (pure data; exit_cpuid.c, exit_msr.c and the MSR bitmap read them). */
#include "cpu_policy.h"
#include "arch/x86/msr.h"

/*
 * Every MSR a guest can reach. Anything not listed raises #GP(0) (SDM Vol. 2B
 * RDMSR/WRMSR: "reserved or unimplemented"). MSR_PASS is used only where the CPU
 * keeps the guest's value for the guest: a vCPU owns its physical CPU (vCPUs are
 * pinned, one per CPU), and Passage itself never depends on these values.
 * cpu_policy_msr searches in this order: the MSRs guests write all the time (x2APIC EOI, ICR,
 * TSC deadline) come first.
 */
const struct msr_rule cpu_msr_rules[] = {
	{ MSR_IA32_X2APIC_FIRST, MSR_IA32_X2APIC_LAST, "x2APIC registers", MSR_EMUL, MSR_EMUL, MSRH_X2APIC },
	{ MSR_IA32_TSC_DEADLINE, MSR_IA32_TSC_DEADLINE, "IA32_TSC_DEADLINE", MSR_EMUL, MSR_EMUL, MSRH_X2APIC },
	{ MSR_IA32_TIME_STAMP_COUNTER, MSR_IA32_TIME_STAMP_COUNTER, "IA32_TIME_STAMP_COUNTER", MSR_EMUL, MSR_EMUL, MSRH_TSC },
	{ MSR_IA32_APIC_BASE, MSR_IA32_APIC_BASE, "IA32_APIC_BASE", MSR_EMUL, MSR_EMUL, MSRH_APIC_BASE },
	{ MSR_IA32_FEATURE_CONTROL, MSR_IA32_FEATURE_CONTROL, "IA32_FEATURE_CONTROL", MSR_EMUL, MSR_GP, MSRH_FEATURE_CONTROL },
	{ MSR_IA32_TSC_ADJUST, MSR_IA32_TSC_ADJUST, "IA32_TSC_ADJUST", MSR_EMUL, MSR_EMUL, MSRH_TSC_ADJUST },
	{ MSR_IA32_SPEC_CTRL, MSR_IA32_SPEC_CTRL, "IA32_SPEC_CTRL", MSR_PASS, MSR_PASS, MSRH_NONE },
	{ MSR_IA32_PRED_CMD, MSR_IA32_PRED_CMD, "IA32_PRED_CMD", MSR_GP, MSR_PASS, MSRH_NONE },
	{ MSR_IA32_BIOS_SIGN_ID, MSR_IA32_BIOS_SIGN_ID, "IA32_BIOS_SIGN_ID", MSR_EMUL, MSR_EMUL, MSRH_ZERO },
	{ MSR_IA32_MTRRCAP, MSR_IA32_MTRRCAP, "IA32_MTRRCAP", MSR_EMUL, MSR_GP, MSRH_MTRRCAP },
	{ MSR_IA32_FLUSH_CMD, MSR_IA32_FLUSH_CMD, "IA32_FLUSH_CMD", MSR_GP, MSR_PASS, MSRH_NONE },
	{ MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_EIP, "IA32_SYSENTER_CS/ESP/EIP", MSR_EMUL, MSR_EMUL, MSRH_VMCS },
	{ MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE, "IA32_MISC_ENABLE", MSR_EMUL, MSR_EMUL, MSRH_MISC_ENABLE },
	{ MSR_IA32_DEBUGCTL, MSR_IA32_DEBUGCTL, "IA32_DEBUGCTL", MSR_EMUL, MSR_EMUL, MSRH_ZERO },
	{ MSR_IA32_PAT, MSR_IA32_PAT, "IA32_PAT", MSR_EMUL, MSR_EMUL, MSRH_VMCS },
	{ MSR_IA32_MTRR_DEF_TYPE, MSR_IA32_MTRR_DEF_TYPE, "IA32_MTRR_DEF_TYPE", MSR_EMUL, MSR_EMUL, MSRH_MTRR_DEF_TYPE },
	{ MSR_IA32_EFER, MSR_IA32_EFER, "IA32_EFER", MSR_EMUL, MSR_EMUL, MSRH_EFER },
	{ MSR_IA32_STAR, MSR_IA32_FMASK, "IA32_STAR/LSTAR/CSTAR/FMASK", MSR_PASS, MSR_PASS, MSRH_NONE },
	{ MSR_IA32_FS_BASE, MSR_IA32_TSC_AUX, "IA32_FS_BASE/GS_BASE/KERNEL_GS_BASE/TSC_AUX", MSR_PASS, MSR_PASS, MSRH_NONE },
};
const u32 cpu_msr_rule_count = ARRAY_SIZE(cpu_msr_rules);

#define L1 0x1
#define L7 0x7
#define LX 0x80000001
#define ON(l, r, b, name, ...) { l, 0, CPUID_##r, b, true, name, { __VA_ARGS__ }, 0, 0 }
#define ONW(l, r, b, name, ...) { l, 0, CPUID_##r, b, true, name, { __VA_ARGS__ }, 7, 0 }
#define ONX(l, r, b, name, w, wo, ...) { l, 0, CPUID_##r, b, true, name, { __VA_ARGS__ }, w, wo }
#define OFF(l, r, b, name, ...) { l, 0, CPUID_##r, b, false, name, { __VA_ARGS__ }, 0, 0 }

/*
 * The feature bits of CPUID leaves 1, 7.0 and 0x80000001 (SDM Vol. 2A "CPUID",
 * tables 3-10, 3-11 and the leaf 07H/80000001H rows). A bit not listed, or
 * listed with expose = false, reads 0 whatever the host has. Bits whose value
 * depends on guest state (OSXSAVE, OSPKE, APIC) or on VMX controls (INVPCID,
 * RDTSCP, RDPID) are listed as exposed; exit_cpuid.c clears them when needed.
 */
const struct cpuid_feature cpu_features[] = {
	/* CPUID.01H:EDX */
	ON(L1, EDX, 0, "FPU", 0), ON(L1, EDX, 1, "VME", 0), ON(L1, EDX, 2, "DE", 0), ON(L1, EDX, 3, "PSE", 0),
	ONW(L1, EDX, 4, "TSC", MSR_IA32_TIME_STAMP_COUNTER), ON(L1, EDX, 5, "MSR", 0), ON(L1, EDX, 6, "PAE", 0),
	OFF(L1, EDX, 7, "MCE", 0),                         /* machine checks stay with the host */
	ON(L1, EDX, 8, "CX8", 0), ONW(L1, EDX, 9, "APIC", MSR_IA32_APIC_BASE),
	ONW(L1, EDX, 11, "SEP", MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP),
	ONX(L1, EDX, 12, "MTRR", 2, 0, MSR_IA32_MTRRCAP, MSR_IA32_MTRR_DEF_TYPE), /* MTRRCAP read-only */
	ON(L1, EDX, 13, "PGE", 0),
	OFF(L1, EDX, 14, "MCA", MSR_IA32_MCG_CAP, MSR_IA32_MCG_STATUS),
	ON(L1, EDX, 15, "CMOV", 0), ONW(L1, EDX, 16, "PAT", MSR_IA32_PAT), ON(L1, EDX, 17, "PSE-36", 0),
	OFF(L1, EDX, 18, "PSN", 0), ON(L1, EDX, 19, "CLFSH", 0),
	OFF(L1, EDX, 21, "DS", MSR_IA32_DS_AREA),
	OFF(L1, EDX, 22, "ACPI", MSR_IA32_CLOCK_MODULATION, MSR_IA32_THERM_STATUS),
	ON(L1, EDX, 23, "MMX", 0), ON(L1, EDX, 24, "FXSR", 0), ON(L1, EDX, 25, "SSE", 0), ON(L1, EDX, 26, "SSE2", 0),
	ON(L1, EDX, 27, "SS", 0), ON(L1, EDX, 28, "HTT", 0),
	OFF(L1, EDX, 29, "TM", MSR_IA32_THERM_STATUS), OFF(L1, EDX, 31, "PBE", MSR_IA32_MISC_ENABLE),
	/* CPUID.01H:ECX */
	ON(L1, ECX, 0, "SSE3", 0), ON(L1, ECX, 1, "PCLMULQDQ", 0),
	OFF(L1, ECX, 2, "DTES64", MSR_IA32_DS_AREA),
	OFF(L1, ECX, 3, "MONITOR", 0),                     /* MONITOR/MWAIT would exit */
	OFF(L1, ECX, 4, "DS-CPL", MSR_IA32_DS_AREA),
	OFF(L1, ECX, 5, "VMX", MSR_IA32_VMX_BASIC),        /* no nested VMX */
	OFF(L1, ECX, 6, "SMX", MSR_IA32_FEATURE_CONTROL),
	OFF(L1, ECX, 7, "EIST", MSR_IA32_PERF_STATUS, MSR_IA32_PERF_CTL),
	OFF(L1, ECX, 8, "TM2", MSR_IA32_THERM_STATUS),
	ON(L1, ECX, 9, "SSSE3", 0), OFF(L1, ECX, 10, "CNXT-ID", 0),
	OFF(L1, ECX, 11, "SDBG", MSR_IA32_DEBUG_INTERFACE),
	ON(L1, ECX, 12, "FMA", 0), ON(L1, ECX, 13, "CMPXCHG16B", 0),
	OFF(L1, ECX, 14, "xTPR", MSR_IA32_MISC_ENABLE),
	OFF(L1, ECX, 15, "PDCM", MSR_IA32_PERF_CAPABILITIES), /* no PMU: leaf 0AH reads 0 */
	ON(L1, ECX, 17, "PCID", 0),
	OFF(L1, ECX, 18, "DCA", MSR_IA32_PLATFORM_DCA_CAP),
	ON(L1, ECX, 19, "SSE4.1", 0), ON(L1, ECX, 20, "SSE4.2", 0),
	ONW(L1, ECX, 21, "x2APIC", MSR_IA32_APIC_BASE, MSR_IA32_X2APIC_TPR),
	ON(L1, ECX, 22, "MOVBE", 0), ON(L1, ECX, 23, "POPCNT", 0),
	ONW(L1, ECX, 24, "TSC-Deadline", MSR_IA32_TSC_DEADLINE),
	ON(L1, ECX, 25, "AESNI", 0), ON(L1, ECX, 26, "XSAVE", 0), ON(L1, ECX, 27, "OSXSAVE", 0),
	ON(L1, ECX, 28, "AVX", 0), ON(L1, ECX, 29, "F16C", 0), ON(L1, ECX, 30, "RDRAND", 0),
	ON(L1, ECX, 31, "hypervisor", 0),
	/* CPUID.(EAX=07H,ECX=0):EBX */
	ON(L7, EBX, 0, "FSGSBASE", 0), ONW(L7, EBX, 1, "IA32_TSC_ADJUST", MSR_IA32_TSC_ADJUST),
	OFF(L7, EBX, 2, "SGX", MSR_IA32_FEATURE_CONTROL),
	ON(L7, EBX, 3, "BMI1", 0), ON(L7, EBX, 4, "HLE", 0), ON(L7, EBX, 5, "AVX2", 0),
	ON(L7, EBX, 6, "FDP_EXCPTN_ONLY", 0), ON(L7, EBX, 7, "SMEP", 0), ON(L7, EBX, 8, "BMI2", 0),
	ON(L7, EBX, 9, "ERMS", 0), ON(L7, EBX, 10, "INVPCID", 0), ON(L7, EBX, 11, "RTM", 0),
	OFF(L7, EBX, 12, "RDT-M", MSR_IA32_QM_EVTSEL, MSR_IA32_PQR_ASSOC),
	ON(L7, EBX, 13, "FPU-CS-DS-deprecated", 0),
	OFF(L7, EBX, 14, "MPX", MSR_IA32_BNDCFGS),
	OFF(L7, EBX, 15, "RDT-A", MSR_IA32_PQR_ASSOC),
	ON(L7, EBX, 16, "AVX512F", 0), ON(L7, EBX, 17, "AVX512DQ", 0), ON(L7, EBX, 18, "RDSEED", 0),
	ON(L7, EBX, 19, "ADX", 0), ON(L7, EBX, 20, "SMAP", 0), ON(L7, EBX, 21, "AVX512_IFMA", 0),
	ON(L7, EBX, 23, "CLFLUSHOPT", 0), ON(L7, EBX, 24, "CLWB", 0),
	OFF(L7, EBX, 25, "Intel-PT", MSR_IA32_RTIT_CTL),
	ON(L7, EBX, 26, "AVX512PF", 0), ON(L7, EBX, 27, "AVX512ER", 0), ON(L7, EBX, 28, "AVX512CD", 0),
	ON(L7, EBX, 29, "SHA", 0), ON(L7, EBX, 30, "AVX512BW", 0), ON(L7, EBX, 31, "AVX512VL", 0),
	/* CPUID.(EAX=07H,ECX=0):ECX */
	ON(L7, ECX, 0, "PREFETCHWT1", 0), ON(L7, ECX, 1, "AVX512_VBMI", 0), ON(L7, ECX, 2, "UMIP", 0),
	ON(L7, ECX, 3, "PKU", 0), ON(L7, ECX, 4, "OSPKE", 0),
	OFF(L7, ECX, 5, "WAITPKG", MSR_IA32_UMWAIT_CONTROL),
	ON(L7, ECX, 6, "AVX512_VBMI2", 0),
	OFF(L7, ECX, 7, "CET_SS", MSR_IA32_U_CET, MSR_IA32_S_CET),
	ON(L7, ECX, 8, "GFNI", 0), ON(L7, ECX, 9, "VAES", 0), ON(L7, ECX, 10, "VPCLMULQDQ", 0),
	ON(L7, ECX, 11, "AVX512_VNNI", 0), ON(L7, ECX, 12, "AVX512_BITALG", 0),
	OFF(L7, ECX, 13, "TME_EN", MSR_IA32_TME_CAPABILITY),
	ON(L7, ECX, 14, "AVX512_VPOPCNTDQ", 0), ON(L7, ECX, 16, "LA57", 0),
	ON(L7, ECX, 22, "RDPID", MSR_IA32_TSC_AUX),
	OFF(L7, ECX, 23, "KL", 0),
	ON(L7, ECX, 25, "CLDEMOTE", 0), ON(L7, ECX, 27, "MOVDIRI", 0), ON(L7, ECX, 28, "MOVDIR64B", 0),
	OFF(L7, ECX, 29, "ENQCMD", MSR_IA32_PASID),
	OFF(L7, ECX, 30, "SGX_LC", MSR_IA32_SGXLEPUBKEYHASH0),
	OFF(L7, ECX, 31, "PKS", MSR_IA32_PKRS),
	/* CPUID.(EAX=07H,ECX=0):EDX */
	ON(L7, EDX, 2, "AVX512_4VNNIW", 0), ON(L7, EDX, 3, "AVX512_4FMAPS", 0), ON(L7, EDX, 4, "FSRM", 0),
	OFF(L7, EDX, 5, "UINTR", MSR_IA32_UINTR_RR),
	ON(L7, EDX, 8, "AVX512_VP2INTERSECT", 0), ON(L7, EDX, 10, "MD_CLEAR", 0),
	ON(L7, EDX, 14, "SERIALIZE", 0),
	OFF(L7, EDX, 20, "CET_IBT", MSR_IA32_U_CET, MSR_IA32_S_CET),
	ONX(L7, EDX, 26, "IBRS_IBPB", 1, 2, MSR_IA32_SPEC_CTRL, MSR_IA32_PRED_CMD),
	ONW(L7, EDX, 27, "STIBP", MSR_IA32_SPEC_CTRL),
	ONX(L7, EDX, 28, "L1D_FLUSH", 0, 1, MSR_IA32_FLUSH_CMD),
	OFF(L7, EDX, 29, "ARCH_CAPABILITIES", MSR_IA32_ARCH_CAPABILITIES),
	OFF(L7, EDX, 30, "CORE_CAPABILITIES", MSR_IA32_CORE_CAPABILITIES),
	ONW(L7, EDX, 31, "SSBD", MSR_IA32_SPEC_CTRL),
	/* CPUID.80000001H:ECX and EDX */
	ON(LX, ECX, 0, "LAHF-SAHF", 0), ON(LX, ECX, 5, "LZCNT", 0), ON(LX, ECX, 8, "PREFETCHW", 0),
	ONW(LX, EDX, 11, "SYSCALL", MSR_IA32_STAR, MSR_IA32_LSTAR, MSR_IA32_FMASK),
	ONW(LX, EDX, 20, "XD", MSR_IA32_EFER),
	ON(LX, EDX, 26, "1GB-pages", 0),
	ONW(LX, EDX, 27, "RDTSCP", MSR_IA32_TSC_AUX),
	ONW(LX, EDX, 29, "LM", MSR_IA32_EFER, MSR_IA32_FS_BASE, MSR_IA32_KERNEL_GS_BASE),
};
const u32 cpu_feature_count = ARRAY_SIZE(cpu_features);

const struct msr_rule *cpu_policy_msr(u32 msr)
{
	for (u32 i = 0; i < ARRAY_SIZE(cpu_msr_rules); i++)
		if (msr >= cpu_msr_rules[i].first && msr <= cpu_msr_rules[i].last)
			return &cpu_msr_rules[i];
	return NULL;
}

/* The registers the feature table governs; their masks are computed once (a CPUID exit must
 * not walk the table). Leaf 1 and 80000001H ignore ECX; leaf 7's feature flags are sub-leaf 0's. */
static const struct { u32 leaf; u32 reg; } governed_regs[] = {
	{ L1, CPUID_ECX }, { L1, CPUID_EDX }, { L7, CPUID_EBX }, { L7, CPUID_ECX }, { L7, CPUID_EDX },
	{ LX, CPUID_ECX }, { LX, CPUID_EDX },
};
static u32 masks[ARRAY_SIZE(governed_regs)];
static bool masks_ready;

/* Idempotent: CPUs that race here write the same values. */
static void build_masks(void)
{
	for (u32 g = 0; g < ARRAY_SIZE(governed_regs); g++) {
		u32 mask = 0;
		for (u32 i = 0; i < ARRAY_SIZE(cpu_features); i++) {
			const struct cpuid_feature *f = &cpu_features[i];
			if (f->leaf == governed_regs[g].leaf && f->reg == governed_regs[g].reg && f->expose)
				mask |= 1u << f->bit;
		}
		masks[g] = mask;
	}
	__atomic_store_n(&masks_ready, true, __ATOMIC_RELEASE);
}

u32 cpu_policy_mask(u32 leaf, u32 sub, u32 reg, bool *governed)
{
	*governed = false;
	if (leaf == L7 && sub != 0)
		return 0;
	for (u32 g = 0; g < ARRAY_SIZE(governed_regs); g++) {
		if (governed_regs[g].leaf != leaf || governed_regs[g].reg != reg)
			continue;
		if (!__atomic_load_n(&masks_ready, __ATOMIC_ACQUIRE))
			build_masks();
		*governed = true;
		return masks[g];
	}
	return 0;
}

/*
 * The user state components of XSAVE after x87 (0) and SSE (1), each with the CPUID bit that
 * enumerates its feature (SDM Vol. 1 13.1, "XSAVE-Supported Features and State-Component
 * Bitmaps"): a hidden feature's state cannot be enabled in XCR0 either (XSETBV #GPs for a bit
 * CPUID.(EAX=0DH,ECX=0) does not report, Vol. 2D "XSETBV"). Supervisor components (IA32_XSS)
 * are never offered: XSAVES is hidden.
 */
static const struct { u8 component; u32 leaf; u8 reg, bit; } xstate_features[] = {
	{ 2, L1, CPUID_ECX, 28 },                                  /* AVX: YMM_Hi128 */
	{ 3, L7, CPUID_EBX, 14 }, { 4, L7, CPUID_EBX, 14 },        /* MPX: BNDREGS, BNDCSR */
	{ 5, L7, CPUID_EBX, 16 }, { 6, L7, CPUID_EBX, 16 },        /* AVX-512: opmask, ZMM_Hi256, */
	{ 7, L7, CPUID_EBX, 16 },                                  /* Hi16_ZMM */
	{ 9, L7, CPUID_ECX, 3 },                                   /* PKU: PKRU */
	{ 17, L7, CPUID_EDX, 24 }, { 18, L7, CPUID_EDX, 24 },      /* AMX-TILE: TILECFG, TILEDATA */
};

u64 cpu_policy_xcr0(u64 host_supported)
{
	u64 allowed = BIT(0) | BIT(1);
	for (u32 i = 0; i < ARRAY_SIZE(xstate_features); i++) {
		bool governed;
		if (cpu_policy_mask(xstate_features[i].leaf, 0, xstate_features[i].reg, &governed) &
		    (1u << xstate_features[i].bit))
			allowed |= 1ULL << xstate_features[i].component;
	}
	return host_supported & allowed;
}

/* SDM 25.6.9: read bitmap for 0-0x1fff at 0, for 0xc0000000-0xc0001fff at 1 KiB; writes at +2 KiB. */
static void clear_intercept(u8 *bm, u32 msr, u32 half)
{
	u32 base = half + (msr >= 0xc0000000 ? 1024 : 0), n = msr & 0x1fff;
	bm[base + n / 8] &= (u8)~(1u << (n % 8));
}

void cpu_policy_msr_bitmap(u8 *bitmap)
{
	for (u32 i = 0; i < ARRAY_SIZE(cpu_msr_rules); i++) {
		const struct msr_rule *r = &cpu_msr_rules[i];
		for (u32 m = r->first; m <= r->last; m++) {
			if (r->read == MSR_PASS)
				clear_intercept(bitmap, m, 0);
			if (r->write == MSR_PASS)
				clear_intercept(bitmap, m, 2048);
		}
	}
}

/*
 * SDM Vol. 3C 30.5: with "virtualize x2APIC mode" and virtual-interrupt delivery, a WRMSR to
 * TPR (808H), EOI (80BH) or SELF IPI (83FH) whose bitmap bit is clear is virtualized in the
 * virtual-APIC page, and a RDMSR of TPR reads VTPR. Every other x2APIC MSR keeps exiting: with
 * the bit clear it would reach the physical x2APIC (30.5: only these are virtualized when
 * APIC-register virtualization is off, which Passage keeps off in x2APIC mode).
 */
void cpu_policy_msr_bitmap_x2apic(u8 *bitmap)
{
	clear_intercept(bitmap, 0x808, 0);
	clear_intercept(bitmap, 0x808, 2048);
	clear_intercept(bitmap, 0x80b, 2048);
	clear_intercept(bitmap, 0x83f, 2048);
}
