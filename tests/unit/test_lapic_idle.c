/* Unit tests of the TSC-deadline idle set-up: its wake-up vector is allocated once, at start-up (D20). */
/* host-srcs: arch/x86/lapic.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/lapic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/paging.h"
#include "arch/x86/tsc.h"

/* What lapic.c reaches outside itself. The allocator counts its calls and answers "no vector
 * left", so lapic_idle_until takes its polling path and never touches a LAPIC or an MSR. */
static u32 irq_allocs;

u8 irq_alloc(irq_handler_fn handler, void *ctx)
{
	(void)handler, (void)ctx;
	irq_allocs++;
	return 0;
}

status_t paging_map(u64 base, u64 len, int type)
{
	(void)base, (void)len, (void)type;
	fail_msg("paging_map called");
	return E_INVAL;
}

u64 tsc_now_us(void)
{
	return 0;
}

/*
 * D20: the idle vector is picked by lapic_idle_setup (boot CPU, before APs start), once, and
 * only when the CPU has TSC-deadline mode (CPUID.01H:ECX[24], SDM Vol. 3A 11.5.4.1); idling
 * before or after never allocates (a lazy first-use allocation could run on two CPUs at once).
 * The set-up reads this host's CPUID, so the count expected follows the host's bit.
 */
static void test_idle_vector_set_once_at_setup(void **state)
{
	(void)state;
	u32 expect = (cpuid(1, 0).ecx & CPUID1_ECX_TSC_DEADLINE) ? 1 : 0;
	lapic_idle_until(0);                                 /* before set-up */
	lapic_idle_until(~0ULL);
	assert_int_equal(irq_allocs, 0);
	lapic_idle_setup();
	assert_int_equal(irq_allocs, expect);
	for (int i = 0; i < 3; i++)
		lapic_idle_until(0);
	assert_int_equal(irq_allocs, expect);
	if (!expect)
		print_message("note: this host has no TSC-deadline mode; only 'no allocation' was checked\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_vector_set_once_at_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
