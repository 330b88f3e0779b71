/* Unit tests of the ticket lock's holder bookkeeping and the log's exception-path locking (D16). */
/* host-srcs: lib/log.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/string.h"

static int cur_cpu;                    /* the CPU the test pretends to run on */
static char out[4096];
static size_t out_len;
static void (*inside_sink)(void);     /* runs once while a CPU holds the log lock */
static jmp_buf recovery;

static int which_cpu(void)
{
	return cur_cpu;
}

static void sink(const char *s, size_t n)
{
	if (out_len + n < sizeof out) {
		memcpy(out + out_len, s, n);
		out_len += n;
		out[out_len] = '\0';
	}
	void (*fn)(void) = inside_sink;
	inside_sink = NULL;
	if (fn)
		fn();
}

static int setup(void **state)
{
	(void)state;
	cur_cpu = 0;
	out_len = 0;
	out[0] = '\0';
	inside_sink = NULL;
	spin_set_cpu_fn(which_cpu);
	log_set_cpu_fn(which_cpu);
	log_set_sink(sink);
	return 0;
}

static u32 cpu2_ticket;

/* CPU 1 is writing a line; CPU 2 waits with a ticket; CPU 0 takes an exception and dumps. */
static void cpu0_faults_while_cpu1_logs(void)
{
	spinlock_t *l = log_lock_for_test();
	cpu2_ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);
	cur_cpu = 0;
	log_panic_begin();
	LOG("exception", "vector 6 on CPU 0");
	log_panic_end();
	cur_cpu = 1;
}

static void test_exception_on_other_cpu_keeps_waiters_in_order(void **state)
{
	(void)state;
	spinlock_t *l = log_lock_for_test();
	cur_cpu = 1;
	inside_sink = cpu0_faults_while_cpu1_logs;
	LOG("guest", "compute: round 1/5");
	/* CPU 1 released the lock: it is CPU 2's turn now, exactly. */
	assert_int_equal(l->owner, cpu2_ticket);
	assert_int_equal(l->next, cpu2_ticket + 1);
	/* CPU 2 logs and releases; the lock is then free and usable. */
	l->holder = 3;
	spin_unlock(l);
	assert_int_equal(l->owner, l->next);
	cur_cpu = 0;
	LOG("test", "after");
	assert_int_equal(l->owner, l->next);
	assert_non_null(strstr(out, "[cpu0] exception: vector 6 on CPU 0\n"));
	assert_non_null(strstr(out, "[cpu0] test: after\n"));
}

/* The CPU holding the log lock faults inside the sink and never returns there (recovery). */
static void cpu1_faults_inside_log(void)
{
	log_panic_begin();   /* this CPU holds the lock: no wait, no second ticket */
	LOG("exception", "vector 14 on CPU 1");
	log_panic_end();
	longjmp(recovery, 1);
}

static void test_exception_on_holder_releases_lock(void **state)
{
	(void)state;
	spinlock_t *l = log_lock_for_test();
	cur_cpu = 1;
	u32 depth = spin_held_depth();
	if (!setjmp(recovery)) {
		inside_sink = cpu1_faults_inside_log;
		LOG("guest", "interrupted line");
		fail_msg("the sink did not fault");
	}
	spin_release_held(depth);
	assert_int_equal(l->owner, l->next);
	assert_int_equal(l->holder, 0);
	assert_int_equal(spin_held_depth(), depth);
	assert_non_null(strstr(out, "[cpu1] exception: vector 14 on CPU 1\n"));
	LOG("test", "lock usable");
	assert_non_null(strstr(out, "[cpu1] test: lock usable\n"));
}

/* A lock another CPU holds for ever: the dump goes out without it and the lock is untouched. */
static void test_wedged_holder_gets_lock_free_dump(void **state)
{
	(void)state;
	spinlock_t *l = log_lock_for_test();
	cur_cpu = 1;
	spin_lock(l);
	u32 next = l->next, owner = l->owner;
	cur_cpu = 0;
	log_panic_begin();
	LOG("exception", "dump without the lock");
	log_panic_end();
	assert_int_equal(l->next, next);
	assert_int_equal(l->owner, owner);
	assert_int_equal(l->holder, 2);
	assert_non_null(strstr(out, "[cpu0] exception: dump without the lock\n"));
	cur_cpu = 1;
	spin_unlock(l);
	assert_int_equal(l->owner, l->next);
}

/* Locks taken after a recovery point are released by it, in any unlock order. */
static void test_release_held_since_recovery_point(void **state)
{
	(void)state;
	static spinlock_t a = SPINLOCK_INIT, b = SPINLOCK_INIT, c = SPINLOCK_INIT;
	cur_cpu = 5;
	spin_lock(&a);
	u32 depth = spin_held_depth();
	spin_lock(&b);
	spin_lock(&c);
	assert_int_equal(spin_held_depth(), depth + 2);
	assert_int_equal(b.holder, 6);
	spin_unlock(&b);             /* out of order */
	assert_int_equal(spin_held_depth(), depth + 1);
	spin_lock(&b);
	spin_release_held(depth);
	assert_int_equal(b.owner, b.next);
	assert_int_equal(c.owner, c.next);
	assert_int_equal(b.holder, 0);
	assert_int_equal(a.owner + 1, a.next);   /* taken before the recovery point: still held */
	assert_true(spin_held_by_me(&a));
	spin_unlock(&a);
	assert_int_equal(spin_held_depth(), 0);
}

static void test_trylock(void **state)
{
	(void)state;
	static spinlock_t l = SPINLOCK_INIT;
	cur_cpu = 2;
	assert_true(spin_trylock(&l));
	assert_true(spin_held_by_me(&l));
	cur_cpu = 3;
	assert_false(spin_trylock(&l));
	assert_false(spin_held_by_me(&l));
	cur_cpu = 2;
	spin_unlock(&l);
	assert_int_equal(l.owner, l.next);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_exception_on_other_cpu_keeps_waiters_in_order, setup),
		cmocka_unit_test_setup(test_exception_on_holder_releases_lock, setup),
		cmocka_unit_test_setup(test_wedged_holder_gets_lock_free_dump, setup),
		cmocka_unit_test_setup(test_release_held_since_recovery_point, setup),
		cmocka_unit_test_setup(test_trylock, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
