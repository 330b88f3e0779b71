/* escape.c — misbehaving guest: writes far outside its memory; Passage must stop it with an EPT violation. */
#include "guest.h"

#define LOAD_ADDR 0x100000u            /* mem_upper counts from 1 MiB */
#define ESCAPE_DISTANCE (64u << 20)    /* this far past the end of our memory */
#define ESCAPE_MARKER 0x5EC0DE64u      /* what a host-side dump would find if the write landed */

int guest_main(void)
{
	volatile uint32_t *target;
	uint32_t top, readback;

	gprintf("PASS escape-start\n");
	if (mb_magic != MB_BOOTLOADER_MAGIC || !(mb->flags & MB_INFO_MEMORY)) {
		gprintf("FAIL escape: no multiboot memory info (magic 0x%x)\n", mb_magic);
		return 1;
	}
	if (mb->mem_upper > (0xFFFFFFFFu - LOAD_ADDR - ESCAPE_DISTANCE) / 1024) {
		gprintf("FAIL escape: mem_upper %u KiB leaves no 32-bit address to escape to\n", mb->mem_upper);
		return 1;
	}
	top = mb->mem_upper * 1024u + LOAD_ADDR;
	target = (volatile uint32_t *)(uintptr_t)(top + ESCAPE_DISTANCE);
	gprintf("INFO escape: memory ends at 0x%x, writing 0x%x to guest-physical %p\n",
		top, ESCAPE_MARKER, (void *)target);

	/*
	 * Paging is off, so this linear address is the guest-physical address. Under
	 * Passage no EPT entry maps it: the write is an EPT violation (SDM Vol. 3C
	 * 29.3.3.2 "EPT Violations"), a VM exit Passage reports and ends the domain on.
	 */
	*target = ESCAPE_MARKER;
	readback = *target;

	gprintf("FAIL escape: write outside memory succeeded (read back 0x%x%s)\n", readback,
		readback == ESCAPE_MARKER ? "" : ", the write was dropped");
	return 1;
}
