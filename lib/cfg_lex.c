/* Config lexing: error messages, character classes, and raw lines cleaned for the section machine. */
#include "lib/cfg_internal.h"
#include "lib/string.h"

static void cfg_verror(struct cfg *c, u32 line, const char *fmt, va_list ap)
{
	char *msg;
	int n;

	if (c->nr_errors++ >= CFG_MAX_ERRORS)
		return;                   /* counted, not stored */
	msg = c->errors[c->nr_errors - 1];
	n = snprintf(msg, CFG_ERROR_LEN, "config line %u: ", line);
	vsnprintf(msg + n, CFG_ERROR_LEN - (size_t)n, fmt, ap);
}

/* Records "config line N: ..." without touching any domain; returns false for the caller to pass on. */
bool cfg_error(struct cfg *c, u32 line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(c, line, fmt, ap);
	va_end(ap);
	return false;
}

/* Records an error and refuses domain d; returns false. */
bool cfg_dom_error(struct cfg *c, struct cfg_domain *d, u32 line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(c, line, fmt, ap);
	va_end(ap);
	d->valid = false;
	return false;
}

bool cfg_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Bytes that have no place in a setting (NUL included); a tab is a blank. */
static bool is_control(u8 ch)
{
	return (ch < 0x20 && ch != '\t') || ch == 0x7f;
}

/* Strips blanks at both ends in place. */
char *cfg_trim(char *s)
{
	size_t n;

	while (cfg_is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && cfg_is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Copies user text for a message, shortened to CFG_CLIP characters with "...". */
const char *cfg_clip(char *buf, size_t size, const char *s)
{
	if (strlcpy_(buf, s, size) >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}


/*
 * One raw line (no '\n'): drops a CRLF's '\r' and any '#' comment, then hands
 * at most CFG_LINE_MAX-1 bytes on, with what is wrong with the raw bytes (a
 * NUL, a control character, too long) so the handler can name the key.
 */
void cfg_lex_line(struct cfg_parser *p, const char *raw, u64 n)
{
	char buf[CFG_LINE_MAX], problem[48];
	u64 i, start = 0, end;

	problem[0] = '\0';
	if (n > 0 && raw[n - 1] == '\r')
		n--;
	for (end = 0; end < n && raw[end] != '#'; end++)
		;
	while (start < end && cfg_is_blank(raw[start]))
		start++;
	while (end > start && cfg_is_blank(raw[end - 1]))
		end--;
	if (start == end)
		return;                   /* blank or comment */
	for (i = start; i < end && problem[0] == '\0'; i++) {
		u8 ch = (u8)raw[i];

		if (ch == 0)
			snprintf(problem, sizeof(problem), "contains a NUL byte");
		else if (is_control(ch))
			snprintf(problem, sizeof(problem), "contains control character 0x%02x", ch);
	}
	if (end - start > CFG_LINE_MAX - 1)
		snprintf(problem, sizeof(problem), "is longer than %u characters", CFG_LINE_MAX - 1);
	for (i = 0; i < end - start && i < CFG_LINE_MAX - 1; i++)
		buf[i] = is_control((u8)raw[start + i]) ? ' ' : raw[start + i];
	buf[i] = '\0';
	if (buf[0] == '[')
		cfg_section_line(p, buf, problem[0] ? problem : NULL);
	else
		cfg_setting_line(p, buf, problem[0] ? problem : NULL);
}
