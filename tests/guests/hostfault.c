/* hostfault.c — asks a test-enabled Passage (crash=vmexit) to fault while handling its VMCALL. */
#include "guest.h"
#include "x86.h"

#define HC_TEST_HOST_FAULT 0xc0deu     /* vmm/exits.c: the handler executes UD2 on purpose */

int guest_main(void)
{
	gprintf("PASS hostfault-start\n");
	if (!under_passage()) {
		gprintf("SKIP hostfault: not under Passage\n");
		return 0;
	}
	/* delay=N: spin first, so another domain is busy logging when the fault comes */
	for (volatile uint32_t i = cmdline_uint("delay", 0); i > 0; i--)
		;
	/* Passage must stop this domain (its exit handler faulted) and keep every other running. */
	uint32_t r = vmcall(HC_TEST_HOST_FAULT, 0, 0);
	gprintf("FAIL hostfault: the faulting hypercall returned 0x%x\n", r);
	return 1;
}
