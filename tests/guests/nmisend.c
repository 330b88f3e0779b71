/* nmisend.c — asks a test-enabled Passage (crash=vmexit) to send NMI IPIs to the other CPUs, whose guests must keep running. */
#include "guest.h"
#include "x86.h"

#define HC_TEST_NMI 0xc0dfu            /* vmm/hypercall.c: NMI IPI to every other CPU -> NMIs they handled */
#define WANT_HANDLED 20u               /* stop once the other CPUs have handled this many */
#define MAX_SENDS 2000u
#define SPIN 20000u                    /* pauses between two sends, so they spread over the other guest's work */

int guest_main(void)
{
	uint32_t sent = 0, handled = 0;

	if (!under_passage()) {
		gprintf("SKIP nmisend: not under Passage\n");
		return 0;
	}
	while (sent < MAX_SENDS && handled < WANT_HANDLED) {
		uint32_t r = vmcall(HC_TEST_NMI, 0, 0);

		if (r == 0xffffffffu) {
			gprintf("FAIL nmisend: the test hypercall is refused (boot with crash=vmexit)\n");
			return 1;
		}
		sent++;
		handled = r;
		for (volatile uint32_t i = 0; i < SPIN; i++)
			__asm__ volatile("pause");
	}
	gprintf("INFO nmisend: %u NMI IPIs sent, %u handled by the other CPUs\n", sent, handled);
	if (handled < WANT_HANDLED) {
		gprintf("FAIL nmisend: only %u of %u sent NMIs were handled\n", handled, sent);
		return 1;
	}
	gprintf("PASS nmisend\n");
	return 0;
}
