/* QEMU edu device (docs/specs/edu.rst): registers 0x80 src, 0x88 dst, 0x90 count, 0x98 command. */
#include "edu.h"
#include "pci.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/tsc.h"

#define EDU_IDENT 0x00             /* 0xRRrr00ed */
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define CMD_RUN 0x1
#define CMD_TO_RAM 0x2             /* direction: buffer to RAM */
#define CMD_IRQ 0x4                /* raise the interrupt when done */
#define IRQ_DMA 0x100
#define DMA_TIMEOUT_US 5000000     /* the device completes a transfer after 100 ms */

status_t edu_init(struct edu *e, u16 seg, u8 bus, u8 dev, u8 fn)
{
	*e = (struct edu){ .seg = seg, .bus = bus, .dev = dev, .fn = fn };
	u32 bar = pci_read32(seg, bus, dev, fn, 0x10);
	u64 base = bar & ~0xfULL;
	if ((bar & 0x6) == 0x4) /* 64-bit memory BAR */
		base |= (u64)pci_read32(seg, bus, dev, fn, 0x14) << 32;
	if (bar & 1 || !base)
		return E_NOENT;
	if (paging_map(base, 1 * MiB, MAP_MMIO))
		return E_NOMEM;
	e->mmio = base;
	u16 cmd = pci_read16(seg, bus, dev, fn, PCI_COMMAND);
	pci_write16(seg, bus, dev, fn, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return (mmio_read32(base + EDU_IDENT) & 0xff) == 0xed ? OK : E_IO;
}

static void edu_irq(u8 vector, void *ctx)
{
	(void)vector;
	struct edu *e = ctx;
	mmio_write32(e->mmio + EDU_IRQ_ACK, mmio_read32(e->mmio + EDU_IRQ_STATUS));
	e->irqs++;
}

/* PCI 3.0 6.8.1: MSI capability: control +2, address +4, data +8 (32-bit) or +12 (64-bit). */
status_t edu_enable_msi(struct edu *e)
{
	s32 k = pci_find(e->seg, e->bus, (u8)PCI_SID(0, e->dev, e->fn));
	const struct pci_dev *d = k >= 0 ? pci_get((u32)k) : NULL;
	if (!d || !d->cap_msi)
		return E_NOTSUP;
	if (!e->vector && !(e->vector = irq_alloc(edu_irq, e)))
		return E_NOSPC;
	u8 c = d->cap_msi;
	u16 ctl = pci_read16(e->seg, e->bus, e->dev, e->fn, c + 2);
	pci_write32(e->seg, e->bus, e->dev, e->fn, c + 4, 0xfee00000u | ((lapic_id() & 0xff) << 12));
	if (ctl & BIT(7)) { /* 64-bit address capable */
		pci_write32(e->seg, e->bus, e->dev, e->fn, c + 8, 0);
		pci_write16(e->seg, e->bus, e->dev, e->fn, c + 12, e->vector);
	} else {
		pci_write16(e->seg, e->bus, e->dev, e->fn, c + 8, e->vector);
	}
	pci_write16(e->seg, e->bus, e->dev, e->fn, c + 2, (u16)((ctl & ~0x70) | 1)); /* 1 vector, enable */
	return OK;
}

static MUST_CHECK status_t run(struct edu *e, u64 src, u64 dst, u32 len, u32 dir)
{
	if (mmio_read32(e->mmio + EDU_DMA_CMD) & CMD_RUN)
		return E_BUSY;
	mmio_write64(e->mmio + EDU_DMA_SRC, src);
	mmio_write64(e->mmio + EDU_DMA_DST, dst);
	mmio_write64(e->mmio + EDU_DMA_CNT, len);
	mmio_write64(e->mmio + EDU_DMA_CMD, CMD_RUN | dir | (e->vector ? CMD_IRQ : 0));
	u64 end = tsc_now_us() + DMA_TIMEOUT_US;
	bool irqs_on = read_rflags() & RFLAGS_IF;
	status_t st = OK;
	for (;;) {
		if (irqs_on)
			cli();
		if (!(mmio_read32(e->mmio + EDU_DMA_CMD) & CMD_RUN))
			break;
		if (tsc_now_us() > end) {
			st = E_TIMEDOUT;
			break;
		}
		/* "sti; hlt" opens the interrupt window only once halted: no lost wake-up. */
		if (irqs_on)
			__asm__ volatile("sti; hlt" ::: "memory");
		else
			cpu_relax();
	}
	if (irqs_on)
		sti();
	return st;
}

status_t edu_dma_from_ram(struct edu *e, u64 src, u32 off, u32 len)
{
	return run(e, src, EDU_BUF + off, len, 0);
}

status_t edu_dma_to_ram(struct edu *e, u32 off, u64 dst, u32 len)
{
	return run(e, EDU_BUF + off, dst, len, CMD_TO_RAM);
}
