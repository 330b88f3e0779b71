/* Built-in self-tests selected on the command line (the selftest/ layer: between vmm/ and iommu/). */
#ifndef PASSAGE_SELFTEST_SELFTEST_H
#define PASSAGE_SELFTEST_SELFTEST_H

#include "lib/types.h"

/* selftest=dma: VT-d isolation with QEMU edu devices (flood: faulting DMAs in the flood test). */
void selftest_dma(u32 flood);

#endif
