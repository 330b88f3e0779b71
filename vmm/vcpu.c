/* vCPU: VMCS set-up following SDM Vol. 3C 27.2-27.3 (the checks VM entry makes; numbering in vmm/vmcs_fields.h), the run loop, stop and dumps. */
#include "vcpu.h"
#include "exits.h"
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/exceptions.h"
#include "arch/x86/percpu.h"
#include "iommu/iommu.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"
#include "console.h"
#include "passthrough.h"
#include "vintr.h"
#include "arch/x86/lapic.h"
#include "arch/x86/tsc.h"

extern char vmx_exit_entry[];

/*
 * Runs the guest until its next VM exit (vmx_entry.asm): 0, or 1 VMfailInvalid, 2 VMfailValid.
 * The stub preserves no general register but RSP: naming them all clobbered lets the compiler
 * keep only what it needs across the guest run, instead of the stub saving every callee-saved
 * register on each round trip.
 */
static inline int vmx_run(struct guest_regs **regs)
{
	int r;
	__asm__ volatile("call vmx_enter"
			 : "=a"(r), "+D"(*regs)
			 :
			 : "rbx", "rcx", "rdx", "rsi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13",
			   "r14", "r15", "memory", "cc");
	return r;
}

static void setup_host_state(void)
{
	struct percpu *p = this_cpu();
	struct desc_ptr idtr;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	/* 27.2.2-27.2.4: host state must be 64-bit, with the selectors' RPL/TI clear. */
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SELECTOR, SEL_CODE64);
	vmwrite(HOST_SS_SELECTOR, SEL_DATA);
	vmwrite(HOST_DS_SELECTOR, SEL_DATA);
	vmwrite(HOST_ES_SELECTOR, SEL_DATA);
	vmwrite(HOST_FS_SELECTOR, 0);
	vmwrite(HOST_GS_SELECTOR, 0);
	vmwrite(HOST_TR_SELECTOR, SEL_TSS);
	vmwrite(HOST_FS_BASE, 0);
	vmwrite(HOST_GS_BASE, (u64)(uintptr_t)p);
	vmwrite(HOST_TR_BASE, (u64)(uintptr_t)&p->tss);
	vmwrite(HOST_GDTR_BASE, (u64)(uintptr_t)p->gdt);
	vmwrite(HOST_IDTR_BASE, idtr.base);
	vmwrite(HOST_IA32_SYSENTER_CS, 0);
	vmwrite(HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmwrite(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmwrite(HOST_RIP, (u64)(uintptr_t)vmx_exit_entry);
}

static void seg(u32 sel_f, u32 base_f, u32 lim_f, u32 ar_f, u16 sel, u64 base, u32 lim, u32 ar)
{
	vmwrite(sel_f, sel);
	vmwrite(base_f, base);
	vmwrite(lim_f, lim);
	vmwrite(ar_f, ar);
}

/* Linux 64-bit boot protocol (Documentation/x86/boot.rst): long mode, identity paging,
 * __BOOT_CS = 0x10 and __BOOT_DS = 0x18 in a GDT the loader placed in guest memory. */
static void setup_guest_long64(struct vcpu *v)
{
	const u32 code64 = 0xa09b, data = 0xc093; /* L=1 code; flat data */
	seg(GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, 0x10, 0, 0xffffffff, code64);
	seg(GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES, 0x18, 0, 0xffffffff, data);
	seg(GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES, 0x18, 0, 0xffffffff, data);
	seg(GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES, 0x18, 0, 0xffffffff, data);
	seg(GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES, 0x18, 0, 0xffffffff, data);
	seg(GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES, 0x18, 0, 0xffffffff, data);
	vmwrite(GUEST_GDTR_BASE, v->entry_gdt);
	vmwrite(GUEST_GDTR_LIMIT, 0x1f);
	u64 cr0 = CR0_PE | CR0_PG | CR0_NE | BIT(4) | CR0_WP;
	vmwrite(GUEST_CR0, (cr0 | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1);
	vmwrite(CR0_READ_SHADOW, cr0);
	vmwrite(GUEST_CR4, (CR4_PAE | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
	vmwrite(CR4_READ_SHADOW, CR4_PAE);
	vmwrite(GUEST_CR3, v->entry_cr3);
	vmwrite(GUEST_IA32_EFER, BIT(8) | BIT(10)); /* LME, LMA */
	vmwrite(VM_ENTRY_CONTROLS, vmx_caps.entry | ENTRY_IA32E_MODE);
}

/* SDM 9.4.4 / 10.1: after INIT and SIPI a processor runs real mode at CS = vector << 8, IP 0. */
static void setup_guest_real16(struct vcpu *v)
{
	u32 vec = v->sipi_vector & 0xff;
	seg(GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, (u16)(vec << 8),
	    (u64)vec << 12, 0xffff, 0x9b);
	const u32 f[][4] = { { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
			     { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
			     { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
			     { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
			     { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES } };
	for (u32 i = 0; i < 5; i++)
		seg(f[i][0], f[i][1], f[i][2], f[i][3], 0, 0, 0xffff, 0x93);
	u64 cr0 = BIT(4); /* ET; PE and PG clear (unrestricted guest) */
	vmwrite(GUEST_CR0, (cr0 | vmx_caps.cr0_fixed0 | CR0_NE) & ~(CR0_PG | CR0_PE) & vmx_caps.cr0_fixed1);
	vmwrite(CR0_READ_SHADOW, cr0);
	vmwrite(GUEST_RIP, 0);
	vmwrite(GUEST_IA32_EFER, 0);
	vmwrite(VM_ENTRY_CONTROLS, vmx_caps.entry & ~ENTRY_IA32E_MODE);
}

/* Multiboot1 machine state (Multiboot spec 3.2): flat 32-bit protected mode, paging off. */
static void setup_guest_state(struct vcpu *v)
{
	const u32 code32 = 0xc09b, data32 = 0xc093; /* G, D/B, P, S, type (accessed) */
	seg(GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, 0x08, 0, 0xffffffff, code32);
	seg(GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES, 0x10, 0, 0xffffffff, data32);
	seg(GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES, 0x10, 0, 0xffffffff, data32);
	seg(GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES, 0x10, 0, 0xffffffff, data32);
	seg(GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES, 0x10, 0, 0xffffffff, data32);
	seg(GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES, 0x10, 0, 0xffffffff, data32);
	/* 27.3.1.2: TR must be a busy TSS; LDTR may be unusable (AR bit 16). */
	seg(GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES, 0, 0, 0xff, 0x8b);
	seg(GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES, 0, 0, 0, 0x10000);
	vmwrite(GUEST_GDTR_BASE, 0);
	vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	vmwrite(GUEST_IDTR_BASE, 0);
	vmwrite(GUEST_IDTR_LIMIT, 0xffff);
	/* With unrestricted guest CR0.PE/PG may be 0; other fixed bits (NE) stay set, hidden by the shadow. */
	u64 cr0 = CR0_PE | BIT(4) /* ET */;
	vmwrite(GUEST_CR0, (cr0 | vmx_caps.cr0_fixed0 | CR0_NE) & ~(CR0_PG) & vmx_caps.cr0_fixed1);
	vmwrite(CR0_READ_SHADOW, cr0);
	vmwrite(CR0_GUEST_HOST_MASK, CR0_NE);
	vmwrite(GUEST_CR4, vmx_caps.cr4_fixed0 & vmx_caps.cr4_fixed1);
	vmwrite(CR4_READ_SHADOW, 0);
	/* 25.6.6: Passage owns VMXE and every bit the guest may not set, so writes that try them
	 * exit and get their #GP from exit_cr.c (SDM Vol. 2B MOV CR). */
	vmwrite(CR4_GUEST_HOST_MASK, ~exit_cr4_guest_bits());
	vmwrite(GUEST_CR3, 0);
	vmwrite(GUEST_DR7, 0x400);
	vmwrite(GUEST_RSP, 0);
	vmwrite(GUEST_RIP, v->entry_rip);
	vmwrite(GUEST_RFLAGS, 0x2);
	vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmwrite(GUEST_ACTIVITY_STATE, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	vmwrite(GUEST_IA32_EFER, 0);
	vmwrite(GUEST_IA32_PAT, 0x0007040600070406ULL);
	vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmwrite(VMCS_LINK_POINTER, ~0ULL);
	if (v->entry_mode == GUEST_MODE_LONG64)
		setup_guest_long64(v);
	else if (v->entry_mode == GUEST_MODE_REAL16)
		setup_guest_real16(v);
}

/*
 * The xAPIC page is an APIC only in xAPIC mode (SDM Vol. 3A 11.4.3: a disabled APIC is as if
 * there were none; 11.12.1.2: x2APIC mode has no MMIO interface). Outside xAPIC mode, APIC-
 * register virtualization goes off, so accesses to the page exit (SDM Vol. 3C 30.4) and mmio.c
 * answers them as an empty bus; TPR accesses stay virtualized by the TPR shadow, and with
 * virtual-interrupt delivery EOI and ICR writes too (30.4.3.1: exits.c ignores the APIC-write
 * exit such an ICR write causes, vintr.c holds the interrupts of a disabled APIC). With CPU
 * posting, x2APIC mode uses x2APIC virtualization instead (30.5: TPR, EOI and SELF IPI writes
 * need no exit) and its MSR bitmap; APIC-access virtualization must then be off (27.2.1.1), and
 * the window is the domain's own APIC-access page read as memory (ept.c).
 */
void vcpu_apic_mode_changed(struct vcpu *v)
{
	u32 proc2 = (u32)vmread(SECONDARY_VM_EXEC_CONTROL);
	u64 mode = v->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD);
	bool x2v = vmx_caps.posting && mode == (APIC_BASE_EN | APIC_BASE_EXTD);
	u32 want = proc2 & ~(SEC_APIC_REGISTER_VIRT | SEC_VIRTUALIZE_X2APIC | SEC_VIRTUALIZE_APIC_ACCESSES);
	if (x2v)
		want |= SEC_VIRTUALIZE_X2APIC;
	else
		want |= vmx_caps.proc2 & (SEC_VIRTUALIZE_APIC_ACCESSES |
					  (mode == APIC_BASE_EN ? SEC_APIC_REGISTER_VIRT : 0));
	if (want != proc2)
		vmwrite(SECONDARY_VM_EXEC_CONTROL, want);
	if (vmx_caps.posting)
		vmwrite(MSR_BITMAP, (u64)(uintptr_t)(x2v ? v->dom->msr_bitmap_x2v : v->dom->msr_bitmap));
}

/*
 * IA32_APIC_BASE at power-up (SDM Vol. 3A 11.12.5.1: after RESET the APIC is enabled in xAPIC
 * mode; BSP set on vCPU 0 only). A Linux domain starts as firmware of an x2APIC platform leaves
 * it, in x2APIC mode ("x2apic enabled by BIOS"): Linux keeps x2APIC only when firmware enabled
 * it or interrupt remapping is present, and the domain has no interrupt remapping. Multiboot1
 * guests get the reset state.
 */
static u64 power_up_apic_base(struct vcpu *v)
{
	bool linux_domain = v->dom->vcpus[0] && v->dom->vcpus[0]->entry_mode == GUEST_MODE_LONG64;
	return GUEST_APIC_GPA | APIC_BASE_EN | (linux_domain ? APIC_BASE_EXTD : 0) | (v->id ? 0 : APIC_BASE_BSP);
}

/* HLT exits at first; with CPU posting vintr.c lets it through while no virtual timer runs. */
static u32 proc_controls(void)
{
	return vmx_caps.proc;
}

static void setup_controls(struct vcpu *v)
{
	struct domain *d = v->dom;
	vmwrite(PIN_BASED_VM_EXEC_CONTROL, vmx_caps.pin);
	vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc_controls());
	u32 proc2 = vmx_caps.proc2;
	if (!v->vpid)
		proc2 &= ~SEC_ENABLE_VPID;
	proc2 &= ~SEC_VIRTUALIZE_X2APIC; /* vcpu_apic_mode_changed picks it or APIC accesses */
	vmwrite(SECONDARY_VM_EXEC_CONTROL, proc2);
	vmwrite(VM_EXIT_CONTROLS, vmx_caps.exit);
	vmwrite(VM_ENTRY_CONTROLS, vmx_caps.entry & ~ENTRY_IA32E_MODE);
	vmwrite(EXCEPTION_BITMAP, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmwrite(IO_BITMAP_A, (u64)(uintptr_t)d->io_bitmap);
	vmwrite(IO_BITMAP_B, (u64)(uintptr_t)d->io_bitmap + PAGE_SIZE);
	vmwrite(MSR_BITMAP, (u64)(uintptr_t)d->msr_bitmap);
	vmwrite(EPT_POINTER, d->eptp);
	if (v->vpid)
		vmwrite(VIRTUAL_PROCESSOR_ID, v->vpid);
	vmwrite(TSC_OFFSET, 0);
	if (vmx_caps.proc & CPU_USE_TPR_SHADOW) {
		vmwrite(VIRTUAL_APIC_PAGE_ADDR, (u64)(uintptr_t)v->vapic_page);
		vmwrite(TPR_THRESHOLD, 0);
	}
	if (proc2 & SEC_VIRTUALIZE_APIC_ACCESSES)
		vmwrite(APIC_ACCESS_ADDR, d->apic_access);
	if (vmx_caps.posting) {
		/* 30.6: the descriptor (its NV and NDST, this CPU, set when the domain was built: a
		 * posted IRTE may name it before the vCPU runs) and its notification vector. No vector
		 * needs an EOI exit: Passage models no level-triggered source (30.1.4). */
		vmwrite(POSTED_INTR_NV, vcpu_notify_vector());
		vmwrite(POSTED_INTR_DESC_ADDR, (u64)(uintptr_t)&v->pid);
		for (u32 i = 0; i < 4; i++)
			vmwrite(EOI_EXIT_BITMAP0 + 2 * i, 0);
		vmwrite(GUEST_INTR_STATUS, 0);
		__atomic_store_n(&v->apic.pid, &v->pid, __ATOMIC_RELEASE);
	}
	vcpu_apic_mode_changed(v); /* last: it picks the secondary controls and MSR bitmap */
	v->proc_ctl = proc_controls();
	v->tpr_threshold = 0;
	v->preempt_ticks = ~0ULL;
	v->preempt_quiet = false;
}

status_t vcpu_setup(struct vcpu *v)
{
	if (!(v->vmcs = pmm_alloc_pages(1, 0)) ||
	    !(v->vapic_page = (u8 *)(uintptr_t)pmm_alloc_pages(1, 0)))
		return E_NOMEM;
	*(u32 *)(uintptr_t)v->vmcs = vmx_caps.revision; /* 25.2: VMCS revision identifier */
	status_t st = vmx_vmclear(v->vmcs);
	if (!st)
		st = vmx_vmptrld(v->vmcs);
	if (st) {
		LOG("vmx", "VMCLEAR/VMPTRLD failed for %s vCPU %u", v->dom->name, v->id);
		return st;
	}
	v->regs.launched = 0;   /* 25.11.3: VMCLEAR left the VMCS clear; its HOST_RSP is unwritten */
	v->regs.host_rsp = 0;
	v->regs.tsc_guest = 0;
	v->apic_base = power_up_apic_base(v);
	setup_controls(v);
	setup_host_state();
	setup_guest_state(v);
	vintr_apic_reset(v);
	/* Power-up values of the emulated MSRs (SDM Vol. 3A 9.1 table 9-1; Vol. 4 table 2-2): the
	 * TSC starts at the host's (offset 0, adjust 0), no BTS/PEBS, no MTRRs enabled. */
	v->msr.tsc_adjust = 0;
	v->msr.misc_enable = MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAILABLE | MISC_ENABLE_PEBS_UNAVAILABLE;
	v->msr.mtrr_def_type = 0;
	/* 29.4.3: no translations this CPU cached for the EPTP or VPID survive. */
	v->ept_gen = __atomic_load_n(&v->dom->ept_gen, __ATOMIC_ACQUIRE);
	if ((v->vpid && (st = invvpid_single(v->vpid))) || (st = invept_single(v->dom->eptp))) {
		LOG("vmx", "INVVPID/INVEPT failed for %s vCPU %u (%s)", v->dom->name, v->id, status_str(st));
		return st;
	}
	return OK;
}

static vcpu_stop_fn stop_hook;

void vcpu_set_stop_hook(vcpu_stop_fn fn)
{
	stop_hook = fn;
}

void vcpu_reset_to_sipi(struct vcpu *v)
{
	v->entry_mode = GUEST_MODE_REAL16;
	setup_guest_state(v);
	v->regs = (struct guest_regs){ .launched = v->regs.launched, .host_rsp = v->regs.host_rsp,
				       .tsc_guest = v->regs.tsc_guest, .tsc_exit = v->regs.tsc_exit };
	/* INIT resets the local APIC too (SDM Vol. 3A 11.4.7.3): its register file is rewritten. */
	vintr_apic_reset(v);
	/* 11.12.5.1: INIT keeps the APIC's mode (disabled, xAPIC or x2APIC) and IA32_APIC_BASE. */
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
}

void domain_stop(struct domain *d, int code, const char *fmt, ...)
{
	spin_lock(&d->lock);
	if (d->state == DOM_STOPPED) {
		spin_unlock(&d->lock);
		return;
	}
	d->state = DOM_STOPPED;
	d->exit_code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->stop_reason, sizeof d->stop_reason, fmt, ap);
	va_end(ap);
	spin_unlock(&d->lock);
	LOG("domain", "%s stopped: %s (exit code %d)", d->name, d->stop_reason, code);
	passthrough_stop(d); /* its devices quiesced and detached before anything else runs */
	for (u32 i = 0; i < d->nr_vcpus; i++)
		vcpu_kick(d->vcpus[i]);
}

void vcpu_dump(struct vcpu *v)
{
	LOG("vmx", "%s vCPU %u: VM-instruction error %lu, exit reason 0x%lx, qualification 0x%lx",
	    v->dom->name, v->id, vmread(VM_INSTRUCTION_ERROR), vmread(VM_EXIT_REASON),
	    vmread(EXIT_QUALIFICATION));
	LOG("vmx", "  guest RIP 0x%lx RSP 0x%lx RFLAGS 0x%lx CR0 0x%lx CR3 0x%lx CR4 0x%lx EFER 0x%lx",
	    vmread(GUEST_RIP), vmread(GUEST_RSP), vmread(GUEST_RFLAGS), vmread(GUEST_CR0),
	    vmread(GUEST_CR3), vmread(GUEST_CR4), vmread(GUEST_IA32_EFER));
	LOG("vmx", "  guest CS %lx/%lx/%lx SS %lx/%lx TR %lx/%lx activity %lu interruptibility 0x%lx",
	    vmread(GUEST_CS_SELECTOR), vmread(GUEST_CS_BASE), vmread(GUEST_CS_AR_BYTES),
	    vmread(GUEST_SS_SELECTOR), vmread(GUEST_SS_AR_BYTES), vmread(GUEST_TR_SELECTOR),
	    vmread(GUEST_TR_AR_BYTES), vmread(GUEST_ACTIVITY_STATE), vmread(GUEST_INTERRUPTIBILITY_INFO));
	LOG("vmx", "  RAX 0x%lx RBX 0x%lx RCX 0x%lx RDX 0x%lx RSI 0x%lx RDI 0x%lx", v->regs.rax,
	    v->regs.rbx, v->regs.rcx, v->regs.rdx, v->regs.rsi, v->regs.rdi);
	LOG("vmx", "  host CR0 0x%lx CR3 0x%lx CR4 0x%lx RIP 0x%lx; controls pin 0x%lx proc 0x%lx "
		   "proc2 0x%lx exit 0x%lx entry 0x%lx EPTP 0x%lx",
	    vmread(HOST_CR0), vmread(HOST_CR3), vmread(HOST_CR4), vmread(HOST_RIP),
	    vmread(PIN_BASED_VM_EXEC_CONTROL), vmread(CPU_BASED_VM_EXEC_CONTROL),
	    vmread(SECONDARY_VM_EXEC_CONTROL), vmread(VM_EXIT_CONTROLS), vmread(VM_ENTRY_CONTROLS),
	    vmread(EPT_POINTER));
}

static const char *exit_name(u32 r)
{
	switch (r) {
	case EXIT_REASON_EXCEPTION_NMI: return "exception/NMI";
	case EXIT_REASON_EXTERNAL_INTERRUPT: return "external interrupt";
	case EXIT_REASON_TRIPLE_FAULT: return "triple fault";
	case EXIT_REASON_INTERRUPT_WINDOW: return "interrupt window";
	case EXIT_REASON_NMI_WINDOW: return "NMI window";
	case EXIT_REASON_CPUID: return "CPUID";
	case EXIT_REASON_HLT: return "HLT";
	case EXIT_REASON_INVD: return "INVD";
	case EXIT_REASON_VMCALL: return "VMCALL";
	case EXIT_REASON_CR_ACCESS: return "CR access";
	case EXIT_REASON_IO_INSTRUCTION: return "I/O";
	case EXIT_REASON_MSR_READ: return "RDMSR";
	case EXIT_REASON_MSR_WRITE: return "WRMSR";
	case EXIT_REASON_EPT_VIOLATION: return "EPT violation";
	case EXIT_REASON_EPT_MISCONFIG: return "EPT misconfiguration";
	case EXIT_REASON_WBINVD: return "WBINVD";
	case EXIT_REASON_XSETBV: return "XSETBV";
	case EXIT_REASON_PREEMPTION_TIMER: return "preemption timer";
	case EXIT_REASON_APIC_WRITE: return "APIC write";
	case EXIT_REASON_APIC_ACCESS: return "APIC access";
	default: return "other";
	}
}

/* Not counted on the exit path: the sum of the per-reason counts. */
u64 vcpu_exits_total(const struct vcpu *v)
{
	u64 n = 0;
	for (u32 r = 0; r < EXIT_REASON_MAX; r++)
		n += v->exits[r];
	return n;
}

void vcpu_stats(struct vcpu *v)
{
	LOG("stats", "%s vCPU %u on CPU %u: %lu exits, %lu Mcycles in guest", v->dom->name, v->id,
	    v->cpu, vcpu_exits_total(v), v->regs.tsc_guest / 1000000);
	for (u32 r = 0; r < EXIT_REASON_MAX; r++)
		if (v->exits[r])
			LOG("stats", "%s vCPU %u:   %-20s (%2u) %lu", v->dom->name, v->id, exit_name(r), r,
			    v->exits[r]);
}

/* Other CPUs leave their guest at least this often to answer requests. A kick should make them
 * exit at once, but Bochs 3.0 takes no external-interrupt exit while the guest runs with IF=0
 * (seen with the compute guest; its VM entry evaluates interrupt masking before it marks the
 * CPU as in a guest), so the VMX-preemption timer is the fallback. */
#define REQUEST_POLL_MS 50

static bool serves_console(void)
{
	return this_cpu()->cpu == 0;
}

static void fill_snapshot(struct vcpu *v, struct vcpu_snapshot *s)
{
	s->rip = vmread(GUEST_RIP), s->rsp = vmread(GUEST_RSP), s->rflags = vmread(GUEST_RFLAGS);
	s->cr0 = vmread(CR0_READ_SHADOW), s->cr3 = vmread(GUEST_CR3), s->cr4 = vmread(CR4_READ_SHADOW);
	s->efer = vmread(GUEST_IA32_EFER), s->cs = vmread(GUEST_CS_SELECTOR);
	s->activity = vmread(GUEST_ACTIVITY_STATE);
	s->interruptibility = vmread(GUEST_INTERRUPTIBILITY_INFO);
	s->exits_total = vcpu_exits_total(v), s->halted = v->halted, s->interrupts = v->apic.interrupts;
	s->tsc_in_guest = v->regs.tsc_guest;
	s->tpr = vlapic_get(&v->apic, APIC_TPR), s->ppr = vlapic_ppr(&v->apic);
	s->irr = vlapic_highest_irr(&v->apic), s->isr = vlapic_highest_isr(&v->apic);
	s->taken_on_cpu = this_cpu()->cpu;
}

void vcpu_service_requests(struct vcpu *v)
{
	u32 asked = __atomic_load_n(&v->snap_asked, __ATOMIC_ACQUIRE);
	if (asked == v->snap_served)
		return;
	fill_snapshot(v, &v->snap);
	__atomic_store_n(&v->snap_served, asked, __ATOMIC_RELEASE);
}

static bool snapshot_asked(struct vcpu *v)
{
	return __atomic_load_n(&v->snap_asked, __ATOMIC_ACQUIRE) != v->snap_served;
}

/* One requester at a time: the console, on the boot CPU. */
status_t vcpu_snapshot(struct vcpu *v, struct vcpu_snapshot *out, u32 timeout_ms)
{
	if (!__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE))
		return E_NOENT;
	u32 seq = __atomic_add_fetch(&v->snap_asked, 1, __ATOMIC_SEQ_CST);
	if (v->cpu == this_cpu()->cpu) {
		vcpu_service_requests(v); /* called from v's own run loop: its VMCS is current */
	} else {
		vcpu_kick(v);
		u64 end = rdtsc() + tsc_khz() * timeout_ms;
		while (__atomic_load_n(&v->snap_served, __ATOMIC_ACQUIRE) != seq)
			if (rdtsc() > end || !__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE))
				return E_TIMEDOUT;
			else
				cpu_relax();
	}
	*out = v->snap;
	return OK;
}

/* The CPU's own duties between guest instructions: other CPUs' requests, the console. */
static u64 next_console_poll;

static void host_work(struct vcpu *v, u64 now)
{
	if (snapshot_asked(v))
		vcpu_service_requests(v);
	if (now >= next_console_poll && serves_console()) {
		next_console_poll = now + tsc_khz() * CONSOLE_POLL_MS;
		console_poll();
		iommu_fault_log_flush(); /* VT-d fault lines queued by the fault interrupt (review D10) */
	}
}

void vcpu_idle(struct vcpu *v, u64 next)
{
	u64 now = rdtsc();
	host_work(v, now);
	if (v->max_run_tsc && (!next || next > now + v->max_run_tsc))
		next = now + v->max_run_tsc; /* wake for host work even when the guest waits for ever */
	lapic_idle_until(next);
}

/* An application vCPU waits here for the guest's INIT and start-up IPIs, its CPU halted: the SIPI
 * kicks it (vipi.c), and it looks again every millisecond (a stop). */
static bool wait_for_sipi(struct vcpu *v)
{
	while (!(__atomic_load_n(&v->sipi_vector, __ATOMIC_ACQUIRE) & BIT(31)))
		if (v->dom->state == DOM_STOPPED)
			return false;
		else
			vcpu_idle(v, rdtsc() + tsc_khz());
	v->entry_mode = GUEST_MODE_REAL16;
	__atomic_store_n(&v->init_pending, false, __ATOMIC_RELEASE); /* the INIT before this SIPI is spent */
	return true;
}

/*
 * The round trips of v on its own CPU, until its domain stops or an entry fails. Out of line
 * from vcpu_run: nothing here lives across its setjmp, and v comes back from vmx_enter in RDI
 * (the stub returns the regs pointer it was given), so it is not kept on the stack.
 */
static __attribute__((noinline)) void run_loop(struct vcpu *v)
{
	bool console = serves_console();
	while (v->dom->state == DOM_RUNNING) {
		vintr_prepare_entry(v);
		struct guest_regs *regs = &v->regs;
		int r = vmx_run(&regs);
		v = (struct vcpu *)((char *)regs - __builtin_offsetof(struct vcpu, regs));
		u64 t_exit = v->regs.tsc_exit;
		if (r) {
			LOG("vmx", "%s vCPU %u: VM entry failed (%s)", v->dom->name, v->id,
			    r == 1 ? "VMfailInvalid" : "VMfailValid");
			vcpu_dump(v);
			domain_stop(v->dom, -1, "VM entry failed, VM-instruction error %lu",
				    vmread(VM_INSTRUCTION_ERROR));
			return;
		}
		u32 reason = (u32)vmread(VM_EXIT_REASON);
		if (reason & EXIT_REASON_FAILED_ENTRY) {
			LOG("vmx", "%s vCPU %u: VM entry failed with exit reason %u", v->dom->name, v->id,
			    reason & 0xffff);
			vcpu_dump(v);
			domain_stop(v->dom, -1, "VM entry failed (invalid guest state, reason %u)",
				    reason & 0xffff);
			return;
		}
		reason &= 0xffff;
		if (__builtin_expect(reason < EXIT_REASON_MAX, 1))
			v->exits[reason]++;
		if (snapshot_asked(v) || (console && t_exit >= next_console_poll))
			host_work(v, t_exit);
		if (!vmexit_handle(v, reason))
			return;
	}
}

static u64 max_run_tsc(void)
{
	return tsc_khz() * (serves_console() ? CONSOLE_POLL_MS : REQUEST_POLL_MS);
}

void vcpu_set_quiet(struct vcpu *v, bool quiet)
{
	v->max_run_tsc = quiet ? 0 : max_run_tsc();
	v->preempt_quiet = false; /* the VMX-preemption timer is re-armed at the next entry (vintr.c) */
}

void vcpu_run(struct vcpu *v)
{
	struct domain *d = v->dom;
	if (v->entry_mode == GUEST_MODE_WAIT_SIPI && !wait_for_sipi(v))
		goto out;
	if (vcpu_setup(v)) {
		domain_stop(d, -1, "vCPU %u set-up failed", v->id);
		goto out;
	}
	if (d->state == DOM_CREATED)
		d->state = DOM_RUNNING;
	LOG("domain", "%s vCPU %u starting at 0x%lx on CPU %u", d->name, v->id,
	    v->entry_mode == GUEST_MODE_REAL16 ? (u64)(v->sipi_vector & 0xff) << 12 : v->entry_rip, v->cpu);
	/* A hypervisor fault while handling this vCPU's exits stops its domain, not the CPU. */
	struct jmpbuf recovery;
	if (arch_setjmp(&recovery)) {
		domain_stop(d, -1, "hypervisor exception while handling a VM exit of vCPU %u "
			    "(dump above)", v->id);
		goto out;
	}
	exceptions_set_recovery(&recovery);
	/* A guest that never exits must still leave the CPU every few milliseconds (the
	 * VMX-preemption timer, see vintr.c): the boot CPU serves the console, every CPU requests. */
	v->max_run_tsc = max_run_tsc();
	__atomic_store_n(&v->on_cpu, true, __ATOMIC_RELEASE);
	run_loop(v);
out:
	__atomic_store_n(&v->on_cpu, false, __ATOMIC_RELEASE);
	exceptions_set_recovery(NULL);
	vcpu_stats(v);
	if (v->vmcs && vmx_vmclear(v->vmcs) != OK)
		LOG("vmx", "%s vCPU %u: VMCLEAR failed", d->name, v->id);
	if (stop_hook)
		stop_hook();
}
