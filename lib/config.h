/* Domain configuration file: format, parsed form and the pure parser (host-compilable). */
#ifndef PASSAGE_LIB_CONFIG_H
#define PASSAGE_LIB_CONFIG_H

#include "types.h"
#include "status.h"

/*
 * Format (plain text, one setting per line, '#' starts a comment):
 *
 *   [domain linux]                 # a section per domain; the name is [A-Za-z0-9_-]{1,31}
 *   cpus = 1, 2                    # physical CPU numbers (Passage's numbering, 0 = boot CPU)
 *   memory = 256M                  # bytes with optional K/M/G suffix; multiple of 2 MiB
 *   kernel = vmlinuz               # module name (multiboot2 module string / ESP file name)
 *   initrd = initrd.cpio           # optional
 *   cmdline = console=ttyS0 quiet  # optional, rest of the line verbatim (up to 255 chars)
 *   console = shared               # shared (hypervisor UART, lines prefixed with the name)
 *                                  # or passthrough:0x2f8 (the guest owns that UART)
 *   devices = 0000:00:03.0, 00:04.0  # optional PCI functions to pass through
 *
 * Keys may appear in any order; cpus, memory and kernel are required.
 */

#define CFG_MAX_DOMAINS 16
#define CFG_MAX_CPUS 8           /* CPUs listed per domain: one vCPU each, the most a domain runs */
#define CFG_MAX_DEVICES 16
#define CFG_NAME_MAX 32
#define CFG_FILE_MAX 64
#define CFG_CMDLINE_MAX 256
#define CFG_MAX_ERRORS 32
#define CFG_ERROR_LEN 160

enum cfg_console { CFG_CONSOLE_SHARED = 0, CFG_CONSOLE_PASSTHROUGH = 1 };
/* interrupts = how passthrough interrupts reach the guest (README "Exitless interrupts"). */
enum cfg_irq_mode {
	CFG_IRQ_AUTO = 0,           /* the best the platform offers: vtd-post, else sw-post, else exit */
	CFG_IRQ_VTD_POST,           /* VT-d posting: posted IRTE straight into the vCPU's descriptor */
	CFG_IRQ_SW_POST,            /* a CPU with no guest takes the interrupt and posts it */
	CFG_IRQ_EXIT,               /* the vCPU's own CPU takes it with a VM exit and injects it */
};

struct cfg_device {
	u16 seg;
	u8 bus, dev, fn;
};

/* Line of each setting in its section (0: absent), so later checks name the right line. */
struct cfg_key_lines {
	u32 cpus, memory, kernel, initrd, cmdline, console, devices, interrupts;
};

struct cfg_domain {
	char name[CFG_NAME_MAX];
	u32 line;                   /* line of the [domain] header */
	bool valid;                 /* false: refused (an error names why); others still start */
	u32 nr_cpus;
	u32 cpus[CFG_MAX_CPUS];
	u64 memory;                 /* bytes */
	char kernel[CFG_FILE_MAX];
	char initrd[CFG_FILE_MAX];  /* empty: none */
	char cmdline[CFG_CMDLINE_MAX];
	enum cfg_console console;
	u16 console_port;           /* passthrough UART base port */
	u32 nr_devices;
	struct cfg_device devices[CFG_MAX_DEVICES];
	enum cfg_irq_mode irq_mode;
	struct cfg_key_lines lines;
};

struct cfg {
	u32 nr_domains;
	struct cfg_domain domains[CFG_MAX_DOMAINS];
	u32 nr_errors;              /* all errors, stored or not */
	char errors[CFG_MAX_ERRORS][CFG_ERROR_LEN];
};

/*
 * Parses text[0..len) (need not be NUL-terminated). Every problem is recorded
 * in out->errors as "config line N: <field>: <what is wrong>"; a domain with
 * an error is marked invalid and the rest still parse. Semantic checks that
 * need the machine (memory available, CPUs present, images present) are in
 * cfg_check().
 */
void cfg_parse(const char *text, u64 len, struct cfg *out);

/* What the machine offers, for cfg_check(). */
struct cfg_machine {
	u32 nr_cpus;                /* CPUs online: valid numbers are 0..nr_cpus-1 */
	u64 free_memory;            /* bytes the hypervisor can give to guests */
	/* Returns true when a module/file of that name exists; may be NULL (no check). */
	bool (*have_file)(const char *name, void *ctx);
	void *ctx;
	u16 hv_console_port;        /* the hypervisor's own UART (0: none): no domain may take it */
};

/*
 * Marks invalid (with an error naming the line and field) each valid domain
 * that: lists a CPU the machine lacks or one an earlier valid domain already
 * uses, asks for more memory than remains after earlier valid domains, names a
 * kernel or initrd that does not exist, or passes through a device another
 * domain already has, a UART another domain already has, or the
 * hypervisor's own console UART.
 */
void cfg_check(struct cfg *c, const struct cfg_machine *m);

#endif
