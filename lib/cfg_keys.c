/* Config keys: the table of known keys and the parser of each value. */
#include "lib/cfg_internal.h"
#include "lib/parse.h"
#include "lib/string.h"

#define CFG_MEM_ALIGN (2 * MiB)   /* guest memory is mapped with 2 MiB EPT/VT-d pages */
#define CFG_PORT_MAX 0xfff8       /* a 16550 decodes 8 consecutive I/O ports */

/* A whole string of decimal digits; E_INVAL on junk or empty, E_RANGE on overflow. */
static MUST_CHECK status_t parse_decimal(const char *s, u64 *out)
{
	int n = parse_digits(&s, 10, 0, out);

	if (n == 0 || *s != '\0')
		return E_INVAL;
	return n < 0 ? E_RANGE : OK;
}

/* "256M", "1G", "4096K", "2097152": decimal bytes with an optional K/M/G suffix. */
static MUST_CHECK status_t parse_size(const char *s, u64 *out)
{
	u64 v, mult = 1;
	int n = parse_digits(&s, 10, 0, &v);

	if (n == 0)
		return E_INVAL;
	if (*s == 'K' || *s == 'k')
		mult = KiB;
	else if (*s == 'M' || *s == 'm')
		mult = MiB;
	else if (*s == 'G' || *s == 'g')
		mult = GiB;
	if (mult != 1)
		s++;
	if (*s != '\0')
		return E_INVAL;
	if (n < 0 || v > ~(u64)0 / mult)
		return E_RANGE;
	*out = v * mult;
	return OK;
}

/* Cuts the next comma-separated item off *s and returns it trimmed (NULL at the end). */
static char *next_item(char **s)
{
	char *item = *s, *comma;

	if (item == NULL)
		return NULL;
	comma = strchr(item, ',');
	if (comma != NULL) {
		*comma = '\0';
		*s = comma + 1;
	} else {
		*s = NULL;
	}
	return cfg_trim(item);
}

u32 *cfg_key_line(struct cfg_domain *d, const struct cfg_key *k)
{
	return (u32 *)((char *)&d->lines + k->line_off);
}

/* cpus = 1, 2: distinct decimal CPU numbers. */
static bool parse_cpus(struct cfg_parser *p, char *val)
{
	struct cfg_domain *d = p->dom;
	char *item;
	u64 cpu;
	u32 i;

	while ((item = next_item(&val)) != NULL) {
		status_t st = parse_decimal(item, &cpu);

		if (*item == '\0')
			return cfg_dom_error(p->out, d, p->line, "cpus: empty entry in the list");
		if (st == E_INVAL)
			return cfg_dom_error(p->out, d, p->line, "cpus: '%s' is not a CPU number", CLIP(item));
		if (st != OK || cpu > 0xffffffffu)
			return cfg_dom_error(p->out, d, p->line, "cpus: CPU %s is out of range", CLIP(item));
		for (i = 0; i < d->nr_cpus; i++)
			if (d->cpus[i] == cpu)
				return cfg_dom_error(p->out, d, p->line, "cpus: CPU %u is listed twice", (u32)cpu);
		if (d->nr_cpus == CFG_MAX_CPUS)
			return cfg_dom_error(p->out, d, p->line, "cpus: more than %u CPUs (a domain runs at most %u vCPUs)",
					 CFG_MAX_CPUS, CFG_MAX_CPUS);
		d->cpus[d->nr_cpus++] = (u32)cpu;
	}
	return true;
}

/* memory = 256M: a non-zero multiple of 2 MiB. */
static bool parse_memory(struct cfg_parser *p, char *val)
{
	struct cfg_domain *d = p->dom;
	status_t st = parse_size(val, &d->memory);

	if (st == E_RANGE)
		return cfg_dom_error(p->out, d, p->line, "memory: '%s' is too large", CLIP(val));
	if (st != OK)
		return cfg_dom_error(p->out, d, p->line,
				 "memory: '%s' is not a size (use a number with K, M or G)", CLIP(val));
	if (d->memory == 0)
		return cfg_dom_error(p->out, d, p->line, "memory: must be at least 2 MiB");
	if (d->memory % CFG_MEM_ALIGN != 0)
		return cfg_dom_error(p->out, d, p->line, "memory: '%s' is not a multiple of 2 MiB", CLIP(val));
	return true;
}

/* A module name: shorter than CFG_FILE_MAX, no blanks (a module string cannot hold them). */
static bool parse_file(struct cfg_parser *p, const char *field, char *val, char *dst)
{
	const char *s;

	if (strlcpy_(dst, val, CFG_FILE_MAX) >= CFG_FILE_MAX) {
		dst[0] = '\0';
		return cfg_dom_error(p->out, p->dom, p->line, "%s: name is longer than %u characters",
				 field, CFG_FILE_MAX - 1);
	}
	for (s = val; *s != '\0'; s++)
		if (cfg_is_blank(*s)) {
			dst[0] = '\0';
			return cfg_dom_error(p->out, p->dom, p->line, "%s: '%s' contains a blank",
					 field, CLIP(val));
		}
	return true;
}

static bool parse_kernel(struct cfg_parser *p, char *val)
{
	return parse_file(p, "kernel", val, p->dom->kernel);
}

static bool parse_initrd(struct cfg_parser *p, char *val)
{
	return parse_file(p, "initrd", val, p->dom->initrd);
}

/* cmdline = the rest of the line, verbatim. */
static bool parse_cmdline(struct cfg_parser *p, char *val)
{
	if (strlcpy_(p->dom->cmdline, val, CFG_CMDLINE_MAX) >= CFG_CMDLINE_MAX) {
		p->dom->cmdline[0] = '\0';
		return cfg_dom_error(p->out, p->dom, p->line, "cmdline: longer than %u characters",
				 CFG_CMDLINE_MAX - 1);
	}
	return true;
}

/* console = shared | passthrough:PORT (decimal or 0x hex I/O port of a 16550). */
static bool parse_console(struct cfg_parser *p, char *val)
{
	struct cfg_domain *d = p->dom;
	status_t st = E_INVAL;
	u64 port = 0;

	if (strcmp(val, "shared") == 0) {
		d->console = CFG_CONSOLE_SHARED;
		return true;
	}
	if (strncmp(val, "passthrough:", 12) == 0)
		st = parse_number(val + 12, &port);
	if (st == E_INVAL)
		return cfg_dom_error(p->out, d, p->line,
				 "console: '%s' is not shared or passthrough:PORT (e.g. passthrough:0x2f8)",
				 CLIP(val));
	if (st != OK || port == 0 || port > CFG_PORT_MAX)
		return cfg_dom_error(p->out, d, p->line, "console: port %s is not a UART port (1..0x%x)",
				 CLIP(val + 12), CFG_PORT_MAX);
	d->console = CFG_CONSOLE_PASSTHROUGH;
	d->console_port = (u16)port;
	return true;
}

/* [SEG:]BUS:DEV.FN in hex, e.g. 0000:00:03.0 or 00:03.0; false when malformed or out of range. */
static bool parse_bdf(const char *s, struct cfg_device *dev)
{
	u64 a, b, c = 0, fn;
	int na, nb;

	na = parse_digits(&s, 16, 4, &a);
	if (na <= 0 || *s++ != ':' || (nb = parse_digits(&s, 16, 2, &b)) <= 0)
		return false;
	if (*s == ':') {                  /* seg:bus:dev */
		s++;
		if (parse_digits(&s, 16, 2, &c) <= 0)
			return false;
		dev->seg = (u16)a;
		dev->bus = (u8)b;
	} else {                          /* bus:dev */
		if (na > 2)
			return false;
		c = b;
		dev->seg = 0;
		dev->bus = (u8)a;
	}
	if (*s++ != '.' || parse_digits(&s, 16, 1, &fn) <= 0 || *s != '\0')
		return false;
	if (c > 0x1f || fn > 7)           /* PCI: 32 devices per bus, 8 functions per device */
		return false;
	dev->dev = (u8)c;
	dev->fn = (u8)fn;
	return true;
}

bool cfg_same_device(const struct cfg_device *a, const struct cfg_device *b)
{
	return a->seg == b->seg && a->bus == b->bus && a->dev == b->dev && a->fn == b->fn;
}

/* devices = 0000:00:03.0, 00:04.0: distinct PCI functions. */
static bool parse_devices(struct cfg_parser *p, char *val)
{
	struct cfg_domain *d = p->dom;
	struct cfg_device dev;
	char *item;
	u32 i;

	while ((item = next_item(&val)) != NULL) {
		memset(&dev, 0, sizeof(dev));   /* its padding is copied into the result too */
		if (*item == '\0')
			return cfg_dom_error(p->out, d, p->line, "devices: empty entry in the list");
		if (!parse_bdf(item, &dev))
			return cfg_dom_error(p->out, d, p->line,
					 "devices: '%s' is not a PCI address (use [SEG:]BUS:DEV.FN, e.g. 0000:00:03.0)",
					 CLIP(item));
		for (i = 0; i < d->nr_devices; i++)
			if (cfg_same_device(&d->devices[i], &dev))
				return cfg_dom_error(p->out, d, p->line, "devices: %04x:%02x:%02x.%x is listed twice",
						 dev.seg, dev.bus, dev.dev, dev.fn);
		if (d->nr_devices == CFG_MAX_DEVICES)
			return cfg_dom_error(p->out, d, p->line, "devices: more than %u devices", CFG_MAX_DEVICES);
		d->devices[d->nr_devices++] = dev;
	}
	return true;
}

/* interrupts = auto | vtd-post | sw-post | exit */
static bool parse_interrupts(struct cfg_parser *p, char *val)
{
	static const char *const names[] = { "auto", "vtd-post", "sw-post", "exit" };
	for (u32 i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(val, names[i]) == 0) {
			p->dom->irq_mode = (enum cfg_irq_mode)i;
			return true;
		}
	return cfg_dom_error(p->out, p->dom, p->line,
			     "interrupts: '%s' is not auto, vtd-post, sw-post or exit", CLIP(val));
}

#define KEY(n, req, empty) { #n, offsetof(struct cfg_key_lines, n), req, empty, parse_##n }

const struct cfg_key cfg_keys[] = {
	KEY(cpus, true, false),
	KEY(memory, true, false),
	KEY(kernel, true, false),
	KEY(initrd, false, false),
	KEY(cmdline, false, true),
	KEY(console, false, false),
	KEY(devices, false, false),
	KEY(interrupts, false, false),
};

const size_t cfg_nr_keys = ARRAY_SIZE(cfg_keys);

const struct cfg_key *cfg_find_key(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cfg_keys); i++)
		if (strcmp(cfg_keys[i].name, name) == 0)
			return &cfg_keys[i];
	return NULL;
}
