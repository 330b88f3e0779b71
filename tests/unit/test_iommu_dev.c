/* Unit tests of the IOMMU layer (iommu/iommu*.c) on hand-made DMAR tables, fake units and a fake PCI bus. */
/* host-srcs: iommu/vtd_inv.c iommu/vtd_unit.c iommu/vtd_fault.c iommu/vtd_slpt.c iommu/iommu.c iommu/iommu_dev.c iommu/iommu_domain.c iommu/vtd_irt.c iommu/vtd_irte.c lib/status.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/common/vtd_fake.h"
#include "tests/common/dmar_build.h"
#include "iommu/iommu_internal.h"

static struct dmar_build b;
static const struct iommu_options opts = { 0 };

static int setup(void **state)
{
	(void)state;
	fake_reset();
	memset(&io, 0, sizeof io);
	return 0;
}

static u64 unit_base(u32 i)
{
	return (u64)(uintptr_t)fake.unit[i].regs;
}

/* The context entry unit i holds for sid, or NULL when its bus has none. */
static const struct vtd_context_entry *ctx_of(u32 i, u16 sid)
{
	const struct vtd_root_entry *root = (void *)(uintptr_t)io.units[i].root_table;
	if (!(root[sid >> 8].lo & ROOT_P))
		return NULL;
	return (const struct vtd_context_entry *)(uintptr_t)(root[sid >> 8].lo & SL_ADDR_MASK) + (sid & 0xff);
}

static bool ctx_present(u32 i, u16 sid, u16 did)
{
	const struct vtd_context_entry *ce = ctx_of(i, sid);
	return ce && (ce->lo & CTX_P) && (u16)(ce->hi >> 8) == did;
}

/* One INCLUDE_PCI_ALL unit; PCI: a PCIe-to-PCI bridge 00:05.0 with two devices behind it, 00:02.0. */
static void one_unit_bridge(void)
{
	fake_unit_new(0, true, 0);
	db_init(&b, 38, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, unit_base(0));
	u32 len = db_finish(&b);
	fake_pci_add(0, 2, 0, false, 0, 0, 0);
	fake_pci_add(0, 5, 0, true, 1, 1, 0);
	fake_pci_add(1, 1, 0, false, 0, 0, PCI_SID(1, 0, 0));
	fake_pci_add(1, 2, 0, false, 0, 0, PCI_SID(1, 0, 0));
	assert_int_equal(iommu_init(b.buf, len, &opts), OK);
}

/*
 * D2: unit 0 lists 00:02.0 but fails to start (its registers read all ones);
 * unit 1 is INCLUDE_PCI_ALL. The device is refused, never attached through unit 1.
 */
static void test_device_under_failed_unit_refused(void **state)
{
	(void)state;
	fake_unit_new(0, true, 0);
	fake_unit_new(1, true, 0);
	*reg32(0, VER_REG) = 0xffffffff;
	*reg64(0, CAP_REG) = ~0ULL;
	db_init(&b, 38, 0);
	db_drhd(&b, 0, 0, 0, unit_base(0));
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, unit_base(1));
	u32 len = db_finish(&b);
	fake_pci_add(0, 2, 0, false, 0, 0, 0);
	fake_pci_add(0, 3, 0, false, 0, 0, 0);
	assert_int_equal(iommu_init(b.buf, len, &opts), OK);
	struct iommu_domain *d = iommu_domain_create("guest");
	assert_non_null(d);
	assert_int_equal(iommu_attach(d, 0, 0, PCI_SID(0, 2, 0)), E_NOTSUP);
	assert_true(fake_logged("remapping unit 0 failed to start; refused"));
	assert_null(ctx_of(1, PCI_SID(0, 2, 0)));
	/* the device the catch-all unit really serves still attaches there */
	assert_int_equal(iommu_attach(d, 0, 0, PCI_SID(0, 3, 0)), OK);
	assert_true(ctx_present(1, PCI_SID(0, 3, 0), d->did));
}

/* D5: devices behind one PCIe-to-PCI bridge share its requester ID: one domain or refused. */
static void test_alias_group_one_domain(void **state)
{
	(void)state;
	one_unit_bridge();
	struct iommu_domain *a = iommu_domain_create("a"), *bd = iommu_domain_create("b");
	assert_int_equal(iommu_attach(a, 0, 1, PCI_SID(0, 1, 0)), OK);
	assert_true(ctx_present(0, PCI_SID(1, 0, 0), a->did));
	assert_int_equal(iommu_attach(bd, 0, 1, PCI_SID(0, 2, 0)), E_BUSY);
	assert_true(fake_logged("must all be in one domain"));
	assert_true(ctx_present(0, PCI_SID(1, 0, 0), a->did)); /* the alias still points at a */
	assert_int_equal(iommu_attach(a, 0, 1, PCI_SID(0, 2, 0)), OK);
}

/* D5: detaching one member keeps the alias entry for the others; the last one clears it. */
static void test_alias_detach_keeps_others(void **state)
{
	(void)state;
	one_unit_bridge();
	struct iommu_domain *a = iommu_domain_create("a");
	assert_int_equal(iommu_attach(a, 0, 1, PCI_SID(0, 1, 0)), OK);
	assert_int_equal(iommu_attach(a, 0, 1, PCI_SID(0, 2, 0)), OK);
	assert_int_equal(iommu_detach(a, 0, 1, PCI_SID(0, 1, 0)), OK);
	assert_true(ctx_present(0, PCI_SID(1, 0, 0), a->did));
	assert_true(ctx_present(0, PCI_SID(1, 2, 0), a->did));
	assert_false(ctx_present(0, PCI_SID(1, 1, 0), a->did));
	assert_int_equal(iommu_detach(a, 0, 1, PCI_SID(0, 2, 0)), OK);
	assert_false(ctx_present(0, PCI_SID(1, 0, 0), a->did));
	/* with the group empty, another domain may take it */
	struct iommu_domain *bd = iommu_domain_create("b");
	assert_int_equal(iommu_attach(bd, 0, 1, PCI_SID(0, 2, 0)), OK);
}

/* D5: a fault carrying the shared requester ID is credited to the group and its domain. */
static void test_alias_fault_credited_to_group(void **state)
{
	(void)state;
	one_unit_bridge();
	struct iommu_domain *a = iommu_domain_create("a");
	assert_int_equal(iommu_attach(a, 0, 1, PCI_SID(0, 1, 0)), OK);
	assert_int_equal(iommu_attach(a, 0, 1, PCI_SID(0, 2, 0)), OK);
	fake_fault(0, 0, PCI_SID(1, 0, 0), 0x30000, true, 5);
	assert_int_equal(iommu_poll_faults(), 1);
	assert_int_equal(iommu_device_faults(0, PCI_SID(1, 1, 0)), 1);
	assert_int_equal(iommu_device_faults(0, PCI_SID(1, 2, 0)), 1);
	struct iommu_domain_stats s;
	iommu_domain_get_stats(a, &s);
	assert_int_equal(s.faults, 1);
	assert_true(fake_logged("(domain a)"));
}

/* D4: if the teardown invalidation fails, no table page goes back to the allocator; the DID is kept. */
static void test_destroy_after_failed_invalidation_leaks(void **state)
{
	(void)state;
	one_unit_bridge();
	struct iommu_domain *d = iommu_domain_create("d");
	assert_int_equal(iommu_map(d, 0, 0x40000000, 2 * MiB + PAGE_SIZE, IOMMU_READ), OK);
	u16 did = d->did;
	u64 free_before = pmm_global.free_pages;
	*reg32(0, GSTS_REG) &= ~GSTS_QIES; /* the queue stops: invalidations time out */
	assert_int_not_equal(iommu_domain_destroy(d), OK);
	assert_int_equal(pmm_global.free_pages, free_before);
	*reg32(0, GSTS_REG) |= GSTS_QIES;
	*reg64(0, IQH_REG) = *reg64(0, IQT_REG); /* let the fake skip what it never ran */
	struct iommu_domain *e = iommu_domain_create("e");
	assert_non_null(e);
	assert_int_not_equal(e->did, did);
}

static bool is_wbf(const struct fake_event *e) { return (e->v & GCMD_WBF) != 0; }
static bool is_iotlb_qi(const struct fake_event *e) { return (e->v & 0xf) == INV_IOTLB; }

/* D8: with CAP.RWBF a write-buffer flush follows every map and every context change. */
static void test_rwbf_after_updates(void **state)
{
	(void)state;
	fake_unit_new(0, true, CAP_RWBF);
	db_init(&b, 38, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, unit_base(0));
	u32 len = db_finish(&b);
	fake_pci_add(0, 2, 0, false, 0, 0, 0);
	assert_int_equal(iommu_init(b.buf, len, &opts), OK);
	struct iommu_domain *d = iommu_domain_create("d");
	u32 start = fake.nr_ev;
	assert_int_equal(iommu_map(d, 0x10000, 0x40000000, PAGE_SIZE, IOMMU_READ), OK);
	assert_true(fake_find(start, EV_GCMD, 0, is_wbf) >= 0);
	start = fake.nr_ev;
	assert_int_equal(iommu_attach(d, 0, 0, PCI_SID(0, 2, 0)), OK);
	int wbf = fake_find(start, EV_GCMD, 0, is_wbf), inv = fake_find(start, EV_QI, 0, NULL);
	assert_true(wbf >= 0 && inv >= 0 && wbf < inv); /* flushed before the context invalidation */
}

/* D9: mapping over a present range invalidates it even without caching mode. */
static void test_map_over_present_invalidates(void **state)
{
	(void)state;
	one_unit_bridge();
	struct iommu_domain *d = iommu_domain_create("d");
	u32 start = fake.nr_ev;
	assert_int_equal(iommu_map(d, 0x10000, 0x40000000, PAGE_SIZE, IOMMU_READ), OK);
	assert_int_equal(fake_find(start, EV_QI, 0, is_iotlb_qi), -1); /* fresh: nothing cached */
	start = fake.nr_ev;
	assert_int_equal(iommu_map(d, 0x10000, 0x40001000, PAGE_SIZE, IOMMU_READ), OK);
	int k = fake_find(start, EV_QI, 0, is_iotlb_qi);
	assert_true(k >= 0);
	assert_int_equal(fake.ev[k].v2, 0x10000); /* page-selective, at the remapped page */
}

/* The report reads bus mastering back from the device, not from the bookkeeping. */
static void test_report_reads_bme(void **state)
{
	(void)state;
	one_unit_bridge();
	assert_int_equal(iommu_enable(), OK);
	iommu_report();
	assert_true(fake_logged("0000:00:02.0: unit 0, domain none, bus mastering off (PCI command 0x0000)"));
	fake.pci_cmd[0] = PCI_COMMAND_MASTER; /* a driver turned it back on */
	iommu_report();
	assert_true(fake_logged("0000:00:02.0: unit 0, domain none, BUS MASTERING ON (PCI command 0x0004)"));
}

/* A unit left translating with queued invalidation on and a rejected type-0 descriptor at IQH. */
static void *preenabled_unit(u32 i)
{
	fake_unit_new(i, true, 0);
	void *queue = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	memset(queue, 0, PAGE_SIZE);
	fake.unit[i].iqe_type = 0;
	*reg64(i, IQA_REG) = (u64)(uintptr_t)queue;
	*reg32(i, GSTS_REG) = GSTS_TES | GSTS_QIES | GSTS_RTPS;
	*reg64(i, IQT_REG) = 1 << 4;
	fake_qi_run(i);
	assert_int_equal(*reg32(i, FSTS_REG) & FSTS_IQE, FSTS_IQE);
	fake.unit[i].iqe_type = -1;
	fake.unit[i].iqe_count = 0;
	return queue;
}

static bool is_te_off(const struct fake_event *e) { return !(e->v2 & GSTS_TES); }
static bool is_fsts_iqe_clear(const struct fake_event *e) { return e->off == FSTS_REG && (e->v & FSTS_IQE); }

/* D3: stale IQE cleared first, every non-bridge function stops mastering before TE goes off. */
static void test_takeover_order(void **state)
{
	(void)state;
	void *queue = preenabled_unit(0);
	fake.unit[0].iqe_type = 0; /* and would reject it again if it were fetched again */
	db_init(&b, 38, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, unit_base(0));
	u32 len = db_finish(&b);
	fake_pci_add(0, 2, 0, false, 0, 0, 0);
	fake_pci_add(0, 5, 0, true, 1, 1, 0);
	fake_pci_add(1, 1, 0, false, 0, 0, PCI_SID(1, 0, 0));
	assert_int_equal(iommu_init(b.buf, len, &opts), OK);
	assert_true(unit_usable(&io.units[0]));
	int te_off = fake_find(0, EV_GCMD, 0, is_te_off);
	int iqe_clear = fake_find(0, EV_WRITE, 0, is_fsts_iqe_clear);
	assert_true(te_off >= 0 && iqe_clear >= 0 && iqe_clear < te_off);
	/* both endpoints were turned off before; the bridge was not touched */
	int last_pci = -1;
	for (u32 k = 0; k < fake.nr_ev; k++)
		if (fake.ev[k].kind == EV_PCI_CMD) {
			assert_int_equal(fake.ev[k].v & PCI_COMMAND_MASTER, 0);
			assert_int_not_equal(fake.ev[k].unit, 1);
			last_pci = (int)k;
		}
	assert_true(last_pci >= 0 && last_pci < te_off);
	assert_int_equal(fake.pci_cmd[0] & PCI_COMMAND_MASTER, 0);
	assert_int_equal(fake.pci_cmd[2] & PCI_COMMAND_MASTER, 0);
	assert_int_equal(fake.unit[0].iqe_count, 0); /* the rejected descriptor was replaced */
	assert_false(*reg32(0, GSTS_REG) & GSTS_TES);
	free(queue);
}

/* D3/D11: a queue that keeps failing: take-over fails with an invalidation error (not a
 * time-out), the drain's status page goes back to the allocator, devices stay off. */
static void test_takeover_failure_leaves_no_master(void **state)
{
	(void)state;
	void *queue = preenabled_unit(0);
	fake.unit[0].iqe_type = INV_WAIT; /* the drain's own wait is rejected too */
	db_init(&b, 38, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, unit_base(0));
	u32 len = db_finish(&b);
	fake_pci_add(0, 2, 0, false, 0, 0, 0);
	assert_int_not_equal(iommu_init(b.buf, len, &opts), OK);
	assert_false(unit_usable(&io.units[0]));
	assert_true(fake_logged("unit 0: invalidation error while draining (FSTS 0x"));
	assert_true(fake_logged("unit 0: could not take ownership (I/O error)"));
	assert_false(fake_logged("timed out"));
	assert_int_equal(fake.pci_cmd[0] & PCI_COMMAND_MASTER, 0);
	/* The page count around one take-over on its own (iommu_init keeps pages of its own: the
	 * parsed table, the DID map). The unit as probed, before its failure cleared it: the queue
	 * still rejects every wait, so the drain fails again the same way. */
	io.units[0].reg = unit_base(0);
	u64 free_before = pmm_global.free_pages;
	assert_int_equal(vtd_unit_take_ownership(&io.units[0]), E_IO);
	assert_int_equal(pmm_global.free_pages, free_before);
	io.units[0].reg = 0;
	free(queue);
}

/* D10: a fault storm costs the interrupt a bounded number of records and no log line. */
static void test_fault_irq_bounded_no_logging(void **state)
{
	(void)state;
	one_unit_bridge();
	for (u32 r = 0; r < FAKE_NFR; r++)
		fake_fault(0, r, PCI_SID(0, 2, 0), 0x30000 + r * PAGE_SIZE, true, 5);
	fake.unit[0].storm = 100000;
	u32 lines = fake.nr_log;
	u64 before = iommu_fault_total();
	fake_irq_handler(0x40, fake_irq_ctx);
	assert_int_equal(iommu_fault_total() - before, VTD_FAULT_IRQ_PASSES * FAKE_NFR);
	assert_int_equal(fake.nr_log, lines); /* nothing logged in interrupt context */
	fake.unit[0].storm = 0;
	iommu_fault_log_flush();
	assert_true(fake_logged("fault: 0000:00:02.0 (domain none, blocked) write 0x30000: reason 0x5"));
}

/* Reasons 0x27/0x28 (posted-interrupt descriptor access error / reserved bit in it) are
 * interrupt-remapping faults: the record's FI 63:48 is the interrupt index, and they have names. */
static void test_posted_descriptor_fault_decoded(void **state)
{
	(void)state;
	one_unit_bridge();
	fake_fault(0, 0, PCI_SID(0, 2, 0), (u64)11 << 48, true, 0x27);
	fake_fault(0, 1, PCI_SID(0, 2, 0), (u64)12 << 48, true, 0x28);
	assert_int_equal(iommu_poll_faults(), 2);
	iommu_fault_log_flush();
	assert_true(fake_logged("interrupt index 0xb: reason 0x27, error accessing a posted-interrupt descriptor"));
	assert_true(fake_logged("interrupt index 0xc: reason 0x28, reserved field set in a posted-interrupt descriptor"));
}

/* Reason 0x25: a compatibility-format request has no interrupt index (VT-d 5.1.2.1: only the
 * remappable format carries a handle), so the line names none, whatever FI holds. */
static void test_compat_blocked_fault_has_no_index(void **state)
{
	(void)state;
	one_unit_bridge();
	fake_fault(0, 0, PCI_SID(0, 3, 0), (u64)7 << 48, true, 0x25);
	assert_int_equal(iommu_poll_faults(), 1);
	iommu_fault_log_flush();
	assert_true(fake_logged("fault: 0000:00:03.0 (domain none, blocked) compatibility-format interrupt "
				"(no index): reason 0x25, compatibility-format interrupt blocked"));
	assert_false(fake_logged("interrupt index 0x7"));
}

/* D10: the fault event message can be aimed at another CPU, x2APIC IDs only with ECAP.EIM. */
static void test_fault_target(void **state)
{
	(void)state;
	one_unit_bridge();
	assert_int_equal(iommu_set_fault_cpu(3), OK);
	assert_int_equal(*reg32(0, FEADDR_REG), 0xfee03000u);
	assert_int_equal(*reg32(0, FECTL_REG), 0); /* unmasked again */
	assert_int_equal(iommu_set_fault_cpu(0x1234), E_RANGE);
	io.units[0].ecap |= ECAP_EIM;
	assert_int_equal(iommu_set_fault_cpu(0x1234), OK);
	assert_int_equal(*reg32(0, FEADDR_REG), 0xfee34000u);
	assert_int_equal(*reg32(0, FEUADDR_REG), 0x1200u);
}

static u32 lines_with(const char *text)
{
	u32 n = 0;
	for (u32 k = 0; k < fake.nr_log; k++)
		n += strstr(fake.log[k], text) != NULL;
	return n;
}

/* Firmware half-disabled VT-d: a zero-base INCLUDE_PCI_ALL unit beside a valid unit. */
static void test_zero_base_catch_all_beside_valid_unit(void **state)
{
	(void)state;
	fake_unit_new(0, true, 0);
	db_init(&b, 38, 0);
	db_drhd(&b, 0, 0, 0, unit_base(0));
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0);
	u32 len = db_finish(&b);
	fake_pci_add(0, 2, 0, false, 0, 0, 0);
	fake_pci_add(0, 3, 0, false, 0, 0, 0);
	fake_pci_add(0, 4, 0, false, 0, 0, 0);
	assert_int_equal(iommu_init(b.buf, len, &opts), OK);
	assert_int_equal(lines_with("segment 0: the INCLUDE_PCI_ALL unit at register base 0x0 is unusable "
				    "(firmware half-disabled VT-d): 2 devices of segment 0 have no remapping unit"), 1);
	struct iommu_domain *d = iommu_domain_create("d");
	assert_int_equal(iommu_attach(d, 0, 0, PCI_SID(0, 3, 0)), E_NOTSUP);
	assert_true(fake_logged("0000:00:03.0: its segment's INCLUDE_PCI_ALL unit has register base 0x0 "
				"(unusable)"));
	assert_int_equal(iommu_attach(d, 0, 0, PCI_SID(0, 2, 0)), OK);
	assert_int_equal(iommu_enable(), OK);
	assert_int_equal(fake.pci_cmd[1] & PCI_COMMAND_MASTER, 0);
	iommu_report();
	assert_true(fake_logged("0000:00:03.0: unit none (no DMA remapping: its DMA is untranslated), "
				"domain none, bus mastering off"));
}

/* A device listed under a DRHD at base 0 never falls through to the valid INCLUDE_PCI_ALL unit. */
static void test_device_under_zero_base_unit_refused(void **state)
{
	(void)state;
	fake_unit_new(0, true, 0);
	db_init(&b, 38, 0);
	db_drhd(&b, 0, 0, 0, 0);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, unit_base(0));
	u32 len = db_finish(&b);
	fake_pci_add(0, 2, 0, false, 0, 0, 0);
	fake_pci_add(0, 3, 0, false, 0, 0, 0);
	assert_int_equal(iommu_init(b.buf, len, &opts), OK);
	struct iommu_domain *d = iommu_domain_create("d");
	assert_int_equal(iommu_attach(d, 0, 0, PCI_SID(0, 2, 0)), E_NOTSUP);
	assert_null(ctx_of(0, PCI_SID(0, 2, 0)));
	assert_int_equal(lines_with("segment 0: a unit at register base 0x0 is unusable"), 1);
	assert_int_equal(iommu_attach(d, 0, 0, PCI_SID(0, 3, 0)), OK);
}

/* The usual "VT-d off" placeholder: one DRHD with base 0. VT-d stays off, said once. */
static void test_vtd_off_placeholder(void **state)
{
	(void)state;
	db_init(&b, 38, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0);
	u32 len = db_finish(&b);
	fake_pci_add(0, 2, 0, false, 0, 0, 0);
	assert_int_equal(iommu_init(b.buf, len, &opts), E_NOTSUP);
	assert_int_equal(lines_with("the firmware turned VT-d off"), 1);
	assert_int_equal(fake.pci_cmd[0] & PCI_COMMAND_MASTER, PCI_COMMAND_MASTER); /* left alone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_device_under_failed_unit_refused, setup),
		cmocka_unit_test_setup(test_alias_group_one_domain, setup),
		cmocka_unit_test_setup(test_alias_detach_keeps_others, setup),
		cmocka_unit_test_setup(test_alias_fault_credited_to_group, setup),
		cmocka_unit_test_setup(test_destroy_after_failed_invalidation_leaks, setup),
		cmocka_unit_test_setup(test_rwbf_after_updates, setup),
		cmocka_unit_test_setup(test_map_over_present_invalidates, setup),
		cmocka_unit_test_setup(test_report_reads_bme, setup),
		cmocka_unit_test_setup(test_takeover_order, setup),
		cmocka_unit_test_setup(test_fault_irq_bounded_no_logging, setup),
		cmocka_unit_test_setup(test_fault_target, setup),
		cmocka_unit_test_setup(test_posted_descriptor_fault_decoded, setup),
		cmocka_unit_test_setup(test_compat_blocked_fault_has_no_index, setup),
		cmocka_unit_test_setup(test_zero_base_catch_all_beside_valid_unit, setup),
		cmocka_unit_test_setup(test_device_under_zero_base_unit_refused, setup),
		cmocka_unit_test_setup(test_vtd_off_placeholder, setup),
		cmocka_unit_test_setup(test_takeover_failure_leaves_no_master, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
