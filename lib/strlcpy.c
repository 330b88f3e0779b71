/* strlcpy_(): bounded, always-terminating string copy (libc has no strlcpy, so both builds use this). */
#include "lib/string.h"

/*
 * Copies at most size-1 bytes of src into dst and terminates dst when
 * size > 0. Returns strlen(src), so a result >= size means truncation.
 */
size_t strlcpy_(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
