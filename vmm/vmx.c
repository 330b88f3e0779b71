/* VMX bring-up: feature control, controls negotiated in one place, VMXON on each CPU (SDM 24.7, 24.8, A.3-A.5). */
#include "vmx.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/pmm.h"

struct vmx_caps vmx_caps;
const u64 vmx_host_rsp_field = HOST_RSP;

static const char *const pin_names[8] = { "external-interrupt exiting", NULL, NULL, "NMI exiting",
					  NULL, "virtual NMIs", "preemption timer",
					  "process posted interrupts" };

/*
 * A.3-A.5: bits 31:0 of a capability MSR are allowed 0-settings (1 = must be
 * 1), bits 63:32 allowed 1-settings. Wanted bits the CPU lacks are logged
 * and dropped; required ones fail the negotiation.
 */
static bool negotiate(const char *what, u32 msr, u32 required, u32 wanted, u32 *out)
{
	u64 cap = rdmsr(msr);
	u32 must = (u32)cap, may = (u32)(cap >> 32);
	u32 want = required | wanted;
	u32 dropped = want & ~may;
	for (u32 b = 0; b < 32; b++)
		if (dropped & BIT(b))
			LOG("vmx", "%s control bit %u%s%s not supported by this CPU%s", what, b,
			    msr == MSR_IA32_VMX_TRUE_PINBASED_CTLS && b < 8 && pin_names[b] ? " " : "",
			    msr == MSR_IA32_VMX_TRUE_PINBASED_CTLS && b < 8 && pin_names[b] ? pin_names[b] : "",
			    (required & BIT(b)) ? " (required)" : "; continuing without it");
	*out = (want & may) | must;
	return !(required & dropped);
}

static MUST_CHECK status_t feature_control(void)
{
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		/* SDM 24.7: software may enable VMX outside SMX and lock the MSR itself. */
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
		return OK;
	}
	return (fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX) ? OK : E_PERM;
}

/*
 * Posted-interrupt processing (SDM Vol. 3C 30.6) and what it rests on, used together or not at
 * all: 27.2.1.1 makes it need virtual-interrupt delivery and "acknowledge interrupt on exit",
 * and virtual-interrupt delivery needs external-interrupt exiting and the TPR shadow; Passage
 * adds x2APIC virtualization (30.5) so an x2APIC guest's EOIs need no exit either. Without any
 * one of them the vLAPIC injects through VM-entry event injection (vintr.c), and the bits are
 * dropped from the negotiated controls.
 */
void vmx_posting_off(const char *why)
{
	vmx_caps.posting = false;
	vmx_caps.pin &= ~PIN_POSTED_INTERRUPTS;
	vmx_caps.proc2 &= ~(SEC_VIRTUAL_INTR_DELIVERY | SEC_VIRTUALIZE_X2APIC);
	vmx_caps.exit &= ~EXIT_ACK_INTR_ON_EXIT;
	LOG("vmx", "CPU posted interrupts off (%s): virtual interrupts are injected at VM entry", why);
}

static void decide_posting(bool allowed)
{
	const struct { bool have; const char *name; } need[] = {
		{ allowed, "turned off with apicv=off" },
		{ vmx_caps.proc & CPU_USE_TPR_SHADOW, "no TPR shadow" },
		{ vmx_caps.proc2 & SEC_VIRTUALIZE_APIC_ACCESSES, "no APIC-access virtualization" },
		{ vmx_caps.proc2 & SEC_VIRTUAL_INTR_DELIVERY, "no virtual-interrupt delivery" },
		{ vmx_caps.proc2 & SEC_VIRTUALIZE_X2APIC, "no x2APIC virtualization" },
		{ vmx_caps.pin & PIN_POSTED_INTERRUPTS, "no posted-interrupt processing" },
		{ vmx_caps.exit & EXIT_ACK_INTR_ON_EXIT, "no acknowledge-interrupt-on-exit" },
		/* HLT stops exiting with posting: a halted vCPU's virtual timer and cli;hlt parking
		 * then rest on the VMX-preemption timer (exit_misc.c). */
		{ vmx_caps.pin & PIN_PREEMPTION_TIMER, "no VMX-preemption timer" },
	};
	for (u32 i = 0; i < ARRAY_SIZE(need); i++)
		if (!need[i].have)
			return vmx_posting_off(need[i].name);
	vmx_caps.posting = true;
	LOG("vmx", "CPU posted interrupts on: virtual-interrupt delivery, x2APIC virtualization, "
		   "posted-interrupt processing");
}

status_t vmx_global_init(bool posting_allowed)
{
	if (!cpu_has_vmx()) {
		LOG("vmx", "CPUID reports no VMX: guests cannot run on this machine");
		return E_NOTSUP;
	}
	if (feature_control() != OK) {
		LOG("vmx", "firmware locked VMX off in IA32_FEATURE_CONTROL (enable VT-x in the "
			   "firmware setup): continuing without guests");
		return E_PERM;
	}
	u64 basic = rdmsr(MSR_IA32_VMX_BASIC);
	vmx_caps.revision = (u32)basic & 0x7fffffff;
	bool tr = basic & VMX_BASIC_TRUE_CTLS;
	bool ok = negotiate("pin-based", tr ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
			    PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING,
			    PIN_VIRTUAL_NMIS | PIN_PREEMPTION_TIMER | PIN_POSTED_INTERRUPTS,
			    &vmx_caps.pin);
	ok &= negotiate("processor-based", tr ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
			CPU_HLT_EXITING | CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS | CPU_ACTIVATE_SECONDARY |
			CPU_USE_TSC_OFFSETTING,
			CPU_MWAIT_EXITING | CPU_MONITOR_EXITING | CPU_USE_TPR_SHADOW, &vmx_caps.proc);
	ok &= negotiate("secondary", MSR_IA32_VMX_PROCBASED_CTLS2,
			SEC_ENABLE_EPT | SEC_UNRESTRICTED_GUEST,
			SEC_ENABLE_VPID | SEC_WBINVD_EXITING | SEC_ENABLE_RDTSCP | SEC_ENABLE_INVPCID |
			SEC_VIRTUALIZE_APIC_ACCESSES | SEC_APIC_REGISTER_VIRT | SEC_VIRTUAL_INTR_DELIVERY |
			SEC_VIRTUALIZE_X2APIC,
			&vmx_caps.proc2);
	ok &= negotiate("VM-exit", tr ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER,
			EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT | EXIT_SAVE_DEBUG_CONTROLS | EXIT_ACK_INTR_ON_EXIT,
			&vmx_caps.exit);
	ok &= negotiate("VM-entry", tr ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			ENTRY_LOAD_IA32_EFER,
			ENTRY_LOAD_IA32_PAT | ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_IA32E_MODE,
			&vmx_caps.entry);
	vmx_caps.ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	vmx_caps.preempt_shift = rdmsr(MSR_IA32_VMX_MISC) & 0x1f; /* A.6: TSC bit that ticks the timer */
	vmx_caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	vmx_caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	vmx_caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	vmx_caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	if (!ok) {
		LOG("vmx", "a required VMX control is missing: continuing without guests");
		return E_NOTSUP;
	}
	decide_posting(posting_allowed);
	vmx_caps.usable = true;
	LOG("vmx", "VMCS revision 0x%x; pin 0x%x proc 0x%x proc2 0x%x exit 0x%x entry 0x%x; "
		   "EPT/VPID cap 0x%lx", vmx_caps.revision, vmx_caps.pin, vmx_caps.proc,
	    vmx_caps.proc2, vmx_caps.exit, vmx_caps.entry, vmx_caps.ept_vpid);
	return OK;
}

struct vmx_cpu *vmx_this_cpu(void)
{
	return this_cpu()->vmm;
}

status_t vmx_cpu_init(void)
{
	struct percpu *p = this_cpu();
	if (!vmx_caps.usable)
		return E_NOTSUP;
	if (feature_control() != OK)
		return E_PERM;
	struct vmx_cpu *v = (void *)(uintptr_t)pmm_alloc_pages(1, 0);
	u64 region = pmm_alloc_pages(1, 0);
	if (!v || !region)
		return E_NOMEM;
	*(u32 *)(uintptr_t)region = vmx_caps.revision; /* SDM 25.11.5: VMXON region header */
	/* SDM 24.8: CR0 and CR4 must honour the VMX fixed bits before VMXON. */
	write_cr0((read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1);
	/* CR4.OSXSAVE lets the host execute XSETBV on a guest's behalf (SDM 13.3). */
	u64 osxsave = (cpuid(1, 0).ecx & BIT(26)) ? BIT(18) : 0;
	write_cr4((read_cr4() | vmx_caps.cr4_fixed0 | CR4_VMXE | osxsave) & vmx_caps.cr4_fixed1);
	/* XCR0 is the guest's (exit_xsetbv executes it here): start it as RESET does, x87 only
	 * (SDM Vol. 3A 9.1.1, table 9-1), not with what the firmware enabled. */
	if (osxsave)
		__asm__ volatile("xsetbv" ::"c"(0), "a"(1), "d"(0));
	u8 cf, zf;
	__asm__ volatile("vmxon %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(region) : "cc", "memory");
	if (cf || zf) {
		LOG("vmx", "VMXON failed (%s)", cf ? "VMfailInvalid" : "VMfailValid");
		return E_IO;
	}
	v->vmxon_region = region;
	v->on = true;
	p->vmm = v;
	return OK;
}

static MUST_CHECK status_t vm_result(u8 cf, u8 zf)
{
	return cf ? E_INVAL : zf ? E_IO : OK;
}

status_t vmx_vmclear(u64 pa)
{
	u8 cf, zf;
	__asm__ volatile("vmclear %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(pa) : "cc", "memory");
	return vm_result(cf, zf);
}

status_t vmx_vmptrld(u64 pa)
{
	u8 cf, zf;
	__asm__ volatile("vmptrld %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(pa) : "cc", "memory");
	return vm_result(cf, zf);
}

void vmx_access_failed(bool write, u64 field)
{
	if (!write) {
		LOG("vmx", "VMREAD of field 0x%lx failed", field);
		return;
	}
	u64 err = 0;
	bool valid;
	__asm__ volatile("vmread %2, %0; seta %1" : "=r"(err), "=r"(valid) : "r"((u64)VM_INSTRUCTION_ERROR) : "cc");
	LOG("vmx", "VMWRITE of field 0x%lx failed (VM-instruction error %lu)", field, valid ? err : 0);
}

status_t vmwrite_checked(u64 field, u64 value)
{
	u8 cf, zf;
	__asm__ volatile("vmwrite %3, %2; setc %0; setz %1"
			 : "=r"(cf), "=r"(zf) : "r"(field), "r"(value) : "cc");
	return vm_result(cf, zf);
}

status_t invept_single(u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };
	u64 type = 1; /* single-context (SDM 31.3 INVEPT) */
	u8 cf, zf;
	__asm__ volatile("invept %2, %3; setc %0; setz %1"
			 : "=r"(cf), "=r"(zf) : "m"(desc), "r"(type) : "cc", "memory");
	return vm_result(cf, zf);
}

status_t invvpid_single(u16 vpid)
{
	struct { u64 vpid, addr; } desc = { vpid, 0 };
	u64 type = 1; /* single-context (SDM 31.3 INVVPID) */
	u8 cf, zf;
	__asm__ volatile("invvpid %2, %3; setc %0; setz %1"
			 : "=r"(cf), "=r"(zf) : "m"(desc), "r"(type) : "cc", "memory");
	return vm_result(cf, zf);
}
