/* VM-exit dispatch: the basic exit reason -> handler table and the common prologue/epilogue (SDM Vol. 3C 28, appendix C). */
#include "exits.h"
#include "vintr.h"
#include "exit_io.h"
#include "mmio.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "lib/log.h"

bool exits_test_aids;       /* set from the command line (crash=vmexit): test-aid hypercalls */

/*
 * The emulated instruction, len bytes long, completes as the CPU would have completed it (every
 * emulated instruction ends here: the exits that report it, and the MOVs mmio.c decodes):
 * - 25.4.2 (interruptibility state): STI and MOV-SS blocking cover only the next instruction, so
 *   an emulated instruction ends them ("sti; hlt" wakes right after HLT);
 * - Vol. 3B 17.3.1.4: with RFLAGS.TF set, a single-step #DB follows it; the CPU never executed
 *   it, so the trap becomes a pending debug exception (BS, 25.4.2) delivered at the next entry;
 * - Vol. 3B 17.3.1.1: a completed instruction clears RFLAGS.RF.
 */
bool exit_complete_instruction(u64 len)
{
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + len);
	u64 irq = vmread(GUEST_INTERRUPTIBILITY_INFO);
	if (irq & 3)
		vmwrite(GUEST_INTERRUPTIBILITY_INFO, irq & ~3ULL);
	u64 fl = vmread(GUEST_RFLAGS);
	if (fl & RFLAGS_TF)
		vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, vmread(GUEST_PENDING_DBG_EXCEPTIONS) | PENDING_DBG_BS);
	if (fl & RFLAGS_RF)
		vmwrite(GUEST_RFLAGS, fl & ~RFLAGS_RF);
	return true;
}

/* 28.2.5: the VM-exit instruction-length field is valid for the exits an instruction causes. */
bool exit_skip_instruction(void)
{
	return exit_complete_instruction(vmread(VM_EXIT_INSTRUCTION_LEN));
}

/* VM-entry event injection (chapter 27): #GP(0) through the guest's IDT at the next entry. A #GP
 * is a fault: its pushed RFLAGS image has RF set (Vol. 3A 6.13, Vol. 3B 17.3.1.1), which VM entry
 * takes from the guest's RFLAGS. */
void exit_inject_gp(void)
{
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | VEC_GP |
					  INTR_INFO_DELIVER_CODE);
	vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
	vmwrite(GUEST_RFLAGS, vmread(GUEST_RFLAGS) | RFLAGS_RF);
}

static u64 *gpr(struct vcpu *v, u32 n)
{
	u64 *r[16] = { &v->regs.rax, &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, NULL, &v->regs.rbp,
		       &v->regs.rsi, &v->regs.rdi, &v->regs.r8, &v->regs.r9, &v->regs.r10,
		       &v->regs.r11, &v->regs.r12, &v->regs.r13, &v->regs.r14, &v->regs.r15 };
	return r[n & 15];
}

u64 exit_read_gpr(struct vcpu *v, u32 n)
{
	return (n & 15) == 4 ? vmread(GUEST_RSP) : *gpr(v, n);
}

void exit_write_gpr(struct vcpu *v, u32 n, u64 val)
{
	if ((n & 15) == 4)
		vmwrite(GUEST_RSP, val);
	else
		*gpr(v, n) = val;
}

/* 30.4.3.3: APIC-write exits are trap-like; the value is already in the virtual-APIC page. */
static bool exit_apic_write(struct vcpu *v)
{
	/* With virtual-interrupt delivery a disabled APIC's page still traps some writes (30.4.3.1):
	 * there is no APIC to write to (SDM Vol. 3A 11.4.3), so nothing happens. */
	if ((v->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN)
		return true;
	u32 off = (u32)vmread(EXIT_QUALIFICATION) & 0xff0;
	u32 val = *(volatile u32 *)(v->vapic_page + off);
	u32 hi = *(volatile u32 *)(v->vapic_page + LAPIC_ICR_HI);
	if (!vlapic_mmio_write(&v->apic, off, val, hi))
		LOG(v->dom->name, "xAPIC write to unknown register 0x%x ignored", off);
	if (off == LAPIC_ICR_LO)
		vcpu_send_ipi(v, ((u64)(hi >> 24) << 32) | val);
	vintr_apic_hold_update(v); /* SVR */
	return true;
}

/* Nothing to do here: vintr_prepare_entry injects what is pending before the next entry. */
static bool exit_nothing(struct vcpu *v)
{
	(void)v;
	return true;
}

static bool exit_triple_fault(struct vcpu *v)
{
	vcpu_dump(v);
	domain_stop(v->dom, -1, "triple fault at guest RIP 0x%lx", vmread(GUEST_RIP));
	return false;
}

const exit_handler_fn exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI] = exit_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = exit_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = exit_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW] = exit_nothing,
	[EXIT_REASON_NMI_WINDOW] = exit_nothing,
	[EXIT_REASON_CPUID] = exit_cpuid,
	[EXIT_REASON_HLT] = exit_hlt,
	[EXIT_REASON_INVD] = exit_wbinvd,
	[EXIT_REASON_VMCALL] = exit_vmcall,
	[EXIT_REASON_CR_ACCESS] = exit_cr,
	[EXIT_REASON_IO_INSTRUCTION] = exit_io,
	[EXIT_REASON_MSR_READ] = exit_rdmsr,
	[EXIT_REASON_MSR_WRITE] = exit_wrmsr,
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = exit_nothing,
	[EXIT_REASON_APIC_ACCESS] = exit_apic_access,
	[EXIT_REASON_EPT_VIOLATION] = exit_ept_violation,
	[EXIT_REASON_PREEMPTION_TIMER] = exit_preemption_timer,
	[EXIT_REASON_WBINVD] = exit_wbinvd,
	[EXIT_REASON_XSETBV] = exit_xsetbv,
	[EXIT_REASON_APIC_WRITE] = exit_apic_write,
};

/* 28.2.4: an event whose delivery the exit interrupted is delivered again at the next entry. */
void exit_reinject_vectoring(void)
{
	u32 info = (u32)vmread(IDT_VECTORING_INFO_FIELD);
	if (!(info & INTR_INFO_VALID))
		return;
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, info & ~BIT(12));
	if (info & INTR_INFO_DELIVER_CODE)
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(IDT_VECTORING_ERROR_CODE));
	vmwrite(VM_ENTRY_INSTRUCTION_LEN, vmread(VM_EXIT_INSTRUCTION_LEN));
}

bool exit_unexpected(struct vcpu *v, u32 reason)
{
	vcpu_dump(v);
	domain_stop(v->dom, -1, "unhandled VM exit reason %u at guest RIP 0x%lx", reason, vmread(GUEST_RIP));
	return false;
}

/* EPT changes made by another CPU take effect before this vCPU enters again. */
bool exit_ept_resync(struct vcpu *v)
{
	if (ept_sync(v) == OK)
		return true;
	domain_stop(v->dom, -1, "INVEPT failed after an EPT change");
	return false;
}

status_t exits_init(void)
{
	status_t st;
	if ((st = ept_global_init()) || (st = vuart_register()) || (st = vports_register()) ||
	    (st = mmio_register_apic()) || (exits_test_aids && (st = vtestdev_register())))
		LOG("vmx", "device models not registered: %s", status_str(st));
	return st;
}
