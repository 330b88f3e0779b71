/* Unit tests of the emulated-range table (vmm/mmio_range.c): fixed ranges, movable ranges placed, moved and parked while guests run. */
/* host-srcs: vmm/mmio_range.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/mmio.h"

void log_msg(const char *subsys, const char *fmt, ...)
{
	(void)subsys, (void)fmt;
}

static bool model(struct vcpu *v, u64 gpa, u32 size, bool write, u64 *val, void *ctx)
{
	(void)v, (void)gpa, (void)size, (void)write, (void)val, (void)ctx;
	return true;
}

static struct domain a = { .index = 0 }, b = { .index = 1 };
static int tag_ecam, tag_a, tag_b;

/* One table for the whole file (like the hypervisor's): the tests run in order and build on it. */
static void test_fixed_ranges(void **state)
{
	(void)state;
	assert_int_equal(mmio_register(NULL, "ecam", 0xe0000000u, 1 << 20, model, &tag_ecam), OK);
	assert_int_equal(mmio_register(&a, "x", 0xe00ff000u, 0x2000, model, NULL), E_BUSY);
	assert_int_equal(mmio_register(NULL, "wrap", ~0ULL - 0xfff, 0x2000, model, NULL), E_INVAL);
	assert_int_equal(mmio_register(NULL, "empty", 0x1000, 0, model, NULL), E_INVAL);
	assert_ptr_equal(mmio_find(&a, 0xe0000000u)->ctx, &tag_ecam);
	assert_ptr_equal(mmio_find(&b, 0xe00fffffu)->ctx, &tag_ecam);
	assert_null(mmio_find(&a, 0xe0100000u));
	assert_null(mmio_find(&a, 0xdfffffffu));
}

static u32 ha, hb;

static void test_claimed_range_is_parked(void **state)
{
	(void)state;
	assert_int_equal(mmio_claim(&a, "a msix", 0x1000, model, &tag_a, &ha), OK);
	assert_int_equal(mmio_claim(&b, "b msix", 0x2000, model, &tag_b, &hb), OK);
	assert_int_not_equal(ha, hb);
	assert_int_equal(mmio_claim(NULL, "no domain", 0x1000, model, NULL, &hb), E_INVAL);
	/* parked: nothing matches, not even the addresses a parked base would wrap onto */
	for (u64 g = 0; g < 0x3000; g += 0x800)
		assert_null(mmio_find(&a, g));
	assert_null(mmio_find(&a, ~0ULL));
}

static void test_move_while_running(void **state)
{
	(void)state;
	assert_int_equal(mmio_move(ha, 0xd0000000u), OK);
	assert_ptr_equal(mmio_find(&a, 0xd0000ffcu)->ctx, &tag_a);
	assert_null(mmio_find(&a, 0xd0001000u));
	assert_null(mmio_find(&b, 0xd0000000u));               /* another domain's range */
	/* b may sit at the same guest-physical address: domains do not share ranges */
	assert_int_equal(mmio_move(hb, 0xd0000000u), OK);
	assert_ptr_equal(mmio_find(&b, 0xd0001ff8u)->ctx, &tag_b);
	assert_ptr_equal(mmio_find(&a, 0xd0000000u)->ctx, &tag_a);
	/* over a range every domain has: refused, the old placement stays */
	assert_int_equal(mmio_move(ha, 0xe0080000u), E_BUSY);
	assert_ptr_equal(mmio_find(&a, 0xd0000000u)->ctx, &tag_a);
	assert_ptr_equal(mmio_find(&a, 0xe0080000u)->ctx, &tag_ecam);
	/* moved: the old address no longer reaches the model */
	assert_int_equal(mmio_move(ha, 0xc0000000u), OK);
	assert_null(mmio_find(&a, 0xd0000000u));
	assert_ptr_equal(mmio_find(&a, 0xc0000010u)->ctx, &tag_a);
	assert_int_equal(mmio_move(ha, ~0ULL - 0x10), E_INVAL);   /* wraps */
	assert_int_equal(mmio_move(999, 0x1000), E_INVAL);
	/* a fixed range cannot be claimed over a placed one of the same domain */
	assert_int_equal(mmio_register(&a, "fixed", 0xc0000000u, 0x1000, model, NULL), E_BUSY);
	assert_int_equal(mmio_move(ha, MMIO_PARKED), OK);
	assert_null(mmio_find(&a, 0xc0000010u));
}

static void test_release_frees_the_slot(void **state)
{
	(void)state;
	mmio_release(hb);
	assert_null(mmio_find(&b, 0xd0000000u));
	assert_int_equal(mmio_move(hb, 0xd0000000u), E_INVAL);  /* gone */
	u32 h;
	assert_int_equal(mmio_claim(&a, "again", 0x1000, model, &tag_b, &h), OK);
	assert_int_equal(h, hb);                                /* the slot is reused */
	mmio_release(h);
	mmio_release(ha);
	/* fixed ranges are not released by a handle */
	assert_ptr_equal(mmio_find(&b, 0xe0000000u)->ctx, &tag_ecam);
}

static void test_table_full(void **state)
{
	(void)state;
	u32 h, n = 0;
	status_t st;
	while ((st = mmio_claim(&a, "fill", 0x1000, model, NULL, &h)) == OK)
		n++;
	assert_int_equal(st, E_NOSPC);
	assert_true(n >= 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_ranges),
		cmocka_unit_test(test_claimed_range_is_parked),
		cmocka_unit_test(test_move_while_running),
		cmocka_unit_test(test_release_frees_the_slot),
		cmocka_unit_test(test_table_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
