/* Unit tests of the event-injection decision made before every VM entry (vmm/vintr.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/vintr.h"

static void test_nothing_pending_does_nothing(void **state)
{
	(void)state;
	assert_int_equal(vintr_decide(-1, false, true), VINTR_NONE);
	assert_int_equal(vintr_decide(-1, true, false), VINTR_NONE);
}

static void test_open_guest_gets_the_vector(void **state)
{
	(void)state;
	assert_int_equal(vintr_decide(0x30, false, true), VINTR_INJECT);
}

static void test_blocked_guest_asks_for_a_window(void **state)
{
	(void)state;
	assert_int_equal(vintr_decide(0x30, false, false), VINTR_WINDOW);
}

/* D14: an exception already queued for this entry must not leave the interrupt waiting for an
 * unrelated exit: the window exit after the exception's delivery brings it in. */
static void test_queued_event_still_asks_for_a_window(void **state)
{
	(void)state;
	assert_int_equal(vintr_decide(0x30, true, true), VINTR_WINDOW);
	assert_int_equal(vintr_decide(0x30, true, false), VINTR_WINDOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_pending_does_nothing),
		cmocka_unit_test(test_open_guest_gets_the_vector),
		cmocka_unit_test(test_blocked_guest_asks_for_a_window),
		cmocka_unit_test(test_queued_event_still_asks_for_a_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
