/* Exception handler: dumps vector, error code, control and general registers, then halts the CPU. */
#include "exceptions.h"
#include "cpu.h"
#include "irq.h"
#include "nmi.h"
#include "percpu.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/string.h"

static const char *const names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

static fatal_hook_fn fatal_hook;
/* Locks each CPU held when it set its recovery point (spin_held_depth). */
static u32 recover_depth[MAX_CPUS];
_Static_assert(MAX_CPUS <= SPIN_MAX_CPUS, "every CPU's held locks are tracked");

void exceptions_set_fatal_hook(fatal_hook_fn fn)
{
	fatal_hook = fn;
}

static void dump(const struct exception_frame *f, int cpu)
{
	char b[160];
	const char *name = f->vector < 32 && names[f->vector] ? names[f->vector] : "?";
	LOG("exception", "vector %lu (%s) error code 0x%lx on CPU %d", f->vector, name,
	    f->error_code, cpu);
	LOG("exception", "RIP=%016lx CS=%04lx RFLAGS=%016lx", f->rip, f->cs, f->rflags);
	LOG("exception", "RSP=%016lx SS=%04lx CR2=%016lx", f->rsp, f->ss, read_cr2());
	LOG("exception", "CR0=%016lx CR3=%016lx CR4=%016lx", read_cr0(), read_cr3(), read_cr4());
	snprintf(b, sizeof b, "RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx", f->rax, f->rbx, f->rcx,
		 f->rdx);
	LOG("exception", "%s", b);
	snprintf(b, sizeof b, "RSI=%016lx RDI=%016lx RBP=%016lx R8 =%016lx", f->rsi, f->rdi, f->rbp,
		 f->r8);
	LOG("exception", "%s", b);
	snprintf(b, sizeof b, "R9 =%016lx R10=%016lx R11=%016lx R12=%016lx", f->r9, f->r10, f->r11,
		 f->r12);
	LOG("exception", "%s", b);
	snprintf(b, sizeof b, "R13=%016lx R14=%016lx R15=%016lx", f->r13, f->r14, f->r15);
	LOG("exception", "%s", b);
}

void exceptions_set_recovery(struct jmpbuf *b)
{
	struct percpu *p = this_cpu();
	recover_depth[p->cpu] = spin_held_depth();
	p->recover = b;
}

/* Rewrites the frame so that IRETQ lands in arch_longjmp(recovery point, 1). */
static bool recover(struct percpu *p, struct exception_frame *f, u32 depth_at_fault)
{
	if (!p || !p->recover || f->vector == 2 || f->vector == 8 || f->vector == 18)
		return false;
	u32 held = depth_at_fault - recover_depth[p->cpu];
	if (held)
		LOG("exception", "CPU %u releases %u lock(s) the faulting code held", p->cpu, held);
	LOG("exception", "CPU %u resumes at its recovery point", p->cpu);
	f->rip = (u64)(uintptr_t)arch_longjmp;
	f->rdi = (u64)(uintptr_t)p->recover;
	f->rsi = 1;
	f->rsp = ((struct jmpbuf *)p->recover)->rsp - 64; /* any valid stack below the saved one */
	f->rsp &= ~15ULL;
	p->recover = NULL;
	p->in_exception = 0;
	return true;
}

void exception_handler(struct exception_frame *f)
{
	if (f->vector >= 32) {
		irq_dispatch((u8)f->vector);
		return;
	}
	if (f->vector == 2) { /* an NMI (or INT 2 after an NMI VM exit) is counted, not fatal */
		nmi_handle();
		return;
	}
	int cpu = percpu_log_cpu();
	struct percpu *p = cpu >= 0 ? this_cpu() : NULL;
	if (p && p->in_exception++) {
		log_panic_begin(); /* may already be in it: then this CPU owns the output */
		log_raw("exception: nested exception during the dump; halting\n");
		log_panic_end();
		halt_forever();
	}
	u32 depth = spin_held_depth();
	log_panic_begin(); /* never breaks a lock another CPU waits on (lib/log.c) */
	dump(f, cpu);
	if (recover(p, f, depth)) {
		log_panic_end();
		spin_release_held(recover_depth[p->cpu]);
		return;
	}
	LOG("exception", "CPU %d halted", cpu);
	log_panic_end();
	if (fatal_hook)
		fatal_hook();
	halt_forever();
}

/*
 * Loads recognisable values into every general register, then faults, so the
 * test harness can check that the dump shows each register correctly.
 */
void exceptions_raise(u8 vector)
{
	LOG("exception", "deliberate exception requested (vector %u)", vector);
	switch (vector) {
	case EXC_UD:
		__asm__ volatile("mov $0x1111111111111111, %%rbx\n\t"
				 "mov $0x2222222222222222, %%r12\n\t"
				 "mov $0xfedcba9876543210, %%r15\n\t"
				 "ud2" ::: "rbx", "r12", "r15", "memory");
		break;
	case EXC_PF:
		/* Reads an address above the identity map; CR2 must name it. */
		__asm__ volatile("mov $0x1111111111111111, %%rbx\n\t"
				 "mov $0x2222222222222222, %%r12\n\t"
				 "mov $0xfedcba9876543210, %%r15\n\t"
				 "mov $0x00007fdead000000, %%rax\n\t"
				 "mov (%%rax), %%rax" ::: "rax", "rbx", "r12", "r15", "memory");
		break;
	case EXC_GP:
		__asm__ volatile("mov $0x1111111111111111, %%rbx\n\t"
				 "mov $0x8000000000000000, %%rax\n\t"
				 "mov (%%rax), %%rax" ::: "rax", "rbx", "memory");
		break;
	case EXC_DE:
		__asm__ volatile("mov $0x1111111111111111, %%rbx\n\t"
				 "xor %%ecx, %%ecx\n\t"
				 "mov $1, %%eax\n\t"
				 "xor %%edx, %%edx\n\t"
				 "div %%ecx" ::: "rax", "rbx", "rcx", "rdx", "memory");
		break;
	}
}
