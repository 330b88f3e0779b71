/* Domain configuration parser and machine checks (pure C: hypervisor, host tools, tests, fuzzers). */
#include "lib/config.h"
#include "lib/parse.h"
#include "lib/string.h"

#define CFG_LINE_MAX 512          /* longest setting line looked at, including the terminator */
#define CFG_CLIP 40               /* longest piece of user text quoted in a message */
#define CFG_MEM_ALIGN (2 * MiB)   /* guest memory is mapped with 2 MiB EPT/VT-d pages */
#define CFG_PORT_MAX 0xfff8       /* a 16550 decodes 8 consecutive I/O ports */

/* State of one parse. */
struct cfg_parser {
	struct cfg *out;
	struct cfg_domain *dom;   /* section being filled; NULL before the first one */
	bool header_ok;           /* dom's header was well formed (missing keys worth reporting) */
	bool ignoring;            /* more than CFG_MAX_DOMAINS sections: the rest is skipped */
	u32 line;
};

/* One known key: where its line number lives and how its value is parsed. */
struct cfg_key {
	const char *name;
	size_t line_off;          /* offset in struct cfg_key_lines */
	bool required;
	bool empty_ok;
	bool (*parse)(struct cfg_parser *p, char *val);   /* false: reported an error */
};

static void cfg_verror(struct cfg *c, u32 line, const char *fmt, va_list ap)
{
	char *msg;
	int n;

	if (c->nr_errors++ >= CFG_MAX_ERRORS)
		return;                   /* counted, not stored */
	msg = c->errors[c->nr_errors - 1];
	n = snprintf(msg, CFG_ERROR_LEN, "config line %u: ", line);
	vsnprintf(msg + n, CFG_ERROR_LEN - (size_t)n, fmt, ap);
}

static bool cfg_error(struct cfg *c, u32 line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records "config line N: ..." without touching any domain; returns false for the caller to pass on. */
static bool cfg_error(struct cfg *c, u32 line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(c, line, fmt, ap);
	va_end(ap);
	return false;
}

static bool dom_error(struct cfg *c, struct cfg_domain *d, u32 line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records an error and refuses domain d; returns false. */
static bool dom_error(struct cfg *c, struct cfg_domain *d, u32 line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(c, line, fmt, ap);
	va_end(ap);
	d->valid = false;
	return false;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Bytes that have no place in a setting (NUL included); a tab is a blank. */
static bool is_control(u8 ch)
{
	return (ch < 0x20 && ch != '\t') || ch == 0x7f;
}

/* Strips blanks at both ends in place. */
static char *trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Copies user text for a message, shortened to CFG_CLIP characters with "...". */
static const char *clip(char *buf, size_t size, const char *s)
{
	if (strlcpy_(buf, s, size) >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

#define CLIP(s) clip((char[CFG_CLIP + 1]){ 0 }, CFG_CLIP + 1, (s))

/* Formats a byte count as "64 GiB", "1.8 GiB", "512 MiB" or "300 bytes" (tenths truncated). */
static const char *fmt_size(char *buf, size_t size, u64 bytes)
{
	static const struct { u64 unit; const char *name; } units[] = {
		{ GiB, "GiB" }, { MiB, "MiB" }, { KiB, "KiB" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(units); i++) {
		u64 whole = bytes / units[i].unit, tenths = bytes % units[i].unit * 10 / units[i].unit;

		if (whole == 0)
			continue;
		if (tenths == 0)
			snprintf(buf, size, "%llu %s", (unsigned long long)whole, units[i].name);
		else
			snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
				 (unsigned long long)tenths, units[i].name);
		return buf;
	}
	snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
	return buf;
}

#define SIZE_STR(b) fmt_size((char[32]){ 0 }, 32, (b))

/* A whole string of decimal digits; E_INVAL on junk or empty, E_RANGE on overflow. */
static status_t parse_decimal(const char *s, u64 *out)
{
	int n = parse_digits(&s, 10, 0, out);

	if (n == 0 || *s != '\0')
		return E_INVAL;
	return n < 0 ? E_RANGE : OK;
}

/* "256M", "1G", "4096K", "2097152": decimal bytes with an optional K/M/G suffix. */
static status_t parse_size(const char *s, u64 *out)
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
	return trim(item);
}

static u32 *key_line(struct cfg_domain *d, const struct cfg_key *k)
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
			return dom_error(p->out, d, p->line, "cpus: empty entry in the list");
		if (st == E_INVAL)
			return dom_error(p->out, d, p->line, "cpus: '%s' is not a CPU number", CLIP(item));
		if (st != OK || cpu > 0xffffffffu)
			return dom_error(p->out, d, p->line, "cpus: CPU %s is out of range", CLIP(item));
		for (i = 0; i < d->nr_cpus; i++)
			if (d->cpus[i] == cpu)
				return dom_error(p->out, d, p->line, "cpus: CPU %u is listed twice", (u32)cpu);
		if (d->nr_cpus == CFG_MAX_CPUS)
			return dom_error(p->out, d, p->line, "cpus: more than %u CPUs (a domain runs at most %u vCPUs)",
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
		return dom_error(p->out, d, p->line, "memory: '%s' is too large", CLIP(val));
	if (st != OK)
		return dom_error(p->out, d, p->line,
				 "memory: '%s' is not a size (use a number with K, M or G)", CLIP(val));
	if (d->memory == 0)
		return dom_error(p->out, d, p->line, "memory: must be at least 2 MiB");
	if (d->memory % CFG_MEM_ALIGN != 0)
		return dom_error(p->out, d, p->line, "memory: '%s' is not a multiple of 2 MiB", CLIP(val));
	return true;
}

/* A module name: shorter than CFG_FILE_MAX, no blanks (a module string cannot hold them). */
static bool parse_file(struct cfg_parser *p, const char *field, char *val, char *dst)
{
	const char *s;

	if (strlcpy_(dst, val, CFG_FILE_MAX) >= CFG_FILE_MAX) {
		dst[0] = '\0';
		return dom_error(p->out, p->dom, p->line, "%s: name is longer than %u characters",
				 field, CFG_FILE_MAX - 1);
	}
	for (s = val; *s != '\0'; s++)
		if (is_blank(*s)) {
			dst[0] = '\0';
			return dom_error(p->out, p->dom, p->line, "%s: '%s' contains a blank",
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
		return dom_error(p->out, p->dom, p->line, "cmdline: longer than %u characters",
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
		return dom_error(p->out, d, p->line,
				 "console: '%s' is not shared or passthrough:PORT (e.g. passthrough:0x2f8)",
				 CLIP(val));
	if (st != OK || port == 0 || port > CFG_PORT_MAX)
		return dom_error(p->out, d, p->line, "console: port %s is not a UART port (1..0x%x)",
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

static bool same_device(const struct cfg_device *a, const struct cfg_device *b)
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
			return dom_error(p->out, d, p->line, "devices: empty entry in the list");
		if (!parse_bdf(item, &dev))
			return dom_error(p->out, d, p->line,
					 "devices: '%s' is not a PCI address (use [SEG:]BUS:DEV.FN, e.g. 0000:00:03.0)",
					 CLIP(item));
		for (i = 0; i < d->nr_devices; i++)
			if (same_device(&d->devices[i], &dev))
				return dom_error(p->out, d, p->line, "devices: %04x:%02x:%02x.%x is listed twice",
						 dev.seg, dev.bus, dev.dev, dev.fn);
		if (d->nr_devices == CFG_MAX_DEVICES)
			return dom_error(p->out, d, p->line, "devices: more than %u devices", CFG_MAX_DEVICES);
		d->devices[d->nr_devices++] = dev;
	}
	return true;
}

#define KEY(n, req, empty) { #n, offsetof(struct cfg_key_lines, n), req, empty, parse_##n }

static const struct cfg_key cfg_keys[] = {
	KEY(cpus, true, false),
	KEY(memory, true, false),
	KEY(kernel, true, false),
	KEY(initrd, false, false),
	KEY(cmdline, false, true),
	KEY(console, false, false),
	KEY(devices, false, false),
};

static const struct cfg_key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cfg_keys); i++)
		if (strcmp(cfg_keys[i].name, name) == 0)
			return &cfg_keys[i];
	return NULL;
}

/* End of a section: a well-formed one must have had every required key. */
static void finish_section(struct cfg_parser *p)
{
	size_t i;

	if (p->dom == NULL || !p->header_ok)
		return;
	for (i = 0; i < ARRAY_SIZE(cfg_keys); i++)
		if (cfg_keys[i].required && *key_line(p->dom, &cfg_keys[i]) == 0)
			dom_error(p->out, p->dom, p->dom->line, "%s: missing (required in every domain)",
				  cfg_keys[i].name);
}

static bool valid_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
		    *s != '_' && *s != '-')
			return false;
	return n > 0;
}

/* Checks the "[domain NAME]" text of a new section's header line and names the section. */
static bool name_section(struct cfg_parser *p, char *s, const char *problem)
{
	struct cfg_domain *d = p->dom;
	size_t len = strlen(s);
	char *name;
	u32 i;

	if (problem != NULL)
		return dom_error(p->out, d, p->line, "domain: line %s", problem);
	if (s[len - 1] != ']' || strncmp(s + 1, "domain", 6) != 0 || !is_blank(s[7]))
		return dom_error(p->out, d, p->line, "domain: '%s' is not a [domain NAME] header", CLIP(s));
	s[len - 1] = '\0';
	name = trim(s + 7);
	if (strlen(name) >= CFG_NAME_MAX)
		return dom_error(p->out, d, p->line, "domain: name '%s' is longer than %u characters",
				 CLIP(name), CFG_NAME_MAX - 1);
	if (!valid_name(name))
		return dom_error(p->out, d, p->line,
				 "domain: '%s' is not a valid name (use letters, digits, '_' or '-')", CLIP(name));
	for (i = 0; i + 1 < p->out->nr_domains; i++)
		if (strcmp(p->out->domains[i].name, name) == 0)
			return dom_error(p->out, d, p->line, "domain: '%s' is already defined on line %u",
					 name, p->out->domains[i].line);
	strlcpy_(d->name, name, CFG_NAME_MAX);
	p->header_ok = true;
	return true;
}

/* A line starting with '[': closes the current section and opens the next. */
static void section_line(struct cfg_parser *p, char *s, const char *problem)
{
	finish_section(p);
	p->dom = NULL;
	p->header_ok = false;
	if (p->ignoring)
		return;
	if (p->out->nr_domains == CFG_MAX_DOMAINS) {
		cfg_error(p->out, p->line, "domain: more than %u domains; this section and later ones are ignored",
			  CFG_MAX_DOMAINS);
		p->ignoring = true;
		return;
	}
	p->dom = &p->out->domains[p->out->nr_domains++];
	p->dom->line = p->line;
	p->dom->valid = true;
	name_section(p, s, problem);
}

/* A "key = value" line inside a section. */
static bool setting_line(struct cfg_parser *p, char *s, const char *problem)
{
	char *eq = strchr(s, '=');
	const struct cfg_key *k;
	char *val;

	if (p->ignoring)
		return true;
	if (eq != NULL)
		*eq = '\0';
	s = trim(s);
	if (p->dom == NULL && problem != NULL)
		return cfg_error(p->out, p->line, "line %s", problem);
	if (p->dom == NULL)
		return cfg_error(p->out, p->line, "%s: comes before the first [domain NAME] section", CLIP(s));
	k = find_key(s);
	if (problem != NULL) {
		if (k != NULL && *key_line(p->dom, k) == 0)
			*key_line(p->dom, k) = p->line;   /* reported here, not again as missing */
		if (k != NULL)
			return dom_error(p->out, p->dom, p->line, "%s: line %s", k->name, problem);
		return dom_error(p->out, p->dom, p->line, "line %s", problem);
	}
	if (eq == NULL)
		return dom_error(p->out, p->dom, p->line, "expected 'key = value', got '%s'", CLIP(s));
	if (k == NULL)
		return dom_error(p->out, p->dom, p->line, "unknown key '%s'", CLIP(s));
	if (*key_line(p->dom, k) != 0)
		return dom_error(p->out, p->dom, p->line, "%s: already set on line %u", k->name,
				 *key_line(p->dom, k));
	*key_line(p->dom, k) = p->line;
	val = trim(eq + 1);
	if (*val == '\0' && !k->empty_ok)
		return dom_error(p->out, p->dom, p->line, "%s: no value", k->name);
	return k->parse(p, val);
}

/*
 * One raw line (no '\n'): drops a CRLF's '\r' and any '#' comment, then hands
 * at most CFG_LINE_MAX-1 bytes on, with what is wrong with the raw bytes (a
 * NUL, a control character, too long) so the handler can name the key.
 */
static void parse_line(struct cfg_parser *p, const char *raw, u64 n)
{
	char buf[CFG_LINE_MAX], problem[48];
	u64 i, start = 0, end;

	problem[0] = '\0';
	if (n > 0 && raw[n - 1] == '\r')
		n--;
	for (end = 0; end < n && raw[end] != '#'; end++)
		;
	while (start < end && is_blank(raw[start]))
		start++;
	while (end > start && is_blank(raw[end - 1]))
		end--;
	if (start == end)
		return;                   /* blank or comment */
	for (i = start; i < end && problem[0] == '\0'; i++) {
		u8 ch = (u8)raw[i];

		if (ch == 0)
			snprintf(problem, sizeof(problem), "contains a NUL byte");
		else if (is_control(ch))
			snprintf(problem, sizeof(problem), "contains control character 0x%02x", ch);
	}
	if (end - start > CFG_LINE_MAX - 1)
		snprintf(problem, sizeof(problem), "is longer than %u characters", CFG_LINE_MAX - 1);
	for (i = 0; i < end - start && i < CFG_LINE_MAX - 1; i++)
		buf[i] = is_control((u8)raw[start + i]) ? ' ' : raw[start + i];
	buf[i] = '\0';
	if (buf[0] == '[')
		section_line(p, buf, problem[0] ? problem : NULL);
	else
		setting_line(p, buf, problem[0] ? problem : NULL);
}

void cfg_parse(const char *text, u64 len, struct cfg *out)
{
	struct cfg_parser p = { .out = out };
	u64 pos = 0, end;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		len = 0;
	while (pos < len) {
		for (end = pos; end < len && text[end] != '\n'; end++)
			;
		if (p.line < 0xffffffffu)
			p.line++;
		parse_line(&p, text + pos, end - pos);
		pos = end + 1;
	}
	finish_section(&p);
}

/* Line of a key in d for a message; the header's line when the key was not set. */
static u32 line_of(const struct cfg_domain *d, u32 key_line_no)
{
	return key_line_no != 0 ? key_line_no : d->line;
}

/* The earlier valid domain (before index i) using CPU cpu, or NULL. */
static const struct cfg_domain *cpu_owner(const struct cfg *c, u32 i, u32 cpu)
{
	u32 j, k;

	for (j = 0; j < i; j++)
		for (k = 0; c->domains[j].valid && k < c->domains[j].nr_cpus; k++)
			if (c->domains[j].cpus[k] == cpu)
				return &c->domains[j];
	return NULL;
}

static void check_cpus(struct cfg *c, u32 i, const struct cfg_machine *m)
{
	struct cfg_domain *d = &c->domains[i];
	const struct cfg_domain *owner;
	u32 k, line = line_of(d, d->lines.cpus);

	for (k = 0; k < d->nr_cpus; k++) {
		if (d->cpus[k] >= m->nr_cpus)
			dom_error(c, d, line, "cpus: CPU %u does not exist (the machine has %u CPUs)",
				  d->cpus[k], m->nr_cpus);
		else if ((owner = cpu_owner(c, i, d->cpus[k])) != NULL)
			dom_error(c, d, line, "cpus: CPU %u is already used by domain '%s'", d->cpus[k],
				  owner->name);
	}
}

static void check_memory(struct cfg *c, struct cfg_domain *d, u64 left)
{
	if (d->memory > left)
		dom_error(c, d, line_of(d, d->lines.memory), "memory: %s requested, %s left",
			  SIZE_STR(d->memory), SIZE_STR(left));
}

static void check_files(struct cfg *c, struct cfg_domain *d, const struct cfg_machine *m)
{
	if (m->have_file == NULL)
		return;
	if (!m->have_file(d->kernel, m->ctx))
		dom_error(c, d, line_of(d, d->lines.kernel), "kernel: no module named '%s'", CLIP(d->kernel));
	if (d->initrd[0] != '\0' && !m->have_file(d->initrd, m->ctx))
		dom_error(c, d, line_of(d, d->lines.initrd), "initrd: no module named '%s'", CLIP(d->initrd));
}

/* The earlier valid domain (before index i) passing through dev, or NULL. */
static const struct cfg_domain *device_owner(const struct cfg *c, u32 i, const struct cfg_device *dev)
{
	u32 j, k;

	for (j = 0; j < i; j++)
		for (k = 0; c->domains[j].valid && k < c->domains[j].nr_devices; k++)
			if (same_device(&c->domains[j].devices[k], dev))
				return &c->domains[j];
	return NULL;
}

static void check_devices(struct cfg *c, u32 i)
{
	struct cfg_domain *d = &c->domains[i];
	const struct cfg_domain *owner;
	u32 k;

	for (k = 0; k < d->nr_devices; k++) {
		const struct cfg_device *dev = &d->devices[k];

		if ((owner = device_owner(c, i, dev)) != NULL)
			dom_error(c, d, line_of(d, d->lines.devices),
				  "devices: %04x:%02x:%02x.%x is already passed through to domain '%s'",
				  dev->seg, dev->bus, dev->dev, dev->fn, owner->name);
	}
}

/* A passthrough UART belongs to one domain only, and never the hypervisor's console. */
static bool check_console(struct cfg *c, u32 i, const struct cfg_machine *m)
{
	struct cfg_domain *d = &c->domains[i];
	u32 j;

	if (d->console != CFG_CONSOLE_PASSTHROUGH)
		return true;
	if (m->hv_console_port && d->console_port == m->hv_console_port)
		return dom_error(c, d, line_of(d, d->lines.console),
				 "console: port 0x%x is the hypervisor's own console", d->console_port);
	for (j = 0; j < i; j++) {
		const struct cfg_domain *o = &c->domains[j];

		if (o->valid && o->console == CFG_CONSOLE_PASSTHROUGH && o->console_port == d->console_port)
			return dom_error(c, d, line_of(d, d->lines.console),
					 "console: port 0x%x is already passed through to domain '%s'",
					 d->console_port, o->name);
	}
	return true;
}

void cfg_check(struct cfg *c, const struct cfg_machine *m)
{
	u64 left = m->free_memory;
	u32 i;

	for (i = 0; i < c->nr_domains && i < CFG_MAX_DOMAINS; i++) {
		struct cfg_domain *d = &c->domains[i];

		if (!d->valid)
			continue;
		check_cpus(c, i, m);
		check_memory(c, d, left);
		check_files(c, d, m);
		check_devices(c, i);
		check_console(c, i, m);
		if (d->valid)
			left -= d->memory;
	}
}
