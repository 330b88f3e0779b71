/* Unit tests of device assignment (vmm/passthrough.c) against a fake function: the refusals (no interrupt remapping, the hypervisor's console UART) and quiescing with a function-level reset. */
/* host-srcs: vmm/passthrough.c vmm/vpci.c vmm/vpci_msi.c vmm/vpci_msix.c vmm/vmsi_xlate.c vmm/vmsi_route.c vmm/vlapic.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "vmm/passthrough.h"
#include "vmm/vpci.h"
#include "vmm/exit_io.h"
#include "vmm/mmio.h"
#include "drivers/pci.h"
#include "drivers/msi.h"
#include "arch/x86/irq.h"
#include "arch/x86/percpu.h"
#include "arch/x86/tsc.h"
#include "lib/string.h"

#define EXP 0x70                        /* the fake's PCI Express capability */
#define DEVCAP_FLR (1u << 28)           /* PCIe base 7.5.3.3 Function Level Reset Capability */
#define DEVCTL_FLR (1u << 15)           /* 7.5.3.4 Initiate Function Level Reset */

/* ---- the fake function at host 00:03.0: an edu-like device with MSI and PCI Express ---- */
static u32 cfg[64];                     /* dwords 0x00-0xff */
static const u32 bar_size[6] = { 1 << 20, 0, 0, 0x20, 0, 0 };
static bool sizing[6];
static u32 host_writes, flrs;
static u32 bars_at_flr[6];

u32 pci_read32(u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	(void)seg, (void)bus, (void)dev, (void)fn;
	u32 i = (off - 0x10) / 4;
	if (off >= 0x10 && off < 0x28 && sizing[i])
		return bar_size[i] ? (u32)~(bar_size[i] - 1) | (cfg[4 + i] & (cfg[4 + i] & 1 ? 0x3 : 0xf)) : 0;
	return off < 0x100 ? cfg[off / 4] : 0;
}

/* Initiate FLR resets the function (PCIe base 6.6.2): BARs and command cleared. */
void pci_write32(u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u32 v)
{
	(void)seg, (void)bus, (void)dev, (void)fn;
	host_writes++;
	if (off >= 0x10 && off < 0x28) {
		sizing[(off - 0x10) / 4] = v == 0xffffffffu;
		if (v != 0xffffffffu)
			cfg[off / 4] = v;
		return;
	}
	if (off == EXP + 8 && (v & DEVCTL_FLR)) {
		flrs++;
		memcpy(bars_at_flr, &cfg[4], sizeof bars_at_flr);
		memset(&cfg[4], 0, 6 * sizeof(u32));
		cfg[1] &= 0xffff0000u;
		return;                         /* the bit reads 0: the reset is not a state */
	}
	if (off == 4)                           /* Status: read-only or write-1-to-clear bits */
		v = (cfg[1] & 0xffff0000u) | (v & 0xffff);
	if (off < 0x100)
		cfg[off / 4] = v;
}

static struct pci_dev pdev = { .vendor = 0x1234, .device = 0x11e8, .class_rev = 0x00ff0010u,
			       .bus = 0, .dev = 3, .cap_msi = 0x50, .cap_exp = EXP, .parent = -1 };
s32 pci_find(u16 seg, u8 bus, u8 devfn) { return !seg && !bus && devfn == (3 << 3) ? 0 : -1; }
const struct pci_dev *pci_get(u32 i) { return i == 0 ? &pdev : NULL; }

/* ---- fakes of the rest of the hypervisor ---- */
bool exits_test_aids;
static u64 waited_us;
void udelay(u64 us) { waited_us += us; }
status_t ept_map(struct domain *d, u64 gpa, u64 hpa, u64 size, u64 flags)
{
	(void)d, (void)gpa, (void)hpa, (void)size, (void)flags;
	return OK;
}
status_t ept_unmap(struct domain *d, u64 gpa, u64 size) { (void)d, (void)gpa, (void)size; return OK; }
void log_msg(const char *subsys, const char *fmt, ...) { (void)subsys, (void)fmt; }
status_t pio_register(const char *name, u16 first, u16 count, pio_fn fn, void *ctx)
{
	(void)name, (void)first, (void)count, (void)fn, (void)ctx;
	return OK;
}
status_t mmio_register(struct domain *d, const char *name, u64 base, u64 size, mmio_fn fn, void *ctx)
{
	(void)d, (void)name, (void)base, (void)size, (void)fn, (void)ctx;
	return OK;
}
status_t mmio_claim(struct domain *d, const char *name, u64 size, mmio_fn fn, void *ctx, u32 *handle)
{
	(void)d, (void)name, (void)size, (void)fn, (void)ctx, (void)handle;
	return E_NOSPC;
}
status_t mmio_move(u32 handle, u64 base) { (void)handle, (void)base; return E_INVAL; }
void mmio_release(u32 handle) { (void)handle; }
status_t paging_map(u64 base, u64 len, int type) { (void)base, (void)len, (void)type; return OK; }
const char *status_str(status_t st) { (void)st; return "error"; }

/* The VT-d interface: one unit; IR as the test says (E_NOTSUP: a unit without interrupt remapping). */
static status_t irq_alloc_st;
static u32 attaches, detaches, irq_allocs;
static int iodom;
u32 iommu_units(void) { return 1; }
struct iommu_domain *iommu_domain_create(const char *name) { (void)name; return (struct iommu_domain *)&iodom; }
status_t iommu_domain_destroy(struct iommu_domain *d) { (void)d; return OK; }
status_t iommu_map(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 perm)
{
	(void)d, (void)iova, (void)hpa, (void)size, (void)perm;
	return OK;
}
status_t iommu_attach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn)
{
	(void)d, (void)seg, (void)bus, (void)devfn;
	attaches++;
	return OK;
}
status_t iommu_detach(struct iommu_domain *d, u16 seg, u8 bus, u8 devfn)
{
	(void)d, (void)seg, (void)bus, (void)devfn;
	detaches++;
	return OK;
}
void iommu_domain_get_stats(const struct iommu_domain *d, struct iommu_domain_stats *s)
{
	(void)d;
	memset(s, 0, sizeof *s);
}
u32 iommu_poll_faults(void) { return 0; }
u64 iommu_device_faults(u16 seg, u16 sid) { (void)seg, (void)sid; return 0; }
status_t iommu_irq_alloc(u16 seg, u16 sid, struct iommu_irq *h)
{
	irq_allocs++;
	if (irq_alloc_st)
		return irq_alloc_st;
	*h = (struct iommu_irq){ .seg = seg, .sid = sid, .src = sid, .svt = 1, .index = 7 };
	return OK;
}
status_t iommu_irq_remap(const struct iommu_irq *h, u8 vector, u32 apic_id)
{
	(void)h, (void)vector, (void)apic_id;
	return OK;
}
void iommu_irq_msi(const struct iommu_irq *h, u64 *addr, u32 *data) { *addr = 0xfee00010u | (u64)h->index << 5, *data = 0; }
status_t iommu_irq_free(struct iommu_irq *h) { (void)h; return OK; }
status_t iommu_irq_post(const struct iommu_irq *h, u8 vector, u64 pid_pa)
{
	(void)h, (void)vector, (void)pid_pa;
	return OK;
}
u32 iommu_irq_unit(const struct iommu_irq *h) { (void)h; return 0; }
struct vmx_caps vmx_caps;
bool iommu_ir_posting(void) { return false; }
bool iommu_ir_eime(void) { return false; }
const char *iommu_ir_posting_gap(void) { return "unit 0 reports CAP.PI=0"; }
int domains_idle_cpu(void) { return -1; }
status_t msi_set(u16 seg, u8 bus, u8 dev, u8 fn_, u64 addr, u32 data)
{
	(void)seg, (void)bus, (void)dev, (void)fn_, (void)addr, (void)data;
	return OK;
}
status_t msi_disable(u16 seg, u8 bus, u8 dev, u8 fn_) { (void)seg, (void)bus, (void)dev, (void)fn_; return OK; }
u8 irq_alloc(irq_handler_fn handler, void *ctx) { (void)handler, (void)ctx; return 0x40; }
void irq_free(u8 vector) { (void)vector; }
void vcpu_post(struct vcpu *t, u8 vector) { (void)t, (void)vector; }
struct percpu *cpus[MAX_CPUS];
static struct percpu pc0 = { .apic_id = 0 };

static struct domain dom;
static struct vcpu vc;
static u8 iobm[2 * 4096];
static const struct cfg_device edu = { .seg = 0, .bus = 0, .dev = 3, .fn = 0 };

static int setup(void **state)
{
	(void)state;
	memset(cfg, 0, sizeof cfg);
	memset(sizing, 0, sizeof sizing);
	cfg[0] = 0x11e81234u;
	cfg[1] = (u32)PCI_STATUS_CAP_LIST << 16 | 0x0007;    /* firmware left it decoding and mastering */
	cfg[2] = 0x00ff0010u;
	cfg[4] = 0xc0100000u;                                 /* BAR0: 32-bit, 1 MiB */
	cfg[7] = 0x0000c001u;                                 /* BAR3: I/O, 32 ports at 0xc000 */
	cfg[0x34 / 4] = 0x50;
	cfg[0x50 / 4] = 0x00807005u;                          /* MSI, 64-bit -> 0x70 */
	cfg[EXP / 4] = 0x0010;                                /* PCI Express, end */
	cfg[EXP / 4 + 1] = DEVCAP_FLR;
	dom = (struct domain){ .name = "pt", .index = 0, .mem_size = 16 * MiB, .mem_hpa = 0x10000000,
			       .io_bitmap = iobm, .state = DOM_RUNNING };
	vc = (struct vcpu){ .dom = &dom, .id = 0, .cpu = 0 };
	dom.vcpus[0] = &vc, dom.nr_vcpus = 1;
	cpus[0] = &pc0;
	irq_alloc_st = OK;
	host_writes = flrs = attaches = detaches = irq_allocs = 0;
	waited_us = 0;
	return 0;
}

static int teardown_dom(void **state)
{
	(void)state;
	passthrough_release(&dom);
	return 0;
}

/*
 * A unit without interrupt remapping: the MSI-capable function is refused with the reason (it
 * could forge any interrupt), never attached to a VT-d domain, and nothing stays assigned.
 */
static void test_msi_without_ir_refused(void **state)
{
	(void)state;
	char err[200] = "";
	irq_alloc_st = E_NOTSUP;
	assert_int_equal(passthrough_build(&dom, &edu, 1, 0x3f8, err, sizeof err), E_NOTSUP);
	assert_string_equal(err, "device 0000:00:03.0: it can send MSIs and interrupt remapping does not cover it "
			    "(a unit without IR, or booted without vtd=ir): it could forge any interrupt");
	assert_int_equal(irq_allocs, 1);
	assert_int_equal(attaches, 0);
	assert_null(vpci_bus_get(&dom, false));               /* the bus is forgotten */
	irq_alloc_st = E_NOSPC;                               /* IR, but no entry left: a different reason */
	assert_int_equal(passthrough_build(&dom, &edu, 1, 0x3f8, err, sizeof err), E_NOSPC);
	assert_string_equal(err, "device 0000:00:03.0: it can send MSIs and no interrupt-remapping entry is left");
	irq_alloc_st = OK;
	assert_int_equal(passthrough_build(&dom, &edu, 1, 0x3f8, err, sizeof err), OK);
	assert_int_equal(attaches, 1);
}

/*
 * Quiescing a function that offers FLR (DEVCAP.FLR), at build and at stop: Initiate FLR written,
 * 100 ms waited (PCIe base 6.6.2), the BARs the reset cleared written back, and the command
 * register left with decoding and bus mastering off and INTx disabled.
 */
static void test_quiesce_flr(void **state)
{
	(void)state;
	char err[200] = "";
	assert_int_equal(passthrough_build(&dom, &edu, 1, 0x3f8, err, sizeof err), OK);
	assert_int_equal(flrs, 1);
	assert_int_equal(bars_at_flr[0], 0xc0100000u);        /* the BARs as they were when reset */
	assert_int_equal(cfg[4], 0xc0100000u);                /* ... and written back */
	assert_int_equal(cfg[7], 0x0000c001u);
	assert_true(waited_us >= 100000);
	assert_int_equal(cfg[1] & 0xffff, 0x0400);
	struct vpci_bus *b = vpci_bus_get(&dom, false);
	assert_non_null(b);
	assert_int_equal(b->fn[0].bar[0].host, 0xc0100000u);  /* probed after the reset: the real BAR */
	cfg[1] = (cfg[1] & 0xffff0000u) | 0x0006;             /* the guest had it decoding and mastering */
	cfg[0x50 / 4] |= 1u << 16;                            /* and its MSI on */
	waited_us = 0;
	dom.state = DOM_STOPPED;
	passthrough_stop(&dom);
	assert_int_equal(flrs, 2);
	assert_int_equal(cfg[4], 0xc0100000u);
	assert_int_equal(cfg[7], 0x0000c001u);
	assert_true(waited_us >= 100000);
	assert_int_equal(cfg[1] & 0xffff, 0x0400);
	assert_int_equal(cfg[0x50 / 4] >> 16 & 1, 0);
	assert_int_equal(detaches, 1);
}

/* Without DEVCAP.FLR: no reset, the rest of quiescing as before. */
static void test_quiesce_without_flr(void **state)
{
	(void)state;
	char err[200] = "";
	cfg[EXP / 4 + 1] = 0;
	assert_int_equal(passthrough_build(&dom, &edu, 1, 0x3f8, err, sizeof err), OK);
	assert_int_equal(flrs, 0);
	assert_int_equal(waited_us, 0);
	assert_int_equal(cfg[1] & 0xffff, 0x0400);
	assert_int_equal(cfg[4], 0xc0100000u);
}

/*
 * A function whose I/O BAR may hold the hypervisor's console UART is refused naming both, before
 * anything is written to it (sizing its BARs would move the console's ports).
 */
static void test_console_uart_refused(void **state)
{
	(void)state;
	char err[200] = "";
	cfg[7] = 0x000003f9u;                                 /* I/O BAR at 0x3f8: COM1 */
	assert_int_equal(passthrough_build(&dom, &edu, 1, 0x3f8, err, sizeof err), E_BUSY);
	assert_string_equal(err, "device 0000:00:03.0 is used by the hypervisor: its I/O BAR may hold the "
			    "hypervisor's console UART");
	assert_int_equal(host_writes, 0);
	assert_int_equal(attaches, 0);
	assert_int_equal(passthrough_build(&dom, &edu, 1, 0x3fc, err, sizeof err), E_BUSY);  /* inside it */
	assert_int_equal(host_writes, 0);
	assert_int_equal(passthrough_build(&dom, &edu, 1, 0x2f8, err, sizeof err), OK);      /* below it */
	passthrough_release(&dom);
	assert_int_equal(passthrough_build(&dom, &edu, 1, 0, err, sizeof err), OK);          /* no console port */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_msi_without_ir_refused, setup, teardown_dom),
		cmocka_unit_test_setup_teardown(test_quiesce_flr, setup, teardown_dom),
		cmocka_unit_test_setup_teardown(test_quiesce_without_flr, setup, teardown_dom),
		cmocka_unit_test_setup_teardown(test_console_uart_refused, setup, teardown_dom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
