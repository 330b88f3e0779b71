/* ide.h: a PCI IDE controller's bus-master DMA and one ATA disk on it, for the VT-d model tests. */
#ifndef VTDM_IDE_H
#define VTDM_IDE_H
#include "rt.h"

/* Programming Interface for Bus Master IDE Controller (SFF-8038i rev. 1.0) 2.1.2: the bus-master
 * status register. */
#define BMIDE_ACTIVE 0x01       /* Bus Master IDE Active */
#define BMIDE_ERROR 0x02        /* Error (target or master abort) */
#define BMIDE_IRQ 0x04          /* Interrupt */

struct ide {
	u8 bus, devfn;          /* the controller's PCI function: its requester ID */
	u16 cmd, ctl, bm;       /* command block, control block, bus-master registers of the channel */
	u8 dev;                 /* 0 master, 1 slave: the disk used */
	u8 channel;
};
extern struct ide IDE;

bool ide_find(void);                                  /* controller and an ATA disk; false if none */
u16 ide_sid(void);
bool ide_pio_write(u32 lba, unsigned n, const void *buf); /* WRITE SECTORS, no DMA */
bool ide_pio_read(u32 lba, unsigned n, void *buf);        /* READ SECTORS, no DMA */
/* One bus-master transfer of N sectors at LBA with the PRD table at device address PRD (an IOVA
 * when translation is on). TO_MEM: READ DMA (the device writes memory), else WRITE DMA (the device
 * reads memory). Returns the bus-master status at the end, or -1 when it did not end in time. */
int ide_dma(u32 lba, unsigned n, u32 prd, bool to_mem);
void ide_reset(void);                                 /* ATA software reset of the channel */

#endif
