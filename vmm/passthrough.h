/* Device passthrough: a domain's PCI functions in a VT-d domain over its RAM, quiesced at build and stop. */
#ifndef PASSAGE_VMM_PASSTHROUGH_H
#define PASSAGE_VMM_PASSTHROUGH_H

#include "vcpu.h"
#include "lib/config.h"

/*
 * At build, before the loader: refuses (err) a device that is absent, a bridge,
 * used by the hypervisor or by another domain, or outside every remapping unit;
 * otherwise quiesces it, attaches it to a VT-d domain mapping exactly the
 * domain's RAM (guest-physical -> host-physical, as EPT does) and puts it on
 * the domain's virtual PCI bus.
 */
status_t passthrough_build(struct domain *d, const struct cfg_device *devs, u32 n, u16 hv_console_port,
			   char *err, size_t errlen) MUST_CHECK;
/* The domain was refused after passthrough_build: quiesce, detach, forget. */
void passthrough_release(struct domain *d);
/* The domain stopped: its devices are quiesced and detached (they can never DMA again). */
void passthrough_stop(struct domain *d);
/* The console's irqs command: each passthrough interrupt source, its route and delivery mode. */
void passthrough_print_irqs(void);

#endif
