/* Virtual 16550 UART on the shared console: enough registers for Linux's 8250 driver to probe and print. */
#ifndef PASSAGE_VMM_VUART_H
#define PASSAGE_VMM_VUART_H

#include "lib/types.h"
#include "lib/status.h"

struct vuart {
	u8 ier, lcr, mcr, scr, fcr, dll, dlm;
};

struct domain;
/* Access to register off (0-7); returns the value read (IN) or ignores it (OUT). */
u8 vuart_io(struct vuart *u, struct domain *d, u32 off, bool in, u8 val);
/* Claims COM1's ports in the port registry; once at start-up. */
status_t vuart_register(void) MUST_CHECK;
/* Appends c to the domain's console line; a newline logs the line. */
void guest_console_putc(struct domain *d, char c);

#endif
