/* Domains and virtual CPUs: memory, EPT, VMCS, statistics. */
#ifndef PASSAGE_VMM_VCPU_H
#define PASSAGE_VMM_VCPU_H

#include "vmx.h"
#include "vlapic.h"
#include "vuart.h"
#include "lib/spinlock.h"

struct guest_regs {               /* order fixed by vmx_entry.asm */
	u64 rax, rcx, rdx, rbx, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 cr2;
	u8 launched;
};
_Static_assert(__builtin_offsetof(struct guest_regs, launched) == 128, "layout used by vmx_entry.asm");

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
	volatile enum domain_state state;
	int exit_code;            /* from port 0xf4 or VMCALL exit */
	char stop_reason[160];
	u16 console_port;         /* passthrough UART, 0 = shared console */
	struct vuart uart;        /* the shared console's virtual COM1 */
	char con[200];            /* guest console line being assembled */
	u32 con_len;
	spinlock_t lock;
	u32 nr_vcpus;
	volatile u32 parked;      /* vCPUs halted with interrupts disabled */
	struct vcpu *vcpus[8];
};

struct vcpu {
	struct domain *dom;
	u32 id;
	u32 cpu;                  /* physical CPU it is pinned to */
	u16 vpid;
	u64 vmcs;
	struct guest_regs regs;
	u64 exits[EXIT_REASON_MAX];
	u64 exits_total;
	u64 tsc_in_guest;
	u64 entry_rip;            /* where the guest starts */
	u32 entry_mode;           /* GUEST_MODE_* */
	u64 entry_cr3;            /* GUEST_MODE_LONG64: identity page tables built by the loader */
	u64 entry_gdt;            /* GUEST_MODE_LONG64: GDT with __BOOT_CS 0x10, __BOOT_DS 0x18 */
	u64 apic_base;            /* IA32_APIC_BASE as the guest sees it */
	struct vlapic apic;
	u8 *vapic_page;           /* virtual-APIC page (SDM 29.1): xAPIC registers as the guest reads them */
	u64 halted;               /* HLT exits that waited */
	volatile u32 sipi_vector; /* set by the SIPI that starts this vCPU (bit 31 = received) */
	volatile bool init_pending;
	u32 proc_ctl;             /* primary processor-based controls as last written */
	u32 tpr_threshold;        /* as last written */
	bool preempt_idle;        /* the preemption timer holds its maximum (no deadline armed) */
};

#define GUEST_MODE_PROTECTED32 1  /* multiboot1: 32-bit protected mode, paging off */
#define GUEST_MODE_LONG64 2       /* Linux 64-bit boot protocol */
#define GUEST_MODE_WAIT_SIPI 3    /* an application vCPU before its start-up IPI */
#define GUEST_MODE_REAL16 4       /* after SIPI: real mode at vector << 12 */

#define GUEST_APIC_GPA 0xfee00000ULL  /* xAPIC MMIO window, backed by the APIC-access page */

/* ept.c */
status_t ept_build(struct domain *d);
/* The one APIC-access page all guests' xAPIC windows map to (SDM 29.4). */
u64 apic_access_page(void);
/* Returns the host pointer for [gpa, gpa+len) of the domain, or NULL when outside it. */
void *domain_gpa(struct domain *d, u64 gpa, u64 len);

/* vcpu.c */
status_t vcpu_setup(struct vcpu *v);
/* Runs the vCPU on this CPU until its domain stops. */
void vcpu_run(struct vcpu *v);
void domain_stop(struct domain *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vcpu_dump(struct vcpu *v);
void vcpu_prepare_entry(struct vcpu *v);
void vcpu_stats(struct vcpu *v);

/* exits.c: returns true to resume the guest, false when the domain stopped. */
bool vmexit_handle(struct vcpu *v, u32 reason);
extern bool exits_test_host_fault;
void guest_console_putc(struct domain *d, char c);
/* Routes an ICR write (x2APIC layout: destination in bits 63:32) within the domain. */
void vcpu_send_ipi(struct vcpu *v, u64 icr);
/* Makes the CPU running v leave the guest so it notices new work. */
void vcpu_kick(struct vcpu *v);

/* Registers what runs each time a vCPU leaves its run loop (domains.c counts them down). */
typedef void (*vcpu_stop_fn)(void);
void vcpu_set_stop_hook(vcpu_stop_fn fn);

#endif
