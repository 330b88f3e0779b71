/* Unit tests of the posted-interrupt descriptor helpers (arch/x86/pi_desc.h): ON/SN rules, draining, races. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdalign.h>
#include <pthread.h>
#include <cmocka.h>

#include "arch/x86/pi_desc.h"

/* SDM Vol. 3C 30.6 / VT-d 9.12 layout: PIR 255:0, ON 256, SN 257, NV 279:272, NDST 319:288. */
static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct pi_desc), 64);
	assert_int_equal(alignof(struct pi_desc), 64);
	assert_int_equal(offsetof(struct pi_desc, ctl), 256 / 8);
	assert_int_equal(pi_ctl(0xf2, 3, false, false), (0xf2ULL << (272 - 256)) | (3ULL << (288 + 8 - 256)));
	assert_int_equal(pi_ctl(0xf2, 0x12345, true, true), (0xf2ULL << 16) | (0x12345ULL << 32) | PID_SN);
}

/* The first post sets PIR and ON and asks for a notification; later ones only add PIR bits. */
static void test_post_notifies_once(void **state)
{
	(void)state;
	struct pi_desc d = { .ctl = pi_ctl(0xf2, 1, false, false) };
	assert_true(pi_post(&d, 0x31));
	assert_int_equal(d.pir[0], 1ULL << 0x31);
	assert_true(d.ctl & PID_ON);
	assert_false(pi_post(&d, 0xc1)); /* ON already set: no second notification */
	assert_int_equal(d.pir[3], 1ULL << (0xc1 - 192));
	assert_int_equal(d.ctl & ~PID_ON, pi_ctl(0xf2, 1, false, false)); /* NV/NDST untouched */
}

/* SN: the request lands in PIR, ON stays clear, nobody is notified; pi_pending still sees it. */
static void test_suppressed(void **state)
{
	(void)state;
	struct pi_desc d = { .ctl = pi_ctl(0xf2, 1, false, true) };
	assert_false(pi_post(&d, 0x40));
	assert_false(d.ctl & PID_ON);
	assert_true(pi_pending(&d));
	u64 out[4];
	assert_true(pi_drain(&d, out));
	assert_int_equal(out[1], 1ULL);
	assert_false(pi_pending(&d));
	assert_true(d.ctl & PID_SN); /* draining leaves SN alone */
}

/* Draining clears ON and every PIR word and hands back exactly what was posted. */
static void test_drain(void **state)
{
	(void)state;
	struct pi_desc d = { 0 };
	u64 out[4];
	assert_false(pi_drain(&d, out));
	for (u32 v = 16; v < 256; v += 15)
		pi_post(&d, (u8)v);
	assert_true(pi_drain(&d, out));
	for (u32 v = 0; v < 256; v++)
		assert_int_equal(!!(out[v / 64] & (1ULL << (v % 64))), v >= 16 && (v - 16) % 15 == 0);
	assert_int_equal(d.ctl & PID_ON, 0);
	assert_true(pi_post(&d, 0x50)); /* after a drain the next post notifies again */
}

/* Two posters and a drainer: every posted vector is drained once; a post that finds ON clear
 * notifies, so a drainer that sees no notification after its last drain has seen every bit. */
#define ROUNDS 200000
static struct pi_desc shared;
static u64 drained[4];

static void *poster(void *arg)
{
	u8 base = (u8)(uintptr_t)arg;
	for (u32 i = 0; i < ROUNDS; i++)
		pi_post(&shared, (u8)(base + i % 32));
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	pthread_t a, b;
	pthread_create(&a, NULL, poster, (void *)(uintptr_t)0x40);
	pthread_create(&b, NULL, poster, (void *)(uintptr_t)0x80);
	u64 out[4];
	for (u32 i = 0; i < ROUNDS / 10; i++)
		if (pi_drain(&shared, out))
			for (u32 w = 0; w < 4; w++)
				drained[w] |= out[w];
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (pi_drain(&shared, out))
		for (u32 w = 0; w < 4; w++)
			drained[w] |= out[w];
	assert_int_equal(drained[1], 0xffffffffULL);
	assert_int_equal(drained[2], 0xffffffffULL);
	assert_int_equal(drained[0] | drained[3], 0);
	assert_false(pi_pending(&shared));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_post_notifies_once),
		cmocka_unit_test(test_suppressed),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_concurrent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
