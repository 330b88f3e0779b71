/* Unit tests of the hypervisor command-line parser (lib/cmdline.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/cmdline.h"

/* Messages reported through the callback during one parse. */
struct collected {
	int n;
	char msgs[8][256];
};

static struct collected col;
static struct hv_options o;

static void collect(void *ctx, const char *msg)
{
	struct collected *c = ctx;

	assert_ptr_equal(c, &col);
	if (c->n < 8)
		snprintf(c->msgs[c->n], sizeof(c->msgs[0]), "%s", msg);
	c->n++;
}

static int parse(const char *s)
{
	memset(&col, 0, sizeof(col));
	memset(&o, 0x5a, sizeof(o));   /* defaults must be set by the parser */
	return cmdline_parse(s, &o, collect, &col);
}

static void assert_defaults_except_none(void)
{
	assert_int_equal(o.uart_port, 0x3f8);
	assert_int_equal(o.baud, 115200);
	assert_false(o.force_xapic);
	assert_false(o.nosmp);
	assert_int_equal(o.max_cpus, 0);
	assert_int_equal(o.crash, CRASH_NONE);
	assert_false(o.test_exit);
	assert_false(o.pci_verbose);
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_defaults_except_none();
	assert_int_equal(parse("   \t \n "), 0);
	assert_defaults_except_none();
	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(cmdline_parse(NULL, &o, collect, &col), 0);
	assert_defaults_except_none();
}

static void test_all_options(void **state)
{
	(void)state;
	assert_int_equal(parse("console=com2 baud=9600 xapic nosmp maxcpus=4 crash=pf "
			       "test_exit pci=verbose"), 0);
	assert_int_equal(col.n, 0);
	assert_int_equal(o.uart_port, 0x2f8);
	assert_int_equal(o.baud, 9600);
	assert_true(o.force_xapic);
	assert_true(o.nosmp);
	assert_int_equal(o.max_cpus, 4);
	assert_int_equal(o.crash, CRASH_PF);
	assert_true(o.test_exit);
	assert_true(o.pci_verbose);
}

static void test_console_ports(void **state)
{
	static const struct { const char *s; u16 port; } cases[] = {
		{ "console=com1", 0x3f8 }, { "console=com2", 0x2f8 },
		{ "console=com3", 0x3e8 }, { "console=com4", 0x2e8 },
		{ "console=0x2e8", 0x2e8 }, { "console=0X3E8", 0x3e8 },
		{ "console=1016", 0x3f8 }, { "console=0xe000", 0xe000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].s), 0);
		assert_int_equal(o.uart_port, cases[i].port);
	}
}

static void test_console_errors(void **state)
{
	static const char *const bad[] = { "com9", "com0", "com12", "com", "0x", "0",
					   "0x10000", "0xfff9", "ttyS0", "" };
	char want[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char opt[64];

		snprintf(opt, sizeof(opt), "console=%s", bad[i]);
		assert_int_equal(parse(opt), 1);
		snprintf(want, sizeof(want),
			 "cmdline: console=%s: expected com1..com4 or an I/O port like 0x3f8", bad[i]);
		assert_string_equal(col.msgs[0], want);
		assert_int_equal(o.uart_port, 0x3f8);
	}
}

static void test_baud(void **state)
{
	(void)state;
	assert_int_equal(parse("baud=115200"), 0);
	assert_int_equal(o.baud, 115200);
	assert_int_equal(parse("baud=50"), 0);
	assert_int_equal(o.baud, 50);
	assert_int_equal(parse("baud=0x9600"), 0);   /* 38400 */
	assert_int_equal(o.baud, 38400);
	assert_int_equal(parse("baud=0x2580"), 0);   /* 9600 */
	assert_int_equal(o.baud, 9600);
}

static void test_baud_errors(void **state)
{
	(void)state;
	assert_int_equal(parse("baud=7"), 1);
	assert_string_equal(col.msgs[0], "cmdline: baud=7: not a divisor of 115200");
	assert_int_equal(o.baud, 115200);
	assert_int_equal(parse("baud=0"), 1);
	assert_string_equal(col.msgs[0], "cmdline: baud=0: not a divisor of 115200");
	assert_int_equal(parse("baud=25"), 1);       /* divides 115200 but too slow */
	assert_string_equal(col.msgs[0], "cmdline: baud=25: expected 50..115200");
	assert_int_equal(parse("baud=230400"), 1);
	assert_string_equal(col.msgs[0], "cmdline: baud=230400: expected 50..115200");
	assert_int_equal(parse("baud=fast"), 1);
	assert_string_equal(col.msgs[0], "cmdline: baud=fast: not a number");
	assert_int_equal(parse("baud=-9600"), 1);
	assert_string_equal(col.msgs[0], "cmdline: baud=-9600: not a number");
	assert_int_equal(parse("baud=9600x"), 1);
	assert_int_equal(parse("baud"), 1);
	assert_string_equal(col.msgs[0], "cmdline: baud: expected baud=VALUE");
	assert_int_equal(o.baud, 115200);
}

static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(parse("maxcpus=0x10"), 0);
	assert_int_equal(o.max_cpus, 16);
	assert_int_equal(parse("maxcpus=010"), 0);   /* decimal, not octal */
	assert_int_equal(o.max_cpus, 10);
	assert_int_equal(parse("maxcpus=4294967295"), 0);
	assert_int_equal(o.max_cpus, 4294967295u);
	assert_int_equal(parse("maxcpus=4294967296"), 1);
	assert_int_equal(parse("maxcpus=99999999999999999999999"), 1);   /* overflows u64 */
	assert_string_equal(col.msgs[0],
			    "cmdline: maxcpus=99999999999999999999999: expected a number (0 = all)");
	assert_int_equal(parse("maxcpus=0x"), 1);
	assert_int_equal(parse("maxcpus= 4"), 2);    /* "maxcpus=" then unknown "4" */
	assert_int_equal(o.max_cpus, 0);
}

static void test_unknown_option(void **state)
{
	(void)state;
	assert_int_equal(parse("foo"), 1);
	assert_string_equal(col.msgs[0], "cmdline: unknown option 'foo'");
	assert_int_equal(parse("foo=bar"), 1);
	assert_string_equal(col.msgs[0], "cmdline: unknown option 'foo'");
	assert_int_equal(parse("NOSMP"), 1);         /* keys are case-sensitive */
	assert_false(o.nosmp);
}

static void test_crash_and_pci(void **state)
{
	static const struct { const char *s; int kind; } cases[] = {
		{ "crash=ud", CRASH_UD }, { "crash=pf", CRASH_PF },
		{ "crash=gp", CRASH_GP }, { "crash=de", CRASH_DE }, { "crash=vmexit", CRASH_VMEXIT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].s), 0);
		assert_int_equal(o.crash, cases[i].kind);
	}
	assert_int_equal(parse("crash=bp"), 1);
	assert_string_equal(col.msgs[0], "cmdline: crash=bp: expected ud, pf, gp, de or vmexit");
	assert_int_equal(o.crash, CRASH_NONE);
	assert_int_equal(parse("pci=quiet"), 1);
	assert_string_equal(col.msgs[0], "cmdline: pci=quiet: expected verbose");
	assert_false(o.pci_verbose);
}

static void test_flag_with_value(void **state)
{
	(void)state;
	assert_int_equal(parse("nosmp=1 xapic"), 1);
	assert_string_equal(col.msgs[0], "cmdline: nosmp=1: nosmp takes no value");
	assert_false(o.nosmp);
	assert_true(o.force_xapic);
}

static void test_rest_applies_after_errors(void **state)
{
	(void)state;
	assert_int_equal(parse("\tfoo baud=7 console=com3\nbar=1 nosmp  crash=xx maxcpus=2 "), 4);
	assert_int_equal(col.n, 4);
	assert_string_equal(col.msgs[0], "cmdline: unknown option 'foo'");
	assert_string_equal(col.msgs[1], "cmdline: baud=7: not a divisor of 115200");
	assert_string_equal(col.msgs[2], "cmdline: unknown option 'bar'");
	assert_string_equal(col.msgs[3], "cmdline: crash=xx: expected ud, pf, gp, de or vmexit");
	assert_int_equal(o.uart_port, 0x3e8);
	assert_true(o.nosmp);
	assert_int_equal(o.max_cpus, 2);
	assert_int_equal(o.baud, 115200);
}

static void test_last_value_wins_and_null_callback(void **state)
{
	(void)state;
	assert_int_equal(parse("maxcpus=2 maxcpus=8"), 0);
	assert_int_equal(o.max_cpus, 8);
	assert_int_equal(cmdline_parse("foo bar baud=3", &o, NULL, NULL), 3);
}

/* CPU posting is on by default; apicv=off turns it off; anything but on/off is an error that changes nothing. */
static void test_apicv_option(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_true(o.apicv_on);
	assert_int_equal(parse("apicv=off"), 0);
	assert_false(o.apicv_on);
	assert_int_equal(parse("apicv=on"), 0);
	assert_true(o.apicv_on);
	assert_int_equal(parse("apicv=on apicv=off"), 0);
	assert_false(o.apicv_on);
	assert_int_equal(parse("apicv=on apicv=no apicv"), 2);
	assert_string_equal(col.msgs[0], "cmdline: apicv=no: expected on or off");
	assert_string_equal(col.msgs[1], "cmdline: apicv: expected apicv=VALUE");
	assert_true(o.apicv_on);
}

/* Interrupt remapping: vtd=ir turns it on, selftest=ir runs its self-test; both default off. */
static void test_ir_options(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_false(o.vtd_ir);
	assert_false(o.selftest_ir);
	assert_int_equal(parse("vtd=noqi,ir selftest=ir"), 0);
	assert_true(o.vtd_ir);
	assert_true(o.vtd_noqi);
	assert_true(o.selftest_ir);
	assert_false(o.selftest_dma);
	assert_int_equal(parse("selftest=irq vtd=irx"), 2);
	assert_string_equal(col.msgs[0], "cmdline: selftest=irq: expected dma or ir");
	assert_string_equal(col.msgs[1],
			    "cmdline: vtd=irx: unknown item 'irx' (expected off, preenable, 39, noqi, ir)");
	assert_false(o.vtd_ir);
	assert_false(o.selftest_ir);
}

static void test_very_long_word(void **state)
{
	char s[1000];

	(void)state;
	memset(s, 'a', sizeof(s) - 1);
	memcpy(s, "console=", 8);
	s[sizeof(s) - 1] = '\0';
	assert_int_equal(parse(s), 1);
	assert_non_null(strstr(col.msgs[0], "longer than 127 characters"));
	assert_true(strlen(col.msgs[0]) < 200);
	assert_int_equal(o.uart_port, 0x3f8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_console_ports),
		cmocka_unit_test(test_console_errors),
		cmocka_unit_test(test_baud),
		cmocka_unit_test(test_baud_errors),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_crash_and_pci),
		cmocka_unit_test(test_flag_with_value),
		cmocka_unit_test(test_rest_applies_after_errors),
		cmocka_unit_test(test_last_value_wins_and_null_callback),
		cmocka_unit_test(test_ir_options),
		cmocka_unit_test(test_apicv_option),
		cmocka_unit_test(test_very_long_word),
	};

	setvbuf(stdout, NULL, _IONBF, 0);   /* a crash must not lose buffered results */
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
