/* Port I/O registry: device models claim port ranges; IN/OUT exits reach them. */
#ifndef PASSAGE_VMM_EXIT_IO_H
#define PASSAGE_VMM_EXIT_IO_H

#include "vcpu.h"

/*
 * One IN (fill *val) or OUT (*val holds the value) of size bytes (1, 2, 4) at
 * port. Returns true to resume the guest, false when the model stopped the
 * domain (a reset, the test exit port).
 */
typedef bool (*pio_fn)(struct vcpu *v, u16 port, u32 size, bool in, u32 *val, void *ctx);

/* Claims ports [first, first+count) for fn, at start-up; E_BUSY on overlap, E_NOSPC when full. */
status_t pio_register(const char *name, u16 first, u16 count, pio_fn fn, void *ctx)
	MUST_CHECK;

/* The small platform ports every domain has (vports.c): test exit, resets, quiet status ports. */
status_t vports_register(void) MUST_CHECK;

#endif
