/* VMX operation: capability negotiation, VMXON per CPU, checked VMX instructions. */
#ifndef PASSAGE_VMM_VMX_H
#define PASSAGE_VMM_VMX_H

#include "vmcs_fields.h"
#include "lib/status.h"

#define VMX_MUST_CHECK MUST_CHECK /* lib/status.h */

/* The controls Passage uses, negotiated once against the TRUE capability MSRs. */
struct vmx_caps {
	bool usable;              /* VMX present, enabled by firmware, controls negotiated */
	u32 revision;             /* VMCS revision identifier (IA32_VMX_BASIC[30:0]) */
	u32 pin, proc, proc2, exit, entry;
	u64 ept_vpid;             /* IA32_VMX_EPT_VPID_CAP */
	u32 preempt_shift;        /* preemption timer counts TSC >> this */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	bool posting;             /* CPU posted interrupts with virtual-interrupt delivery (vmx.c) */
};

extern struct vmx_caps vmx_caps;

/* Per-CPU VMX state (hangs off struct percpu). */
struct vmx_cpu {
	u64 vmxon_region;
	bool on;
	struct vcpu *volatile vcpu;   /* the vCPU pinned here, set once domains are built */
};

/* On the boot CPU: checks CPUID and IA32_FEATURE_CONTROL, negotiates controls, logs. */
status_t vmx_global_init(bool posting_allowed) VMX_MUST_CHECK;
/* Turns CPU posting off before any vCPU is set up (why: for the log). */
void vmx_posting_off(const char *why);
/* On every CPU: fixed CR0/CR4 bits, VMXON. */
status_t vmx_cpu_init(void) VMX_MUST_CHECK;
struct vmx_cpu *vmx_this_cpu(void);

/* The HOST_RSP field encoding, read by vmx_entry.asm (one definition of it). */
extern const u64 vmx_host_rsp_field;

/* Checked VMX instructions: CF=1 VMfailInvalid, ZF=1 VMfailValid (SDM 31.2). */
status_t vmx_vmclear(u64 pa) VMX_MUST_CHECK;
status_t vmx_vmptrld(u64 pa) VMX_MUST_CHECK;
status_t vmwrite_checked(u64 field, u64 value) VMX_MUST_CHECK;
status_t invept_single(u64 eptp) VMX_MUST_CHECK;
status_t invvpid_single(u16 vpid) VMX_MUST_CHECK;

/* Logs a failed VMREAD/VMWRITE (no current VMCS or a bad field): the out-of-line half of both. */
void vmx_access_failed(bool write, u64 field);

/*
 * VMREAD and VMWRITE are on every exit's path, several times: inline, two instructions each
 * when they succeed (SDM 31.3: CF or ZF set means VMfailInvalid or VMfailValid). A failed
 * VMREAD reads 0.
 */
static inline u64 vmread(u64 field)
{
	u64 v;
	__asm__ goto("vmread %1, %0; jbe %l[failed]" : "=r"(v) : "r"(field) : "cc" : failed);
	return v;
failed:
	vmx_access_failed(false, field);
	return 0;
}

static inline void vmwrite(u64 field, u64 value)
{
	__asm__ goto("vmwrite %1, %0; jbe %l[failed]" : : "r"(field), "r"(value) : "cc", "memory" : failed);
	return;
failed:
	vmx_access_failed(true, field);
}

#endif
