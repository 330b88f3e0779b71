/* Unit tests of the IRTE/PID/MSI/RTE encoders, the live-update order (iommu/vtd_irte.c) and arch/x86/atomic128.h. */
/* host-srcs: iommu/vtd_irte.c */
#define _GNU_SOURCE /* sigaction, ucontext register names */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdalign.h>
#include <signal.h>
#include <ucontext.h>
#include <string.h>
#include <cmocka.h>

#include "iommu/vtd_irte.h"
#include "arch/x86/atomic128.h"

/*
 * Bit positions are the VT-d specification's (rev 4.1): 9.10 remapped IRTE,
 * 9.11 posted IRTE, 9.12 posted-interrupt descriptor (and the SDM Vol. 3C
 * "Format of Posted-Interrupt Descriptor"), 5.1.2.2 remappable MSI, 5.1.5.1
 * remappable I/OxAPIC RTE, 6.5.2.7 IEC invalidate descriptor. A 128-bit
 * position p is bit p of lo when p < 64, bit p-64 of hi otherwise.
 */
static u64 b128(unsigned p, int half)
{
	if (half == 0)
		return p < 64 ? 1ULL << p : 0;
	return p >= 64 ? 1ULL << (p - 64) : 0;
}

#define EXPECT(e, p) do { assert_int_equal((e).lo, b128(0, 0) | b128((p), 0)); \
			  assert_int_equal((e).hi, b128((p), 1)); } while (0)

static struct vtd_irte remapped(struct vtd_irte_remapped r)
{
	return vtd_irte_remapped(&r);
}

static struct vtd_irte posted(struct vtd_irte_posted p)
{
	return vtd_irte_posted(&p);
}

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct vtd_irte), 16);
	assert_int_equal(alignof(struct vtd_irte), 16);
	assert_int_equal(sizeof(struct pi_desc), 64);
	assert_int_equal(alignof(struct pi_desc), 64);
	assert_int_equal(offsetof(struct pi_desc, ctl), 32); /* bit 256 starts the control word */
}

/* 9.10: P 0, FPD 1, DM 2, RH 3, TM 4, DLM 7:5, AVAIL 11:8, IM 15 = 0, V 23:16, DST 63:32. */
static void test_remapped_low_fields(void **state)
{
	(void)state;
	struct vtd_irte z = remapped((struct vtd_irte_remapped){ 0 });
	assert_int_equal(z.lo, 1); /* P only; IM (bit 15) is 0 */
	assert_int_equal(z.hi, 0);
	EXPECT(remapped((struct vtd_irte_remapped){ .fpd = true }), 1);
	EXPECT(remapped((struct vtd_irte_remapped){ .logical = true }), 2);
	EXPECT(remapped((struct vtd_irte_remapped){ .redirect_hint = true }), 3);
	EXPECT(remapped((struct vtd_irte_remapped){ .level = true }), 4);
	for (unsigned b = 0; b < 3; b++)
		EXPECT(remapped((struct vtd_irte_remapped){ .delivery = (u8)(1u << b) }), 5 + b);
	for (unsigned b = 0; b < 4; b++)
		EXPECT(remapped((struct vtd_irte_remapped){ .avail = (u8)(1u << b) }), 8 + b);
	for (unsigned b = 0; b < 8; b++)
		EXPECT(remapped((struct vtd_irte_remapped){ .vector = (u8)(1u << b) }), 16 + b);
}

/* 9.10 DST: x2APIC mode uses bits 63:32; xAPIC mode puts the 8-bit ID in DST[15:8] (bits 47:40). */
static void test_remapped_destination(void **state)
{
	(void)state;
	for (unsigned b = 0; b < 32; b++)
		EXPECT(remapped((struct vtd_irte_remapped){ .dest = 1u << b, .x2apic = true }), 32 + b);
	for (unsigned b = 0; b < 8; b++)
		EXPECT(remapped((struct vtd_irte_remapped){ .dest = 1u << b }), 40 + b);
	/* xAPIC: an ID above 0xff cannot leak into other DST bits */
	EXPECT(remapped((struct vtd_irte_remapped){ .dest = 0x100 }), 0);
	assert_int_equal(vtd_irte_dst(0x12, false), 0x1200);
	assert_int_equal(vtd_irte_dst(0x12345678, true), 0x12345678);
}

/* 9.10/9.11: SID 79:64, SQ 81:80, SVT 83:82; both formats. */
static void test_source_fields(void **state)
{
	(void)state;
	for (unsigned b = 0; b < 16; b++) {
		EXPECT(remapped((struct vtd_irte_remapped){ .sid = (u16)(1u << b) }), 64 + b);
		struct vtd_irte p = posted((struct vtd_irte_posted){ .sid = (u16)(1u << b) });
		assert_int_equal(p.hi, 1ULL << b);
	}
	for (unsigned b = 0; b < 2; b++) {
		EXPECT(remapped((struct vtd_irte_remapped){ .sq = (u8)(1u << b) }), 80 + b);
		EXPECT(remapped((struct vtd_irte_remapped){ .svt = (u8)(1u << b) }), 82 + b);
	}
	assert_int_equal(IRTE_HI_SVT(SVT_SID_SQ), 1ULL << 18);
	assert_int_equal(IRTE_HI_SVT(SVT_BUS), 1ULL << 19);
}

/* Every field at its maximum leaves the reserved bits of the remapped format clear. */
static void test_remapped_reserved_clear(void **state)
{
	(void)state;
	struct vtd_irte e = remapped((struct vtd_irte_remapped){
		.vector = 0xff, .dest = 0xffffffff, .x2apic = true, .logical = true,
		.redirect_hint = true, .level = true, .fpd = true, .delivery = 0xff, .avail = 0xff,
		.sid = 0xffff, .sq = 0xff, .svt = 0xff });
	assert_int_equal(e.lo, 0xffffffff00ff8fffULL & ~(1ULL << 15)); /* 14:12, 15, 31:24 clear */
	assert_int_equal(e.hi, 0x00000000000fffffULL);                 /* 127:84 clear */
}

/* 9.11: P 0, FPD 1, AVAIL 11:8, URG 14, IM 15 = 1, V 23:16, PDA[31:6] 63:38, PDA[63:32] 127:96. */
static void test_posted_fields(void **state)
{
	(void)state;
	struct vtd_irte z = posted((struct vtd_irte_posted){ 0 });
	assert_int_equal(z.lo, 1 | (1ULL << 15));
	assert_int_equal(z.hi, 0);
	struct vtd_irte e = posted((struct vtd_irte_posted){ .urgent = true });
	assert_int_equal(e.lo, 1 | (1ULL << 15) | (1ULL << 14));
	e = posted((struct vtd_irte_posted){ .fpd = true });
	assert_int_equal(e.lo, 1 | (1ULL << 15) | (1ULL << 1));
	for (unsigned b = 0; b < 8; b++) {
		e = posted((struct vtd_irte_posted){ .vector = (u8)(1u << b) });
		assert_int_equal(e.lo, 1 | (1ULL << 15) | (1ULL << (16 + b)));
	}
	for (unsigned b = 0; b < 4; b++) {
		e = posted((struct vtd_irte_posted){ .avail = (u8)(1u << b) });
		assert_int_equal(e.lo, 1 | (1ULL << 15) | (1ULL << (8 + b)));
	}
	for (unsigned b = 6; b < 64; b++) {
		e = posted((struct vtd_irte_posted){ .pda = 1ULL << b });
		unsigned p = b < 32 ? 32 + b : 64 + b; /* PDA[31:6] -> 63:38, PDA[63:32] -> 127:96 */
		assert_int_equal(e.lo, 1 | (1ULL << 15) | b128(p, 0));
		assert_int_equal(e.hi, b128(p, 1));
	}
	/* the descriptor is 64-byte aligned: PDA bits 5:0 are not encoded */
	e = posted((struct vtd_irte_posted){ .pda = 0x3f });
	assert_int_equal(e.lo, 1 | (1ULL << 15));
	e = posted((struct vtd_irte_posted){ .vector = 0xff, .pda = ~0ULL, .urgent = true, .fpd = true,
					       .avail = 0xff, .sid = 0xffff, .sq = 3, .svt = 3 });
	assert_int_equal(e.lo, 0xffffffc000ffcf03ULL); /* 7:2, 13:12, 37:24 reserved */
	assert_int_equal(e.hi, 0xffffffff000fffffULL); /* 95:84 reserved */
}

/* 9.12 / SDM: PIR 255:0, ON 256, SN 257, NV 279:272, NDST 319:288 (xAPIC: ID in NDST[15:8]). */
static void test_pid_layout(void **state)
{
	(void)state;
	assert_int_equal(PID_ON, 1ULL << (256 - 256));
	assert_int_equal(PID_SN, 1ULL << (257 - 256));
	for (unsigned b = 0; b < 8; b++)
		assert_int_equal(vtd_pid_ctl((u8)(1u << b), 0, true, false), 1ULL << (272 - 256 + b));
	for (unsigned b = 0; b < 32; b++)
		assert_int_equal(vtd_pid_ctl(0, 1u << b, true, false), 1ULL << (288 - 256 + b));
	for (unsigned b = 0; b < 8; b++)
		assert_int_equal(vtd_pid_ctl(0, 1u << b, false, false), 1ULL << (288 - 256 + 8 + b));
	assert_int_equal(vtd_pid_ctl(0, 0, false, true), 1ULL << 1);
	assert_int_equal(vtd_pid_ctl(0xf2, 0x3, false, false), 0x0000030000f20000ULL);
	struct pi_desc pid;
	memset(&pid, 0, sizeof pid);
	pid.pir[3] = 1ULL << 63;  /* vector 255 is PIR bit 255 */
	assert_int_equal(((const u8 *)&pid)[31], 0x80);
}

/* 5.1.2.2: 31:20 0xFEE, 19:5 handle[14:0], 4 format = 1, 3 SHV, 2 handle[15]; data 15:0 subhandle. */
static void test_msi_remappable(void **state)
{
	(void)state;
	assert_int_equal(vtd_msi_remap_addr(0, false), 0xfee00010u);
	assert_int_equal(vtd_msi_remap_addr(0, true), 0xfee00018u);
	for (unsigned b = 0; b < 15; b++)
		assert_int_equal(vtd_msi_remap_addr((u16)(1u << b), false), 0xfee00010u | (1u << (5 + b)));
	assert_int_equal(vtd_msi_remap_addr(0x8000, false), 0xfee00010u | (1u << 2));
	assert_int_equal(vtd_msi_remap_addr(0xffff, true) >> 20, 0xfee);
	assert_int_equal(vtd_msi_remap_data(0xabcd), 0xabcd);
}

/* 5.1.5.1: 63:49 handle[14:0], 48 format, 16 mask, 15 TM, 13 polarity, 11 handle[15], 10:8 0, 7:0 V. */
static void test_ioapic_rte(void **state)
{
	(void)state;
	assert_int_equal(vtd_ioapic_rte_remap(0, 0, false, false, false), 1ULL << 48);
	for (unsigned b = 0; b < 15; b++)
		assert_int_equal(vtd_ioapic_rte_remap((u16)(1u << b), 0, false, false, false),
				 (1ULL << 48) | (1ULL << (49 + b)));
	assert_int_equal(vtd_ioapic_rte_remap(0x8000, 0, false, false, false), (1ULL << 48) | (1ULL << 11));
	assert_int_equal(vtd_ioapic_rte_remap(0, 0x5a, false, false, false), (1ULL << 48) | 0x5a);
	assert_int_equal(vtd_ioapic_rte_remap(0, 0, true, false, false), (1ULL << 48) | (1ULL << 15));
	assert_int_equal(vtd_ioapic_rte_remap(0, 0, false, true, false), (1ULL << 48) | (1ULL << 13));
	assert_int_equal(vtd_ioapic_rte_remap(0, 0, false, false, true), (1ULL << 48) | (1ULL << 16));
	assert_int_equal(vtd_ioapic_rte_remap(0xffff, 0xff, true, true, true) & 0x700, 0);
}

/* 6.5.2.7: type 3:0 = 4, G bit 4 (1 index-selective), IM 31:27, IIDX 47:32; high half 0. */
static void test_iec_descriptor(void **state)
{
	(void)state;
	struct vtd_inv_desc d = vtd_iec_desc(true, 0x1234, 3);
	assert_int_equal(d.lo, 0x4);
	assert_int_equal(d.hi, 0);
	d = vtd_iec_desc(false, 0, 0);
	assert_int_equal(d.lo, 0x4 | (1 << 4));
	for (unsigned b = 0; b < 16; b++)
		assert_int_equal(vtd_iec_desc(false, (u16)(1u << b), 0).lo, 0x14 | (1ULL << (32 + b)));
	for (unsigned b = 0; b < 5; b++)
		assert_int_equal(vtd_iec_desc(false, 0, (u8)(1u << b)).lo, 0x14 | (1ULL << (27 + b)));
	assert_int_equal(d.hi, 0);
}

/* ---- live-update order ---- */

struct recorder {
	volatile struct vtd_irte *slot;
	struct vtd_irte seen[4];
	int n, fail_at;
};

static int record(void *ctx)
{
	struct recorder *r = ctx;
	if (r->n < 4)
		r->seen[r->n] = (struct vtd_irte){ r->slot->lo, r->slot->hi };
	return ++r->n == r->fail_at ? -5 : 0;
}

static const struct vtd_irte OLD = { 0x0000000100310001ULL, 0x0000000000040008ULL };
static const struct vtd_irte NEW = { 0x0000000200320001ULL, 0x0000000000040010ULL };

static void test_update_not_present(void **state)
{
	(void)state;
	struct vtd_irte slot = { 0, 0 };
	struct recorder r = { .slot = &slot };
	assert_int_equal(vtd_irte_update(&slot, NEW, false, record, &r), 0);
	assert_int_equal(r.n, 1);
	assert_memory_equal(&r.seen[0], &NEW, 16);
}

static void test_update_atomic(void **state)
{
	(void)state;
	struct vtd_irte slot = OLD;
	struct recorder r = { .slot = &slot };
	assert_int_equal(vtd_irte_update(&slot, NEW, true, record, &r), 0);
	assert_int_equal(r.n, 1); /* one 16-byte store, one flush + invalidation */
	assert_memory_equal(&r.seen[0], &NEW, 16);
}

/* Fallback without CMPXCHG16B: the unit first sees the old entry with P clear, then the new one. */
static void test_update_fallback_order(void **state)
{
	(void)state;
	struct vtd_irte slot = OLD;
	struct recorder r = { .slot = &slot };
	assert_int_equal(vtd_irte_update(&slot, NEW, false, record, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.seen[0].lo, OLD.lo & ~IRTE_P);
	assert_int_equal(r.seen[0].hi, OLD.hi);
	assert_memory_equal(&r.seen[1], &NEW, 16);
}

/* A failed invalidation after clearing P stops the update: the entry stays not present. */
static void test_update_fallback_sync_error(void **state)
{
	(void)state;
	struct vtd_irte slot = OLD;
	struct recorder r = { .slot = &slot, .fail_at = 1 };
	assert_int_equal(vtd_irte_update(&slot, NEW, false, record, &r), -5);
	assert_int_equal(slot.lo, OLD.lo & ~IRTE_P);
	assert_int_equal(slot.hi, OLD.hi);
}

/* ---- arch/x86/atomic128.h ---- */

static void test_cmpxchg16b_semantics(void **state)
{
	(void)state;
	static struct u128 v __attribute__((aligned(16))) = { 1, 2 };
	struct u128 exp = { 1, 3 };
	assert_false(atomic128_cmpxchg(&v, &exp, 7, 8)); /* mismatch: loads the current value */
	assert_int_equal(exp.lo, 1);
	assert_int_equal(exp.hi, 2);
	assert_true(atomic128_cmpxchg(&v, &exp, 7, 8));
	assert_int_equal(v.lo, 7);
	assert_int_equal(v.hi, 8);
	struct u128 old = atomic128_store(&v, 9, 10);
	assert_int_equal(old.lo, 7);
	assert_int_equal(old.hi, 8);
	struct u128 now = atomic128_load(&v);
	assert_int_equal(now.lo, 9);
	assert_int_equal(now.hi, 10);
}

/*
 * A 128-bit store is never seen half done: the writer runs with the trap flag
 * set (EFLAGS.TF, SDM Vol. 3B "Single-Step Debug Exception"), so a SIGTRAP
 * handler takes a 128-bit snapshot after every single instruction. With two
 * plain 64-bit stores in atomic128_store, the snapshot between them shows a mix.
 */
#define EFLAGS_TF 0x100
static struct u128 shared __attribute__((aligned(16)));
static volatile sig_atomic_t samples, torn, ones;

static void on_step(int sig, siginfo_t *si, void *ucv)
{
	(void)sig, (void)si;
	ucontext_t *uc = ucv;
	struct u128 s = atomic128_load(&shared);
	samples++;
	torn += s.lo != s.hi;
	ones += s.lo == ~0ULL;
	if (samples > 100000) /* safety net: never single-step forever */
		uc->uc_mcontext.gregs[REG_EFL] &= ~EFLAGS_TF;
}

static void test_store_never_torn(void **state)
{
	(void)state;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_step;
	sa.sa_flags = SA_SIGINFO;
	assert_int_equal(sigaction(SIGTRAP, &sa, NULL), 0);
	__asm__ volatile("pushfq; orq %0, (%%rsp); popfq" ::"i"(EFLAGS_TF) : "memory", "cc");
	for (int i = 1; i <= 4; i++)
		atomic128_store(&shared, i & 1 ? ~0ULL : 0, i & 1 ? ~0ULL : 0);
	__asm__ volatile("pushfq; andq %0, (%%rsp); popfq" ::"i"(~EFLAGS_TF) : "memory", "cc");
	signal(SIGTRAP, SIG_DFL);
	assert_true(samples > 8);
	assert_int_equal(torn, 0);
	assert_true(ones > 0); /* the snapshots did see the writer's changes */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_remapped_low_fields),
		cmocka_unit_test(test_remapped_destination),
		cmocka_unit_test(test_source_fields),
		cmocka_unit_test(test_remapped_reserved_clear),
		cmocka_unit_test(test_posted_fields),
		cmocka_unit_test(test_pid_layout),
		cmocka_unit_test(test_msi_remappable),
		cmocka_unit_test(test_ioapic_rte),
		cmocka_unit_test(test_iec_descriptor),
		cmocka_unit_test(test_update_not_present),
		cmocka_unit_test(test_update_atomic),
		cmocka_unit_test(test_update_fallback_order),
		cmocka_unit_test(test_update_fallback_sync_error),
		cmocka_unit_test(test_cmpxchg16b_semantics),
		cmocka_unit_test(test_store_never_torn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
