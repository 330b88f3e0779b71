/*
 * testaid.c — uses the test aids of a test-enabled Passage (crash=vmexit):
 * the scratch MMIO page (loads and stores decoded and emulated through the
 * EPT-violation dispatcher) and NMI IPIs to the other CPUs, whose guests must
 * keep running.
 */
#include "guest.h"
#include "x86.h"

#define HC_TEST_NMI 0xc0dfu            /* vmm/hypercall.c: NMI IPI to every other CPU -> NMIs they handled */
#define TEST_MMIO 0xfeb00000u          /* vmm/vtestdev.c: 4 KiB of scratch bytes behind EPT violations */
#define WANT_HANDLED 20u               /* stop once the other CPUs have handled this many */
#define MAX_SENDS 2000u
#define SPIN 20000u                    /* pauses between two sends, so they spread over the other guest's work */

static void expect_eq(const char *name, uint32_t got, uint32_t want)
{
	if (got != want)
		fail(name, "read 0x%x, want 0x%x", got, want);
	else
		pass(name);
}

/* Each MOV form the decoder knows, against the scratch page (paging is off: linear = physical). */
static void check_mmio(void)
{
	volatile uint8_t *b = (volatile uint8_t *)TEST_MMIO;
	volatile uint16_t *w = (volatile uint16_t *)(TEST_MMIO + 0x10);
	volatile uint32_t *d = (volatile uint32_t *)(TEST_MMIO + 0x20);
	uint32_t v = 0x11223344u, r;

	__asm__ volatile("movl %1, (%0)" : : "r"(d), "r"(v) : "memory");              /* 89 /r */
	__asm__ volatile("movl (%1), %0" : "=r"(r) : "r"(d) : "memory");               /* 8B /r */
	expect_eq("mmio-store-load-32", r, 0x11223344u);
	__asm__ volatile("movw $0xbeef, (%0)" : : "r"(w) : "memory");                  /* 66 C7 /0 iw */
	__asm__ volatile("movw (%1), %w0" : "=r"(r) : "r"(w) : "memory");              /* 66 8B /r */
	expect_eq("mmio-store-imm16", r & 0xffff, 0xbeef);
	__asm__ volatile("movb $0x5a, 0x30(%0)" : : "r"(b) : "memory");                /* C6 /0 ib, disp8 */
	r = 0xffffffffu;
	__asm__ volatile("movb 0x30(%1), %%ah" : "+a"(r) : "r"(b) : "memory");        /* 8A /r into AH */
	expect_eq("mmio-load-ah", r, 0xffff5aff);
	__asm__ volatile("movl %%eax, %c0" : : "i"(TEST_MMIO + 0x40), "a"(0xcafef00du) : "memory"); /* A3 */
	__asm__ volatile("movl %c1, %%eax" : "=a"(r) : "i"(TEST_MMIO + 0x40) : "memory");          /* A1 */
	expect_eq("mmio-moffs", r, 0xcafef00du);
	__asm__ volatile("movb 0x20(%1), %%al" : "=a"(r) : "r"(b), "0"(0u) : "memory"); /* 8A /r */
	v = r;
	__asm__ volatile("movb 0x23(%1), %%al" : "=a"(r) : "r"(b), "0"(0u) : "memory");
	expect_eq("mmio-bytes-little-endian", v | r << 24, 0x11000044u);
}

static void check_nmi(void)
{
	uint32_t sent = 0, handled = 0;

	while (sent < MAX_SENDS && handled < WANT_HANDLED) {
		uint32_t r = vmcall(HC_TEST_NMI, 0, 0);

		if (r == 0xffffffffu) {
			fail("nmi-ipis-handled", "the test hypercall is refused (boot with crash=vmexit)");
			return;
		}
		sent++;
		handled = r;
		for (volatile uint32_t i = 0; i < SPIN; i++)
			__asm__ volatile("pause");
	}
	gprintf("INFO %u NMI IPIs sent, %u handled by the other CPUs\n", sent, handled);
	if (handled < WANT_HANDLED)
		fail("nmi-ipis-handled", "only %u of %u sent NMIs were handled", handled, sent);
	else
		pass("nmi-ipis-handled");
}

int guest_main(void)
{
	if (!under_passage()) {
		skip("testaid", "not under Passage");
		return 0;
	}
	check_nmi();
	check_mmio();
	return report_summary();
}
