/* Guest MSI address/data -> a route to the domain's own vCPUs; everything else refused (SDM Vol. 3A 11.11). */
#include "vmsi.h"

enum vmsi_verdict vmsi_translate(u64 addr, u32 data, const struct vlapic *const *apic, const u32 *ids,
				 u32 n, struct vmsi_route *r)
{
	*r = (struct vmsi_route){ .vector = VMSI_DATA_VECTOR(data), .delivery = (u8)VMSI_DATA_DLM(data),
				  .dest = (u32)VMSI_ADDR_DEST(addr), .logical = addr & VMSI_ADDR_DM };
	/* A message outside 0xFEExxxxx is a memory write, not an interrupt: never forwarded. */
	if ((addr >> 32) || ((u32)addr & 0xfff00000u) != VMSI_ADDR_BASE)
		return VMSI_NOT_INTERRUPT;
	if (addr & VMSI_ADDR_RSVD)
		return VMSI_RESERVED;
	if (r->vector < 16)
		return VMSI_VECTOR;
	if (r->delivery > 1)
		return VMSI_DELIVERY;
	if (data & VMSI_DATA_TM)
		return VMSI_LEVEL;
	/* 11.11.1: the destination is matched like an IPI's (physical ID or logical MDA), xAPIC format. */
	for (u32 i = 0; i < n && i < VMSI_MAX_VCPUS; i++)
		if (vlapic_match_dest(apic[i], ids[i], r->dest, r->logical, false))
			r->targets |= 1u << i;
	if (!r->targets)
		return VMSI_FOREIGN;
	r->first = (u32)__builtin_ctz(r->targets);
	/* Lowest priority (or RH=1): one of the targets takes it; Passage picks the first. */
	if (r->delivery == 1 || (addr & VMSI_ADDR_RH))
		r->targets = 1u << r->first;
	return VMSI_OK;
}

const char *vmsi_verdict_str(enum vmsi_verdict v)
{
	switch (v) {
	case VMSI_OK: return "ok";
	case VMSI_NOT_INTERRUPT: return "the address is not in the interrupt window 0xfee00000-0xfeefffff";
	case VMSI_RESERVED: return "reserved address bits 11:4 set (or the remappable format)";
	case VMSI_VECTOR: return "vectors 0-15 are illegal";
	case VMSI_DELIVERY: return "only fixed and lowest-priority delivery are offered";
	case VMSI_LEVEL: return "level-triggered messages are not offered";
	case VMSI_FOREIGN: return "the destination is not an APIC of this domain";
	}
	return "?";
}
