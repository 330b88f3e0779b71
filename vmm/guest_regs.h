/* The guest general registers vmx_entry.asm saves and loads around VM entry and exit, and its bookkeeping. */
#ifndef PASSAGE_VMM_GUEST_REGS_H
#define PASSAGE_VMM_GUEST_REGS_H

#include "lib/types.h"

struct guest_regs {               /* layout shared with vmx_entry.asm (R_* offsets) */
	u64 rax, rcx, rdx, rbx, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 cr2;
	u8 launched;
	u64 host_rsp;             /* HOST_RSP as last written to this vCPU's VMCS, 0 = not yet */
	u64 tsc_guest;            /* TSC cycles spent in the guest (each exit's TSC - its entry's) */
	u64 tsc_exit;             /* TSC at the last VM exit */
};
/* vmx_entry.asm hard-codes these offsets (R_RAX .. R_TSC_EXIT); each one is checked here. */
#define GUEST_REGS_ASM(f, off) _Static_assert(__builtin_offsetof(struct guest_regs, f) == (off), \
					       "vmx_entry.asm R_" #f " is " #off)
GUEST_REGS_ASM(rax, 0);
GUEST_REGS_ASM(rcx, 8);
GUEST_REGS_ASM(rdx, 16);
GUEST_REGS_ASM(rbx, 24);
GUEST_REGS_ASM(rbp, 32);
GUEST_REGS_ASM(rsi, 40);
GUEST_REGS_ASM(rdi, 48);
GUEST_REGS_ASM(r8, 56);
GUEST_REGS_ASM(r9, 64);
GUEST_REGS_ASM(r10, 72);
GUEST_REGS_ASM(r11, 80);
GUEST_REGS_ASM(r12, 88);
GUEST_REGS_ASM(r13, 96);
GUEST_REGS_ASM(r14, 104);
GUEST_REGS_ASM(r15, 112);
GUEST_REGS_ASM(cr2, 120);
GUEST_REGS_ASM(launched, 128);
GUEST_REGS_ASM(host_rsp, 136);
GUEST_REGS_ASM(tsc_guest, 144);
GUEST_REGS_ASM(tsc_exit, 152);
#undef GUEST_REGS_ASM

#endif
