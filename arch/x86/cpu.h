/* CPU instructions: CPUID, MSRs, control registers, port and MMIO access (Intel SDM Vol. 2). */
#ifndef PASSAGE_ARCH_CPU_H
#define PASSAGE_ARCH_CPU_H

#include "lib/types.h"

#include "msr.h"

#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_NW BIT(29)                   /* not write-through */
#define CR0_CD BIT(30)                   /* cache disable */
#define CR0_PG BIT(31)
#define CR4_PAE BIT(5)
#define CR4_PGE BIT(7)
#define CR4_OSFXSR BIT(9)
#define CR4_LA57 BIT(12)                 /* 5-level paging */
#define CR4_VMXE BIT(13)
#define CR4_PCIDE BIT(17)                /* process-context identifiers */
#define CR4_OSXSAVE BIT(18)
#define CR4_CET BIT(23)                  /* control-flow enforcement */
#define RFLAGS_TF BIT(8)                 /* trap flag (single-step) */
#define RFLAGS_IF BIT(9)
#define RFLAGS_RF BIT(16)                /* resume flag */

/* CPUID.1:ECX */
#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_X2APIC BIT(21)
#define CPUID1_ECX_TSC_DEADLINE BIT(24)
#define CPUID1_ECX_HYPERVISOR BIT(31)
/* CPUID.80000001H:EDX */
#define CPUID81_EDX_PAGE1GB BIT(26)
#define CPUID81_EDX_LM BIT(29)

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

#define DEFINE_CR(n)                                                             \
	static inline u64 read_cr##n(void)                                       \
	{                                                                        \
		u64 v;                                                           \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                \
		return v;                                                        \
	}                                                                        \
	static inline void write_cr##n(u64 v)                                    \
	{                                                                        \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");         \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* MMIO through asm: exactly one access of the given width, opaque to the optimiser. */
#define DEFINE_MMIO(w, t, suf)                                                   \
	static inline t mmio_read##w(u64 a)                                      \
	{                                                                        \
		t v;                                                             \
		__asm__ volatile("mov" suf " (%1), %0" : "=r"(v) : "r"(a) : "memory"); \
		return v;                                                        \
	}                                                                        \
	static inline void mmio_write##w(u64 a, t v)                             \
	{                                                                        \
		__asm__ volatile("mov" suf " %0, (%1)" ::"r"(v), "r"(a) : "memory"); \
	}
DEFINE_MMIO(8, u8, "b")
DEFINE_MMIO(16, u16, "w")
DEFINE_MMIO(32, u32, "l")
DEFINE_MMIO(64, u64, "q")
#undef DEFINE_MMIO

static inline void cpu_relax(void) { __builtin_ia32_pause(); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }

static inline NORETURN void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

static inline u64 read_rflags(void)
{
	u64 v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

bool cpu_has_vmx(void);
void cpu_vendor(char out[13]);

#endif
