/* Virtual 16550 on the shared console (PC16550D datasheet table 2): transmit always ready, no receive data. */
#include "vuart.h"
#include "exit_io.h"
#include "vcpu.h"
#include "lib/log.h"

#define COM1 0x3f8
#define LCR_DLAB 0x80

/* The guest's console output, one log line per guest line. */
void guest_console_putc(struct domain *d, char c)
{
	if (c == '\r')
		return;
	if (c != '\n' && d->con_len < sizeof d->con - 1) {
		d->con[d->con_len++] = c;
		return;
	}
	d->con[d->con_len] = '\0';
	LOG(d->name, "%s", d->con);
	d->con_len = 0;
	if (c != '\n')
		d->con[d->con_len++] = c;
}

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

/* COM1 of a domain on the shared console; a domain with a passed-through UART elsewhere sees
 * nothing at COM1 (reads float high). */
static bool com1(struct vcpu *v, u16 port, u32 size, bool in, u32 *val, void *ctx)
{
	(void)ctx, (void)size;
	struct domain *d = v->dom;
	if (d->console_port)
		return true;
	u8 r = vuart_io(&d->uart, d, port - COM1, in, (u8)*val);
	if (in)
		*val = r;
	return true;
}

status_t vuart_register(void)
{
	return pio_register("virtual COM1", COM1, 8, com1, NULL);
}
