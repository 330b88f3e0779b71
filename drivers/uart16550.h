/* 16550 UART console driver. */
#ifndef PASSAGE_DRIVERS_UART16550_H
#define PASSAGE_DRIVERS_UART16550_H

#include "lib/types.h"
#include "lib/status.h"

status_t uart_init(u16 port, u32 baud) MUST_CHECK;
void uart_write(const char *s, size_t len);
/* Returns a received byte, or -1 if none is waiting. */
int uart_getc(void);

#endif
