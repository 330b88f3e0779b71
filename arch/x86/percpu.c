/* Per-CPU structs: allocation, GDT/TSS construction and installation. */
#include "percpu.h"
#include "cpu.h"
#include "lib/pmm.h"
#include "lib/string.h"

struct percpu *cpus[MAX_CPUS];
u32 nr_cpus_started;
static bool gs_ready;

/* SDM Vol. 3A 3.4.5: code/data descriptors (base and limit ignored in 64-bit mode). */
#define DESC_CODE64 0x00af9a000000ffffULL /* P, DPL0, code exec/read, L=1 */
#define DESC_DATA 0x00cf92000000ffffULL   /* P, DPL0, data read/write */

static void tss_descriptor(u64 *gdt, const struct tss *tss)
{
	u64 base = (u64)(uintptr_t)tss, limit = sizeof(*tss) - 1;
	/* SDM Vol. 3A 8.2.3: 64-bit TSS descriptor, type 9 (available), P=1. */
	gdt[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[1] = base >> 32;
}

struct percpu *percpu_alloc(u32 cpu, u32 apic_id)
{
	if (cpu >= MAX_CPUS)
		return NULL;
	u64 pages = (sizeof(struct percpu) + PAGE_SIZE - 1) / PAGE_SIZE;
	struct percpu *p = (struct percpu *)(uintptr_t)pmm_alloc_pages(pages, 0);
	u8 *stack = (u8 *)(uintptr_t)pmm_alloc_pages(STACK_SIZE / PAGE_SIZE, 0);
	if (!p || !stack)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->self = p;
	p->cpu = cpu;
	p->apic_id = apic_id;
	p->stack_top = (u64)(uintptr_t)(stack + STACK_SIZE);
	p->gdt[1] = DESC_CODE64;
	p->gdt[2] = DESC_DATA;
	tss_descriptor(&p->gdt[3], &p->tss);
	for (int i = 0; i < 3; i++)
		p->tss.ist[i] = (u64)(uintptr_t)(p->ist_stacks[i] + IST_STACK_SIZE);
	p->tss.iomap_base = sizeof(struct tss); /* no I/O permission bitmap */
	cpus[cpu] = p;
	return p;
}

void percpu_install(struct percpu *p)
{
	struct desc_ptr gdtr = { sizeof(p->gdt) - 1, (u64)(uintptr_t)p->gdt };
	gdt_load_asm(&gdtr, SEL_TSS);
	idt_load();
	wrmsr(MSR_IA32_GS_BASE, (u64)(uintptr_t)p);
	if (p->cpu == 0)
		gs_ready = true;
}

int percpu_log_cpu(void)
{
	if (!gs_ready)
		return 0; /* before per-CPU data exists only the boot CPU runs */
	/* An AP logs only after percpu_install, so GS is valid on every CPU by then. */
	return (int)this_cpu()->cpu;
}
