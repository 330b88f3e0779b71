/* Number parsing shared by the command-line and config parsers (host-compilable). */
#ifndef PASSAGE_LIB_PARSE_H
#define PASSAGE_LIB_PARSE_H

#include "types.h"
#include "status.h"

/* Value of a hex or decimal digit, 99 for anything else. */
int parse_digit_value(char ch);

/*
 * Reads the digits of base at *s (at most max_digits of them when non-zero)
 * into *out and moves *s past them. Returns how many there were, or -1 when
 * the number does not fit a u64 (*s still moves past all of them).
 */
int parse_digits(const char **s, unsigned base, int max_digits, u64 *out);

/* A whole string as a decimal number, or with "0x" as hex; E_INVAL on junk, E_RANGE on overflow. */
status_t parse_number(const char *s, u64 *out) MUST_CHECK;

#endif
