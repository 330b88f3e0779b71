/* Unit tests of passthrough MSI-X (vmm/vpci_msix.c) against a fake device: config space, table and PBA in host memory, a fake IR unit. */
/* host-srcs: vmm/vpci.c vmm/vpci_msi.c vmm/vpci_msix.c vmm/vmsi_xlate.c vmm/vmsi_route.c vmm/vlapic.c vmm/mmio_range.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "vmm/vpci.h"
#include "vmm/exit_io.h"
#include "vmm/mmio.h"
#include "drivers/pci.h"
#include "drivers/msi.h"
#include "arch/x86/irq.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "lib/string.h"

/*
 * The fake function: BAR0 (64-bit, 16 KiB) and BAR2 (64-bit, 4 KiB) are host
 * arrays, so the "device's" table and PBA are plain memory Passage reads and
 * writes through its MMIO accessors. The MSI-X capability at 0x40; its table
 * size and the table/PBA placement vary by setup.
 */
#define BAR0_SIZE 0x4000
#define BAR2_SIZE 0x1000
#define G0 0xd0000000ULL            /* where the guest places BAR0 */
#define G2 0xd0100000ULL            /* and BAR2 */
#define CAP 0x40
static u8 bar0[BAR0_SIZE] __attribute__((aligned(BAR0_SIZE)));
static u8 bar2[BAR2_SIZE] __attribute__((aligned(BAR2_SIZE)));
static u32 cfg[64];
static bool sizing[6];
static u32 nr_dev, toff, tbir, poff, pbir;

static u64 bar_host(u32 i) { return i == 0 ? (u64)(uintptr_t)bar0 : (u64)(uintptr_t)bar2; }
static u8 *bar_mem(u32 i) { return i == 0 ? bar0 : bar2; }

u32 pci_read32(u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	(void)seg, (void)bus, (void)dev, (void)fn;
	static const u64 size[6] = { BAR0_SIZE, 0, BAR2_SIZE, 0, 0, 0 };
	if (off >= 0x10 && off < 0x28 && sizing[(off - 0x10) / 4]) {
		u32 i = (off - 0x10) / 4;
		if (i == 1 || i == 3)
			return 0xffffffffu;
		return size[i] ? (u32)~(size[i] - 1) | 0x4 : 0;
	}
	return off < 0x100 ? cfg[off / 4] : 0;
}

void pci_write32(u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u32 v)
{
	(void)seg, (void)bus, (void)dev, (void)fn;
	if (off >= 0x10 && off < 0x28) {
		sizing[(off - 0x10) / 4] = v == 0xffffffffu;
		if (v != 0xffffffffu)
			cfg[off / 4] = v;
		return;
	}
	if (off == CAP)                    /* only Enable and Function Mask are writable */
		v = (cfg[CAP / 4] & ~0xc0000000u) | (v & 0xc0000000u);
	if (off < 0x100)
		cfg[off / 4] = v;
}

/* ---- fakes of the rest of the hypervisor ---- */
bool exits_test_aids;
void log_msg(const char *subsys, const char *fmt, ...) { (void)subsys, (void)fmt; }
status_t pio_register(const char *name, u16 first, u16 count, pio_fn fn, void *ctx)
{
	(void)name, (void)first, (void)count, (void)fn, (void)ctx;
	return OK;
}
status_t paging_map(u64 base, u64 len, int type) { (void)base, (void)len, (void)type; return OK; }
const char *status_str(status_t st) { (void)st; return "error"; }
static u32 kicks;
struct vmx_caps vmx_caps;                 /* no CPU posting: every route is exit-based here */
bool iommu_ir_posting(void) { return false; }
bool iommu_ir_eime(void) { return false; }
const char *iommu_ir_posting_gap(void) { return "unit 0 reports CAP.PI=0"; }
int domains_idle_cpu(void) { return -1; }
status_t iommu_irq_post(const struct iommu_irq *h, u8 vector, u64 pid_pa) { (void)h, (void)vector, (void)pid_pa; return E_INVAL; }
void vcpu_post(struct vcpu *t, u8 vector) { if (vlapic_set_irr(&t->apic, vector)) kicks++; }

/* EPT: which guest pages are mapped directly. */
static u32 ept_maps;
static bool pages[2][16];
static bool *ept_page(u64 gpa)
{
	u64 base = gpa >= G2 ? G2 : G0;
	u64 i = (gpa - base) / PAGE_SIZE;
	return i < 16 ? &pages[base == G2][i] : NULL;
}
status_t ept_map(struct domain *d, u64 gpa, u64 hpa, u64 size, u64 flags)
{
	(void)d, (void)hpa, (void)flags;
	ept_maps++;
	for (u64 g = gpa; g < gpa + size; g += PAGE_SIZE)
		if (ept_page(g))
			*ept_page(g) = true;
	return OK;
}
status_t ept_unmap(struct domain *d, u64 gpa, u64 size)
{
	(void)d;
	for (u64 g = gpa; g < gpa + size; g += PAGE_SIZE)
		if (ept_page(g))
			*ept_page(g) = false;
	return OK;
}

/* The IR unit: entries by index, each a (vector, APIC ID); handles from 100 up. */
static struct { bool alloc, present; u8 vector; u32 apic; u32 writes; } irt[256];
static u32 next_irte, irte_frees;
status_t iommu_irq_alloc(u16 seg, u16 sid, struct iommu_irq *h)
{
	if (next_irte == 256)
		return E_NOSPC;
	irt[next_irte].alloc = true;
	*h = (struct iommu_irq){ .seg = seg, .sid = sid, .src = sid, .svt = 1, .index = (u16)next_irte++ };
	return OK;
}
status_t iommu_irq_remap(const struct iommu_irq *h, u8 vector, u32 apic_id)
{
	assert_true(irt[h->index].alloc);
	irt[h->index].present = true, irt[h->index].vector = vector, irt[h->index].apic = apic_id;
	irt[h->index].writes++;
	return OK;
}
/* VT-d 5.1.2.2 remappable format: address bit 4 set, handle[14:0] in bits 19:5. */
void iommu_irq_msi(const struct iommu_irq *h, u64 *addr, u32 *data)
{
	*addr = 0xfee00010u | (u64)h->index << 5, *data = 0;
}
status_t iommu_irq_free(struct iommu_irq *h)
{
	irt[h->index].alloc = irt[h->index].present = false;
	irte_frees++;
	return OK;
}
u32 iommu_irq_unit(const struct iommu_irq *h) { (void)h; return 0; }
status_t msi_set(u16 seg, u8 bus, u8 dev, u8 fn_, u64 addr, u32 data)
{
	(void)seg, (void)bus, (void)dev, (void)fn_, (void)addr, (void)data;
	return OK;
}
status_t msi_disable(u16 seg, u8 bus, u8 dev, u8 fn_) { (void)seg, (void)bus, (void)dev, (void)fn_; return OK; }

/* Host vectors 0x50-0xef, with their handlers. */
static irq_handler_fn vec_fn[256];
static void *vec_ctx[256];
u8 irq_alloc(irq_handler_fn handler, void *ctx)
{
	for (u32 v = 0x50; v < 0xf0; v++)
		if (!vec_fn[v]) {
			vec_fn[v] = handler, vec_ctx[v] = ctx;
			return (u8)v;
		}
	return 0;
}
void irq_free(u8 vector) { vec_fn[vector] = NULL; }

struct percpu *cpus[MAX_CPUS];
static struct percpu pc0 = { .apic_id = 9 }, pc1 = { .apic_id = 11 };
static u8 apic_page[2][4096] __attribute__((aligned(4096)));
static struct domain dom;
static struct vcpu vc[2];
static u8 iobm[2 * 4096];
static struct vpci_fn *fn;

/* ---- the fake device's behaviour ---- */

static u32 *dev_entry(u32 e) { return (u32 *)(bar_mem(tbir) + toff + 16 * e); }
static u64 *dev_pba(void) { return (u64 *)(bar_mem(pbir) + poff); }

/*
 * Entry e has an event (PCI 3.0 6.8.2.9/10): masked (the entry or the whole
 * function) or MSI-X off, the pending bit is set; otherwise the device writes
 * its message, which the IR unit turns into the entry's host vector.
 */
static void dev_event(u32 e)
{
	u32 ctl = cfg[CAP / 4] >> 16;
	if (!(ctl & 0x8000))
		return;                            /* MSI-X off: no message at all */
	if ((ctl & 0x4000) || (dev_entry(e)[3] & 1)) {
		dev_pba()[e / 64] |= 1ULL << (e % 64);
		return;
	}
	u64 addr = dev_entry(e)[0] | (u64)dev_entry(e)[1] << 32;
	assert_int_equal(addr & 0xfff00010u, 0xfee00010u);     /* only remappable messages */
	u32 idx = (u32)(addr >> 5) & 0x7fff;
	assert_true(irt[idx].present);
	vec_fn[irt[idx].vector](irt[idx].vector, vec_ctx[irt[idx].vector]);
}

/* The device sends what is pending and no longer masked. */
static void dev_service(void)
{
	for (u32 e = 0; e < nr_dev; e++)
		if ((dev_pba()[e / 64] >> (e % 64)) & 1) {
			u32 ctl = cfg[CAP / 4] >> 16;
			if ((ctl & 0x8000) && !(ctl & 0x4000) && !(dev_entry(e)[3] & 1)) {
				dev_pba()[e / 64] &= ~(1ULL << (e % 64));
				dev_event(e);
			}
		}
}

/* ---- the guest's accesses ---- */

static u64 gm(u64 gpa, u32 size, bool write, u64 val)
{
	const struct mmio_range *r = mmio_find(&dom, gpa);
	assert_non_null(r);
	assert_true(r->fn(&vc[0], gpa, size, write, &val, r->ctx));
	return val;
}
static u32 rd32(u64 gpa) { return (u32)gm(gpa, 4, false, 0); }
static void wr32(u64 gpa, u32 v) { gm(gpa, 4, true, v); }
static u64 tbl(u32 e, u32 reg) { return (tbir == 0 ? G0 : G2) + toff + 16 * e + 4 * reg; }
static u64 pba(void) { return (pbir == 0 ? G0 : G2) + poff; }

static u32 cfg_rd(u32 off)
{
	u64 v = 0;
	const struct mmio_range *r = mmio_find(&dom, VPCI_ECAM_GPA);
	r->fn(&vc[0], VPCI_ECAM_GPA + (1 << 15) + off, 4, false, &v, r->ctx);
	return (u32)v;
}
static void cfg_wr(u32 off, u32 v)
{
	u64 x = v;
	const struct mmio_range *r = mmio_find(&dom, VPCI_ECAM_GPA);
	r->fn(&vc[0], VPCI_ECAM_GPA + (1 << 15) + off, 4, true, &x, r->ctx);
}
static void msix_ctl(bool enable, bool fmask)
{
	cfg_wr(CAP, (cfg_rd(CAP) & 0x3fffffffu) | (enable ? 1u << 31 : 0) | (fmask ? 1u << 30 : 0));
}
/* The entry as a driver programs it: address, data, then the mask bit. */
static void program(u32 e, u32 dest, u32 vector, bool masked)
{
	wr32(tbl(e, 0), 0xfee00000u | dest << 12);
	wr32(tbl(e, 1), 0);
	wr32(tbl(e, 2), vector);
	wr32(tbl(e, 3), masked);
}
static int irr(u32 v) { return vlapic_highest_irr(&vc[v].apic); }

/* ---- set-up: three layouts of the table and the PBA ---- */

static int setup_layout(u32 n, u32 t_bir, u32 t_off, u32 p_bir, u32 p_off)
{
	nr_dev = n, tbir = t_bir, toff = t_off, pbir = p_bir, poff = p_off;
	memset(cfg, 0, sizeof cfg);
	memset(sizing, 0, sizeof sizing);
	memset(bar0, 0, sizeof bar0);
	memset(bar2, 0, sizeof bar2);
	memset(irt, 0, sizeof irt);
	memset(pages, 0, sizeof pages);
	next_irte = 100, irte_frees = 0, kicks = 0;
	cfg[0] = 0x10d38086u;
	cfg[1] = (u32)PCI_STATUS_CAP_LIST << 16;              /* decoding off: quiesced */
	cfg[2] = 0x02000000u;
	cfg[4] = (u32)bar_host(0) | 0x4, cfg[5] = (u32)(bar_host(0) >> 32);
	cfg[6] = (u32)bar_host(2) | 0x4, cfg[7] = (u32)(bar_host(2) >> 32);
	cfg[0x34 / 4] = CAP;
	cfg[CAP / 4] = (n - 1) << 16 | PCI_CAP_ID_MSIX;
	cfg[CAP / 4 + 1] = t_off | t_bir;
	cfg[CAP / 4 + 2] = p_off | p_bir;
	for (u32 e = 0; e < n; e++)                           /* garbage from before: Passage must rewrite */
		dev_entry(e)[0] = 0xfee01000u, dev_entry(e)[2] = 0x33, dev_entry(e)[3] = 0;
	*(u32 *)(bar0 + 0x10) = 0x5a5a0001u;                  /* a device register */
	dom = (struct domain){ .index = 0, .mem_size = 16 * MiB, .io_bitmap = iobm, .state = DOM_RUNNING };
	for (u32 i = 0; i < 2; i++) {
		vc[i] = (struct vcpu){ .dom = &dom, .id = i, .cpu = i };
		vlapic_init(&vc[i].apic, apic_page[i], i, 1000000);
		vlapic_set(&vc[i].apic, APIC_SVR, 0x1ff);
		dom.vcpus[i] = &vc[i];
	}
	dom.nr_vcpus = 2;
	cpus[0] = &pc0, cpus[1] = &pc1;
	struct vpci_bus *b = vpci_bus_get(&dom, true);
	fn = &b->fn[0];
	*fn = (struct vpci_fn){ .seg = 0, .bus = 0, .devfn = 3 << 3, .gdev = 1 };
	char err[160];
	assert_int_equal(vpci_fn_init(fn, err, sizeof err), OK);
	assert_int_equal(vpci_msix_init(&dom, fn, err, sizeof err), OK);
	b->nr = 1;
	assert_int_equal(vpci_register(), OK);
	cfg_wr(4, 0x6);                                       /* memory decoding, bus mastering */
	cfg_wr(0x10, (u32)G0), cfg_wr(0x14, 0);
	cfg_wr(0x18, (u32)G2), cfg_wr(0x1c, 0);
	return 0;
}

/* Table in BAR0 at a page boundary, PBA in BAR2. */
static int setup_split(void **state) { (void)state; return setup_layout(8, 0, 0x2000, 2, 0); }
/* Table not page-aligned (0x800) and the PBA on the same page as the table and a device register. */
static int setup_shared(void **state) { (void)state; return setup_layout(8, 0, 0x800, 0, 0xc00); }
/* 32 entries (more than offered), table and PBA in BAR0 on separate pages. */
static int setup_big(void **state) { (void)state; return setup_layout(32, 0, 0x1000, 0, 0x3000); }

static int teardown(void **state)
{
	(void)state;
	vpci_msix_release(fn);
	vpci_bus_put(&dom);
	return 0;
}

/* ---- tests ---- */

/* At build: one IRTE and one host vector per offered entry, every device entry masked and
 * aimed at its own IRTE, the function masked and MSI-X off, decoding restored. */
static void check_build_programs_device_masked(void **state)
{
	(void)state;
	u32 n = MIN(nr_dev, VPCI_MSIX_MAX);
	assert_int_equal(fn->msix.nr, n);
	assert_int_equal(next_irte - 100, n);
	for (u32 e = 0; e < nr_dev; e++)
		assert_int_equal(dev_entry(e)[3] & 1, 1);
	for (u32 e = 0; e < n; e++) {
		assert_int_equal(dev_entry(e)[0], 0xfee00010u | (100 + e) << 5);
		assert_int_equal(dev_entry(e)[2], 0);
		assert_int_not_equal(fn->msix.vec[e].host_vector, 0);
		if (e)
			assert_int_not_equal(fn->msix.vec[e].host_vector, fn->msix.vec[e - 1].host_vector);
	}
	assert_int_equal(cfg[CAP / 4] >> 30, 1);              /* Function Mask set, Enable clear */
}

/* The guest's capability: offered size, its own Enable/Function Mask, the device's offsets. */
static void check_capability_virtualized(void **state)
{
	(void)state;
	assert_int_equal(cfg_rd(0x34) & 0xff, CAP);
	assert_int_equal(cfg_rd(CAP), (MIN(nr_dev, VPCI_MSIX_MAX) - 1) << 16 | PCI_CAP_ID_MSIX);
	assert_int_equal(cfg_rd(CAP + 4), toff | tbir);
	assert_int_equal(cfg_rd(CAP + 8), poff | pbir);
	msix_ctl(false, true);
	assert_int_equal(cfg_rd(CAP) >> 30, 1);
	assert_int_equal(cfg[CAP / 4] >> 31, 0);              /* nothing enabled at the device */
	cfg_wr(CAP + 4, 0);                                   /* offsets are read-only */
	assert_int_equal(cfg[CAP / 4 + 1], toff | tbir);
	assert_int_equal(fn->ignored, 1);
}

/* The table/PBA pages trap; the rest of the BAR is mapped; moving the BAR moves the trap. */
static void check_bar_pages_trapped_and_moved(void **state)
{
	(void)state;
	u64 gt = tbl(0, 0) & ~(PAGE_SIZE - 1), gp = pba() & ~(PAGE_SIZE - 1);
	assert_false(*ept_page(gt));
	assert_false(*ept_page(gp));
	assert_non_null(mmio_find(&dom, gt));
	assert_non_null(mmio_find(&dom, gp));
	u32 direct = 0;
	for (u64 g = G0; g < G0 + BAR0_SIZE; g += PAGE_SIZE)
		if (g != gt && g != gp) {
			assert_true(*ept_page(g));
			assert_null(mmio_find(&dom, g));
			direct++;
		}
	assert_int_equal(direct, BAR0_SIZE / PAGE_SIZE - 1 - (tbir == pbir && gt != gp));
	/* move BAR0 by 64 KiB: the old pages neither map nor trap any more */
	program(0, 0, 0x41, false);
	cfg_wr(0x10, (u32)G0 + 0x10000);
	for (u64 g = G0; g < G0 + BAR0_SIZE; g += PAGE_SIZE) {
		assert_false(*ept_page(g));
		assert_null(mmio_find(&dom, g));
	}
	u64 nt = gt + 0x10000;
	assert_non_null(mmio_find(&dom, nt));
	assert_int_equal(rd32(nt + (tbl(0, 2) & 0xfff)), 0x41);   /* the same virtual table */
	cfg_wr(0x10, 0);                                      /* unplaced: the trap is parked */
	assert_null(mmio_find(&dom, nt));
}

/* Enable with entry 0 unmasked: the IRTE targets vCPU 0's CPU with the entry's host vector, the
 * device's entry is unmasked, the device's messages arrive with the guest's vector. */
static void check_enable_routes_and_delivers(void **state)
{
	(void)state;
	program(0, 0, 0x41, false);
	program(1, 1, 0x42, true);
	assert_int_equal(dev_entry(0)[3] & 1, 1);             /* MSI-X still off: nothing unmasked */
	assert_false(irt[100].present);
	msix_ctl(true, false);
	assert_int_equal(cfg[CAP / 4] >> 30, 2);              /* Enable, no Function Mask */
	assert_true(irt[100].present);
	assert_int_equal(irt[100].vector, fn->msix.vec[0].host_vector);
	assert_int_equal(irt[100].apic, 9);
	assert_int_equal(dev_entry(0)[3] & 1, 0);
	assert_int_equal(dev_entry(1)[3] & 1, 1);             /* the guest masked it */
	assert_int_equal(rd32(tbl(0, 0)), 0xfee00000u);       /* the guest reads its own message */
	assert_int_equal(rd32(tbl(0, 2)), 0x41);
	assert_int_equal(dev_entry(0)[0], 0xfee00010u | 100 << 5);   /* the device keeps the remappable one */
	dev_event(0);
	assert_int_equal(irr(0), 0x41);
	assert_int_equal(irr(1), -1);
	assert_int_equal(fn->msix.delivered, 1);
	/* the masked entry: pending at the device, visible in the guest's PBA, delivered on unmask */
	dev_event(1);
	assert_int_equal(fn->msix.delivered, 1);
	assert_int_equal(rd32(pba()) & 3, 2);
	wr32(tbl(1, 3), 0);
	assert_int_equal(irt[101].apic, 11);                  /* vCPU 1's CPU */
	dev_service();
	assert_int_equal(irr(1), 0x42);
	assert_int_equal(rd32(pba()) & 3, 0);
	assert_int_equal(fn->msix.delivered, 2);
}

/* Function Mask: the device holds every message as pending; clearing it releases them. */
static void check_function_mask(void **state)
{
	(void)state;
	program(0, 0, 0x41, false);
	msix_ctl(true, true);
	assert_int_equal(cfg[CAP / 4] >> 30, 3);
	dev_event(0);
	assert_int_equal(irr(0), -1);
	assert_int_equal(rd32(pba()) & 1, 1);
	assert_int_equal(cfg_rd(CAP) >> 30, 3);
	msix_ctl(true, false);
	dev_service();
	assert_int_equal(irr(0), 0x41);
	assert_int_equal(rd32(pba()) & 1, 0);
}

/* Re-programming a live entry rewrites its IRTE (vector, then destination); the device's
 * message never changes, and the old vector is never delivered again. */
static void check_live_reprogram(void **state)
{
	(void)state;
	program(0, 0, 0x41, false);
	msix_ctl(true, false);
	u32 w = irt[100].writes;
	u32 msg[3] = { dev_entry(0)[0], dev_entry(0)[1], dev_entry(0)[2] };
	wr32(tbl(0, 2), 0x62);
	assert_int_equal(irt[100].writes, w + 1);
	dev_event(0);
	assert_int_equal(irr(0), 0x62);
	vlapic_accept(&vc[0].apic, 0x62);                    /* taken by vCPU 0 */
	wr32(tbl(0, 0), 0xfee01000u);                         /* to APIC 1 */
	assert_int_equal(irt[100].apic, 11);
	dev_event(0);
	assert_int_equal(irr(1), 0x62);
	assert_int_equal(irr(0), -1);
	assert_memory_equal(msg, dev_entry(0), sizeof msg);
	assert_int_equal(dev_entry(0)[3] & 1, 0);
	/* a qword write of address + upper address, as some drivers do */
	gm(tbl(0, 0), 8, true, 0xfee00000u);
	assert_int_equal(irt[100].apic, 9);
	assert_int_equal(gm(tbl(0, 0), 8, false, 0), 0xfee00000u);
}

/*
 * A foreign APIC or an illegal vector: refused and counted. The guest left the
 * entry unmasked, so its messages are lost as a message to no APIC is: Passage
 * drops them (counted) rather than holding them pending at the device, so none
 * arrives once the entry is corrected and the guest's PBA never shows an
 * unmasked entry pending (PCI 3.0 6.8.2.9/6.8.2.10). Seen on the project's
 * Bochs (emu/passthrough-msix, msix-reprogram-after-refusal): the held message
 * arrived late on the corrected vector.
 */
static void check_refused_entry_drops(void **state)
{
	(void)state;
	msix_ctl(true, false);
	program(0, 5, 0x41, false);                           /* APIC 5: not in this domain */
	assert_int_equal(fn->msix.refused, 1);
	dev_event(0);
	assert_int_equal(irr(0), -1);
	assert_int_equal(irr(1), -1);
	assert_int_equal(fn->msix.dropped, 1);
	assert_int_equal(rd32(pba()) & 1, 0);
	program(0, 0, 0x05, false);                           /* vector 5 */
	assert_int_equal(fn->msix.refused, 2);
	dev_event(0);
	assert_int_equal(irr(0), -1);
	assert_int_equal(fn->msix.dropped, 2);
	assert_int_equal(rd32(pba()) & 1, 0);
	assert_int_equal(rd32(tbl(0, 3)), 0);                 /* the guest reads what it wrote */
	wr32(tbl(0, 2), 0x41);                                /* corrected: routed */
	dev_service();
	assert_int_equal(irr(0), -1);                         /* nothing held from the refused time */
	dev_event(0);
	assert_int_equal(irr(0), 0x41);
	assert_int_equal(fn->msix.delivered, 1);
	assert_int_equal(fn->msix.refused, 2);
}

/* Disable: the device's MSI-X off, routes gone; a message in flight is dropped and counted. */
static void check_disable(void **state)
{
	(void)state;
	program(0, 0, 0x41, false);
	msix_ctl(true, false);
	msix_ctl(false, false);
	assert_int_equal(cfg[CAP / 4] >> 31, 0);
	assert_int_equal(dev_entry(0)[3] & 1, 1);
	u8 hv = fn->msix.vec[0].host_vector;
	vec_fn[hv](hv, vec_ctx[hv]);
	assert_int_equal(irr(0), -1);
	assert_int_equal(fn->msix.dropped, 1);
}

/* The PBA is read-only; entries beyond the offered ones read 0 and stay masked at the device. */
static void check_pba_and_bounds(void **state)
{
	(void)state;
	u64 p0 = *dev_pba();
	wr32(pba(), 0xffffffffu);
	assert_int_equal(*dev_pba(), p0);
	assert_int_equal(fn->msix.ignored, 1);
	msix_ctl(true, false);
	for (u32 e = 0; e < nr_dev; e++)
		dev_event(e);                              /* all masked: all pending */
	u32 n = MIN(nr_dev, VPCI_MSIX_MAX);
	assert_int_equal(rd32(pba()), n == 32 ? ~0u : (1u << n) - 1);
	if (nr_dev > VPCI_MSIX_MAX) {
		assert_int_equal(rd32(pba()), 0xffffu);    /* entries 16-31 are not the guest's */
		assert_int_equal(rd32(pba() + 4), 0);
		wr32(tbl(20, 3), 0);
		assert_int_equal(rd32(tbl(20, 3)), 0);
		assert_int_equal(dev_entry(20)[3] & 1, 1);
		assert_int_equal(fn->msix.ignored, 2);
	}
}

/* An access that starts before the table (or the PBA) and reaches into it never gets to the
 * device: the entries hold Passage's remappable messages and masks (shared layout: the table is
 * not at the start of its page). */
static void check_straddling_access(void **state)
{
	(void)state;
	u32 addr = dev_entry(0)[0], ctl = dev_entry(0)[3];
	u64 p0 = *dev_pba();
	gm(tbl(0, 0) - 2, 4, true, 0xdeadbeefu);            /* 2 bytes before, 2 of entry 0's address */
	gm(tbl(0, 0) - 4, 8, true, 0x1122334455667788ull);  /* a dword before and entry 0's address */
	gm(pba() - 2, 4, true, 0xffffffffu);
	assert_int_equal(dev_entry(0)[0], addr);
	assert_int_equal(dev_entry(0)[3], ctl);
	assert_int_equal(*dev_pba(), p0);
	assert_int_equal(fn->msix.ignored, 3);
	assert_int_equal(gm(tbl(0, 0) - 2, 4, false, 0), 0xffffffffu);  /* reads float high */
}

/* The rest of a trapped page is the device's: a register beside the table passes through. */
static void check_shared_page_passthrough(void **state)
{
	(void)state;
	u64 reg = G0 + 0x10;
	assert_non_null(mmio_find(&dom, reg));                /* trapped: same page as the table */
	assert_int_equal(rd32(reg), 0x5a5a0001u);
	wr32(reg, 0x12345678u);
	assert_int_equal(*(u32 *)(bar0 + 0x10), 0x12345678u);
	assert_int_equal((u16)gm(reg + 2, 2, false, 0), 0x1234);
	program(2, 0, 0x43, true);                            /* and the table beside it still virtual */
	assert_int_equal(rd32(tbl(2, 2)), 0x43);
	assert_int_equal(dev_entry(2)[2], 0);
	gm(tbl(2, 1), 2, true, 0);                            /* a sub-dword write into the table */
	assert_int_equal(rd32(tbl(2, 1)), 0);
}

/* A stopped domain's accesses change nothing at the device. */
static void check_stopped_domain(void **state)
{
	(void)state;
	program(0, 0, 0x41, true);
	dom.state = DOM_STOPPED;
	wr32(tbl(0, 3), 0);
	assert_int_equal(dev_entry(0)[3] & 1, 1);
	assert_int_equal(rd32(tbl(0, 2)), 0xffffffffu);
	dom.state = DOM_RUNNING;
	assert_int_equal(rd32(tbl(0, 3)), 1);
}

/* Release: every IRTE and host vector freed, the trap windows gone. */
static void check_release(void **state)
{
	(void)state;
	u64 gt = tbl(0, 0);
	u32 n = fn->msix.nr;
	u8 hv = fn->msix.vec[0].host_vector;
	vpci_msix_release(fn);
	assert_int_equal(irte_frees, n);
	assert_null(vec_fn[hv]);
	assert_null(mmio_find(&dom, gt));
}

/* Every check runs on each layout, under its own name. */
#define W(layout, name) static void test_##layout##_##name(void **state) { check_##name(state); }
#define ALL(layout) W(layout, build_programs_device_masked) W(layout, capability_virtualized) \
	W(layout, bar_pages_trapped_and_moved) W(layout, enable_routes_and_delivers) W(layout, function_mask) \
	W(layout, live_reprogram) W(layout, refused_entry_drops) W(layout, disable) \
	W(layout, pba_and_bounds) W(layout, stopped_domain) W(layout, release)
ALL(split)
ALL(shared)
ALL(big)
W(shared, shared_page_passthrough)
W(shared, straddling_access)
#define T(name, setup) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_split_build_programs_device_masked, setup_split),
		T(test_split_capability_virtualized, setup_split),
		T(test_split_bar_pages_trapped_and_moved, setup_split),
		T(test_split_enable_routes_and_delivers, setup_split),
		T(test_split_function_mask, setup_split),
		T(test_split_live_reprogram, setup_split),
		T(test_split_refused_entry_drops, setup_split),
		T(test_split_disable, setup_split),
		T(test_split_pba_and_bounds, setup_split),
		T(test_split_stopped_domain, setup_split),
		T(test_split_release, setup_split),
		T(test_shared_build_programs_device_masked, setup_shared),
		T(test_shared_capability_virtualized, setup_shared),
		T(test_shared_bar_pages_trapped_and_moved, setup_shared),
		T(test_shared_enable_routes_and_delivers, setup_shared),
		T(test_shared_function_mask, setup_shared),
		T(test_shared_live_reprogram, setup_shared),
		T(test_shared_refused_entry_drops, setup_shared),
		T(test_shared_disable, setup_shared),
		T(test_shared_pba_and_bounds, setup_shared),
		T(test_shared_stopped_domain, setup_shared),
		T(test_shared_release, setup_shared),
		T(test_shared_shared_page_passthrough, setup_shared),
		T(test_shared_straddling_access, setup_shared),
		T(test_big_build_programs_device_masked, setup_big),
		T(test_big_capability_virtualized, setup_big),
		T(test_big_bar_pages_trapped_and_moved, setup_big),
		T(test_big_enable_routes_and_delivers, setup_big),
		T(test_big_function_mask, setup_big),
		T(test_big_live_reprogram, setup_big),
		T(test_big_refused_entry_drops, setup_big),
		T(test_big_disable, setup_big),
		T(test_big_pba_and_bounds, setup_big),
		T(test_big_stopped_domain, setup_big),
		T(test_big_release, setup_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
