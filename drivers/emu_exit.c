/* Ends the emulator: QEMU's isa-debug-exit at port 0xf4 exits with (code << 1) | 1; Bochs stops on "Shutdown" at 0x8900. */
#include "emu_exit.h"
#include "arch/x86/cpu.h"

void emu_exit(u8 code)
{
	outl(0xf4, code);
	for (const char *s = "Shutdown"; *s; s++)
		outb(0x8900, (u8)*s);
}
