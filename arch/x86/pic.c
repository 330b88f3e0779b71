/* 8259A initialisation (ICW1-ICW4, Intel 8259A datasheet): remap to 0x20/0x28, then mask all. */
#include "pic.h"
#include "cpu.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

/* Firmware leaves the master PIC on vectors 8-15, which are CPU exceptions in long mode. */
void pic_disable(void)
{
	outb(PIC1_CMD, 0x11);  /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, 0x20); /* ICW2: vector base */
	outb(PIC2_DATA, 0x28);
	outb(PIC1_DATA, 0x04); /* ICW3: slave on IR2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xff); /* OCW1: mask every line */
	outb(PIC2_DATA, 0xff);
}
