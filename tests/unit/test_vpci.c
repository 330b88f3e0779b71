/* Unit tests of the virtual PCI configuration space (vmm/vpci.c, vmm/vpci_msi.c) against a fake device: BARs, capabilities, command, MSI, CF8/CFC, ECAM. */
/* host-srcs: vmm/vpci.c vmm/vpci_msi.c vmm/vpci_msix.c vmm/vmsi_xlate.c vmm/vmsi_route.c vmm/vlapic.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "vmm/vpci.h"
#include "vmm/vmsi_route.h"
#include "vmm/exit_io.h"
#include "vmm/mmio.h"
#include "drivers/pci.h"
#include "drivers/msi.h"
#include "arch/x86/irq.h"
#include "arch/x86/percpu.h"
#include "lib/string.h"

/* ---- the fake device at host 00:03.0 ---- */
static u32 cfg[64];                 /* dwords 0x00-0xff */
static u64 bar_size[6] = { 1 << 20, 0x10000, 0, 0x20, 0, 0 };   /* BAR1-2: one 64-bit BAR */
static bool sizing[6];
static u32 host_writes;

static u32 bar_mask(u32 i)
{
	if (i == 2)                     /* upper half of the 64-bit BAR1 */
		return (u32)(~(bar_size[1] - 1) >> 32);
	if (!bar_size[i])
		return 0;
	return (u32)~(bar_size[i] - 1) | (cfg[4 + i] & (cfg[4 + i] & 1 ? 0x3 : 0xf));
}

u32 pci_read32(u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	(void)seg, (void)bus, (void)dev, (void)fn;
	u32 i = (off - 0x10) / 4;
	if (off >= 0x10 && off < 0x28 && sizing[i])
		return bar_mask(i);
	return off < 0x100 ? cfg[off / 4] : 0;
}

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
	if (off < 0x100)
		cfg[off / 4] = v;
}

/* ---- fakes of the rest of the hypervisor ---- */
bool exits_test_aids;
static u32 maps, unmaps;
static u64 map_gpa, map_hpa, map_size;
status_t ept_map(struct domain *d, u64 gpa, u64 hpa, u64 size, u64 flags)
{
	(void)d, (void)flags;
	maps++, map_gpa = gpa, map_hpa = hpa, map_size = size;
	return OK;
}
status_t ept_unmap(struct domain *d, u64 gpa, u64 size)
{
	(void)d, (void)gpa, (void)size;
	unmaps++;
	return OK;
}
void log_msg(const char *subsys, const char *fmt, ...)
{
	(void)subsys, (void)fmt;
}
static pio_fn port_fn[2];
status_t pio_register(const char *name, u16 first, u16 count, pio_fn fn, void *ctx)
{
	(void)name, (void)count, (void)ctx;
	port_fn[first == 0xcfc] = fn;
	return OK;
}
static mmio_fn ecam_fn;
static void *ecam_ctx;
status_t mmio_register(struct domain *d, const char *name, u64 base, u64 size, mmio_fn fn, void *ctx)
{
	(void)name, (void)size;
	assert_null(d);                                     /* every domain */
	assert_int_equal(base, VPCI_ECAM_GPA);
	ecam_fn = fn, ecam_ctx = ctx;
	return OK;
}

/* The movable ranges of MSI-X (this device's MSI-X is not set up here: test_vpci_msix.c covers it). */
status_t mmio_claim(struct domain *d, const char *name, u64 size, mmio_fn fn, void *ctx, u32 *handle)
{
	(void)d, (void)name, (void)size, (void)fn, (void)ctx, (void)handle;
	return E_NOSPC;
}
status_t mmio_move(u32 handle, u64 base) { (void)handle, (void)base; return E_INVAL; }
void mmio_release(u32 handle) { (void)handle; }
status_t paging_map(u64 base, u64 len, int type) { (void)base, (void)len, (void)type; return OK; }

/* The IR interface, the MSI driver, host vectors and kicks. */
static u32 remaps, remap_apic, msi_sets, msi_offs, kicks;
static u8 remap_vector;
static u64 msi_addr;
static irq_handler_fn vec_fn;
static void *vec_ctx;
status_t iommu_irq_alloc(u16 seg, u16 sid, struct iommu_irq *h)
{
	*h = (struct iommu_irq){ .seg = seg, .sid = sid, .src = sid, .svt = 1, .index = 7 };
	return OK;
}
status_t iommu_irq_remap(const struct iommu_irq *h, u8 vector, u32 apic_id)
{
	assert_int_equal(h->index, 7);
	remaps++, remap_vector = vector, remap_apic = apic_id;
	return OK;
}
void iommu_irq_msi(const struct iommu_irq *h, u64 *addr, u32 *data)
{
	*addr = 0xfee00010u | (u64)h->index << 5, *data = 0;   /* remappable format, handle 7 */
}
status_t iommu_irq_free(struct iommu_irq *h) { (void)h; return OK; }
/* The posting side (vmm/vmsi_route.c's inputs): CPU posting, the units' CAP.PI, an idle CPU. */
struct vmx_caps vmx_caps;
static bool unit_posts;
static int idle_cpu = -1;
static u32 posts;
static u8 post_vector;
static u64 post_pda;
bool iommu_ir_posting(void) { return unit_posts; }
bool iommu_ir_eime(void) { return false; }
const char *iommu_ir_posting_gap(void) { return unit_posts ? NULL : "unit 0 reports CAP.PI=0"; }
int domains_idle_cpu(void) { return idle_cpu; }
status_t iommu_irq_post(const struct iommu_irq *h, u8 vector, u64 pid_pa)
{
	assert_int_equal(h->index, 7);
	posts++, post_vector = vector, post_pda = pid_pa;
	return OK;
}
u32 iommu_irq_unit(const struct iommu_irq *h) { (void)h; return 0; }
status_t msi_set(u16 seg, u8 bus, u8 dev, u8 fn_, u64 addr, u32 data)
{
	(void)seg, (void)bus, (void)dev, (void)fn_, (void)data;
	msi_sets++, msi_addr = addr;
	cfg[0x50 / 4] |= 1u << 16;
	return OK;
}
status_t msi_disable(u16 seg, u8 bus, u8 dev, u8 fn_)
{
	(void)seg, (void)bus, (void)dev, (void)fn_;
	msi_offs++;
	cfg[0x50 / 4] &= ~(1u << 16);
	return OK;
}
u8 irq_alloc(irq_handler_fn handler, void *ctx) { vec_fn = handler, vec_ctx = ctx; return 0x40; }
void irq_free(u8 vector) { (void)vector; vec_fn = NULL; }
void vcpu_post(struct vcpu *t, u8 vector) { if (vlapic_set_irr(&t->apic, vector)) kicks++; }
const char *status_str(status_t st) { (void)st; return "error"; }
struct percpu *cpus[MAX_CPUS];
static struct percpu pc0 = { .apic_id = 9 }, pc1 = { .apic_id = 0x21 };
static u8 apic_page[4096] __attribute__((aligned(4096)));

static struct domain dom;
static struct vcpu vc;
static u8 iobm[2 * 4096];
static struct vpci_fn *fn;

static u32 ecam_rd(u32 dev, u32 off, u32 size)
{
	u64 v = 0;
	ecam_fn(&vc, VPCI_ECAM_GPA + (dev << 15) + off, size, false, &v, ecam_ctx);
	return (u32)v;
}

static void ecam_wr(u32 dev, u32 off, u32 v)
{
	u64 x = v;
	ecam_fn(&vc, VPCI_ECAM_GPA + (dev << 15) + off, 4, true, &x, ecam_ctx);
}

static u32 rd(u32 off) { return ecam_rd(1, off, 4); }
static void wr(u32 off, u32 v) { ecam_wr(1, off, v); }

static int setup(void **state)
{
	(void)state;
	memset(cfg, 0, sizeof cfg);
	memset(sizing, 0, sizeof sizing);
	cfg[0] = 0x11e81234u;
	cfg[1] = (u32)PCI_STATUS_CAP_LIST << 16 | 0x0007;    /* firmware left it decoding and mastering */
	cfg[2] = 0x00ff0010u;
	cfg[3] = 0x00800000u;                                 /* multifunction bit set */
	cfg[4] = 0xc0100000u;                                 /* BAR0: 32-bit, 1 MiB */
	cfg[5] = 0x0000000cu;                                 /* BAR1: 64-bit prefetchable ... */
	cfg[6] = 0x00000008u;                                 /* ... at 0x8_0000_0000 */
	cfg[7] = 0x0000c001u;                                 /* BAR3: I/O, 32 ports at 0xc000 */
	cfg[0x34 / 4] = 0x40;
	cfg[0x40 / 4] = 0x4801;                               /* PM -> 0x48 */
	cfg[0x48 / 4] = 0x5003;                               /* VPD (hidden) -> 0x50 */
	cfg[0x50 / 4] = 0x00806005;                           /* MSI, 64-bit -> 0x60 */
	cfg[0x54 / 4] = 0xfee00000u;
	cfg[0x60 / 4] = 0x7009;                               /* vendor-specific (hidden) -> 0x70 */
	cfg[0x70 / 4] = 0xb010;                               /* PCI Express -> 0xb0 */
	cfg[0xb0 / 4] = 0x0011;                               /* MSI-X, end */
	dom = (struct domain){ .index = 0, .mem_size = 16 * MiB, .io_bitmap = iobm, .state = DOM_RUNNING };
	memset(iobm, 0xff, sizeof iobm);
	vc = (struct vcpu){ .dom = &dom, .id = 0, .cpu = 0 };
	vlapic_init(&vc.apic, apic_page, 0, 1000000);
	vlapic_set(&vc.apic, APIC_SVR, 0x1ff);                /* software-enabled */
	dom.vcpus[0] = &vc, dom.nr_vcpus = 1;
	cpus[0] = &pc0, cpus[1] = &pc1;
	remaps = msi_sets = msi_offs = kicks = posts = 0;
	vmx_caps.posting = unit_posts = false, idle_cpu = -1;
	struct vpci_bus *b = vpci_bus_get(&dom, true);
	fn = &b->fn[0];
	*fn = (struct vpci_fn){ .seg = 0, .bus = 0, .devfn = 3 << 3, .gdev = 1 };
	char err[100];
	assert_int_equal(vpci_fn_init(fn, err, sizeof err), OK);
	assert_int_equal(vpci_msi_init(&dom, fn, err, sizeof err), OK);
	b->nr = 1;
	assert_int_equal(vpci_register(), OK);
	maps = unmaps = host_writes = 0;
	return 0;
}

static void test_identity_and_header(void **state)
{
	(void)state;
	assert_int_equal(rd(0), 0x11e81234u);
	assert_int_equal(rd(8), 0x00ff0010u);
	assert_int_equal(rd(0x0c) & 0x00800000u, 0);          /* one function per guest device */
	assert_int_equal(rd(0x30), 0);                        /* no expansion ROM */
	assert_int_equal(rd(0x100), 0);                       /* extended space hidden */
	assert_int_equal(ecam_rd(0, 0, 4), 0x29c08086u);      /* host bridge */
	assert_int_equal(ecam_rd(0, 8, 4) >> 8, 0x060000u);
	assert_int_equal(ecam_rd(2, 0, 4), 0xffffffffu);      /* nothing at 00:02.0 */
	assert_int_equal(ecam_rd(1, 2, 2), 0x11e8);           /* word at offset 2 */
	assert_int_equal(ecam_rd(1, 1, 1), 0x12);
}

static void test_capabilities_filtered(void **state)
{
	(void)state;
	u32 at = rd(0x34) & 0xff, ids[8], n = 0;
	assert_true(rd(4) >> 16 & PCI_STATUS_CAP_LIST);
	while (at && n < 8) {
		ids[n++] = rd(at) & 0xff;
		at = (rd(at) >> 8) & 0xff;
	}
	assert_int_equal(n, 4);
	assert_int_equal(ids[0], PCI_CAP_ID_PM);
	assert_int_equal(ids[1], PCI_CAP_ID_MSI);
	assert_int_equal(ids[2], PCI_CAP_ID_EXP);
	assert_int_equal(ids[3], PCI_CAP_ID_MSIX);
	assert_int_equal(rd(0x48), 0);                        /* the VPD capability is hidden */
	assert_int_equal(rd(0x54), 0);                        /* MSI address: the guest's (none yet) */
}

/* The guest's MSI: its own address/data read back, the device aimed at IRTE 7, the handler
 * marks the guest's vector pending in vCPU 0's virtual APIC. */
static void test_msi_routed(void **state)
{
	(void)state;
	assert_int_equal(rd(0x50), 0x00807005u);              /* 64-bit, one vector, disabled; next: PCIe */
	wr(0x54, 0xfee00000u);                                /* APIC 0, physical */
	wr(0x58, 0);
	wr(0x5c, 0x41);
	assert_int_equal(remaps, 0);                          /* nothing happens while disabled */
	wr(0x50, rd(0x50) | 1u << 16);
	assert_int_equal(rd(0x50) >> 16 & 1, 1);
	assert_int_equal(rd(0x54), 0xfee00000u);
	assert_int_equal(rd(0x5c), 0x41);
	assert_int_equal(remaps, 1);
	assert_int_equal(remap_vector, 0x40);                 /* the host vector */
	assert_int_equal(remap_apic, 9);                      /* vCPU 0's physical CPU */
	assert_int_equal(msi_sets, 1);
	assert_int_equal(msi_addr, 0xfee000f0u);              /* the remappable message, not the guest's */
	assert_non_null(vec_fn);
	vec_fn(0x40, vec_ctx);
	assert_int_equal(vlapic_highest_irr(&vc.apic), 0x41);
	assert_int_equal(fn->msi.delivered, 1);
	wr(0x5c, 0x62);                                       /* live: the entry is rewritten */
	assert_int_equal(remaps, 2);
	assert_int_equal(msi_sets, 1);                        /* the device's message stays */
	vec_fn(0x40, vec_ctx);
	assert_int_equal(vlapic_highest_irr(&vc.apic), 0x62);
	wr(0x50, rd(0x50) & ~(1u << 16));                     /* disable */
	assert_int_equal(msi_offs, 1);
	vec_fn(0x40, vec_ctx);                                /* one in flight: dropped */
	assert_int_equal(fn->msi.dropped, 1);
	assert_int_equal(fn->msi.delivered, 2);
}

/*
 * The delivery mode of a route (vmm/vmsi_route.c): VT-d posting writes a posted entry naming the
 * vCPU's descriptor and the guest's vector; software posting aims the remapped entry at the CPU
 * without a guest; exit-based at the vCPU's own CPU. The config asks, the platform decides.
 */
static void test_msi_modes(void **state)
{
	(void)state;
	vmx_caps.posting = unit_posts = true, idle_cpu = 1;
	wr(0x54, 0xfee00000u);
	wr(0x5c, 0x41);
	wr(0x50, rd(0x50) | 1u << 16);
	assert_int_equal(posts, 1);                           /* auto: every unit posts */
	assert_int_equal(remaps, 0);
	assert_int_equal(post_vector, 0x41);                  /* the guest's vector, not a host one */
	assert_int_equal(post_pda, (u64)(uintptr_t)&vc.pid);  /* vCPU 0's descriptor */
	assert_int_equal(fn->msi.mode, VMSI_MODE_VTD_POST);
	unit_posts = false;
	wr(0x5c, 0x42);                                       /* units without CAP.PI: software posting */
	assert_int_equal(remaps, 1);
	assert_int_equal(remap_apic, 0x21);                   /* the CPU with no guest */
	assert_int_equal(remap_vector, 0x40);
	assert_int_equal(fn->msi.mode, VMSI_MODE_SW_POST);
	vec_fn(0x40, vec_ctx);                                /* its handler posts to vCPU 0 */
	assert_int_equal(vlapic_highest_irr(&vc.apic), 0x42);
	assert_int_equal(fn->msi.delivered, 1);
	idle_cpu = -1;
	wr(0x5c, 0x43);                                       /* no idle CPU: exit-based, the vCPU's CPU */
	assert_int_equal(remap_apic, 9);
	assert_int_equal(fn->msi.mode, VMSI_MODE_EXIT);
	unit_posts = true, idle_cpu = 1, dom.irq_mode = CFG_IRQ_EXIT;
	wr(0x5c, 0x44);                                       /* the config asks for exits */
	assert_int_equal(remap_apic, 9);
	assert_int_equal(fn->msi.mode, VMSI_MODE_EXIT);
	dom.irq_mode = CFG_IRQ_SW_POST;
	wr(0x5c, 0x45);
	assert_int_equal(remap_apic, 0x21);
	assert_int_equal(fn->msi.mode, VMSI_MODE_SW_POST);
	dom.irq_mode = CFG_IRQ_VTD_POST, unit_posts = false;
	wr(0x5c, 0x46);                                       /* asked, not possible: the next mode down */
	assert_int_equal(fn->msi.mode, VMSI_MODE_SW_POST);
	assert_non_null(strstr(fn->msi.mode_why, "asked vtd-post"));
	dom.irq_mode = CFG_IRQ_AUTO, unit_posts = true;
	wr(0x5c, 0x147);                                      /* lowest priority: never posted */
	assert_int_equal(fn->msi.mode, VMSI_MODE_EXIT);
	pc0.apic_id = 0x100;
	wr(0x5c, 0x49);                                       /* APIC ID > 255, NDST in xAPIC form (EIME=0) */
	assert_int_equal(fn->msi.mode, VMSI_MODE_SW_POST);
	assert_int_equal(posts, 1);
	pc0.apic_id = 9;
	vmx_caps.posting = false;
	wr(0x5c, 0x48);                                       /* no CPU posting: exits whatever the units do */
	assert_int_equal(fn->msi.mode, VMSI_MODE_EXIT);
	assert_int_equal(posts, 1);
	dom.irq_mode = CFG_IRQ_AUTO;
}

/* A foreign APIC or an illegal vector: refused and counted, the device left unable to interrupt. */
static void test_msi_refused(void **state)
{
	(void)state;
	wr(0x54, 0xfee00000u);
	wr(0x5c, 0x41);
	wr(0x50, rd(0x50) | 1u << 16);
	assert_int_equal(cfg[0x50 / 4] >> 16 & 1, 1);
	wr(0x54, 0xfee01000u);                                /* APIC 1: not a vCPU of this domain */
	assert_int_equal(fn->msi.refused, 1);
	assert_int_equal(cfg[0x50 / 4] >> 16 & 1, 0);         /* the device's MSI is off */
	assert_int_equal(rd(0x54), 0xfee01000u);              /* the guest reads what it wrote */
	vec_fn(0x40, vec_ctx);
	assert_int_equal(vlapic_highest_irr(&vc.apic), -1);
	wr(0x54, 0xfee00000u);
	wr(0x5c, 0x05);                                       /* vector 5: illegal */
	assert_int_equal(fn->msi.refused, 2);
	assert_int_equal(cfg[0x50 / 4] >> 16 & 1, 0);
	wr(0x5c, 0x41);                                       /* and back: routed again */
	assert_int_equal(cfg[0x50 / 4] >> 16 & 1, 1);
	vec_fn(0x40, vec_ctx);
	assert_int_equal(vlapic_highest_irr(&vc.apic), 0x41);
}

static void test_msix_enable_refused(void **state)
{
	(void)state;
	wr(0xb0, rd(0xb0) | 1u << 31);
	assert_int_equal(cfg[0xb0 / 4] >> 31, 0);
	assert_int_equal(fn->msi_refused, 1);
}

static void test_command_filtered(void **state)
{
	(void)state;
	wr(4, 0xffff);
	assert_int_equal(rd(4) & 0xffff, 0x0407);
	assert_int_equal(cfg[1] & 0xffff, 0x0407);
	assert_int_equal(fn->ignored, 1);
	wr(4, 0x0000);
	assert_int_equal(cfg[1] & 0xffff, 0x0400);            /* INTx stays disabled on the device */
}

static void test_bar_sizing(void **state)
{
	(void)state;
	wr(0x10, 0xffffffffu);
	assert_int_equal(rd(0x10), 0xfff00000u);
	wr(0x14, 0xffffffffu);
	wr(0x18, 0xffffffffu);
	assert_int_equal(rd(0x14), 0xffff000cu);              /* 64-bit, prefetchable */
	assert_int_equal(rd(0x18), 0xffffffffu);
	wr(0x1c, 0xffffffffu);
	assert_int_equal(rd(0x1c), 0xffffffe1u);              /* 32 ports */
	assert_int_equal(rd(0x20), 0);
	assert_int_equal(maps, 0);
	assert_int_equal(cfg[4], 0xc0100000u);                /* the device's BAR never moves */
}

static void test_bar_placement_and_refusals(void **state)
{
	(void)state;
	wr(0x10, 0xd0000000u);
	assert_int_equal(maps, 1);
	assert_int_equal(map_gpa, 0xd0000000u);
	assert_int_equal(map_hpa, 0xc0100000u);
	assert_int_equal(map_size, 1 << 20);
	/* RAM, APIC, ECAM; the address bits below the size read as zero, as on the device */
	static const u32 bad[] = { 0x00100000u, 0xfee00000u, VPCI_ECAM_GPA, 0xd0080000u };
	for (u32 i = 0; i < 4; i++) {
		wr(0x10, bad[i]);
		assert_int_equal(rd(0x10), 0xd0000000u);
	}
	assert_int_equal(fn->bar_refused, 3);
	assert_int_equal(maps, 1);
	wr(0x14, 0xd0000000u);                                /* the 64-bit BAR over BAR0 */
	assert_int_equal(fn->bar_refused, 4);
	wr(0x18, 0x1);                                        /* high half: 0x1_0000_0000 */
	assert_int_equal(maps, 2);
	assert_int_equal(map_gpa, 0x100000000ULL);
	assert_int_equal(map_hpa, 0x800000000ULL);
	assert_int_equal(rd(0x18), 1);
	assert_int_equal(rd(0x14), 0x0000000cu);
}

static void test_io_bar_only_at_host_ports(void **state)
{
	(void)state;
	wr(0x1c, 0xd000);
	assert_int_equal(fn->bar_refused, 1);
	assert_int_equal(iobm[0xd000 / 8], 0xff);
	wr(0x1c, 0xc000);
	assert_int_equal(rd(0x1c), 0xc001u);
	assert_int_equal(iobm[0xc000 / 8], 0);
	assert_int_equal(iobm[0xc018 / 8], 0);
	assert_int_equal(iobm[0xc020 / 8], 0xff);
}

static void test_cf8_cfc(void **state)
{
	(void)state;
	u32 v = 0x80000800u;                                  /* bus 0, device 1, register 0 */
	port_fn[0](&vc, 0xcf8, 4, false, &v, NULL);
	v = 0xffffffffu;
	port_fn[1](&vc, 0xcfc, 4, true, &v, NULL);
	assert_int_equal(v, 0x11e81234u);
	v = 0xffffffffu;
	port_fn[1](&vc, 0xcfe, 2, true, &v, NULL);
	assert_int_equal(v, 0x11e8);
	v = 0x80010000u;                                      /* bus 1: nothing */
	port_fn[0](&vc, 0xcf8, 4, false, &v, NULL);
	v = 0xffffffffu;
	port_fn[1](&vc, 0xcfc, 4, true, &v, NULL);
	assert_int_equal(v, 0xffffffffu);
}

static void test_stopped_domain_writes_nothing(void **state)
{
	(void)state;
	dom.state = DOM_STOPPED;
	wr(4, 0x0004);
	wr(0x10, 0xd0000000u);
	assert_int_equal(host_writes, 0);
	assert_int_equal(maps, 0);
	assert_int_equal(rd(0), 0x11e81234u);
}

static void test_domain_without_bus(void **state)
{
	(void)state;
	struct domain other = { .index = 1, .mem_size = 16 * MiB, .state = DOM_RUNNING };
	struct vcpu ov = { .dom = &other };
	u64 x = 0;
	ecam_fn(&ov, VPCI_ECAM_GPA, 4, false, &x, ecam_ctx);
	assert_int_equal(x, 0xffffffffffffffffULL);
	u32 v = 0x80000000u;
	port_fn[0](&ov, 0xcf8, 4, false, &v, NULL);
	v = 0xffffffffu;
	port_fn[1](&ov, 0xcfc, 4, true, &v, NULL);
	assert_int_equal(v, 0xffffffffu);
	vpci_bus_put(&dom);                                   /* a refused domain's bus is gone */
	x = 0;
	ecam_fn(&vc, VPCI_ECAM_GPA + (1 << 15), 4, false, &x, ecam_ctx);
	assert_int_equal(x, 0xffffffffffffffffULL);
}

/* A domain refused after the test aids named it is freed: no bus may keep pointing at it. */
static void test_aid_forgets_released_domain(void **state)
{
	(void)state;
	struct domain other = { .index = 1, .mem_size = 16 * MiB, .state = DOM_RUNNING };
	assert_non_null(vpci_bus_get(&other, true));
	vpci_set_test_aids(&dom, &other, 0, 0);
	assert_ptr_equal(vpci_bus_get(&dom, false)->aid_other, &other);
	vpci_bus_put(&other);
	assert_null(vpci_bus_get(&dom, false)->aid_other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_identity_and_header, setup),
		cmocka_unit_test_setup(test_capabilities_filtered, setup),
		cmocka_unit_test_setup(test_msi_routed, setup),
		cmocka_unit_test_setup(test_msi_modes, setup),
		cmocka_unit_test_setup(test_msi_refused, setup),
		cmocka_unit_test_setup(test_msix_enable_refused, setup),
		cmocka_unit_test_setup(test_command_filtered, setup),
		cmocka_unit_test_setup(test_bar_sizing, setup),
		cmocka_unit_test_setup(test_bar_placement_and_refusals, setup),
		cmocka_unit_test_setup(test_io_bar_only_at_host_ports, setup),
		cmocka_unit_test_setup(test_cf8_cfc, setup),
		cmocka_unit_test_setup(test_stopped_domain_writes_nothing, setup),
		cmocka_unit_test_setup(test_domain_without_bus, setup),
		cmocka_unit_test_setup(test_aid_forgets_released_domain, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
