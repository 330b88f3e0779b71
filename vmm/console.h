/* Console commands read from the hypervisor's UART. */
#ifndef PASSAGE_VMM_CONSOLE_H
#define PASSAGE_VMM_CONSOLE_H

/* Handles one pending command character, if any (boot CPU only). */
void console_poll(void);

#endif
