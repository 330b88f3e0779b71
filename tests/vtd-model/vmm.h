/* vmm.h: the minimal VMM of the end-to-end posted-interrupt test (vmm.c, vmx.S). */
#ifndef VTDM_VMM_H
#define VTDM_VMM_H
#include "rt.h"

enum { VMM_PASS, VMM_FAIL, VMM_SKIP };

struct vmm_guest {
	/* in */
	u64 edu_mmio;        /* the edu device the guest drives directly (no EPT: guest-physical = physical) */
	u64 dma_src;         /* 4 bytes the guest's DMA reads */
	u64 n_running;       /* MSIs raised while the guest runs */
	u8 vec;              /* the guest's vector (the posted IRTE's) */
	u8 nv;               /* posted-interrupt notification vector */
	u64 pid;             /* posted-interrupt descriptor (64-byte aligned) */
	/* out */
	u64 exits, guest_irqs;
	u32 exit_reason;
	u8 last_exit_vec;
	volatile u64 halts;
	u64 root_nv;         /* notifications the host took in root mode (VMCALL 2 case) */  /* HLTs the guest executed waiting for its interrupt */
};

extern volatile u64 guest_bad_vec;       /* set by the guest on any other vector */
int vmm_run(struct vmm_guest *g, char *why, unsigned n);
int vmx_run(u64 *guest_regs, int launched);

#endif
