/* Host MSI capability programming: one message per function (PCI Local Bus 3.0, 6.8.1). */
#include "msi.h"
#include "pci.h"

#define MSI_CTL 2                 /* Message Control */
#define MSI_ADDR 4                /* Message Address [31:0] */
#define MSI_ADDR_HI 8             /* Message Upper Address (64-bit capable only) */
#define MSI_CTL_ENABLE BIT(0)
#define MSI_CTL_MME (7u << 4)     /* Multiple Message Enable: 0 = one vector */
#define MSI_CTL_64BIT BIT(7)      /* 64-bit address capable */

static u8 msi_cap(u16 seg, u8 bus, u8 dev, u8 fn)
{
	s32 k = pci_find(seg, bus, (u8)PCI_SID(0, dev, fn));
	return k >= 0 ? pci_get((u32)k)->cap_msi : 0;
}

status_t msi_set(u16 seg, u8 bus, u8 dev, u8 fn, u64 addr, u32 data)
{
	u8 c = msi_cap(seg, bus, dev, fn);
	if (!c)
		return E_NOTSUP;
	u16 ctl = pci_read16(seg, bus, dev, fn, c + MSI_CTL);
	bool wide = ctl & MSI_CTL_64BIT;
	if (!wide && (addr >> 32))
		return E_RANGE;
	/* Disabled while the two halves change, so the device never sends a mixed message. */
	pci_write16(seg, bus, dev, fn, c + MSI_CTL, (u16)(ctl & ~MSI_CTL_ENABLE));
	pci_write32(seg, bus, dev, fn, c + MSI_ADDR, (u32)addr);
	if (wide)
		pci_write32(seg, bus, dev, fn, c + MSI_ADDR_HI, (u32)(addr >> 32));
	pci_write16(seg, bus, dev, fn, c + (wide ? 12 : 8), (u16)data); /* Message Data */
	pci_write16(seg, bus, dev, fn, c + MSI_CTL, (u16)((ctl & ~MSI_CTL_MME) | MSI_CTL_ENABLE));
	return OK;
}

status_t msi_disable(u16 seg, u8 bus, u8 dev, u8 fn)
{
	u8 c = msi_cap(seg, bus, dev, fn);
	if (!c)
		return E_NOTSUP;
	u16 ctl = pci_read16(seg, bus, dev, fn, c + MSI_CTL);
	pci_write16(seg, bus, dev, fn, c + MSI_CTL, (u16)(ctl & ~MSI_CTL_ENABLE));
	return OK;
}
