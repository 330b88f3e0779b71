/* Driver for QEMU's "edu" test device: a DMA engine with a 4 KiB buffer and MSI. */
#ifndef PASSAGE_DRIVERS_EDU_H
#define PASSAGE_DRIVERS_EDU_H

#include "lib/types.h"
#include "lib/status.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_BUF 0x40000            /* device address of the internal buffer */
#define EDU_BUF_SIZE 4096
#define EDU_IRQ_STATUS 0x24        /* interrupt status (raised causes) */
#define EDU_IRQ_RAISE 0x60         /* write: raise these causes (bits 25:24: MSI-X entry, edu msix=1) */
#define EDU_IRQ_ACK 0x64           /* write: clear these causes */

struct edu {
	u16 seg;
	u8 bus, dev, fn;
	u64 mmio;                  /* BAR0 */
	u8 vector;                 /* MSI vector, 0 when polling */
	volatile u32 irqs;         /* DMA-complete interrupts taken */
};

/* Maps BAR0, checks the identification register, enables memory decoding and bus mastering. */
status_t edu_init(struct edu *e, u16 seg, u8 bus, u8 dev, u8 fn) MUST_CHECK;
/* Routes DMA completion to an MSI on the boot CPU. */
status_t edu_enable_msi(struct edu *e) MUST_CHECK;
/* RAM (device address src) to the buffer at EDU_BUF + off. */
status_t edu_dma_from_ram(struct edu *e, u64 src, u32 off, u32 len) MUST_CHECK;
/* Buffer at EDU_BUF + off to RAM (device address dst). */
status_t edu_dma_to_ram(struct edu *e, u32 off, u64 dst, u32 len) MUST_CHECK;

#endif
