/* Shared by the VM-exit handler files: the handler type, instruction completion, event injection, registers. */
#ifndef PASSAGE_VMM_EXITS_H
#define PASSAGE_VMM_EXITS_H

#include "vcpu.h"

/* A handler returns true to resume the guest, false when its domain stopped. */
typedef bool (*exit_handler_fn)(struct vcpu *v);

#define VEC_GP 13                 /* general-protection exception */

/* The emulated instruction is done: RIP past it, STI/MOV-SS blocking over. */
void exit_skip_instruction(void);
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
bool exit_wbinvd(struct vcpu *v);
bool exit_exception_nmi(struct vcpu *v);
bool exit_external_interrupt(struct vcpu *v);
/* hypercall.c */
bool exit_vmcall(struct vcpu *v);
/* mmio.c: EPT violations and APIC accesses through the guest-physical range dispatcher */
bool exit_ept_violation(struct vcpu *v);
bool exit_apic_access(struct vcpu *v);

#endif
