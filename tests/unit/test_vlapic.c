/* Unit tests of the virtual local APIC over a fake virtual-APIC page: priority, EOI, timer modes, the register file. */
/* host-srcs: vmm/vlapic.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/vlapic.h"
#include "lib/string.h"

#define TSC_KHZ 3000000ULL              /* 3 GHz: 3 TSC cycles per APIC tick before the divider */
#define SVR_ON 0x1ff                    /* software enabled, spurious vector 0xff */

static u8 page[4096] __attribute__((aligned(4096)));
static struct vlapic a;

static u32 word(u32 off)
{
	return *(u32 *)(page + off);
}

static void fresh(u32 id)
{
	memset(&a, 0, sizeof a);
	vlapic_init(&a, page, id, TSC_KHZ);
	assert_true(vlapic_write(&a, APIC_SVR, SVR_ON, 0));
}

static bool irr_has(u32 v) { return word(APIC_IRR + 0x10 * (v / 32)) & (1u << (v % 32)); }
static bool isr_has(u32 v) { return word(APIC_ISR + 0x10 * (v / 32)) & (1u << (v % 32)); }

static void test_power_up_state_is_in_the_page(void **state)
{
	(void)state;
	memset(&a, 0, sizeof a);
	memset(page, 0xaa, sizeof page);
	vlapic_init(&a, page, 3, TSC_KHZ);
	assert_int_equal(word(APIC_ID), 3u << 24);
	assert_int_equal(word(APIC_VER), 0x50014);
	assert_int_equal(word(APIC_SVR), 0xff);                 /* software-disabled */
	assert_int_equal(word(APIC_LVT_TIMER), 1u << 16);       /* masked */
	assert_int_equal(word(APIC_LVT_LINT0), 1u << 16);
	assert_int_equal(word(APIC_IRR), 0);
	assert_int_equal(word(APIC_ISR + 0x70), 0);
	assert_int_equal(word(APIC_TPR), 0);
}

/* The page is the register file: an x2APIC MSR write lands at the xAPIC offset and reads back. */
static void test_msr_writes_land_in_the_page(void **state)
{
	(void)state;
	fresh(1);
	u64 v = 0;
	assert_true(vlapic_wrmsr_at(&a, 0x808, 0x45, 0));     /* TPR */
	assert_int_equal(word(APIC_TPR), 0x45);
	assert_int_equal(word(APIC_PPR), 0x45);
	*(u32 *)(page + APIC_TPR) = 0x20;                      /* as the CPU's TPR shadow writes it */
	assert_true(vlapic_rdmsr_at(&a, 0x808, 0, &v));
	assert_int_equal(v, 0x20);
	assert_true(vlapic_wrmsr_at(&a, 0x830, (7ULL << 32) | 0x4031, 0)); /* ICR: 64-bit in x2APIC */
	assert_int_equal(word(APIC_ICR_LO), 0x4031);
	assert_int_equal(word(APIC_ICR_HI), 7);
	assert_true(vlapic_rdmsr_at(&a, 0x830, 0, &v));
	assert_int_equal(v, (7ULL << 32) | 0x4031);
	assert_true(vlapic_rdmsr_at(&a, 0x802, 0, &v));
	assert_int_equal(v, 1);                                /* x2APIC ID: the full ID */
	assert_true(vlapic_rdmsr_at(&a, 0x80d, 0, &v));
	assert_int_equal(v, (0u << 16) | (1u << 1));           /* SDM 11.12.10.2 logical ID */
}

static void test_read_only_and_absent_msrs_refused(void **state)
{
	(void)state;
	fresh(0);
	u64 v;
	assert_false(vlapic_wrmsr_at(&a, 0x802, 5, 0));        /* ID */
	assert_false(vlapic_wrmsr_at(&a, 0x803, 5, 0));        /* version */
	assert_false(vlapic_wrmsr_at(&a, 0x80a, 5, 0));        /* PPR */
	assert_false(vlapic_wrmsr_at(&a, 0x80d, 5, 0));        /* LDR is read-only in x2APIC mode */
	assert_false(vlapic_wrmsr_at(&a, 0x820, 5, 0));        /* IRR */
	assert_false(vlapic_rdmsr_at(&a, 0x80b, 0, &v));       /* EOI is write-only */
	assert_false(vlapic_rdmsr_at(&a, 0x80e, 0, &v));       /* DFR does not exist in x2APIC mode */
	assert_false(vlapic_rdmsr_at(&a, 0x831, 0, &v));       /* nor does ICR high */
	assert_false(vlapic_rdmsr_at(&a, 0x10, 0, &v));        /* not an APIC MSR */
	assert_int_equal(word(APIC_ID), 0);
}

/* SDM 11.8.3.1: PPR[7:4] is the larger of TPR[7:4] and ISRV[7:4]; PPR[3:0] is TPR[3:0] or 0. */
static void test_ppr(void **state)
{
	(void)state;
	fresh(0);
	assert_true(vlapic_write(&a, APIC_TPR, 0x35, 0));
	assert_int_equal(vlapic_ppr(&a), 0x35);
	vlapic_set_irr(&a, 0x51);
	assert_int_equal(vlapic_pending(&a), 0x51);
	vlapic_accept(&a, 0x51);
	assert_int_equal(vlapic_ppr(&a), 0x50);                /* ISR class above TPR's */
	assert_int_equal(word(APIC_PPR), 0x50);                /* and the page follows */
	assert_true(vlapic_write(&a, APIC_TPR, 0x5a, 0));
	assert_int_equal(vlapic_ppr(&a), 0x5a);                /* equal class: TPR wins */
	assert_true(vlapic_write(&a, APIC_TPR, 0x6f, 0));
	assert_int_equal(vlapic_ppr(&a), 0x6f);
	u64 v;
	assert_true(vlapic_rdmsr_at(&a, 0x80a, 0, &v));
	assert_int_equal(v, 0x6f);
}

static void test_highest_pending_vector(void **state)
{
	(void)state;
	fresh(0);
	assert_int_equal(vlapic_pending(&a), -1);
	vlapic_set_irr(&a, 0x40);
	vlapic_set_irr(&a, 0x93);
	vlapic_set_irr(&a, 0x91);
	assert_true(irr_has(0x93) && irr_has(0x40));
	assert_int_equal(vlapic_highest_irr(&a), 0x93);
	assert_int_equal(vlapic_pending(&a), 0x93);
	assert_true(vlapic_write(&a, APIC_TPR, 0x90, 0));
	assert_int_equal(vlapic_pending(&a), -1);              /* same class as TPR: held back */
	assert_true(vlapic_write(&a, APIC_TPR, 0x8f, 0));
	assert_int_equal(vlapic_pending(&a), 0x93);
	assert_true(vlapic_write(&a, APIC_SVR, 0xff, 0));      /* software-disabled: nothing delivered */
	assert_int_equal(vlapic_pending(&a), -1);
	assert_true(vlapic_write(&a, APIC_SVR, SVR_ON, 0));
	vlapic_set_irr(&a, 0x0f);                              /* vectors 0-15 are illegal */
	assert_false(irr_has(0x0f));
}

static void test_accept_and_eoi_nest(void **state)
{
	(void)state;
	fresh(0);
	vlapic_set_irr(&a, 0x50);
	vlapic_accept(&a, 0x50);
	assert_false(irr_has(0x50));
	assert_true(isr_has(0x50));
	vlapic_set_irr(&a, 0x41);
	assert_int_equal(vlapic_pending(&a), -1);              /* lower class than the one in service */
	vlapic_set_irr(&a, 0xa2);
	assert_int_equal(vlapic_pending(&a), 0xa2);            /* higher class preempts */
	vlapic_accept(&a, 0xa2);
	assert_int_equal(vlapic_highest_isr(&a), 0xa2);
	assert_int_equal(a.interrupts, 2);
	assert_true(vlapic_wrmsr_at(&a, 0x80b, 0, 0));         /* x2APIC EOI: the highest goes */
	assert_false(isr_has(0xa2));
	assert_true(isr_has(0x50));
	assert_int_equal(word(APIC_PPR), 0x50);                /* the class still in service */
	assert_int_equal(vlapic_pending(&a), -1);
	*(u32 *)(page + APIC_EOI) = 0;                         /* xAPIC EOI as an APIC-write exit */
	assert_true(vlapic_mmio_write(&a, APIC_EOI, 0, 0));
	assert_int_equal(vlapic_highest_isr(&a), -1);
	assert_int_equal(word(APIC_PPR), 0);
	assert_int_equal(vlapic_pending(&a), 0x41);
	assert_true(vlapic_wrmsr_at(&a, 0x80b, 0, 0));         /* EOI with nothing in service: harmless */
	assert_int_equal(vlapic_pending(&a), 0x41);
}

/* SDM 11.5.4: one-shot count, divide configuration (figure 11-10), current count, expiry. */
static void test_one_shot_timer(void **state)
{
	(void)state;
	fresh(0);
	const u64 t0 = 1000000;
	assert_true(vlapic_write(&a, APIC_LVT_TIMER, 0x31, t0));   /* one-shot, vector 0x31 */
	assert_true(vlapic_write(&a, APIC_TDCR, 0x1, t0));         /* divide by 4 */
	assert_true(vlapic_write(&a, APIC_TMICT, 100, t0));
	u64 deadline = t0 + 100 * 4 * 3;
	assert_int_equal(a.deadline, deadline);
	u32 ccr = 0;
	assert_true(vlapic_read(&a, APIC_TMCCT, t0 + 600, &ccr));
	assert_int_equal(ccr, 50);
	assert_int_equal(vlapic_poll_timer(&a, deadline - 1), deadline);
	assert_false(irr_has(0x31));
	assert_int_equal(vlapic_poll_timer(&a, deadline), 0);
	assert_true(irr_has(0x31));
	assert_true(vlapic_read(&a, APIC_TMCCT, deadline + 5, &ccr));
	assert_int_equal(ccr, 0);
	assert_int_equal(vlapic_poll_timer(&a, deadline + 10000), 0); /* fires once */
	assert_true(vlapic_write(&a, APIC_TDCR, 0xb, t0));         /* divide by 1 */
	assert_true(vlapic_write(&a, APIC_TMICT, 10, t0));
	assert_int_equal(a.deadline, t0 + 10 * 3);
	assert_true(vlapic_write(&a, APIC_TMICT, 0, t0));          /* count 0 stops it */
	assert_int_equal(a.deadline, 0);
}

static void test_masked_timer_expires_silently(void **state)
{
	(void)state;
	fresh(0);
	assert_true(vlapic_write(&a, APIC_LVT_TIMER, (1u << 16) | 0x31, 0));
	assert_true(vlapic_write(&a, APIC_TDCR, 0xb, 0));
	assert_true(vlapic_write(&a, APIC_TMICT, 10, 0));
	assert_int_equal(vlapic_poll_timer(&a, 30), 0);
	assert_int_equal(vlapic_highest_irr(&a), -1);
}

static void test_periodic_timer(void **state)
{
	(void)state;
	fresh(0);
	assert_true(vlapic_write(&a, APIC_LVT_TIMER, (1u << 17) | 0x32, 0)); /* periodic */
	assert_true(vlapic_write(&a, APIC_TDCR, 0x0, 0));                    /* divide by 2 */
	assert_true(vlapic_write(&a, APIC_TMICT, 1000, 0));
	const u64 period = 1000 * 2 * 3;
	assert_int_equal(vlapic_poll_timer(&a, period), 2 * period);  /* reloads from the expiry seen */
	assert_true(irr_has(0x32));
	vlapic_accept(&a, 0x32);
	assert_true(vlapic_wrmsr_at(&a, 0x80b, 0, 0));
	assert_int_equal(vlapic_poll_timer(&a, 2 * period + 7), 3 * period + 7);
	assert_true(irr_has(0x32));
	u64 v;
	assert_true(vlapic_rdmsr_at(&a, 0x839, 3 * period + 7 - 600, &v));   /* current count */
	assert_int_equal(v, 100);
}

static void test_tsc_deadline_timer(void **state)
{
	(void)state;
	fresh(0);
	u64 v = 1;
	assert_true(vlapic_wrmsr_at(&a, MSR_IA32_TSC_DEADLINE, 5000, 0)); /* not in deadline mode: ignored */
	assert_int_equal(a.deadline, 0);
	assert_true(vlapic_rdmsr_at(&a, MSR_IA32_TSC_DEADLINE, 0, &v));
	assert_int_equal(v, 0);
	assert_true(vlapic_wrmsr_at(&a, 0x832, (2u << 17) | 0x33, 0));   /* TSC-deadline mode */
	assert_true(vlapic_wrmsr_at(&a, MSR_IA32_TSC_DEADLINE, 5000, 0));
	assert_true(vlapic_rdmsr_at(&a, MSR_IA32_TSC_DEADLINE, 0, &v));
	assert_int_equal(v, 5000);
	assert_true(vlapic_wrmsr_at(&a, 0x838, 77, 0));                  /* initial count: ignored */
	assert_int_equal(a.deadline, 5000);
	assert_true(vlapic_rdmsr_at(&a, 0x839, 100, &v));
	assert_int_equal(v, 0);                                          /* CCR reads 0 in this mode */
	assert_int_equal(vlapic_poll_timer(&a, 4999), 5000);
	assert_false(irr_has(0x33));
	assert_int_equal(vlapic_poll_timer(&a, 5000), 0);
	assert_true(irr_has(0x33));
	assert_true(vlapic_wrmsr_at(&a, MSR_IA32_TSC_DEADLINE, 9000, 0));
	assert_true(vlapic_wrmsr_at(&a, 0x832, 0x33, 0));                /* SDM 11.5.4.1: mode switch disarms */
	assert_int_equal(a.deadline, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_up_state_is_in_the_page),
		cmocka_unit_test(test_msr_writes_land_in_the_page),
		cmocka_unit_test(test_read_only_and_absent_msrs_refused),
		cmocka_unit_test(test_ppr),
		cmocka_unit_test(test_highest_pending_vector),
		cmocka_unit_test(test_accept_and_eoi_nest),
		cmocka_unit_test(test_one_shot_timer),
		cmocka_unit_test(test_masked_timer_expires_silently),
		cmocka_unit_test(test_periodic_timer),
		cmocka_unit_test(test_tsc_deadline_timer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
