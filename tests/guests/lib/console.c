/* console.c — polled COM1 output and a printf subset for the test guests. */
#include "guest.h"
#include "x86.h"

#define COM1_THR 0x3f8          /* transmit holding register (DLAB=0) */
#define COM1_LSR 0x3fd          /* line status register */
#define LSR_THRE 0x20           /* THR empty: may write the next byte */
#define THRE_SPINS 100000       /* give up waiting rather than hang on a dead UART */

/*
 * No UART set-up: Passage virtualizes only THR and LSR, and a divisor-latch
 * write to 0x3f8 could be taken for a character. QEMU ignores the baud rate.
 */
void console_putc(char c)
{
	for (int i = 0; i < THRE_SPINS && !(inb(COM1_LSR) & LSR_THRE); i++)
		;
	outb(COM1_THR, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	while (n--)
		console_putc(*s++);
}

static void put_uint(uint64_t v, uint32_t base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		uint32_t digit;
		v = udiv64(v, base, &digit);
		buf[n++] = "0123456789abcdef"[digit];
	} while (v);
	while (n < width--)
		console_putc(pad);
	while (n)
		console_putc(buf[--n]);
}

static uint64_t next_arg(va_list *ap, int longs, bool is_signed, bool *neg)
{
	int64_t s;

	*neg = false;
	if (!is_signed)
		return longs >= 2 ? va_arg(*ap, unsigned long long) :
		       longs == 1 ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned int);
	s = longs >= 2 ? va_arg(*ap, long long) : longs == 1 ? va_arg(*ap, long) : va_arg(*ap, int);
	*neg = s < 0;
	return *neg ? (uint64_t)-s : (uint64_t)s;
}

void gvprintf(const char *fmt, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	for (; *fmt; fmt++) {
		int width = 0, longs = 0;
		char pad = ' ';
		bool neg;
		uint64_t v;

		if (*fmt != '%') {
			console_putc(*fmt);
			continue;
		}
		if (*++fmt == '-')
			fmt++;                       /* left-justify: accepted, not honoured */
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			longs += *fmt++ == 'l';
		switch (*fmt) {
		case 'd':
			v = next_arg(&aq, longs, true, &neg);
			if (neg)
				console_putc('-');
			put_uint(v, 10, width - neg, pad);
			break;
		case 'u':
		case 'x':
			v = next_arg(&aq, longs, false, &neg);
			put_uint(v, *fmt == 'u' ? 10 : 16, width, pad);
			break;
		case 'p':
			console_write("0x", 2);
			put_uint((uintptr_t)va_arg(aq, void *), 16, 8, '0');
			break;
		case 'c':
			console_putc((char)va_arg(aq, int));
			break;
		case 's': {
			const char *s = va_arg(aq, const char *);
			console_write(s ? s : "(null)", s ? strlen(s) : 6);
			break;
		}
		case '\0':
			fmt--;
			break;
		default:
			console_putc(*fmt);
		}
	}
	va_end(aq);
}

void gprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
}
