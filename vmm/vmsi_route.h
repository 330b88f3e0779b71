/* How a passthrough function's message reaches its vCPU: the IRTE for each delivery mode (vmsi_route.c). */
#ifndef PASSAGE_VMM_VMSI_ROUTE_H
#define PASSAGE_VMM_VMSI_ROUTE_H

#include "vmsi.h"
#include "vcpu.h"

struct iommu_irq;

enum vmsi_mode {
	VMSI_MODE_NONE,       /* no route */
	VMSI_MODE_VTD_POST,   /* posted IRTE: the unit posts the guest vector into the vCPU's descriptor */
	VMSI_MODE_SW_POST,    /* remapped to a CPU without a guest, whose handler posts and notifies */
	VMSI_MODE_EXIT,       /* remapped to the vCPU's own CPU: a VM exit, then delivery at entry */
};

struct vmsi_target {
	enum vmsi_mode mode;
	const char *why;      /* the reason for the mode, for the log and the console */
	u32 cpu;              /* the CPU the unit interrupts: the handler's, or the vCPU's (posted) */
	u32 host_apic;        /* its APIC ID (remapped modes), ~0 when posted */
};

/* Picks the mode for route r of domain d and writes irte for it (host_vector: the handler of
 * the remapped modes). The caller keeps its route word for the handler either way. */
status_t vmsi_program(struct domain *d, struct iommu_irq *irte, u8 host_vector, const struct vmsi_route *r,
		      struct vmsi_target *out) MUST_CHECK;
const char *vmsi_mode_str(enum vmsi_mode m);
/* The boot report's line: CPU and VT-d posting, each with what is missing, and the default mode. */
void vmsi_report_platform(void);

#endif
