/* Time stamp counter calibrated against the PIT; microsecond delays. */
#ifndef PASSAGE_ARCH_TSC_H
#define PASSAGE_ARCH_TSC_H

#include "lib/types.h"
#include "lib/status.h"

status_t tsc_calibrate(void) MUST_CHECK;
u64 tsc_khz(void);
u64 tsc_now_us(void);
void udelay(u64 us);

#endif
