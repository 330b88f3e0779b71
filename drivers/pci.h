/* PCI configuration access (ECAM or CF8/CFC) and bus enumeration. */
#ifndef PASSAGE_DRIVERS_PCI_H
#define PASSAGE_DRIVERS_PCI_H

#include "lib/types.h"
#include "lib/status.h"

/* PCI Local Bus 3.0 section 6.1: configuration header offsets. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REVISION 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_PRIMARY_BUS 0x18     /* type 1 */
#define PCI_SECONDARY_BUS 0x19   /* type 1 */
#define PCI_SUBORDINATE_BUS 0x1a /* type 1 */
#define PCI_CAPABILITY_LIST 0x34
#define PCI_COMMAND_IO BIT(0)      /* I/O Space Enable */
#define PCI_COMMAND_MEMORY BIT(1)  /* Memory Space Enable */
#define PCI_COMMAND_MASTER BIT(2)  /* Bus Master Enable */
#define PCI_COMMAND_INTX_DISABLE BIT(10) /* Interrupt Disable */
#define PCI_STATUS_CAP_LIST BIT(4)

#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11

struct pci_ecam {
	u64 base;
	u16 segment;
	u8 start_bus, end_bus;
};

struct pci_dev {
	u16 seg;
	u8 bus, dev, fn;
	u16 vendor, device;
	u32 class_rev;           /* class[31:8], revision[7:0] */
	u8 header_type;          /* without the multifunction bit */
	u8 cap_msi, cap_msix, cap_exp, cap_pm; /* config offsets, 0 if absent */
	u8 secondary_bus;        /* bridges only */
	u8 subordinate_bus;      /* bridges only */
	u8 pcie_type;            /* PCIe Capabilities register Device/Port Type (bits 7:4), 0xff if not PCIe */
	s32 parent;              /* index of the bridge above, -1 on a root bus */
	u16 nr_ext_caps;         /* PCIe extended capabilities (ECAM only) */
};

/* Registers the ECAM windows from MCFG; with none, CF8/CFC is used (segment 0 only). */
status_t pci_init(const struct pci_ecam *ecam, u32 nr) MUST_CHECK;
u32 pci_read32(u16 seg, u8 bus, u8 dev, u8 fn, u16 off);
void pci_write32(u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u32 v);
u16 pci_read16(u16 seg, u8 bus, u8 dev, u8 fn, u16 off);
u8 pci_read8(u16 seg, u8 bus, u8 dev, u8 fn, u16 off);
void pci_write16(u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u16 v);

/* Walks every segment from its first bus through bridges; fills the device table. */
status_t pci_enumerate(void) MUST_CHECK;
u32 pci_count(void);
/* Index of the function at seg:bus:devfn, or -1. */
s32 pci_find(u16 seg, u8 bus, u8 devfn);
/* Requester ID the root complex sees for DMA from device i (PCIe-to-PCI bridges alias it). */
u16 pci_dma_alias(u32 i);
#define PCI_EXP_TYPE_PCI_BRIDGE 0x7  /* PCI Express to PCI/PCI-X Bridge */
#define PCI_SID(bus, dev, fn) ((u16)(((bus) << 8) | ((dev) << 3) | (fn)))
const struct pci_dev *pci_get(u32 i);
bool pci_using_ecam(void);

#endif
