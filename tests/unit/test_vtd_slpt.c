/* Unit tests of VT-d second-level page tables (iommu/vtd_slpt.c) over a host page arena. */
/* host-srcs: iommu/vtd_slpt.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/common/vtd_fake.h"
#include "iommu/vtd_slpt.h"

static struct slpt t;
static u64 free_at_start;

static int setup(void **state)
{
	(void)state;
	fake_reset();
	free_at_start = pmm_global.free_pages;
	return 0;
}

static u64 look(u64 iova, u64 *perm)
{
	u64 p = 0;
	u64 a = slpt_lookup(&t, iova, &p);
	if (perm)
		*perm = p;
	return a;
}

static void test_map_lookup_4k(void **state)
{
	(void)state;
	assert_int_equal(slpt_init(&t, 4, SLLPS_2M | SLLPS_1G, false), OK);
	bool replaced = true;
	assert_int_equal(slpt_map(&t, 0x5000, 0xabc000, PAGE_SIZE, SL_R, &replaced), OK);
	assert_false(replaced);
	u64 perm;
	assert_int_equal(look(0x5123, &perm), 0xabc123);
	assert_int_equal(perm, SL_R);
	assert_int_equal(look(0x4fff, NULL), ~0ULL);
	assert_int_equal(look(0x6000, NULL), ~0ULL);
	assert_int_equal(t.pages, 4); /* one table per level */
	slpt_destroy(&t);
	assert_int_equal(pmm_global.free_pages, free_at_start);
}

static void test_superpages_used(void **state)
{
	(void)state;
	assert_int_equal(slpt_init(&t, 4, SLLPS_2M | SLLPS_1G, false), OK);
	assert_int_equal(slpt_map(&t, 0, 0, 4 * GiB, SL_R | SL_W, NULL), OK);
	assert_int_equal(t.pages, 2); /* PML4 + one table of 1 GiB entries */
	assert_int_equal(look(3 * GiB + 0x12345, NULL), 3 * GiB + 0x12345);
	slpt_destroy(&t);
	assert_int_equal(slpt_init(&t, 4, SLLPS_2M, false), OK);
	assert_int_equal(slpt_map(&t, 0, 0, 4 * GiB, SL_R, NULL), OK);
	assert_int_equal(t.pages, 2 + 4); /* + four tables of 2 MiB entries */
	slpt_destroy(&t);
	assert_int_equal(pmm_global.free_pages, free_at_start);
}

/* VT-d 3.7 / 9.8: a 3-level table's top-level entries may map 1 GiB pages. */
static void test_1g_in_3_level(void **state)
{
	(void)state;
	assert_int_equal(slpt_init(&t, 3, SLLPS_2M | SLLPS_1G, false), OK);
	assert_int_equal(slpt_map(&t, GiB, 5 * GiB, GiB, SL_R, NULL), OK);
	assert_int_equal(t.pages, 1);
	u64 perm;
	assert_int_equal(look(GiB + 0x3456789, &perm), 5 * GiB + 0x3456789);
	assert_int_equal(perm, SL_R);
	assert_int_equal(look(0, NULL), ~0ULL);
	/* beyond 39 bits is refused */
	assert_int_equal(slpt_map(&t, 1ULL << 39, 0, PAGE_SIZE, SL_R, NULL), E_INVAL);
	slpt_destroy(&t);
}

/* Unmapping one 4 KiB page out of a 2 MiB page splits it; the rest keeps address and permission. */
static void test_partial_unmap_splits_2m(void **state)
{
	(void)state;
	assert_int_equal(slpt_init(&t, 4, SLLPS_2M, false), OK);
	assert_int_equal(slpt_map(&t, 2 * MiB, 8 * MiB, 2 * MiB, SL_R, NULL), OK);
	u64 before = t.pages;
	assert_int_equal(slpt_unmap(&t, 2 * MiB + 0x5000, PAGE_SIZE), OK);
	assert_int_equal(t.pages, before + 1);
	assert_int_equal(look(2 * MiB + 0x5000, NULL), ~0ULL);
	u64 perm;
	assert_int_equal(look(2 * MiB + 0x4000, &perm), 8 * MiB + 0x4000);
	assert_int_equal(perm, SL_R);
	assert_int_equal(look(2 * MiB + 0x6fff, &perm), 8 * MiB + 0x6fff);
	assert_int_equal(look(4 * MiB - 1, NULL), 10 * MiB - 1);
	slpt_destroy(&t);
	assert_int_equal(pmm_global.free_pages, free_at_start);
}

/* Unmapping 4 KiB from a 1 GiB page splits twice (1G -> 2M -> 4K). */
static void test_partial_unmap_splits_1g(void **state)
{
	(void)state;
	assert_int_equal(slpt_init(&t, 3, SLLPS_2M | SLLPS_1G, false), OK);
	assert_int_equal(slpt_map(&t, 0, GiB, GiB, SL_R | SL_W, NULL), OK);
	assert_int_equal(slpt_unmap(&t, 300 * MiB, PAGE_SIZE), OK);
	assert_int_equal(t.pages, 3);
	assert_int_equal(look(300 * MiB, NULL), ~0ULL);
	assert_int_equal(look(300 * MiB + PAGE_SIZE, NULL), GiB + 300 * MiB + PAGE_SIZE);
	assert_int_equal(look(300 * MiB - 1, NULL), GiB + 300 * MiB - 1);
	assert_int_equal(look(900 * MiB, NULL), GiB + 900 * MiB);
	/* unmapping a range that spans a split part and whole 2 MiB entries */
	assert_int_equal(slpt_unmap(&t, 298 * MiB, 8 * MiB), OK);
	assert_int_equal(look(299 * MiB, NULL), ~0ULL);
	assert_int_equal(look(305 * MiB, NULL), ~0ULL);
	assert_int_equal(look(306 * MiB, NULL), GiB + 306 * MiB);
	slpt_destroy(&t);
	assert_int_equal(pmm_global.free_pages, free_at_start);
}

/* D9: mapping over a present leaf or into a superpage reports that a present entry was replaced. */
static void test_remap_present_reported(void **state)
{
	(void)state;
	bool replaced = false;
	assert_int_equal(slpt_init(&t, 4, SLLPS_2M, false), OK);
	assert_int_equal(slpt_map(&t, 0x10000, 0x100000, PAGE_SIZE, SL_R, &replaced), OK);
	assert_false(replaced);
	assert_int_equal(slpt_map(&t, 0x10000, 0x200000, PAGE_SIZE, SL_R | SL_W, &replaced), OK);
	assert_true(replaced);
	assert_int_equal(look(0x10000, NULL), 0x200000);
	/* a 4 KiB map inside a 2 MiB page: the superpage entry is replaced by a table */
	assert_int_equal(slpt_map(&t, 4 * MiB, 4 * MiB, 2 * MiB, SL_R, &replaced), OK);
	assert_false(replaced);
	assert_int_equal(slpt_map(&t, 4 * MiB + 0x3000, 0x300000, PAGE_SIZE, SL_R, &replaced), OK);
	assert_true(replaced);
	assert_int_equal(look(4 * MiB + 0x3000, NULL), 0x300000);
	assert_int_equal(look(4 * MiB + 0x4000, NULL), 4 * MiB + 0x4000);
	/* a fresh range next to present ones is not a replacement */
	assert_int_equal(slpt_map(&t, 0x11000, 0x400000, PAGE_SIZE, SL_R, &replaced), OK);
	assert_false(replaced);
	slpt_destroy(&t);
}

/* Malformed requests change nothing. */
static void test_bad_requests(void **state)
{
	(void)state;
	assert_int_equal(slpt_init(&t, 4, 0, false), OK);
	assert_int_equal(slpt_map(&t, 0x1001, 0, PAGE_SIZE, SL_R, NULL), E_INVAL);
	assert_int_equal(slpt_map(&t, 0, 0x1001, PAGE_SIZE, SL_R, NULL), E_INVAL);
	assert_int_equal(slpt_map(&t, ~0xfffULL, 0, 2 * PAGE_SIZE, SL_R, NULL), E_INVAL);
	assert_int_equal(slpt_unmap(&t, 0x800, PAGE_SIZE), E_INVAL);
	assert_int_equal(t.pages, 1);
	slpt_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_map_lookup_4k, setup),
		cmocka_unit_test_setup(test_superpages_used, setup),
		cmocka_unit_test_setup(test_1g_in_3_level, setup),
		cmocka_unit_test_setup(test_partial_unmap_splits_2m, setup),
		cmocka_unit_test_setup(test_partial_unmap_splits_1g, setup),
		cmocka_unit_test_setup(test_remap_present_reported, setup),
		cmocka_unit_test_setup(test_bad_requests, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
