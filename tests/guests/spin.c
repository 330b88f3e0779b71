/* spin.c — busy guest that never exits on its own: counts in a register loop with interrupts off, `spins=N` million times (0 = for ever). */
#include "guest.h"

int guest_main(void)
{
	uint32_t millions = cmdline_uint("spins", 0);
	volatile uint32_t counter = 0;

	/* No I/O, no CPUID, no HLT below: under Passage nothing here causes a VM exit. */
	gprintf("INFO spin: spinning without exits (%u million rounds, 0 = for ever)\n", millions);
	for (uint32_t m = 0; !millions || m < millions; m++)
		for (uint32_t i = 0; i < 1000000u; i++)
			counter++;
	gprintf("PASS spin: %u million rounds\n", millions);
	return 0;
}
