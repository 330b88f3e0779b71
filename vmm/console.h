/* Console commands read line by line from the hypervisor's UART. */
#ifndef PASSAGE_VMM_CONSOLE_H
#define PASSAGE_VMM_CONSOLE_H

/* Reads what the UART has received and runs each completed line (boot CPU only). */
void console_poll(void);

#endif
