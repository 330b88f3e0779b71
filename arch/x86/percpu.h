/* Per-CPU state: one struct per CPU, reached through GS base. */
#ifndef PASSAGE_ARCH_PERCPU_H
#define PASSAGE_ARCH_PERCPU_H

#include "lib/types.h"
#include "desc.h"

#define MAX_CPUS 256          /* per-CPU structs are allocated on demand up to this */
#define STACK_SIZE (16 * KiB) /* main stack of each CPU */
#define IST_STACK_SIZE (8 * KiB)

enum ist_index { IST_NMI = 1, IST_DF = 2, IST_MC = 3 };

struct percpu {
	struct percpu *self;      /* must stay first: read through %gs:0 */
	u32 cpu;                  /* Passage's CPU number, 0 = boot CPU */
	u32 apic_id;
	volatile u32 online;      /* set by the CPU once it runs in C on its own stack */
	u32 in_exception;         /* nesting guard for the exception dump */
	u64 stack_top;
	void *vmm;                /* the VMM's per-CPU state (vmm/vmx.h struct vmx_cpu) */
	void *recover;            /* struct jmpbuf: where a recoverable exception resumes */
	u64 gdt[GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss tss;
	u8 ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
};

extern struct percpu *cpus[MAX_CPUS];
extern u32 nr_cpus_started;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* Allocates and initialises the per-CPU struct and stack of CPU number cpu. */
struct percpu *percpu_alloc(u32 cpu, u32 apic_id);
/* Loads this CPU's GDT, TSS, the shared IDT and GS base. */
void percpu_install(struct percpu *p);
/* Current CPU number for log lines, -1 before per-CPU data exists. */
int percpu_log_cpu(void);

#endif
