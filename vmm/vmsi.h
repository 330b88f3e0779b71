/* A guest's MSI message (address/data) translated into a route to its own vCPUs (SDM Vol. 3A 11.11). */
#ifndef PASSAGE_VMM_VMSI_H
#define PASSAGE_VMM_VMSI_H

#include "vlapic.h"

/* SDM Vol. 3A 11.11.1 Message Address Register format (edition cited: SDM Vol. 3, 2023). */
#define VMSI_ADDR_BASE 0xfee00000u       /* bits 31:20 = 0FEEH */
#define VMSI_ADDR_DEST(a) (((a) >> 12) & 0xff) /* Destination ID, bits 19:12 */
#define VMSI_ADDR_RH (1u << 3)           /* Redirection Hint */
#define VMSI_ADDR_DM (1u << 2)           /* Destination Mode: 1 logical */
#define VMSI_ADDR_RSVD 0xff0u            /* bits 11:4: reserved (bit 4 is VT-d's remappable format) */
/* 11.11.2 Message Data Register format */
#define VMSI_DATA_VECTOR(d) ((u8)(d))    /* Vector, bits 7:0 */
#define VMSI_DATA_DLM(d) (((d) >> 8) & 7) /* Delivery Mode, bits 10:8: 000 fixed, 001 lowest priority */
#define VMSI_DATA_TM (1u << 15)          /* Trigger Mode: 1 level */

#define VMSI_MAX_VCPUS 32                /* targets are a bitmap of vCPU indexes */

enum vmsi_verdict {
	VMSI_OK,
	VMSI_NOT_INTERRUPT,   /* the address is not in the 0xFEExxxxx interrupt window */
	VMSI_RESERVED,        /* reserved address bits (or VT-d remappable format) set */
	VMSI_VECTOR,          /* vector 0-15: illegal (SDM 11.5.2) */
	VMSI_DELIVERY,        /* delivery mode other than fixed or lowest priority */
	VMSI_LEVEL,           /* level-triggered: not offered */
	VMSI_FOREIGN,         /* the destination names no vCPU of the domain */
};

/* Where the guest's message goes inside its domain. */
struct vmsi_route {
	u8 vector;            /* the guest's vector, 16-255 */
	u8 delivery;          /* 0 fixed, 1 lowest priority */
	u32 dest;             /* destination ID as the guest wrote it */
	bool logical;
	u32 targets;          /* bit i: vCPU i receives it (lowest priority / RH: one bit) */
	u32 first;            /* the vCPU whose physical CPU the IRTE targets */
};

/*
 * Translates the guest's message into a route over the domain's n vCPUs, whose
 * local APICs are apic[i] with APIC ID ids[i]. VMSI_OK fills r; anything else
 * is a refusal (r->dest/vector are still filled for the message).
 */
enum vmsi_verdict vmsi_translate(u64 addr, u32 data, const struct vlapic *const *apic, const u32 *ids,
				 u32 n, struct vmsi_route *r);
const char *vmsi_verdict_str(enum vmsi_verdict v);

#endif
