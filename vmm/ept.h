/* Extended page tables of a domain: build, map/unmap/protect guest-physical ranges, INVEPT (SDM Vol. 3C 29.3). */
#ifndef PASSAGE_VMM_EPT_H
#define PASSAGE_VMM_EPT_H

#include "vmx.h"

struct domain;
struct vcpu;

#define EPT_RWX (EPT_R | EPT_W | EPT_X)

/* Once, on the boot CPU after vmx_global_init. */
status_t ept_global_init(void) MUST_CHECK;
/* True when guests' xAPIC windows map to an APIC-access page (SDM 30.4), one per domain. */
bool apic_access_virtualized(void);

/* The domain's tables: guest RAM (write-back) and the APIC-access page. */
status_t ept_build(struct domain *d) MUST_CHECK;
/*
 * Maps [gpa, gpa+size) to [hpa, ...) with flags (EPT_R/W/X and a memory type),
 * 2 MiB pages where both sides are aligned. Page-aligned arguments only;
 * E_BUSY if any page is already mapped (unmap first), E_NOMEM for tables.
 */
status_t ept_map(struct domain *d, u64 gpa, u64 hpa, u64 size, u64 flags)
	MUST_CHECK;
/* Removes the mappings of [gpa, gpa+size) (splitting 2 MiB pages), then invalidates. */
status_t ept_unmap(struct domain *d, u64 gpa, u64 size) MUST_CHECK;
/* Sets the R/W/X permissions of the mapped pages in [gpa, gpa+size), then invalidates. */
status_t ept_protect(struct domain *d, u64 gpa, u64 size, u64 rwx) MUST_CHECK;
/* The leaf entry for gpa (0 when not mapped); the host-physical address is hpa_out. */
u64 ept_lookup(struct domain *d, u64 gpa, u64 *hpa_out);
/* The host pointer for [gpa, gpa+len) of the domain's RAM, or NULL when outside it. */
void *domain_gpa(struct domain *d, u64 gpa, u64 len);
/*
 * Before a VM entry on this CPU: INVEPT if the domain's tables changed since
 * this vCPU last invalidated (29.4.3.1: a CPU may cache translations of any
 * EPTP it ran; every CPU running the domain must invalidate after a change).
 */
status_t ept_sync(struct vcpu *v) MUST_CHECK;

#endif
