/* Host NMIs: sending an NMI IPI to a CPU, counting the NMIs each CPU handled. */
#ifndef PASSAGE_ARCH_NMI_H
#define PASSAGE_ARCH_NMI_H

#include "lib/types.h"
#include "lib/status.h"

/* IDT vector 2 (from hardware, or INT 2 after an NMI VM exit): count it and return. No locks,
 * no logging: an NMI can interrupt any code, the log included. */
void nmi_handle(void);
/* NMIs CPU cpu has handled since start-up. */
u64 nmi_count(u32 cpu);
/* An NMI IPI to CPU number cpu (SDM Vol. 3A 11.6.1: delivery mode NMI, vector ignored). */
status_t nmi_send(u32 cpu) MUST_CHECK;

#endif
