/* Test-only device: ends an emulator run with a status (QEMU isa-debug-exit, Bochs 0x8900). */
#ifndef PASSAGE_DRIVERS_EMU_EXIT_H
#define PASSAGE_DRIVERS_EMU_EXIT_H

#include "lib/types.h"

#define EMU_EXIT_READY 0x00    /* QEMU exit status 1 */
#define EMU_EXIT_FATAL 0x10    /* QEMU exit status 33 */

/* Only called when the command line asked for it (test_exit): real machines never see it. */
void emu_exit(u8 code);

#endif
