/* chatter.c — keeps the hypervisor logging on its CPU: `lines=N` long console lines, 16 per hypercall. */
#include "guest.h"

#define DEFAULT_LINES 600
#define PER_CALL 16                    /* lines per console-write hypercall: few exits, much logging */
#define LINE_FILL 150                  /* dots after the line number: most of the 200-byte console line */

static char buf[PER_CALL * 200];

static size_t put(size_t at, const char *s)
{
	while (*s)
		buf[at++] = *s++;
	return at;
}

static size_t put_uint(size_t at, uint32_t v)
{
	char tmp[12];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		buf[at++] = tmp[--n];
	return at;
}

int guest_main(void)
{
	uint32_t lines = cmdline_uint("lines", DEFAULT_LINES);

	if (!under_passage()) {
		skip("chatter-lines", "not under Passage (needs the console-write hypercall)");
		return report_summary();
	}
	for (uint32_t i = 1; i <= lines;) {
		size_t len = 0;

		for (int k = 0; k < PER_CALL && i <= lines; k++, i++) {
			len = put(len, "chatter: line ");
			len = put_uint(len, i);
			len = put(len, "/");
			len = put_uint(len, lines);
			len = put(len, " ");
			for (int d = 0; d < LINE_FILL; d++)
				buf[len++] = '.';
			buf[len++] = '\n';
		}
		hv_console_write(buf, len);
	}
	pass("chatter-lines");
	return report_summary();
}
