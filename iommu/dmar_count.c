/* DRHD count of a DMAR table (VT-d spec 8.1: 48-byte header, then remapping structures). */
#include "dmar_count.h"
#include "lib/string.h"

#define DMAR_HEADER_LEN 48     /* ACPI header + Host Address Width + Flags + 10 reserved */
#define DMAR_TYPE_DRHD 0       /* VT-d spec 8.3 */

int dmar_count_units(const void *dmar, u32 len)
{
	const u8 *p = dmar;
	int units = 0;
	if (len < DMAR_HEADER_LEN)
		return -1;
	for (u32 off = DMAR_HEADER_LEN; off < len;) {
		u16 type, slen;
		if (len - off < 4)
			return -1;
		memcpy(&type, p + off, 2);
		memcpy(&slen, p + off + 2, 2);
		if (slen < 4 || slen > len - off)
			return -1;
		units += type == DMAR_TYPE_DRHD;
		off += slen;
	}
	return units;
}
