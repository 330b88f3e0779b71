/* Guest image loaders. */
#ifndef PASSAGE_VMM_LOADER_H
#define PASSAGE_VMM_LOADER_H

#include "vcpu.h"

struct guest_file {
	const char *name;
	const u8 *data;
	u64 size;
};

bool mb1_detect(const u8 *img, u64 size);
/* Loads a multiboot1 ELF into the domain and sets the vCPU's entry state; the optional module
 * (the config's initrd) is passed as multiboot module 0. err names the problem. */
status_t mb1_load(struct domain *d, struct vcpu *v, const u8 *img, u64 size, const char *cmdline,
		  const struct guest_file *module, char *err, size_t n) MUST_CHECK;

bool linux_detect(const u8 *img, u64 size);
/* Loads a bzImage (and initrd) for the 64-bit boot protocol; the vCPU starts in long mode. */
status_t linux_load(struct domain *d, struct vcpu *v, const u8 *img, u64 size, const u8 *initrd,
		    u64 initrd_size, const char *cmdline, char *err, size_t n) MUST_CHECK;

#endif
