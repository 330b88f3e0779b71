/* Hypervisor command-line parser: whitespace-separated key or key=value words into hv_options. */
#include "lib/cmdline.h"
#include "lib/parse.h"
#include "lib/string.h"

#define CMDLINE_WORD_MAX 128      /* longest word looked at; longer ones are reported */
#define CMDLINE_MSG_MAX 200       /* one problem message */
#define UART_CLOCK_BAUD 115200    /* 16550: 1.8432 MHz / 16, the divisor-1 rate */
#define BAUD_MIN 50
#define UART_PORT_MAX 0xfff8      /* a 16550 decodes 8 consecutive ports */

/* State of one parse: where problems go and how many there were. */
struct cmdline_ctx {
	struct hv_options *o;
	cmdline_err_fn err;
	void *err_ctx;
	int problems;
};

static void report(struct cmdline_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(struct cmdline_ctx *c, const char *fmt, ...)
{
	char msg[CMDLINE_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->problems++;
	if (c->err != NULL)
		c->err(c->err_ctx, msg);
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* console=com1..com4 (the standard PC COM port addresses) or an I/O port number. */
static void opt_console(struct cmdline_ctx *c, const char *val)
{
	static const u16 com_ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 }; /* COM1..COM4 */
	u64 port;

	if (strncmp(val, "com", 3) == 0 && val[3] >= '1' && val[3] <= '4' && val[4] == '\0') {
		c->o->uart_port = com_ports[val[3] - '1'];
		return;
	}
	if (parse_number(val, &port) == OK && port != 0 && port <= UART_PORT_MAX) {
		c->o->uart_port = (u16)port;
		return;
	}
	report(c, "cmdline: console=%s: expected com1..com4 or an I/O port like 0x3f8", val);
}

/* baud=N: the 16550 divisor latch divides 115200, so only its divisors are exact. */
static void opt_baud(struct cmdline_ctx *c, const char *val)
{
	u64 baud;

	if (parse_number(val, &baud))
		report(c, "cmdline: baud=%s: not a number", val);
	else if (baud > UART_CLOCK_BAUD)
		report(c, "cmdline: baud=%s: expected %u..%u", val, BAUD_MIN, UART_CLOCK_BAUD);
	else if (baud == 0 || UART_CLOCK_BAUD % baud != 0)
		report(c, "cmdline: baud=%s: not a divisor of %u", val, UART_CLOCK_BAUD);
	else if (baud < BAUD_MIN)
		report(c, "cmdline: baud=%s: expected %u..%u", val, BAUD_MIN, UART_CLOCK_BAUD);
	else
		c->o->baud = (u32)baud;
}

static void opt_maxcpus(struct cmdline_ctx *c, const char *val)
{
	u64 n;

	if (parse_number(val, &n) != OK || n > 0xffffffffULL)
		report(c, "cmdline: maxcpus=%s: expected a number (0 = all)", val);
	else
		c->o->max_cpus = (u32)n;
}

static void opt_crash(struct cmdline_ctx *c, const char *val)
{
	static const char *const names[] = { "ud", "pf", "gp", "de", "vmexit" };
	static const int kinds[] = { CRASH_UD, CRASH_PF, CRASH_GP, CRASH_DE, CRASH_VMEXIT };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(val, names[i]) == 0) {
			c->o->crash = kinds[i];
			return;
		}
	}
	report(c, "cmdline: crash=%s: expected ud, pf, gp, de or vmexit", val);
}

static void opt_pci(struct cmdline_ctx *c, const char *val)
{
	if (strcmp(val, "verbose") == 0)
		c->o->pci_verbose = true;
	else
		report(c, "cmdline: pci=%s: expected verbose", val);
}

static void opt_selftest(struct cmdline_ctx *c, const char *val)
{
	if (strcmp(val, "dma") == 0)
		c->o->selftest_dma = true;
	else if (strcmp(val, "ir") == 0)
		c->o->selftest_ir = true;
	else
		report(c, "cmdline: selftest=%s: expected dma or ir", val);
}

/* vtd= takes a comma-separated list: off, preenable, 39. */
static void opt_vtd(struct cmdline_ctx *c, const char *val)
{
	char item[16];
	for (const char *p = val; *p;) {
		size_t n = 0;
		while (p[n] && p[n] != ',')
			n++;
		if (n >= sizeof item)
			n = sizeof item - 1;
		memcpy(item, p, n);
		item[n] = '\0';
		if (strcmp(item, "off") == 0)
			c->o->vtd_off = true;
		else if (strcmp(item, "preenable") == 0)
			c->o->vtd_preenable = true;
		else if (strcmp(item, "39") == 0)
			c->o->vtd_levels = 3;
		else if (strcmp(item, "noqi") == 0)
			c->o->vtd_noqi = true;
		else if (strcmp(item, "ir") == 0)
			c->o->vtd_ir = true;
		else
			report(c, "cmdline: vtd=%s: unknown item '%s' (expected off, preenable, 39, noqi, ir)", val,
			       item);
		p += n;
		while (*p && *p != ',')
			p++;
		if (*p == ',')
			p++;
	}
}

static void opt_flood(struct cmdline_ctx *c, const char *val)
{
	u64 n;
	if (parse_number(val, &n) != OK || n > 1000000)
		report(c, "cmdline: flood=%s: expected a number up to 1000000", val);
	else
		c->o->flood = (u32)n;
}

static void opt_apicv(struct cmdline_ctx *c, const char *val)
{
	if (strcmp(val, "off") == 0)
		c->o->apicv_on = false;
	else if (strcmp(val, "on") == 0)
		c->o->apicv_on = true;
	else
		report(c, "cmdline: apicv=%s: expected on or off", val);
}

/* Options that take a value. */
struct value_opt {
	const char *key;
	void (*apply)(struct cmdline_ctx *c, const char *val);
};

static const struct value_opt value_opts[] = {
	{ "console", opt_console },
	{ "baud", opt_baud },
	{ "maxcpus", opt_maxcpus },
	{ "crash", opt_crash },
	{ "pci", opt_pci },
	{ "selftest", opt_selftest },
	{ "vtd", opt_vtd },
	{ "flood", opt_flood },
	{ "apicv", opt_apicv },
};

/* Returns the flag a bare word sets, NULL when it is not a flag. */
static bool *flag_for(struct hv_options *o, const char *key)
{
	if (strcmp(key, "xapic") == 0)
		return &o->force_xapic;
	if (strcmp(key, "nosmp") == 0)
		return &o->nosmp;
	if (strcmp(key, "test_exit") == 0)
		return &o->test_exit;
	return NULL;
}

/* Applies one word, split in place into key and (val may be NULL) value. */
static void apply_word(struct cmdline_ctx *c, char *key, const char *val)
{
	bool *flag = flag_for(c->o, key);
	size_t i;

	if (flag != NULL) {
		if (val != NULL)
			report(c, "cmdline: %s=%s: %s takes no value", key, val, key);
		else
			*flag = true;
		return;
	}
	for (i = 0; i < ARRAY_SIZE(value_opts); i++) {
		if (strcmp(key, value_opts[i].key) != 0)
			continue;
		if (val == NULL)
			report(c, "cmdline: %s: expected %s=VALUE", key, key);
		else
			value_opts[i].apply(c, val);
		return;
	}
	report(c, "cmdline: unknown option '%s'", key);
}

/* Copies the word [w, w+len) to a buffer, splits it at the first '=' and applies it. */
static void handle_word(struct cmdline_ctx *c, const char *w, size_t len)
{
	char buf[CMDLINE_WORD_MAX];
	char *eq;

	if (len >= sizeof(buf)) {
		memcpy(buf, w, 32);
		buf[32] = '\0';
		report(c, "cmdline: option '%s...' longer than %u characters", buf,
		       (unsigned)sizeof(buf) - 1);
		return;
	}
	memcpy(buf, w, len);
	buf[len] = '\0';
	eq = strchr(buf, '=');
	if (eq != NULL)
		*eq = '\0';
	apply_word(c, buf, eq != NULL ? eq + 1 : NULL);
}

static void set_defaults(struct hv_options *o)
{
	memset(o, 0, sizeof(*o));
	o->uart_port = 0x3f8;          /* COM1 */
	o->baud = UART_CLOCK_BAUD;
	o->crash = CRASH_NONE;
	o->flood = 2000;
	o->apicv_on = true;
}

int cmdline_parse(const char *s, struct hv_options *o, cmdline_err_fn err, void *ctx)
{
	struct cmdline_ctx c = { .o = o, .err = err, .err_ctx = ctx, .problems = 0 };
	size_t len;

	set_defaults(o);
	if (s == NULL)
		return 0;
	while (*s != '\0') {
		while (is_space(*s))
			s++;
		for (len = 0; s[len] != '\0' && !is_space(s[len]); len++)
			;
		if (len > 0)
			handle_word(&c, s, len);
		s += len;
	}
	return c.problems;
}
