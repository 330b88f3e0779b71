/* vmm.c: a minimal VMM (one 64-bit guest sharing the host's page tables, no EPT) whose guest has
 * virtual-interrupt delivery and posted-interrupt processing, and the end-to-end guest: edu's MSIs
 * reach the guest's IDT through a posted IRTE without VM exits. Intel SDM Vol. 3C chapters 24-29,
 * section numbers of the 2016-2022 editions (order no. 326019; later editions number the VMX
 * chapters higher); VT-d 5.2. */
#include "vmm.h"

/* VMCS field encodings (SDM Vol. 3C Appendix B) */
enum {
	POSTED_NV = 0x0002, G_ES = 0x0800, G_CS = 0x0802, G_SS = 0x0804, G_DS = 0x0806, G_FS = 0x0808,
	G_GS = 0x080a, G_LDTR = 0x080c, G_TR = 0x080e, G_INTR_STATUS = 0x0810,
	H_ES = 0x0c00, H_CS = 0x0c02, H_SS = 0x0c04, H_DS = 0x0c06, H_FS = 0x0c08, H_GS = 0x0c0a, H_TR = 0x0c0c,
	MSR_BITMAP = 0x2004, VAPIC_PAGE = 0x2012, PID_ADDR = 0x2016, EOI_EXIT0 = 0x201c, LINK_PTR = 0x2800,
	PIN_CTLS = 0x4000, PROC_CTLS = 0x4002, EXC_BITMAP = 0x4004, CR3_TARGETS = 0x400a, EXIT_CTLS = 0x400c,
	EXIT_MSR_STORE = 0x400e, EXIT_MSR_LOAD = 0x4010, ENTRY_CTLS = 0x4012, ENTRY_MSR_LOAD = 0x4014,
	ENTRY_INTR = 0x4016, TPR_THRESHOLD = 0x401c, PROC2_CTLS = 0x401e, VM_ERROR = 0x4400, EXIT_REASON = 0x4402,
	EXIT_INTR_INFO = 0x4404,
	G_ES_LIM = 0x4800, G_ES_AR = 0x4814, G_GDTR_LIM = 0x4810, G_IDTR_LIM = 0x4812, G_INTERRUPTIBILITY = 0x4824,
	G_ACTIVITY = 0x4826, G_SYSENTER_CS = 0x482a, H_SYSENTER_CS = 0x4c00,
	G_CR0 = 0x6800, G_CR3 = 0x6802, G_CR4 = 0x6804, G_ES_BASE = 0x6806, G_GDTR_BASE = 0x6816,
	G_IDTR_BASE = 0x6818, G_DR7 = 0x681a, G_RSP = 0x681c, G_RIP = 0x681e, G_RFLAGS = 0x6820,
	G_PENDING_DBG = 0x6822, G_SYSENTER_ESP = 0x6824, G_SYSENTER_EIP = 0x6826,
	H_CR0 = 0x6c00, H_CR3 = 0x6c02, H_CR4 = 0x6c04, H_FS_BASE = 0x6c06, H_GS_BASE = 0x6c08, H_TR_BASE = 0x6c0a,
	H_GDTR_BASE = 0x6c0c, H_IDTR_BASE = 0x6c0e, H_SYSENTER_ESP = 0x6c10, H_SYSENTER_EIP = 0x6c12,
	H_RSP = 0x6c14, H_RIP = 0x6c16, G_PREEMPT_TIMER = 0x482e,
};

static u64 rdmsr(u32 m) { u32 lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(m)); return lo | (u64)hi << 32; }
static void wrmsr(u32 m, u64 v) { __asm__ volatile("wrmsr" ::"c"(m), "a"((u32)v), "d"((u32)(v >> 32))); }
static void vmwrite(u64 f, u64 v) { __asm__ volatile("vmwrite %1, %0" ::"r"(f), "r"(v) : "cc", "memory"); }
static u64 vmread(u64 f) { u64 v; __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(f) : "cc"); return v; }
static u64 cr(int n)
{
	u64 v = 0;
	if (n == 0) __asm__ volatile("mov %%cr0, %0" : "=r"(v));
	if (n == 3) __asm__ volatile("mov %%cr3, %0" : "=r"(v));
	if (n == 4) __asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* 24.6.1 / A.3: a control value with the must-be-one bits set and the must-be-zero bits clear;
 * false when a wanted bit is not allowed. */
static bool ctl(u32 msr, u32 want, u32 *out)
{
	u64 m = rdmsr(msr);
	*out = (want | (u32)m) & (u32)(m >> 32);
	return (*out & want) == want;
}

/* A GDT with a 64-bit TSS (VM entry requires a host TR, 26.2.3) */
static u64 gdt[8] __attribute__((aligned(16)));
static u8 tss[104] __attribute__((aligned(16)));
#define TSS_SEL 0x20

static void gdt_tss(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFUL;
	gdt[2] = 0x00CF92000000FFFFUL;
	gdt[3] = 0x00CF9A000000FFFFUL;
	u64 b = (u64)tss;
	gdt[4] = 103 | (b & 0xffffff) << 16 | 0x89UL << 40 | ((b >> 24) & 0xff) << 56;
	gdt[5] = b >> 32;
	struct { u16 lim; u64 base; } __attribute__((packed)) p = { sizeof gdt - 1, (u64)gdt };
	__asm__ volatile("lgdt %0; ltr %w1" ::"m"(p), "r"(TSS_SEL));
}

/* ---- the guest ---- */
volatile u64 guest_irqs, guest_bad_vec;
static u64 guest_idt[512] __attribute__((aligned(16)));
static struct vmm_guest *G;
extern char guest_isr_stub[], guest_bad_stub[];   /* vmx.S */

/* guest interrupt handler (vector G->vec): counts (and those that ended a HLT: the interrupted
 * instruction pointer follows an HLT opcode, 0xF4), acknowledges edu, virtual EOI through the x2APIC
 * EOI MSR (SDM 29.5: virtualized with "virtualize x2APIC mode" and virtual-interrupt delivery) */
void guest_isr(const u64 *frame)
{
	guest_irqs++;
	if (*(const u8 *)(frame[0] - 1) == 0xf4)
		G->hlt_wakes++;
	mmio_w32(G->edu_mmio + 0x64, 0xffffffffu);
	wrmsr(0x80b, 0);
}

static bool guest_wait(u64 n)
{
	for (u64 i = 0; i < 20000000 && guest_irqs < n; i++)
		__asm__ volatile("pause");
	return guest_irqs >= n;
}

/* The guest: N MSIs raised while it runs, then one while it is halted with interrupts enabled
 * (edu's DMA completion interrupt arrives after the transfer time), then VMCALL. */
__attribute__((noreturn)) void guest_main(void)
{
	__asm__ volatile("sti");
	for (u64 i = 0; i < G->n_running; i++) {
		mmio_w32(G->edu_mmio + 0x60, 1);
		if (!guest_wait(i + 1))
			break;
	}
	if (guest_irqs == G->n_running) {
		u64 want = guest_irqs + 1;
		mmio_w64(G->edu_mmio + 0x80, G->dma_src);
		mmio_w64(G->edu_mmio + 0x88, 0x40000);
		mmio_w64(G->edu_mmio + 0x90, 4);
		mmio_w64(G->edu_mmio + 0x98, 1 | 4);          /* run, RAM to buffer, interrupt when done */
		__asm__ volatile("cli");
		while (guest_irqs < want) {
			G->halts++;
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		}
		__asm__ volatile("sti");
	}
	/* notifications that reach the CPU in root mode: VMCALL 1 (the host raises the MSI with
	 * interrupts off, the NV is pending at VM entry) and VMCALL 2 (the host takes the NV in root
	 * mode, then sends it to itself again before VM entry) */
	for (u64 mode = 1; mode <= 2 && guest_irqs == G->n_running + mode; mode++) {
		u64 want = guest_irqs + 1;
		__asm__ volatile("vmcall" : "+a"(mode) :: "memory");
		if (!guest_wait(want))
			break;
	}
	/* VMCALL 3: the host sends the notification vector with PIR empty; no vector may come of it
	 * (a bogus 0xFF would land in guest_bad_stub) */
	if (guest_irqs == G->n_running + 3) {
		u64 mode = 3, want = guest_irqs + 1;
		__asm__ volatile("vmcall" : "+a"(mode) :: "memory");
		for (u64 i = 0; i < 200000 && guest_irqs < want; i++)
			__asm__ volatile("pause");
	}
	for (;;)
		__asm__ volatile("vmcall" ::"a"(0UL) : "memory");
}

static void guest_idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		u64 a = (u64)(v == G->vec ? guest_isr_stub : guest_bad_stub);
		guest_idt[2 * v] = (a & 0xffff) | 0x08UL << 16 | 0x8eUL << 40 | ((a >> 16) & 0xffff) << 48;
		guest_idt[2 * v + 1] = a >> 32;
	}
}

/* ---- the VMM ---- */
/* a fixed interrupt to this CPU: x2APIC SELF IPI register, or the xAPIC ICR "self" shorthand */
void vmm_self_ipi(u8 v)
{
	if (lapic_is_x2apic())
		lapic_w(0x3f0, v);
	else
		lapic_w(0x300, BIT(18) | v);
}

u64 vmm_regs[15];
u8 vmm_exit_vec;
static int launched;
static u8 *vapic_page;
u64 vmm_read(u64 f) { return vmread(f); }
void vmm_write(u64 f, u64 v) { vmwrite(f, v); }
u8 *vmm_vapic(void) { return vapic_page; }
void vmm_skip_insn(void) { vmwrite(G_RIP, vmread(G_RIP) + vmread(0x440c)); }  /* + VM-exit instruction length */

/* VMXON and a VMCS for one guest: external-interrupt exiting with "acknowledge interrupt on exit",
 * posted-interrupt processing, virtual-interrupt delivery with "virtualize x2APIC mode" (the guest's
 * EOI and self-IPI MSR writes are virtualized, SDM 29.5), no HLT exiting, an empty MSR bitmap. */
int vmm_open(const struct vmm_cfg *c, char *why, unsigned n)
{
	u32 a = 1, b, cx = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(cx), "=d"(d));
	if (!(cx & BIT(5))) { snprintf(why, n, "no VMX (CPUID.1:ECX[5])"); return VMM_SKIP; }
	u64 basic = rdmsr(0x480);
	bool tru = basic & BIT(55);
	u64 fc = rdmsr(0x3a);                       /* IA32_FEATURE_CONTROL */
	if (!(fc & 1))
		wrmsr(0x3a, fc | 1 | BIT(2));
	else if (!(fc & BIT(2))) { snprintf(why, n, "VMXON disabled by IA32_FEATURE_CONTROL"); return VMM_SKIP; }
	u32 pin, proc, proc2, exit, entry;
	if (!ctl(0x48b, BIT(4) | BIT(9), &proc2) ||  /* virtualize x2APIC mode, virtual-interrupt delivery */
	    !ctl(tru ? 0x48d : 0x481, BIT(0) | BIT(7), &pin)) { /* external-interrupt exiting, process posted */
		snprintf(why, n, "no virtual-interrupt delivery or posted-interrupt processing");
		return VMM_SKIP;
	}
	if (c->preempt && !ctl(tru ? 0x48d : 0x481, BIT(0) | BIT(7) | BIT(6), &pin)) {
		snprintf(why, n, "no VMX-preemption timer (the watchdog of this test)");
		return VMM_SKIP;
	}
	if (!ctl(tru ? 0x48e : 0x482, BIT(21) | BIT(28) | BIT(31), &proc) ||   /* TPR shadow, MSR bitmaps, secondary */
	    !ctl(tru ? 0x48f : 0x483, BIT(9) | BIT(15), &exit) ||               /* 64-bit host, ack interrupt on exit */
	    !ctl(tru ? 0x490 : 0x484, BIT(9), &entry)) {                        /* IA-32e mode guest */
		snprintf(why, n, "VMX controls not available");
		return VMM_FAIL;
	}
	proc &= ~(u32)(BIT(7) | BIT(15) | BIT(16));   /* no HLT or CR3-load/store exiting */
	u64 cr0 = (cr(0) | rdmsr(0x486)) & rdmsr(0x487), cr4 = (cr(4) | BIT(13) | rdmsr(0x488)) & rdmsr(0x489);
	__asm__ volatile("mov %0, %%cr0; mov %1, %%cr4" ::"r"(cr0), "r"(cr4));
	gdt_tss();
	u32 *vmxon = page_alloc(), *vmcs = page_alloc();
	*vmxon = (u32)basic & 0x7fffffff;
	*vmcs = (u32)basic & 0x7fffffff;
	u64 pa = (u64)vmxon, pv = (u64)vmcs;
	u8 fail;
	__asm__ volatile("vmxon %1; setna %0" : "=r"(fail) : "m"(pa) : "cc", "memory");
	if (fail) { snprintf(why, n, "VMXON failed"); return VMM_FAIL; }
	__asm__ volatile("vmclear %1; setna %0" : "=r"(fail) : "m"(pv) : "cc", "memory");
	__asm__ volatile("vmptrld %1; setna %0" : "=r"(fail) : "m"(pv) : "cc", "memory");
	if (fail) {
		snprintf(why, n, "VMPTRLD failed");
		vmm_close();
		return VMM_FAIL;
	}
	u8 *gstack = page_alloc_n(4, PAGE);
	u8 *msrbm = page_alloc();
	vapic_page = page_alloc();
	vmwrite(PIN_CTLS, pin);
	vmwrite(PROC_CTLS, proc);
	vmwrite(PROC2_CTLS, proc2);
	vmwrite(EXIT_CTLS, exit);
	vmwrite(ENTRY_CTLS, entry);
	vmwrite(EXC_BITMAP, 0);
	vmwrite(CR3_TARGETS, 0);
	vmwrite(EXIT_MSR_STORE, 0);
	vmwrite(EXIT_MSR_LOAD, 0);
	vmwrite(ENTRY_MSR_LOAD, 0);
	vmwrite(ENTRY_INTR, 0);
	vmwrite(TPR_THRESHOLD, 0);
	vmwrite(MSR_BITMAP, (u64)msrbm);
	vmwrite(VAPIC_PAGE, (u64)vapic_page);
	vmwrite(POSTED_NV, c->nv);
	vmwrite(PID_ADDR, c->pid);
	for (int i = 0; i < 4; i++)
		vmwrite(EOI_EXIT0 + 2 * i, 0);
	vmwrite(G_INTR_STATUS, c->intr_status);
	vmwrite(LINK_PTR, ~0UL);
	if (c->preempt)
		vmwrite(G_PREEMPT_TIMER, c->preempt);
	/* host: this program's state; exits land in vmx_exit_stub */
	vmwrite(H_CR0, cr(0)); vmwrite(H_CR3, cr(3)); vmwrite(H_CR4, cr(4));
	vmwrite(H_CS, 0x08); vmwrite(H_SS, 0x10); vmwrite(H_DS, 0x10); vmwrite(H_ES, 0x10);
	vmwrite(H_FS, 0); vmwrite(H_GS, 0); vmwrite(H_TR, TSS_SEL);
	vmwrite(H_FS_BASE, 0); vmwrite(H_GS_BASE, 0); vmwrite(H_TR_BASE, (u64)tss);
	vmwrite(H_GDTR_BASE, (u64)gdt);
	struct { u16 lim; u64 base; } __attribute__((packed)) hidt;
	__asm__ volatile("sidt %0" : "=m"(hidt));
	vmwrite(H_IDTR_BASE, hidt.base);
	vmwrite(H_SYSENTER_CS, 0); vmwrite(H_SYSENTER_ESP, 0); vmwrite(H_SYSENTER_EIP, 0);
	extern char vmx_exit_stub[];
	vmwrite(H_RIP, (u64)vmx_exit_stub);
	/* guest: flat 64-bit, same page tables, its own IDT and stack (26.3.1 checks) */
	vmwrite(G_CR0, cr(0)); vmwrite(G_CR3, cr(3)); vmwrite(G_CR4, cr(4));
	static const u16 sel[8] = { 0x10, 0x08, 0x10, 0x10, 0, 0, 0, TSS_SEL };   /* ES CS SS DS FS GS LDTR TR */
	static const u32 ar[8] = { 0xc093, 0xa09b, 0xc093, 0xc093, 0x10000, 0x10000, 0x10000, 0x8b };
	for (int i = 0; i < 8; i++) {
		vmwrite(G_ES + 2 * i, sel[i]);
		vmwrite(G_ES_LIM + 2 * i, i == 7 ? 103 : 0xffffffff);
		vmwrite(G_ES_AR + 2 * i, ar[i]);
		vmwrite(G_ES_BASE + 2 * i, i == 7 ? (u64)tss : 0);
	}
	vmwrite(G_GDTR_BASE, (u64)gdt); vmwrite(G_GDTR_LIM, sizeof gdt - 1);
	vmwrite(G_IDTR_BASE, (u64)c->idt); vmwrite(G_IDTR_LIM, 256 * 16 - 1);
	vmwrite(G_DR7, 0x400); vmwrite(G_RFLAGS, c->rflags | 0x2);
	vmwrite(G_RSP, (u64)gstack + 4 * PAGE - 8); vmwrite(G_RIP, (u64)c->entry);
	vmwrite(G_PENDING_DBG, 0); vmwrite(G_INTERRUPTIBILITY, 0); vmwrite(G_ACTIVITY, c->activity);
	vmwrite(G_SYSENTER_CS, 0); vmwrite(G_SYSENTER_ESP, 0); vmwrite(G_SYSENTER_EIP, 0);
	memset(vmm_regs, 0, sizeof vmm_regs);
	launched = 0;
	return VMM_PASS;
}

/* One VM entry (interrupts stay as the caller has them). An external-interrupt exit was acknowledged
 * by the exit ("acknowledge interrupt on exit", SDM 27.2.2 / 24.7.1): its vector goes to
 * vmm_exit_vec and the host's EOI is sent here. */
int vmm_enter(char *why, unsigned n)
{
	if (vmx_run(vmm_regs, launched)) {
		snprintf(why, n, "VM%s failed, VM-instruction error %lu", launched ? "RESUME" : "LAUNCH", vmread(VM_ERROR));
		return -1;
	}
	launched = 1;
	int reason = (int)(vmread(EXIT_REASON) & 0xffff);
	if (reason == EXIT_EXT_INTR) {
		vmm_exit_vec = (u8)vmread(EXIT_INTR_INFO);
		lapic_w(0xb0, 0);
	}
	return reason;
}

void vmm_close(void) { __asm__ volatile("vmxoff" ::: "cc"); }

int vmm_run(struct vmm_guest *g, char *why, unsigned n)
{
	G = g;
	guest_irqs = 0;
	guest_idt_init();
	struct vmm_cfg c = { .entry = guest_main, .idt = guest_idt, .rflags = 0x2, .pid = g->pid, .nv = g->nv };
	int rc = vmm_open(&c, why, n);
	if (rc != VMM_PASS)
		return rc;
	u32 lvt = lapic_r(0x320);
	lapic_w(0x320, lvt | BIT(16));       /* host timer masked: no VM exits of the host's own */
	g->exits = 0;
	g->exit_reason = 0;
	__asm__ volatile("cli");
	for (;;) {
		int reason = vmm_enter(why, n);
		if (reason < 0) {
			rc = VMM_FAIL;
			break;
		}
		g->exits++;
		g->exit_reason = (u32)reason;
		if (reason == EXIT_VMCALL && vmm_regs[0] == 3 && g->exits < 10) {
			vmm_skip_insn();
			vmm_self_ipi(g->nv);                              /* an empty-PIR notification */
			continue;
		}
		if (reason == EXIT_VMCALL && vmm_regs[0] >= 1 && vmm_regs[0] <= 2 && g->exits < 10) {
			vmm_skip_insn();
			mmio_w32(g->edu_mmio + 0x60, 1);                  /* the MSI: posted while in root mode */
			if (vmm_regs[0] == 2) {
				__asm__ volatile("sti");
				for (int i = 0; i < 1000000 && !irq_count[g->nv]; i++)
					__asm__ volatile("pause");
				__asm__ volatile("cli");
				g->root_nv = irq_count[g->nv];
				vmm_self_ipi(g->nv);                      /* taken after VM entry as a notification */
			}
			continue;
		}
		if (reason == EXIT_VMCALL)
			break;
		if (reason == EXIT_EXT_INTR && g->exits < 50) {
			g->last_exit_vec = vmm_exit_vec;
			continue;
		}
		snprintf(why, n, "VM exit reason %u (qualification 0x%lx, guest RIP 0x%lx)", reason, vmread(0x6400),
			 vmread(G_RIP));
		rc = VMM_FAIL;
		break;
	}
	lapic_w(0x320, lvt);
	__asm__ volatile("sti");
	g->guest_irqs = guest_irqs;
	vmm_close();
	return rc;
}
