/* Console commands read line by line from the hypervisor's UART. */
#ifndef PASSAGE_VMM_CONSOLE_H
#define PASSAGE_VMM_CONSOLE_H

/* Reads what the UART has received and runs each completed line (boot CPU only). */
/* The console CPU looks at its UART at least this often (its idle loop and its guest's exits). */
#define CONSOLE_POLL_MS 10
void console_poll(void);

#endif
