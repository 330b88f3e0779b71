/* Reading guest memory through the guest's page tables. */
#ifndef PASSAGE_VMM_GUEST_MEM_H
#define PASSAGE_VMM_GUEST_MEM_H

#include "vcpu.h"

bool guest_linear_to_gpa(struct domain *d, u64 lin, u64 cr0, u64 cr3, u64 cr4, u64 efer, u64 *gpa);
bool guest_read_linear(struct domain *d, u64 lin, void *buf, u32 len, u64 cr0, u64 cr3, u64 cr4,
		       u64 efer);
/* Reads up to len instruction bytes at lin; returns how many could be read (stops at the
 * first unmapped byte, so an instruction at the end of a page still decodes). */
u32 guest_fetch(struct domain *d, u64 lin, u8 *buf, u32 len, u64 cr0, u64 cr3, u64 cr4, u64 efer);

#endif
