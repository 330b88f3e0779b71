/* exitcost.c — benchmark guest: emulated TSC cycles per loop round of CPUID, OUT to an emulated port, VMCALL, WBINVD, x2APIC EOI (make figures). */
#include "guest.h"
#include "x86.h"

/*
 * Bochs with "clock: sync=none" advances its TSC by one per instruction retired (on a 1-CPU
 * machine), so a TSC delta inside the guest counts the instructions of the guest and of the
 * hypervisor between the two reads. Each loop is written in assembly so that bare and under
 * Passage the guest executes exactly the same instructions: the bare figure is the loop's own
 * cost, the difference is what the exit costs. A batch is ROUNDS rounds; the figure is the
 * cheapest of BATCHES batches, which leaves out the rare round that also met a timer or
 * console-poll exit (those are not the path being measured).
 */
#define ROUNDS 500u
#define BATCHES 8u
#define PORT_B 0x61      /* system control port B: a port Passage emulates (reads 0, writes dropped) */
#define HC_NONE 0xffffu  /* no such hypercall: Passage answers EAX = -1, the cheapest VMCALL */
#define MSR_IA32_APIC_BASE 0x1bu
#define APIC_BASE_EN (1u << 11)    /* xAPIC global enable */
#define APIC_BASE_EXTD (1u << 10)  /* x2APIC mode */
#define MSR_X2APIC_EOI 0x80bu
#define CPUID1_ECX_X2APIC (1u << 21)

static uint64_t loop_empty(uint32_t n)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1: dec %0; jnz 1b" : "+r"(n) : : "cc");
	return rdtsc() - t0;
}

static uint64_t loop_cpuid(uint32_t n)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1: xor %%eax, %%eax; cpuid; dec %0; jnz 1b"
			 : "+S"(n) : : "eax", "ebx", "ecx", "edx", "cc");
	return rdtsc() - t0;
}

static uint64_t loop_out(uint32_t n)
{
	uint64_t t0 = rdtsc();
	/* AL holds what port B read, so bare the write changes nothing on the board either. */
	__asm__ volatile("inb %1, %%al; 1: outb %%al, %1; dec %0; jnz 1b"
			 : "+c"(n) : "i"(PORT_B) : "eax", "cc");
	return rdtsc() - t0;
}

static uint64_t loop_vmcall(uint32_t n)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1: mov %1, %%eax; vmcall; dec %0; jnz 1b"
			 : "+S"(n) : "i"(HC_NONE) : "eax", "cc", "memory");
	return rdtsc() - t0;
}

static uint64_t loop_wbinvd(uint32_t n)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1: wbinvd; dec %0; jnz 1b" : "+c"(n) : : "cc", "memory");
	return rdtsc() - t0;
}

/* An EOI with nothing in service is harmless (SDM 11.8.5): the write itself is what costs. */
static uint64_t loop_eoi(uint32_t n)
{
	uint64_t t0 = rdtsc();
	__asm__ volatile("1: wrmsr; dec %0; jnz 1b"
			 : "+S"(n) : "c"(MSR_X2APIC_EOI), "a"(0), "d"(0) : "cc", "memory");
	return rdtsc() - t0;
}

/* Cycles per round: the cheapest batch's mean, in hundredths to keep the fraction. */
static uint32_t measure(uint64_t (*loop)(uint32_t))
{
	uint64_t best = ~0ull;

	for (uint32_t b = 0; b < BATCHES; b++) {
		uint64_t t = loop(ROUNDS);
		if (t < best)
			best = t;
	}
	return (uint32_t)udiv64(best * 100, ROUNDS, NULL);
}

static void figure(const char *name, uint32_t hundredths)
{
	gprintf("INFO exit-cost %s %u.%02u\n", name, hundredths / 100, hundredths % 100);
}

int guest_main(void)
{
	bool hv = under_passage();

	gprintf("exitcost: emulated TSC cycles per round (%u rounds, best of %u), %s\n", ROUNDS, BATCHES,
		hv ? "under Passage" : "bare");
	figure("loop", measure(loop_empty));
	figure("cpuid", measure(loop_cpuid));
	figure("out", measure(loop_out));
	if (hv) /* bare, VMCALL raises #UD */
		figure("vmcall", measure(loop_vmcall));
	figure("wbinvd", measure(loop_wbinvd));
	if (cpuid(1, 0).ecx & CPUID1_ECX_X2APIC) {
		wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
		figure("x2apic-eoi", measure(loop_eoi));
	}
	gprintf("exitcost: done\n");
	return 0;
}
