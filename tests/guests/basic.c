/* basic.c — "exits" guest: drives the instructions that VM-exit under Passage and checks what comes back. */
#include "guest.h"
#include "x86.h"

#define LOAD_ADDR 0x100000u          /* guest.ld links us here */
#define MSR_UNKNOWN 0x12345678u      /* no CPU implements it: RDMSR/WRMSR #GP(0) */
#define PORT_UNCLAIMED 0x3300        /* no device here on QEMU pc or Bochs i440FX */
#define COM1_LSR 0x3fd
#define LSR_IDLE 0x60                /* THRE | TEMT: what Passage's virtual LSR reads */
#define LSR_SPINS 100000             /* polls before an idle UART counts as stuck */
#define VEC_UD 6                     /* invalid opcode */
#define VEC_GP 13                    /* general protection */
#define XCR0_X87_SSE 3u              /* XCR0 bits 0 (x87) and 1 (SSE) */
#define CPUID_TIMING_LOOPS 1000

extern char _end[];
static bool hv;                      /* running under Passage */
static bool expect_hv;               /* cmdline "expect-passage": a missing Passage is a FAIL */

/* Hypervisor-only checks: SKIP bare, unless the command line says Passage must be there. */
static bool need_hv(const char *name)
{
	if (hv)
		return true;
	if (expect_hv)
		fail(name, "Passage signature not found but expect-passage given");
	else
		skip(name, "not running under Passage");
	return false;
}

static void check_multiboot(void)
{
	if (mb_magic != MB_BOOTLOADER_MAGIC) {
		fail("multiboot-magic", "EAX was 0x%x, want 0x%x", mb_magic, MB_BOOTLOADER_MAGIC);
		return;                      /* EBX means nothing then */
	}
	pass("multiboot-magic");
	if (!(mb->flags & MB_INFO_MEMORY) || mb->mem_upper == 0)
		fail("multiboot-mem", "flags 0x%x mem_upper %u", mb->flags, mb->mem_upper);
	else {
		gprintf("INFO multiboot mem_lower %u KiB mem_upper %u KiB\n", mb->mem_lower, mb->mem_upper);
		pass("multiboot-mem");
	}
	if (!(mb->flags & MB_INFO_CMDLINE))
		fail("multiboot-cmdline", "no cmdline (flags 0x%x)", mb->flags);
	else if (!cmdline_has("guest-test"))
		fail("multiboot-cmdline", "\"%s\" lacks guest-test", cmdline());
	else
		pass("multiboot-cmdline");
}

/* An available mmap region must hold our image, and no available RAM may start beyond mem_upper's end. */
static void check_mmap(void)
{
	uint64_t top = (uint64_t)mb->mem_upper * 1024 + LOAD_ADDR;
	uint32_t off;
	bool holds_image = false;

	if (mb_magic != MB_BOOTLOADER_MAGIC || !(mb->flags & MB_INFO_MMAP) || !mb->mmap_length) {
		fail("multiboot-mmap", "no memory map (flags 0x%x)", mb_magic == MB_BOOTLOADER_MAGIC ? mb->flags : 0);
		return;
	}
	for (off = 0; off < mb->mmap_length; ) {
		const struct mb_mmap_entry *e = (const void *)(uintptr_t)(mb->mmap_addr + off);

		gprintf("INFO mmap 0x%llx+0x%llx type %u\n", e->base, e->length, e->type);
		if (e->type == MB_MMAP_AVAILABLE && e->base <= LOAD_ADDR &&
		    e->base + e->length >= (uintptr_t)_end)
			holds_image = true;
		off += e->size + 4;
	}
	if (!holds_image)
		fail("multiboot-mmap", "no available region covers 0x%x-%p", LOAD_ADDR, (void *)_end);
	else if (top <= (uintptr_t)_end)
		fail("multiboot-mmap", "mem_upper %u KiB ends below the image", mb->mem_upper);
	else
		pass("multiboot-mmap");
}

static void check_modules(void)
{
	const struct mb_module *m;

	if (mb_magic != MB_BOOTLOADER_MAGIC || !(mb->flags & MB_INFO_MODS) || !mb->mods_count) {
		skip("multiboot-modules", "no modules given");
		return;
	}
	m = (const void *)(uintptr_t)mb->mods_addr;
	for (uint32_t i = 0; i < mb->mods_count; i++) {
		gprintf("INFO module %u 0x%x-0x%x \"%s\"\n", i, m[i].mod_start, m[i].mod_end,
			m[i].string ? (const char *)(uintptr_t)m[i].string : "");
		if (m[i].mod_start > m[i].mod_end ||
		    m[i].mod_end > (uint64_t)mb->mem_upper * 1024 + LOAD_ADDR) {
			fail("multiboot-modules", "module %u range 0x%x-0x%x outside memory", i,
			     m[i].mod_start, m[i].mod_end);
			return;
		}
	}
	pass("multiboot-modules");
}

static void check_cpuid(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	char vendor[13];

	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	for (int i = 0; i < 12; i++)
		if (vendor[i] < 0x20 || vendor[i] > 0x7e) {
			fail("cpuid-vendor", "byte %d of the vendor is 0x%x", i, (uint8_t)vendor[i]);
			return;
		}
	gprintf("INFO cpuid vendor \"%s\" max leaf 0x%x\n", vendor, r.eax);
	if (r.eax < 1)
		fail("cpuid-vendor", "max basic leaf %u", r.eax);
	else
		pass("cpuid-vendor");

	/* The hypervisor hides VMX from its guests (no nested VMX). */
	if (need_hv("cpuid-vmx-hidden")) {
		if (cpuid(1, 0).ecx & CPUID1_ECX_VMX)
			fail("cpuid-vmx-hidden", "CPUID.1:ECX.VMX[5] is 1");
		else
			pass("cpuid-vmx-hidden");
	}
	if (need_hv("cpuid-hv-signature"))
		pass("cpuid-hv-signature"); /* under_passage() compared all 12 bytes */
}

struct msr_op { uint32_t msr; uint64_t val; };
static void do_rdmsr(void *p) { struct msr_op *o = p; o->val = rdmsr(o->msr); }
static void do_wrmsr(void *p) { struct msr_op *o = p; wrmsr(o->msr, o->val); }

/*
 * SDM Vol. 2B RDMSR/WRMSR: an unimplemented MSR is #GP(0); a hypervisor must
 * inject exactly that. Bare QEMU TCG and Bochs (ignore_bad_msrs=1, its
 * default) read 0 and drop the write instead.
 */
static void check_msr_unknown(void)
{
	struct msr_op o = { MSR_UNKNOWN, 0 };
	const char *names[2] = { "rdmsr-unknown-gp", "wrmsr-unknown-gp" };

	for (int w = 0; w < 2; w++) {
		int vec = trap_catch(w ? do_wrmsr : do_rdmsr, &o);

		if (vec == TRAP_NONE && !hv && !expect_hv)
			skip(names[w], "no fault bare (QEMU TCG and Bochs ignore_bad_msrs ignore it)");
		else if (vec == TRAP_NONE)
			fail(names[w], "no fault (value 0x%llx)", o.val);
		else if (vec != VEC_GP || trap_last_error != 0)
			fail(names[w], "vector %d error 0x%x, want 13 error 0", vec, trap_last_error);
		else
			pass(names[w]);
	}
}

static void check_msr_sysenter(void)
{
	static const uint64_t values[] = { 0x0008, 0xbeef };
	uint64_t saved = rdmsr(MSR_IA32_SYSENTER_CS);

	for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint64_t got;

		wrmsr(MSR_IA32_SYSENTER_CS, values[i]);
		got = rdmsr(MSR_IA32_SYSENTER_CS);
		if ((got & 0xffff) != values[i]) {
			fail("msr-sysenter-cs", "wrote 0x%llx read 0x%llx", values[i], got);
			wrmsr(MSR_IA32_SYSENTER_CS, saved);
			return;
		}
	}
	wrmsr(MSR_IA32_SYSENTER_CS, saved);
	pass("msr-sysenter-cs");
}

static void check_rdtsc(void)
{
	uint64_t prev = rdtsc(), first = prev;

	for (int i = 0; i < 100; i++) {
		uint64_t now;

		cpuid(0, 0);                 /* something that takes time (and an exit) between reads */
		now = rdtsc();
		if (now < prev) {
			fail("rdtsc-monotonic", "went back from 0x%llx to 0x%llx", prev, now);
			return;
		}
		prev = now;
	}
	if (prev == first)
		fail("rdtsc-monotonic", "stuck at 0x%llx", prev);
	else
		pass("rdtsc-monotonic");
}

/* Under VMX the guest sees CR0/CR4 through the read shadows (SDM Vol. 3C 25.6.6 "Guest/Host Masks and Read Shadows"). */
static void check_cr(void)
{
	uint32_t cr0 = read_cr0(), cr4 = read_cr4();

	gprintf("INFO cr0 0x%x cr4 0x%x\n", cr0, cr4);
	if (!(cr0 & X86_CR0_PE) || (cr0 & X86_CR0_PG))
		fail("cr-read", "cr0 0x%x: want PE=1 PG=0 as the loader left it", cr0);
	else if (cr4 & X86_CR4_VMXE)
		fail("cr-read", "cr4 0x%x shows VMXE", cr4);
	else
		pass("cr-read");

	write_cr4(cr4 | X86_CR4_OSFXSR);
	if (!(read_cr4() & X86_CR4_OSFXSR)) {
		fail("cr4-write", "OSFXSR did not stick (cr4 0x%x)", read_cr4());
		return;
	}
	write_cr4(cr4 & ~X86_CR4_OSFXSR);
	if (read_cr4() & X86_CR4_OSFXSR)
		fail("cr4-write", "OSFXSR did not clear (cr4 0x%x)", read_cr4());
	else
		pass("cr4-write");
	write_cr4(cr4);
}

static void do_xsetbv(void *p) { xsetbv(0, *(uint64_t *)p); }

/* SDM Vol. 1 13.3: enabling XSAVE; CPUID.1:ECX.OSXSAVE[27] must follow the guest's CR4.OSXSAVE. */
static void check_xsave(void)
{
	uint32_t cr4 = read_cr4();
	uint64_t bad = 2, got;       /* XCR0 without x87 (bit 0) is #GP(0) */
	int vec;

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_XSAVE)) {
		skip("cpuid-osxsave", "CPUID.1:ECX.XSAVE is 0");
		skip("xsetbv", "CPUID.1:ECX.XSAVE is 0");
		skip("xsetbv-invalid-gp", "CPUID.1:ECX.XSAVE is 0");
		return;
	}
	write_cr4(cr4 & ~X86_CR4_OSXSAVE);
	if (cpuid(1, 0).ecx & CPUID1_ECX_OSXSAVE) {
		fail("cpuid-osxsave", "OSXSAVE reads 1 with CR4.OSXSAVE clear");
	} else {
		write_cr4(cr4 | X86_CR4_OSXSAVE);
		if (!(cpuid(1, 0).ecx & CPUID1_ECX_OSXSAVE))
			fail("cpuid-osxsave", "OSXSAVE reads 0 with CR4.OSXSAVE set");
		else
			pass("cpuid-osxsave");
	}
	write_cr4(cr4 | X86_CR4_OSXSAVE);
	xsetbv(0, XCR0_X87_SSE);
	got = xgetbv(0);
	if (got != XCR0_X87_SSE)
		fail("xsetbv", "XCR0 reads 0x%llx after writing 3", got);
	else
		pass("xsetbv");

	vec = trap_catch(do_xsetbv, &bad);
	if (vec != VEC_GP)
		fail("xsetbv-invalid-gp", "XCR0=2 gave %d, want #GP (13)", vec);
	else if (xgetbv(0) != XCR0_X87_SSE)
		fail("xsetbv-invalid-gp", "XCR0 changed to 0x%llx", xgetbv(0));
	else
		pass("xsetbv-invalid-gp");
}

static void do_write_cr0(void *p) { write_cr0(*(uint32_t *)p); }
static void do_write_cr4(void *p) { write_cr4(*(uint32_t *)p); }

/* Expects #GP(0) from writing val to CR0 (cr = 0) or CR4 (cr = 4), and the register unchanged. */
static void expect_cr_gp(const char *name, int cr, uint32_t val)
{
	uint32_t before = cr ? read_cr4() : read_cr0(), after;
	int vec = trap_catch(cr ? do_write_cr4 : do_write_cr0, &val);

	after = cr ? read_cr4() : read_cr0();
	if (vec != VEC_GP || trap_last_error != 0)
		fail(name, "CR%d=0x%x gave vector %d error 0x%x, want #GP(0)", cr, val, vec, trap_last_error);
	else if (after != before)
		fail(name, "CR%d changed from 0x%x to 0x%x", cr, before, after);
	else
		pass(name);
}

/*
 * Illegal CR0/CR4 values are #GP(0) (SDM Vol. 2B "MOV—Move to/from Control
 * Registers"; Vol. 3A 2.5). Each CR0 value also sets NE, a bit Passage
 * owns, so under Passage the write VM-exits and the hypervisor must check it.
 */
static void check_cr_illegal(void)
{
	uint32_t cr0 = read_cr0(), cr4 = read_cr4();
	struct cpuid_regs l7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){ 0, 0, 0, 0 };

	/* Only where a hypervisor must do the checking: bare QEMU TCG (10.0) takes PG without PE
	 * and then crashes, and hangs on a reserved CR4 bit. */
	if (!need_hv("cr-illegal-gp"))
		return;
	expect_cr_gp("cr0-pg-without-pe-gp", 0, (cr0 | X86_CR0_NE | X86_CR0_PG) & ~X86_CR0_PE);
	expect_cr_gp("cr0-nw-without-cd-gp", 0, (cr0 | X86_CR0_NE | X86_CR0_NW) & ~X86_CR0_CD);
	write_cr0(cr0 | X86_CR0_NE);                /* legal: must take effect */
	if (!(read_cr0() & X86_CR0_NE))
		fail("cr0-ne-write", "NE did not stick (cr0 0x%x)", read_cr0());
	else
		pass("cr0-ne-write");
	write_cr0(cr0);
	expect_cr_gp("cr4-reserved15-gp", 4, cr4 | X86_CR4_RSVD15);
	expect_cr_gp("cr4-reserved31-gp", 4, cr4 | X86_CR4_RSVD31);
	if (l7.ecx & CPUID7_ECX_LA57)
		skip("cr4-la57-absent-gp", "the CPU has 5-level paging");
	else
		expect_cr_gp("cr4-la57-absent-gp", 4, cr4 | X86_CR4_LA57);
	if (l7.ecx & CPUID7_ECX_UMIP)
		skip("cr4-umip-absent-gp", "the CPU has UMIP");
	else
		expect_cr_gp("cr4-umip-absent-gp", 4, cr4 | X86_CR4_UMIP);
	expect_cr_gp("cr4-vmxe-gp", 4, cr4 | X86_CR4_VMXE); /* VMX is hidden from guests */
}

/* Expects #GP(0) from XSETBV(0, val) with XCR0 unchanged. */
static void expect_xsetbv_gp(const char *name, uint64_t val)
{
	uint64_t before = xgetbv(0);
	int vec = trap_catch(do_xsetbv, &val);

	if (vec != VEC_GP || trap_last_error != 0)
		fail(name, "XCR0=0x%llx gave vector %d error 0x%x, want #GP(0)", val, vec, trap_last_error);
	else if (xgetbv(0) != before)
		fail(name, "XCR0 changed from 0x%llx to 0x%llx", before, xgetbv(0));
	else
		pass(name);
}

/*
 * SDM Vol. 1 13.3 and Vol. 2D "XSETBV": #GP(0) for a reserved or unsupported
 * bit, AVX-512 state (bits 7:5) not all set or all clear or without AVX, and
 * MPX's BNDREGS/BNDCSR (bits 4:3) not both set or both clear.
 */
static void check_xsetbv_illegal(void)
{
	struct cpuid_regs d;
	uint64_t sup;

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_XSAVE) || !(read_cr4() & X86_CR4_OSXSAVE)) {
		skip("xsetbv-illegal", "no XSAVE, or CR4.OSXSAVE clear");
		return;
	}
	d = cpuid(0xd, 0);
	sup = ((uint64_t)d.edx << 32) | d.eax;
	gprintf("INFO xcr0-supported 0x%llx\n", sup);
	expect_xsetbv_gp("xsetbv-reserved63-gp", XCR0_X87_SSE | (1ull << 63));
	if ((sup & 0xe4) == 0xe4) {
		expect_xsetbv_gp("xsetbv-avx512-partial-gp", XCR0_X87_SSE | 0x4 | 0x20);
		expect_xsetbv_gp("xsetbv-avx512-no-zmm-hi-gp", XCR0_X87_SSE | 0x4 | 0x60);
		expect_xsetbv_gp("xsetbv-avx512-without-avx-gp", XCR0_X87_SSE | 0xe0);
		xsetbv(0, XCR0_X87_SSE | 0xe4);          /* legal: all of AVX-512 with AVX */
		if (xgetbv(0) != (XCR0_X87_SSE | 0xe4))
			fail("xsetbv-avx512", "XCR0 reads 0x%llx after writing 0xe7", xgetbv(0));
		else
			pass("xsetbv-avx512");
		xsetbv(0, XCR0_X87_SSE);
	} else {
		skip("xsetbv-avx512", "CPUID.(EAX=0DH,ECX=0) lacks AVX-512 state (0x%llx)", sup);
	}
	if ((sup & 0x18) == 0x18) {
		expect_xsetbv_gp("xsetbv-mpx-bndregs-only-gp", XCR0_X87_SSE | 0x08);
		expect_xsetbv_gp("xsetbv-mpx-bndcsr-only-gp", XCR0_X87_SSE | 0x10);
	} else {
		skip("xsetbv-mpx-pair", "CPUID.(EAX=0DH,ECX=0) lacks MPX state (0x%llx)", sup);
	}
}

static void check_misc(void)
{
	uint8_t b;
	uint16_t w;
	uint32_t l;

	wbinvd();                        /* SDM Vol. 2D WBINVD; INVD is not tried: bare it drops dirty lines */
	pass("wbinvd-survives");         /* the exit count is checked by tests/emu/vmx.sh */

	outb(PORT_UNCLAIMED, 0x5a);      /* must be ignored, not crash */
	b = inb(PORT_UNCLAIMED);
	w = inw(PORT_UNCLAIMED);
	l = inl(PORT_UNCLAIMED);
	if (b != 0xff || w != 0xffff || l != 0xffffffffu)
		fail("port-unclaimed", "port 0x%x read 0x%x/0x%x/0x%x, want all ones", PORT_UNCLAIMED, b, w, l);
	else
		pass("port-unclaimed");

	/* Passage's virtual LSR always reads 0x60; a bare emulated UART may still be shifting out the last byte. */
	for (int i = 0; i < LSR_SPINS && ((b = inb(COM1_LSR)) & LSR_IDLE) != LSR_IDLE; i++)
		;
	if (hv ? b != LSR_IDLE : (b & LSR_IDLE) != LSR_IDLE)
		fail("uart-lsr", "LSR 0x%x, want %s0x60", b, hv ? "" : "bits ");
	else
		pass("uart-lsr");
}

struct hc_op { const char *s; size_t n; uint32_t ret; };
static void do_console_hc(void *p) { struct hc_op *o = p; o->ret = hv_console_write(o->s, o->n); }

static void check_vmcall(void)
{
	static const char msg[] = "INFO vmcall-console hello from the guest\n";
	struct hc_op o = { msg, sizeof(msg) - 1, ~0u };
	int vec;

	if (!need_hv("vmcall-console"))
		return;
	vec = trap_catch(do_console_hc, &o);
	if (vec != TRAP_NONE)
		fail("vmcall-console", "VMCALL took vector %d", vec);
	else if (o.ret != 0)
		fail("vmcall-console", "returned EAX=0x%x, want 0", o.ret);
	else
		pass("vmcall-console");
}

static void report_cpuid_cycles(void)
{
	uint64_t t0 = rdtsc(), t1;

	for (int i = 0; i < CPUID_TIMING_LOOPS; i++)
		cpuid(0, 0);
	t1 = rdtsc();
	gprintf("INFO cpuid-cycles %llu\n", udiv64(t1 - t0, CPUID_TIMING_LOOPS, NULL));
}

int guest_main(void)
{
	gprintf("basic: Passage exit-handling guest, cmdline \"%s\"\n", cmdline());
	hv = under_passage();
	expect_hv = cmdline_has("expect-passage");
	gprintf("INFO under-passage %s\n", hv ? "yes" : "no");
	check_multiboot();
	check_mmap();
	check_modules();
	check_cpuid();
	check_msr_unknown();
	check_msr_sysenter();
	check_rdtsc();
	check_cr();
	check_xsave();
	check_xsetbv_illegal();
	check_cr_illegal();
	check_misc();
	check_vmcall();
	report_cpuid_cycles();
	return report_summary();
}
