/* Unit tests of VT-d invalidation (iommu/vtd_inv.c) against a fake register page: encodings, IVA, IQE recovery. */
/* host-srcs: iommu/vtd_inv.c iommu/vtd_unit.c iommu/vtd_fault.c iommu/vtd_slpt.c iommu/iommu.c iommu/iommu_dev.c iommu/iommu_domain.c iommu/vtd_irt.c iommu/vtd_irte.c lib/status.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/common/vtd_fake.h"

static struct vtd_unit u;

static int setup_reg(void **state)
{
	(void)state;
	fake_reset();
	u = fake_unit_new(0, false, 0);
	return 0;
}

static int setup_qi(void **state)
{
	(void)state;
	fake_reset();
	u = fake_unit_new(0, true, 0);
	assert_int_equal(vtd_qi_enable(&u), OK);
	return 0;
}

static struct fake_event last(enum fake_ev kind)
{
	struct fake_event e[FAKE_MAX_EVENTS];
	u32 n = fake_events(kind, 0, e, FAKE_MAX_EVENTS);
	assert_true(n > 0);
	return e[n - 1];
}

/* D1: a register-based page-selective invalidation of IOVA 0 must write IVA_REG = 0. */
static void test_reg_psi_iova0_writes_iva(void **state)
{
	(void)state;
	assert_int_equal(vtd_inv_iotlb_range(&u, 5, 0x5000, PAGE_SIZE), OK);
	assert_int_equal(last(EV_IOTLB).v2, 0x5000);
	assert_int_equal(vtd_inv_iotlb_range(&u, 5, 0, PAGE_SIZE), OK);
	struct fake_event e = last(EV_IOTLB);
	assert_int_equal(e.v & (3ULL << 60), IOTLB_IIRG_PAGE);
	assert_int_equal((e.v >> 32) & 0xffff, 5);
	assert_int_equal(e.v2, 0); /* address 0, AM 0: not the previous 0x5000 */
}

/* Register-based page-selective: address and AM in IVA_REG, DID and drains in IOTLB_REG. */
static void test_reg_psi_2m_encoding(void **state)
{
	(void)state;
	assert_int_equal(vtd_inv_iotlb_range(&u, 9, 0x40200000, 2 * MiB), OK);
	struct fake_event e = last(EV_IOTLB);
	assert_int_equal(e.v, IOTLB_IVT | IOTLB_IIRG_PAGE | IOTLB_DR | IOTLB_DW | IOTLB_DID(9));
	assert_int_equal(e.v2, 0x40200000 | 9);
}

/* Register-based domain-selective and context-device encodings. */
static void test_reg_domain_and_context(void **state)
{
	(void)state;
	assert_int_equal(vtd_inv_iotlb_domain(&u, 3), OK);
	assert_int_equal(last(EV_IOTLB).v, IOTLB_IVT | IOTLB_IIRG_DOMAIN | IOTLB_DR | IOTLB_DW | IOTLB_DID(3));
	assert_int_equal(vtd_inv_context_device(&u, 3, 0x0108), OK);
	assert_int_equal(last(EV_CCMD).v, CCMD_ICC | CCMD_CIRG_DEVICE | CCMD_DID(3) | CCMD_SID(0x0108));
	assert_int_equal(u.inv_descs, 2);
}

/* QI page-selective: one IOTLB descriptor with ADDR|AM, then a wait descriptor; counted once. */
static void test_qi_psi_encoding(void **state)
{
	(void)state;
	u32 before = fake.nr_ev;
	assert_int_equal(vtd_inv_iotlb_range(&u, 7, 0x200000, 2 * MiB), OK);
	struct fake_event e[4];
	u32 k = 0;
	for (u32 i = before; i < fake.nr_ev && k < 4; i++)
		if (fake.ev[i].kind == EV_QI)
			e[k++] = fake.ev[i];
	assert_int_equal(k, 2);
	assert_int_equal(e[0].v, INV_IOTLB | INV_IOTLB_G_PAGE | INV_IOTLB_DR | INV_IOTLB_DW | INV_IOTLB_DID(7));
	assert_int_equal(e[0].v2, 0x200000 | 9);
	assert_int_equal(e[1].v & 0xf, INV_WAIT);
	assert_int_equal(u.inv_descs, 1);
}

/* Page-selective and domain-selective are told apart: an unaligned range or no CAP.PSI falls back. */
static void test_psi_vs_dsi(void **state)
{
	(void)state;
	assert_int_equal(vtd_inv_iotlb_range(&u, 7, 0x1000, 2 * PAGE_SIZE), OK); /* AM 1, not 8K aligned */
	assert_int_equal(last(EV_QI).v & 0xf, INV_WAIT);
	struct fake_event e[FAKE_MAX_EVENTS];
	u32 n = fake_events(EV_QI, 0, e, FAKE_MAX_EVENTS);
	assert_int_equal(e[n - 2].v & (3ULL << 4), INV_IOTLB_G_DOMAIN);
	assert_int_equal(vtd_inv_iotlb_range(&u, 7, 0x2000, 2 * PAGE_SIZE), OK); /* aligned */
	n = fake_events(EV_QI, 0, e, FAKE_MAX_EVENTS);
	assert_int_equal(e[n - 2].v & (3ULL << 4), INV_IOTLB_G_PAGE);
	assert_int_equal(e[n - 2].v2, 0x2000 | 1);
	u.cap &= ~CAP_PSI;
	assert_int_equal(vtd_inv_iotlb_range(&u, 7, 0x2000, 2 * PAGE_SIZE), OK);
	n = fake_events(EV_QI, 0, e, FAKE_MAX_EVENTS);
	assert_int_equal(e[n - 2].v & (3ULL << 4), INV_IOTLB_G_DOMAIN);
}

/* D6: after an IQE the rejected descriptor is replaced, so the queue keeps working. */
static void test_iqe_recovery(void **state)
{
	(void)state;
	fake.unit[0].iqe_type = INV_IEC; /* this "hardware" rejects IEC descriptors */
	assert_int_equal(vtd_inv_iec_global(&u), E_IO);
	assert_int_equal(fake.unit[0].iqe_count, 1);
	assert_false(*reg32(0, FSTS_REG) & FSTS_IQE);
	u32 before = fake.nr_ev;
	assert_int_equal(vtd_inv_iotlb_domain(&u, 4), OK);
	assert_int_equal(fake.unit[0].iqe_count, 1);
	assert_true(fake_find(before, EV_QI, 0, NULL) >= 0);
	assert_int_equal(last(EV_QI).v & 0xf, INV_WAIT);
	assert_int_equal(vtd_inv_iotlb_domain(&u, 4), OK);
}

/* D6: repeated IQEs stop the unit's invalidation loudly; later requests fail at once. */
static void test_repeated_iqe_stops_unit(void **state)
{
	(void)state;
	fake.unit[0].iqe_type = INV_IEC;
	for (int i = 0; i < VTD_IQE_LIMIT; i++)
		assert_int_equal(vtd_inv_iec_global(&u), E_IO);
	assert_true(u.failed);
	assert_true(fake_logged("stopped"));
	u32 before = fake.nr_ev;
	assert_int_equal(vtd_inv_iotlb_domain(&u, 4), E_IO);
	assert_int_equal(fake_find(before, EV_QI, 0, NULL), -1);
}

/* A queue that never completes: bounded wait, E_TIMEDOUT, no hang. */
static void test_qi_timeout(void **state)
{
	(void)state;
	*reg32(0, GSTS_REG) &= ~GSTS_QIES; /* the fake stops processing */
	assert_int_equal(vtd_inv_iotlb_global(&u), E_TIMEDOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reg_psi_iova0_writes_iva, setup_reg),
		cmocka_unit_test_setup(test_reg_psi_2m_encoding, setup_reg),
		cmocka_unit_test_setup(test_reg_domain_and_context, setup_reg),
		cmocka_unit_test_setup(test_qi_psi_encoding, setup_qi),
		cmocka_unit_test_setup(test_psi_vs_dsi, setup_qi),
		cmocka_unit_test_setup(test_iqe_recovery, setup_qi),
		cmocka_unit_test_setup(test_repeated_iqe_stops_unit, setup_qi),
		cmocka_unit_test_setup(test_qi_timeout, setup_qi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
