/* Unit tests of IPI target selection inside a domain (SDM 11.6.2, 11.12.10): physical, logical flat/cluster, x2APIC cluster, shorthands; the kick vector set once at start-up (D20). */
#define _DEFAULT_SOURCE /* syscall() */
/* host-srcs: vmm/vlapic.c vmm/vipi.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <asm/prctl.h>

#include "vmm/vlapic.h"
#include "vmm/vcpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "lib/string.h"

#define NR 4
#define FIXED(vec) ((u64)(vec))                        /* delivery mode fixed */
#define TO(dest) ((u64)(dest) << 32)
#define SHORTHAND(s) ((u64)(s) << 18)

static u8 pages[NR][4096] __attribute__((aligned(4096)));
static struct vlapic apic[NR];
static const u32 ids[NR] = { 0, 1, 2, 0x11 };          /* 0x11: x2APIC cluster 1, member bit 1 */

static void setup_apics(void)
{
	for (u32 i = 0; i < NR; i++) {
		memset(&apic[i], 0, sizeof apic[i]);
		vlapic_init(&apic[i], pages[i], ids[i], 1000000);
	}
}

/* Bitmap of the APICs the IPI sent by APIC from with this ICR reaches. */
static u32 reached(u32 from, u64 icr, bool x2apic)
{
	u32 m = 0;
	for (u32 i = 0; i < NR; i++)
		if (vlapic_ipi_targets(&apic[i], ids[i], i == from, icr, x2apic))
			m |= 1u << i;
	return m;
}

static void test_physical(void **state)
{
	(void)state;
	setup_apics();
	assert_int_equal(reached(0, FIXED(0x40) | TO(2), true), 1u << 2);
	assert_int_equal(reached(0, FIXED(0x40) | TO(0x11), true), 1u << 3);
	assert_int_equal(reached(0, FIXED(0x40) | TO(7), true), 0);
	assert_int_equal(reached(0, FIXED(0x40) | TO(0xffffffff), true), 0xf);  /* x2APIC broadcast */
	assert_int_equal(reached(0, FIXED(0x40) | TO(0xff), true), 0);          /* just an ID in x2APIC */
	assert_int_equal(reached(0, FIXED(0x40) | TO(0xff), false), 0xf);       /* xAPIC broadcast */
	assert_int_equal(reached(0, FIXED(0x40) | TO(1), false), 1u << 1);
}

static void test_xapic_logical_flat(void **state)
{
	(void)state;
	setup_apics();
	/* preset flat logical IDs 1 << (ID & 7): 0x01, 0x02, 0x04, 0x02 */
	assert_int_equal(reached(0, FIXED(0x41) | ICR_LOGICAL | TO(0x05), false), (1u << 0) | (1u << 2));
	assert_true(vlapic_write(&apic[3], APIC_LDR, 0x80000000, 0));           /* the guest programs one */
	assert_int_equal(reached(0, FIXED(0x41) | ICR_LOGICAL | TO(0x80), false), 1u << 3);
	assert_int_equal(reached(0, FIXED(0x41) | ICR_LOGICAL | TO(0x02), false), 1u << 1);
	assert_int_equal(reached(0, FIXED(0x41) | ICR_LOGICAL | TO(0x00), false), 0);
	assert_int_equal(reached(0, FIXED(0x41) | ICR_LOGICAL | TO(0xff), false), 0xf);
}

static void test_xapic_logical_cluster(void **state)
{
	(void)state;
	setup_apics();
	static const u32 ldr[NR] = { 0x11, 0x12, 0x21, 0x14 }; /* cluster in 7:4, member bits in 3:0 */
	for (u32 i = 0; i < NR; i++) {
		assert_true(vlapic_write(&apic[i], APIC_DFR, 0x0fffffff, 0));   /* cluster model */
		assert_true(vlapic_write(&apic[i], APIC_LDR, ldr[i] << 24, 0));
	}
	assert_int_equal(reached(0, FIXED(0x42) | ICR_LOGICAL | TO(0x13), false), (1u << 0) | (1u << 1));
	assert_int_equal(reached(0, FIXED(0x42) | ICR_LOGICAL | TO(0x1c), false), 1u << 3);
	assert_int_equal(reached(0, FIXED(0x42) | ICR_LOGICAL | TO(0x21), false), 1u << 2);
	assert_int_equal(reached(0, FIXED(0x42) | ICR_LOGICAL | TO(0x31), false), 0); /* no such cluster */
	assert_int_equal(reached(0, FIXED(0x42) | ICR_LOGICAL | TO(0x22), false), 0); /* member bit absent */
}

/* SDM 11.12.10.2: logical x2APIC ID = ID[19:4] << 16 | 1 << ID[3:0]; the guest cannot change it. */
static void test_x2apic_cluster(void **state)
{
	(void)state;
	setup_apics();
	assert_int_equal(reached(0, FIXED(0x43) | ICR_LOGICAL | TO(0x00000006), true), (1u << 1) | (1u << 2));
	assert_int_equal(reached(0, FIXED(0x43) | ICR_LOGICAL | TO(0x00010002), true), 1u << 3);
	assert_int_equal(reached(0, FIXED(0x43) | ICR_LOGICAL | TO(0x00020002), true), 0); /* other cluster */
	assert_int_equal(reached(0, FIXED(0x43) | ICR_LOGICAL | TO(0x00010001), true), 0); /* other member */
	assert_int_equal(reached(0, FIXED(0x43) | ICR_LOGICAL | TO(0xffffffff), true), 0xf);
}

static void test_shorthands(void **state)
{
	(void)state;
	setup_apics();
	/* A shorthand overrides the destination field (SDM 11.6.1). */
	assert_int_equal(reached(1, FIXED(0x44) | SHORTHAND(1) | TO(2), true), 1u << 1);
	assert_int_equal(reached(1, FIXED(0x44) | SHORTHAND(2) | TO(2), true), 0xf);
	assert_int_equal(reached(1, FIXED(0x44) | SHORTHAND(3) | TO(1), true), 0xf & ~(1u << 1));
	assert_int_equal(reached(2, FIXED(0x44) | SHORTHAND(3) | ICR_LOGICAL, false), 0xf & ~(1u << 2));
}

/* An application vCPU waiting for SIPI has no register page yet: INIT/SIPI must still find it. */
static void test_target_not_set_up(void **state)
{
	(void)state;
	struct vlapic none;
	memset(&none, 0, sizeof none);
	assert_true(vlapic_ipi_targets(&none, 1, false, (5u << 8) | TO(1), true));
	assert_false(vlapic_ipi_targets(&none, 1, false, (5u << 8) | TO(2), true));
	assert_true(vlapic_ipi_targets(&none, 1, false, (5u << 8) | ICR_LOGICAL | TO(0x02), false));
	vlapic_set_irr(&none, 0x50);                         /* dropped, not a NULL write */
	assert_null(none.regs);
}

/* What vipi.c reaches outside itself: a counting vector allocator and a recording IPI sender. */
static u32 irq_allocs, ipis_sent;
static u8 last_ipi_vector;
static u32 last_ipi_dest;
struct vmx_caps vmx_caps;
struct percpu *cpus[MAX_CPUS];
static struct percpu me, other;

u8 irq_alloc(irq_handler_fn handler, void *ctx)
{
	(void)handler, (void)ctx;
	return (u8)(0x40 + irq_allocs++);
}

status_t lapic_send_ipi(u32 apic_id, u32 icr_lo)
{
	ipis_sent++;
	last_ipi_dest = apic_id;
	last_ipi_vector = (u8)icr_lo;
	return OK;
}

void vmx_posting_off(const char *why)
{
	fail_msg("posting turned off: %s", why);
}

void log_msg(const char *subsys, const char *fmt, ...)
{
	(void)subsys, (void)fmt;
}

/*
 * D20: the kick (and posting-notification) vectors are allocated by vcpu_kick_init, once, on
 * the boot CPU before any guest runs; a kick before that allocates nothing and sends nothing
 * (a lazy allocation inside vcpu_kick could run on two CPUs at once). The test runs as CPU 0
 * (GS base at a percpu whose self pointer is read through %gs:0) and kicks a vCPU on CPU 1.
 */
static void test_kick_vector_set_once_at_init(void **state)
{
	(void)state;
	me.self = &me;
	other.self = &other;
	other.cpu = 1;
	other.apic_id = 7;
	cpus[0] = &me;
	cpus[1] = &other;
	assert_int_equal(syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&me), 0);
	static struct vcpu t;
	t.cpu = 1;
	vmx_caps.posting = true;

	vcpu_kick(&t);                                        /* before init */
	assert_int_equal(irq_allocs, 0);
	assert_int_equal(ipis_sent, 0);

	assert_int_equal(vcpu_kick_init(), OK);
	assert_int_equal(irq_allocs, 2);                      /* notification vector, kick vector */
	assert_int_equal(vcpu_notify_vector(), 0x40);
	assert_int_equal(vcpu_kick_init(), OK);               /* a second call keeps them */
	assert_int_equal(irq_allocs, 2);

	for (int i = 0; i < 3; i++)
		vcpu_kick(&t);
	assert_int_equal(irq_allocs, 2);
	assert_int_equal(ipis_sent, 3);
	assert_int_equal(last_ipi_dest, 7);
	assert_int_equal(last_ipi_vector, 0x41);              /* the kick vector init allocated */
	t.cpu = 0;
	vcpu_kick(&t);                                        /* its own CPU: no IPI */
	assert_int_equal(ipis_sent, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_physical),
		cmocka_unit_test(test_xapic_logical_flat),
		cmocka_unit_test(test_xapic_logical_cluster),
		cmocka_unit_test(test_x2apic_cluster),
		cmocka_unit_test(test_shorthands),
		cmocka_unit_test(test_target_not_set_up),
		cmocka_unit_test(test_kick_vector_set_once_at_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
