/* test.h: what the test files share: PASS/FAIL/SKIP reporting, the edu devices under test, options. */
#ifndef VTDM_TEST_H
#define VTDM_TEST_H
#include "unit.h"

enum { PASS_, FAIL_, SKIP_ };
extern char why[256];             /* reason of the last FAIL/SKIP */
extern bool qemu;                 /* platform=qemu: known QEMU deviations become SKIPs */
extern struct edu *E0, *E1;       /* E0 is driven; E1 only supplies another source-id */
extern u64 opt_edumask;           /* width of E0's DMA addresses */
void report(const char *name, int r);
bool irq_seen(void *vec);         /* wait_for predicate: irq_count[*(u8 *)vec] != 0 */
void ir_tests(void);              /* ir.c */
void cpu_tests(void);             /* cpufix.c: needs VMX, no unit */
void e1000_tests(void);           /* e1000.c: the NIC's DMA through the unit */

#define FAILF(...) do { snprintf(why, sizeof why, __VA_ARGS__); return FAIL_; } while (0)
#define SKIPF(...) do { snprintf(why, sizeof why, __VA_ARGS__); return SKIP_; } while (0)
#define REQUIRE(c, ...) do { if (!(c)) FAILF(__VA_ARGS__); } while (0)

#define STAGE 0x06000000UL        /* staging page for loading the edu buffer with TE off */

#endif
