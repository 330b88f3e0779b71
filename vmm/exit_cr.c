/* MOV to CR0/CR4 and XSETBV: the architectural #GP checks, then the write (SDM Vol. 2B "MOV—Move to/from Control Registers", Vol. 1 13.3). */
#include "exits.h"
#include "guest_mem.h"
#include "cpu_policy.h"
#include "arch/x86/cpu.h"

#define CR_QUAL_CR(q) ((q) & 15)          /* 28.2.1 table 28-3: control register number */
#define CR_QUAL_TYPE(q) (((q) >> 4) & 3)  /* 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW */
#define CR_QUAL_GPR(q) ((u32)((q) >> 8) & 15)
#define CS_AR_L BIT(13)                   /* 64-bit code segment */
#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_AVX BIT(2)
#define XCR0_BNDREGS BIT(3)               /* MPX */
#define XCR0_BNDCSR BIT(4)
#define XCR0_AVX512 (7ULL << 5)           /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_TILECFG BIT(17)              /* AMX */
#define XCR0_TILEDATA BIT(18)

/* The CR4 bits a guest may set: those the CPU allows in VMX operation (IA32_VMX_CR4_FIXED1,
 * SDM Vol. 3D A.8), minus VMXE (VMX is hidden). The others exit (vcpu.c sets the mask). */
u64 exit_cr4_guest_bits(void)
{
	return vmx_caps.cr4_fixed1 & ~(u64)CR4_VMXE;
}

static bool in_64bit_mode(void)
{
	return (vmread(GUEST_IA32_EFER) & EFER_LMA) && (vmread(GUEST_CS_AR_BYTES) & CS_AR_L);
}

/* Vol. 3A 4.4.1 and Vol. 3C chapter 29: with PAE paging and EPT, the CPU takes PDPTEs from the VMCS, so an
 * emulated write that enables or changes PAE paging loads them from CR3 as MOV to CR would. */
static void load_pdptes(struct vcpu *v, u64 cr0, u64 cr4)
{
	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || (vmread(GUEST_IA32_EFER) & EFER_LMA))
		return;
	u64 pdpte[4] = { 0 };
	const void *p = domain_gpa(v->dom, vmread(GUEST_CR3) & ~0x1fULL, sizeof pdpte);
	if (p)
		__builtin_memcpy(pdpte, p, sizeof pdpte);
	vmwrite(GUEST_PDPTR0, pdpte[0]);
	vmwrite(GUEST_PDPTR1, pdpte[1]);
	vmwrite(GUEST_PDPTR2, pdpte[2]);
	vmwrite(GUEST_PDPTR3, pdpte[3]);
}

/* A MOV to CR flushes the guest's TLB entries the way the new value requires; one
 * single-context INVVPID covers every case (31.3 INVVPID). */
static void flush_guest_tlb(struct vcpu *v)
{
	if (v->vpid && invvpid_single(v->vpid) != OK)
		domain_stop(v->dom, -1, "INVVPID failed after a control-register write");
}

/*
 * MOV to CR0 (Vol. 2B, #GP(0) list; Vol. 3A 2.5, 9.8.5): reserved bits 63:32,
 * PG without PE, NW without CD, clearing PG in 64-bit mode or with
 * CR4.PCIDE=1, setting PG with EFER.LME=1 but CR4.PAE=0, clearing WP with
 * CR4.CET=1. Checked here because such a write that exits would otherwise
 * reach the VMCS and fail the next VM entry (27.3.1.1).
 */
static bool cr0_valid(u64 val, u64 old, u64 cr4, u64 efer)
{
	if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD)))
		return false;
	if ((old & CR0_PG) && !(val & CR0_PG) && (in_64bit_mode() || (cr4 & CR4_PCIDE)))
		return false;
	if (!(old & CR0_PG) && (val & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE))
		return false;
	return !(!(val & CR0_WP) && (cr4 & CR4_CET));
}

/* 27.3.1.1: with "load IA32_EFER", LMA must equal the IA-32e mode entry control and, with
 * PG=1, LME: turning paging on or off with LME=1 enters or leaves IA-32e mode (Vol. 3A 9.8.5). */
static void update_ia32e(u64 old, u64 val)
{
	u64 efer = vmread(GUEST_IA32_EFER);
	if (!(efer & EFER_LME) || !((old ^ val) & CR0_PG))
		return;
	bool on = val & CR0_PG;
	vmwrite(GUEST_IA32_EFER, on ? efer | EFER_LMA : efer & ~EFER_LMA);
	u64 entry = vmread(VM_ENTRY_CONTROLS);
	vmwrite(VM_ENTRY_CONTROLS, on ? entry | ENTRY_IA32E_MODE : entry & ~ENTRY_IA32E_MODE);
}

static bool guest_write_cr0(struct vcpu *v, u64 val)
{
	u64 old = (vmread(GUEST_CR0) & ~vmread(CR0_GUEST_HOST_MASK)) |
		  (vmread(CR0_READ_SHADOW) & vmread(CR0_GUEST_HOST_MASK));
	u64 cr4 = vmread(GUEST_CR4);
	if (!cr0_valid(val, old, cr4, vmread(GUEST_IA32_EFER)))
		return false;
	update_ia32e(old, val);
	vmwrite(CR0_READ_SHADOW, val);
	/* Unrestricted guest: PE and PG are the guest's; the other fixed bits (NE) stay set. */
	u64 fixed0 = vmx_caps.cr0_fixed0 & ~(u64)(CR0_PE | CR0_PG);
	vmwrite(GUEST_CR0, (val | fixed0 | CR0_NE) & vmx_caps.cr0_fixed1);
	load_pdptes(v, val, cr4);
	flush_guest_tlb(v);
	return true;
}

/*
 * MOV to CR4 (Vol. 2B; Vol. 3A 2.5, 4.10.1): reserved or unsupported bits,
 * clearing PAE or changing LA57 in IA-32e mode, PCIDE 0->1 outside IA-32e
 * mode or with CR3[11:0] != 0, CET with CR0.WP=0.
 */
static bool cr4_valid(u64 val, u64 old)
{
	bool ia32e = vmread(GUEST_IA32_EFER) & EFER_LMA;
	if (val & ~exit_cr4_guest_bits())
		return false;
	if (ia32e && (!(val & CR4_PAE) || ((val ^ old) & CR4_LA57)))
		return false;
	if (!(old & CR4_PCIDE) && (val & CR4_PCIDE) && (!ia32e || (vmread(GUEST_CR3) & 0xfff)))
		return false;
	return !((val & CR4_CET) && !(vmread(GUEST_CR0) & CR0_WP));
}

static bool guest_write_cr4(struct vcpu *v, u64 val)
{
	u64 mask = vmread(CR4_GUEST_HOST_MASK);
	u64 old = (vmread(GUEST_CR4) & ~mask) | (vmread(CR4_READ_SHADOW) & mask);
	if (!cr4_valid(val, old))
		return false;
	vmwrite(CR4_READ_SHADOW, val);
	vmwrite(GUEST_CR4, (val | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
	load_pdptes(v, vmread(GUEST_CR0), val);
	flush_guest_tlb(v);
	return true;
}

/* Only CR0/CR4 writes that touch a bit Passage owns (the guest/host masks) exit (26.1.3). */
bool exit_cr(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	u32 cr = CR_QUAL_CR(q);
	if (CR_QUAL_TYPE(q) != 0 || (cr != 0 && cr != 4)) {
		domain_stop(v->dom, -1, "unexpected CR access (qualification 0x%lx) at 0x%lx", q,
			    vmread(GUEST_RIP));
		return false;
	}
	u64 val = exit_read_gpr(v, CR_QUAL_GPR(q));
	if (!in_64bit_mode())
		val = (u32)val; /* outside 64-bit mode the operand is 32 bits */
	if (!(cr == 0 ? guest_write_cr0(v, val) : guest_write_cr4(v, val))) {
		exit_inject_gp(); /* the write did not happen; RIP stays on the instruction */
		return true;
	}
	exit_skip_instruction();
	return v->dom->state == DOM_RUNNING;
}

/*
 * XSETBV (Vol. 2D "XSETBV", Vol. 1 13.3): #GP(0) unless ECX=0, bit 0 set, only
 * bits the guest's CPUID.(EAX=0DH,ECX=0) reports (cpu_policy_xcr0), AVX only
 * with SSE, AVX-512's three bits all set or all clear and only with AVX, MPX's
 * two bits and AMX's two bits each both set or both clear. The host then
 * executes it for the guest, so a value the CPU would refuse must never get
 * that far.
 */
static bool xcr0_valid(u64 val)
{
	struct cpuid_regs r = cpuid(0xd, 0);
	u64 supported = cpu_policy_xcr0(((u64)r.edx << 32) | r.eax); /* what the guest's CPUID reports */
	if (!(val & XCR0_X87) || (val & ~supported) || ((val & XCR0_AVX) && !(val & XCR0_SSE)))
		return false;
	if ((val & XCR0_AVX512) && ((val & XCR0_AVX512) != XCR0_AVX512 || !(val & XCR0_AVX)))
		return false;
	if (!(val & XCR0_BNDREGS) != !(val & XCR0_BNDCSR))
		return false;
	return !(val & XCR0_TILECFG) == !(val & XCR0_TILEDATA);
}

bool exit_xsetbv(struct vcpu *v)
{
	u64 val = (v->regs.rdx << 32) | (u32)v->regs.rax;
	if ((u32)v->regs.rcx != 0 || !xcr0_valid(val)) {
		exit_inject_gp();
		return true;
	}
	__asm__ volatile("xsetbv" ::"c"(0), "a"((u32)val), "d"((u32)(val >> 32)));
	exit_skip_instruction();
	return true;
}
