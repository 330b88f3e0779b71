/* events.c — events around the instructions Passage emulates: RF in an injected fault, the single-step #DB and the end of the STI shadow after each emulated instruction. */
#include "guest.h"
#include "x86.h"

#define EFLAGS_TF (1u << 8)           /* trap flag */
#define EFLAGS_RF (1u << 16)          /* resume flag */
#define VEC_DB 1
#define VEC_GP 13
#define MSR_UNKNOWN 0x12345678u       /* no CPU implements it: RDMSR #GP(0) */
#define PORT_UNCLAIMED 0x3300         /* no device: reads float, writes vanish */

/*
 * Each stub sets TF with POPF, runs one instruction that exits under Passage,
 * and marks the address after it. SDM Vol. 3B 17.3.1.4: a single-step #DB is a
 * trap after the instruction that follows the POPF that set TF, so the #DB
 * must report that mark; a lost #DB shows up one instruction later.
 */
#define TF_STUB(name, setup, insn)                                              \
	__asm__(".text\n.globl " #name "\n" #name ":\n"                         \
		"push %ebx\n" setup "\n"                                         \
		"pushf\norl $0x100, (%esp)\npopf\n"                              \
		insn "\n"                                                        \
		".globl " #name "_next\n" #name "_next:\n"                        \
		"nop\n"                                                          \
		"pushf\nandl $0xfffffeff, (%esp)\npopf\n"                        \
		"pop %ebx\nret\n");                                              \
	void name(void *arg);                                                    \
	extern char name##_next[];

TF_STUB(tf_cpuid, "xor %eax, %eax\nxor %ecx, %ecx", "cpuid")
TF_STUB(tf_rdmsr, "mov $0x10, %ecx", "rdmsr")
TF_STUB(tf_out, "mov $0x3300, %edx\nxor %eax, %eax", "outb %al, %dx")
TF_STUB(tf_in, "mov $0x3300, %edx", "inb %dx, %al")
TF_STUB(tf_wbinvd, "", "wbinvd")
/* A load from the xAPIC page's current-count register (0x390): no APIC virtualization serves it
 * (SDM Vol. 3C 30.4.2), so Passage decodes and emulates the MOV after an APIC-access exit. */
TF_STUB(tf_mmio, "", "mov 0xfee00390, %eax")

static void check_single_step(const char *name, void (*fn)(void *), const char *next)
{
	int vec = trap_catch(fn, NULL);
	if (vec != VEC_DB)
		fail(name, "took vector %d, want #DB", vec);
	else if (trap_last_eip != (uint32_t)(uintptr_t)next)
		fail(name, "#DB at 0x%x, want 0x%x right after the instruction", trap_last_eip,
		     (uint32_t)(uintptr_t)next);
	else
		pass(name);
}

struct msr_op { uint32_t msr; uint64_t val; };
static void do_rdmsr(void *p) { struct msr_op *o = p; o->val = rdmsr(o->msr); }

/* Vol. 3A 6.13 and Vol. 3B 17.3.1.1: a fault's pushed EFLAGS image has RF set, also when the
 * hypervisor injects the fault for an instruction it emulates. */
static void check_rf_injected_gp(void)
{
	struct msr_op o = { MSR_UNKNOWN, 0 };
	int vec = trap_catch(do_rdmsr, &o);
	if (vec != VEC_GP)
		fail("rf-in-injected-gp", "RDMSR of an unknown MSR took vector %d, want #GP", vec);
	else if (!(trap_last_eflags & EFLAGS_RF))
		fail("rf-in-injected-gp", "pushed EFLAGS 0x%x lacks RF", trap_last_eflags);
	else
		pass("rf-in-injected-gp");
}

/*
 * NMI IPIs within the domain (SDM Vol. 3A 6.7.1 NMI handling, 11.6.1 ICR delivery mode 100b): a
 * vCPU sends one to its own APIC ID (physical destination; the self shorthand is not valid for
 * NMIs). The handler sends a second NMI and keeps running for several exits: NMI blocking must hold
 * it until the handler's IRET, and then deliver it before the code after the first WRMSR runs.
 */
#define MSR_APIC_BASE 0x1bu
#define APIC_EXTD (1u << 10)
#define X2APIC_ID 0x802u
#define X2APIC_ICR 0x830u
#define ICR_NMI ((4u << 8) | (1u << 14))  /* delivery mode NMI, level assert, physical */

volatile uint32_t nmi_count, nmi_depth, nmi_max_depth, nmi_dest;
void nmi_entry(void);
__asm__(".text\n.globl nmi_entry\nnmi_entry:\n"
	"pusha\n"
	"incl nmi_depth\n"
	"mov nmi_depth, %eax\n"
	"cmp nmi_max_depth, %eax\n"
	"jbe 1f\n"
	"mov %eax, nmi_max_depth\n"
	"1: incl nmi_count\n"
	"cmpl $1, nmi_count\n"
	"jne 2f\n"
	"mov $0x830, %ecx\n"                 /* first NMI: send the second from inside the handler */
	"mov $0x4400, %eax\n"
	"mov nmi_dest, %edx\n"
	"wrmsr\n"
	"mov $8, %esi\n"                      /* and take several exits while still in the handler */
	"3: xor %eax, %eax\nxor %ecx, %ecx\ncpuid\ndec %esi\njnz 3b\n"
	"2: decl nmi_depth\n"
	"popa\n"
	"iret\n");

static void check_self_nmi(void)
{
	if (!(cpuid(1, 0).ecx & (1u << 21))) {
		skip("nmi-self", "no x2APIC");
		return;
	}
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_EXTD);
	nmi_dest = (uint32_t)rdmsr(X2APIC_ID);
	idt_set_gate(2, nmi_entry);
	wrmsr(X2APIC_ICR, ((uint64_t)nmi_dest << 32) | ICR_NMI);
	uint32_t count = nmi_count, depth = nmi_max_depth;
	if (count == 0)
		fail("nmi-self", "an NMI IPI to its own APIC ID was not delivered");
	else
		pass("nmi-self");
	if (count != 2 || depth != 1)
		fail("nmi-blocking", "%u NMIs right after the first IPI, deepest nesting %u: want 2 and 1", count, depth);
	else
		pass("nmi-blocking");
}

/*
 * SDM Vol. 3A 6.8.3: STI blocks interrupts for one instruction only. With a self-IPI pending and
 * IF=0, `sti; mov (emulated MMIO); cli` must take the interrupt right after the MOV, before the
 * CLI: an emulated instruction ends the STI shadow (Vol. 3C 25.4.2), or else the shadow covers the
 * CLI and the interrupt waits for some later STI. The guest's IDT has only the 32 exception
 * gates, so it moves to a larger one here.
 */
#define VEC_SHADOW 0x30u
#define X2APIC_SELF_IPI 0x83fu
#define X2APIC_SVR 0x80fu
#define SVR_ENABLE (1u << 8)

volatile uint32_t shadow_count, shadow_eip;
void shadow_entry(void);
__asm__(".text\n.globl shadow_entry\nshadow_entry:\n"
	"push %eax\npush %ecx\npush %edx\n"
	"mov 12(%esp), %eax\n"                /* the interrupted EIP */
	"mov %eax, shadow_eip\n"
	"incl shadow_count\n"
	"mov $0x80b, %ecx\nxor %eax, %eax\nxor %edx, %edx\nwrmsr\n"   /* EOI */
	"pop %edx\npop %ecx\npop %eax\n"
	"iret\n");

static uint64_t big_idt[VEC_SHADOW + 1] __attribute__((aligned(8)));

static void check_sti_shadow_mmio(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } idtr;
	uint32_t at, early;

	if (!(rdmsr(MSR_APIC_BASE) & APIC_EXTD)) {
		skip("sti-shadow-after-mmio", "the APIC is not in x2APIC mode (no x2APIC)");
		return;
	}
	__asm__ volatile("sidt %0" : "=m"(idtr));
	memcpy(big_idt, (void *)(uintptr_t)idtr.base, 32 * 8);
	idtr.base = (uint32_t)(uintptr_t)big_idt;
	idtr.limit = sizeof big_idt - 1;
	__asm__ volatile("lidt %0" : : "m"(idtr));
	idt_set_gate(VEC_SHADOW, shadow_entry);

	__asm__ volatile("cli" ::: "memory");
	wrmsr(X2APIC_SVR, SVR_ENABLE | 0xff);   /* software-enabled: a fixed IPI is accepted (SDM 11.4.7.2) */
	wrmsr(X2APIC_SELF_IPI, VEC_SHADOW);
	early = shadow_count;
	__asm__ volatile("sti\n\tmov 0xfee00390, %%eax\n1:\tcli\n\tmovl $1b, %0" : "=r"(at) : : "eax", "memory");
	if (early) {
		fail("sti-shadow-after-mmio", "vector 0x%x delivered while IF=0", VEC_SHADOW);
	} else if (!shadow_count) {
		__asm__ volatile("sti\n\tnop\n\tnop\n\tcli" ::: "memory");
		fail("sti-shadow-after-mmio", "not delivered right after the emulated MOV in the STI shadow; %s",
		     shadow_count ? "only at the next STI" : "not even later");
	} else if (shadow_eip != at) {
		fail("sti-shadow-after-mmio", "delivered at EIP 0x%x, want 0x%x (right after the MOV)",
		     shadow_eip, at);
	} else {
		pass("sti-shadow-after-mmio");
	}
}

int guest_main(void)
{
	check_rf_injected_gp();
	check_single_step("tf-after-mmio", tf_mmio, tf_mmio_next);  /* xAPIC mode, before the NMIs */
	check_self_nmi();
	check_sti_shadow_mmio();                                     /* x2APIC mode after the NMIs */
	check_single_step("tf-after-cpuid", tf_cpuid, tf_cpuid_next);
	check_single_step("tf-after-rdmsr", tf_rdmsr, tf_rdmsr_next);
	check_single_step("tf-after-out", tf_out, tf_out_next);
	check_single_step("tf-after-in", tf_in, tf_in_next);
	check_single_step("tf-after-wbinvd", tf_wbinvd, tf_wbinvd_next);
	return report_summary();
}
