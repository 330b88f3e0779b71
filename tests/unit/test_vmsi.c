/* Unit tests of the guest MSI address/data -> vCPU route -> remapped IRTE translation (vmm/vmsi_xlate.c, SDM 11.11, VT-d 9.10). */
/* host-srcs: vmm/vmsi_xlate.c vmm/vlapic.c iommu/vtd_irte.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/vmsi.h"
#include "iommu/vtd_irte.h"
#include "lib/string.h"

#define NR 3
#define ADDR(dest) (0xfee00000ull | (u64)(dest) << 12)
#define LOGICAL 0x4u                                   /* address bit 2: DM */
#define RH 0x8u                                        /* address bit 3 */
#define DATA(vec, dlm) ((u32)(vec) | (u32)(dlm) << 8)

static u8 pages[NR][4096] __attribute__((aligned(4096)));
static struct vlapic apic[NR];
static const struct vlapic *apics[NR] = { &apic[0], &apic[1], &apic[2] };
static const u32 ids[NR] = { 0, 1, 2 };               /* a three-vCPU domain: APIC IDs 0-2 */

static int setup(void **state)
{
	(void)state;
	for (u32 i = 0; i < NR; i++) {
		memset(&apic[i], 0, sizeof apic[i]);
		vlapic_init(&apic[i], pages[i], ids[i], 1000000);  /* flat logical IDs 1 << id */
	}
	return 0;
}

static enum vmsi_verdict xlate(u64 addr, u32 data, struct vmsi_route *r)
{
	return vmsi_translate(addr, data, apics, ids, NR, r);
}

static void test_physical_own_vcpu(void **state)
{
	(void)state;
	struct vmsi_route r;
	assert_int_equal(xlate(ADDR(2), DATA(0x41, 0), &r), VMSI_OK);
	assert_int_equal(r.vector, 0x41);
	assert_int_equal(r.targets, 1u << 2);
	assert_int_equal(r.first, 2);
	assert_false(r.logical);
	assert_int_equal(xlate(ADDR(0), DATA(0xff, 0), &r), VMSI_OK);   /* vector 255 is legal */
	assert_int_equal(r.targets, 1u);
}

static void test_foreign_apic_refused(void **state)
{
	(void)state;
	struct vmsi_route r;
	for (u32 dest = NR; dest < 0xff; dest++) {
		assert_int_equal(xlate(ADDR(dest), DATA(0x41, 0), &r), VMSI_FOREIGN);
		assert_int_equal(r.targets, 0);
		assert_int_equal(r.dest, dest);
	}
	/* logical: an MDA no vCPU's LDR matches (flat bits 3-7) */
	assert_int_equal(xlate(ADDR(0xf8) | LOGICAL, DATA(0x41, 0), &r), VMSI_FOREIGN);
	/* a domain of one vCPU: APIC 1 (another domain's physical CPU, maybe) is foreign */
	assert_int_equal(vmsi_translate(ADDR(1), DATA(0x41, 0), apics, ids, 1, &r), VMSI_FOREIGN);
}

static void test_illegal_vectors_refused(void **state)
{
	(void)state;
	struct vmsi_route r;
	for (u32 v = 0; v < 16; v++)
		assert_int_equal(xlate(ADDR(0), DATA(v, 0), &r), VMSI_VECTOR);
	assert_int_equal(xlate(ADDR(0), DATA(16, 0), &r), VMSI_OK);
}

static void test_delivery_modes(void **state)
{
	(void)state;
	struct vmsi_route r;
	static const u32 refused[] = { 2, 3, 4, 5, 6, 7 };  /* SMI, reserved, NMI, INIT, reserved, ExtINT */
	for (u32 i = 0; i < ARRAY_SIZE(refused); i++)
		assert_int_equal(xlate(ADDR(0), DATA(0x41, refused[i]), &r), VMSI_DELIVERY);
	assert_int_equal(xlate(ADDR(0), DATA(0x41, 0) | VMSI_DATA_TM, &r), VMSI_LEVEL);
	/* logical flat MDA 0x6 = vCPUs 1 and 2: fixed reaches both, lowest priority one of them */
	assert_int_equal(xlate(ADDR(0x6) | LOGICAL, DATA(0x41, 0), &r), VMSI_OK);
	assert_int_equal(r.targets, 0x6u);
	assert_int_equal(r.first, 1);
	assert_int_equal(xlate(ADDR(0x6) | LOGICAL, DATA(0x41, 1), &r), VMSI_OK);
	assert_int_equal(r.targets, 0x2u);
	assert_int_equal(xlate(ADDR(0x6) | LOGICAL | RH, DATA(0x41, 0), &r), VMSI_OK);
	assert_int_equal(r.targets, 0x2u);
	/* physical broadcast 0xff: every vCPU of the domain, none outside it */
	assert_int_equal(xlate(ADDR(0xff), DATA(0x41, 0), &r), VMSI_OK);
	assert_int_equal(r.targets, 0x7u);
}

static void test_not_an_interrupt(void **state)
{
	(void)state;
	struct vmsi_route r;
	assert_int_equal(xlate(0xfed00000ull, DATA(0x41, 0), &r), VMSI_NOT_INTERRUPT);
	assert_int_equal(xlate(0x1fee00000ull, DATA(0x41, 0), &r), VMSI_NOT_INTERRUPT);  /* upper address */
	assert_int_equal(xlate(ADDR(0) | 0x10, DATA(0x41, 0), &r), VMSI_RESERVED);      /* remappable format */
	assert_int_equal(xlate(ADDR(0) | 0x800, DATA(0x41, 0), &r), VMSI_RESERVED);
}

/*
 * The IRTE encoding of the values vmm/vpci_msi.c chooses (host vector, fixed
 * delivery, physical destination 5, requester ID 00:03.0 validated with SVT=1,
 * SQ=0). The test supplies those values itself: which SID, vector and CPU
 * vpci_msi picks is tested in test_vpci.c and on Bochs (tests/emu/passthrough.sh).
 */
static void test_route_to_irte(void **state)
{
	(void)state;
	struct vmsi_route r;
	assert_int_equal(xlate(ADDR(1), DATA(0x62, 0), &r), VMSI_OK);
	u32 host_apic_of_vcpu[NR] = { 4, 5, 6 };
	struct vtd_irte_remapped e = { .vector = 0x33, .dest = host_apic_of_vcpu[r.first], .delivery = DLM_FIXED,
				       .sid = 0x0018, .sq = 0, .svt = SVT_SID_SQ };
	struct vtd_irte t = vtd_irte_remapped(&e);
	assert_true(t.lo & IRTE_P);
	assert_false(t.lo & IRTE_IM);                      /* remapped, not posted */
	assert_false(t.lo & IRTE_DM);                      /* physical */
	assert_false(t.lo & IRTE_TM);                      /* edge */
	assert_int_equal((t.lo >> 5) & 7, DLM_FIXED);
	assert_int_equal((t.lo >> 16) & 0xff, 0x33);       /* the host vector, never the guest's */
	assert_int_equal(t.lo >> 32, 5u << 8);             /* xAPIC: DST[15:8] = APIC ID */
	assert_int_equal(t.hi & 0xffff, 0x0018);           /* SID 00:03.0 */
	assert_int_equal((t.hi >> 16) & 3, 0);             /* SQ: all 16 bits compared */
	assert_int_equal((t.hi >> 18) & 3, SVT_SID_SQ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_physical_own_vcpu, setup),
		cmocka_unit_test_setup(test_foreign_apic_refused, setup),
		cmocka_unit_test_setup(test_illegal_vectors_refused, setup),
		cmocka_unit_test_setup(test_delivery_modes, setup),
		cmocka_unit_test_setup(test_not_an_interrupt, setup),
		cmocka_unit_test_setup(test_route_to_irte, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
