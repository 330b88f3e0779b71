/* Number parsing shared by the command-line and config parsers. */
#include "parse.h"

int parse_digit_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return 99;
}

int parse_digits(const char **s, unsigned base, int max_digits, u64 *out)
{
	bool overflow = false;
	int n = 0, d;
	u64 v = 0;

	while ((d = parse_digit_value(**s)) < (int)base && (max_digits == 0 || n < max_digits)) {
		if (v > (~(u64)0 - (u64)d) / base)
			overflow = true;
		v = v * base + (u64)d;
		(*s)++;
		n++;
	}
	*out = v;
	return overflow ? -1 : n;
}

status_t parse_number(const char *s, u64 *out)
{
	unsigned base = 10;
	int n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	n = parse_digits(&s, base, 0, out);
	if (n == 0 || *s != '\0')
		return E_INVAL;
	return n < 0 ? E_RANGE : OK;
}
