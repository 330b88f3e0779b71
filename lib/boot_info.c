/* struct boot_info helpers shared by both boot paths: error log and memory-map append. */
#include "lib/boot_info.h"
#include "lib/string.h"

/*
 * Records a problem found in the boot data. Only the first BOOT_MAX_ERRORS
 * messages are kept, but nr_errors keeps counting (saturating) so the report
 * can say "and N more".
 */
void boot_info_error(struct boot_info *bi, const char *fmt, ...)
{
	va_list ap;

	if (bi->nr_errors < BOOT_MAX_ERRORS) {
		va_start(ap, fmt);
		vsnprintf(bi->errors[bi->nr_errors], BOOT_ERROR_MAX, fmt, ap);
		va_end(ap);
	}
	if (bi->nr_errors != (u32)-1)
		bi->nr_errors++;
}

/*
 * Appends one memory range. Zero-length ranges are ignored; a range that
 * would wrap past 2^64 is clamped (and reported); when the table is full the
 * range is counted in memmap_dropped so the loss is visible.
 */
void boot_info_add_mem(struct boot_info *bi, u64 base, u64 len, u32 type)
{
	struct mem_range *r;

	if (len == 0)
		return;
	if (len - 1 > ~(u64)0 - base) {
		boot_info_error(bi, "memmap: range 0x%llx+0x%llx wraps past 2^64, clamped",
				(unsigned long long)base, (unsigned long long)len);
		len = ~(u64)0 - base + 1;   /* base > 0 here, so this does not wrap to 0 */
	}
	if (bi->nr_memmap >= BOOT_MAX_MEMMAP) {
		if (bi->memmap_dropped != (u32)-1)
			bi->memmap_dropped++;
		return;
	}
	r = &bi->memmap[bi->nr_memmap++];
	r->base = base;
	r->length = len;
	r->type = type;
	r->pad = 0;
}
