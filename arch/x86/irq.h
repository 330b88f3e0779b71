/* External interrupt vectors: registration and dispatch (vectors 32-255). */
#ifndef PASSAGE_ARCH_IRQ_H
#define PASSAGE_ARCH_IRQ_H

#include "lib/types.h"
#include "lib/status.h"

#define IRQ_VECTOR_FIRST 0x30   /* vectors below stay free (legacy PIC range and spare) */
#define IRQ_VECTOR_LAST 0xfe    /* 0xff is the APIC spurious vector */

typedef void (*irq_handler_fn)(u8 vector, void *ctx);

/* Allocates a free vector and installs handler on it. Returns 0 when none is left. */
u8 irq_alloc(irq_handler_fn handler, void *ctx);
void irq_free(u8 vector);
/* Called from the interrupt entry for vectors >= 32; sends the EOI. */
void irq_dispatch(u8 vector);
/* Number of interrupts taken on a vector (for tests and statistics). */
u64 irq_count(u8 vector);

#endif
