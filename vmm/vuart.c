/* 16550 register model (PC16550D datasheet table 2): transmit always ready, no receive data. */
#include "vuart.h"
#include "vcpu.h"

#define LCR_DLAB 0x80

u8 vuart_io(struct vuart *u, struct domain *d, u32 off, bool in, u8 val)
{
	bool dlab = u->lcr & LCR_DLAB;
	if (!in) {
		switch (off) {
		case 0: if (dlab) u->dll = val; else guest_console_putc(d, (char)val); break;
		case 1: if (dlab) u->dlm = val; else u->ier = val & 0x0f; break;
		case 2: u->fcr = val; break;
		case 3: u->lcr = val; break;
		case 4: u->mcr = val & 0x1f; break;
		case 7: u->scr = val; break;
		}
		return 0;
	}
	switch (off) {
	case 0: return dlab ? u->dll : 0;
	case 1: return dlab ? u->dlm : u->ier;
	case 2: return (u->fcr & 1 ? 0xc0 : 0) | 0x01;  /* IIR: FIFOs, no interrupt pending */
	case 3: return u->lcr;
	case 4: return u->mcr;
	case 5: return 0x60;                            /* LSR: THRE and TEMT */
	case 6: return (u->mcr & 0x10) ? (u8)((u->mcr & 0xf) << 4) : 0xb0; /* MSR (loopback aware) */
	default: return u->scr;
	}
}
