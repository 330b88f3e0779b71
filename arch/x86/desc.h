/* Segment and interrupt descriptors: GDT, TSS, IDT (Intel SDM Vol. 3A 3.4.5, 7.2.3, 6.14.1). */
#ifndef PASSAGE_ARCH_DESC_H
#define PASSAGE_ARCH_DESC_H

#include "lib/types.h"

#define GDT_ENTRIES 5
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18            /* 16-byte system descriptor: entries 3 and 4 */

/* SDM Vol. 3A 7.7: 64-bit task-state segment. */
struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];             /* IST1..IST7 */
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} PACKED;
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS is 104 bytes");

/* SDM Vol. 3A 6.14.1: 64-bit IDT gate descriptor. */
struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;                 /* bits 2:0 */
	u8 type_attr;           /* P, DPL, type (0xE interrupt gate) */
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} PACKED;
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

struct desc_ptr {
	u16 limit;
	u64 base;
} PACKED;
_Static_assert(sizeof(struct desc_ptr) == 10, "descriptor-table pointer is 10 bytes");

void idt_init(void);
void idt_load(void);
void idt_set_gate(u8 vector, void (*handler)(void), u8 ist);

/* asm: loads the GDT, reloads CS/DS/SS, loads TR. */
void gdt_load_asm(const struct desc_ptr *gdtr, u16 tss_sel);

#endif
