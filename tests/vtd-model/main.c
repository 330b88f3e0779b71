/* main.c: the VT-d model tests. Each test resets the unit state it uses, drives the unit through
 * its registers and the edu DMA engine, and prints PASS/FAIL/SKIP; the last line is the summary.
 * Spec: Intel VT-d Architecture Specification, section numbers of rev. 3.x (titles quoted). */
#include "test.h"
#include "ide.h"

char why[256];
static unsigned n_pass, n_fail, n_skip;
bool qemu;                        /* platform=qemu: known QEMU deviations become SKIPs */

void report(const char *name, int r)
{
	if (r == PASS_) { printf("PASS %s\n", name); n_pass++; }
	else if (r == FAIL_) { printf("FAIL %s: %s\n", name, why); n_fail++; }
	else { printf("SKIP %s: %s\n", name, why); n_skip++; }
	why[0] = 0;
}

/* Fixed memory the tests use (host-physical), all inside the first 128 MiB, and the IOVAs
 * (128..256 MiB, inside edu's default 28-bit DMA mask). The identity pages of the IOVAs hold a
 * sentinel so an untranslated DMA is caught. */
#define HPA_A 0x06100000UL
#define HPA_B 0x06102000UL
#define HPA_C 0x06105000UL
#define HPA_OUT 0x06108000UL
#define HPA_2M 0x06400000UL
#define IOVA_A 0x08000000UL
#define IOVA_B 0x08010000UL
#define IOVA_X 0x08020000UL
#define IOVA_OUT 0x08030000UL
#define IOVA_2M 0x0a000000UL
#define IOVA_1G 0x0b000000UL     /* inside a 1 GiB leaf at IOVA 0 -> HPA 1 GiB */
#define IOVA_PRD 0x08040000UL    /* the IDE tests' PRD table (HPA_PRD, or 1 GiB + IOVA_PRD) */
#define HPA_PRD 0x0610a000UL
#define SENT 0x5a
#define V_IWC 0x61
#define V_FAULT 0x62
#define V_IRANGE 0x63

struct edu *E0, *E1;
static struct dom D;

static u8 pat(u8 seed, u64 i) { return (u8)(seed + i * 7 + (i >> 8)); }
static void fill(u64 a, u64 len, u8 seed) { for (u64 i = 0; i < len; i++) ((u8 *)a)[i] = pat(seed, i); }
static bool has(u64 a, u64 len, u8 seed)
{
	for (u64 i = 0; i < len; i++)
		if (((u8 *)a)[i] != pat(seed, i))
			return false;
	return true;
}
static bool all(u64 a, u64 len, u8 v)
{
	for (u64 i = 0; i < len; i++)
		if (((u8 *)a)[i] != v)
			return false;
	return true;
}
static const u64 iovas[] = { IOVA_A, IOVA_B, IOVA_X, IOVA_X + PAGE, IOVA_OUT, IOVA_2M + 0x123000,
			      IOVA_2M + 0x124000, IOVA_1G + 0x3000, IOVA_1G + 0x4000, IOVA_PRD };
static void sentinels(void)
{
	for (unsigned i = 0; i < sizeof iovas / sizeof *iovas; i++)
		memset((void *)iovas[i], SENT, PAGE);
}
static bool sentinels_ok(void)
{
	for (unsigned i = 0; i < sizeof iovas / sizeof *iovas; i++)
		if (!all(iovas[i], PAGE, SENT))
			return false;
	return true;
}

/* Loads the whole edu buffer with pattern `seed`, untranslated (TE off for the transfer). */
static bool buf_load(u8 seed)
{
	bool te = r32(GSTS_REG) & GCMD_TE;
	if (te)
		gcmd(GCMD_TE, false);
	fill(STAGE, PAGE, seed);
	bool ok = edu_from_ram(E0, STAGE, 0, PAGE);
	if (te)
		gcmd(GCMD_TE, true);
	return ok;
}

/* A fresh unit with one domain (LEVELS-level tables, DID 1) attached to edu 0 and TE on. */
static bool xlate_setup(int levels)
{
	unit_reset();
	sentinels();
	dom_init(&D, levels, 1);
	attach(&D, E0->bus, E0->devfn);
	return gcmd(GCMD_TE, true);
}

static u64 opt_aw, opt_nfr, opt_cm, opt_ir, opt_eim, opt_pi, opt_pt, opt_sllps;
u64 opt_edumask;
static u64 opt_edu1mask;

/* ---- 1. Identity registers (10.4.1 VER_REG, 10.4.2 CAP_REG, 10.4.3 ECAP_REG) ---- */

static int t_version(void)
{
	u32 v = r32(VER_REG);
	REQUIRE(((v >> 4) & 0xf) >= 1, "VER_REG 0x%x: major version 0", v);
	return PASS_;
}

static int t_cap(void)
{
	u64 c = U.cap;
	u64 want_sagaw = opt_aw == 48 ? 0x6 : 0x2;
	REQUIRE(CAP_MGAW(c) == opt_aw, "MGAW %u, configured aw %u", (unsigned)CAP_MGAW(c), (unsigned)opt_aw);
	REQUIRE((CAP_SAGAW(c) & want_sagaw) == want_sagaw, "SAGAW 0x%x lacks 0x%x", (unsigned)CAP_SAGAW(c),
		(unsigned)want_sagaw);
	REQUIRE(CAP_NFR(c) == opt_nfr, "NFR %u, configured %u", U.nfr, (unsigned)opt_nfr);
	REQUIRE(!!(c & CAP_CM) == opt_cm, "CM %u, configured %u", !!(c & CAP_CM), (unsigned)opt_cm);
	REQUIRE((CAP_SLLPS(c) & opt_sllps) == opt_sllps, "SLLPS 0x%x lacks 0x%x", (unsigned)CAP_SLLPS(c),
		(unsigned)opt_sllps);
	REQUIRE(c & CAP_PSI, "PSI clear");
	REQUIRE(!!(c & CAP_PI) == opt_pi, "PI %u, configured %u", !!(c & CAP_PI), (unsigned)opt_pi);
	REQUIRE(U.fro >= 0xc0 && U.fro + 16 * U.nfr <= 0x1000, "FRCD block 0x%lx+%u*16 overlaps 0x00-0xbf or leaves the page",
		U.fro, U.nfr);
	return PASS_;
}

static int t_ecap(void)
{
	u64 e = U.ecap;
	REQUIRE(e & ECAP_QI, "QI clear");
	REQUIRE(!!(e & ECAP_IR) == opt_ir, "IR %u, configured %u", !!(e & ECAP_IR), (unsigned)opt_ir);
	REQUIRE(!!(e & ECAP_EIM) == opt_eim, "EIM %u, configured %u", !!(e & ECAP_EIM), (unsigned)opt_eim);
	REQUIRE(!!(e & ECAP_PT) == opt_pt, "PT %u, configured %u", !!(e & ECAP_PT), (unsigned)opt_pt);
	REQUIRE(U.iro >= 0xc0 && U.iro + 16 <= 0x1000, "IOTLB block at 0x%lx overlaps 0x00-0xbf or leaves the page", U.iro);
	REQUIRE(U.iro + 16 <= U.fro || U.fro + 16 * U.nfr <= U.iro, "IOTLB and FRCD blocks overlap");
	return PASS_;
}

/* 10.4: VER/CAP/ECAP are read-only; writes are ignored. */
static int t_readonly(void)
{
	u32 ver = r32(VER_REG);
	w32(VER_REG, ~ver);
	w64(CAP_REG, ~U.cap);
	w64(ECAP_REG, ~U.ecap);
	REQUIRE(r32(VER_REG) == ver, "VER changed to 0x%x", r32(VER_REG));
	REQUIRE(r64(CAP_REG) == U.cap, "CAP changed to 0x%lx", r64(CAP_REG));
	REQUIRE(r64(ECAP_REG) == U.ecap, "ECAP changed to 0x%lx", r64(ECAP_REG));
	return PASS_;
}

/* 10.2 "Software Access to Registers": 64-bit registers may be accessed as two aligned dwords. */
static int t_widths(void)
{
	for (u32 off = CAP_REG; off <= ECAP_REG; off += 8) {
		u64 q = r64(off), d = r32(off) | (u64)r32(off + 4) << 32;
		REQUIRE(q == d, "register 0x%x: qword 0x%lx, dwords 0x%lx", off, q, d);
	}
	u64 rt = (u64)page_alloc();
	w64(RTADDR_REG, rt);
	REQUIRE(r32(RTADDR_REG) == (u32)rt && r32(RTADDR_REG + 4) == (u32)(rt >> 32),
		"RTADDR written as qword reads back 0x%x:%x", r32(RTADDR_REG + 4), r32(RTADDR_REG));
	u64 rt2 = rt + 0x1000000;
	w32(RTADDR_REG, (u32)rt2);
	w32(RTADDR_REG + 4, (u32)(rt2 >> 32));
	REQUIRE(r64(RTADDR_REG) == rt2, "RTADDR written as dwords reads 0x%lx", r64(RTADDR_REG));
	return PASS_;
}

/* ---- 2. GCMD/GSTS (10.4.4, 10.4.5) ---- */

static int t_srtp(void)
{
	unit_reset();
	u64 rt = (u64)page_alloc();
	w64(RTADDR_REG, rt);
	REQUIRE(gcmd(GCMD_SRTP, true), "RTPS not set after SRTP");
	REQUIRE(r64(RTADDR_REG) == rt, "RTADDR 0x%lx, wrote 0x%lx", r64(RTADDR_REG), rt);
	return PASS_;
}

static int t_te(void)
{
	unit_reset();
	REQUIRE(gcmd(GCMD_TE, true), "TES not set after TE=1");
	/* a one-shot command written with TE carried over keeps translation on */
	REQUIRE(gcmd(GCMD_SRTP, true), "RTPS not set");
	REQUIRE(r32(GSTS_REG) & GCMD_TE, "TES cleared by SRTP written with TE=1");
	REQUIRE(gcmd(GCMD_TE, false), "TES still set after TE=0");
	return PASS_;
}

/* 10.4.22 IQH_REG: reset to 0 whenever queued invalidation is disabled. */
static int t_qie(void)
{
	unit_reset();
	REQUIRE(qi_enable(0), "QIES not set after QIE=1");
	REQUIRE(r64(IQH_REG) == 0, "IQH 0x%lx after enabling", r64(IQH_REG));
	REQUIRE(qi_wait(), "wait descriptor not completed");
	REQUIRE(r64(IQH_REG) == 16, "IQH 0x%lx after one descriptor", r64(IQH_REG));
	qi_disable();
	REQUIRE(!(r32(GSTS_REG) & GCMD_QIE), "QIES still set after QIE=0");
	REQUIRE(r64(IQH_REG) == 0, "IQH 0x%lx after disabling, expected 0", r64(IQH_REG));
	return PASS_;
}

/* 10.4.29 IRTA_REG; SIRTP -> IRTPS, IRE -> IRES, CFI -> CFIS (interrupt remapping left off after). */
static int t_gcmd_ir(bool cfi)
{
	if (!(U.ecap & ECAP_IR))
		SKIPF("ECAP.IR clear");
	unit_reset();
	u64 irta = (u64)page_alloc() | 0;   /* S = 0: 2 entries, xAPIC (EIME = 0) */
	w64(IRTA_REG, irta);
	REQUIRE(gcmd(GCMD_SIRTP, true), "IRTPS not set after SIRTP");
	REQUIRE(r64(IRTA_REG) == irta, "IRTA 0x%lx, wrote 0x%lx", r64(IRTA_REG), irta);
	REQUIRE(qi_enable(0), "QIE failed");  /* Linux and Passage enable QI before IR */
	if (cfi && !gcmd(GCMD_CFI, true)) {
		qi_disable();
		if (qemu)
			SKIPF("QEMU does not implement GCMD.CFI (vtd_handle_gcmd_write has no CFI case; CFIS "
			      "never sets)");
		FAILF("CFIS not set after CFI=1");
	}
	REQUIRE(gcmd(GCMD_IRE, true), "IRES not set after IRE=1");
	REQUIRE(!cfi || (r32(GSTS_REG) & GCMD_CFI), "CFIS lost when IRE was set");
	REQUIRE(gcmd(GCMD_IRE, false), "IRES still set after IRE=0");
	REQUIRE(!cfi || gcmd(GCMD_CFI, false), "CFIS still set after CFI=0");
	qi_disable();
	return PASS_;
}

/* ---- 3. Register-based invalidation (6.5.1, 10.4.7 CCMD_REG, 10.4.8 IOTLB_REG) ---- */

static int t_reg_ccmd(int g)
{
	unit_reset();
	u64 caig = reg_inv_ctx(g, 1, edu_sid(E0));
	REQUIRE(caig != 0xff, "ICC never cleared");
	REQUIRE(caig >= 1 && caig <= (u64)g, "CAIG %u for request %d", (unsigned)caig, g);
	return PASS_;
}

static int t_reg_iotlb(int g)
{
	if (g == GRAN_DEVICE && !(U.cap & CAP_PSI))
		SKIPF("CAP.PSI clear: no page-selective invalidation");
	unit_reset();
	u64 iaig = reg_inv_iotlb(g, 1, IOVA_A, 0);
	REQUIRE(iaig != 0xff, "IVT never cleared");
	REQUIRE(iaig >= 1 && iaig <= (u64)g, "IAIG %u for request %d", (unsigned)iaig, g);
	return PASS_;
}

/* ---- 4. Queued invalidation (6.5.2) ---- */

static int t_qi_descs(void)
{
	unit_reset();
	REQUIRE(qi_enable(0), "QIE failed");
	for (int g = GRAN_GLOBAL; g <= GRAN_DEVICE; g++) {
		REQUIRE(qi_sync(DESC_CC | DESC_G(g) | DESC_DID(1) | DESC_SID(edu_sid(E0)), 0),
			"context-cache descriptor G=%d not completed", g);
		REQUIRE(qi_sync(DESC_IOTLB | DESC_G(g) | DESC_DID(1) | IOTLB_DESC_DR | IOTLB_DESC_DW,
				g == GRAN_DEVICE ? IOVA_A : 0), "IOTLB descriptor G=%d not completed", g);
	}
	if (U.ecap & ECAP_IR)
		REQUIRE(qi_sync(DESC_IEC, 0), "IEC descriptor not completed");
	REQUIRE(!(r32(FSTS_REG) & FSTS_IQE), "IQE set, FSTS 0x%x", r32(FSTS_REG));
	REQUIRE(r64(IQH_REG) == r64(IQT_REG), "IQH 0x%lx != IQT 0x%lx", r64(IQH_REG), r64(IQT_REG));
	return PASS_;
}

/* Descriptors up to the end of a 2^(QS+8)-entry queue and across the wrap to index 0. */
static int t_qi_wrap(unsigned qs)
{
	unit_reset();
	REQUIRE(qi_enable(qs), "QIE failed");
	while (U.iq_tail != U.iq_n - 2)
		qi_put(DESC_CC | DESC_G(GRAN_GLOBAL), 0);
	qi_kick();
	REQUIRE(qi_wait(), "wait at index %u not completed", U.iq_n - 2);
	REQUIRE(qi_wait(), "wait at index %u not completed", U.iq_n - 1);
	REQUIRE(qi_wait(), "wait after the wrap (index 0) not completed");
	REQUIRE(r64(IQH_REG) == 16, "IQH 0x%lx after the wrap, expected 0x10", r64(IQH_REG));
	REQUIRE(!(r32(FSTS_REG) & FSTS_IQE), "IQE set");
	return PASS_;
}

/* 6.5.2.8 + 10.4.25/10.4.26: a wait descriptor with IF sets ICS.IWC and raises the
 * invalidation completion event, held pending (IP) while IECTL.IM is set. */
bool irq_seen(void *v) { return irq_count[*(u8 *)v] != 0; }

static int t_qi_wait_if(bool masked)
{
	unit_reset();
	REQUIRE(qi_enable(0), "QIE failed");
	u8 vec = V_IWC;
	irq_count[vec] = 0;
	w32(ICS_REG, ICS_IWC);
	w32(IEDATA_REG, vec);
	w32(IEADDR_REG, 0xfee00000u | (u32)lapic_id() << 12);
	w32(IEUADDR_REG, 0);
	w32(IECTL_REG, masked ? ECTL_IM : 0);
	qi_put(DESC_WAIT | WAIT_IF, 0);
	qi_kick();
	delay_ticks(3);
	REQUIRE(r32(ICS_REG) & ICS_IWC, "ICS.IWC not set");
	if (masked) {
		REQUIRE(irq_count[vec] == 0, "completion interrupt delivered while IECTL.IM=1");
		REQUIRE(r32(IECTL_REG) & ECTL_IP, "IECTL.IP not set while masked");
		w32(IECTL_REG, 0);
	}
	REQUIRE(wait_for(irq_seen, &vec, 20), "no completion interrupt (vector 0x%x)", vec);
	REQUIRE(!(r32(IECTL_REG) & ECTL_IP), "IECTL.IP still set after the interrupt");
	w32(ICS_REG, ICS_IWC);
	REQUIRE(!(r32(ICS_REG) & ICS_IWC), "ICS.IWC not cleared by writing 1");
	return PASS_;
}

/* 6.5.2.10 "Invalidation Queue Error": a bad descriptor sets FSTS.IQE, hardware stops with
 * IQH at that descriptor; software fixes the queue and clears IQE to resume. */
static int recovery = SKIP_;
static char recovery_why[256] = "not reached";
static void report_recovery(const char *name)
{
	snprintf(why, sizeof why, "%s", recovery_why);
	report(name, recovery);
	recovery = SKIP_;
	snprintf(recovery_why, sizeof recovery_why, "not reached");
}

static int t_qi_iqe(bool reserved)
{
	unit_reset();
	REQUIRE(qi_enable(0), "QIE failed");
	REQUIRE(qi_wait(), "first wait not completed");
	unsigned bad = U.iq_tail;
	if (reserved)
		qi_put(DESC_WAIT | WAIT_SW | BIT(20) | WAIT_SDATA(0x77), (u64)STAGE); /* bit 20: reserved */
	else
		qi_put(0xf, 0);  /* type 0xF: no such descriptor */
	static volatile u32 after;
	after = 0;
	qi_put(DESC_WAIT | WAIT_SW | WAIT_SDATA(0x1234), (u64)&after);
	qi_kick();
	delay_ticks(2);
	u32 fsts = r32(FSTS_REG);
	REQUIRE(fsts & FSTS_IQE, "IQE not set (FSTS 0x%x)", fsts);
	REQUIRE(r64(IQH_REG) == (u64)bad << 4, "IQH 0x%lx, bad descriptor at 0x%x", r64(IQH_REG), bad << 4);
	REQUIRE(after == 0, "descriptor after the bad one was processed");
	/* recovery: replace the bad descriptor by a harmless one, clear IQE */
	static volatile u32 fixed;
	fixed = 0;
	U.iq[bad] = (struct inv_desc){ DESC_WAIT | WAIT_SW | WAIT_SDATA(0x99), (u64)&fixed };
	barrier();
	w32(FSTS_REG, FSTS_IQE);
	delay_ticks(2);
	recovery = PASS_;
	if (after != 0x1234) {
		qi_kick();      /* same IQT again */
		delay_ticks(2);
		if (after != 0x1234 || fixed != 0x99)
			snprintf(recovery_why, sizeof recovery_why,
				 "queue did not resume after IQE was cleared, nor after IQT was rewritten");
		else if (qemu)
			snprintf(recovery_why, sizeof recovery_why, "QEMU resumes the queue only on the next "
				 "IQT write, not when IQE is cleared (vtd_handle_fsts_write: \"FIXME: when IQE is "
				 "Clear, should we try to fetch\"); recovery through an IQT write works");
		else
			snprintf(recovery_why, sizeof recovery_why,
				 "queue resumed only after IQT was rewritten, not when IQE was cleared");
		recovery = after == 0x1234 && fixed == 0x99 && qemu ? SKIP_ : FAIL_;
		return PASS_;
	}
	if (fixed != 0x99 || (r32(FSTS_REG) & FSTS_IQE) || r64(IQH_REG) != r64(IQT_REG)) {
		snprintf(recovery_why, sizeof recovery_why, "after clearing IQE: fixed descriptor %s, FSTS 0x%x, "
			 "IQH 0x%lx, IQT 0x%lx", fixed == 0x99 ? "done" : "not done", r32(FSTS_REG), r64(IQH_REG),
			 r64(IQT_REG));
		recovery = FAIL_;
	}
	return PASS_;
}

/* ---- 5. Translation (3.6 "Second-Level Translation", 9.8) ---- */

/* read: device reads IOVA `src` (mapped to pattern at `hpa`) into its buffer; the buffer goes
 * out through IOVA_OUT -> HPA_OUT where it is checked. */
static int xlate_rw(int levels, u64 iova, u64 hpa, u64 size, u32 off, u32 len, u64 hpa2)
{
	if (!xlate_setup(levels))
		FAILF("TE not enabled");
	dom_map(&D, iova & ~(size - 1), hpa & ~(size - 1), size, SL_RW);
	if (hpa2)        /* cross-page: the next IOVA page goes to an unrelated page */
		dom_map(&D, (iova & ~(size - 1)) + size, hpa2, size, SL_RW);
	if (size != 1 * GiB)
		dom_map(&D, IOVA_OUT, HPA_OUT, PAGE, SL_W);
	u64 out_iova = IOVA_OUT, out_hpa = size == 1 * GiB ? 1 * GiB + IOVA_OUT : HPA_OUT;
	/* the data the device must read: pattern 0x31 at hpa(+hpa2) */
	u64 first = hpa2 ? PAGE - (iova & (PAGE - 1)) : len;
	fill(hpa, first, 0x31);
	if (hpa2)
		for (u64 i = first; i < len; i++)
			((u8 *)hpa2)[i - first] = pat(0x31, i);
	memset((void *)out_hpa, 0, len);
	REQUIRE(edu_from_ram(E0, iova, off, len), "read DMA timed out");
	REQUIRE(edu_to_ram(E0, off, out_iova, len), "write-back DMA timed out");
	REQUIRE(has(out_hpa, len, 0x31), "device read wrong data through the translation");
	/* write: a new pattern from the buffer to the same IOVA */
	REQUIRE(buf_load(0x47), "buffer load timed out");
	memset((void *)hpa, 0, first);
	if (hpa2)
		memset((void *)hpa2, 0, len - first);
	REQUIRE(edu_to_ram(E0, off, iova, len), "write DMA timed out");
	for (u64 i = 0; i < len; i++) {
		u8 got = i < first ? ((u8 *)hpa)[i] : ((u8 *)hpa2)[i - first];
		REQUIRE(got == pat(0x47, off + i), "written byte %u is 0x%x, want 0x%x", (unsigned)i, got,
			pat(0x47, off + i));
	}
	REQUIRE(sentinels_ok(), "an untranslated access touched identity-mapped memory");
	u64 f_lo, f_hi;
	REQUIRE(faults_find(&f_lo, &f_hi) == 0, "unexpected fault, reason 0x%x", (unsigned)FRCD_FR(f_hi));
	return PASS_;
}

static int t_xlate(int levels, u64 size)
{
	if (levels == 4 && !(CAP_SAGAW(U.cap) & 4))
		SKIPF("SAGAW 0x%x: no 4-level tables", (unsigned)CAP_SAGAW(U.cap));
	if (size == 2 * MiB && !(CAP_SLLPS(U.cap) & 1))
		SKIPF("SLLPS: no 2 MiB pages");
	if (size == 1 * GiB) {
		if (!(CAP_SLLPS(U.cap) & 2))
			SKIPF("SLLPS: no 1 GiB pages");
		if (mem_top() < 1 * GiB + 256 * MiB)
			SKIPF("needs 1.25 GiB of RAM below 4 GiB (have %lu MiB)", mem_top() / MiB);
		memset((void *)(1 * GiB + IOVA_OUT), 0, PAGE);
		return xlate_rw(levels, IOVA_1G + 0x3450, 1 * GiB + IOVA_1G + 0x3450, 1 * GiB, 0x100, 0x200, 0);
	}
	if (size == 2 * MiB)
		return xlate_rw(levels, IOVA_2M + 0x123450, HPA_2M + 0x123450, 2 * MiB, 0x200, 0x400, 0);
	return xlate_rw(levels, IOVA_A + 0x100, HPA_A + 0x100, PAGE, 0x100, 0x800, 0);
}

static int t_xlate_cross(void)
{
	return xlate_rw(3, IOVA_X + 0xf00, HPA_A + 0xf00, PAGE, 0x300, 0x200, HPA_C);
}

/* 9.3: TT=10b pass-through, only when ECAP.PT. */
static int t_passthrough(void)
{
	if (!(U.ecap & ECAP_PT))
		SKIPF("ECAP.PT clear");
	unit_reset();
	REQUIRE(buf_load(0x52), "buffer load timed out");
	set_ctx(E0->bus, E0->devfn, CE_TT(TT_PASSTHROUGH) | CE_P, CE_DID(2) | CE_AW(1));
	REQUIRE(gcmd(GCMD_TE, true), "TE failed");
	memset((void *)HPA_B, 0, PAGE);
	REQUIRE(edu_to_ram(E0, 0, HPA_B, 0x400), "DMA timed out");
	REQUIRE(has(HPA_B, 0x400, 0x52), "pass-through write did not land at the untranslated address");
	return PASS_;
}

/* ---- 6. Faults (7.2 "Non-Recoverable Fault Reporting", 10.4.14 FRCD_REG) ---- */

/* Checks that exactly one fault is recorded, with reason `fr`, source-id `sid`, the access type
 * and the faulting page, and clears it. */
static int one_fault(u16 sid, u64 iova, bool write, unsigned fr)
{
	u64 lo = 0, hi = 0;
	int n = faults_find(&lo, &hi);
	REQUIRE(n == 1, "%d fault records, expected 1 (FSTS 0x%x; first: reason 0x%x FI 0x%lx)", n,
		r32(FSTS_REG), (unsigned)FRCD_FR(hi), lo);
	REQUIRE(FRCD_FR(hi) == fr, "fault reason 0x%x, expected 0x%x", (unsigned)FRCD_FR(hi), fr);
	REQUIRE(FRCD_SID(hi) == sid, "SID 0x%x, expected 0x%x", (unsigned)FRCD_SID(hi), sid);
	REQUIRE(!!(hi & FRCD_T) == !write, "T=%u for a %s", !!(hi & FRCD_T), write ? "write" : "read");
	REQUIRE((lo & ~0xfffUL) == (iova & ~0xfffUL), "FI 0x%lx, expected 0x%lx", lo & ~0xfffUL,
		iova & ~0xfffUL);
	u32 fsts = r32(FSTS_REG);
	REQUIRE(fsts & FSTS_PPF, "FSTS.PPF clear with a recorded fault (0x%x)", fsts);
	REQUIRE(frcd_hi(FSTS_FRI(fsts)) & FRCD_F, "FSTS.FRI %u names a record without F", FSTS_FRI(fsts));
	w32((u32)(U.fro + 16 * FSTS_FRI(fsts) + 12), 0x80000000u);
	REQUIRE(!(frcd_hi(FSTS_FRI(fsts)) & FRCD_F), "F not cleared by writing 1");
	REQUIRE(!(r32(FSTS_REG) & FSTS_PPF), "PPF still set after the record was cleared");
	REQUIRE(sentinels_ok(), "faulting DMA reached identity-mapped memory");
	return PASS_;
}

/* Runs one edu DMA expected to fault with `fr` and checks the single fault record. */
static int expect_fault(u64 iova, bool write, unsigned fr)
{
	if (write) {
		REQUIRE(edu_to_ram(E0, 0, iova, 64), "DMA timed out");
	} else {
		REQUIRE(edu_from_ram(E0, iova, 0, 64), "DMA timed out");
	}
	return one_fault(edu_sid(E0), iova, write, fr);
}

static int fault_setup(void)
{
	if (!xlate_setup(3))
		FAILF("TE not enabled");
	if (!buf_load(0x11))
		FAILF("buffer load timed out");
	return PASS_;
}

#define NOT_PRESENT 0x100       /* no second-level mapping: reason 5 for writes, 6 for reads */
static int t_fault(unsigned kind, bool write)
{
	unsigned fr = kind == NOT_PRESENT ? (write ? FR_WRITE : FR_READ) : kind;
	int r = fault_setup();
	if (r != PASS_)
		return r;
	u64 iova = IOVA_A + 0x40;
	struct context_entry *ce = ctx_slot(E0->bus, E0->devfn);
	switch (kind) {
	case NOT_PRESENT:
		break;
	case FR_ROOT_P:
		U.root[E0->bus].lo = 0;
		break;
	case FR_CTX_P:
		ce->lo = 0;
		break;
	case FR_CTX_INV: {      /* an address width SAGAW does not offer (9.3 AW, 10.4.2 SAGAW) */
		int aw = 0;
		while (aw < 5 && (CAP_SAGAW(U.cap) >> aw & 1))
			aw++;
		if (aw >= 5)
			SKIPF("every AW value is supported");
		ce->hi = CE_DID(1) | CE_AW(aw);
		break;
	}
	case FR_AGAW:           /* 3-level table: 39-bit AGAW; bit 39 set */
		if (opt_edumask < 40)
			SKIPF("edu's DMA mask is %lu bits: it cannot address beyond a 39-bit AGAW", opt_edumask);
		iova = BIT(39) + 0x40;
		break;
	case FR_WRITE:
		dom_map(&D, IOVA_A, HPA_A, PAGE, SL_R);
		break;
	case FR_READ:
		dom_map(&D, IOVA_A, HPA_A, PAGE, SL_W);
		break;
	case FR_SLPTE_ACC:      /* next-level pointer to an address with no memory behind it */
		D.top[0] = 0x4000000000UL | SL_RW;     /* 256 GiB, below a 39-bit width */
		break;
	case FR_ROOT_ACC:
		w64(RTADDR_REG, 0x4000000000UL);
		gcmd(GCMD_SRTP, true);
		break;
	case FR_CTX_ACC:
		U.root[E0->bus].lo = 0x4000000000UL | RE_P;
		break;
	case FR_ROOT_RSVD:      /* 9.1: bits 11:1 of a legacy root entry are reserved */
		U.root[E0->bus].lo |= BIT(3);
		break;
	case FR_CTX_RSVD:       /* 9.3: bits 11:4 of the lower quadword are reserved */
		ce->lo |= BIT(8);
		break;
	case FR_SLPTE_RSVD: {   /* 9.8: bits 51:HAW of a leaf are reserved */
		u64 *e = dom_map(&D, IOVA_A, HPA_A, PAGE, SL_RW);
		*e |= BIT(51);
		break;
	}
	}
	barrier();
	r = expect_fault(iova, write, fr);
	if (r == FAIL_ && qemu && (fr == FR_SLPTE_ACC || fr == FR_ROOT_ACC || fr == FR_CTX_ACC)) {
		char q[200];
		snprintf(q, sizeof q, "%s", why);
		SKIPF("QEMU: %s", q);
	}
	if (r == FAIL_ && fr == FR_AGAW && strncmp(why, "FI", 2) == 0) {
		char q[200];
		snprintf(q, sizeof q, "%s", why);
		FAILF("%s (is edu's dma_mask wider than 39 bits?)", q);
	}
	return r;
}

/* 9.3 TT: 11b is reserved -> invalid context entry (reason 3). */
static int t_fault_tt(void)
{
	int r = fault_setup();
	if (r != PASS_)
		return r;
	struct context_entry *ce = ctx_slot(E0->bus, E0->devfn);
	ce->lo = (ce->lo & ~0xcUL) | CE_TT(TT_RESERVED);
	return expect_fault(IOVA_A, true, FR_CTX_INV);
}

/* 9.3 FPD: faults through a present context entry with FPD=1 are not recorded. */
static int t_fault_fpd(void)
{
	int r = fault_setup();
	if (r != PASS_)
		return r;
	ctx_slot(E0->bus, E0->devfn)->lo |= CE_FPD;
	memset((void *)HPA_A, 0, PAGE);
	REQUIRE(edu_to_ram(E0, 0, IOVA_A, 64), "DMA timed out");
	u64 lo, hi;
	int n = faults_find(&lo, &hi);
	REQUIRE(n == 0, "%d fault records (reason 0x%x) with FPD=1", n, (unsigned)FRCD_FR(hi));
	REQUIRE(!(r32(FSTS_REG) & (FSTS_PPF | FSTS_PFO)), "FSTS 0x%x with FPD=1", r32(FSTS_REG));
	REQUIRE(sentinels_ok() && all(HPA_A, PAGE, 0), "blocked DMA landed in memory");
	return PASS_;
}

/* 7.2.1 "Primary Fault Logging": with every FRCD full, a further fault sets PFO and is lost;
 * FRI names the first pending record. The overflowing fault comes from the second edu (no
 * context entry, reason 2) so that it cannot be merged with a pending fault of the same
 * source-id (QEMU drops such a fault: "compression of faults", vtd_try_collapse_fault). */
static int t_fault_overflow(void)
{
	int r = fault_setup();
	if (r != PASS_)
		return r;
	for (unsigned i = 0; i < U.nfr; i++)
		REQUIRE(edu_to_ram(E0, 0, IOVA_A + (i + 1) * 0x10000, 64), "DMA %u timed out", i);
	unsigned set = 0;
	for (unsigned i = 0; i < U.nfr; i++)
		set += !!(frcd_hi(i) & FRCD_F);
	REQUIRE(set == U.nfr, "%u of %u records set by %u faults", set, U.nfr, U.nfr);
	REQUIRE(!(r32(FSTS_REG) & FSTS_PFO), "PFO set before the records were full");
	REQUIRE(edu_to_ram(E1, 0, IOVA_B, 64), "overflowing DMA timed out");
	u32 fsts = r32(FSTS_REG);
	REQUIRE(fsts & FSTS_PFO, "PFO not set by a fault with all %u records full (FSTS 0x%x)", U.nfr, fsts);
	REQUIRE(fsts & FSTS_PPF, "PPF clear");
	for (unsigned i = 0; i < U.nfr; i++)
		REQUIRE(FRCD_SID(frcd_hi(i)) == edu_sid(E0), "record %u overwritten by the overflowing fault", i);
	REQUIRE((frcd_lo(FSTS_FRI(fsts)) & ~0xfffUL) == IOVA_A + 0x10000,
		"FRI %u holds FI 0x%lx, not the first fault", FSTS_FRI(fsts), frcd_lo(FSTS_FRI(fsts)));
	w32(FSTS_REG, FSTS_PFO);
	REQUIRE(!(r32(FSTS_REG) & FSTS_PFO), "PFO not cleared by writing 1");
	faults_clear();
	REQUIRE(!(r32(FSTS_REG) & (FSTS_PPF | FSTS_PFO)), "FSTS 0x%x after clearing", r32(FSTS_REG));
	REQUIRE(edu_to_ram(E1, 0, IOVA_B, 64), "DMA timed out");
	u64 lo, hi;
	REQUIRE(faults_find(&lo, &hi) == 1 && (lo & ~0xfffUL) == IOVA_B && FRCD_SID(hi) == edu_sid(E1),
		"no new record after clearing");
	return PASS_;
}

/* 7.3 "Non-Recoverable Fault Event", 10.4.10 FECTL_REG: the fault event interrupt, held
 * pending (IP) while IM is set and sent when IM is cleared. */
static int t_fault_event(bool masked)
{
	int r = fault_setup();
	if (r != PASS_)
		return r;
	u8 vec = V_FAULT;
	irq_count[vec] = 0;
	w32(FEDATA_REG, vec);
	w32(FEADDR_REG, 0xfee00000u | (u32)lapic_id() << 12);
	w32(FEUADDR_REG, 0);
	w32(FECTL_REG, masked ? ECTL_IM : 0);
	REQUIRE(edu_to_ram(E0, 0, IOVA_A, 64), "DMA timed out");
	delay_ticks(2);
	if (masked) {
		REQUIRE(irq_count[vec] == 0, "fault interrupt delivered while FECTL.IM=1");
		REQUIRE(r32(FECTL_REG) & ECTL_IP, "FECTL.IP not set (0x%x)", r32(FECTL_REG));
		w32(FECTL_REG, 0);
	}
	REQUIRE(wait_for(irq_seen, &vec, 20), "no fault event interrupt (vector 0x%x)", vec);
	REQUIRE(irq_count[vec] == 1, "%lu fault interrupts for one fault", irq_count[vec]);
	REQUIRE(!(r32(FECTL_REG) & ECTL_IP), "FECTL.IP still set after delivery");
	return PASS_;
}

/* ---- 7. Caching (6.1 "Caching Mode", 6.5 "Invalidation of Translation Caches") ----
 * The spec lets hardware cache; this platform's unit must, so that a missing invalidation is
 * visible. A change is made in memory without invalidation (the old translation must still be
 * used), then an invalidation that does not cover it (still old, when the unit reports that
 * granularity), then the right one (the new translation must be used). Writes of the edu buffer
 * to IOVA_A show which page the unit used: HPA_A (old) or HPA_B (new). */
enum { OLD, NEW, NEITHER };
static u64 cur_iova;
static int landed(void)
{
	memset((void *)HPA_A, 0, 64);
	memset((void *)HPA_B, 0, 64);
	if (!edu_to_ram(E0, 0, cur_iova, 64))
		return NEITHER;
	return has(HPA_A, 64, 0x21) ? OLD : has(HPA_B, 64, 0x21) ? NEW : NEITHER;
}
static const char *where[] = { "old page", "new page", "neither page" };

static int cache_setup(bool qi, u64 **leaf, u64 iova)
{
	cur_iova = iova;
	if (!xlate_setup(3))
		FAILF("TE not enabled");
	if (!buf_load(0x21))
		FAILF("buffer load timed out");
	if (qi && !qi_enable(0))
		FAILF("QIE failed");
	*leaf = dom_map(&D, iova, HPA_A, PAGE, SL_RW);
	int w = landed();   /* fills the IOTLB */
	REQUIRE(w == OLD, "first DMA went to the %s", where[w]);
	return PASS_;
}

/* A coarser actual granularity than requested is allowed by the spec (CAIG/IAIG); the platform's
 * own unit must not need it. */
static int coarse(const char *what, u64 got, int want)
{
	if (qemu && U.qi)
		SKIPF("QEMU empties more than the requested %s granularity %d (a queued domain-selective "
		      "context invalidation runs vtd_context_global_invalidate)", what, want);
	if (qemu)
		SKIPF("QEMU performs %s invalidation at granularity %u when %d is requested (reported in "
		      "CAIG/IAIG, which the spec allows)", what, (unsigned)got, want);
	FAILF("%s invalidation at granularity %u for request %d: the cache is emptied too widely", what,
	      (unsigned)got, want);
}

static int t_cache_iotlb(bool qi, int g, unsigned am)
{
	u64 *leaf;
	/* with AM > 0 the changed page is the last of the 2^AM-page region, not its first */
	int r = cache_setup(qi, &leaf, IOVA_A + (am ? ((1UL << am) - 1) * PAGE : 0));
	if (r != PASS_)
		return r;
	if (g == GRAN_DEVICE && !(U.cap & CAP_PSI))
		SKIPF("CAP.PSI clear");
	if (am > CAP_MAMV(U.cap))
		SKIPF("MAMV %u < %u", (unsigned)CAP_MAMV(U.cap), am);
	*leaf = HPA_B | SL_RW;
	barrier();
	int w = landed();
	if (w == NEW)
		FAILF("a PTE change was used without any invalidation: the unit does not cache translations");
	REQUIRE(w == OLD, "DMA went to the %s", where[w]);
	/* an invalidation that does not cover IOVA_A */
	u64 got;
	if (g != GRAN_GLOBAL) {
		got = inv_iotlb(g, g == GRAN_DOMAIN ? 7 : 1, IOVA_A + (PAGE << am) * 2, am);
		REQUIRE(got != 0xff, "invalidation did not complete");
		w = landed();
		if (w == NEW)
			return coarse("IOTLB", got, g);
		REQUIRE(w == OLD, "DMA went to the %s", where[w]);
	}
	/* the right one: for AM > 0 the address is the start of the 2^AM-page region */
	got = inv_iotlb(g, 1, IOVA_A & ~((PAGE << am) - 1), am);
	REQUIRE(got != 0xff, "invalidation did not complete");
	w = landed();
	REQUIRE(w == NEW, "after the invalidation the DMA went to the %s", where[w]);
	return PASS_;
}

/* Context cache: the context entry is switched to a second domain (DID 2, IOVA_A -> HPA_B);
 * IOTLB invalidations alone must not make the unit re-read it. */
static int t_cache_ctx(bool qi, int g)
{
	u64 *leaf;
	int r = cache_setup(qi, &leaf, IOVA_A);
	if (r != PASS_)
		return r;
	struct dom d2;
	dom_init(&d2, 3, 2);
	dom_map(&d2, IOVA_A, HPA_B, PAGE, SL_RW);
	attach(&d2, E0->bus, E0->devfn);
	inv_iotlb(GRAN_GLOBAL, 0, 0, 0);
	int w = landed();
	if (w == NEW)
		FAILF("a context-entry change was used without context invalidation: no context cache");
	REQUIRE(w == OLD, "DMA went to the %s", where[w]);
	u64 got;
	if (g != GRAN_GLOBAL) {
		/* device-selective for another source-id, or domain-selective for another domain */
		got = inv_ctx(g, 7, edu_sid(E1));
		REQUIRE(got != 0xff, "invalidation did not complete");
		inv_iotlb(GRAN_GLOBAL, 0, 0, 0);
		w = landed();
		if (w == NEW)
			return coarse("context-cache", got, g);
		REQUIRE(w == OLD, "DMA went to the %s", where[w]);
	}
	/* 6.5.3.x: domain-selective uses the DID of the cached (old) entry */
	got = inv_ctx(g, 1, edu_sid(E0));
	REQUIRE(got != 0xff, "invalidation did not complete");
	inv_iotlb(GRAN_GLOBAL, 0, 0, 0);
	w = landed();
	REQUIRE(w == NEW, "after the context invalidation the DMA went to the %s", where[w]);
	return PASS_;
}

/* Caching mode (6.1 "Caching Mode"; 10.4.2 CAP_REG.CM): with CM=0 hardware does not cache
 * not-present or erroneous entries, so making an entry present needs no invalidation; with CM=1
 * it may cache them, and software must invalidate after a not-present -> present change. A
 * cached not-present context entry is tagged with domain-id 0 (reserved when CM=1), so its
 * invalidation names DID 0. The platform's unit caches them with CM=1, so that a missing
 * invalidation shows; QEMU is allowed not to. Here the new mapping is IOVA_A -> HPA_A, so
 * landed() says OLD when the DMA used it. */
static int np_uncached(const char *what)
{
	if (qemu)
		SKIPF("QEMU does not cache a not-present %s with CM=1 (allowed: 'may cache')", what);
	FAILF("CM=1: the not-present %s the DMA hit was not cached: made present without invalidation "
	      "it was used at once", what);
}

/* Runs one DMA to cur_iova that must be blocked with reason `fr` (one record, cleared). */
static int np_blocked(unsigned fr, const char *when)
{
	int w = landed();
	REQUIRE(w == NEITHER, "%s: the DMA went to the %s", when, where[w]);
	int r = one_fault(edu_sid(E0), cur_iova, true, fr);
	if (r == FAIL_) {
		char q[200];
		snprintf(q, sizeof q, "%s", why);
		FAILF("%s: %s", when, q);
	}
	return r;
}

/* Runs one DMA to cur_iova that must land at HPA_A with no fault recorded. */
static int np_used(const char *when)
{
	int w = landed();
	REQUIRE(w == OLD, "%s: the DMA went to the %s", when, where[w]);
	u64 lo, hi;
	int n = faults_find(&lo, &hi);
	REQUIRE(n == 0, "%s: %d fault records (reason 0x%x)", when, n, (unsigned)FRCD_FR(hi));
	return PASS_;
}

/* A not-present leaf (the leaf table exists: the next page is mapped) that the DMA hit. */
static int t_cache_np_leaf(bool qi)
{
	cur_iova = IOVA_A;
	if (!xlate_setup(3))
		FAILF("TE not enabled");
	if (!buf_load(0x21))
		FAILF("buffer load timed out");
	if (qi && !qi_enable(0))
		FAILF("QIE failed");
	dom_map(&D, IOVA_A + PAGE, HPA_C, PAGE, SL_RW);
	int r = np_blocked(FR_WRITE, "leaf not present");
	if (r != PASS_)
		return r;
	dom_map(&D, IOVA_A, HPA_A, PAGE, SL_RW);
	if (!(U.cap & CAP_CM))
		return np_used("CM=0, leaf made present without invalidation");
	if (landed() == OLD)
		return np_uncached("leaf entry");
	faults_clear();
	r = np_blocked(FR_WRITE, "CM=1, leaf made present without invalidation");
	if (r != PASS_)
		return r;
	u64 got = inv_iotlb(GRAN_DOMAIN, 7, 0, 0);      /* another domain: must not cover it */
	REQUIRE(got != 0xff, "invalidation did not complete");
	if (landed() == OLD)
		return coarse("IOTLB", got, GRAN_DOMAIN);
	faults_clear();
	r = np_blocked(FR_WRITE, "CM=1, after an IOTLB invalidation of domain 7");
	if (r != PASS_)
		return r;
	got = inv_iotlb(GRAN_DEVICE, D.did, IOVA_A, 0);
	REQUIRE(got != 0xff, "invalidation did not complete");
	return np_used("CM=1, after the page-selective IOTLB invalidation");
}

/* A not-present context entry that the DMA hit, then made present (DID 1). */
static int t_cache_np_ctx(bool qi)
{
	cur_iova = IOVA_A;
	if (!xlate_setup(3))
		FAILF("TE not enabled");
	if (!buf_load(0x21))
		FAILF("buffer load timed out");
	if (qi && !qi_enable(0))
		FAILF("QIE failed");
	dom_map(&D, IOVA_A, HPA_A, PAGE, SL_RW);
	struct context_entry *ce = ctx_slot(E0->bus, E0->devfn);
	u64 lo = ce->lo, hi = ce->hi;
	ce->lo = 0;      /* never used so far: the reset emptied the caches */
	ce->hi = 0;
	barrier();
	int r = np_blocked(FR_CTX_P, "context entry not present");
	if (r != PASS_)
		return r;
	set_ctx(E0->bus, E0->devfn, lo, hi);
	if (!(U.cap & CAP_CM))
		return np_used("CM=0, context entry made present without invalidation");
	if (landed() == OLD)
		return np_uncached("context entry");
	faults_clear();
	r = np_blocked(FR_CTX_P, "CM=1, context entry made present without invalidation");
	if (r != PASS_)
		return r;
	/* an IOTLB invalidation and a context invalidation of another device do not cover it */
	inv_iotlb(GRAN_GLOBAL, 0, 0, 0);
	u64 got = inv_ctx(GRAN_DEVICE, 0, edu_sid(E1));
	REQUIRE(got != 0xff, "invalidation did not complete");
	if (landed() == OLD)
		return coarse("context-cache", got, GRAN_DEVICE);
	faults_clear();
	r = np_blocked(FR_CTX_P, "CM=1, after IOTLB and other-device context invalidations");
	if (r != PASS_)
		return r;
	got = inv_ctx(GRAN_DEVICE, 0, edu_sid(E0));     /* 6.1: DID 0 for a cached not-present entry */
	REQUIRE(got != 0xff, "invalidation did not complete");
	return np_used("CM=1, after the device-selective context invalidation with DID 0");
}

/* ---- 8. Interrupt address range (3.14 "Handling Requests to Interrupt Address Range") ----
 * A DMA write to 0xFEEx_xxxx is an interrupt request, never translated to memory, even when a
 * second-level entry maps that IOVA. With interrupt remapping off it is delivered as a
 * compatibility-format interrupt. */
static int t_irange(bool mapped)
{
	if (opt_edumask < 32)
		SKIPF("edu's DMA mask is %lu bits: it cannot address 0xFEE00000", opt_edumask);
	if (!xlate_setup(3))
		FAILF("TE not enabled");
	/* buffer word 0: MSI data, fixed delivery, edge, vector V_IRANGE */
	fill(STAGE, PAGE, 0x13);
	*(volatile u32 *)STAGE = V_IRANGE;
	gcmd(GCMD_TE, false);
	REQUIRE(edu_from_ram(E0, STAGE, 0, PAGE), "buffer load timed out");
	gcmd(GCMD_TE, true);
	u64 addr = 0xfee00000UL | (u64)lapic_id() << 12;
	if (mapped) {
		dom_map(&D, addr, HPA_B, PAGE, SL_RW);
		memset((void *)HPA_B, SENT, PAGE);
	}
	u8 vec = V_IRANGE;
	irq_count[vec] = 0;
	REQUIRE(edu_to_ram(E0, 0, addr, 4), "DMA timed out");
	bool irq = wait_for(irq_seen, &vec, 20);
	u64 lo, hi;
	int n = faults_find(&lo, &hi);
	REQUIRE(!mapped || all(HPA_B, PAGE, SENT), "the write landed in the memory the IOVA maps");
	REQUIRE(n == 0, "DMA fault recorded (reason 0x%x, FI 0x%lx): the request was translated",
		(unsigned)FRCD_FR(hi), lo);
	REQUIRE(irq, "no interrupt: the request was not delivered as an interrupt");
	return PASS_;
}

/* ---- 9. A converted real device: IDE bus-master DMA (3.6, 9.8, 7.2) ----
 * The PCI IDE function's bus master fetches its PRD table and moves sector data through the unit
 * with the function's own requester ID. Its disk is reached independently by PIO (no DMA), so both
 * directions are checked at the host-physical pages: READ DMA (the device writes memory) of
 * sectors written by PIO, WRITE DMA (the device reads memory) of a pattern read back by PIO. */
#define IDE_LBA 16
#define IDE_MAX 8               /* sectors per transfer */
/* ---- 9. The edu device itself (tests/platforms/bochs-vtd/README.md "edu: directive"; QEMU
 * docs/specs/edu.rst) ---- */

/* Loads edu `e`'s whole buffer with pattern `seed` (TE off). */
static bool edu_load(const struct edu *e, u8 seed)
{
	fill(STAGE, PAGE, seed);
	return edu_from_ram(e, STAGE, 0, PAGE);
}

/* Runs one transfer with the interrupt bit and checks that it completes and sets status bit
 * 0x100 (then acknowledged). */
static int edu_done_irq(const struct edu *e, u64 src, u64 dst, u32 len, bool to_ram, const char *dir)
{
	mmio_w32(e->mmio + 0x64, ~0u);
	REQUIRE(edu_cmd(e, src, dst, len, EDU_CMD_RUN | EDU_CMD_IRQ | (to_ram ? EDU_CMD_TO_RAM : 0)),
		"%s with Bus Master Enable clear did not complete", dir);
	u32 st = mmio_r32(e->mmio + 0x24);
	REQUIRE(st & EDU_IRQ_DMA, "%s with Bus Master Enable clear: interrupt status 0x%x, no 0x100", dir, st);
	mmio_w32(e->mmio + 0x64, st);
	return PASS_;
}

/* PCI 3.0 6.2.2 Command register bit 2 (Bus Master): with it clear the function issues no memory
 * requests. A transfer in either direction moves nothing; the command still completes and raises
 * its interrupt status (the README's claim; QEMU's edu does the same, its DMA going nowhere). */
static int t_edu_bus_master_off(void)
{
	unit_reset();   /* TE off: an untranslated DMA would land at the address */
	if (!edu_load(E0, 0x71))
		FAILF("buffer load timed out");
	memset((void *)HPA_A, 0x33, PAGE);
	fill(HPA_B, PAGE, 0x72);
	u16 cmd = pci_r16(E0->bus, E0->devfn, 4);
	pci_w16(E0->bus, E0->devfn, 4, cmd & ~0x4);
	int r = edu_done_irq(E0, EDU_BUF, HPA_A, PAGE, true, "buffer-to-RAM");
	if (r == PASS_)
		r = edu_done_irq(E0, HPA_B, EDU_BUF, PAGE, false, "RAM-to-buffer");
	pci_w16(E0->bus, E0->devfn, 4, cmd);
	if (r != PASS_)
		return r;
	REQUIRE(all(HPA_A, PAGE, 0x33), "buffer-to-RAM with Bus Master Enable clear wrote memory");
	memset((void *)HPA_C, 0, PAGE);
	REQUIRE(edu_to_ram(E0, 0, HPA_C, PAGE), "DMA timed out");
	REQUIRE(!has(HPA_C, PAGE, 0x72), "RAM-to-buffer with Bus Master Enable clear read memory into the buffer");
	/* the project's edu leaves its buffer as it was; QEMU's fills it with what its disabled
	 * bus-master address space returns (the read fails, edu ignores the failure) */
	REQUIRE(qemu || has(HPA_C, PAGE, 0x71), "the buffer changed (it is not the loaded pattern)");
	return PASS_;
}

/* QEMU's edu ANDs the RAM-side DMA address with its DMA mask (dma_mask, default 28 bits): an
 * address at or above 2^bits reaches the address below it, and the unmasked one is not touched.
 * The device: the first edu (edumask) or the second (edu1mask), whichever is below 64 bits. */
static int t_edu_dma_mask(void)
{
	u64 bits = opt_edumask < 64 ? opt_edumask : opt_edu1mask;
	const struct edu *e = opt_edumask < 64 ? E0 : E1;
	if (bits >= 64)
		SKIPF("both edu devices have 64-bit DMA addresses (edumask, edu1mask): nothing is masked");
	if (bits <= 28)         /* HPA_A.. lie below 2^27: the masked addresses are unchanged */
		REQUIRE(HPA_C + PAGE <= BIT(bits), "edu%u's mask of %lu bits is below the test pages", e == E1, bits);
	unit_reset();
	if (!edu_load(e, 0x61))
		FAILF("buffer load timed out");
	u64 alias = HPA_A + BIT(bits);           /* the unmasked address, when it is RAM */
	bool ram = alias + PAGE <= mem_top() && alias + PAGE <= 4 * GiB;
	if (ram)
		memset((void *)alias, SENT, PAGE);
	memset((void *)HPA_A, 0, PAGE);
	REQUIRE(edu_to_ram(e, 0, alias, 0x100), "DMA timed out");
	REQUIRE(has(HPA_A, 0x100, 0x61), "buffer-to-RAM at 0x%lx did not land at 0x%lx (masked to %lu bits)",
		alias, HPA_A, bits);
	REQUIRE(!ram || all(alias, PAGE, SENT), "buffer-to-RAM at 0x%lx wrote the unmasked address", alias);
	u64 high = HPA_B | (~0UL << bits);       /* every bit above the mask set */
	fill(HPA_B, 0x100, 0x62);
	REQUIRE(edu_from_ram(e, high, 0x200, 0x100), "DMA timed out");
	memset((void *)HPA_C, 0, PAGE);
	REQUIRE(edu_to_ram(e, 0x200, HPA_C, 0x100), "DMA timed out");
	REQUIRE(has(HPA_C, 0x100, 0x62), "RAM-to-buffer from 0x%lx did not read 0x%lx (masked to %lu bits)",
		high, HPA_B, bits);
	return PASS_;
}

static void edu_tests(void)
{
	report("edu/bus-master-off", t_edu_bus_master_off());
	report("edu/dma-mask", t_edu_dma_mask());
}

static bool ide_present;
static u8 sect[IDE_MAX * 512] __attribute__((aligned(16)));

static int ide_gate(void)
{
	if (ide_present)
		return PASS_;
	if (arg_num("ide", 0))
		FAILF("no PCI IDE controller with an ATA disk offering DMA, but the platform was configured with one");
	SKIPF("no PCI IDE controller with an ATA disk (ide=0)");
}

/* The PRD table (SFF-8038i 1.2: physical base address, byte count 15:1, EOT bit 31) with one
 * entry, at IOVA_PRD whose host page is `prd_hpa`. */
static void ide_prd(u64 prd_hpa, u64 iova, u32 len)
{
	volatile u32 *prd = (volatile u32 *)prd_hpa;
	prd[0] = (u32)iova;
	prd[1] = BIT(31) | len;
	barrier();
}

/* Bytes [0, len) of the transfer live at hpa (the first `first` bytes) and hpa2 (the rest). */
static u8 *ide_byte(u64 hpa, u64 hpa2, u64 first, u64 i)
{
	return i < first ? (u8 *)hpa + i : (u8 *)hpa2 + (i - first);
}

/* Both directions through one mapping of `size` at iova -> hpa (hpa2: the next IOVA page maps
 * there instead, for a transfer across the page boundary). */
static int ide_xlate(int levels, u64 iova, u64 hpa, u64 size, u32 len, u64 hpa2)
{
	int r = ide_gate();
	if (r != PASS_)
		return r;
	if (levels == 4 && !(CAP_SAGAW(U.cap) & 4))
		SKIPF("SAGAW 0x%x: no 4-level tables", (unsigned)CAP_SAGAW(U.cap));
	if (size == 2 * MiB && !(CAP_SLLPS(U.cap) & 1))
		SKIPF("SLLPS: no 2 MiB pages");
	if (size == 1 * GiB && !(CAP_SLLPS(U.cap) & 2))
		SKIPF("SLLPS: no 1 GiB pages");
	if (size == 1 * GiB && mem_top() < 1 * GiB + 256 * MiB)
		SKIPF("needs 1.25 GiB of RAM below 4 GiB (have %lu MiB)", mem_top() / MiB);
	unsigned n = len / 512;
	REQUIRE(len % 512 == 0 && n <= IDE_MAX, "bad test transfer length 0x%x", len);
	if (!xlate_setup(levels))
		FAILF("TE not enabled");
	attach(&D, IDE.bus, IDE.devfn);
	dom_map(&D, iova & ~(size - 1), hpa & ~(size - 1), size, SL_RW);
	u64 first = len;
	if (hpa2) {
		dom_map(&D, (iova & ~(PAGE - 1)) + PAGE, hpa2, PAGE, SL_RW);
		first = PAGE - (iova & (PAGE - 1));
	}
	u64 prd_hpa = size == 1 * GiB ? 1 * GiB + IOVA_PRD : HPA_PRD;
	if (size != 1 * GiB)
		dom_map(&D, IOVA_PRD, HPA_PRD, PAGE, SL_R);      /* the device only reads its PRDs */
	ide_prd(prd_hpa, iova, len);
	/* the host pages around the transfer: zero, so a misplaced byte shows */
	u64 pg = hpa & ~(PAGE - 1), pg_end = hpa2 ? pg + PAGE : (hpa + len + PAGE - 1) & ~(PAGE - 1);
	memset((void *)pg, 0, pg_end - pg);
	if (hpa2)
		memset((void *)hpa2, 0, PAGE);

	/* device writes memory: READ DMA of sectors the program wrote by PIO */
	fill((u64)sect, len, 0x63);
	REQUIRE(ide_pio_write(IDE_LBA, n, sect), "PIO write of the disk failed");
	int st = ide_dma(IDE_LBA, n, (u32)IOVA_PRD, true);
	REQUIRE(st >= 0, "READ DMA did not end");
	REQUIRE(!(st & BMIDE_ERROR) && (st & BMIDE_IRQ), "READ DMA ended with bus-master status 0x%x", st);
	for (u64 i = 0; i < len; i++) {
		u8 got = *ide_byte(hpa, hpa2, first, i);
		REQUIRE(got == pat(0x63, i), "byte %u at host page 0x%lx is 0x%x, want 0x%x", (unsigned)i,
			(u64)ide_byte(hpa, hpa2, first, i) & ~(PAGE - 1), got, pat(0x63, i));
	}
	REQUIRE(all(pg, hpa - pg, 0) && all(hpa + first, (hpa2 ? pg + PAGE : pg_end) - (hpa + first), 0) &&
		(!hpa2 || all(hpa2 + (len - first), PAGE - (len - first), 0)),
		"READ DMA wrote outside the transfer's bytes");

	/* device reads memory: WRITE DMA of a new pattern, read back by PIO */
	for (u64 i = 0; i < len; i++)
		*ide_byte(hpa, hpa2, first, i) = pat(0x74, i);
	memset(sect, 0, len);
	REQUIRE(ide_pio_write(IDE_LBA, n, sect), "PIO write of the disk failed");
	st = ide_dma(IDE_LBA, n, (u32)IOVA_PRD, false);
	REQUIRE(st >= 0, "WRITE DMA did not end");
	REQUIRE(!(st & BMIDE_ERROR) && (st & BMIDE_IRQ), "WRITE DMA ended with bus-master status 0x%x", st);
	REQUIRE(ide_pio_read(IDE_LBA, n, sect), "PIO read of the disk failed");
	REQUIRE(has((u64)sect, len, 0x74), "the disk did not receive the bytes at the host pages");

	REQUIRE(sentinels_ok(), "an untranslated access touched identity-mapped memory");
	u64 f_lo, f_hi;
	REQUIRE(faults_find(&f_lo, &f_hi) == 0, "unexpected fault, reason 0x%x FI 0x%lx SID 0x%x",
		(unsigned)FRCD_FR(f_hi), f_lo, (unsigned)FRCD_SID(f_hi));
	return PASS_;
}

/* 7.1.3 reasons 5 and 6: sector data to/from an IOVA with no mapping (the PRD table is mapped),
 * or the PRD table itself unmapped, is blocked and recorded once with the IDE function's
 * source-id; nothing reaches the identity page. The one-sector transfer runs here; its
 * bus-master status is returned in *st, the faulting IOVA in *fi. */
enum ide_bad { BAD_DATA_WRITE, BAD_DATA_READ, BAD_PRD };
static int ide_bad_dma(enum ide_bad bad, int *st, u64 *fi)
{
	int r = ide_gate();
	if (r != PASS_)
		return r;
	if (!xlate_setup(3))
		FAILF("TE not enabled");
	attach(&D, IDE.bus, IDE.devfn);
	dom_map(&D, IOVA_A, HPA_A, PAGE, SL_RW);
	u64 prd_iova = IOVA_PRD, data_iova = IOVA_B + 0x200;
	if (bad == BAD_PRD) {
		prd_iova = IOVA_B + 0x100;      /* no mapping; its identity page holds the sentinel */
		data_iova = IOVA_A + 0x200;
	} else {
		dom_map(&D, IOVA_PRD, HPA_PRD, PAGE, SL_R);
		ide_prd(HPA_PRD, data_iova, 512);
	}
	fill(HPA_A, PAGE, 0x96);
	fill((u64)sect, 512, 0x85);
	REQUIRE(ide_pio_write(IDE_LBA, 1, sect), "PIO write of the disk failed");
	*fi = bad == BAD_PRD ? prd_iova : data_iova;
	*st = ide_dma(IDE_LBA, 1, (u32)prd_iova, bad == BAD_DATA_WRITE);
	REQUIRE(bad != BAD_PRD || has(HPA_A, PAGE, 0x96), "data moved through a PRD that was never fetched");
	return PASS_;
}

static int ide_fault(enum ide_bad bad)
{
	int st;
	u64 fi;
	int r = ide_bad_dma(bad, &st, &fi);
	if (r != PASS_)
		return r;
	bool write = bad == BAD_DATA_WRITE;
	REQUIRE(st >= 0, "%s DMA did not end", write ? "READ" : "WRITE");
	return one_fault(ide_sid(), fi, write, write ? FR_WRITE : FR_READ);
}

/* What the function sees. A blocked read is completed with an error (7.1: the remapping hardware
 * treats a faulting untranslated request as an Unsupported Request), which a bus master takes
 * as a master abort (PIIX BMISX bit 1 "IDE DMA Error"): the transfer stops, nothing reaches the
 * disk, and the driver resets the drive. A blocked write is posted: the transfer completes. */
static int ide_abort(enum ide_bad bad)
{
	int st;
	u64 fi;
	int r = ide_bad_dma(bad, &st, &fi);
	faults_clear();
	if (r != PASS_)
		return r;
	bool write = bad == BAD_DATA_WRITE;
	REQUIRE(st >= 0, "the transfer neither ended nor stopped (bus-master status 0x%x)", inb(IDE.bm + 2));
	if (write) {
		REQUIRE(!(st & BMIDE_ERROR) && (st & BMIDE_IRQ) && !(st & BMIDE_ACTIVE),
			"bus-master status 0x%x after a blocked (posted) write, expected 0x4", st);
	} else if (!(st & BMIDE_ERROR) || (st & BMIDE_ACTIVE)) {
		if (qemu)
			SKIPF("QEMU's PIIX IDE does not report a blocked bus-master read to the function "
			      "(bus-master status 0x%x, no Error)", st);
		FAILF("bus-master status 0x%x after a blocked read: Error clear or Active still set", st);
	}
	REQUIRE(ide_pio_read(IDE_LBA, 1, sect), "PIO read of the disk after the transfer failed (drive not recovered)");
	REQUIRE(write || has((u64)sect, 512, 0x85), "the disk sector was overwritten by a transfer whose read was blocked");
	return PASS_;
}

int main(void)
{
	rt_init();
	printf("vtd-model: VT-d remapping-unit tests, command line '%s'\n", rt_cmdline());
	qemu = arg("platform") && !strncmp(arg("platform"), "qemu", 4);
	U.base = arg_num("vtd", 0xfed90000);
	opt_aw = arg_num("aw", 48);
	opt_nfr = arg_num("nfr", 1);
	opt_cm = arg_num("cm", 0);
	opt_ir = arg_num("ir", 1);
	opt_eim = arg_num("eim", 0);
	opt_pi = arg_num("pi", 0);
	opt_pt = arg_num("pt", 1);
	opt_sllps = arg_num("sllps", 3);
	opt_edumask = arg_num("edumask", 64);   /* width of the first edu's DMA addresses */
	opt_edu1mask = arg_num("edu1mask", 64); /* the second's */
	U.cap = r64(CAP_REG);
	U.ecap = r64(ECAP_REG);
	U.fro = CAP_FRO(U.cap);
	U.iro = ECAP_IRO(U.ecap);
	U.nfr = (unsigned)CAP_NFR(U.cap);
	edu_find();
	printf("vtd-model: unit at 0x%lx VER 0x%x CAP 0x%lx ECAP 0x%lx; %d edu devices; %lu MiB\n", U.base,
	       r32(VER_REG), U.cap, U.ecap, n_edu, mem_top() / MiB);
	if ((U.cap == ~0UL || U.cap == 0) && arg_num("unit", 1) == 0) {
		/* unit=0: a platform without a VT-d unit (stock Bochs): only the CPU tests (cpufix.c) */
		snprintf(why, sizeof why, "unit=0: no VT-d unit on this platform, only the cpu/ tests run");
		report("vtd-model/unit", SKIP_);
		cpu_tests();
		printf("%u passed, %u failed\n", n_pass, n_fail);
		return n_fail ? 1 : 0;
	}
	if (U.cap == ~0UL || U.cap == 0 || n_edu < 2) {
		printf("FAIL vtd-model/setup: no unit at 0x%lx or fewer than 2 edu devices\n", U.base);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	E0 = &EDU[0];
	E1 = &EDU[1];
	if (arg("only") && !strncmp(arg("only"), "edu", 3)) {   /* only=edu: the edu device's own tests */
		edu_tests();
		printf("%u passed, %u failed\n", n_pass, n_fail);
		return n_fail ? 1 : 0;
	}

	report("id/version", t_version());
	report("id/cap", t_cap());
	report("id/ecap", t_ecap());
	report("id/read-only", t_readonly());
	report("id/access-widths", t_widths());
	report("gcmd/srtp", t_srtp());
	report("gcmd/te", t_te());
	report("gcmd/qie", t_qie());
	report("gcmd/sirtp-ire", t_gcmd_ir(false));
	report("gcmd/cfi", t_gcmd_ir(true));
	report("reginv/ccmd-global", t_reg_ccmd(GRAN_GLOBAL));
	report("reginv/ccmd-domain", t_reg_ccmd(GRAN_DOMAIN));
	report("reginv/ccmd-device", t_reg_ccmd(GRAN_DEVICE));
	report("reginv/iotlb-global", t_reg_iotlb(GRAN_GLOBAL));
	report("reginv/iotlb-domain", t_reg_iotlb(GRAN_DOMAIN));
	report("reginv/iotlb-page", t_reg_iotlb(GRAN_DEVICE));
	report("qi/descriptors", t_qi_descs());
	report("qi/wrap-256", t_qi_wrap(0));
	report("qi/wrap-512", t_qi_wrap(1));
	report("qi/wait-interrupt", t_qi_wait_if(false));
	report("qi/wait-interrupt-masked", t_qi_wait_if(true));
	report("qi/iqe-unknown-type", t_qi_iqe(false));
	report_recovery("qi/iqe-unknown-type-recovery");
	report("qi/iqe-reserved-bit", t_qi_iqe(true));
	report_recovery("qi/iqe-reserved-bit-recovery");
	report("xlate/4k-3level", t_xlate(3, PAGE));
	report("xlate/4k-4level", t_xlate(4, PAGE));
	report("xlate/2m-3level", t_xlate(3, 2 * MiB));
	report("xlate/2m-4level", t_xlate(4, 2 * MiB));
	report("xlate/1g-3level", t_xlate(3, 1 * GiB));
	report("xlate/1g-4level", t_xlate(4, 1 * GiB));
	report("xlate/cross-page", t_xlate_cross());
	report("xlate/pass-through", t_passthrough());
	report("fault/1-root-not-present", t_fault(FR_ROOT_P, true));
	report("fault/2-context-not-present", t_fault(FR_CTX_P, false));
	report("fault/3-context-bad-aw", t_fault(FR_CTX_INV, true));
	report("fault/3-context-tt-reserved", t_fault_tt());
	report("fault/4-beyond-agaw", t_fault(FR_AGAW, true));
	report("fault/5-write-read-only", t_fault(FR_WRITE, true));
	report("fault/6-read-write-only", t_fault(FR_READ, false));
	report("fault/5-write-not-present", t_fault(NOT_PRESENT, true));
	report("fault/6-read-not-present", t_fault(NOT_PRESENT, false));
	report("fault/7-slpte-access", t_fault(FR_SLPTE_ACC, false));
	report("fault/8-root-access", t_fault(FR_ROOT_ACC, true));
	report("fault/9-context-access", t_fault(FR_CTX_ACC, true));
	report("fault/a-root-reserved", t_fault(FR_ROOT_RSVD, true));
	report("fault/b-context-reserved", t_fault(FR_CTX_RSVD, true));
	report("fault/c-slpte-reserved", t_fault(FR_SLPTE_RSVD, false));
	snprintf(why, sizeof why, "edu issues no translation requests (ATS), the only requests reason 0xD applies to");
	report("fault/d-tt-blocked", SKIP_);
	report("fault/fpd", t_fault_fpd());
	report("fault/overflow", t_fault_overflow());
	report("fault/event-interrupt", t_fault_event(false));
	report("fault/event-masked", t_fault_event(true));
	for (int qi = 0; qi < 2; qi++) {
		char n[64];
		const char *m = qi ? "cache-qi" : "cache-reg";
		snprintf(n, sizeof n, "%s/iotlb-page", m); report(n, t_cache_iotlb(qi, GRAN_DEVICE, 0));
		snprintf(n, sizeof n, "%s/iotlb-page-am2", m); report(n, t_cache_iotlb(qi, GRAN_DEVICE, 2));
		snprintf(n, sizeof n, "%s/iotlb-domain", m); report(n, t_cache_iotlb(qi, GRAN_DOMAIN, 0));
		snprintf(n, sizeof n, "%s/iotlb-global", m); report(n, t_cache_iotlb(qi, GRAN_GLOBAL, 0));
		snprintf(n, sizeof n, "%s/context-device", m); report(n, t_cache_ctx(qi, GRAN_DEVICE));
		snprintf(n, sizeof n, "%s/context-domain", m); report(n, t_cache_ctx(qi, GRAN_DOMAIN));
		snprintf(n, sizeof n, "%s/context-global", m); report(n, t_cache_ctx(qi, GRAN_GLOBAL));
		snprintf(n, sizeof n, "%s/not-present-leaf", m); report(n, t_cache_np_leaf(qi));
		snprintf(n, sizeof n, "%s/not-present-context", m); report(n, t_cache_np_ctx(qi));
	}
	report("irange/mapped-iova", t_irange(true));
	report("irange/unmapped-iova", t_irange(false));
	ide_present = ide_find();
	if (ide_present)
		printf("vtd-model: IDE %02x:%02x.%x (source-id 0x%x), ATA disk on channel %u device %u\n", IDE.bus,
		       IDE.devfn >> 3, IDE.devfn & 7, ide_sid(), IDE.channel, IDE.dev);
	else
		printf("vtd-model: no PCI IDE controller with an ATA disk\n");
	report("ide/4k-3level", ide_xlate(3, IOVA_A + 0x200, HPA_A + 0x200, PAGE, 0x800, 0));
	report("ide/4k-4level", ide_xlate(4, IOVA_A + 0x200, HPA_A + 0x200, PAGE, 0x800, 0));
	for (int l = 3; l <= 4; l++) {
		char n[32];
		snprintf(n, sizeof n, "ide/2m-%dlevel", l);
		report(n, ide_xlate(l, IOVA_2M + 0x123e00, HPA_2M + 0x123e00, 2 * MiB, 0x400, 0));
		snprintf(n, sizeof n, "ide/1g-%dlevel", l);
		report(n, ide_xlate(l, IOVA_1G + 0x3f00, 1 * GiB + IOVA_1G + 0x3f00, 1 * GiB, 0x400, 0));
	}
	report("ide/cross-page", ide_xlate(3, IOVA_X + 0xf00, HPA_A + 0xf00, PAGE, 0x400, HPA_C));
	report("ide/fault-5-write-unmapped", ide_fault(BAD_DATA_WRITE));
	report("ide/fault-6-read-unmapped", ide_fault(BAD_DATA_READ));
	report("ide/fault-6-prd-unmapped", ide_fault(BAD_PRD));
	report("ide/posted-write-blocked", ide_abort(BAD_DATA_WRITE));
	report("ide/read-abort-data", ide_abort(BAD_DATA_READ));
	report("ide/read-abort-prd", ide_abort(BAD_PRD));
	e1000_tests();
	edu_tests();
	unit_reset();
	ir_tests();
	cpu_tests();
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
