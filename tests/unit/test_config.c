/* Unit tests of the domain configuration parser and machine checks (lib/cfg_*.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/config.h"

static struct cfg c;

/* Parses exactly len bytes from a heap copy with no terminator, so ASan sees any read past len. */
static void parse_n(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(&c, 0x5a, sizeof(c));      /* the parser must clear everything itself */
	cfg_parse(copy, len, &c);
	free(copy);
}

static void parse(const char *text)
{
	parse_n(text, strlen(text));
}

/* Prints every error on failure, so a broken expectation shows what the parser said. */
static void dump_errors(void)
{
	for (u32 i = 0; i < c.nr_errors && i < CFG_MAX_ERRORS; i++)
		print_message("    error %u: %s\n", i, c.errors[i]);
}

static void assert_errors(u32 n)
{
	if (c.nr_errors != n)
		dump_errors();
	assert_int_equal(c.nr_errors, n);
}

static void assert_error(u32 i, const char *want)
{
	assert_true(i < c.nr_errors);
	if (strcmp(c.errors[i], want) != 0)
		dump_errors();
	assert_string_equal(c.errors[i], want);
}

static const char example[] =
	"# Passage example: Linux beside a test guest\n"          /* 1 */
	"\n"                                                       /* 2 */
	"[domain linux]\n"                                         /* 3 */
	"cpus = 1, 2\n"                                            /* 4 */
	"memory = 512M          # two 256 MiB halves\n"            /* 5 */
	"kernel = vmlinuz\n"                                       /* 6 */
	"initrd = initrd.cpio\n"                                   /* 7 */
	"cmdline = console=ttyS0 earlyprintk=serial quiet  # comment\n" /* 8 */
	"console = shared\n"                                       /* 9 */
	"devices = 0000:00:03.0, 00:04.1\n"                        /* 10 */
	"\n"                                                       /* 11 */
	"[domain test-1]\n"                                        /* 12 */
	"\tkernel=testguest.elf\n"                                 /* 13 */
	"memory=2G\n"                                              /* 14 */
	"console = passthrough:0x2f8\n"                            /* 15 */
	"cpus = 3\n";                                              /* 16 */

static void test_valid_example(void **state)
{
	const struct cfg_domain *l = &c.domains[0], *t = &c.domains[1];

	(void)state;
	parse(example);
	assert_errors(0);
	assert_int_equal(c.nr_domains, 2);

	assert_string_equal(l->name, "linux");
	assert_int_equal(l->line, 3);
	assert_true(l->valid);
	assert_int_equal(l->nr_cpus, 2);
	assert_int_equal(l->cpus[0], 1);
	assert_int_equal(l->cpus[1], 2);
	assert_int_equal(l->memory, 512 * MiB);
	assert_string_equal(l->kernel, "vmlinuz");
	assert_string_equal(l->initrd, "initrd.cpio");
	assert_string_equal(l->cmdline, "console=ttyS0 earlyprintk=serial quiet");
	assert_int_equal(l->console, CFG_CONSOLE_SHARED);
	assert_int_equal(l->nr_devices, 2);
	assert_int_equal(l->devices[0].seg, 0);
	assert_int_equal(l->devices[0].bus, 0);
	assert_int_equal(l->devices[0].dev, 3);
	assert_int_equal(l->devices[0].fn, 0);
	assert_int_equal(l->devices[1].dev, 4);
	assert_int_equal(l->devices[1].fn, 1);
	assert_int_equal(l->lines.cpus, 4);
	assert_int_equal(l->lines.memory, 5);
	assert_int_equal(l->lines.devices, 10);

	assert_string_equal(t->name, "test-1");
	assert_int_equal(t->line, 12);
	assert_true(t->valid);
	assert_int_equal(t->nr_cpus, 1);
	assert_int_equal(t->cpus[0], 3);
	assert_int_equal(t->memory, 2 * GiB);
	assert_string_equal(t->kernel, "testguest.elf");
	assert_string_equal(t->initrd, "");
	assert_string_equal(t->cmdline, "");
	assert_int_equal(t->console, CFG_CONSOLE_PASSTHROUGH);
	assert_int_equal(t->console_port, 0x2f8);
	assert_int_equal(t->nr_devices, 0);
	assert_int_equal(t->lines.kernel, 13);
	assert_int_equal(t->lines.cpus, 16);
	assert_int_equal(t->lines.initrd, 0);
}

/* CRLF line ends, no final newline, blank and comment lines, tabs, odd spacing. */
static void test_crlf_and_no_final_newline(void **state)
{
	(void)state;
	parse("# hello\r\n\r\n  [domain a]  \r\n\tcpus\t=\t0 ,1\t\r\nmemory =4M\r\n"
	      "kernel= k.bin # c\r\ncmdline = x=1 y\r\n#[domain b]\r\ndevices = ffff:ff:1f.7");
	assert_errors(0);
	assert_int_equal(c.nr_domains, 1);
	assert_true(c.domains[0].valid);
	assert_int_equal(c.domains[0].nr_cpus, 2);
	assert_int_equal(c.domains[0].memory, 4 * MiB);
	assert_string_equal(c.domains[0].kernel, "k.bin");
	assert_string_equal(c.domains[0].cmdline, "x=1 y");
	assert_int_equal(c.domains[0].nr_devices, 1);
	assert_int_equal(c.domains[0].devices[0].seg, 0xffff);
	assert_int_equal(c.domains[0].devices[0].bus, 0xff);
	assert_int_equal(c.domains[0].devices[0].dev, 0x1f);
	assert_int_equal(c.domains[0].devices[0].fn, 7);
	assert_int_equal(c.domains[0].lines.devices, 9);
}

static void test_empty_input(void **state)
{
	(void)state;
	parse("");
	assert_errors(0);
	assert_int_equal(c.nr_domains, 0);
	parse("# nothing\n\n   \n\t# at all\n");
	assert_errors(0);
	assert_int_equal(c.nr_domains, 0);
	memset(&c, 0x5a, sizeof(c));
	cfg_parse(NULL, 100, &c);
	assert_errors(0);
	assert_int_equal(c.nr_domains, 0);
}

#define GOOD "[domain good]\ncpus = 0\nmemory = 64M\nkernel = good.elf\n"  /* 4 lines */

/*
 * Parses GOOD then bad, and bad then GOOD: either way exactly one error,
 * "config line N: what" with N = rel_line counted inside bad, and only the bad
 * section refused.
 */
static void expect_error(const char *bad, u32 rel_line, const char *what)
{
	static char text[16384];
	char want[CFG_ERROR_LEN + 32];

	snprintf(text, sizeof(text), "%s%s", GOOD, bad);
	parse(text);
	snprintf(want, sizeof(want), "config line %u: %s", rel_line + 4, what);
	assert_errors(1);
	assert_error(0, want);
	assert_int_equal(c.nr_domains, 2);
	assert_true(c.domains[0].valid);
	assert_string_equal(c.domains[0].name, "good");
	assert_false(c.domains[1].valid);

	snprintf(text, sizeof(text), "%s%s", bad, GOOD);
	parse(text);
	snprintf(want, sizeof(want), "config line %u: %s", rel_line, what);
	assert_errors(1);
	assert_error(0, want);
	assert_int_equal(c.nr_domains, 2);
	assert_false(c.domains[0].valid);
	assert_true(c.domains[1].valid);
	assert_string_equal(c.domains[1].name, "good");
	assert_int_equal(c.domains[1].memory, 64 * MiB);
}

#define BAD "[domain bad]\n"
#define BAD_BODY "cpus = 1\nmemory = 2M\nkernel = bad.elf\n"   /* lines 2..4 */

/* interrupts = auto | vtd-post | sw-post | exit; absent means auto; anything else refuses the domain. */
static void test_interrupts_key(void **state)
{
	(void)state;
	static const char *const names[] = { "auto", "vtd-post", "sw-post", "exit" };
	static const enum cfg_irq_mode modes[] = { CFG_IRQ_AUTO, CFG_IRQ_VTD_POST, CFG_IRQ_SW_POST, CFG_IRQ_EXIT };
	char text[256];
	for (u32 i = 0; i < 4; i++) {
		snprintf(text, sizeof text, BAD BAD_BODY "interrupts = %s\n", names[i]);
		parse(text);
		assert_errors(0);
		assert_true(c.domains[0].valid);
		assert_int_equal(c.domains[0].irq_mode, modes[i]);
		assert_int_equal(c.domains[0].lines.interrupts, 5);
	}
	parse(BAD BAD_BODY);
	assert_int_equal(c.domains[0].irq_mode, CFG_IRQ_AUTO);
	expect_error(BAD BAD_BODY "interrupts = posted\n", 5,
		     "interrupts: 'posted' is not auto, vtd-post, sw-post or exit");
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_error(BAD BAD_BODY "colour = blue\n", 5, "unknown key 'colour'");
	expect_error(BAD "Memory = 2M\n" BAD_BODY, 2, "unknown key 'Memory'");
	expect_error(BAD BAD_BODY "just words\n", 5, "expected 'key = value', got 'just words'");
	expect_error(BAD BAD_BODY "= 5\n", 5, "unknown key ''");
}

static void test_duplicate_key(void **state)
{
	(void)state;
	parse(GOOD BAD BAD_BODY "memory = 4M\n");
	assert_errors(1);
	assert_error(0, "config line 9: memory: already set on line 7");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);
	assert_int_equal(c.domains[1].memory, 2 * MiB);

	parse(BAD BAD_BODY "\ncmdline = a\ncmdline = b\n" GOOD);
	assert_errors(1);
	assert_error(0, "config line 7: cmdline: already set on line 6");
	assert_false(c.domains[0].valid);
	assert_true(c.domains[1].valid);
}

static void test_missing_required(void **state)
{
	(void)state;
	expect_error(BAD "cpus = 1\nmemory = 2M\n", 1, "kernel: missing (required in every domain)");
	expect_error(BAD "cpus = 1\nkernel = k\n", 1, "memory: missing (required in every domain)");
	expect_error("\n" BAD "# only comments\nkernel = k\nmemory = 2M\n", 2,
		     "cpus: missing (required in every domain)");

	parse(BAD GOOD "[domain last]\n");
	assert_errors(6);
	assert_error(0, "config line 1: cpus: missing (required in every domain)");
	assert_error(1, "config line 1: memory: missing (required in every domain)");
	assert_error(2, "config line 1: kernel: missing (required in every domain)");
	assert_error(3, "config line 6: cpus: missing (required in every domain)");
	assert_int_equal(c.nr_domains, 3);
	assert_false(c.domains[0].valid);
	assert_true(c.domains[1].valid);
	assert_false(c.domains[2].valid);
}

static void test_no_value(void **state)
{
	(void)state;
	expect_error(BAD BAD_BODY "initrd =\n", 5, "initrd: no value");
	expect_error(BAD "cpus = \nmemory = 2M\nkernel = k\n", 2, "cpus: no value");
	/* an empty cmdline is allowed */
	parse(GOOD "cmdline =   \n");
	assert_errors(0);
	assert_string_equal(c.domains[0].cmdline, "");
}

static void test_before_first_section(void **state)
{
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "# header\ncpus = 1\nverbose\n%s", GOOD);
	parse(text);
	assert_errors(2);
	assert_error(0, "config line 2: cpus: comes before the first [domain NAME] section");
	assert_error(1, "config line 3: verbose: comes before the first [domain NAME] section");
	assert_int_equal(c.nr_domains, 1);
	assert_true(c.domains[0].valid);
	assert_int_equal(c.domains[0].nr_cpus, 1);
	assert_int_equal(c.domains[0].cpus[0], 0);
}

static void test_section_headers(void **state)
{
	(void)state;
	expect_error("[domain a b]\n" BAD_BODY, 1,
		     "domain: 'a b' is not a valid name (use letters, digits, '_' or '-')");
	expect_error("[domain]\n" BAD_BODY, 1, "domain: '[domain]' is not a [domain NAME] header");
	expect_error("[domain ]\n" BAD_BODY, 1,
		     "domain: '' is not a valid name (use letters, digits, '_' or '-')");
	expect_error("[vm x]\n" BAD_BODY, 1, "domain: '[vm x]' is not a [domain NAME] header");
	expect_error("[domain x\n" BAD_BODY, 1, "domain: '[domain x' is not a [domain NAME] header");
	expect_error("[domain x] extra\n" BAD_BODY, 1,
		     "domain: '[domain x] extra' is not a [domain NAME] header");
	expect_error("[domainx]\n" BAD_BODY, 1, "domain: '[domainx]' is not a [domain NAME] header");
	expect_error("[domain abcdefghijklmnopqrstuvwxyz012345]\n" BAD_BODY, 1,
		     "domain: name 'abcdefghijklmnopqrstuvwxyz012345' is longer than 31 characters");

	/* 31 characters, all allowed kinds, tabs around it */
	parse("[domain\tAbc_-09abcdefghijklmnopqrstuvwx\t]\n" BAD_BODY);
	assert_errors(0);
	assert_string_equal(c.domains[0].name, "Abc_-09abcdefghijklmnopqrstuvwx");
	assert_true(c.domains[0].valid);
}

static void test_duplicate_domain(void **state)
{
	(void)state;
	parse(GOOD "[domain other]\n" BAD_BODY "[domain good]\n" BAD_BODY);
	assert_errors(1);
	assert_error(0, "config line 9: domain: 'good' is already defined on line 1");
	assert_int_equal(c.nr_domains, 3);
	assert_true(c.domains[0].valid);
	assert_true(c.domains[1].valid);
	assert_false(c.domains[2].valid);
	assert_string_equal(c.domains[2].name, "");
}

static void test_memory_values(void **state)
{
	static const struct { const char *s; u64 bytes; } good[] = {
		{ "2M", 2 * MiB }, { "2048K", 2 * MiB }, { "1G", GiB }, { "2097152", 2 * MiB },
		{ "4g", 4 * GiB }, { "6m", 6 * MiB }, { "1024G", 1024 * GiB }, { "0004M", 4 * MiB },
	};
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[domain a]\ncpus = 0\nkernel = k\nmemory = %s\n", good[i].s);
		parse(text);
		assert_errors(0);
		assert_int_equal(c.domains[0].memory, good[i].bytes);
	}
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = 12Q\n", 4,
		     "memory: '12Q' is not a size (use a number with K, M or G)");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = 1.5G\n", 4,
		     "memory: '1.5G' is not a size (use a number with K, M or G)");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = G\n", 4,
		     "memory: 'G' is not a size (use a number with K, M or G)");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = -2M\n", 4,
		     "memory: '-2M' is not a size (use a number with K, M or G)");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = 2 M\n", 4,
		     "memory: '2 M' is not a size (use a number with K, M or G)");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = 2MB\n", 4,
		     "memory: '2MB' is not a size (use a number with K, M or G)");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = 3M\n", 4, "memory: '3M' is not a multiple of 2 MiB");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = 1025K\n", 4,
		     "memory: '1025K' is not a multiple of 2 MiB");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = 0\n", 4, "memory: must be at least 2 MiB");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = 17179869184G\n", 4,
		     "memory: '17179869184G' is too large");
	expect_error(BAD "cpus = 1\nkernel = k\nmemory = 99999999999999999999999\n", 4,
		     "memory: '99999999999999999999999' is too large");
}

static void test_cpus_values(void **state)
{
	char text[1024];
	int n;

	(void)state;
	expect_error(BAD "memory = 2M\nkernel = k\ncpus = 1,,2\n", 4, "cpus: empty entry in the list");
	expect_error(BAD "memory = 2M\nkernel = k\ncpus = 1,\n", 4, "cpus: empty entry in the list");
	expect_error(BAD "memory = 2M\nkernel = k\ncpus = one\n", 4, "cpus: 'one' is not a CPU number");
	expect_error(BAD "memory = 2M\nkernel = k\ncpus = 0x1\n", 4, "cpus: '0x1' is not a CPU number");
	expect_error(BAD "memory = 2M\nkernel = k\ncpus = 1 2\n", 4, "cpus: '1 2' is not a CPU number");
	expect_error(BAD "memory = 2M\nkernel = k\ncpus = -1\n", 4, "cpus: '-1' is not a CPU number");
	expect_error(BAD "memory = 2M\nkernel = k\ncpus = 2, 5, 2\n", 4, "cpus: CPU 2 is listed twice");
	expect_error(BAD "memory = 2M\nkernel = k\ncpus = 4294967296\n", 4,
		     "cpus: CPU 4294967296 is out of range");

	/* 8 CPUs (one vCPU each, the most a domain runs) are accepted; a 9th refuses the domain (D17) */
	n = snprintf(text, sizeof(text), "[domain a]\nmemory = 2M\nkernel = k\ncpus = 0");
	for (int i = 1; i < 8; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, ",%d", i);
	snprintf(text + n, sizeof(text) - (size_t)n, "\n");
	parse(text);
	assert_errors(0);
	assert_int_equal(c.domains[0].nr_cpus, 8);
	assert_int_equal(c.domains[0].cpus[7], 7);
	assert_true(c.domains[0].valid);
	snprintf(text + n, sizeof(text) - (size_t)n, ",8\n");
	parse(text);
	assert_errors(1);
	assert_error(0, "config line 4: cpus: more than 8 CPUs (a domain runs at most 8 vCPUs)");
	assert_false(c.domains[0].valid);
}

static void test_pci_addresses(void **state)
{
	static const char *const bad[] = {
		"00:20.0", "00:03.8", "0000:00:03", "00:03", "00000:00:03.0", "100:03.0", "00:03.0.1",
		"0000:000:03.0", "00:03.", "g0:03.0", "0000:00:03.0x", ":00:03.0", "00-03.0",
	};
	char text[256], want[256];
	const struct cfg_device *d = c.domains[0].devices;

	(void)state;
	parse("[domain a]\ncpus=0\nmemory=2M\nkernel=k\ndevices = 0000:00:03.0,00:04.1, 1:2:3.4 ,abcd:Ef:1F.7\n");
	assert_errors(0);
	assert_int_equal(c.domains[0].nr_devices, 4);
	assert_true(d[0].seg == 0 && d[0].bus == 0 && d[0].dev == 3 && d[0].fn == 0);
	assert_true(d[1].seg == 0 && d[1].bus == 0 && d[1].dev == 4 && d[1].fn == 1);
	assert_true(d[2].seg == 1 && d[2].bus == 2 && d[2].dev == 3 && d[2].fn == 4);
	assert_true(d[3].seg == 0xabcd && d[3].bus == 0xef && d[3].dev == 0x1f && d[3].fn == 7);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), BAD BAD_BODY "devices = 00:01.0, %s\n", bad[i]);
		snprintf(want, sizeof(want),
			 "devices: '%s' is not a PCI address (use [SEG:]BUS:DEV.FN, e.g. 0000:00:03.0)", bad[i]);
		expect_error(text, 5, want);
	}
	expect_error(BAD BAD_BODY "devices = 0000:00:03.0, 00:03.0\n", 5, "devices: 0000:00:03.0 is listed twice");
	expect_error(BAD BAD_BODY "devices = 00:03.0,\n", 5, "devices: empty entry in the list");
	expect_error(BAD BAD_BODY "devices = 00:00.0, 00:00.1, 00:00.2, 00:00.3, 00:00.4, 00:00.5, "
		     "00:00.6, 00:00.7, 00:01.0, 00:01.1, 00:01.2, 00:01.3, 00:01.4, 00:01.5, 00:01.6, "
		     "00:01.7, 00:02.0\n", 5, "devices: more than 16 devices");
}

static void test_console_values(void **state)
{
	static const struct { const char *s; u16 port; } good[] = {
		{ "passthrough:0x2f8", 0x2f8 }, { "passthrough:0X3E8", 0x3e8 },
		{ "passthrough:760", 760 }, { "passthrough:0xfff8", 0xfff8 },
	};
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), GOOD "console = %s\n", good[i].s);
		parse(text);
		assert_errors(0);
		assert_int_equal(c.domains[0].console, CFG_CONSOLE_PASSTHROUGH);
		assert_int_equal(c.domains[0].console_port, good[i].port);
	}
	parse(GOOD "console = shared\n");
	assert_errors(0);
	assert_int_equal(c.domains[0].console, CFG_CONSOLE_SHARED);

#define CONSOLE_USE "is not shared or passthrough:PORT (e.g. passthrough:0x2f8)"
	expect_error(BAD BAD_BODY "console = serial\n", 5, "console: 'serial' " CONSOLE_USE);
	expect_error(BAD BAD_BODY "console = Shared\n", 5, "console: 'Shared' " CONSOLE_USE);
	expect_error(BAD BAD_BODY "console = passthrough:\n", 5, "console: 'passthrough:' " CONSOLE_USE);
	expect_error(BAD BAD_BODY "console = passthrough:com2\n", 5, "console: 'passthrough:com2' " CONSOLE_USE);
	expect_error(BAD BAD_BODY "console = passthrough 0x2f8\n", 5,
		     "console: 'passthrough 0x2f8' " CONSOLE_USE);
	expect_error(BAD BAD_BODY "console = passthrough:0\n", 5,
		     "console: port 0 is not a UART port (1..0xfff8)");
	expect_error(BAD BAD_BODY "console = passthrough:0xfff9\n", 5,
		     "console: port 0xfff9 is not a UART port (1..0xfff8)");
	expect_error(BAD BAD_BODY "console = passthrough:99999999999999999999999\n", 5,
		     "console: port 99999999999999999999999 is not a UART port (1..0xfff8)");
}

static void test_value_lengths(void **state)
{
	char text[2048], want[128], name[300];

	(void)state;
	memset(name, 'k', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), "[domain a]\ncpus = 0\nmemory = 2M\nkernel = %s\ninitrd = %s\n", name, name);
	parse(text);
	assert_errors(0);
	assert_string_equal(c.domains[0].kernel, name);
	assert_string_equal(c.domains[0].initrd, name);

	strcat(name, "k");
	snprintf(text, sizeof(text), BAD "cpus = 1\nmemory = 2M\nkernel = %s\n", name);
	expect_error(text, 4, "kernel: name is longer than 63 characters");
	snprintf(text, sizeof(text), BAD BAD_BODY "initrd = %s\n", name);
	expect_error(text, 5, "initrd: name is longer than 63 characters");
	expect_error(BAD BAD_BODY "initrd = my initrd\n", 5, "initrd: 'my initrd' contains a blank");

	memset(name, 'c', 255);
	name[255] = '\0';
	snprintf(text, sizeof(text), GOOD "cmdline = %s\n", name);
	parse(text);
	assert_errors(0);
	assert_string_equal(c.domains[0].cmdline, name);
	strcat(name, "c");
	snprintf(text, sizeof(text), BAD BAD_BODY "cmdline = %s\n", name);
	expect_error(text, 5, "cmdline: longer than 255 characters");

	/* a quoted bad value is shortened, keeping the advice readable */
	memset(name, '9', 100);
	strcpy(name + 100, "Q");
	snprintf(text, sizeof(text), BAD "cpus = 1\nkernel = k\nmemory = %s\n", name);
	snprintf(want, sizeof(want), "memory: '%.37s...' is not a size (use a number with K, M or G)", name);
	expect_error(text, 4, want);
}

/* A line too long to look at is reported with its key and skipped; parsing goes on after it. */
static void test_long_line(void **state)
{
	char *text = malloc(8192);
	char *p;

	(void)state;
	assert_non_null(text);
	p = text + sprintf(text, BAD BAD_BODY "cmdline = ");
	memset(p, 'x', 600);
	strcpy(p + 600, "\n");
	expect_error(text, 5, "cmdline: line is longer than 511 characters");

	p = text + sprintf(text, BAD BAD_BODY);
	memset(p, 'y', 3000);
	strcpy(p + 3000, " = 1\n");
	expect_error(text, 5, "line is longer than 511 characters");

	/* the key's line is taken, so a long required key is not also "missing" */
	p = text + sprintf(text, BAD "cpus = 1\nmemory = 2M\nkernel = ");
	memset(p, 'z', 5000);
	strcpy(p + 5000, "\n");
	expect_error(text, 4, "kernel: line is longer than 511 characters");

	/*
	 * A long comment is only a comment; blanks around a setting and its
	 * comment do not count; 511 characters are looked at, 512 are not.
	 */
	p = text + sprintf(text, "# ");
	memset(p, '#', 4000);
	p += 4000;
	p += sprintf(p, "\n[domain a]\ncpus = 0\nmemory = 2M\nkernel = k\n%600scmdline = ", "");
	memset(p, 'c', 255);
	p += 255;
	p += sprintf(p, "%300s# comment %300s\n", "", "");
	memset(p, 'y', 507);
	p += 507;
	p += sprintf(p, " = 1\n");
	memset(p, 'y', 508);
	p += 508;
	p += sprintf(p, " = 1\n");
	parse(text);
	assert_errors(2);
	assert_error(0, "config line 7: unknown key 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...'");
	assert_error(1, "config line 8: line is longer than 511 characters");
	assert_int_equal(strlen(c.domains[0].cmdline), 255);
	assert_int_equal(c.domains[0].nr_cpus, 1);
	free(text);
}

static void test_nul_and_control_bytes(void **state)
{
	static const char with_nul[] = GOOD "[domain bad]\ncpus = 1\nmemory = 2M\nkernel = vm\0linuz\n"
				       "# a NUL \0 in a comment is fine\n";
	static const char ctrl[] = "[domain bad]\ncpus = 1\nmemory = 2M\nkernel = k\ncmdline = a\033[0m\n" GOOD;
	static const char nul_header[] = GOOD "[domain\0x]\nkernel = k\n";

	(void)state;
	parse_n(with_nul, sizeof(with_nul) - 1);
	assert_errors(1);
	assert_error(0, "config line 8: kernel: line contains a NUL byte");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);

	parse_n(ctrl, sizeof(ctrl) - 1);
	assert_errors(1);
	assert_error(0, "config line 5: cmdline: line contains control character 0x1b");
	assert_false(c.domains[0].valid);
	assert_true(c.domains[1].valid);

	/* a bad header still opens a (refused) section, so its keys do not land in "good" */
	parse_n(nul_header, sizeof(nul_header) - 1);
	assert_errors(1);
	assert_error(0, "config line 5: domain: line contains a NUL byte");
	assert_int_equal(c.nr_domains, 2);
	assert_true(c.domains[0].valid);
	assert_string_equal(c.domains[0].kernel, "good.elf");
	assert_false(c.domains[1].valid);

	/* nothing but NULs, and a lone CR in the middle of a line */
	parse_n("\0\0\0\n\0", 5);
	assert_errors(2);
	assert_error(0, "config line 1: line contains a NUL byte");
	assert_error(1, "config line 2: line contains a NUL byte");
	parse("[domain a]\ncpus = 0\rmemory = 2M\nkernel = k\nmemory = 2M\n");
	assert_errors(1);
	assert_error(0, "config line 2: cpus: line contains control character 0x0d");
}

static void test_too_many_domains(void **state)
{
	char text[8192];
	int n = 0;

	(void)state;
	for (int i = 0; i < CFG_MAX_DOMAINS + 3; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "[domain d%d]\ncpus = %d\nmemory = 2M\nkernel = k\n", i, i);
	n += snprintf(text + n, sizeof(text) - (size_t)n, "colour = red\n");
	parse(text);
	assert_errors(1);
	assert_error(0, "config line 65: domain: more than 16 domains; this section and later ones are ignored");
	assert_int_equal(c.nr_domains, CFG_MAX_DOMAINS);
	for (int i = 0; i < CFG_MAX_DOMAINS; i++)
		assert_true(c.domains[i].valid);
	assert_string_equal(c.domains[15].name, "d15");
	assert_int_equal(c.domains[15].cpus[0], 15);
}

static void test_many_errors(void **state)
{
	char text[8192];
	int n = snprintf(text, sizeof(text), GOOD "[domain bad]\n");

	(void)state;
	for (int i = 0; i < 50; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "key%d = 1\n", i);
	parse(text);
	assert_int_equal(c.nr_errors, 50 + 3);   /* 50 unknown keys, 3 missing */
	assert_string_equal(c.errors[0], "config line 6: unknown key 'key0'");
	assert_string_equal(c.errors[CFG_MAX_ERRORS - 1], "config line 37: unknown key 'key31'");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);
}

/* Fake machine for cfg_check(): the files that exist, and the calls made. */
struct fake_files {
	const char *const *names;
	int calls;
};

static bool have_file(const char *name, void *ctx)
{
	struct fake_files *f = ctx;

	f->calls++;
	for (size_t i = 0; f->names[i] != NULL; i++)
		if (strcmp(f->names[i], name) == 0)
			return true;
	return false;
}

static const char *const all_files[] = { "vmlinuz", "initrd.cpio", "testguest.elf", "good.elf", "k", NULL };
static struct fake_files files;

static void check(u32 cpus, u64 memory)
{
	struct cfg_machine m = { cpus, memory, have_file, &files, 0 };

	files.names = all_files;
	files.calls = 0;
	cfg_check(&c, &m);
}

static void test_check_example_fits(void **state)
{
	(void)state;
	parse(example);
	check(4, 4 * GiB);
	assert_errors(0);
	assert_true(c.domains[0].valid);
	assert_true(c.domains[1].valid);
	assert_int_equal(files.calls, 3);   /* vmlinuz, initrd.cpio, testguest.elf */

	/* exactly enough memory and CPUs */
	parse(example);
	check(4, 2 * GiB + 512 * MiB);
	assert_errors(0);
}

static void test_check_cpus(void **state)
{
	(void)state;
	parse(example);
	check(3, 4 * GiB);
	assert_errors(1);
	assert_error(0, "config line 16: cpus: CPU 3 does not exist (the machine has 3 CPUs)");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);

	parse("[domain linux]\ncpus = 1, 2\nmemory = 2M\nkernel = k\n"
	      "[domain rt]\nmemory = 2M\nkernel = k\n\ncpus = 0, 2, 3, 1\n"
	      "[domain third]\ncpus = 0\nmemory = 2M\nkernel = k\n");
	check(4, 4 * GiB);
	assert_errors(2);
	assert_error(0, "config line 9: cpus: CPU 2 is already used by domain 'linux'");
	assert_error(1, "config line 9: cpus: CPU 1 is already used by domain 'linux'");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);
	assert_true(c.domains[2].valid);    /* rt was refused, so its CPU 0 is free for third */
}

static void test_check_hypervisor_console(void **state)
{
	struct cfg_machine m = { 4, 4 * GiB, have_file, &files, 0x2f8 };

	(void)state;
	parse(example);
	files.names = all_files;
	cfg_check(&c, &m);
	assert_errors(1);
	assert_error(0, "config line 15: console: port 0x2f8 is the hypervisor's own console");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);

	m.hv_console_port = 0x3f8;          /* another port: nothing to refuse */
	parse(example);
	cfg_check(&c, &m);
	assert_errors(0);
}

static void test_check_cpu_overlap_frees_after_refusal(void **state)
{
	(void)state;
	/* rt is refused (CPU 1 taken), so third may use CPU 3 that rt asked for */
	parse("[domain linux]\ncpus = 1, 2\nmemory = 2M\nkernel = k\n"
	      "[domain rt]\ncpus = 3, 1\nmemory = 2M\nkernel = k\n"
	      "[domain third]\ncpus = 3\nmemory = 2M\nkernel = k\n");
	check(4, 4 * GiB);
	assert_errors(1);
	assert_error(0, "config line 6: cpus: CPU 1 is already used by domain 'linux'");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);
	assert_true(c.domains[2].valid);
}

static void test_check_memory(void **state)
{
	(void)state;
	parse(example);
	check(4, 2 * GiB + 510 * MiB);
	assert_errors(1);
	assert_error(0, "config line 14: memory: 2 GiB requested, 1.9 GiB left");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);

	/* a refused domain takes no memory: the third still fits */
	parse("[domain a]\ncpus = 0\nmemory = 64G\nkernel = k\n"
	      "[domain b]\ncpus = 1\nmemory = 1G\nkernel = k\n"
	      "[domain c]\ncpus = 2\nmemory = 822M\nkernel = k\n"
	      "[domain d]\ncpus = 3\nmemory = 2M\nkernel = k\n");
	check(4, 18 * GiB / 10 + 2 * MiB);  /* 1.8 GiB and a bit: tenths are truncated */
	assert_errors(2);
	assert_error(0, "config line 3: memory: 64 GiB requested, 1.8 GiB left");
	assert_error(1, "config line 11: memory: 822 MiB requested, 821.1 MiB left");
	assert_false(c.domains[0].valid);
	assert_true(c.domains[1].valid);
	assert_false(c.domains[2].valid);
	assert_true(c.domains[3].valid);
}

static void test_check_missing_image(void **state)
{
	(void)state;
	parse("[domain a]\ncpus = 0\nmemory = 2M\nkernel = vmlinuz\n"
	      "[domain b]\ncpus = 1\nmemory = 2M\nkernel = bzImage\ninitrd = nope.cpio\n"
	      "[domain c]\ncpus = 2\nmemory = 2M\nkernel = k\ninitrd = initrd.cpio\n");
	check(4, GiB);
	assert_errors(2);
	assert_error(0, "config line 8: kernel: no module named 'bzImage'");
	assert_error(1, "config line 9: initrd: no module named 'nope.cpio'");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);
	assert_true(c.domains[2].valid);
	assert_int_equal(files.calls, 5);

	/* without a have_file callback nothing is looked up */
	parse("[domain b]\ncpus = 1\nmemory = 2M\nkernel = bzImage\n");
	{
		struct cfg_machine m = { 4, GiB, NULL, NULL, 0 };

		cfg_check(&c, &m);
	}
	assert_errors(0);
	assert_true(c.domains[0].valid);
}

static void test_check_devices_and_console(void **state)
{
	(void)state;
	parse("[domain a]\ncpus = 0\nmemory = 2M\nkernel = k\ndevices = 0000:00:03.0, 00:05.0\n"
	      "console = passthrough:0x2f8\n"
	      "[domain b]\ncpus = 1\nmemory = 2M\nkernel = k\ndevices = 00:04.0, 00:03.0\n"
	      "[domain c]\ncpus = 2\nmemory = 2M\nkernel = k\ndevices = 0001:00:03.0, 00:03.1\n"
	      "console = passthrough:760\n"
	      "[domain d]\ncpus = 3\nmemory = 2M\nkernel = k\ndevices = 00:04.0\n");
	check(4, GiB);
	assert_errors(2);
	assert_error(0, "config line 11: devices: 0000:00:03.0 is already passed through to domain 'a'");
	assert_error(1, "config line 17: console: port 0x2f8 is already passed through to domain 'a'");
	assert_true(c.domains[0].valid);
	assert_false(c.domains[1].valid);
	assert_false(c.domains[2].valid);
	assert_true(c.domains[3].valid);    /* b, which also wanted 00:04.0, was refused */
}

/* Domains refused by the parser take nothing and are not checked again. */
static void test_check_skips_refused(void **state)
{
	(void)state;
	parse("[domain a]\ncpus = 1\nmemory = 4G\nkernel = missing\ncolour = red\n"
	      "[domain b]\ncpus = 1\nmemory = 4G\nkernel = k\n");
	assert_errors(1);
	check(4, 4 * GiB);
	assert_errors(1);
	assert_false(c.domains[0].valid);
	assert_true(c.domains[1].valid);
	assert_int_equal(files.calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_example),
		cmocka_unit_test(test_crlf_and_no_final_newline),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_no_value),
		cmocka_unit_test(test_before_first_section),
		cmocka_unit_test(test_section_headers),
		cmocka_unit_test(test_duplicate_domain),
		cmocka_unit_test(test_memory_values),
		cmocka_unit_test(test_cpus_values),
		cmocka_unit_test(test_pci_addresses),
		cmocka_unit_test(test_console_values),
		cmocka_unit_test(test_value_lengths),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul_and_control_bytes),
		cmocka_unit_test(test_too_many_domains),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_check_example_fits),
		cmocka_unit_test(test_check_cpus),
		cmocka_unit_test(test_check_hypervisor_console),
		cmocka_unit_test(test_check_cpu_overlap_frees_after_refusal),
		cmocka_unit_test(test_check_memory),
		cmocka_unit_test(test_check_missing_image),
		cmocka_unit_test(test_check_devices_and_console),
		cmocka_unit_test(test_check_skips_refused),
		cmocka_unit_test(test_interrupts_key),
	};

	setvbuf(stdout, NULL, _IONBF, 0);   /* a crash must not lose buffered results */
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
