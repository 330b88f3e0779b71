/* VM-exit handlers: CPUID, I/O, MSRs, CRs, XSETBV, caches, HLT, VMCALL, EPT violations (SDM chapter 27, 28). */
#include "vcpu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "console.h"
#include "guest_mem.h"
#include "lib/log.h"
#include "lib/string.h"

#define PORT_EXIT 0xf4            /* test device: a write ends the guest with that code */
#define COM1 0x3f8
#define HC_CONSOLE_WRITE 1        /* VMCALL EAX=1: EBX guest-physical string, ECX length */
#define HC_EXIT 2                 /* VMCALL EAX=2: exit with code EBX */
#define HC_MAX_WRITE 4096
#define HC_TEST_HOST_FAULT 0xc0de /* only with crash=vmexit: the handler itself faults */

bool exits_test_host_fault;       /* set from the command line (crash=vmexit) */

/* Emulated instruction done: advance RIP and end STI/MOV-SS blocking, which covers only the
 * instruction after them (SDM 26.3.1.5 table 25-3), so "sti; hlt" wakes right after HLT. */
static void skip_instruction(void)
{
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN));
	u64 irq = vmread(GUEST_INTERRUPTIBILITY_INFO);
	if (irq & 3)
		vmwrite(GUEST_INTERRUPTIBILITY_INFO, irq & ~3ULL);
}

/* 26.6.1.1 / 25.8.3: inject a hardware exception at the next entry (RIP not advanced). */
static void inject_exception(u8 vector, bool has_code, u32 code)
{
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector |
					  (has_code ? INTR_INFO_DELIVER_CODE : 0));
	if (has_code)
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, code);
}

/* General register n in the SDM's encoding (0 RAX .. 15 R15); RSP lives in the VMCS. */
static u64 *gpr(struct vcpu *v, u32 n)
{
	u64 *r[16] = { &v->regs.rax, &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, NULL, &v->regs.rbp,
		       &v->regs.rsi, &v->regs.rdi, &v->regs.r8, &v->regs.r9, &v->regs.r10,
		       &v->regs.r11, &v->regs.r12, &v->regs.r13, &v->regs.r14, &v->regs.r15 };
	return r[n & 15];
}

static u64 read_gpr(struct vcpu *v, u32 n)
{
	return (n & 15) == 4 ? vmread(GUEST_RSP) : *gpr(v, n);
}

static void write_gpr(struct vcpu *v, u32 n, u64 val)
{
	if ((n & 15) == 4)
		vmwrite(GUEST_RSP, val);
	else
		*gpr(v, n) = val;
}

void guest_console_putc(struct domain *d, char c)
{
	if (c == '\r')
		return;
	if (c != '\n' && d->con_len < sizeof d->con - 1) {
		d->con[d->con_len++] = c;
		return;
	}
	d->con[d->con_len] = '\0';
	LOG(d->name, "%s", d->con);
	d->con_len = 0;
	if (c != '\n')
		d->con[d->con_len++] = c;
}

static bool handle_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->regs.rax, sub = (u32)v->regs.rcx;
	struct cpuid_regs r = cpuid(leaf, sub);
	if (leaf == 1) {
		r.ecx &= ~CPUID1_ECX_VMX;             /* no nested VMX */
		r.ecx |= CPUID1_ECX_HYPERVISOR;
		/* OSXSAVE mirrors the guest's CR4.OSXSAVE, not the host's (SDM CPUID leaf 1). */
		r.ecx = (vmread(GUEST_CR4) & BIT(18)) ? r.ecx | BIT(27) : r.ecx & ~BIT(27);
		r.ebx = (r.ebx & 0x00ffffff) | (v->id << 24); /* initial APIC ID of this vCPU */
		r.ecx &= ~BIT(3);                     /* MONITOR/MWAIT: they would exit */
	} else if (leaf == 6 || leaf == 0xa) {
		r = (struct cpuid_regs){ 0, 0, 0, 0 }; /* no thermal/power or PMU interface */
	} else if (leaf == 7 && sub == 0) {
		if (!(vmx_caps.proc2 & SEC_ENABLE_INVPCID))
			r.ebx &= ~BIT(10);
		r.edx &= ~BIT(29);                    /* IA32_ARCH_CAPABILITIES not offered */
	} else if (leaf == 0xb || leaf == 0x1f) {
		r.edx = v->id;                        /* x2APIC ID */
	} else if (leaf == 0xd && sub == 1) {
		r.eax &= ~BIT(3);                     /* XSAVES/XRSTORS are not enabled for guests */
	} else if (leaf == 0x80000001) {
		if (!(vmx_caps.proc2 & SEC_ENABLE_RDTSCP))
			r.edx &= ~BIT(27);
	} else if (leaf == 0x40000000) {
		/* Hypervisor leaf: max leaf in EAX, signature "PassageHV\0\0\0" in EBX, ECX, EDX. */
		r.eax = 0x40000000;
		memcpy(&r.ebx, "Pass", 4);
		memcpy(&r.ecx, "ageH", 4);
		memcpy(&r.edx, "V\0\0\0", 4);
	} else if (leaf > 0x40000000 && leaf < 0x40000100) {
		r = (struct cpuid_regs){ 0, 0, 0, 0 };
	}
	v->regs.rax = r.eax, v->regs.rbx = r.ebx, v->regs.rcx = r.ecx, v->regs.rdx = r.edx;
	skip_instruction();
	return true;
}

/* 27.2.1 table 28-5: I/O qualification: size-1 in 2:0, IN in bit 3, string 4, port 31:16. */
static bool handle_io(struct vcpu *v)
{
	struct domain *d = v->dom;
	u64 q = vmread(EXIT_QUALIFICATION);
	u32 size = (q & 7) + 1, port = (u32)(q >> 16);
	bool in = q & BIT(3);
	if (q & BIT(4)) {
		domain_stop(d, -1, "string I/O (INS/OUTS) to port 0x%x is not supported, guest RIP 0x%lx",
			    port, vmread(GUEST_RIP));
		return false;
	}
	u64 mask = size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;
	if (!in && port == PORT_EXIT) {
		skip_instruction();
		domain_stop(d, (int)(v->regs.rax & mask), "guest wrote %lu to port 0xf4",
			    v->regs.rax & mask);
		return false;
	}
	if (port >= COM1 && port < COM1 + 8 && !d->console_port) {
		u8 r = vuart_io(&d->uart, d, port - COM1, in, (u8)v->regs.rax);
		if (in)
			v->regs.rax = (v->regs.rax & ~mask) | r;
		skip_instruction();
		return true;
	}
	/* Reset requests: keyboard controller pulse (0x64 <- 0xfe), reset control register 0xcf9. */
	if (!in && ((port == 0x64 && (u8)v->regs.rax == 0xfe) ||
		    (port == 0xcf9 && ((u8)v->regs.rax & 0x4)))) {
		domain_stop(d, 0, "guest requested a reset through port 0x%x", port);
		return false;
	}
	if (in && (port == 0x71 || port == 0x64 || port == 0x61)) {
		v->regs.rax &= ~mask; /* CMOS data, keyboard status, port B: quiet zeros */
		skip_instruction();
		return true;
	}
	if (in) /* nothing decodes it: the bus floats high */
		v->regs.rax = (v->regs.rax & ~mask) | mask;
	skip_instruction();
	return true;
}

/* MSRs a guest may use, kept in guest-state fields or harmless to read. */
static bool msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	if (msr >= 0x800 && msr <= 0x8ff && !(v->apic_base & BIT(10)))
		return false;
	switch (msr) {
	case 0x10: *val = rdtsc(); return true;                      /* IA32_TIME_STAMP_COUNTER */
	case MSR_IA32_APIC_BASE: *val = v->apic_base; return true;
	case 0x1a0: *val = 1; return true;                           /* IA32_MISC_ENABLE: fast strings */
	case 0x3b: *val = 0; return true;                            /* IA32_TSC_ADJUST */
	case 0x1d9: *val = 0; return true;                           /* IA32_DEBUGCTL */
	case 0x2ff: *val = 0; return true;                           /* IA32_MTRR_DEF_TYPE */
	case 0x174: *val = vmread(GUEST_SYSENTER_CS); return true;
	case 0x175: *val = vmread(GUEST_SYSENTER_ESP); return true;
	case 0x176: *val = vmread(GUEST_SYSENTER_EIP); return true;
	case MSR_IA32_PAT: *val = vmread(GUEST_IA32_PAT); return true;
	case MSR_IA32_EFER: *val = vmread(GUEST_IA32_EFER); return true;
	case MSR_IA32_FEATURE_CONTROL: *val = FEATURE_CONTROL_LOCK; return true; /* VMX off */
	case MSR_IA32_MTRRCAP: *val = 0; return true;
	case 0x8b: *val = 0; return true;                            /* IA32_BIOS_SIGN_ID */
	default: return vlapic_rdmsr(&v->apic, msr, val);
	}
}

/* 25.8.1 / 26.3.1.1: EFER.LMA follows the IA-32e mode entry control. */
static bool write_efer(u64 val)
{
	if (val & ~(BIT(0) | BIT(8) | BIT(10) | BIT(11)))
		return false; /* only SCE, LME, LMA, NXE */
	u64 lma = vmread(GUEST_IA32_EFER) & BIT(10);
	vmwrite(GUEST_IA32_EFER, (val & ~BIT(10)) | lma);
	return true;
}

/* SDM 11.12.5 figure 11-27: valid APIC mode transitions; x2APIC straight to xAPIC is not. */
static bool write_apic_base(struct vcpu *v, u64 val)
{
	u64 en = BIT(11), extd = BIT(10), old = v->apic_base;
	if ((val & extd) && !(val & en))
		return false;                                  /* EXTD without EN: invalid */
	if ((old & extd) && (old & en) && (val & en) && !(val & extd))
		return false;                                  /* x2APIC -> xAPIC directly */
	if ((val & 0xfffff000ULL) != 0xfee00000ULL)
		return false;                                  /* Passage does not move the APIC */
	v->apic_base = (old & BIT(8)) | (val & (en | extd)) | 0xfee00000ULL;
	return true;
}

static bool x2apic_msr(u32 msr)
{
	return msr >= 0x800 && msr <= 0x8ff;
}

static bool msr_write(struct vcpu *v, u32 msr, u64 val)
{
	if (x2apic_msr(msr) && !(v->apic_base & BIT(10)))
		return false; /* x2APIC MSRs #GP outside x2APIC mode (SDM 11.12.1.2) */
	switch (msr) {
	case MSR_IA32_EFER: return write_efer(val);
	case MSR_IA32_APIC_BASE: return write_apic_base(v, val);
	case 0x10: case 0x3b: case 0x1d9: case 0x48: case 0x49: case 0x2ff: return true; /* ignored */
	case 0x174: vmwrite(GUEST_SYSENTER_CS, val); return true;
	case 0x175: vmwrite(GUEST_SYSENTER_ESP, val); return true;
	case 0x176: vmwrite(GUEST_SYSENTER_EIP, val); return true;
	case MSR_IA32_PAT: vmwrite(GUEST_IA32_PAT, val); return true;
	case 0x8b: return true;
	default: return vlapic_wrmsr(&v->apic, msr, val);
	}
}

static bool handle_msr(struct vcpu *v, bool write)
{
	u32 msr = (u32)v->regs.rcx;
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;
	bool ok = write ? msr_write(v, msr, val) : msr_read(v, msr, &val);
	if (ok && write && msr == 0x830) /* x2APIC ICR */
		vcpu_send_ipi(v, val);
	if (!ok) { /* SDM: RDMSR/WRMSR of an unimplemented MSR raises #GP(0) */
		inject_exception(13, true, 0);
		return true;
	}
	if (!write)
		v->regs.rax = (u32)val, v->regs.rdx = val >> 32;
	skip_instruction();
	return true;
}

/* 27.2.1 table 28-3: CR-access qualification. Only masked CR0/CR4 bits exit. */
static bool handle_cr(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	u32 cr = q & 15, type = (q >> 4) & 3;
	u64 val = read_gpr(v, (u32)(q >> 8));
	if (type != 0 || (cr != 0 && cr != 4)) {
		domain_stop(v->dom, -1, "unexpected CR access (qualification 0x%lx) at 0x%lx", q,
			    vmread(GUEST_RIP));
		return false;
	}
	if (cr == 0) {
		vmwrite(CR0_READ_SHADOW, val);
		vmwrite(GUEST_CR0, (val | CR0_NE) & vmx_caps.cr0_fixed1);
	} else {
		if (val & CR4_VMXE) { /* VMX is hidden: setting CR4.VMXE is #GP */
			inject_exception(13, true, 0);
			return true;
		}
		vmwrite(CR4_READ_SHADOW, val);
		vmwrite(GUEST_CR4, (val | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
	}
	skip_instruction();
	return true;
}

static bool handle_xsetbv(struct vcpu *v)
{
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;
	struct cpuid_regs r = cpuid(0xd, 0);
	u64 supported = ((u64)r.edx << 32) | r.eax;
	/* SDM XSETBV: #GP unless ECX=0, XCR0[0]=1, only supported bits, and AVX needs SSE. */
	if ((u32)v->regs.rcx != 0 || !(val & 1) || (val & ~supported) || ((val & 4) && !(val & 2))) {
		inject_exception(13, true, 0);
		return true;
	}
	__asm__ volatile("xsetbv" ::"c"(0), "a"((u32)val), "d"((u32)(val >> 32)));
	skip_instruction();
	return true;
}

static bool handle_vmcall(struct vcpu *v)
{
	struct domain *d = v->dom;
	switch ((u32)v->regs.rax) {
	case HC_CONSOLE_WRITE: {
		u64 len = MIN((u32)v->regs.rcx, HC_MAX_WRITE);
		const char *s = domain_gpa(d, (u32)v->regs.rbx, len);
		if (!s) {
			v->regs.rax = (u64)-1;
			break;
		}
		for (u64 i = 0; i < len; i++)
			guest_console_putc(d, s[i]);
		v->regs.rax = 0;
		break;
	}
	case HC_TEST_HOST_FAULT:
		if (exits_test_host_fault)
			__asm__ volatile("ud2"); /* a hypervisor bug, on purpose: recovery must contain it */
		v->regs.rax = (u64)-1;
		break;
	case HC_EXIT:
		skip_instruction();
		domain_stop(d, (int)v->regs.rbx, "guest called exit(%d)", (int)v->regs.rbx);
		return false;
	default:
		v->regs.rax = (u64)-1; /* unknown hypercall */
	}
	skip_instruction();
	return true;
}

/* 27.2.1 table 28-7: EPT violation qualification bits 0 read, 1 write, 2 fetch. */
static bool handle_ept_violation(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION), gpa = vmread(GUEST_PHYSICAL_ADDRESS);
	domain_stop(v->dom, -1, "EPT violation: %s at guest-physical 0x%lx (outside its %lu MiB), "
		    "guest RIP 0x%lx", q & 4 ? "instruction fetch" : q & 2 ? "write" : "read", gpa,
		    v->dom->mem_size / MiB, vmread(GUEST_RIP));
	return false;
}

/*
 * HLT with IF=0: only INIT could wake the vCPU (Linux parks CPUs like this on
 * shutdown). It waits while another vCPU of the domain still runs; when all
 * are parked the domain can never make progress and is stopped.
 */
static bool park(struct vcpu *v)
{
	struct domain *d = v->dom;
	u32 parked = __atomic_add_fetch(&d->parked, 1, __ATOMIC_SEQ_CST);
	if (parked >= d->nr_vcpus) {
		domain_stop(d, -1, "every vCPU halted with interrupts disabled (last at 0x%lx)",
			    vmread(GUEST_RIP));
		return false;
	}
	while (d->state == DOM_RUNNING)
		vcpu_idle(v, 0);
	return false;
}

/*
 * 29.4.4: a read of an APIC register the virtual-APIC page does not serve
 * (the timer's current count) is a fault-like APIC-access exit. Passage
 * emulates the two load forms compilers use for it: MOV r32, r/m32 (8B /r,
 * optionally REX-prefixed) and MOV EAX, moffs32 (A1).
 */
static bool handle_apic_access(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	u32 off = q & 0xfff, type = (q >> 12) & 0xf;
	u8 insn[16];
	u64 rip = vmread(GUEST_RIP), cr0 = vmread(GUEST_CR0), efer = vmread(GUEST_IA32_EFER);
	bool long_mode = efer & BIT(10);
	u32 i = 0, reg, len;
	u8 rex = 0;
	if (type != 0 || !guest_read_linear(v->dom, rip + vmread(GUEST_CS_BASE), insn, sizeof insn, cr0,
					    vmread(GUEST_CR3), vmread(GUEST_CR4), efer))
		goto unsupported;
	if (long_mode && (insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	if (insn[i] == 0xa1) {
		reg = 0;
		len = i + 1 + (long_mode ? 8 : 4);
	} else if (insn[i] == 0x8b) {
		u8 modrm = insn[i + 1], mod = modrm >> 6, rm = modrm & 7;
		reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
		len = i + 2;
		if (mod == 3)
			goto unsupported;
		if (rm == 4) { /* SIB */
			u8 sib = insn[len++];
			if (mod == 0 && (sib & 7) == 5)
				len += 4;
		}
		len += mod == 1 ? 1 : mod == 2 ? 4 : (mod == 0 && rm == 5) ? 4 : 0;
	} else {
		goto unsupported;
	}
	u64 val = 0;
	if (!vlapic_rdmsr(&v->apic, 0x800 + off / 16, &val))
		val = 0;
	write_gpr(v, reg, (u32)val); /* a 32-bit load zero-extends (SDM 3.4.1.1) */
	vmwrite(GUEST_RIP, rip + len);
	return true;
unsupported:
	domain_stop(v->dom, -1, "unsupported xAPIC access (offset 0x%x, type %u) at guest RIP 0x%lx",
		    off, type, rip);
	return false;
}

/* HLT with IF=1: the vCPU owns this CPU, so wait here until its timer or an IPI has work. */
static bool wait_for_interrupt(struct vcpu *v)
{
	v->halted++;
	for (;;) {
		u64 next = vlapic_poll_timer(&v->apic, rdtsc());
		if (vlapic_pending(&v->apic) >= 0 || v->dom->state != DOM_RUNNING)
			return v->dom->state == DOM_RUNNING;
		/* Idle until the virtual timer's deadline or a kick (another vCPU's IPI, a stop). */
		vcpu_idle(v, next);
	}
}

/* 27.2.3: an event whose delivery the exit interrupted is delivered again at the next entry. */
static void reinject_vectoring(void)
{
	u32 info = (u32)vmread(IDT_VECTORING_INFO_FIELD);
	if (!(info & INTR_INFO_VALID))
		return;
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, info & ~BIT(12));
	if (info & INTR_INFO_DELIVER_CODE)
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(IDT_VECTORING_ERROR_CODE));
	vmwrite(VM_ENTRY_INSTRUCTION_LEN, vmread(VM_EXIT_INSTRUCTION_LEN));
}

bool vmexit_handle(struct vcpu *v, u32 reason)
{
	reinject_vectoring();
	switch (reason) {
	case EXIT_REASON_CPUID: return handle_cpuid(v);
	case EXIT_REASON_IO_INSTRUCTION: return handle_io(v);
	case EXIT_REASON_MSR_READ: return handle_msr(v, false);
	case EXIT_REASON_MSR_WRITE: return handle_msr(v, true);
	case EXIT_REASON_CR_ACCESS: return handle_cr(v);
	case EXIT_REASON_XSETBV: return handle_xsetbv(v);
	case EXIT_REASON_VMCALL: return handle_vmcall(v);
	case EXIT_REASON_EPT_VIOLATION: return handle_ept_violation(v);
	case EXIT_REASON_INVD:
	case EXIT_REASON_WBINVD:
		__asm__ volatile("wbinvd" ::: "memory"); /* INVD would drop other domains' data */
		skip_instruction();
		return true;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		/* The host's own interrupt (e.g. a VT-d fault event): open a window to take it. */
		__asm__ volatile("sti; nop; cli" ::: "memory");
		return true;
	case EXIT_REASON_HLT:
		if (!(vmread(GUEST_RFLAGS) & RFLAGS_IF))
			return park(v);
		skip_instruction();
		return wait_for_interrupt(v);
	case EXIT_REASON_APIC_ACCESS:
		return handle_apic_access(v);
	case EXIT_REASON_APIC_WRITE: {
		/* 29.4.3.3: trap-like; the value is already in the virtual-APIC page. */
		u32 off = (u32)vmread(EXIT_QUALIFICATION) & 0xff0;
		u32 val = *(volatile u32 *)(v->vapic_page + off);
		u32 hi = *(volatile u32 *)(v->vapic_page + 0x310);
		if (!vlapic_mmio_write(&v->apic, off, val, hi))
			LOG(v->dom->name, "xAPIC write to unknown register 0x%x ignored", off);
		if (off == 0x300)
			vcpu_send_ipi(v, ((u64)(hi >> 24) << 32) | val);
		return true;
	}
	case EXIT_REASON_INTERRUPT_WINDOW:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_TPR_BELOW_THRESHOLD:
		return true; /* vintr_prepare_entry injects what is pending */
	case EXIT_REASON_TRIPLE_FAULT:
		vcpu_dump(v);
		domain_stop(v->dom, -1, "triple fault at guest RIP 0x%lx", vmread(GUEST_RIP));
		return false;
	default:
		vcpu_dump(v);
		domain_stop(v->dom, -1, "unhandled VM exit reason %u at guest RIP 0x%lx", reason,
			    vmread(GUEST_RIP));
		return false;
	}
}
