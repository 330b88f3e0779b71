/* Test aid (crash=vmexit only): a scratch MMIO page whose every access is emulated, to test the decoder end to end. */
#include "mmio.h"

#define VTESTDEV_GPA 0xfeb00000ULL   /* below the xAPIC window, above any test guest's RAM */

static u8 scratch[PAGE_SIZE];

static bool access(struct vcpu *v, u64 gpa, u32 size, bool write, u64 *val, void *ctx)
{
	(void)v, (void)ctx;
	u32 off = (u32)(gpa - VTESTDEV_GPA);
	if (off + size > PAGE_SIZE)
		return false;
	if (!write)
		*val = 0;
	for (u32 i = 0; i < size; i++) /* little-endian, as the CPU would store it */
		if (write)
			scratch[off + i] = (u8)(*val >> (8 * i));
		else
			*val |= (u64)scratch[off + i] << (8 * i);
	return true;
}

status_t vtestdev_register(void)
{
	return mmio_register(NULL, "test scratch page", VTESTDEV_GPA, PAGE_SIZE, access, NULL);
}
