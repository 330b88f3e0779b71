/* Domains and virtual CPUs: memory, EPT, VMCS, statistics. */
#ifndef PASSAGE_VMM_VCPU_H
#define PASSAGE_VMM_VCPU_H

#include "vmx.h"
#include "vlapic.h"
#include "vuart.h"
#include "ept.h"
#include "guest_regs.h"
#include "lib/spinlock.h"
#include "lib/config.h"


enum domain_state { DOM_CREATED, DOM_RUNNING, DOM_STOPPED };

struct domain {
	char name[32];
	u32 index;
	u64 mem_hpa;              /* guest-physical 0 is host-physical mem_hpa (contiguous) */
	u64 mem_size;
	u64 eptp;
	u64 ept_pages;
	u8 *io_bitmap;            /* two pages: ports 0-0x7fff, 0x8000-0xffff */
	u8 *msr_bitmap;
	u8 *msr_bitmap_x2v;       /* with CPU posting: for vCPUs in x2APIC mode (TPR, EOI, SELF IPI
				   * virtualized, SDM Vol. 3C 30.5); NULL without */
	u64 apic_access;          /* the domain's APIC-access page (0: none; see ept_build) */
	volatile enum domain_state state;
	int exit_code;            /* from port 0xf4 or VMCALL exit */
	char stop_reason[160];
	u16 console_port;         /* passthrough UART, 0 = shared console */
	enum cfg_irq_mode irq_mode; /* the config's interrupts = (vmsi_route.c) */
	struct vuart uart;        /* the shared console's virtual COM1 */
	char con[200];            /* guest console line being assembled */
	u32 con_len;
	spinlock_t lock;
	u32 nr_vcpus;
	volatile u32 parked;      /* vCPUs halted with interrupts disabled */
	volatile u32 ept_gen;     /* bumped by every EPT change that needs an INVEPT */
	struct vcpu *vcpus[8];
};

/* What the console shows of a vCPU; VMCS fields can only be read on the vCPU's own CPU. */
struct vcpu_snapshot {
	u64 rip, rsp, rflags, cr0, cr3, cr4, efer;
	u64 cs;
	u64 activity, interruptibility;
	u64 exits_total, halted, interrupts;
	u64 tsc_in_guest;
	u32 tpr, ppr;
	int irr, isr;             /* highest vector, -1 = none */
	u32 taken_on_cpu;         /* the CPU whose VMREADs filled it */
};

struct vcpu {
	struct pi_desc pid;       /* posted-interrupt descriptor (SDM Vol. 3C 30.6): 64-byte aligned,
				   * used with CPU posting (vintr.c) */
	struct domain *dom;
	u32 id;
	u32 cpu;                  /* physical CPU it is pinned to */
	u16 vpid;
	u64 vmcs;
	struct guest_regs regs;
	u64 exits[EXIT_REASON_MAX];  /* per basic exit reason */
	u64 entry_rip;            /* where the guest starts */
	u32 entry_mode;           /* GUEST_MODE_* */
	u64 entry_cr3;            /* GUEST_MODE_LONG64: identity page tables built by the loader */
	u64 entry_gdt;            /* GUEST_MODE_LONG64: GDT with __BOOT_CS 0x10, __BOOT_DS 0x18 */
	u64 apic_base;            /* IA32_APIC_BASE as the guest sees it */
	struct {                  /* emulated MSRs kept per vCPU (cpu_policy.c, exit_msr.c) */
		u64 tsc_adjust;   /* IA32_TSC_ADJUST */
		u64 misc_enable;  /* IA32_MISC_ENABLE */
		u64 mtrr_def_type; /* IA32_MTRR_DEF_TYPE */
	} msr;
	struct vlapic apic;
	u8 *vapic_page;           /* virtual-APIC page (SDM 29.1): xAPIC registers as the guest reads them */
	u64 halted;               /* HLT exits that waited */
	volatile u32 sipi_vector; /* set by the SIPI that starts this vCPU (bit 31 = received) */
	volatile bool init_pending;
	volatile bool nmi_pending;   /* an NMI IPI from a vCPU of the domain, not yet injected */
	bool apic_hold;           /* CPU posting: the APIC is disabled or software-disabled, posted
				   * requests stay in PIR (vintr_apic_hold_update) */
	u32 proc_ctl;             /* primary processor-based controls as last written */
	u32 tpr_threshold;        /* as last written */
	u64 preempt_ticks;        /* VMX-preemption timer value as last written (~0 = not yet) */
	bool preempt_quiet;       /* ... and it is the value for "no virtual deadline" */
	volatile bool timer_kept; /* CPU posting: a CPU without a guest posts its timer (vtimer.c) */
	u64 told_deadline;        /* ... the deadline that CPU was last told of */
	u64 max_run_tsc;          /* leave the guest at least this often (0 = only when needed) */
	volatile bool on_cpu;     /* its VMCS is current on its CPU and the run loop is running */
	volatile u32 snap_asked;  /* snapshot requests: asked by the console, served by the owner */
	volatile u32 snap_served;
	struct vcpu_snapshot snap;
	u32 ept_gen;              /* the domain's ept_gen at this vCPU's last INVEPT */
};

_Static_assert(sizeof(struct vcpu) <= PAGE_SIZE, "domains.c allocates one page per vCPU");

#define GUEST_MODE_PROTECTED32 1  /* multiboot1: 32-bit protected mode, paging off */
#define GUEST_MODE_LONG64 2       /* Linux 64-bit boot protocol */
#define GUEST_MODE_WAIT_SIPI 3    /* an application vCPU before its start-up IPI */
#define GUEST_MODE_REAL16 4       /* after SIPI: real mode at vector << 12 */

#define GUEST_APIC_GPA 0xfee00000ULL  /* xAPIC MMIO window, backed by the APIC-access page */

/* vcpu.c */
status_t vcpu_setup(struct vcpu *v) MUST_CHECK;
/* After a write to IA32_APIC_BASE: the xAPIC page is an APIC only in xAPIC mode. */
void vcpu_apic_mode_changed(struct vcpu *v);
/* After INIT and SIPI: the guest state of a processor reset into real mode at the SIPI vector. */
void vcpu_reset_to_sipi(struct vcpu *v);
/* Runs the vCPU on this CPU until its domain stops. */
void vcpu_run(struct vcpu *v);
void domain_stop(struct domain *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vcpu_dump(struct vcpu *v);
void vcpu_stats(struct vcpu *v);
/* Its VM exits so far, all reasons. */
u64 vcpu_exits_total(const struct vcpu *v);
/* Test aid: quiet, v leaves the guest only for its own events, not to poll for host work
 * (console, snapshots), so a measurement window sees only the exits the guest causes. */
void vcpu_set_quiet(struct vcpu *v, bool quiet);
/* A snapshot of v, taken by the CPU that runs it: asked through a request flag and a kick,
 * answered at its next exit or idle wake-up; waits at most timeout_ms. E_NOENT: not running. */
status_t vcpu_snapshot(struct vcpu *v, struct vcpu_snapshot *out, u32 timeout_ms) MUST_CHECK;
/* On v's own CPU with its VMCS current: answers requests from other CPUs. */
void vcpu_service_requests(struct vcpu *v);
/* HLT with IF=1 (exits.c): waits on v's CPU until the virtual deadline next (0 = none), a kick,
 * or host work of this CPU (requests, the console) is due. */
void vcpu_idle(struct vcpu *v, u64 next);

/* Once on the boot CPU after vmx_global_init: the device models register their ports and ranges. */
status_t exits_init(void) MUST_CHECK;
extern bool exits_test_aids;
/* Routes an ICR write (x2APIC layout: destination in bits 63:32) within the domain. */
void vcpu_send_ipi(struct vcpu *v, u64 icr);
/* Requests vector on t's vLAPIC from any CPU: posted and notified with CPU posting (t takes no
 * exit), else set in IRR and t kicked. */
void vcpu_post(struct vcpu *t, u8 vector);
/* The notification vector of every vCPU's descriptor (0 without CPU posting). */
u8 vcpu_notify_vector(void);
/* Makes the CPU running v leave the guest so it notices new work. */
void vcpu_kick(struct vcpu *v);
/* The same IPI to a CPU by number: wakes it from its idle wait (vtimer.c's keeper). */
void vcpu_kick_cpu(u32 cpu);
/* Reserves the kick vector; once at start-up, before any guest runs. */
status_t vcpu_kick_init(void) MUST_CHECK;

/* Registers what runs each time a vCPU leaves its run loop (domains.c counts them down). */
typedef void (*vcpu_stop_fn)(void);
void vcpu_set_stop_hook(vcpu_stop_fn fn);

#endif
