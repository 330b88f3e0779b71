/* Serial console commands on the boot CPU: 's' prints every vCPU's statistics, '?' lists commands. */
#include "console.h"
#include "domains.h"
#include "drivers/uart16550.h"
#include "lib/log.h"

void console_poll(void)
{
	int c = uart_getc();
	switch (c) {
	case -1:
		return;
	case 's':
		domains_print_stats();
		return;
	case '?':
	case 'h':
		LOG("console", "commands: s = statistics of every vCPU, ? = this help");
		return;
	default:
		LOG("console", "unknown command '%c' (? for help)", c >= 32 && c < 127 ? c : '.');
	}
}
