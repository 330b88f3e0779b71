/* Pure encoders for IRTEs (both formats), the posted-interrupt descriptor and remappable MSI/RTE messages. */
#include "vtd_irte.h"
#include "arch/x86/atomic128.h"

/* 9.10, DST field: in xAPIC mode the 8-bit APIC ID sits in DST[15:8]; x2APIC uses all 32 bits. */
u32 vtd_irte_dst(u32 apic_id, bool x2apic)
{
	return x2apic ? apic_id : (apic_id & 0xff) << 8;
}

static u64 source_bits(u16 sid, u8 sq, u8 svt)
{
	return IRTE_HI_SID(sid) | IRTE_HI_SQ(sq) | IRTE_HI_SVT(svt);
}

struct vtd_irte vtd_irte_remapped(const struct vtd_irte_remapped *r)
{
	u64 lo = IRTE_P | IRTE_VECTOR(r->vector) | IRTE_DLM(r->delivery) | IRTE_AVAIL(r->avail) |
		 IRTE_DST(vtd_irte_dst(r->dest, r->x2apic));
	lo |= (r->fpd ? IRTE_FPD : 0) | (r->logical ? IRTE_DM : 0) |
	      (r->redirect_hint ? IRTE_RH : 0) | (r->level ? IRTE_TM : 0);
	/* IM (bit 15) stays 0: remapped format */
	return (struct vtd_irte){ lo, source_bits(r->sid, r->sq, r->svt) };
}

struct vtd_irte vtd_irte_posted(const struct vtd_irte_posted *p)
{
	u64 lo = IRTE_P | IRTE_IM | IRTE_VECTOR(p->vector) | IRTE_AVAIL(p->avail) |
		 IRTE_PDA_LO(p->pda);
	lo |= (p->fpd ? IRTE_FPD : 0) | (p->urgent ? IRTE_URG : 0);
	return (struct vtd_irte){ lo, source_bits(p->sid, p->sq, p->svt) | IRTE_HI_PDA_HI(p->pda) };
}

/* SDM "Format of Posted-Interrupt Descriptor": NDST holds the APIC ID in bits 15:8 in xAPIC mode. */
u64 vtd_pid_ctl(u8 nv, u32 apic_id, bool x2apic, bool sn)
{
	return pi_ctl(nv, apic_id, x2apic, sn);
}

/* 5.1.2.2: address 31:20 0xFEE, 19:5 handle[14:0], 4 format = 1, 3 SHV, 2 handle[15]. */
u32 vtd_msi_remap_addr(u16 handle, bool shv)
{
	return MSI_ADDR_BASE | ((u32)(handle & 0x7fff) << 5) | MSI_ADDR_IF_REMAP |
	       (shv ? MSI_ADDR_SHV : 0) | ((u32)(handle >> 15) << 2);
}

u32 vtd_msi_remap_data(u16 subhandle)
{
	return subhandle;
}

/* 5.1.5.1: 63:49 handle[14:0], 48 format = 1, 11 handle[15], 10:8 000b, 7:0 vector. */
u64 vtd_ioapic_rte_remap(u16 handle, u8 vector, bool level, bool active_low, bool masked)
{
	return ((u64)(handle & 0x7fff) << 49) | RTE_IF_REMAP | ((u64)(handle >> 15) << 11) | vector |
	       (level ? RTE_LEVEL : 0) | (active_low ? RTE_ACTIVE_LOW : 0) | (masked ? RTE_MASK : 0);
}

/* 6.5.2.7: type 4; G (bit 4) 1 = index-selective with IM (31:27) and IIDX (47:32). */
struct vtd_inv_desc vtd_iec_desc(bool global, u16 index, u8 im)
{
	if (global)
		return (struct vtd_inv_desc){ INV_IEC, 0 };
	return (struct vtd_inv_desc){ INV_IEC | INV_IEC_G_INDEX | INV_IEC_IM(im) | INV_IEC_IIDX(index),
				      0 };
}

int vtd_irte_update(volatile struct vtd_irte *slot, struct vtd_irte e, bool atomic16,
		    vtd_irte_sync_fn sync, void *ctx)
{
	if (slot->lo & IRTE_P) {
		if (atomic16) {
			atomic128_store(slot, e.lo, e.hi);
			return sync(ctx);
		}
		slot->lo &= ~IRTE_P;
		int st = sync(ctx);
		if (st)
			return st;
	}
	/* Not present now: the unit ignores the rest of the entry until P is seen. x86 keeps
	 * stores in program order; the compiler barrier keeps P last. */
	slot->hi = e.hi;
	__asm__ volatile("" ::: "memory");
	slot->lo = e.lo;
	return sync(ctx);
}
