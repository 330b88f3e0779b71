/* libFuzzer target for cfg_parse() + cfg_check(): the input is a config file (not NUL-terminated). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"

static struct cfg c, again;

/* A string field must end inside its array. */
static void check_str(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

static bool valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *s))
			return false;
	return true;
}

/* What the parser promises about every domain it accepted. */
static void check_domain(const struct cfg_domain *d)
{
	check_str(d->name, sizeof(d->name));
	check_str(d->kernel, sizeof(d->kernel));
	check_str(d->initrd, sizeof(d->initrd));
	check_str(d->cmdline, sizeof(d->cmdline));
	if (d->nr_cpus > CFG_MAX_CPUS || d->nr_devices > CFG_MAX_DEVICES || d->line == 0)
		abort();
	if (!d->valid)
		return;
	if (!valid_name(d->name) || d->nr_cpus == 0 || d->kernel[0] == '\0')
		abort();
	if (d->memory == 0 || d->memory % (2 * MiB) != 0)
		abort();
	if (d->lines.cpus <= d->line || d->lines.memory <= d->line || d->lines.kernel <= d->line)
		abort();
	if (d->console == CFG_CONSOLE_PASSTHROUGH ? d->console_port == 0 || d->console_port > 0xfff8
						  : d->console != CFG_CONSOLE_SHARED)
		abort();
	for (u32 i = 0; i < d->nr_cpus; i++)
		for (u32 j = 0; j < i; j++)
			if (d->cpus[i] == d->cpus[j])
				abort();
	for (u32 i = 0; i < d->nr_devices; i++)
		if (d->devices[i].dev > 0x1f || d->devices[i].fn > 7)
			abort();
	if ((u32)d->irq_mode > CFG_IRQ_EXIT || (d->irq_mode != CFG_IRQ_AUTO && d->lines.interrupts <= d->line))
		abort();
}

/* Every message is terminated and starts "config line N: "; a refused domain means an error. */
static void check_parse(const struct cfg *p)
{
	bool refused = false;

	if (p->nr_domains > CFG_MAX_DOMAINS)
		abort();
	for (u32 i = 0; i < p->nr_errors && i < CFG_MAX_ERRORS; i++) {
		check_str(p->errors[i], CFG_ERROR_LEN);
		if (strncmp(p->errors[i], "config line ", 12) != 0 || strstr(p->errors[i], ": ") == NULL)
			abort();
	}
	for (u32 i = 0; i < p->nr_domains; i++) {
		check_domain(&p->domains[i]);
		refused |= !p->domains[i].valid;
		for (u32 j = 0; j < i; j++)
			if (p->domains[i].valid && strcmp(p->domains[i].name, p->domains[j].name) == 0)
				abort();
	}
	if (refused && p->nr_errors == 0)
		abort();
}

/* A file exists when its name's length is odd: deterministic and input-driven. */
static bool have_file(const char *name, void *ctx)
{
	if (ctx != &c)
		abort();
	return strlen(name) % 2 == 1;
}

static bool same_device(const struct cfg_device *a, const struct cfg_device *b)
{
	return a->seg == b->seg && a->bus == b->bus && a->dev == b->dev && a->fn == b->fn;
}

/* After cfg_check the valid domains fit the machine and share nothing. */
static void check_machine(const struct cfg *p, const struct cfg_machine *m, u32 errors_before)
{
	u64 used = 0;

	if (p->nr_errors < errors_before)
		abort();
	for (u32 i = 0; i < p->nr_domains; i++) {
		const struct cfg_domain *d = &p->domains[i];

		if (!d->valid)
			continue;
		used += d->memory;
		if (used > m->free_memory || !have_file(d->kernel, m->ctx) ||
		    (d->initrd[0] != '\0' && !have_file(d->initrd, m->ctx)))
			abort();
		for (u32 k = 0; k < d->nr_cpus; k++)
			if (d->cpus[k] >= m->nr_cpus)
				abort();
		if (d->console == CFG_CONSOLE_PASSTHROUGH && d->console_port == m->hv_console_port)
			abort();
		for (u32 j = 0; j < i; j++) {
			const struct cfg_domain *o = &p->domains[j];

			if (!o->valid)
				continue;
			for (u32 k = 0; k < d->nr_cpus; k++)
				for (u32 l = 0; l < o->nr_cpus; l++)
					if (d->cpus[k] == o->cpus[l])
						abort();
			for (u32 k = 0; k < d->nr_devices; k++)
				for (u32 l = 0; l < o->nr_devices; l++)
					if (same_device(&d->devices[k], &o->devices[l]))
						abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_machine m = { 4, 4 * GiB, have_file, &c, 0x3f8 };
	u32 before;

	cfg_parse((const char *)data, size, &c);
	check_parse(&c);
	cfg_parse((const char *)data, size, &again);     /* no state survives a parse */
	if (memcmp(&c, &again, sizeof(c)) != 0)
		abort();
	if (size > 0) {                                   /* the machine varies with the input */
		m.nr_cpus = data[0] % 9;
		m.free_memory = (u64)data[size - 1] * 64 * MiB;
	}
	before = c.nr_errors;
	cfg_check(&c, &m);
	check_parse(&c);
	check_machine(&c, &m, before);
	return 0;
}

#ifdef FUZZ_SEEDS
int main(int argc, char **argv)
{
#define SEED(text) { text, sizeof(text) - 1 }   /* keeps NUL bytes inside a seed */
	static const struct { const char *text; size_t len; } seeds[] = {
		SEED("# Linux beside a test guest\n[domain linux]\ncpus = 1, 2\nmemory = 512M\nkernel = vmlinuz\n"
		"initrd = initrd.cpio\ncmdline = console=ttyS0 quiet # comment\nconsole = shared\n"
		"devices = 0000:00:03.0, 00:04.1\n\n[domain test]\ncpus = 3\nmemory = 64M\n"
		"kernel = testguest.elf\nconsole = passthrough:0x2f8\ninterrupts = sw-post\n"),
		SEED("[domain a]\r\n\tcpus=0,1\r\nmemory=2G\r\nkernel=k\r\n[domain b]\r\ncpus=1\r\nmemory=4096K\r\n"
		"kernel=kk\r\ndevices=00:03.0\r\ninterrupts=posted\r\n[domain c]\r\ncpus=2\r\nmemory=2M\r\nkernel=k\r\ndevices=0:00:03.0"),
		SEED("cpus = 1\n[domain x y]\ncolour = red\nmemory = 12Q\nmemory = 3M\ncpus = 1,,1\n"
		"devices = 00:20.0\nconsole = serial\n[domain good]\ncpus = 9\nmemory = 64G\nkernel = missing\n"
		"[domain good]\n[domain]\n[domain d\0e]\nkernel = a\033b\n"),
		SEED("[domain d0]\ncpus=0\nmemory=2M\nkernel=k\n[domain d1]\n[domain d2]\n[domain d3]\n[domain d4]\n"
		"[domain d5]\n[domain d6]\n[domain d7]\n[domain d8]\n[domain d9]\n[domain d10]\n[domain d11]\n"
		"[domain d12]\n[domain d13]\n[domain d14]\n[domain d15]\n[domain d16]\ncpus = 1\n"),
	};
	char path[512];
	size_t i;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(path, sizeof(path), "%s/seed%zu", argv[1], i);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(seeds[i].text, 1, seeds[i].len, f) != seeds[i].len || fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
#endif
