/* The posted-interrupt descriptor the CPU and the VT-d unit share: layout, posting and draining (SDM Vol. 3C 30.6, VT-d 9.12). */
#ifndef PASSAGE_ARCH_PI_DESC_H
#define PASSAGE_ARCH_PI_DESC_H

#include "lib/types.h"

/*
 * SDM Vol. 3C 30.6 (2023 edition), table "Format of Posted-Interrupt Descriptor", and VT-d
 * specification rev 4.1 section 9.12: 512 bits, 64-byte aligned. The CPU reads PIR and ON;
 * the VT-d unit also reads SN, NV and NDST when it posts (9.12, 5.2.3).
 */
struct pi_desc {
	u64 pir[4];               /* bits 255:0: Posted Interrupt Requests, one bit per vector */
	u64 ctl;                  /* bits 319:256: ON 256, SN 257, NV 279:272, NDST 319:288 */
	u64 rsvd[3];              /* bits 511:320 */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct pi_desc) == 64, "posted-interrupt descriptor is 64 bytes");

#define PID_ON BIT(0)                        /* Outstanding Notification (bit 256) */
#define PID_SN BIT(1)                        /* Suppress Notification (bit 257) */
#define PID_NV(v) ((u64)(u8)(v) << 16)       /* Notification Vector (bits 279:272) */
#define PID_NDST(d) ((u64)(u32)(d) << 32)    /* Notification Destination (bits 319:288) */

/* NDST as VT-d 9.12 defines it: the xAPIC ID in bits 15:8, or the full x2APIC ID. */
static inline u64 pi_ctl(u8 nv, u32 apic_id, bool x2apic, bool sn)
{
	return PID_NV(nv) | PID_NDST(x2apic ? apic_id : (apic_id & 0xff) << 8) | (sn ? PID_SN : 0);
}

/*
 * Posts vector into d as a VT-d unit does (9.12, 5.2.3): the PIR bit first, then ON. True
 * when the caller must send the notification: ON was clear and SN is clear. While SN is set
 * the bit is left in PIR without ON, so whoever clears SN must look at PIR itself.
 * Locked read-modify-writes: the CPU and the unit update the same lines.
 */
static inline bool pi_post(struct pi_desc *d, u8 vector)
{
	__atomic_fetch_or(&d->pir[vector / 64], 1ULL << (vector % 64), __ATOMIC_SEQ_CST);
	u64 ctl = __atomic_load_n(&d->ctl, __ATOMIC_SEQ_CST);
	for (;;) {
		if (ctl & (PID_ON | PID_SN))
			return false;
		if (__atomic_compare_exchange_n(&d->ctl, &ctl, ctl | PID_ON, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return true;
	}
}

/* Anything posted and not yet drained (PIR, not only ON: see pi_post). */
static inline bool pi_pending(const struct pi_desc *d)
{
	return (__atomic_load_n(&d->ctl, __ATOMIC_ACQUIRE) & PID_ON) ||
	       (__atomic_load_n(&d->pir[0], __ATOMIC_ACQUIRE) | __atomic_load_n(&d->pir[1], __ATOMIC_ACQUIRE) |
		__atomic_load_n(&d->pir[2], __ATOMIC_ACQUIRE) | __atomic_load_n(&d->pir[3], __ATOMIC_ACQUIRE));
}

/*
 * Takes every posted request out of d into out[4], as the CPU's posted-interrupt processing
 * does (SDM 30.6 steps: clear ON, then move PIR): ON first, so a request posted after a word
 * was taken sets ON again and notifies again. True when any bit was taken.
 */
static inline bool pi_drain(struct pi_desc *d, u64 out[4])
{
	__atomic_fetch_and(&d->ctl, ~PID_ON, __ATOMIC_SEQ_CST);
	u64 any = 0;
	for (u32 i = 0; i < 4; i++)
		any |= out[i] = __atomic_exchange_n(&d->pir[i], 0, __ATOMIC_SEQ_CST);
	return any != 0;
}

#endif
