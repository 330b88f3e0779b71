/* fidelity.c — "CPUID keeps its promises" guest: for every feature bit with MSRs behind it, what CPUID says against what the MSRs do. */
#include "guest.h"
#include "x86.h"

/*
 * Each row names a feature bit (SDM Vol. 2A "CPUID", tables 3-8 to 3-11) and the
 * architectural MSRs it enumerates (SDM Vol. 4 table 2-2, "Register Address /
 * Architectural MSR Name" with its "Comment" column naming the CPUID bit). An
 * exposed bit passes when its MSRs read (and, where the row says so, write
 * their own value back) without #GP, and then its own check, if any. A hidden
 * bit is a SKIP: the guest must not use those MSRs, so nothing is promised.
 */
enum { EAX, EBX, ECX, EDX };

struct feature {
	const char *name;
	uint32_t leaf, sub;
	uint8_t reg, bit;
	uint32_t msrs[3];             /* 0 ends the list */
	bool write_back;              /* each MSR takes the value it reads */
	void (*check)(const char *name);
};

struct msr_op { uint32_t msr; uint64_t val; };
static void do_rdmsr(void *p) { struct msr_op *o = p; o->val = rdmsr(o->msr); }
static void do_wrmsr(void *p) { struct msr_op *o = p; wrmsr(o->msr, o->val); }

/* RDMSR/WRMSR under trap_catch: the vector of the fault, TRAP_NONE if none. */
static int rd_safe(uint32_t msr, uint64_t *val)
{
	struct msr_op o = { msr, 0 };
	int vec = trap_catch(do_rdmsr, &o);
	*val = o.val;
	return vec;
}

static int wr_safe(uint32_t msr, uint64_t val)
{
	struct msr_op o = { msr, val };
	return trap_catch(do_wrmsr, &o);
}

#define MSR_TSC 0x10u                /* IA32_TIME_STAMP_COUNTER */
#define MSR_TSC_ADJUST 0x3bu         /* IA32_TSC_ADJUST (SDM Vol. 3B 18.17.3) */
#define MSR_SPEC_CTRL 0x48u          /* IA32_SPEC_CTRL: IBRS bit 0, STIBP bit 1, SSBD bit 2 */
#define MSR_PRED_CMD 0x49u           /* IA32_PRED_CMD: IBPB bit 0 (write-only) */
#define MSR_FLUSH_CMD 0x10bu         /* IA32_FLUSH_CMD: L1D_FLUSH bit 0 (write-only) */
#define MSR_MISC_ENABLE 0x1a0u       /* IA32_MISC_ENABLE */
#define MISC_FAST_STRINGS 1u         /* bit 0: fast-strings enable (R/W) */
#define MSR_TSC_AUX 0xc0000103u      /* IA32_TSC_AUX */
#define TSC_SLACK 50000000ull        /* TSC ticks an emulated write may take (Bochs: instructions) */

/* 18.17.3: a write to the TSC moves IA32_TSC_ADJUST by the same amount, and back. */
static void check_tsc(const char *name)
{
	const uint64_t target = 1ull << 40;
	uint64_t adj0 = 0, adj1 = 0, tsc;
	bool has_adjust = cpuid(7, 0).ebx & (1u << 1);
	if (has_adjust)
		rd_safe(MSR_TSC_ADJUST, &adj0);
	uint64_t before = rdtsc();
	if (wr_safe(MSR_TSC, target) != TRAP_NONE) {
		fail(name, "WRMSR IA32_TIME_STAMP_COUNTER faulted");
		return;
	}
	tsc = rdtsc();
	if (tsc < target || tsc - target > TSC_SLACK) {
		fail(name, "wrote TSC 0x%llx, RDTSC then read 0x%llx", target, tsc);
		return;
	}
	if (has_adjust) {
		rd_safe(MSR_TSC_ADJUST, &adj1);
		int64_t moved = (int64_t)(adj1 - adj0), want = (int64_t)(target - before);
		if (moved - want > (int64_t)TSC_SLACK || want - moved > (int64_t)TSC_SLACK) {
			fail(name, "IA32_TSC_ADJUST moved by %lld, the TSC by %lld", moved, want);
			return;
		}
	}
	pass(name);
}

/* 18.17.3: IA32_TSC_ADJUST reads back what was written and moves the TSC by the difference. */
static void check_tsc_adjust(const char *name)
{
	const uint64_t step = 1ull << 36;
	uint64_t adj, got;
	if (rd_safe(MSR_TSC_ADJUST, &adj) != TRAP_NONE) {
		fail(name, "RDMSR IA32_TSC_ADJUST faulted");
		return;
	}
	uint64_t t0 = rdtsc();
	if (wr_safe(MSR_TSC_ADJUST, adj + step) != TRAP_NONE) {
		fail(name, "WRMSR IA32_TSC_ADJUST faulted");
		return;
	}
	uint64_t t1 = rdtsc();
	rd_safe(MSR_TSC_ADJUST, &got);
	if (got != adj + step)
		fail(name, "wrote 0x%llx, read back 0x%llx", adj + step, got);
	else if (t1 - t0 < step || t1 - t0 - step > TSC_SLACK)
		fail(name, "TSC moved by 0x%llx after adding 0x%llx to IA32_TSC_ADJUST", t1 - t0, step);
	else
		pass(name);
}

/* IA32_SPEC_CTRL keeps each control bit its CPUID bit enumerates (SDM Vol. 4 table 2-2). */
static void check_spec_bit(const char *name, uint64_t bit)
{
	uint64_t old, got;
	if (rd_safe(MSR_SPEC_CTRL, &old) != TRAP_NONE) {
		fail(name, "RDMSR IA32_SPEC_CTRL faulted");
		return;
	}
	if (wr_safe(MSR_SPEC_CTRL, old | bit) != TRAP_NONE || rd_safe(MSR_SPEC_CTRL, &got) != TRAP_NONE) {
		fail(name, "setting bit 0x%llx faulted", bit);
		return;
	}
	wr_safe(MSR_SPEC_CTRL, old);
	if (got != (old | bit))
		fail(name, "wrote 0x%llx, read back 0x%llx", old | bit, got);
	else
		pass(name);
}
static void check_ibrs(const char *name)
{
	if (wr_safe(MSR_PRED_CMD, 1) != TRAP_NONE)
		fail(name, "IBPB write to IA32_PRED_CMD faulted");
	else
		check_spec_bit(name, 1);
}
static void check_stibp(const char *name) { check_spec_bit(name, 2); }
static void check_ssbd(const char *name) { check_spec_bit(name, 4); }
static void check_l1d_flush(const char *name)
{
	if (wr_safe(MSR_FLUSH_CMD, 1) != TRAP_NONE)
		fail(name, "L1D_FLUSH write to IA32_FLUSH_CMD faulted");
	else
		pass(name);
}

/* IA32_TSC_AUX holds what is written; RDTSCP returns it in ECX. */
static void check_tsc_aux(const char *name)
{
	uint64_t got;
	if (wr_safe(MSR_TSC_AUX, 0x1234) != TRAP_NONE || rd_safe(MSR_TSC_AUX, &got) != TRAP_NONE)
		fail(name, "IA32_TSC_AUX faulted");
	else if (got != 0x1234)
		fail(name, "IA32_TSC_AUX wrote 0x1234, read 0x%llx", got);
	else
		pass(name);
}

/* Bits with no MSR the guest would use: listed so that a hidden one shows as a SKIP. */
static const struct feature features[] = {
	{ "tsc", 1, 0, EDX, 4, { MSR_TSC }, false, check_tsc },
	{ "apic", 1, 0, EDX, 9, { 0x1b }, true, NULL },
	{ "mtrr", 1, 0, EDX, 12, { 0xfe, 0x2ff }, false, NULL },
	{ "sep", 1, 0, EDX, 11, { 0x174, 0x175, 0x176 }, true, NULL },
	{ "mca", 1, 0, EDX, 14, { 0x179, 0x17a }, false, NULL },
	{ "pat", 1, 0, EDX, 16, { 0x277 }, true, NULL },
	{ "ds", 1, 0, EDX, 21, { 0x600 }, false, NULL },
	{ "acpi", 1, 0, EDX, 22, { 0x19a, 0x19c }, false, NULL },
	{ "tm", 1, 0, EDX, 29, { 0x19c }, false, NULL },
	{ "dtes64", 1, 0, ECX, 2, { 0x600 }, false, NULL },
	{ "ds-cpl", 1, 0, ECX, 4, { 0x600 }, false, NULL },
	{ "vmx", 1, 0, ECX, 5, { 0x3a, 0x480 }, false, NULL },
	{ "smx", 1, 0, ECX, 6, { 0x3a }, false, NULL },
	{ "eist", 1, 0, ECX, 7, { 0x198, 0x199 }, false, NULL },
	{ "tm2", 1, 0, ECX, 8, { 0x19c }, false, NULL },
	{ "sdbg", 1, 0, ECX, 11, { 0xc80 }, false, NULL },
	{ "pdcm", 1, 0, ECX, 15, { 0x345 }, false, NULL },
	{ "dca", 1, 0, ECX, 18, { 0x1f8 }, false, NULL },
	{ "tsc-deadline", 1, 0, ECX, 24, { 0x6e0 }, false, NULL },
	{ "tsc-adjust", 7, 0, EBX, 1, { MSR_TSC_ADJUST }, false, check_tsc_adjust },
	{ "sgx", 7, 0, EBX, 2, { 0x3a }, false, NULL },
	{ "rdt-m", 7, 0, EBX, 12, { 0xc8d, 0xc8f }, false, NULL },
	{ "mpx", 7, 0, EBX, 14, { 0xd90 }, true, NULL },
	{ "rdt-a", 7, 0, EBX, 15, { 0xc8f }, false, NULL },
	{ "intel-pt", 7, 0, EBX, 25, { 0x570 }, false, NULL },
	{ "waitpkg", 7, 0, ECX, 5, { 0xe1 }, false, NULL },
	{ "cet-ss", 7, 0, ECX, 7, { 0x6a0, 0x6a2 }, false, NULL },
	{ "tme", 7, 0, ECX, 13, { 0x981, 0x982 }, false, NULL },
	{ "rdpid", 7, 0, ECX, 22, { MSR_TSC_AUX }, false, check_tsc_aux },
	{ "enqcmd", 7, 0, ECX, 29, { 0xd93 }, false, NULL },
	{ "sgx-lc", 7, 0, ECX, 30, { 0x8c }, false, NULL },
	{ "pks", 7, 0, ECX, 31, { 0x6e1 }, false, NULL },
	{ "uintr", 7, 0, EDX, 5, { 0x985 }, false, NULL },
	{ "cet-ibt", 7, 0, EDX, 20, { 0x6a0, 0x6a2 }, false, NULL },
	{ "ibrs-ibpb", 7, 0, EDX, 26, { MSR_SPEC_CTRL }, false, check_ibrs },
	{ "stibp", 7, 0, EDX, 27, { MSR_SPEC_CTRL }, false, check_stibp },
	{ "l1d-flush", 7, 0, EDX, 28, { 0 }, false, check_l1d_flush },
	{ "arch-capabilities", 7, 0, EDX, 29, { 0x10a }, false, NULL },
	{ "core-capabilities", 7, 0, EDX, 30, { 0xcf }, false, NULL },
	{ "ssbd", 7, 0, EDX, 31, { MSR_SPEC_CTRL }, false, check_ssbd },
	{ "syscall", 0x80000001, 0, EDX, 11, { 0xc0000081, 0xc0000082, 0xc0000084 }, true, NULL },
	{ "nx", 0x80000001, 0, EDX, 20, { 0xc0000080 }, true, NULL },
	{ "rdtscp", 0x80000001, 0, EDX, 27, { MSR_TSC_AUX }, false, check_tsc_aux },
	{ "lm", 0x80000001, 0, EDX, 29, { 0xc0000080, 0xc0000100, 0xc0000102 }, true, NULL },
};

static uint32_t reg_of(struct cpuid_regs r, uint8_t reg)
{
	return reg == EAX ? r.eax : reg == EBX ? r.ebx : reg == ECX ? r.ecx : r.edx;
}

static void check_feature(const struct feature *f)
{
	char name[48] = "cpuid-msr-";
	memcpy(name + 10, f->name, strlen(f->name) + 1);
	uint32_t max = cpuid(f->leaf & 0x80000000u, 0).eax;
	if (f->leaf > max || !(reg_of(cpuid(f->leaf, f->sub), f->reg) & (1u << f->bit))) {
		skip(name, "hidden");
		return;
	}
	for (uint32_t i = 0; i < 3 && f->msrs[i]; i++) {
		uint64_t val;
		int vec = rd_safe(f->msrs[i], &val);
		if (vec != TRAP_NONE) {
			fail(name, "CPUID advertises it, RDMSR 0x%x took vector %d", f->msrs[i], vec);
			return;
		}
		if (f->write_back && (vec = wr_safe(f->msrs[i], val)) != TRAP_NONE) {
			fail(name, "CPUID advertises it, WRMSR 0x%x of its own value took vector %d", f->msrs[i], vec);
			return;
		}
	}
	if (f->check)
		f->check(name);
	else
		pass(name);
}

/* IA32_MISC_ENABLE: architectural on every CPU this guest runs on; fast strings is R/W. */
static void check_misc_enable(void)
{
	uint64_t v, got;
	if (rd_safe(MSR_MISC_ENABLE, &v) != TRAP_NONE) {
		fail("msr-misc-enable", "RDMSR faulted");
		return;
	}
	if (wr_safe(MSR_MISC_ENABLE, v) != TRAP_NONE) {
		fail("msr-misc-enable", "writing back its own value 0x%llx faulted", v);
		return;
	}
	if (wr_safe(MSR_MISC_ENABLE, v ^ MISC_FAST_STRINGS) != TRAP_NONE ||
	    rd_safe(MSR_MISC_ENABLE, &got) != TRAP_NONE) {
		fail("msr-misc-enable", "toggling fast strings faulted");
		return;
	}
	wr_safe(MSR_MISC_ENABLE, v);
	if (got != (v ^ MISC_FAST_STRINGS))
		fail("msr-misc-enable", "wrote 0x%llx, read back 0x%llx", v ^ MISC_FAST_STRINGS, got);
	else
		pass("msr-misc-enable");
}

/*
 * Local APIC reset state and IA32_APIC_BASE transitions (SDM Vol. 3A 11.4.3, 11.12.5.1 figure
 * 11-27): a multiboot1 guest starts as after RESET, in xAPIC mode; a disabled APIC clears
 * CPUID.1:EDX.APIC and its page is no APIC; it can be enabled again, in its power-up state.
 */
#define MSR_APIC_BASE 0x1bu
#define APIC_BSP (1u << 8)
#define APIC_EXTD (1u << 10)
#define APIC_EN (1u << 11)
#define APIC_PAGE 0xfee00000u
#define APIC_ID_REG 0x20u
#define APIC_VER_REG 0x30u
#define APIC_SVR_REG 0xf0u
#define MSR_X2APIC_VERSION 0x803u
#define VEC_GP 13

static uint32_t mmio(uint32_t off) { return *(volatile uint32_t *)(uintptr_t)(APIC_PAGE + off); }
static void mmio_write(uint32_t off, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(APIC_PAGE + off) = v; }
static bool cpuid_apic(void) { return cpuid(1, 0).edx & (1u << 9); }
static bool version_ok(uint32_t v) { return (v & 0xff) >= 0x10 && (v & 0xff) < 0x20; } /* integrated APIC */

static void check_apic_reset(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), val;
	gprintf("INFO IA32_APIC_BASE 0x%llx at entry\n", base);
	if ((base & 0xfffff000u) != APIC_PAGE || (base & (APIC_EN | APIC_EXTD | APIC_BSP)) != (APIC_EN | APIC_BSP))
		fail("apic-reset-xapic", "IA32_APIC_BASE 0x%llx, want 0xfee00000 | EN | BSP, EXTD clear", base);
	else if (!version_ok(mmio(APIC_VER_REG)) || mmio(APIC_ID_REG) >> 24 != 0)
		fail("apic-reset-xapic", "xAPIC page: version 0x%x, ID 0x%x", mmio(APIC_VER_REG), mmio(APIC_ID_REG));
	else if (rd_safe(MSR_X2APIC_VERSION, &val) != VEC_GP)
		fail("apic-reset-xapic", "x2APIC MSR readable in xAPIC mode");
	else
		pass("apic-reset-xapic");
}

static void check_apic_disable(const char *name, uint64_t from)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), val;
	int vec = wr_safe(MSR_APIC_BASE, base & ~(uint64_t)(APIC_EN | APIC_EXTD));
	if (vec != TRAP_NONE) {
		fail(name, "disabling from 0x%llx took vector %d", from, vec);
		return;
	}
	if (cpuid_apic())
		fail(name, "CPUID.1:EDX.APIC still set with the APIC disabled");
	else if (mmio(APIC_VER_REG) != 0xffffffffu)
		fail(name, "the APIC page still answers (version 0x%x) with the APIC disabled", mmio(APIC_VER_REG));
	else if (rd_safe(MSR_X2APIC_VERSION, &val) != VEC_GP)
		fail(name, "x2APIC MSR readable with the APIC disabled");
	else
		pass(name);
}

static void check_apic_reenable(const char *name)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	int vec = wr_safe(MSR_APIC_BASE, base | APIC_EN);
	if (vec != TRAP_NONE)
		fail(name, "enabling took vector %d", vec);
	else if (!cpuid_apic())
		fail(name, "CPUID.1:EDX.APIC clear after enabling");
	else if (!version_ok(mmio(APIC_VER_REG)))
		fail(name, "xAPIC version 0x%x after enabling", mmio(APIC_VER_REG));
	else if (mmio(APIC_SVR_REG) != 0xff)
		fail(name, "SVR 0x%x after enabling, want its power-up 0xff", mmio(APIC_SVR_REG));
	else
		pass(name);
}

static void check_apic_modes(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), val;
	check_apic_reset();
	mmio_write(APIC_SVR_REG, 0x1ff);                /* software-enable: power-up state is 0xff */
	check_apic_disable("apic-disable-xapic", base);
	check_apic_reenable("apic-reenable-xapic");
	if (!(cpuid(1, 0).ecx & (1u << 21))) {
		skip("apic-x2apic-cycle", "no x2APIC");
		return;
	}
	base = rdmsr(MSR_APIC_BASE);
	if (wr_safe(MSR_APIC_BASE, base | APIC_EXTD) != TRAP_NONE || rd_safe(MSR_X2APIC_VERSION, &val) != TRAP_NONE ||
	    !version_ok((uint32_t)val))
		fail("apic-x2apic-cycle", "entering x2APIC mode failed");
	else if (mmio(APIC_VER_REG) != 0xffffffffu)
		fail("apic-x2apic-cycle", "the xAPIC page answers in x2APIC mode (0x%x)", mmio(APIC_VER_REG));
	else if (wr_safe(MSR_APIC_BASE, base & ~(uint64_t)APIC_EXTD) != VEC_GP)
		fail("apic-x2apic-cycle", "x2APIC -> xAPIC directly did not #GP");
	else
		pass("apic-x2apic-cycle");
	check_apic_disable("apic-disable-x2apic", base | APIC_EXTD);
	check_apic_reenable("apic-reenable-after-x2apic");
}

int guest_main(void)
{
	for (uint32_t i = 0; i < sizeof features / sizeof features[0]; i++)
		check_feature(&features[i]);
	check_misc_enable();
	check_apic_modes();
	return report_summary();
}
