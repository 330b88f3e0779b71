/* selftest=dma: proves VT-d DMA isolation with QEMU edu devices; prints PASS/FAIL lines. */
#include "selftest/selftest.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "drivers/edu.h"
#include "drivers/pci.h"
#include "iommu/iommu.h"
#include "iommu/iommu_test.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

#define MAX_EDU 4
#define IOVA_SRC 0x10000      /* all IOVAs stay below 2^28: edu's default DMA mask */
#define IOVA_DST 0x20000
#define IOVA_HOLE 0x30000     /* never mapped */
#define IOVA_RO 0x50000
#define IOVA_REMAP 0x60000
#define FILL 0x5a

struct dma_test {
	struct edu edu[MAX_EDU];
	u16 alias[MAX_EDU];
	u32 nr_edu;
	struct iommu_domain *dom[MAX_EDU];
	int blocked;              /* an edu no domain owns, or -1 */
	u8 *src, *dst;            /* dst is the middle of three pages: dst-4K and dst+4K are guards */
	u8 *ro, *x1, *x2, *other;
	u8 *probe;                /* below 256 MiB: where a leaked DMA of the blocked edu would land */
	u32 flood;                /* faulting DMAs in the flood test */
	u32 passed, failed;
};

#define BLOCKED_SEED 0x3c         /* pattern in the blocked edu's buffer */
#define PROBE_FILL 0xa5

static void result(struct dma_test *t, const char *name, bool ok, const char *why)
{
	if (ok) {
		t->passed++;
		LOG("selftest", "PASS vtd/%s", name);
	} else {
		t->failed++;
		LOG("selftest", "FAIL vtd/%s: %s", name, why);
	}
}

static u8 *page(u64 n)
{
	return (u8 *)(uintptr_t)pmm_alloc_pages(n, 1ULL << 32);
}

static u64 pa(const void *p)
{
	return (u64)(uintptr_t)p;
}

static bool all_bytes(const u8 *p, u64 len, u8 v)
{
	for (u64 i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static bool matches_pattern(const u8 *p, u8 seed)
{
	for (u32 i = 0; i < PAGE_SIZE; i++)
		if (p[i] != (u8)(i * 7 + seed))
			return false;
	return true;
}

static void fill_pattern(u8 *p, u8 seed)
{
	for (u32 i = 0; i < PAGE_SIZE; i++)
		p[i] = (u8)(i * 7 + seed);
}

/* Waits for the fault interrupt (or polls) until the fault count passes want. */
static bool wait_faults(u64 want)
{
	for (int i = 0; i < 2000 && iommu_fault_total() < want; i++) {
		iommu_poll_faults();
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	return iommu_fault_total() >= want;
}

static bool fault_is(u16 sid, u64 addr, bool write, u8 reason, char *why, size_t n)
{
	struct iommu_fault f;
	if (!iommu_last_fault(&f)) {
		snprintf(why, n, "no fault recorded");
		return false;
	}
	if (f.sid != sid || f.addr != addr || f.write != write || f.reason != reason) {
		snprintf(why, n, "fault sid %04x addr 0x%lx %s reason 0x%x, expected sid %04x addr "
			 "0x%lx %s reason 0x%x", f.sid, f.addr, f.write ? "write" : "read", f.reason,
			 sid, addr, write ? "write" : "read", reason);
		return false;
	}
	return true;
}

static u16 sid_of(const struct edu *e)
{
	return PCI_SID(e->bus, e->dev, e->fn);
}

/* A DMA write into a mapped IOVA lands in the mapped page; the read returns the page's bytes. */
static void test_map(struct dma_test *t)
{
	char why[160] = "";
	fill_pattern(t->src, 3);
	memset(t->dst - PAGE_SIZE, FILL, 3 * PAGE_SIZE);
	u64 faults = iommu_fault_total();
	bool ok = !edu_dma_from_ram(&t->edu[0], IOVA_SRC, 0, PAGE_SIZE) &&
		  !edu_dma_to_ram(&t->edu[0], 0, IOVA_DST, PAGE_SIZE);
	if (!ok)
		snprintf(why, sizeof why, "DMA did not complete");
	else if (!matches_pattern(t->dst, 3))
		ok = false, snprintf(why, sizeof why, "destination page does not hold the source bytes");
	else if (!all_bytes(t->dst - PAGE_SIZE, PAGE_SIZE, FILL) ||
		 !all_bytes(t->dst + PAGE_SIZE, PAGE_SIZE, FILL))
		ok = false, snprintf(why, sizeof why, "a neighbouring page changed");
	else if (iommu_poll_faults(), iommu_fault_total() != faults)
		ok = false, snprintf(why, sizeof why, "unexpected fault");
	result(t, "map-write-read", ok, why);
}

/*
 * A device-to-RAM DMA of one page the IOMMU is expected to block: the device still completes
 * its command (the unit aborts the write, not the command), so a command that does not
 * complete is a failure of its own, said in why.
 */
static bool dma_out(struct edu *e, u64 iova, char *why, size_t n)
{
	status_t st = edu_dma_to_ram(e, 0, iova, PAGE_SIZE);
	if (st)
		snprintf(why, n, "the device's DMA command did not complete (%s)", status_str(st));
	return st == OK;
}

/* DMA to an unmapped IOVA faults with the right record and changes no memory. */
static void test_unmapped(struct dma_test *t)
{
	char why[160] = "";
	memset(t->dst - PAGE_SIZE, FILL, 3 * PAGE_SIZE);
	u64 before = iommu_fault_total(), dev_before = iommu_device_faults(0, sid_of(&t->edu[0]));
	bool ok = dma_out(&t->edu[0], IOVA_HOLE, why, sizeof why);
	if (ok && !(ok = wait_faults(before + 1)))
		snprintf(why, sizeof why, "no fault reported");
	else if (ok) /* a command that did not complete stays a failure, with dma_out's reason */
		ok = fault_is(t->alias[0], IOVA_HOLE, true, 0x5, why, sizeof why);
	if (ok && !all_bytes(t->dst - PAGE_SIZE, 3 * PAGE_SIZE, FILL))
		ok = false, snprintf(why, sizeof why, "memory changed");
	if (ok && iommu_device_faults(0, sid_of(&t->edu[0])) != dev_before + 1)
		ok = false, snprintf(why, sizeof why, "device fault counter did not count it");
	result(t, "unmapped-faults", ok, why);
}

/* A read-only mapping blocks a DMA write (fault) while reads work. */
static void test_readonly(struct dma_test *t)
{
	char why[160] = "";
	fill_pattern(t->ro, 9);
	u64 before = iommu_fault_total();
	bool ok = dma_out(&t->edu[0], IOVA_RO, why, sizeof why) && wait_faults(before + 1) &&
		  fault_is(t->alias[0], IOVA_RO, true, 0x5, why, sizeof why);
	if (ok && !matches_pattern(t->ro, 9))
		ok = false, snprintf(why, sizeof why, "read-only page was written");
	memset(t->dst, 0, PAGE_SIZE);
	if (ok && (edu_dma_from_ram(&t->edu[0], IOVA_RO, 0, PAGE_SIZE) ||
		   edu_dma_to_ram(&t->edu[0], 0, IOVA_DST, PAGE_SIZE) || !matches_pattern(t->dst, 9)))
		ok = false, snprintf(why, sizeof why, "read through the read-only mapping failed");
	if (ok && iommu_fault_total() != before + 1)
		ok = false, snprintf(why, sizeof why, "the read faulted");
	if (!why[0] && !ok)
		snprintf(why, sizeof why, "no fault for the write");
	result(t, "readonly", ok, why);
}

/* Two domains map the same IOVA to different pages; each device reaches only its own. */
static void test_two_domains(struct dma_test *t)
{
	char why[160] = "";
	if (t->nr_edu < 2) {
		LOG("selftest", "SKIP vtd/two-domains: needs two edu devices");
		return;
	}
	fill_pattern(t->src, 1);
	fill_pattern(t->other, 2); /* domain B's IOVA_SRC page */
	memset(t->dst, 0, PAGE_SIZE);
	u8 *dst_b = t->other + PAGE_SIZE;
	memset(dst_b, 0, PAGE_SIZE);
	bool ok = !edu_dma_from_ram(&t->edu[0], IOVA_SRC, 0, PAGE_SIZE) &&
		  !edu_dma_from_ram(&t->edu[1], IOVA_SRC, 0, PAGE_SIZE) &&
		  !edu_dma_to_ram(&t->edu[0], 0, IOVA_DST, PAGE_SIZE) &&
		  !edu_dma_to_ram(&t->edu[1], 0, IOVA_DST, PAGE_SIZE);
	if (!ok)
		snprintf(why, sizeof why, "DMA did not complete");
	else if (!matches_pattern(t->dst, 1) || !matches_pattern(dst_b, 2))
		ok = false, snprintf(why, sizeof why, "a device reached the other domain's page");
	u64 before = iommu_fault_total();
	if (ok) { /* IOVA_RO exists only in domain A */
		ok = dma_out(&t->edu[1], IOVA_RO, why, sizeof why) && wait_faults(before + 1) &&
		     fault_is(t->alias[1], IOVA_RO, true, 0x5, why, sizeof why);
		if (!why[0] && !ok)
			snprintf(why, sizeof why, "no fault for B's device at A's IOVA");
	}
	result(t, "two-domains", ok, why);
}

/* A remap without invalidation still hits the old page (cached); after invalidation the new one. */
static void test_remap(struct dma_test *t)
{
	char why[160] = "";
	struct iommu_domain *a = t->dom[0];
	fill_pattern(t->src, 5);
	memset(t->x1, 0, PAGE_SIZE);
	memset(t->x2, 0, PAGE_SIZE);
	bool ok = !edu_dma_from_ram(&t->edu[0], IOVA_SRC, 0, PAGE_SIZE) &&
		  !edu_dma_to_ram(&t->edu[0], 0, IOVA_REMAP, PAGE_SIZE) && matches_pattern(t->x1, 5);
	if (!ok) {
		result(t, "remap-invalidate", false, "first DMA did not reach the first page");
		return;
	}
	memset(t->x1, 0, PAGE_SIZE);
	bool stale = iommu_remap_no_invalidate(a, IOVA_REMAP, pa(t->x2), PAGE_SIZE,
					       IOMMU_READ | IOMMU_WRITE) == OK;
	bool done = edu_dma_to_ram(&t->edu[0], 0, IOVA_REMAP, PAGE_SIZE) == OK;
	stale = stale && done && matches_pattern(t->x1, 5) && all_bytes(t->x2, PAGE_SIZE, 0);
	memset(t->x1, 0, PAGE_SIZE);
	/* the flush of one page must be page-selective (CAP.PSI): counted by kind per unit */
	u64 psi0, dsi0, psi1, dsi1;
	iommu_inv_kinds(&psi0, &dsi0);
	bool fresh = iommu_flush_range(a, IOVA_REMAP, PAGE_SIZE) == OK;
	iommu_inv_kinds(&psi1, &dsi1);
	bool psi = psi1 - psi0 == iommu_units() && dsi1 == dsi0;
	done = edu_dma_to_ram(&t->edu[0], 0, IOVA_REMAP, PAGE_SIZE) == OK;
	fresh = fresh && done && matches_pattern(t->x2, 5) && all_bytes(t->x1, PAGE_SIZE, 0);
	/* and the normal path: unmap (invalidates) then map the first page again */
	memset(t->x2, 0, PAGE_SIZE);
	bool normal = !iommu_unmap(a, IOVA_REMAP, PAGE_SIZE) &&
		      !iommu_map(a, IOVA_REMAP, pa(t->x1), PAGE_SIZE, IOMMU_READ | IOMMU_WRITE) &&
		      !edu_dma_to_ram(&t->edu[0], 0, IOVA_REMAP, PAGE_SIZE) &&
		      matches_pattern(t->x1, 5) && all_bytes(t->x2, PAGE_SIZE, 0);
	snprintf(why, sizeof why, "stale hit before invalidation %s, new page after %s (%lu page-"
		 "selective, %lu domain-selective), unmap+map %s", stale ? "yes" : "NO",
		 fresh ? "yes" : "NO", psi1 - psi0, dsi1 - dsi0, normal ? "yes" : "NO");
	result(t, "remap-invalidate", stale && fresh && psi && normal, why);
	LOG("selftest", "remap: %s", why);
}

/* A device behind a PCIe-to-PCI bridge is translated and faults carry the bridge's source-id. */
static void test_bridge(struct dma_test *t)
{
	u32 k = MAX_EDU;
	for (u32 i = 0; i < t->nr_edu; i++)
		if (t->alias[i] != sid_of(&t->edu[i]))
			k = i;
	if (k == MAX_EDU) {
		LOG("selftest", "SKIP vtd/bridge: no edu behind a PCIe-to-PCI bridge");
		return;
	}
	char why[160] = "";
	fill_pattern(t->src, 11);
	memset(t->dst, 0, PAGE_SIZE);
	/* the bridged device shares domain A's view for this test */
	bool ok = !edu_dma_from_ram(&t->edu[k], IOVA_SRC, 0, PAGE_SIZE) &&
		  !edu_dma_to_ram(&t->edu[k], 0, IOVA_DST, PAGE_SIZE) && matches_pattern(t->dst, 11);
	if (!ok)
		snprintf(why, sizeof why, "translated DMA through the bridge failed");
	u64 before = iommu_fault_total();
	if (ok) {
		ok = dma_out(&t->edu[k], IOVA_HOLE, why, sizeof why) && wait_faults(before + 1) &&
		     fault_is(t->alias[k], IOVA_HOLE, true, 0x5, why, sizeof why);
		if (!ok && !why[0])
			snprintf(why, sizeof why, "no fault");
	}
	result(t, "bridge", ok, why);
}

/* D6: a descriptor the unit rejects (IQE) is replaced; the queue then keeps working. */
static void test_iqe(struct dma_test *t)
{
	char why[160] = "";
	struct iommu_domain *a = t->dom[0];
	status_t st = iommu_test_bad_descriptor();
	if (st == E_NOTSUP) {
		LOG("selftest", "SKIP vtd/iqe-recovery: no unit uses queued invalidation");
		return;
	}
	fill_pattern(t->src, 17);
	memset(t->x1, 0, PAGE_SIZE);
	memset(t->x2, 0, PAGE_SIZE);
	/* move IOVA_REMAP to x2 the normal way: unmap (invalidates through the queue), map */
	bool ok = st == OK && iommu_unmap(a, IOVA_REMAP, PAGE_SIZE) == OK &&
		  iommu_map(a, IOVA_REMAP, pa(t->x2), PAGE_SIZE, IOMMU_READ | IOMMU_WRITE) == OK &&
		  !edu_dma_from_ram(&t->edu[0], IOVA_SRC, 0, PAGE_SIZE) &&
		  !edu_dma_to_ram(&t->edu[0], 0, IOVA_REMAP, PAGE_SIZE) && matches_pattern(t->x2, 17) &&
		  all_bytes(t->x1, PAGE_SIZE, 0);
	snprintf(why, sizeof why, "bad descriptor %s, queue afterwards %s",
		 st == OK ? "rejected and replaced" : "NOT rejected", ok ? "works" : "FAILED");
	/* back to x1 for the tests after this one */
	if (iommu_unmap(a, IOVA_REMAP, PAGE_SIZE) != OK ||
	    iommu_map(a, IOVA_REMAP, pa(t->x1), PAGE_SIZE, IOMMU_READ | IOMMU_WRITE) != OK)
		ok = false;
	result(t, "iqe-recovery", ok, why);
}

/*
 * A device no domain owns: translation start-up turned its bus mastering off,
 * and when a (misbehaving) driver turns it back on, its DMA faults for want of
 * a context entry (reason 2) and changes nothing. Its buffer holds a pattern
 * (loaded in setup while translation was still off), so a leaked DMA would
 * be seen in the probe page, which it targets by physical address.
 */
static void test_blocked(struct dma_test *t)
{
	char why[160] = "";
	if (t->blocked < 0) {
		LOG("selftest", "SKIP vtd/blocked: needs a fourth edu device");
		return;
	}
	struct edu *e = &t->edu[t->blocked];
	u16 cmd = pci_read16(e->seg, e->bus, e->dev, e->fn, PCI_COMMAND);
	bool ok = !(cmd & PCI_COMMAND_MASTER);
	if (!ok)
		snprintf(why, sizeof why, "bus mastering still on after translation was enabled");
	memset(t->probe, PROBE_FILL, PAGE_SIZE);
	pci_write16(e->seg, e->bus, e->dev, e->fn, PCI_COMMAND, cmd | PCI_COMMAND_MASTER);
	u64 faults = iommu_fault_total();
	status_t st = edu_dma_to_ram(e, 0, pa(t->probe), PAGE_SIZE);
	if (ok && st)
		ok = false, snprintf(why, sizeof why, "the device's DMA command did not complete (%s)",
				     status_str(st));
	if (ok && !wait_faults(faults + 1))
		ok = false, snprintf(why, sizeof why, "no fault");
	if (ok && !fault_is(sid_of(e), pa(t->probe), true, 0x2, why, sizeof why))
		ok = false;
	if (ok && !all_bytes(t->probe, PAGE_SIZE, PROBE_FILL))
		ok = false, snprintf(why, sizeof why, "memory at the untranslated address changed%s",
				     matches_pattern(t->probe, BLOCKED_SEED) ? " to the device's pattern" : "");
	pci_write16(e->seg, e->bus, e->dev, e->fn, PCI_COMMAND, cmd);
	result(t, "blocked", ok, why);
}

/* Faults arriving while the record is full set PFO; a flood is counted and survived. */
#define OVERFLOW_MAX_RECORDS 64   /* more records than this take too many DMAs to fill */
static void test_overflow(struct dma_test *t)
{
	char why[160] = "";
	/* 1: overflow (VT-d spec 7.2.1 / 7.3.1 primary fault logging). Fault handling held, so the
	 * first NFR + 1 faults (CAP.NFR, 11.4.2: the unit's number of fault-recording registers)
	 * fill every record and the next one finds none free: PFO. The two edus take turns (QEMU
	 * folds a repeat from a source whose fault is still pending). */
	if (t->nr_edu < 2) {
		LOG("selftest", "SKIP vtd/fault-overflow: needs two edu devices");
		return;
	}
	u32 unit0 = 0, unit1 = 0;
	u32 nfr = iommu_test_fault_records(t->edu[0].seg, sid_of(&t->edu[0]), &unit0);
	u32 nfr1 = iommu_test_fault_records(t->edu[1].seg, sid_of(&t->edu[1]), &unit1);
	if (!nfr || !nfr1 || unit0 != unit1) {
		LOG("selftest", "SKIP vtd/fault-overflow: the two edu devices are not behind one unit");
		return;
	}
	if (nfr > OVERFLOW_MAX_RECORDS) {
		LOG("selftest", "SKIP vtd/fault-overflow: %u fault records (more than %u)", nfr,
		    OVERFLOW_MAX_RECORDS);
		return;
	}
	u64 ov = iommu_overflow_total(), before = iommu_fault_total();
	u32 stuck = 0;                 /* DMA commands that did not complete */
	iommu_fault_hold(true);
	for (u32 i = 0; i <= nfr; i++)
		stuck += edu_dma_to_ram(&t->edu[i & 1], 0, IOVA_HOLE, PAGE_SIZE) != OK;
	iommu_fault_hold(false);
	iommu_poll_faults();
	u64 got = iommu_fault_total() - before;
	bool ok = iommu_overflow_total() > ov && got == nfr && !stuck;
	snprintf(why, sizeof why, "%u faults while held with %u fault records: %lu recorded, %lu overflows, "
		 "%u DMA commands not completed", nfr + 1, nfr, got, iommu_overflow_total() - ov, stuck);
	LOG("selftest", "overflow: %s", why);
	result(t, "fault-overflow", ok, why);
}

/* A flood of faulting DMAs, each counted exactly, and a good DMA still works afterwards. */
static void test_flood(struct dma_test *t)
{
	char why[160] = "";
	struct edu *e = &t->edu[0];
	u32 n = t->flood;
	/* the fault interrupt handles each record */
	u64 before = iommu_fault_total(), ov = iommu_overflow_total(), start = rdtsc();
	u32 stuck = 0;                         /* DMA commands that did not complete */
	for (u32 i = 0; i < n; i++)
		stuck += edu_dma_to_ram(e, 0, IOVA_HOLE + (i % 8) * PAGE_SIZE, PAGE_SIZE) != OK;
	wait_faults(before + n);
	u64 got = iommu_fault_total() - before, lost = iommu_overflow_total() - ov;
	/* responsive: a good DMA still works and lands */
	fill_pattern(t->src, 13);
	memset(t->dst, 0, PAGE_SIZE);
	bool alive = !edu_dma_from_ram(e, IOVA_SRC, 0, PAGE_SIZE) &&
		     !edu_dma_to_ram(e, 0, IOVA_DST, PAGE_SIZE) && matches_pattern(t->dst, 13);
	snprintf(why, sizeof why, "%u faulting DMAs: %lu faults recorded, %lu overflows, %lu Mcycles, "
		 "DMA afterwards %s, %u DMA commands not completed", n, got, lost, (rdtsc() - start) / 1000000,
		 alive ? "ok" : "FAILED", stuck);
	LOG("selftest", "flood: %s", why);
	/* One DMA at a time, each waited for: every fault finds a free record, none is lost. */
	result(t, "fault-flood", got == n && lost == 0 && alive && !stuck, why);
}

static void tick(u8 vector, void *ctx)
{
	(void)vector, (void)ctx;
}

/* A periodic local APIC timer so every hlt in the test wakes up, even if a device stays silent. */
static u8 start_tick(void)
{
	u8 v = irq_alloc(tick, NULL);
	if (v)
		lapic_timer_periodic(v, 625000);
	return v;
}

/* D21: the tick stops with the self-test (a guest on this CPU must not inherit it). */
static void stop_tick(void)
{
	lapic_timer_periodic(0, 0);
}

static MUST_CHECK status_t setup(struct dma_test *t)
{
	for (u32 i = 0; i < pci_count() && t->nr_edu < MAX_EDU; i++) {
		const struct pci_dev *d = pci_get(i);
		if (d->vendor != EDU_VENDOR || d->device != EDU_DEVICE)
			continue;
		struct edu *e = &t->edu[t->nr_edu];
		if (edu_init(e, d->seg, d->bus, d->dev, d->fn) || edu_enable_msi(e))
			continue;
		t->alias[t->nr_edu++] = pci_dma_alias(i);
	}
	if (!t->nr_edu)
		return E_NOENT;
	t->src = page(1), t->dst = page(3), t->ro = page(1), t->x1 = page(1), t->x2 = page(1);
	t->other = page(2);
	t->probe = (u8 *)(uintptr_t)pmm_alloc_pages(1, 1ULL << 28); /* edu's DMA mask */
	if (!t->src || !t->dst || !t->ro || !t->x1 || !t->x2 || !t->other || !t->probe)
		return E_NOMEM;
	t->dst += PAGE_SIZE;
	struct iommu_domain *a = iommu_domain_create("selftest-a");
	struct iommu_domain *b = iommu_domain_create("selftest-b");
	if (!a || !b)
		return E_NOMEM;
	status_t st = iommu_map(a, IOVA_SRC, pa(t->src), PAGE_SIZE, IOMMU_READ);
	st = st ? st : iommu_map(a, IOVA_DST, pa(t->dst), PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
	st = st ? st : iommu_map(a, IOVA_RO, pa(t->ro), PAGE_SIZE, IOMMU_READ);
	st = st ? st : iommu_map(a, IOVA_REMAP, pa(t->x1), PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
	st = st ? st : iommu_map(b, IOVA_SRC, pa(t->other), PAGE_SIZE, IOMMU_READ);
	st = st ? st : iommu_map(b, IOVA_DST, pa(t->other) + PAGE_SIZE, PAGE_SIZE,
				 IOMMU_READ | IOMMU_WRITE);
	/* With four devices, one on the root bus beyond the first two is left to no domain. */
	t->blocked = -1;
	for (u32 i = 2; t->nr_edu == MAX_EDU && i < t->nr_edu; i++)
		if (t->alias[i] == sid_of(&t->edu[i]))
			t->blocked = (int)i;
	if (!st && t->blocked >= 0) {
		/* Translation is still off: load the blocked edu's buffer with a pattern from RAM. */
		fill_pattern(t->probe, BLOCKED_SEED);
		st = edu_dma_from_ram(&t->edu[t->blocked], pa(t->probe), 0, PAGE_SIZE);
	}
	for (u32 i = 0; i < t->nr_edu && !st; i++) {
		if ((int)i == t->blocked)
			continue;
		t->dom[i] = i == 1 ? b : a; /* edu 1 in B; every other edu (incl. bridged) in A */
		st = iommu_attach(t->dom[i], t->edu[i].seg, t->edu[i].bus,
				  (u8)PCI_SID(0, t->edu[i].dev, t->edu[i].fn));
	}
	return st;
}

/* Page-table figures: 4 GiB mapped contiguously, and invalidations per 2 MiB map/unmap. */
static MUST_CHECK status_t figures(void)
{
	struct iommu_domain_stats s1, s2;
	status_t st = OK;
	struct iommu_domain *d2 = iommu_domain_create_2m("figures-2m");
	if (!d2)
		return E_NOMEM;
	if ((st = iommu_map(d2, 0, 0, 4 * GiB, IOMMU_READ)) == OK) {
		iommu_domain_get_stats(d2, &s1);
		LOG("figures", "4 GiB contiguous, 2 MiB pages only: %lu KiB of second-level tables",
		    s1.table_pages * 4);
	}
	status_t st2 = iommu_domain_destroy(d2);
	if (st || (st = st2) != OK)
		return st;
	struct iommu_domain *d = iommu_domain_create("figures");
	if (!d)
		return E_NOMEM;
	if ((st = iommu_map(d, 0, 0, 4 * GiB, IOMMU_READ)) != OK)
		goto out;
	iommu_domain_get_stats(d, &s1);
	LOG("figures", "4 GiB contiguous, largest pages: %lu KiB of second-level tables",
	    s1.table_pages * 4);
	if ((st = iommu_unmap(d, 0, 4 * GiB)) != OK)
		goto out;
	iommu_domain_get_stats(d, &s1);
	if ((st = iommu_map(d, 512 * MiB, 512 * MiB, 2 * MiB, IOMMU_READ | IOMMU_WRITE)) != OK)
		goto out;
	iommu_domain_get_stats(d, &s2);
	u64 map_inv = s2.inv_descs - s1.inv_descs;
	if ((st = iommu_unmap(d, 512 * MiB, 2 * MiB)) != OK)
		goto out;
	iommu_domain_get_stats(d, &s1);
	LOG("figures", "2 MiB range: %lu invalidation descriptors to map, %lu to unmap", map_inv,
	    s1.inv_descs - s2.inv_descs);
out:
	st2 = iommu_domain_destroy(d);
	return st ? st : st2;
}

/* The self-tests in order; vtd.sh reads the list from the "running" line. */
static const struct {
	const char *name;
	void (*run)(struct dma_test *t);
} tests[] = {
	{ "map-write-read", test_map },
	{ "unmapped-faults", test_unmapped },
	{ "readonly", test_readonly },
	{ "two-domains", test_two_domains },
	{ "remap-invalidate", test_remap },
	{ "bridge", test_bridge },
	{ "blocked", test_blocked },
	{ "iqe-recovery", test_iqe },
	{ "fault-overflow", test_overflow },
	{ "fault-flood", test_flood },
};

void selftest_dma(u32 flood)
{
	static struct dma_test t;
	char names[256] = "";
	for (u32 i = 0; i < ARRAY_SIZE(tests); i++)
		snprintf(names + strlen(names), sizeof names - strlen(names), " %s", tests[i].name);
	LOG("selftest", "vtd: running %u tests:%s", (u32)ARRAY_SIZE(tests), names);
	t.flood = flood;
	status_t st = setup(&t);
	if (st) {
		LOG("selftest", "FAIL vtd/setup: %s (needs QEMU -device edu and a VT-d unit)",
		    status_str(st));
		return;
	}
	if (!start_tick())
		LOG("selftest", "no vector for the wake-up tick: waits rely on device interrupts");
	sti();
	if ((st = iommu_enable()) != OK) {
		cli();
		stop_tick();
		LOG("selftest", "FAIL vtd/enable: %s", status_str(st));
		return;
	}
	iommu_report();
	for (u32 i = 0; i < ARRAY_SIZE(tests); i++)
		tests[i].run(&t);
	cli();
	stop_tick();
	u32 lvt = lapic_read(LAPIC_LVT_TIMER), ccr = lapic_read(LAPIC_TIMER_CCR);
	LOG("selftest", "wake-up tick stopped: LVT timer 0x%x (masked %s), current count %u", lvt,
	    lvt & BIT(16) ? "yes" : "no", ccr);
	if ((st = figures()) != OK)
		LOG("selftest", "figures: %s", status_str(st));
	for (u32 i = 0; i < 2 && i < t.nr_edu; i++) {
		struct iommu_domain_stats s;
		iommu_domain_get_stats(t.dom[i], &s);
		LOG("selftest", "domain %s: DID %u, %u devices, %lu faults, %lu table pages",
		    i ? "selftest-b" : "selftest-a", s.did, s.devices, s.faults, s.table_pages);
	}
	LOG("selftest", "vtd: %u passed, %u failed; %lu faults, %lu overflows in all", t.passed,
	    t.failed, iommu_fault_total(), iommu_overflow_total());
}
