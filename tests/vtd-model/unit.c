/* unit.c: register access, root/context tables, second-level tables, invalidation (register
 * and queued), fault records, and the edu devices, for the VT-d model tests. */
#include "unit.h"

struct unit U;
struct edu EDU[4];
int n_edu;

u32 r32(u32 off) { return mmio_r32(U.base + off); }
u64 r64(u32 off) { return mmio_r64(U.base + off); }
void w32(u32 off, u32 v) { mmio_w32(U.base + off, v); }
void w64(u32 off, u64 v) { mmio_w64(U.base + off, v); }

#define SPIN 2000000

/* 10.4.4: software reads GSTS, changes one command bit, writes GCMD, waits for GSTS. The
 * one-shot status bits (RTPS, WBFS, IRTPS) are not carried into the write. */
bool gcmd(u32 bit, bool on)
{
	u32 st = r32(GSTS_REG) & GSTS_PERSISTENT;
	w32(GCMD_REG, on ? st | bit : st & ~bit);
	for (int i = 0; i < SPIN; i++) {
		bool set = r32(GSTS_REG) & bit;
		if (set == on)
			return true;
	}
	return false;
}

void set_root(void *root)
{
	w64(RTADDR_REG, (u64)root);
	gcmd(GCMD_SRTP, true);
}

void unit_reset(void)
{
	if (r32(GSTS_REG) & GCMD_TE)
		gcmd(GCMD_TE, false);
	if (r32(GSTS_REG) & GCMD_QIE)
		qi_disable();
	U.qi = false;
	faults_clear();
	w32(FECTL_REG, ECTL_IM);
	U.root = page_alloc();
	set_root(U.root);
	reg_inv_ctx(GRAN_GLOBAL, 0, 0);
	reg_inv_iotlb(GRAN_GLOBAL, 0, 0, 0);
}

struct context_entry *ctx_slot(u8 bus, u8 devfn)
{
	struct root_entry *re = &U.root[bus];
	if (!(re->lo & RE_P))
		re->lo = (u64)page_alloc() | RE_P;
	return (struct context_entry *)(re->lo & ~0xfffUL) + devfn;
}

void set_ctx(u8 bus, u8 devfn, u64 lo, u64 hi)
{
	struct context_entry *ce = ctx_slot(bus, devfn);
	ce->hi = hi;
	barrier();
	ce->lo = lo;
	barrier();
}

void dom_init(struct dom *d, int levels, u16 did)
{
	d->top = page_alloc();
	d->levels = levels;
	d->did = did;
}

/* 9.8: level L (1 = PTE) indexes address bits 12+9(L-1) .. 20+9(L-1). */
u64 *dom_map(struct dom *d, u64 iova, u64 hpa, u64 size, u64 flags)
{
	int leaf = size == 1 * GiB ? 3 : size == 2 * MiB ? 2 : 1;
	u64 *t = d->top;
	for (int l = d->levels; ; l--) {
		u64 *e = &t[(iova >> (12 + 9 * (l - 1))) & 511];
		if (l == leaf) {
			*e = hpa | flags | (leaf > 1 ? SL_PS : 0);
			barrier();
			return e;
		}
		if (!(*e & SL_RW))
			*e = (u64)page_alloc() | SL_RW;
		t = (u64 *)(*e & 0x000ffffffffff000UL);
	}
}

void attach(const struct dom *d, u8 bus, u8 devfn)
{
	set_ctx(bus, devfn, (u64)d->top | CE_TT(TT_UNTRANSLATED) | CE_P,
		CE_DID(d->did) | CE_AW(d->levels == 4 ? 2 : 1));
}

/* 10.4.7: CCMD with ICC set; hardware clears ICC when done and reports CAIG. */
u64 reg_inv_ctx(int g, u16 did, u16 sid)
{
	w64(CCMD_REG, CCMD_ICC | CCMD_CIRG(g) | CCMD_SID(sid) | did);
	for (int i = 0; i < SPIN; i++) {
		u64 v = r64(CCMD_REG);
		if (!(v & CCMD_ICC))
			return CCMD_CAIG(v);
	}
	return 0xff;
}

/* 10.4.8: IVA first (page-selective), then IOTLB_REG with IVT; IVT clears when done. */
u64 reg_inv_iotlb(int g, u16 did, u64 addr, unsigned am)
{
	if (g == GRAN_DEVICE)
		w64((u32)U.iro, addr | am);
	w64((u32)U.iro + 8, IOTLB_IVT | IOTLB_IIRG(g) | IOTLB_DID(did) | IOTLB_DR | IOTLB_DW);
	for (int i = 0; i < SPIN; i++) {
		u64 v = r64((u32)U.iro + 8);
		if (!(v & IOTLB_IVT))
			return IOTLB_IAIG(v);
	}
	return 0xff;
}

u64 inv_ctx(int g, u16 did, u16 sid)
{
	if (!U.qi)
		return reg_inv_ctx(g, did, sid);
	return qi_sync(DESC_CC | DESC_G(g) | DESC_DID(did) | DESC_SID(sid), 0) ? (u64)g : 0xff;
}

u64 inv_iotlb(int g, u16 did, u64 addr, unsigned am)
{
	if (!U.qi)
		return reg_inv_iotlb(g, did, addr, am);
	return qi_sync(DESC_IOTLB | DESC_G(g) | DESC_DID(did) | IOTLB_DESC_DR | IOTLB_DESC_DW,
		       g == GRAN_DEVICE ? addr | am : 0) ? (u64)g : 0xff;
}

/* 6.5.2: queue of 2^(QS+8) 128-bit descriptors at IQA; software moves IQT, hardware IQH. */
bool qi_enable(unsigned qs)
{
	U.iq_n = 256u << qs;
	U.iq = page_alloc_n(1u << qs, PAGE << qs);
	U.iq_tail = 0;
	w64(IQT_REG, 0);
	w64(IQA_REG, (u64)U.iq | qs);
	U.qi = gcmd(GCMD_QIE, true);
	return U.qi;
}

void qi_disable(void)
{
	gcmd(GCMD_QIE, false);
	U.qi = false;
}

void qi_put(u64 lo, u64 hi)
{
	U.iq[U.iq_tail] = (struct inv_desc){ lo, hi };
	U.iq_tail = (U.iq_tail + 1) % U.iq_n;
}

void qi_kick(void)
{
	barrier();
	w64(IQT_REG, (u64)U.iq_tail << 4);
}

static volatile u32 wait_word __attribute__((aligned(8)));
static u32 wait_seq;

static bool word_is(void *want) { return wait_word == *(u32 *)want; }

bool qi_wait(void)
{
	u32 want = ++wait_seq;
	qi_put(DESC_WAIT | WAIT_SW | WAIT_FN | WAIT_SDATA(want), (u64)&wait_word);
	qi_kick();
	for (int i = 0; i < SPIN; i++)
		if (wait_word == want)
			return true;
	return wait_for(word_is, &want, 50);
}

bool qi_sync(u64 lo, u64 hi)
{
	qi_put(lo, hi);
	return qi_wait();
}

u64 frcd_lo(unsigned i) { return r64((u32)(U.fro + 16 * i)); }
u64 frcd_hi(unsigned i) { return r64((u32)(U.fro + 16 * i + 8)); }

/* 10.4.14: F is write-1-to-clear in the upper dword; FSTS PFO/IQE/ICE/ITE likewise. */
void faults_clear(void)
{
	for (unsigned i = 0; i < U.nfr; i++)
		w32((u32)(U.fro + 16 * i + 12), 0x80000000u);
	w32(FSTS_REG, FSTS_PFO | FSTS_IQE | FSTS_ICE | FSTS_ITE);
}

int faults_find(u64 *lo, u64 *hi)
{
	int n = 0;
	for (unsigned i = 0; i < U.nfr; i++) {
		u64 h = frcd_hi(i);
		if (!(h & FRCD_F))
			continue;
		if (!n++) {
			*lo = frcd_lo(i);
			*hi = h;
		}
	}
	return n;
}

/* edu: BAR0 registers 0x80 source, 0x88 destination, 0x90 count, 0x98 command
 * (bit 0 run, bit 1 buffer-to-RAM, bit 2 interrupt when done). */
u16 edu_sid(const struct edu *e) { return (u16)(e->bus << 8 | e->devfn); }

static bool edu_idle(void *ctx)
{
	const struct edu *e = ctx;
	return !(mmio_r32(e->mmio + 0x98) & 1);
}

bool edu_cmd(const struct edu *e, u64 src, u64 dst, u32 len, u32 cmd)
{
	mmio_w64(e->mmio + 0x80, src);
	mmio_w64(e->mmio + 0x88, dst);
	mmio_w64(e->mmio + 0x90, len);
	mmio_w64(e->mmio + 0x98, cmd);
	return wait_for(edu_idle, (void *)e, arg_num("dmaticks", 3000));
}

bool edu_dma(const struct edu *e, u64 addr, u32 off, u32 len, bool to_ram)
{
	return to_ram ? edu_cmd(e, EDU_BUF + off, addr, len, EDU_CMD_RUN | EDU_CMD_TO_RAM)
		      : edu_cmd(e, addr, EDU_BUF + off, len, EDU_CMD_RUN);
}

bool edu_to_ram(const struct edu *e, u32 off, u64 dst, u32 len) { return edu_dma(e, dst, off, len, true); }
bool edu_from_ram(const struct edu *e, u64 src, u32 off, u32 len) { return edu_dma(e, src, off, len, false); }

void edu_find(void)
{
	for (unsigned bus = 0; bus < 2; bus++)
		for (unsigned devfn = 0; devfn < 256 && n_edu < 4; devfn++) {
			if (pci_r32((u8)bus, (u8)devfn, 0) != 0x11e81234)
				continue;
			struct edu *e = &EDU[n_edu++];
			e->bus = (u8)bus;
			e->devfn = (u8)devfn;
			e->mmio = pci_r32((u8)bus, (u8)devfn, 0x10) & ~0xfUL;
			pci_w16((u8)bus, (u8)devfn, 4, pci_r16((u8)bus, (u8)devfn, 4) | 0x6); /* memory, bus master */
		}
}
