/* ide.c: a PCI IDE controller in compatibility mode (PIIX-style), one ATA disk on it: PIO sector
 * reads and writes (no DMA: the independent path to the disk) and bus-master DMA transfers.
 * ATA commands: ATA/ATAPI-6 (T13 1410D) chapter 8 (IDENTIFY DEVICE ECh, READ SECTORS 20h, WRITE
 * SECTORS 30h, READ DMA C8h, WRITE DMA CAh); bus master: SFF-8038i rev. 1.0 ("Programming Interface
 * for Bus Master IDE Controller"). */
#include "ide.h"

struct ide IDE;

static inline u16 inw(u16 p) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }

/* ATA status register (ATA/ATAPI-6 7.15) */
#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DRQ 0x08
#define ST_ERR 0x01
/* command block offsets */
#define R_DATA 0
#define R_COUNT 2
#define R_LBA0 3
#define R_LBA1 4
#define R_LBA2 5
#define R_DEVICE 6
#define R_STATUS 7      /* read: status; write: command */
/* SFF-8038i 2.1: per-channel bus-master registers */
#define BM_CMD 0        /* bit 0 Start/Stop Bus Master, bit 3 Read or Write Control (1: to memory) */
#define BM_STATUS 2
#define BM_PRDT 4       /* Descriptor Table Pointer */
#define BM_TO_MEM 0x08
#define BM_START 0x01

u16 ide_sid(void) { return (u16)(IDE.bus << 8 | IDE.devfn); }

static u8 status(void) { return inb(IDE.cmd + R_STATUS); }
static void pause400(void) { for (int i = 0; i < 4; i++) (void)inb(IDE.ctl); } /* alternate status */

/* Busy-polls a status predicate: the disk's I/O may complete in host time (QEMU's block layer), which
 * a halted CPU under -icount sleep=off would skip over (virtual time jumps to the next timer), so
 * no hlt here. The bound is generous: each poll is a port read (an exit on QEMU, several emulated
 * instructions on Bochs), so it is seconds of emulated time and more of host time. */
#define POLLS 20000000
static bool poll(bool (*done)(void *))
{
	for (u32 i = 0; i < POLLS; i++)
		if (done(NULL))
			return true;
	return false;
}

static bool not_busy(void *ctx) { (void)ctx; return !(status() & ST_BSY); }
static bool drq_or_err(void *ctx)
{
	(void)ctx;
	u8 s = status();
	return !(s & ST_BSY) && (s & (ST_DRQ | ST_ERR));
}

/* Device register: LBA mode (bit 6), DEV (bit 4), LBA 27:24 (bits 3:0); bits 7 and 5 set as
 * older devices expect. */
static void ata_select(u32 lba)
{
	outb(IDE.cmd + R_DEVICE, (u8)(0xe0 | IDE.dev << 4 | ((lba >> 24) & 0xf)));
	pause400();
}

static bool command(u8 cmd, u32 lba, unsigned n)
{
	ata_select(lba);
	if (!poll(not_busy))
		return false;
	outb(IDE.cmd + R_COUNT, (u8)n);
	outb(IDE.cmd + R_LBA0, (u8)lba);
	outb(IDE.cmd + R_LBA1, (u8)(lba >> 8));
	outb(IDE.cmd + R_LBA2, (u8)(lba >> 16));
	outb(IDE.cmd + R_STATUS, cmd);
	pause400();
	return true;
}

/* IDENTIFY DEVICE on one device: true for an ATA device that offers DMA (word 49 bit 8). */
static bool identify(void)
{
	ata_select(0);
	u8 s = status();
	if (s == 0 || s == 0xff)
		return false;               /* nothing there (floating or absent device) */
	if (!command(0xec, 0, 0) || !poll(drq_or_err) || (status() & ST_ERR))
		return false;               /* an ATAPI device aborts IDENTIFY DEVICE */
	u16 id[256];
	for (int i = 0; i < 256; i++)
		id[i] = inw(IDE.cmd + R_DATA);
	return id[49] & BIT(8);
}

bool ide_find(void)
{
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		u32 idv = pci_r32(0, (u8)devfn, 0);
		if (idv == 0xffffffff || (pci_r32(0, (u8)devfn, 8) >> 16) != 0x0101)
			continue;           /* class 01h subclass 01h: IDE controller */
		u32 bar4 = pci_r32(0, (u8)devfn, 0x20);
		if (!(bar4 & 1) || !(bar4 & ~3u))
			continue;           /* no bus-master I/O window */
		pci_w16(0, (u8)devfn, 4, pci_r16(0, (u8)devfn, 4) | 0x5); /* I/O space, bus master */
		IDE.bus = 0;
		IDE.devfn = (u8)devfn;
		/* compatibility mode (programming interface bits 0 and 2 clear): legacy ports */
		for (u8 ch = 0; ch < 2; ch++)
			for (u8 dev = 0; dev < 2; dev++) {
				IDE.channel = ch;
				IDE.cmd = ch ? 0x170 : 0x1f0;
				IDE.ctl = ch ? 0x376 : 0x3f6;
				IDE.bm = (u16)((bar4 & ~3u) + 8 * ch);
				IDE.dev = dev;
				if (identify())
					return true;
			}
	}
	return false;
}

bool ide_pio_write(u32 lba, unsigned n, const void *buf)
{
	const u16 *w = buf;
	if (!command(0x30, lba, n))
		return false;
	for (unsigned s = 0; s < n; s++) {
		if (!poll(drq_or_err) || (status() & ST_ERR))
			return false;
		for (int i = 0; i < 256; i++)
			outw(IDE.cmd + R_DATA, *w++);
	}
	return poll(not_busy) && !(status() & (ST_ERR | ST_DRQ));
}

bool ide_pio_read(u32 lba, unsigned n, void *buf)
{
	u16 *w = buf;
	if (!command(0x20, lba, n))
		return false;
	for (unsigned s = 0; s < n; s++) {
		if (!poll(drq_or_err) || (status() & ST_ERR))
			return false;
		for (int i = 0; i < 256; i++)
			*w++ = inw(IDE.cmd + R_DATA);
	}
	return poll(not_busy) && !(status() & ST_ERR);
}

/* SFF-8038i 3.0 "Standard Programming Sequence": PRD pointer, direction, clear Interrupt and Error,
 * the ATA command, then Start; the transfer ends with Active clear and Interrupt set. */
static bool bm_done(void *ctx)
{
	(void)ctx;
	u8 s = inb(IDE.bm + BM_STATUS);
	return !(s & BMIDE_ACTIVE) || (s & BMIDE_IRQ);
}

int ide_dma(u32 lba, unsigned n, u32 prd, bool to_mem)
{
	u8 dir = to_mem ? BM_TO_MEM : 0;
	outb(IDE.bm + BM_CMD, dir);
	outb(IDE.bm + BM_STATUS, (inb(IDE.bm + BM_STATUS) & 0x60) | BMIDE_ERROR | BMIDE_IRQ);
	outl(IDE.bm + BM_PRDT, prd);
	if (!command(to_mem ? 0xc8 : 0xca, lba, n))
		return -1;
	outb(IDE.bm + BM_CMD, dir | BM_START);
	bool done = poll(bm_done);
	int st = inb(IDE.bm + BM_STATUS);
	done = done && ((st & BMIDE_ERROR) || poll(not_busy));
	u8 ata = status();          /* reading the status register acknowledges the device interrupt */
	outb(IDE.bm + BM_CMD, dir);
	outb(IDE.bm + BM_STATUS, (inb(IDE.bm + BM_STATUS) & 0x60) | BMIDE_ERROR | BMIDE_IRQ);
	if (!done || (st & BMIDE_ERROR) || (ata & (ST_BSY | ST_DRQ | ST_ERR)))
		ide_reset();        /* the drive still waits for its data, or ended the command with an error */
	return done ? st : -1;
}

/* ATA/ATAPI-6 9.2 software reset: SRST (device control bit 2) set, then cleared; wait for BSY
 * to clear. */
void ide_reset(void)
{
	outb(IDE.ctl, 0x04);
	delay_ticks(1);
	outb(IDE.ctl, 0x00);
	delay_ticks(1);
	poll(not_busy);
}
