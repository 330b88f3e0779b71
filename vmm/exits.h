/* Shared by the VM-exit handler files: the handler type, instruction completion, event injection, registers. */
#ifndef PASSAGE_VMM_EXITS_H
#define PASSAGE_VMM_EXITS_H

#include "vcpu.h"

/* A handler returns true to resume the guest, false when its domain stopped. */
typedef bool (*exit_handler_fn)(struct vcpu *v);

#define VEC_GP 13                 /* general-protection exception */

/* The emulated instruction of len bytes is done: RIP past it, STI/MOV-SS blocking over, RF
 * clear, a single-step #DB pending under TF. Returns true, so that a handler can end with it. */
bool exit_complete_instruction(u64 len);
/* The same for the instruction whose exit reported its length (VM_EXIT_INSTRUCTION_LEN). */
bool exit_skip_instruction(void);
/* A hardware exception with error code at the next VM entry (RIP not advanced). */
void exit_inject_gp(void);
/* General register n in the SDM encoding (0 RAX .. 15 R15); RSP lives in the VMCS. */
u64 exit_read_gpr(struct vcpu *v, u32 n);
void exit_write_gpr(struct vcpu *v, u32 n, u64 val);

/* exit_cpuid.c */
bool exit_cpuid(struct vcpu *v);
/* exit_msr.c */
bool exit_rdmsr(struct vcpu *v);
bool exit_wrmsr(struct vcpu *v);
/* exit_io.c */
bool exit_io(struct vcpu *v);
/* exit_cr.c: MOV to CR0/CR4 and XSETBV with the architectural #GP checks */
u64 exit_cr4_guest_bits(void);
bool exit_cr(struct vcpu *v);
bool exit_xsetbv(struct vcpu *v);
/* exit_misc.c: HLT, INVD/WBINVD, NMI and external-interrupt exits */
bool exit_hlt(struct vcpu *v);
bool exit_preemption_timer(struct vcpu *v);
bool exit_wbinvd(struct vcpu *v);
bool exit_exception_nmi(struct vcpu *v);
bool exit_external_interrupt(struct vcpu *v);
/* hypercall.c */
bool exit_vmcall(struct vcpu *v);
/* mmio.c: EPT violations and APIC accesses through the guest-physical range dispatcher */
bool exit_ept_violation(struct vcpu *v);
bool exit_apic_access(struct vcpu *v);

/* exits.c: the dispatch of one VM exit. The handler of each basic exit reason (NULL: not
 * expected), and the out-of-line parts of vmexit_handle. */
extern const exit_handler_fn exit_handlers[EXIT_REASON_MAX];
void exit_reinject_vectoring(void);
bool exit_unexpected(struct vcpu *v, u32 reason);
bool exit_ept_resync(struct vcpu *v);

/*
 * IDT-vectoring information (28.2.4) is valid only when the exit interrupted the delivery of an
 * event. Exits caused by executing an instruction, and the interrupt- and NMI-window exits
 * (taken at an instruction boundary), happen outside event delivery (28.2.4 lists what can
 * interrupt it: exceptions, EPT violations and misconfigurations, APIC accesses, task
 * switches, ...): for them the field is not read.
 */
#define EXIT_NO_EVENT_DELIVERY (BIT(EXIT_REASON_INTERRUPT_WINDOW) | BIT(EXIT_REASON_NMI_WINDOW) | \
				BIT(EXIT_REASON_CPUID) | BIT(EXIT_REASON_HLT) | BIT(EXIT_REASON_INVD) | \
				BIT(EXIT_REASON_VMCALL) | BIT(EXIT_REASON_CR_ACCESS) | \
				BIT(EXIT_REASON_IO_INSTRUCTION) | BIT(EXIT_REASON_MSR_READ) | \
				BIT(EXIT_REASON_MSR_WRITE) | BIT(EXIT_REASON_WBINVD) | \
				BIT(EXIT_REASON_XSETBV))

/* One VM exit of v with basic reason reason, on its own CPU: true to resume the guest, false
 * when its domain stopped. Inline: it is the run loop's every round trip. */
static inline bool vmexit_handle(struct vcpu *v, u32 reason)
{
	if (reason >= 64 || !(BIT(reason) & EXIT_NO_EVENT_DELIVERY))
		exit_reinject_vectoring();
	exit_handler_fn fn = reason < EXIT_REASON_MAX ? exit_handlers[reason] : NULL;
	if (!fn)
		return exit_unexpected(v, reason);
	if (!fn(v))
		return false;
	/* Epilogue: only when another CPU changed the domain's EPT (ept.c). */
	if (__atomic_load_n(&v->dom->ept_gen, __ATOMIC_ACQUIRE) != v->ept_gen)
		return exit_ept_resync(v);
	return true;
}

#endif
