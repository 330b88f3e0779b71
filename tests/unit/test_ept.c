/* Unit tests of the EPT map/unmap/protect API: leaves, 2 MiB splits, refusals and when INVEPT happens. */
/* host-srcs: vmm/ept.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "vmm/vcpu.h"
#include "lib/pmm.h"

#define POOL (8 * MiB)
#define RAM_HPA 0x40000000ULL     /* never dereferenced: EPT only stores it */

/* Fakes of what ept.c uses from the rest of the hypervisor. */
struct vmx_caps vmx_caps;
static u32 invepts, kicks;
status_t invept_single(u64 eptp)
{
	(void)eptp;
	invepts++;
	return OK;
}
void vcpu_kick(struct vcpu *t)
{
	(void)t;
	kicks++;
}

static struct domain d;
static struct vcpu v;

static int setup(void **state)
{
	(void)state;
	static void *pool;
	static struct boot_info bi;
	if (!pool) {
		pool = aligned_alloc(2 * MiB, POOL);
		boot_info_add_mem(&bi, (u64)(uintptr_t)pool, POOL, MEM_USABLE);
	}
	pmm_init(&pmm_global, &bi, NULL, 0);
	d = (struct domain){ .mem_hpa = RAM_HPA, .mem_size = 8 * MiB, .nr_vcpus = 1 };
	v = (struct vcpu){ .dom = &d };
	d.vcpus[0] = &v;
	invepts = kicks = 0;
	return ept_build(&d) == OK ? 0 : -1;
}

static u64 hpa_of(u64 gpa, u64 *entry)
{
	u64 hpa = 0;
	*entry = ept_lookup(&d, gpa, &hpa);
	return hpa;
}

static void test_build_maps_ram_with_large_pages(void **state)
{
	(void)state;
	u64 e;
	assert_int_equal(hpa_of(0x1234, &e), RAM_HPA + 0x1234);
	assert_true(e & EPT_PS);
	assert_int_equal(e & (EPT_RWX | EPT_MT_WB), EPT_RWX | EPT_MT_WB);
	assert_int_equal(hpa_of(8 * MiB - 8, &e), RAM_HPA + 8 * MiB - 8);
	hpa_of(8 * MiB, &e);
	assert_int_equal(e, 0);                      /* nothing past RAM */
	assert_int_equal(invepts, 0);                /* building needs no invalidation */
}

/* Unmapping one page inside a 2 MiB page splits it; its neighbours keep their translation. */
static void test_unmap_splits_and_invalidates(void **state)
{
	(void)state;
	u64 e;
	assert_int_equal(ept_unmap(&d, 0x201000, PAGE_SIZE), OK);
	hpa_of(0x201000, &e);
	assert_int_equal(e, 0);
	assert_int_equal(hpa_of(0x200000, &e), RAM_HPA + 0x200000);
	assert_false(e & EPT_PS);
	assert_int_equal(e & (EPT_RWX | EPT_MT_WB), EPT_RWX | EPT_MT_WB);
	assert_int_equal(hpa_of(0x3ff008, &e), RAM_HPA + 0x3ff008);
	assert_int_equal(invepts, 1);
	assert_int_equal(kicks, 1);                  /* every vCPU of the domain is told */
	assert_int_equal(d.ept_gen, 1);
}

static void test_protect_whole_large_page(void **state)
{
	(void)state;
	u64 e;
	assert_int_equal(ept_protect(&d, 0x400000, 2 * MiB, EPT_R), OK);
	assert_int_equal(hpa_of(0x400010, &e), RAM_HPA + 0x400010);
	assert_true(e & EPT_PS);                     /* not split: the whole page changed */
	assert_int_equal(e & EPT_RWX, EPT_R);
	assert_int_equal(e & EPT_MT_WB, EPT_MT_WB);
	hpa_of(0x600000, &e);
	assert_int_equal(e & EPT_RWX, EPT_RWX);
	assert_int_equal(invepts, 1);
	assert_int_equal(ept_protect(&d, 0x600000, PAGE_SIZE, EPT_PS), E_INVAL);
}

static void test_map_refuses_present_and_unaligned(void **state)
{
	(void)state;
	u64 e;
	assert_int_equal(ept_map(&d, 0x1000, 0x90000000ULL, PAGE_SIZE, EPT_RWX), E_BUSY);
	assert_int_equal(ept_map(&d, 0x1001, 0x90000000ULL, PAGE_SIZE, EPT_RWX), E_INVAL);
	assert_int_equal(ept_unmap(&d, 0x100000, 0x800), E_INVAL);
	/* A hole can be filled again, with a 4 KiB leaf of its own; present->present needs none. */
	assert_int_equal(ept_unmap(&d, 0x201000, PAGE_SIZE), OK);
	assert_int_equal(ept_map(&d, 0x201000, 0x90000000ULL, PAGE_SIZE, EPT_R | EPT_MT_UC), OK);
	assert_int_equal(hpa_of(0x201004, &e), 0x90000004ULL);
	assert_int_equal(e & EPT_RWX, EPT_R);
	assert_int_equal(invepts, 1);                /* only the unmap invalidated */
	/* Far above RAM: new tables are made. */
	assert_int_equal(ept_map(&d, 0xfec00000ULL, 0xfec00000ULL, PAGE_SIZE, EPT_R | EPT_W), OK);
	assert_int_equal(hpa_of(0xfec00000ULL, &e), 0xfec00000ULL);
}

/* A vCPU invalidates once per change of the domain's tables, before its next entry. */
static void test_sync_once_per_change(void **state)
{
	(void)state;
	assert_int_equal(ept_sync(&v), OK);
	assert_int_equal(invepts, 0);
	assert_int_equal(ept_unmap(&d, 0x0, PAGE_SIZE), OK);
	assert_int_equal(invepts, 1);
	assert_int_equal(ept_sync(&v), OK);
	assert_int_equal(invepts, 2);
	assert_int_equal(ept_sync(&v), OK);
	assert_int_equal(invepts, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_build_maps_ram_with_large_pages, setup),
		cmocka_unit_test_setup(test_unmap_splits_and_invalidates, setup),
		cmocka_unit_test_setup(test_protect_whole_large_page, setup),
		cmocka_unit_test_setup(test_map_refuses_present_and_unaligned, setup),
		cmocka_unit_test_setup(test_sync_once_per_change, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
