/* Legacy 8259A PIC pair: moved off the exception vectors and masked. */
#ifndef PASSAGE_ARCH_PIC_H
#define PASSAGE_ARCH_PIC_H

/* Remaps the PICs to vectors 0x20-0x2f and masks every line (Passage uses the APICs only). */
void pic_disable(void);

#endif
