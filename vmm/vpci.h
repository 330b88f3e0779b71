/* Virtual PCI bus of a domain: a host bridge and its assigned functions, through CF8/CFC and ECAM. */
#ifndef PASSAGE_VMM_VPCI_H
#define PASSAGE_VMM_VPCI_H

#include "vcpu.h"
#include "iommu/iommu.h"
#include "drivers/pci.h"

#define VPCI_ECAM_GPA 0xe0000000ULL    /* guest-physical ECAM window of bus 0 (PCIe base 7.2.2) */
#define VPCI_ECAM_SIZE (1ULL << 20)   /* one bus: 32 devices x 8 functions x 4 KiB */
#define VPCI_MAX_FNS 8                /* assigned functions per domain: guest 00:01.0-00:08.0 */
#define VPCI_NR_BARS 6                /* type 0 header: BAR0-BAR5 at 0x10-0x24 */

struct vpci_bar {
	u64 host;                 /* host address, or the first port of an I/O BAR */
	u64 size;                 /* 0: not implemented (or the upper half of a 64-bit BAR) */
	u64 guest;                /* where the guest placed it, 0 = not placed */
	bool io, is64, prefetch;
	bool upper;               /* this slot is the upper dword of the 64-bit BAR before it */
	bool sizing_lo, sizing_hi;  /* the guest wrote all ones: reads return the size mask */
};

/* The guest's view of a function's MSI capability and the remapped device vector behind it. */
struct vpci_msi {
	u8 at;                    /* capability offset, 0 = none */
	bool is64, pvm;           /* 64-bit address, per-vector masking (from the device) */
	bool enabled;             /* Message Control MSI Enable as the guest wrote it (MME stays 0) */
	u32 addr_lo, addr_hi;     /* Message Address as the guest wrote it */
	u16 data;                 /* Message Data as the guest wrote it */
	bool host_on;             /* the device's MSI is on, aimed at the IRTE below */
	bool have_irte;
	struct iommu_irq irte;    /* one remapped entry, source-validated with the device's requester ID */
	u8 host_vector;           /* the IRTE's vector: its handler marks the guest vector pending */
	u32 host_apic;            /* APIC ID the IRTE targets (~0: posted to the vCPU's descriptor) */
	u8 mode;                  /* enum vmsi_mode of the route (vmsi_route.h) */
	const char *mode_why;
	struct domain *d;
	volatile u64 route;       /* vpci_route(targets, guest vector), read by the handler (0: route off) */
	u64 delivered;            /* interrupts marked pending in a vCPU's virtual APIC */
	u64 dropped;              /* arrived with no route (disabled, refused, stopped) */
	u64 refused;              /* programmings refused: foreign APIC, illegal vector, ... */
	u64 routes;               /* routes programmed (IRTE written) */
};

#define VPCI_MSIX_MAX 16              /* MSI-X vectors offered per function (each takes an IRTE and a host vector) */

/* One MSI-X table entry as the guest sees it and the remapped route behind it (PCI 3.0 6.8.2.6-9). */
struct vpci_msix_vec {
	u32 addr_lo, addr_hi, data;  /* Message Address, Upper Address, Data as the guest wrote them */
	u32 ctl;                     /* Vector Control: bit 0 Mask (set at reset) */
	struct iommu_irq irte;       /* this vector's own entry; the device's entry holds its message */
	bool have_irte;
	u8 host_vector;              /* the IRTE's vector: its handler marks gvec pending */
	u32 host_apic;
	u8 mode;                     /* enum vmsi_mode of the route (vmsi_route.h) */
	const char *mode_why;
	volatile u64 route;          /* vpci_route(targets, guest vector), read by the handler (0: no route) */
	struct vpci_msix *x;
};

/* The guest's view of a function's MSI-X capability, table and PBA. */
struct vpci_msix {
	u8 at;                       /* capability offset, 0 = none */
	u16 nr_dev;                  /* the device's Table Size (entries) */
	u16 nr;                      /* entries offered to the guest, min(nr_dev, VPCI_MSIX_MAX); 0: not set up */
	u8 tbir, pbir;               /* Table BIR, PBA BIR */
	u32 toff, poff;              /* Table Offset, PBA Offset inside those BARs */
	bool enabled, fmask;         /* Message Control MSI-X Enable, Function Mask as the guest wrote them */
	u32 nwin;
	struct {                     /* trapped pages (EPT dispatcher); the rest of the BAR maps directly */
		u8 bar;
		u64 off, len;        /* page-aligned, inside the BAR */
		u32 handle;          /* mmio_claim handle */
		bool claimed;
	} win[2];
	struct domain *d;
	struct vpci_fn *f;
	struct vpci_msix_vec vec[VPCI_MSIX_MAX];
	u64 delivered;               /* interrupts marked pending in a vCPU's virtual APIC */
	u64 dropped;                 /* arrived with no route */
	u64 refused;                 /* entries refused: foreign APIC, illegal vector, ... (left masked) */
	u64 routes;                  /* routes programmed (IRTE written) */
	u64 ignored;                 /* table/PBA writes outside the writable set */
};

struct vpci_fn {
	u16 seg;
	u8 bus, devfn;            /* host address */
	u8 gdev;                  /* guest device number on bus 0 (function 0) */
	u16 cmd;                  /* command register as the guest wrote it */
	u8 cacheline, latency, intline;
	u8 nr_caps;
	u8 caps[4];               /* kept capabilities (PM, MSI, PCIe, MSI-X) in chain order */
	struct vpci_bar bar[VPCI_NR_BARS];
	u64 ignored;              /* writes outside the allowed set */
	u64 msi_refused;          /* MSI-X enable attempts while its MSI-X is not set up */
	struct vpci_msi msi;
	struct vpci_msix msix;
	u64 bar_refused;          /* placements over RAM, the APIC page, ECAM or another BAR */
};

struct vpci_bus {
	struct domain *d;
	u32 cf8;                  /* CONFIG_ADDRESS as the guest last wrote it */
	u32 nr;
	struct vpci_fn fn[VPCI_MAX_FNS];
	u64 hb_ignored;           /* writes to the host bridge */
	u64 aid[4];               /* test aid: own RAM, another domain's RAM, a hypervisor page (host-physical),
				   * another domain's device's MSI IRTE index (~0: none) */
	struct domain *aid_other; /* test aid: the domain whose RAM aid[1] names (its canary is dword 0x60) */
	u64 canary_gpa, dma_gpa;  /* test aid: regions of VPCI_AID_LEN bytes the guest registered */
	bool canary_set, dma_set;
	u32 canary_sum;           /* the canary's checksum (vpci_aid_sum) when the guest registered it */
};

/* The domain's bus (zeroed and owned on first use), NULL when it has none. */
struct vpci_bus *vpci_bus_get(struct domain *d, bool create);
/* Reads the host function's BARs (decoding off) and keeps the capabilities Passage supports. */
status_t vpci_fn_init(struct vpci_fn *f, char *err, size_t errlen) MUST_CHECK;
/* Forgets the domain's bus (a refused domain). */
void vpci_bus_put(struct domain *d);
/* Claims CF8/CFC and the ECAM window in every domain (once, at start-up). */
status_t vpci_register(void) MUST_CHECK;
/* Host configuration accesses of assigned functions are serialised with the guests' (CF8/CFC is one register pair). */
/* The function's host configuration dword, read or written with the vPCI lock already held. */
static inline u32 vpci_host_rd(const struct vpci_fn *f, u16 off)
{
	return pci_read32(f->seg, f->bus, f->devfn >> 3, f->devfn & 7, off);
}
static inline void vpci_host_wr(const struct vpci_fn *f, u16 off, u32 v)
{
	pci_write32(f->seg, f->bus, f->devfn >> 3, f->devfn & 7, off, v);
}
/* The same, taking the lock. */
u32 vpci_host_read(const struct vpci_fn *f, u16 off);
void vpci_host_write(const struct vpci_fn *f, u16 off, u32 val);
/* vpci_msi.c, called with the configuration lock held: the guest's accesses inside the MSI
 * capability (off is a dword offset inside it, raw the host dword with the list pointer fixed). */
u32 vpci_msi_read(const struct vpci_fn *f, u16 off, u32 raw);
void vpci_msi_write(struct vpci_bus *bus, struct vpci_fn *f, u16 off, u32 v, u32 m);
/*
 * At build (no guest runs yet): an IRTE on the unit serving the function (source
 * validation with its requester ID or its alias) and a host vector whose handler
 * delivers to the domain's vCPUs. E_NOTSUP (err says why) when interrupt
 * remapping does not cover it: without IR a device could forge any interrupt.
 */
status_t vpci_msi_init(struct domain *d, struct vpci_fn *f, char *err, size_t errlen) MUST_CHECK;
/* Logs the function's interrupt entries (the boot report). */
void vpci_msi_report(const struct domain *d, const struct vpci_fn *f);
/* After the device was quiesced: no route, the IRTE and the host vector freed. */
void vpci_msi_release(struct vpci_fn *f);
/* A route as the host vector's handler reads it: the vCPUs to mark pending (a bit each) and the
 * guest vector in one word, so one load never pairs a new vector with old targets. */
static inline u64 vpci_route(u32 targets, u8 gvec) { return targets ? (u64)gvec << 32 | targets : 0; }
static inline u32 vpci_route_targets(u64 route) { return (u32)route; }
static inline u8 vpci_route_gvec(u64 route) { return (u8)(route >> 32); }

/* Exit-based delivery of GVEC to the vCPUs in TARGETS (a bit per vCPU); false when dropped. */
bool vpci_msi_deliver(struct domain *d, u32 targets, u8 gvec);
/* The configuration lock (vpci_msix.c's table traps take it like config accesses do). */
void vpci_lock(void);
void vpci_unlock(void);

/* vpci_msix.c: the MSI-X capability (off is a dword offset inside it), with the lock held. */
u32 vpci_msix_cfg_read(const struct vpci_fn *f, u16 off, u32 raw);
void vpci_msix_cfg_write(struct vpci_bus *bus, struct vpci_fn *f, u16 off, u32 v, u32 m);
/*
 * At build: validates the table/PBA placement, one IRTE and host vector per
 * offered vector, the trap windows claimed (parked), the device's entries all
 * masked and each offered one loaded with its IRTE's remappable message.
 */
status_t vpci_msix_init(struct domain *d, struct vpci_fn *f, char *err, size_t errlen) MUST_CHECK;
void vpci_msix_report(const struct domain *d, const struct vpci_fn *f);
/* After the device was quiesced: no route, IRTEs, host vectors and windows freed. */
void vpci_msix_release(struct vpci_fn *f);
/* Maps memory BAR i at guest address a (its MSI-X pages trapped instead), or unplaces it (a = 0). */
status_t vpci_bar_map(struct domain *d, struct vpci_fn *f, u32 i, u64 a) MUST_CHECK;
void vpci_bar_unmap(struct domain *d, struct vpci_fn *f, u32 i);
/*
 * Test aids (crash=vmexit), in the host bridge. Reads: dwords 0x40-0x5f give the guest its own
 * RAM's host-physical address, OTHER's (0: none), a hypervisor page and OTHER's device's MSI IRTE
 * index; 0x60-0x67 the host-physical address of OTHER's canary, 0 until OTHER registered it.
 * Writes: 0x68 registers the guest-physical address of the guest's canary (its checksum is taken
 * then), 0x6c that of a buffer its device wrote; VPCI_AID_LEN bytes each, inside its RAM.
 */
#define VPCI_AID_LEN 256
void vpci_set_test_aids(struct domain *d, struct domain *other, u64 sentinel_hpa, u64 other_irte);
/* Test aid: FNV-1a (32 bits) of the VPCI_AID_LEN bytes at guest-physical gpa of d, read through
 * the host's mapping of its RAM (what the hardware wrote there, whatever EPT shows the guest). */
u32 vpci_aid_sum(const struct domain *d, u64 gpa);

#endif
