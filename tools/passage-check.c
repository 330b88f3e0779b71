/* passage-check: checks a domain config file against a described machine and the guest images it names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/config.h"
#include "tools/hostio.h"
#include "lib/string.h"

#define MAX_CONFIG (1u << 20)     /* far beyond any real config; keeps a wrong file from eating memory */
#define MB1_SEARCH 8192           /* multiboot1: the header lies in the first 8192 bytes... */
#define MB1_MAGIC 0x1BADB002u     /* ...4-byte aligned, magic + flags + checksum == 0 (mod 2^32) */
#define BZ_HDRS_OFF 0x202         /* Linux boot protocol: "HdrS" signature */
#define BZ_VERSION_OFF 0x206      /* boot protocol version, major << 8 | minor */
#define IMAGE_HEAD (MB1_SEARCH + 12)

enum { EXIT_CLEAN = 0, EXIT_ERRORS = 1, EXIT_IO = 2, EXIT_USAGE = 2 };

struct options {
	const char *config;
	char modules[4096];
	u32 cpus;
	u64 memory;
};

/* What the tool adds to the parser's view: each kernel's format and the errors about it. */
struct images {
	char kind[CFG_MAX_DOMAINS][128];   /* "" when the kernel file is missing */
	u32 nr_errors;
	char errors[CFG_MAX_DOMAINS][CFG_ERROR_LEN + 80];
};

static void usage(void)
{
	fprintf(stderr, "usage: passage-check CONFIG [--modules DIR] [--cpus N] [--memory SIZE]\n"
			"  --modules DIR   where kernel and initrd files are (default: CONFIG's directory)\n"
			"  --cpus N        CPUs of the machine (default 4)\n"
			"  --memory SIZE   memory for guests, with K, M or G (default 4G)\n"
			"exit status: 0 no errors, 1 errors, 2 usage or I/O failure\n");
}

/* "4G", "512M", "1048576": the config file's size syntax. */
static bool parse_size_arg(const char *s, u64 *out)
{
	char *end;
	unsigned long long v;
	u64 mult = 1;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		mult = KiB;
	else if (*end == 'M' || *end == 'm')
		mult = MiB;
	else if (*end == 'G' || *end == 'g')
		mult = GiB;
	if (mult != 1)
		end++;
	if (errno != 0 || *end != '\0' || v > ~(u64)0 / mult)
		return false;
	*out = v * mult;
	return true;
}

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		strlcpy_(dir, ".", size);
	else if (slash == path)
		strlcpy_(dir, "/", size);
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

static bool parse_args(int argc, char **argv, struct options *o)
{
	u64 n;

	o->config = NULL;
	o->modules[0] = '\0';
	o->cpus = 4;
	o->memory = 4 * GiB;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--modules") == 0 && v != NULL) {
			strlcpy_(o->modules, v, sizeof(o->modules));
			i++;
		} else if (strcmp(a, "--cpus") == 0 && v != NULL) {
			char *end;

			errno = 0;
			n = strtoull(v, &end, 10);
			if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n > 0xffffffffu)
				return false;
			o->cpus = (u32)n;
			i++;
		} else if (strcmp(a, "--memory") == 0 && v != NULL) {
			if (!parse_size_arg(v, &o->memory))
				return false;
			i++;
		} else if (a[0] != '-' && o->config == NULL) {
			o->config = a;
		} else {
			return false;
		}
	}
	if (o->config == NULL)
		return false;
	if (o->modules[0] == '\0')
		dir_of(o->config, o->modules, sizeof(o->modules));
	return true;
}

/* Reads the whole config; NULL (after saying why) on any I/O problem. */
static char *read_config(const char *path, u64 *len)
{
	size_t n;
	char *buf = hostio_read_file("passage-check", path, MAX_CONFIG, "a config file", &n);
	if (buf)
		*len = n;
	return buf;
}

static void module_path(const struct options *o, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", o->modules, name);
}

/* cfg_machine.have_file: a regular file of that name in the modules directory. */
static bool have_file(const char *name, void *ctx)
{
	char path[8192];
	struct stat st;

	module_path(ctx, name, path, sizeof(path));
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/*
 * Names the image format of head[0..len) in kind; false when it is neither a
 * Linux bzImage nor a multiboot1 image (kind then says what was seen).
 */
static bool image_kind(const u8 *head, size_t len, char *kind, size_t size)
{
	long bad_mb1 = -1;

	if (len >= BZ_VERSION_OFF + 2 && memcmp(head + BZ_HDRS_OFF, "HdrS", 4) == 0) {
		unsigned v = head[BZ_VERSION_OFF] | head[BZ_VERSION_OFF + 1] << 8;

		snprintf(kind, size, "Linux bzImage, boot protocol %u.%02u", v >> 8, v & 0xff);
		return true;
	}
	for (size_t off = 0; off + 12 <= len && off < MB1_SEARCH; off += 4) {
		u32 magic = le32(head + off), flags = le32(head + off + 4), sum = le32(head + off + 8);

		if (magic != MB1_MAGIC)
			continue;
		if ((u32)(magic + flags + sum) == 0) {
			snprintf(kind, size, "multiboot1 image (header at 0x%zx, flags 0x%08x)", off, flags);
			return true;
		}
		if (bad_mb1 < 0)
			bad_mb1 = (long)off;
	}
	if (bad_mb1 >= 0)
		snprintf(kind, size, "unknown image format (multiboot1 magic at 0x%lx has a bad checksum)", bad_mb1);
	else
		snprintf(kind, size, "unknown image format (neither a Linux bzImage nor multiboot1)");
	return false;
}

/* Reads the start of a module file; -1 (after saying why) on an I/O problem. */
static long read_head(const char *path, u8 *head, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "passage-check: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(head, 1, size, f);
	if (ferror(f)) {
		fprintf(stderr, "passage-check: %s: read error\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return (long)n;
}

/*
 * Looks at the kernel of domain i: names its format, and refuses the domain
 * with an error when the format is unknown. false on an I/O failure.
 */
static bool check_kernel(struct options *o, struct cfg_domain *d, u32 i, struct images *im)
{
	static u8 head[IMAGE_HEAD];
	char path[8192];
	long n;

	if (d->kernel[0] == '\0' || !have_file(d->kernel, o))
		return true;
	module_path(o, d->kernel, path, sizeof(path));
	n = read_head(path, head, sizeof(head));
	if (n < 0)
		return false;
	if (!image_kind(head, (size_t)n, im->kind[i], sizeof(im->kind[i]))) {
		snprintf(im->errors[im->nr_errors++], sizeof(im->errors[0]), "config line %u: kernel: '%s' is an %s",
			 d->lines.kernel, d->kernel, im->kind[i]);
		d->valid = false;
	}
	return true;
}

static void print_kernel(const struct cfg_domain *d, const char *kind)
{
	if (d->kernel[0] == '\0')
		printf("  kernel   (none)\n");
	else if (kind[0] == '\0')
		printf("  kernel   %s (missing)\n", d->kernel);
	else
		printf("  kernel   %s: %s\n", d->kernel, kind);
}

static void print_initrd(const struct options *o, const struct cfg_domain *d)
{
	char path[8192];
	struct stat st;

	if (d->initrd[0] == '\0') {
		printf("  initrd   (none)\n");
		return;
	}
	module_path(o, d->initrd, path, sizeof(path));
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		printf("  initrd   %s (%lld bytes)\n", d->initrd, (long long)st.st_size);
	else
		printf("  initrd   %s (missing)\n", d->initrd);
}

static void print_size(u64 bytes)
{
	if (bytes != 0 && bytes % GiB == 0)
		printf("%llu GiB", (unsigned long long)(bytes / GiB));
	else if (bytes % MiB == 0)
		printf("%llu MiB", (unsigned long long)(bytes / MiB));
	else
		printf("%llu bytes", (unsigned long long)bytes);
}

static void print_lists(const struct cfg_domain *d)
{
	printf("  cpus     ");
	for (u32 i = 0; i < d->nr_cpus; i++)
		printf("%s%u", i ? ", " : "", d->cpus[i]);
	printf("%s\n  memory   ", d->nr_cpus ? "" : "(none)");
	print_size(d->memory);
	printf("\n");
}

static void print_rest(const struct cfg_domain *d)
{
	printf("  cmdline  %s\n", d->cmdline[0] ? d->cmdline : "(empty)");
	if (d->console == CFG_CONSOLE_PASSTHROUGH)
		printf("  console  passthrough, UART at I/O port 0x%x\n", d->console_port);
	else
		printf("  console  shared (hypervisor UART, lines prefixed with the name)\n");
	printf("  devices  ");
	for (u32 i = 0; i < d->nr_devices; i++)
		printf("%s%04x:%02x:%02x.%x", i ? ", " : "", d->devices[i].seg, d->devices[i].bus,
		       d->devices[i].dev, d->devices[i].fn);
	printf("%s\n", d->nr_devices ? "" : "(none)");
}

/* One domain: a header line saying whether it would start, then its settings. */
static void print_domain(const struct options *o, const struct cfg_domain *d, const char *kind)
{
	printf("domain %s (line %u): %s\n", d->name[0] ? d->name : "(unnamed)", d->line,
	       d->valid ? "ok" : "REFUSED");
	print_lists(d);
	print_kernel(d, kind);
	print_initrd(o, d);
	print_rest(d);
}

static u32 print_errors(const struct cfg *c, const struct images *im)
{
	u32 total = c->nr_errors + im->nr_errors;

	if (total == 0) {
		printf("no errors\n");
		return 0;
	}
	printf("%u error%s:\n", total, total == 1 ? "" : "s");
	for (u32 i = 0; i < c->nr_errors && i < CFG_MAX_ERRORS; i++)
		printf("  %s\n", c->errors[i]);
	if (c->nr_errors > CFG_MAX_ERRORS)
		printf("  ... and %u more from the parser\n", c->nr_errors - CFG_MAX_ERRORS);
	for (u32 i = 0; i < im->nr_errors; i++)
		printf("  %s\n", im->errors[i]);
	return total;
}

int main(int argc, char **argv)
{
	static struct cfg c;
	static struct images im;
	static struct options o;
	struct cfg_machine m;
	bool io_ok = true;
	char *text;
	u64 len;

	if (!parse_args(argc, argv, &o)) {
		usage();
		return EXIT_USAGE;
	}
	text = read_config(o.config, &len);
	if (text == NULL)
		return EXIT_IO;
	cfg_parse(text, len, &c);
	free(text);
	m = (struct cfg_machine){ o.cpus, o.memory, have_file, &o, 0x3f8 }; /* Passage's default console */
	cfg_check(&c, &m);

	printf("%s: %u domain%s; machine: %u CPUs, ", o.config, c.nr_domains, c.nr_domains == 1 ? "" : "s",
	       o.cpus);
	print_size(o.memory);
	printf(", modules in %s\n", o.modules);
	for (u32 i = 0; i < c.nr_domains; i++)
		io_ok &= check_kernel(&o, &c.domains[i], i, &im);
	for (u32 i = 0; i < c.nr_domains; i++)
		print_domain(&o, &c.domains[i], im.kind[i]);
	if (print_errors(&c, &im) != 0 && io_ok)
		return EXIT_ERRORS;
	return io_ok ? EXIT_CLEAN : EXIT_IO;
}
