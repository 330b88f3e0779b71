/* Model-specific register numbers Passage uses, by their SDM names (Intel SDM Vol. 4 chapter 2, table 2-2). */
#ifndef PASSAGE_ARCH_MSR_H
#define PASSAGE_ARCH_MSR_H

#include "lib/types.h"

/* Architectural MSRs, in numeric order. */
#define MSR_IA32_TIME_STAMP_COUNTER 0x10   /* TSC */
#define MSR_IA32_APIC_BASE 0x1b            /* APIC base and enable bits */
#define MSR_IA32_FEATURE_CONTROL 0x3a      /* lock, VMX enable bits */
#define MSR_IA32_TSC_ADJUST 0x3b           /* adjustment added to the TSC */
#define MSR_IA32_SPEC_CTRL 0x48            /* speculation control */
#define MSR_IA32_PRED_CMD 0x49             /* prediction command (write-only) */
#define MSR_IA32_SGXLEPUBKEYHASH0 0x8c     /* SGX launch enclave public key hash */
#define MSR_IA32_BIOS_SIGN_ID 0x8b         /* microcode update signature */
#define MSR_IA32_CORE_CAPABILITIES 0xcf    /* core capabilities */
#define MSR_IA32_UMWAIT_CONTROL 0xe1       /* UMWAIT/TPAUSE control */
#define MSR_IA32_MTRRCAP 0xfe              /* MTRR capabilities */
#define MSR_IA32_ARCH_CAPABILITIES 0x10a   /* enumeration of architectural features */
#define MSR_IA32_FLUSH_CMD 0x10b           /* L1D flush command (write-only) */
#define MSR_IA32_SYSENTER_CS 0x174         /* SYSENTER target CS */
#define MSR_IA32_SYSENTER_ESP 0x175        /* SYSENTER target ESP */
#define MSR_IA32_SYSENTER_EIP 0x176        /* SYSENTER target EIP */
#define MSR_IA32_MCG_CAP 0x179             /* machine-check global capabilities */
#define MSR_IA32_MCG_STATUS 0x17a          /* machine-check global status */
#define MSR_IA32_PERF_STATUS 0x198         /* current performance state (EIST) */
#define MSR_IA32_PERF_CTL 0x199            /* performance state request (EIST) */
#define MSR_IA32_CLOCK_MODULATION 0x19a    /* clock modulation (ACPI thermal) */
#define MSR_IA32_THERM_STATUS 0x19c        /* thermal status (TM, TM2) */
#define MSR_IA32_MISC_ENABLE 0x1a0         /* miscellaneous feature enables */
#define MSR_IA32_PLATFORM_DCA_CAP 0x1f8    /* direct cache access capability */
#define MSR_IA32_DEBUGCTL 0x1d9            /* debug control */
#define MSR_IA32_PAT 0x277                 /* page attribute table */
#define MSR_IA32_MTRR_DEF_TYPE 0x2ff       /* default memory type, MTRR enable */
#define MSR_IA32_PERF_CAPABILITIES 0x345   /* performance monitoring capabilities (PDCM) */
#define MSR_IA32_RTIT_CTL 0x570            /* Intel Processor Trace control */
#define MSR_IA32_DS_AREA 0x600             /* debug store save area */
#define MSR_IA32_U_CET 0x6a0               /* user-mode CET configuration */
#define MSR_IA32_S_CET 0x6a2               /* supervisor-mode CET configuration */
#define MSR_IA32_TSC_DEADLINE 0x6e0        /* local APIC TSC-deadline target */
#define MSR_IA32_PKRS 0x6e1                /* protection keys for supervisor pages */
#define MSR_IA32_X2APIC_FIRST 0x800        /* x2APIC registers: 0x800 + xAPIC offset / 16 */
#define MSR_IA32_X2APIC_TPR 0x808          /* x2APIC task priority */
#define MSR_IA32_X2APIC_ICR 0x830          /* x2APIC interrupt command */
#define MSR_IA32_X2APIC_LAST 0x8ff
#define MSR_IA32_TME_CAPABILITY 0x981      /* total memory encryption capability */
#define MSR_IA32_UINTR_RR 0x985            /* user interrupt request register */
#define MSR_IA32_DEBUG_INTERFACE 0xc80     /* silicon debug feature control */
#define MSR_IA32_QM_EVTSEL 0xc8d           /* resource monitoring event select */
#define MSR_IA32_PQR_ASSOC 0xc8f           /* resource association */
#define MSR_IA32_BNDCFGS 0xd90             /* MPX supervisor bounds configuration */
#define MSR_IA32_PASID 0xd93               /* process address space ID (ENQCMD) */

/* Appendix A of Vol. 3D: VMX capability MSRs. */
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

/* Extended (0xc0000000) range. */
#define MSR_IA32_EFER 0xc0000080           /* extended feature enables */
#define MSR_IA32_STAR 0xc0000081           /* SYSCALL target selectors */
#define MSR_IA32_LSTAR 0xc0000082          /* SYSCALL 64-bit target RIP */
#define MSR_IA32_CSTAR 0xc0000083          /* SYSCALL compatibility-mode target RIP */
#define MSR_IA32_FMASK 0xc0000084          /* SYSCALL RFLAGS mask */
#define MSR_IA32_FS_BASE 0xc0000100
#define MSR_IA32_GS_BASE 0xc0000101
#define MSR_IA32_KERNEL_GS_BASE 0xc0000102 /* SWAPGS target */
#define MSR_IA32_TSC_AUX 0xc0000103        /* RDTSCP auxiliary value */

/* Bits in the MSRs above. */
#define FEATURE_CONTROL_LOCK BIT(0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX BIT(2)
#define MISC_ENABLE_FAST_STRINGS BIT(0)    /* fast-strings enable (R/W) */
#define MISC_ENABLE_BTS_UNAVAILABLE BIT(11) /* branch trace storage unavailable (RO) */
#define MISC_ENABLE_PEBS_UNAVAILABLE BIT(12) /* processor event-based sampling unavailable (RO) */
#define EFER_SCE BIT(0)                    /* SYSCALL enable */
#define EFER_LME BIT(8)                    /* IA-32e mode enable */
#define EFER_LMA BIT(10)                   /* IA-32e mode active */
#define EFER_NXE BIT(11)                   /* execute-disable enable */

#endif
