/* Where a passthrough interrupt goes: VT-d posting, software posting or exit-based delivery, chosen per message (README "Exitless interrupts"). */
#include "vmsi_route.h"
#include "domains.h"
#include "iommu/iommu.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"

const char *vmsi_mode_str(enum vmsi_mode m)
{
	static const char *const names[] = { "none", "vtd-post", "sw-post", "exit" };
	return m < ARRAY_SIZE(names) ? names[m] : "?";
}

/*
 * The mode a route gets, and why. Only a single-destination, fixed-mode message is posted
 * (VT-d 5.2.3 and DESIGN.md: lowest priority, several destinations, NMI, SMI and INIT stay
 * remapped). VT-d posting needs the CPU to process notifications (vmx.c) and every unit to
 * report CAP.PI; software posting needs the CPU side and a CPU that runs no guest to take the
 * interrupt. The domain's interrupts = setting asks for a mode; what the platform cannot give
 * falls back to the next mode down, with the reason.
 */
static enum vmsi_mode choose(const struct domain *d, const struct vmsi_route *r, int idle_cpu,
			     const char **why)
{
	bool single = r->delivery == 0 && !(r->targets & (r->targets - 1));
	enum cfg_irq_mode want = d->irq_mode;
	if (want == CFG_IRQ_EXIT)
		return *why = "interrupts = exit in the config", VMSI_MODE_EXIT;
	if (!vmx_caps.posting)
		return *why = "the CPU does not post (apicv=off, or it lacks a piece)", VMSI_MODE_EXIT;
	if (!single)
		return *why = "lowest priority or several destinations: never posted", VMSI_MODE_EXIT;
	if (want != CFG_IRQ_SW_POST && iommu_ir_posting())
		return *why = want == CFG_IRQ_VTD_POST ? "interrupts = vtd-post in the config"
						       : "single fixed destination, every unit posts", VMSI_MODE_VTD_POST;
	if (idle_cpu < 0)
		return *why = "no CPU without a guest to take it for software posting", VMSI_MODE_EXIT;
	if (want == CFG_IRQ_SW_POST)
		return *why = "interrupts = sw-post in the config", VMSI_MODE_SW_POST;
	return *why = want == CFG_IRQ_VTD_POST ? "asked vtd-post, but a unit cannot post (CAP.PI=0)"
					       : "the VT-d units cannot post (CAP.PI=0)", VMSI_MODE_SW_POST;
}

status_t vmsi_program(struct domain *d, struct iommu_irq *irte, u8 host_vector, const struct vmsi_route *r,
		      struct vmsi_target *out)
{
	const struct vcpu *first = d->vcpus[r->first];
	int idle = domains_idle_cpu();
	out->mode = choose(d, r, idle, &out->why);
	/* VT-d 9.12: with EIME=0 NDST holds an 8-bit xAPIC ID; a CPU beyond it cannot be notified. */
	if (out->mode == VMSI_MODE_VTD_POST && !iommu_ir_eime() && cpus[first->cpu] &&
	    cpus[first->cpu]->apic_id > 0xff) {
		out->mode = idle >= 0 ? VMSI_MODE_SW_POST : VMSI_MODE_EXIT;
		out->why = "the vCPU's CPU has an APIC ID the units' xAPIC-format NDST cannot name";
	}
	if (out->mode == VMSI_MODE_VTD_POST) {
		out->cpu = first->cpu;
		out->host_apic = ~0u;
		return iommu_irq_post(irte, r->vector, (u64)(uintptr_t)&first->pid);
	}
	out->cpu = out->mode == VMSI_MODE_SW_POST ? (u32)idle : first->cpu;
	if (out->cpu >= MAX_CPUS || !cpus[out->cpu])
		return E_NOENT;
	out->host_apic = cpus[out->cpu]->apic_id;
	return iommu_irq_remap(irte, host_vector, out->host_apic);
}

void vmsi_report_platform(void)
{
	const char *gap = iommu_ir_posting_gap();
	int idle = domains_idle_cpu();
	const char *dflt = !vmx_caps.posting ? "exit" : !gap ? "vtd-post" : idle >= 0 ? "sw-post" : "exit";
	LOG("interrupts", "CPU posting %s; VT-d posting %s%s%s; passthrough MSIs default to %s (interrupts = "
	    "auto)%s", vmx_caps.posting ? "on" : vmx_caps.usable ? "off (see the vmx line above)" : "off (VMX not usable)",
	    gap ? "off (" : "on", gap ? gap : "", gap ? ")" : "", dflt,
	    vmx_caps.posting && gap && idle < 0 ? " until a CPU runs no guest" : "");
}
