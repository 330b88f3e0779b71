/* Hypervisor command-line options: parser (host-compilable) and option table. */
#ifndef PASSAGE_LIB_CMDLINE_H
#define PASSAGE_LIB_CMDLINE_H

#include "types.h"
#include "status.h"

#define CRASH_NONE 0
#define CRASH_UD 1   /* crash=ud: execute ud2 (#UD, vector 6) */
#define CRASH_PF 2   /* crash=pf: read an unmapped address (#PF, vector 14) */
#define CRASH_GP 3   /* crash=gp: non-canonical access (#GP, vector 13) */
#define CRASH_DE 4   /* crash=de: divide by zero (#DE, vector 0) */
#define CRASH_VMEXIT 5 /* crash=vmexit: VMCALL 0xc0de from a guest makes the exit handler #UD */

struct hv_options {
	u16 uart_port;        /* console=com1|com2|com3|com4|0xNNN (default com1 = 0x3f8) */
	u32 baud;             /* baud=N, 50..115200 and dividing 115200 (default 115200) */
	bool force_xapic;     /* xapic: stay in xAPIC mode even if x2APIC exists */
	bool nosmp;           /* nosmp: do not start the other CPUs */
	u32 max_cpus;         /* maxcpus=N: start at most N CPUs (0 = all) */
	int crash;            /* crash=ud|pf|gp|de|vmexit: deliberate exception (test aid) */
	bool test_exit;       /* test_exit: end the emulator after the boot report */
	bool pci_verbose;     /* pci=verbose: list capabilities of every device */
	bool selftest_dma;    /* selftest=dma: VT-d DMA isolation self-test with QEMU edu devices */
	bool selftest_ir;     /* selftest=ir: interrupt-remapping self-test with QEMU edu devices */
	bool vtd_off;         /* vtd=off: leave the remapping units alone */
	bool vtd_preenable;   /* vtd=preenable: first turn the units on as firmware might (test aid) */
	u32 vtd_levels;       /* vtd=39: force 3-level (39-bit) tables; 0 = best available */
	bool vtd_noqi;        /* vtd=noqi: register-based invalidation even when QI exists */
	bool vtd_ir;          /* vtd=ir: interrupt remapping on every unit that has it */
	u32 flood;            /* flood=N: faulting DMAs in the self-test's flood (default 2000) */
	bool apicv_on;        /* CPU posted interrupts and virtual-interrupt delivery where the CPU
			       * has them (default); apicv=off keeps injection at VM entry */
};

/* Called once per problem with a message naming the option and what is wrong. */
typedef void (*cmdline_err_fn)(void *ctx, const char *msg);

/*
 * Fills o with defaults, then applies each whitespace-separated word of s
 * (key or key=value). An unknown key or a bad value is reported through err
 * and skipped; the rest still applies. Returns the number of problems.
 */
int cmdline_parse(const char *s, struct hv_options *o, cmdline_err_fn err, void *ctx);

#endif
