/* Config checks against the machine: CPUs, memory, images, devices and UARTs each used once. */
#include "lib/cfg_internal.h"
#include "lib/string.h"

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
			cfg_dom_error(c, d, line, "cpus: CPU %u does not exist (the machine has %u CPUs)",
				  d->cpus[k], m->nr_cpus);
		else if ((owner = cpu_owner(c, i, d->cpus[k])) != NULL)
			cfg_dom_error(c, d, line, "cpus: CPU %u is already used by domain '%s'", d->cpus[k],
				  owner->name);
	}
}

static void check_memory(struct cfg *c, struct cfg_domain *d, u64 left)
{
	if (d->memory > left)
		cfg_dom_error(c, d, line_of(d, d->lines.memory), "memory: %s requested, %s left",
			  SIZE_STR(d->memory), SIZE_STR(left));
}

static void check_files(struct cfg *c, struct cfg_domain *d, const struct cfg_machine *m)
{
	if (m->have_file == NULL)
		return;
	if (!m->have_file(d->kernel, m->ctx))
		cfg_dom_error(c, d, line_of(d, d->lines.kernel), "kernel: no module named '%s'", CLIP(d->kernel));
	if (d->initrd[0] != '\0' && !m->have_file(d->initrd, m->ctx))
		cfg_dom_error(c, d, line_of(d, d->lines.initrd), "initrd: no module named '%s'", CLIP(d->initrd));
}

/* The earlier valid domain (before index i) passing through dev, or NULL. */
static const struct cfg_domain *device_owner(const struct cfg *c, u32 i, const struct cfg_device *dev)
{
	u32 j, k;

	for (j = 0; j < i; j++)
		for (k = 0; c->domains[j].valid && k < c->domains[j].nr_devices; k++)
			if (cfg_same_device(&c->domains[j].devices[k], dev))
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
			cfg_dom_error(c, d, line_of(d, d->lines.devices),
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
		return cfg_dom_error(c, d, line_of(d, d->lines.console),
				 "console: port 0x%x is the hypervisor's own console", d->console_port);
	for (j = 0; j < i; j++) {
		const struct cfg_domain *o = &c->domains[j];

		if (o->valid && o->console == CFG_CONSOLE_PASSTHROUGH && o->console_port == d->console_port)
			return cfg_dom_error(c, d, line_of(d, d->lines.console),
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
