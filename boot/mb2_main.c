/* Multiboot2 path: copies the boot information into struct boot_info and calls hv_main(). */
#include "mb2_parse.h"
#include "lib/log.h"

extern char __image_start[], __image_end[];
static struct boot_info bi;

NORETURN void mb2_main(u32 magic, u64 info);

void mb2_main(u32 magic, u64 info)
{
	bi.image_start = (u64)(uintptr_t)__image_start;
	bi.image_end = (u64)(uintptr_t)__image_end;
	if (magic != MB2_BOOTLOADER_MAGIC) {
		boot_info_error(&bi, "multiboot2: bad magic 0x%x in EAX; no boot information used",
				magic);
	} else {
		u32 total;
		__builtin_memcpy(&total, (const void *)(uintptr_t)info, 4);
		/* The early map covers 4 GiB; the loader places the info below that. */
		u64 avail = info < 4 * GiB ? MIN((u64)total, 4 * GiB - info) : 0;
		if (mb2_parse((const void *)(uintptr_t)info, avail, &bi) != OK)
			boot_info_error(&bi, "multiboot2: boot information unusable");
	}
	if (bi.path == BOOT_PATH_UNKNOWN)
		bi.path = BOOT_PATH_MULTIBOOT2_BIOS;
	hv_main(&bi);
}
