/* report.c — PASS/FAIL/SKIP lines, the "N passed, M failed" summary and guest exit (tests conventions in DESIGN.md). */
#include "guest.h"
#include "x86.h"

static unsigned passed, failed;

void pass(const char *name)
{
	passed++;
	gprintf("PASS %s\n", name);
}

static void line(const char *tag, const char *name, const char *fmt, va_list ap)
{
	gprintf("%s %s: ", tag, name);
	gvprintf(fmt, ap);
	console_putc('\n');
}

void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	failed++;
	va_start(ap, fmt);
	line("FAIL", name, fmt, ap);
	va_end(ap);
}

void skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line("SKIP", name, fmt, ap);
	va_end(ap);
}

int report_summary(void)
{
	gprintf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

/* Port 0xf4 ends the domain under Passage and QEMU's isa-debug-exit; without either, park the CPU. */
void guest_exit(uint32_t code)
{
	outl(GUEST_EXIT_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}
