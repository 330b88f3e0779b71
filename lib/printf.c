/* vsnprintf for the hypervisor: %d %i %u %x %X %p %s %c %%, with l/ll/z, width, 0 and - flags. */
#include "string.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;
	if (!left)
		while (fill-- > 0)
			put(o, pad);
	while (n--)
		put(o, *s++);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

static void put_number(struct out *o, unsigned long long v, bool neg, unsigned base, bool upper,
		       int width, bool left, char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg) {
		if (pad == '0') {
			put(o, '-');
			width--;
		} else {
			tmp[i++] = '-';
		}
	}
	char rev[24];
	for (int j = 0; j < i; j++)
		rev[j] = tmp[i - 1 - j];
	put_padded(o, rev, (size_t)i, width, left, pad);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		bool left = false;
		char pad = ' ';
		int width = 0, lng = 0;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		unsigned long long u;
		long long sv;
		switch (*fmt) {
		case 'd':
		case 'i':
			sv = lng ? va_arg(ap, long long) : va_arg(ap, int);
			put_number(&o, sv < 0 ? -(unsigned long long)sv : (unsigned long long)sv, sv < 0,
				   10, false, width, left, pad);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
			put_number(&o, u, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, left, pad);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_number(&o, (unsigned long long)(uintptr_t)va_arg(ap, void *), false, 16, false,
				   width, left, pad);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			put_padded(&o, s, strlen(s), width, left, ' ');
			break;
		}
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
