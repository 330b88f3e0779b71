/* vmm.h: the program's minimal VMM (vmm.c, vmx.S): one 64-bit guest sharing the host's page tables
 * (no EPT) with virtual-interrupt delivery and posted-interrupt processing; the end-to-end posted
 * test (vmm_run) and the CPU-fix tests (cpufix.c) are built on it. */
#ifndef VTDM_VMM_H
#define VTDM_VMM_H
#include "rt.h"

enum { VMM_PASS, VMM_FAIL, VMM_SKIP };

/* VMCS field encodings the tests read or write (SDM Vol. 3C Appendix B) */
enum {
	VMCS_G_INTR_STATUS = 0x0810, VMCS_EXIT_REASON = 0x4402, VMCS_EXIT_INTR_INFO = 0x4404,
	VMCS_G_ACTIVITY = 0x4826, VMCS_G_RIP = 0x681e, VMCS_G_RFLAGS = 0x6820, VMCS_VM_ERROR = 0x4400,
	VMCS_EXIT_QUAL = 0x6400, VMCS_PROC_CTLS = 0x4002, VMCS_G_CS = 0x0802, VMCS_G_RSP = 0x681c,
	VMCS_EXC_BITMAP = 0x4004, VMCS_ENTRY_INTR = 0x4016, VMCS_EXIT_INTR_ERR = 0x4406, VMCS_IDT_VECTORING = 0x4408,
};
#define EXIT_EXC_NMI 0          /* exception or NMI */
#define EXIT_EXT_INTR 1
#define EXIT_VMCALL 18
#define EXIT_MTF 37              /* monitor trap flag */
#define EXIT_PREEMPT 52          /* VMX-preemption timer expired */

/* One guest's set-up (vmm_open). */
struct vmm_cfg {
	void (*entry)(void);     /* guest RIP (a function of this program that never returns) */
	const u64 *idt;          /* the guest's IDT (256 16-byte gates) */
	u64 rflags;              /* guest RFLAGS at the first entry */
	u64 pid;                 /* posted-interrupt descriptor address */
	u8 nv;                   /* posted-interrupt notification vector */
	u16 intr_status;         /* guest interrupt status at entry: SVI 15:8, RVI 7:0 */
	u32 activity;            /* guest activity state at entry: 0 active, 1 HLT */
	u32 preempt;             /* VMX-preemption timer value (a watchdog for a guest that may hang); 0 off */
};

int vmm_open(const struct vmm_cfg *c, char *why, unsigned n);  /* VMXON + VMCS; VMM_PASS/FAIL/SKIP */
int vmm_enter(char *why, unsigned n);   /* VMLAUNCH/VMRESUME; the basic exit reason, or -1 (why) */
void vmm_close(void);                   /* VMXOFF */
u64 vmm_read(u64 field);
void vmm_write(u64 field, u64 v);
void vmm_skip_insn(void);               /* guest RIP past the exiting instruction */
void vmm_self_ipi(u8 v);                /* a fixed interrupt to this CPU (host side) */
u8 *vmm_vapic(void);                    /* the guest's virtual-APIC page */
extern u64 vmm_regs[15];                /* guest rax rbx rcx rdx rsi rdi rbp r8..r15 at the last exit */
extern u8 vmm_exit_vec;                 /* vector of the last external-interrupt exit */
extern char guest_stubs[];              /* vmx.S: 256 16-byte guest interrupt entry points */

/* The end-to-end posted-interrupt guest (vmm_run). */
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
	volatile u64 halts;  /* HLTs the guest executed waiting for its interrupt */
	volatile u64 hlt_wakes; /* guest interrupts taken right after an HLT (they ended it) */
	u64 root_nv;         /* notifications the host took in root mode (VMCALL 2 case) */
};

extern volatile u64 guest_bad_vec;       /* set by the guest on any other vector */
int vmm_run(struct vmm_guest *g, char *why, unsigned n);
int vmx_run(u64 *guest_regs, int launched);

#endif
