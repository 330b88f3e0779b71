/* x86.h — inline wrappers for the instructions the test guests exercise (32-bit protected mode, CPL 0). */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdint.h>

/*
 * Under VMX each of these is either an unconditional VM exit (CPUID, INVD,
 * XSETBV, VMCALL: SDM Vol. 3C 26.1.2 "Instructions That Cause VM Exits
 * Unconditionally") or a conditional one (RDMSR/WRMSR per the MSR bitmaps,
 * RDTSC, MOV CR, IN/OUT, WBINVD, HLT: 26.1.3 "Instructions That Cause VM Exits
 * Conditionally"). Pre-2022 SDM editions number these 25.1.2 and 25.1.3.
 */

#define X86_CR0_PE      (1u << 0)   /* protection enable */
#define X86_CR0_NE      (1u << 5)   /* numeric error */
#define X86_CR0_NW      (1u << 29)  /* not write-through */
#define X86_CR0_CD      (1u << 30)  /* cache disable */
#define X86_CR0_PG      (1u << 31)  /* paging */
#define X86_CR4_UMIP    (1u << 11)  /* user-mode instruction prevention */
#define X86_CR4_LA57    (1u << 12)  /* 57-bit linear addresses */
#define X86_CR4_RSVD15  (1u << 15)  /* reserved (SDM Vol. 3A 2.5 figure 2-7) */
#define X86_CR4_RSVD31  (1u << 31)  /* reserved */
#define X86_CR4_OSFXSR  (1u << 9)   /* OS supports FXSAVE/FXRSTOR */
#define X86_CR4_VMXE    (1u << 13)  /* VMX enable */
#define X86_CR4_OSXSAVE (1u << 18)  /* XSAVE and processor extended states enable */

#define CPUID1_ECX_VMX     (1u << 5)   /* virtual machine extensions */
#define CPUID1_ECX_XSAVE   (1u << 26)  /* XSAVE/XRSTOR/XSETBV/XGETBV supported */
#define CPUID1_ECX_OSXSAVE (1u << 27)  /* mirrors CR4.OSXSAVE */
#define CPUID1_ECX_HYPERVISOR (1u << 31) /* reserved on hardware; set by hypervisors */
#define CPUID7_ECX_UMIP    (1u << 2)   /* CPUID.(EAX=7,ECX=0):ECX: UMIP */
#define CPUID7_ECX_LA57    (1u << 16)  /* 5-level paging */
#define CPUID1_EDX_MSR     (1u << 5)   /* RDMSR/WRMSR supported */
#define CPUID1_EDX_FXSR    (1u << 24)  /* FXSAVE/FXRSTOR supported */

#define MSR_IA32_SYSENTER_CS 0x174u  /* SYSENTER target CS (SDM Vol. 4 table 2-2) */

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };

/* CPUID (SDM Vol. 2A "CPUID—CPU Identification"). */
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

/* RDMSR/WRMSR: #GP(0) for a reserved or unimplemented MSR (SDM Vol. 2B "RDMSR", "WRMSR"). */
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
}

/* RDTSC (SDM Vol. 2B "RDTSC"; Vol. 3B 18.17 time-stamp counter). */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* MOV to/from CR0/CR4 (SDM Vol. 3A 2.5 "Control Registers"). */
static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

/* XGETBV/XSETBV: #UD unless CR4.OSXSAVE; XSETBV #GP if XCR0 bit 0 is clear (SDM Vol. 2C "XSETBV"; Vol. 1 13.3). */
static inline uint64_t xgetbv(uint32_t xcr)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv(uint32_t xcr, uint64_t val)
{
	__asm__ volatile("xsetbv" : : "c"(xcr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
}

/* WBINVD (SDM Vol. 2D "WBINVD"). */
static inline void wbinvd(void) { __asm__ volatile("wbinvd" : : : "memory"); }

/* IN/OUT (SDM Vol. 1 chapter 19 "Input/Output"). */
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

/*
 * VMCALL (SDM Vol. 3C 31.3 "VMX Instructions", VMCALL): in VMX non-root
 * operation it always exits; outside VMX operation it raises #UD.
 */
static inline uint32_t vmcall(uint32_t nr, uint32_t b, uint32_t c)
{
	uint32_t ret;
	__asm__ volatile("vmcall" : "=a"(ret), "+b"(b), "+c"(c) : "a"(nr) : "edx", "memory");
	return ret;
}

/* 64-by-32 unsigned division with one DIV (no libgcc in a freestanding image). */
static inline uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem)
{
	uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qhi = hi / d, r = hi % d, qlo;
	/* r < d, so EDX:EAX / d fits in 32 bits and cannot raise #DE. */
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	if (rem)
		*rem = r;
	return ((uint64_t)qhi << 32) | qlo;
}

#endif
