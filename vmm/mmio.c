/* EPT-violation and APIC-access dispatcher by guest-physical range, with the MOV decoder (SDM Vol. 3C 28.2.1, 30.4). */
#include "mmio.h"
#include "emulate.h"
#include "exits.h"
#include "ept.h"
#include "guest_mem.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "lib/log.h"

#define EPT_QUAL_READ BIT(0)      /* 28.2.1 table 28-7: data read */
#define EPT_QUAL_WRITE BIT(1)     /* data write */
#define EPT_QUAL_FETCH BIT(2)     /* instruction fetch */
#define APIC_QUAL_TYPE(q) (((q) >> 12) & 0xf) /* table 28-6: 0 linear read, 1 linear write */
#define CS_AR_L BIT(13)           /* 64-bit code segment */
#define CS_AR_DB BIT(14)          /* default operand size 32 */

static enum emul_mode guest_mode(void)
{
	u64 ar = vmread(GUEST_CS_AR_BYTES);
	if ((vmread(GUEST_IA32_EFER) & EFER_LMA) && (ar & CS_AR_L))
		return EMUL_MODE_64;
	return (ar & CS_AR_DB) ? EMUL_MODE_32 : EMUL_MODE_16;
}

/*
 * Emulates the MOV at guest RIP against range r at gpa: fetch, decode, call
 * the model, write the register back, complete the instruction (RIP, blocking, RF, TF).
 * On failure why says what.
 */
static bool emulate_at(struct vcpu *v, const struct mmio_range *r, u64 gpa, const char **why)
{
	u8 code[EMUL_MAX_INSN];
	u64 rip = vmread(GUEST_RIP);
	u32 n = guest_fetch(v->dom, rip + vmread(GUEST_CS_BASE), code, sizeof code, vmread(GUEST_CR0),
			    vmread(GUEST_CR3), vmread(GUEST_CR4), vmread(GUEST_IA32_EFER));
	struct emul_insn in;
	if (!n || emul_decode(code, n, guest_mode(), &in) != OK) {
		*why = "instruction not decoded (only MOV loads and stores are emulated)";
		return false;
	}
	u64 val = in.has_imm ? in.imm : emul_reg_operand(exit_read_gpr(v, in.reg), in.size, in.high8);
	if (!r->fn(v, gpa, in.size, in.store, &val, r->ctx)) {
		*why = "access refused by the device model";
		return false;
	}
	if (!in.store)
		exit_write_gpr(v, in.reg, emul_reg_merge(exit_read_gpr(v, in.reg), val, in.size, in.high8));
	/* Neither an EPT violation nor an APIC access reports an instruction length (28.2.5). */
	return exit_complete_instruction(in.len);
}

bool exit_ept_violation(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION), gpa = vmread(GUEST_PHYSICAL_ADDRESS);
	const struct mmio_range *r = mmio_find(v->dom, gpa);
	const char *why = NULL;
	if (r && !(q & EPT_QUAL_FETCH) && emulate_at(v, r, gpa, &why))
		return true;
	if (r)
		domain_stop(v->dom, -1, "EPT violation: %s at guest-physical 0x%lx in %s not emulated (%s), "
			    "guest RIP 0x%lx", q & EPT_QUAL_FETCH ? "instruction fetch" : q & EPT_QUAL_WRITE ?
			    "write" : "read", gpa, r->name, why ? why : "instruction fetch",
			    vmread(GUEST_RIP));
	else
		domain_stop(v->dom, -1, "EPT violation: %s at guest-physical 0x%lx (outside its %lu MiB), "
			    "guest RIP 0x%lx", q & EPT_QUAL_FETCH ? "instruction fetch" : q & EPT_QUAL_WRITE ?
			    "write" : "read", gpa, v->dom->mem_size / MiB, vmread(GUEST_RIP));
	return false;
}

/*
 * 30.4: an access to the APIC-access page that the virtual-APIC page does
 * not serve (the timer's current count) is a fault-like APIC-access exit;
 * the xAPIC window's model is a range like any other.
 */
bool exit_apic_access(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	u32 off = q & 0xfff, type = APIC_QUAL_TYPE(q);
	const struct mmio_range *r = mmio_find(v->dom, GUEST_APIC_GPA + off);
	const char *why = "not a linear access";
	if (type <= 1 && r && emulate_at(v, r, GUEST_APIC_GPA + off, &why))
		return true;
	domain_stop(v->dom, -1, "unsupported xAPIC access (offset 0x%x, type %u: %s) at guest RIP 0x%lx",
		    off, type, why, vmread(GUEST_RIP));
	return false;
}

/* xAPIC registers by offset (SDM Vol. 3A table 11-1) through the vLAPIC's x2APIC view; writes
 * that reach here (not virtualized by the CPU) are refused. */
static bool apic_window(struct vcpu *v, u64 gpa, u32 size, bool write, u64 *val, void *ctx)
{
	(void)ctx;
	u32 off = (u32)(gpa - GUEST_APIC_GPA);
	/* Disabled or in x2APIC mode, the page is no APIC (SDM Vol. 3A 11.4.3, 11.12.1.2): reads
	 * float high, writes go nowhere (vcpu.c makes every access exit then). */
	if ((v->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN) {
		if (!write)
			*val = size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
		return true;
	}
	if (write || size != 4 || (off & 0xf))
		return false;
	if (!vlapic_rdmsr(&v->apic, MSR_IA32_X2APIC_FIRST + off / 16, val))
		*val = 0;
	*val = (u32)*val;
	return true;
}

status_t mmio_register_apic(void)
{
	if (!apic_access_virtualized())
		return OK;
	return mmio_register(NULL, "xAPIC window", GUEST_APIC_GPA, PAGE_SIZE, apic_window, NULL);
}
