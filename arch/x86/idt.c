/* The interrupt descriptor table shared by all CPUs (Intel SDM Vol. 3A 6.10, 6.14). */
#include "desc.h"
#include "percpu.h"

extern char isr_stubs[];
static struct idt_gate idt[256] __attribute__((aligned(16)));

void idt_set_gate(u8 vector, void (*handler)(void), u8 ist)
{
	u64 a = (u64)(uintptr_t)handler;
	idt[vector] = (struct idt_gate){
		.offset_low = (u16)a,
		.selector = SEL_CODE64,
		.ist = ist,
		.type_attr = 0x8e,      /* present, DPL 0, 64-bit interrupt gate */
		.offset_mid = (u16)(a >> 16),
		.offset_high = (u32)(a >> 32),
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		u8 ist = v == 2 ? IST_NMI : v == 8 ? IST_DF : v == 18 ? IST_MC : 0;
		idt_set_gate((u8)v, (void (*)(void))(isr_stubs + 16 * v), ist);
	}
}

void idt_load(void)
{
	struct desc_ptr idtr = { sizeof(idt) - 1, (u64)(uintptr_t)idt };
	__asm__ volatile("lidt %0" ::"m"(idtr));
}
