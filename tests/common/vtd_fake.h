/* Test helper: a fake VT-d unit (register page that acts on writes), fake PCI bus, clock, log and page arena. */
#ifndef PASSAGE_TESTS_VTD_FAKE_H
#define PASSAGE_TESTS_VTD_FAKE_H

/*
 * Host unit tests of iommu/ include this once. "Physical" addresses are host
 * pointers: the page allocator (lib/pmm.c) hands out pages of a host arena.
 * The fake unit models what the code under test relies on (VT-d spec rev 4.1,
 * chapter 11): GCMD/GSTS one command per write, CCMD and IOTLB_REG completing
 * at once, the invalidation queue processed on each IQT write (wait
 * descriptors write their status), IQE raised on a chosen descriptor type,
 * RW1C bits of FSTS and the fault records. Every write and every processed
 * descriptor is appended to an event log the tests read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/vtd.h"
#include "drivers/pci.h"
#include "lib/pmm.h"

#define FAKE_IRO 0x200             /* IOTLB registers (ECAP.IRO = 0x20) */
#define FAKE_FRO 0x300             /* fault recording registers (CAP.FRO = 0x30) */
#define FAKE_NFR 4
#define FAKE_ARENA_PAGES 4096      /* 16 MiB of "physical" memory */

enum fake_ev { EV_WRITE, EV_GCMD, EV_CCMD, EV_IOTLB, EV_QI, EV_PCI_CMD };

struct fake_event {
	enum fake_ev kind;
	u32 unit;                  /* fake unit index, or PCI function index for EV_PCI_CMD */
	u32 off;
	u64 v, v2;                 /* EV_IOTLB: v = IOTLB_REG, v2 = IVA_REG; EV_QI: descriptor lo/hi */
};

#define FAKE_MAX_EVENTS 8192
#define FAKE_MAX_UNITS 4
#define FAKE_MAX_PCI 16

struct fake_unit {
	u8 *regs;                  /* 8 KiB register space */
	int iqe_type;              /* descriptors of this type raise IQE (-1: none) */
	u32 storm;                 /* a record whose F is cleared is refilled this many more times */
	u32 iqe_count;             /* IQEs raised */
};

static struct {
	struct fake_unit unit[FAKE_MAX_UNITS];
	struct fake_event ev[FAKE_MAX_EVENTS];
	u32 nr_ev;
	u64 now_us;
	char log[512][256];
	u32 nr_log;
	struct pci_dev pci[FAKE_MAX_PCI];
	u16 pci_cmd[FAKE_MAX_PCI];
	u16 pci_alias[FAKE_MAX_PCI];
	u32 nr_pci;
	void *arena;
	struct boot_info bi;
} fake;

static inline void fake_ev(enum fake_ev kind, u32 unit, u32 off, u64 v, u64 v2)
{
	if (fake.nr_ev < FAKE_MAX_EVENTS)
		fake.ev[fake.nr_ev++] = (struct fake_event){ kind, unit, off, v, v2 };
}

/* ---- registers ---- */

static inline u32 fake_index(const struct vtd_unit *u)
{
	for (u32 i = 0; i < FAKE_MAX_UNITS; i++)
		if (fake.unit[i].regs && (u64)(uintptr_t)fake.unit[i].regs == u->reg)
			return i;
	abort(); /* a register write to something that is not a fake unit */
}

static inline u64 *reg64(u32 i, u32 off) { return (u64 *)(fake.unit[i].regs + off); }
static inline u32 *reg32(u32 i, u32 off) { return (u32 *)(fake.unit[i].regs + off); }

/* Processes queued descriptors from IQH to IQT (6.5.2); stops at a rejected one with FSTS.IQE. */
static inline void fake_qi_run(u32 i)
{
	if (!(*reg32(i, GSTS_REG) & GSTS_QIES) || (*reg32(i, FSTS_REG) & FSTS_IQE))
		return;
	u64 iqa = *reg64(i, IQA_REG);
	struct vtd_inv_desc *q = (void *)(uintptr_t)(iqa & ~0xfffULL);
	u32 entries = (u32)((PAGE_SIZE << (iqa & 7)) >> 4);
	u32 head = (u32)(*reg64(i, IQH_REG) >> 4), tail = (u32)(*reg64(i, IQT_REG) >> 4);
	while (head != tail) {
		struct vtd_inv_desc d = q[head];
		if (fake.unit[i].iqe_type >= 0 && (d.lo & 0xf) == (u64)fake.unit[i].iqe_type) {
			*reg32(i, FSTS_REG) |= FSTS_IQE;
			fake.unit[i].iqe_count++;
			break;
		}
		fake_ev(EV_QI, i, head, d.lo, d.hi);
		if ((d.lo & 0xf) == INV_WAIT && (d.lo & INV_WAIT_SW))
			*(volatile u32 *)(uintptr_t)(d.hi & ~3ULL) = (u32)(d.lo >> 32);
		head = (head + 1) % entries;
	}
	*reg64(i, IQH_REG) = (u64)head << 4;
}

void vtd_fake_write(const struct vtd_unit *u, u32 off, u64 v, u32 bytes)
{
	u32 i = fake_index(u);
	fake_ev(EV_WRITE, i, off, v, bytes);
	if (off == GCMD_REG) {
		u32 keep = (u32)v & (GSTS_TES | GSTS_QIES | GSTS_IRES | GSTS_CFIS);
		u32 st = keep | (*reg32(i, GSTS_REG) & GSTS_RTPS);
		if (v & GCMD_SRTP)
			st |= GSTS_RTPS;
		if ((v & GCMD_QIE) && !(*reg32(i, GSTS_REG) & GSTS_QIES))
			*reg64(i, IQH_REG) = 0; /* 11.4.4: enabling QI resets IQH */
		*reg32(i, GSTS_REG) = st;
		fake_ev(EV_GCMD, i, off, v, st);
		return;
	}
	if (off == FSTS_REG) { /* RW1C bits only */
		*reg32(i, FSTS_REG) &= ~((u32)v & (FSTS_PFO | FSTS_AFO | FSTS_APF | FSTS_IQE |
						   FSTS_ICE | FSTS_ITE));
		return;
	}
	if (off == CCMD_REG && (v & CCMD_ICC)) {
		fake_ev(EV_CCMD, i, off, v, 0);
		*reg64(i, off) = v & ~CCMD_ICC;
		return;
	}
	if (off == FAKE_IRO + IOTLB_REG_OFF && (v & IOTLB_IVT)) {
		fake_ev(EV_IOTLB, i, off, v, *reg64(i, FAKE_IRO + IVA_REG_OFF));
		*reg64(i, off) = v & ~IOTLB_IVT;
		return;
	}
	if (off >= FAKE_FRO && off < FAKE_FRO + 16 * FAKE_NFR && (off & 15) == 12) {
		*reg32(i, off) &= ~((u32)v & 0x80000000u); /* F is RW1C */
		if (fake.unit[i].storm && (v & 0x80000000u)) { /* a device keeps faulting */
			fake.unit[i].storm--;
			*reg32(i, off) |= 0x80000000u;
		}
		return;
	}
	if (bytes == 8)
		*reg64(i, off) = v;
	else
		*reg32(i, off) = (u32)v;
	if (off == IQT_REG)
		fake_qi_run(i);
}

/* A unit with QI (or not), PSI with MAMV 9, 2M+1G pages, SAGAW 39+48, not coherent. */
static inline struct vtd_unit fake_unit_new(u32 i, bool qi, u64 extra_cap)
{
	if (!fake.unit[i].regs)
		fake.unit[i].regs = aligned_alloc(PAGE_SIZE, 2 * PAGE_SIZE);
	memset(fake.unit[i].regs, 0, 2 * PAGE_SIZE);
	fake.unit[i].iqe_type = -1;
	fake.unit[i].iqe_count = 0;
	fake.unit[i].storm = 0;
	u64 cap = 2 /* ND: 256 domains */ | ((u64)(SAGAW_39 | SAGAW_48) << 8) | (47ULL << 16) |
		  ((u64)(FAKE_FRO / 16) << 24) | (3ULL << 34) | CAP_PSI | ((u64)(FAKE_NFR - 1) << 40) |
		  (9ULL << 48) | extra_cap;
	u64 ecap = ((u64)(FAKE_IRO / 16) << 8) | (qi ? ECAP_QI | ECAP_IR : 0);
	*reg32(i, VER_REG) = 0x10;
	*reg64(i, CAP_REG) = cap;
	*reg64(i, ECAP_REG) = ecap;
	return (struct vtd_unit){ .index = i, .reg = (u64)(uintptr_t)fake.unit[i].regs, .cap = cap,
				  .ecap = ecap, .iotlb_off = FAKE_IRO, .frcd_off = FAKE_FRO,
				  .nr_frcd = FAKE_NFR };
}

/* Events of one kind (and unit) in order: returns how many, copies at most max. */
static inline u32 fake_events(enum fake_ev kind, u32 unit, struct fake_event *out, u32 max)
{
	u32 n = 0;
	for (u32 k = 0; k < fake.nr_ev; k++)
		if (fake.ev[k].kind == kind && fake.ev[k].unit == unit) {
			if (n < max)
				out[n] = fake.ev[k];
			n++;
		}
	return n;
}

/* Index in the event log of the first event matching, from start; -1 if none. */
static inline int fake_find(u32 start, enum fake_ev kind, u32 unit, bool (*match)(const struct fake_event *))
{
	for (u32 k = start; k < fake.nr_ev; k++)
		if (fake.ev[k].kind == kind && fake.ev[k].unit == unit && (!match || match(&fake.ev[k])))
			return (int)k;
	return -1;
}

/* Places a pending primary fault in record r. */
static inline void fake_fault(u32 i, u32 r, u16 sid, u64 addr, bool write, u8 reason)
{
	u64 *rec = reg64(i, FAKE_FRO + 16 * r);
	rec[0] = addr & ~0xfffULL;
	rec[1] = FRCD_HI_F | (write ? 0 : FRCD_HI_T1) | ((u64)reason << 32) | sid;
	*reg32(i, FSTS_REG) |= FSTS_PPF | (r << 8);
}

/* ---- what the iommu code calls below it ---- */

u64 tsc_now_us(void)
{
	return fake.now_us += 1000; /* every wait times out after ~100 polls */
}

status_t paging_map(u64 base, u64 len, int type)
{
	(void)base, (void)len, (void)type;
	return OK;
}

static void (*fake_irq_handler)(u8, void *);
static void *fake_irq_ctx;

u8 irq_alloc(void (*handler)(u8, void *), void *ctx)
{
	fake_irq_handler = handler, fake_irq_ctx = ctx; /* the last one: one unit per test */
	return 0x40;
}

/* The IR start-up (vtd_irt.c) asks the APIC mode; the fakes run no IR start-up. */
bool lapic_x2apic(void) { return false; }

u32 lapic_id(void)
{
	return 0;
}

void log_msg(const char *subsys, const char *fmt, ...)
{
	char line[256];
	int n = snprintf(line, sizeof line, "%s: ", subsys);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (getenv("FAKE_LOG"))
		fprintf(stderr, "%s\n", line);
	if (fake.nr_log < 512)
		strcpy(fake.log[fake.nr_log++], line);
}

/* True if a logged line contains s. */
static inline bool fake_logged(const char *s)
{
	for (u32 k = 0; k < fake.nr_log; k++)
		if (strstr(fake.log[k], s))
			return true;
	return false;
}

/* ---- PCI bus ---- */

/* Adds a function; bridge: header type 1 with the given secondary/subordinate buses. */
static inline u32 fake_pci_add(u8 bus, u8 dev, u8 fn, bool bridge, u8 sec, u8 sub, u16 alias)
{
	u32 k = fake.nr_pci++;
	fake.pci[k] = (struct pci_dev){ .seg = 0, .bus = bus, .dev = dev, .fn = fn, .vendor = 0x1234,
					.device = 0x11e8, .header_type = bridge ? 1 : 0,
					.secondary_bus = sec, .subordinate_bus = sub, .parent = -1 };
	fake.pci_cmd[k] = bridge ? 0 : PCI_COMMAND_MASTER;
	fake.pci_alias[k] = alias ? alias : PCI_SID(bus, dev, fn);
	return k;
}

u32 pci_count(void) { return fake.nr_pci; }
const struct pci_dev *pci_get(u32 i) { return &fake.pci[i]; }
u16 pci_dma_alias(u32 i) { return fake.pci_alias[i]; }

s32 pci_find(u16 seg, u8 bus, u8 devfn)
{
	for (u32 k = 0; k < fake.nr_pci; k++)
		if (fake.pci[k].seg == seg && fake.pci[k].bus == bus &&
		    PCI_SID(0, fake.pci[k].dev, fake.pci[k].fn) == devfn)
			return (s32)k;
	return -1;
}

u16 pci_read16(u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	s32 k = pci_find(seg, bus, (u8)PCI_SID(0, dev, fn));
	return k >= 0 && off == PCI_COMMAND ? fake.pci_cmd[k] : 0xffff;
}

void pci_write16(u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u16 v)
{
	s32 k = pci_find(seg, bus, (u8)PCI_SID(0, dev, fn));
	if (k >= 0 && off == PCI_COMMAND) {
		fake.pci_cmd[k] = v;
		fake_ev(EV_PCI_CMD, (u32)k, off, v, 0);
	}
}

/* ---- set-up ---- */

/* Fresh state: event log, clock, log lines, PCI bus, and a new page arena behind pmm. */
static inline void fake_reset(void)
{
	for (u32 i = 0; i < FAKE_MAX_UNITS; i++)
		free(fake.unit[i].regs);
	free(fake.arena);
	memset(&fake, 0, sizeof fake);
	fake.arena = aligned_alloc(PAGE_SIZE, FAKE_ARENA_PAGES * PAGE_SIZE);
	boot_info_add_mem(&fake.bi, (u64)(uintptr_t)fake.arena, FAKE_ARENA_PAGES * PAGE_SIZE,
			  MEM_USABLE);
	pmm_init(&pmm_global, &fake.bi, NULL, 0);
}

#endif
