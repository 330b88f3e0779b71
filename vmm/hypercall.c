/* VMCALL interface: console output, exit, and the test-aid calls of a test-enabled hypervisor. */
#include "exits.h"
#include "arch/x86/nmi.h"
#include "arch/x86/percpu.h"

#define HC_CONSOLE_WRITE 1        /* EAX=1: EBX guest-physical string, ECX length -> EAX 0 or -1 */
#define HC_EXIT 2                 /* EAX=2: exit with code EBX */
#define HC_EXITS 0xc0e0           /* EBX=reason (~0: all) -> EAX this vCPU's exits so far, this one
				   * included (a guest may know its own; it is how tests count them) */
#define HC_MAX_WRITE 4096
/* Test aids, only with crash=vmexit (exits_test_aids): */
#define HC_TEST_HOST_FAULT 0xc0de /* the handler itself faults: recovery must contain it */
#define HC_TEST_NMI 0xc0df        /* an NMI IPI to every other CPU -> EAX NMIs they handled so far */
#define HC_TEST_QUIET 0xc0e1      /* EBX=1: leave the guest only when needed (no host-work polling
				   * exits), EBX=0: back to normal -> EAX 0 */
#define HC_TEST_SN 0xc0e2         /* EBX=1/0: set/clear SN in this vCPU's posted-interrupt descriptor
				   * -> EAX 0, -1 without CPU posting */

/* Out of line: the common hypercall path stays free of the copy loop. */
static __attribute__((noinline)) u64 console_write(struct domain *d, u64 gpa, u64 len)
{
	len = MIN(len, HC_MAX_WRITE);
	const char *s = domain_gpa(d, gpa, len);
	if (!s)
		return (u64)-1;
	for (u64 i = 0; i < len; i++)
		guest_console_putc(d, s[i]);
	return 0;
}

/* NMIs to every other CPU that is online: the receiving CPUs' guests must keep running. */
static __attribute__((noinline)) u64 test_nmi(void)
{
	u32 self = this_cpu()->cpu;
	u64 handled = 0;
	for (u32 c = 0; c < MAX_CPUS; c++)
		if (c != self && cpus[c] && cpus[c]->online) {
			if (nmi_send(c) != OK)
				return (u64)-1;
			handled += nmi_count(c);
		}
	return handled;
}

bool exit_vmcall(struct vcpu *v)
{
	struct domain *d = v->dom;
	switch ((u32)v->regs.rax) {
	case HC_CONSOLE_WRITE:
		v->regs.rax = console_write(d, (u32)v->regs.rbx, (u32)v->regs.rcx);
		break;
	case HC_EXIT:
		exit_skip_instruction();
		domain_stop(d, (int)v->regs.rbx, "guest called exit(%d)", (int)v->regs.rbx);
		return false;
	case HC_TEST_HOST_FAULT:
		if (exits_test_aids)
			__asm__ volatile("ud2"); /* a hypervisor bug, on purpose: recovery must contain it */
		v->regs.rax = (u64)-1;
		break;
	case HC_TEST_NMI:
		v->regs.rax = exits_test_aids ? test_nmi() : (u64)-1;
		break;
	case HC_EXITS: /* the guest kernel's only (CPL 0: SS.DPL, SDM Vol. 3A 5.5): user code gets -1 */
		v->regs.rax = (vmread(GUEST_SS_AR_BYTES) >> 5) & 3 ? (u64)-1 : (u32)v->regs.rbx < EXIT_REASON_MAX ?
			      v->exits[(u32)v->regs.rbx] : vcpu_exits_total(v);
		break;
	case HC_TEST_QUIET:
		v->regs.rax = exits_test_aids ? vcpu_set_quiet(v, v->regs.rbx & 1), 0 : (u64)-1;
		break;
	case HC_TEST_SN:
		/* Clearing SN needs nothing more: the entry after this exit looks at PIR (vintr.c). */
		if (!exits_test_aids || !v->apic.pid)
			v->regs.rax = (u64)-1;
		else if (v->regs.rbx & 1)
			__atomic_fetch_or(&v->pid.ctl, PID_SN, __ATOMIC_SEQ_CST), v->regs.rax = 0;
		else
			__atomic_fetch_and(&v->pid.ctl, ~PID_SN, __ATOMIC_SEQ_CST), v->regs.rax = 0;
		break;
	default:
		v->regs.rax = (u64)-1; /* unknown hypercall */
	}
	return exit_skip_instruction();
}
