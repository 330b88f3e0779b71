/* 16550 UART: 8N1 at the requested baud rate, FIFOs on, polled output (PC16550D datasheet). */
#include "uart16550.h"
#include "arch/x86/cpu.h"

#define THR 0   /* Transmitter Holding Register (DLAB=0) */
#define RBR 0   /* Receiver Buffer Register (DLAB=0) */
#define DLL 0   /* Divisor Latch LSB (DLAB=1) */
#define IER 1   /* Interrupt Enable Register */
#define DLM 1   /* Divisor Latch MSB (DLAB=1) */
#define FCR 2   /* FIFO Control Register */
#define LCR 3   /* Line Control Register */
#define MCR 4   /* Modem Control Register */
#define LSR 5   /* Line Status Register */
#define SCR 7   /* Scratch Register */
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define LSR_DR 0x01    /* Data Ready */
#define LSR_THRE 0x20  /* Transmitter Holding Register Empty */

static u16 uart_port;

status_t uart_init(u16 port, u32 baud)
{
	/* A UART that does not keep a scratch value is not there; stay silent then. */
	outb(port + SCR, 0x5a);
	if (inb(port + SCR) != 0x5a)
		return E_NOENT;
	u16 div = (u16)(115200 / (baud ? baud : 115200));
	outb(port + IER, 0);
	outb(port + LCR, LCR_DLAB);
	outb(port + DLL, div & 0xff);
	outb(port + DLM, div >> 8);
	outb(port + LCR, LCR_8N1);
	outb(port + FCR, 0x07); /* enable and clear FIFOs */
	outb(port + MCR, 0x03); /* DTR, RTS */
	uart_port = port;
	return OK;
}

static void putc_raw(char c)
{
	/* Bounded wait: a stuck or absent UART must not hang the hypervisor. */
	for (int i = 0; i < 100000 && !(inb(uart_port + LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(uart_port + THR, (u8)c);
}

void uart_write(const char *s, size_t len)
{
	if (!uart_port)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			putc_raw('\r');
		putc_raw(s[i]);
	}
}

int uart_getc(void)
{
	if (!uart_port || !(inb(uart_port + LSR) & LSR_DR))
		return -1;
	return inb(uart_port + RBR);
}
