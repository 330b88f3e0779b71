/* Host MSI programming through a function's MSI capability (PCI Local Bus 3.0, 6.8.1). */
#ifndef PASSAGE_DRIVERS_MSI_H
#define PASSAGE_DRIVERS_MSI_H

#include "lib/types.h"
#include "lib/status.h"

/*
 * Writes one message (address, data) into the function's MSI capability and
 * enables MSI with a single vector; E_NOTSUP without the capability, E_RANGE
 * for an address above 4 GiB on a 32-bit-only capability. The caller chooses
 * the format: compatibility (0xFEE0_0000 | APIC ID << 12, data = vector) or
 * remappable (iommu_irq_msi()).
 */
status_t msi_set(u16 seg, u8 bus, u8 dev, u8 fn, u64 addr, u32 data) MUST_CHECK;
/* Clears the MSI enable bit (the device falls back to INTx, which Passage leaves masked). */
status_t msi_disable(u16 seg, u8 bus, u8 dev, u8 fn) MUST_CHECK;

#endif
