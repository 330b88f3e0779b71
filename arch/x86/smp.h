/* SMP start-up: INIT-SIPI-SIPI to every enabled CPU the MADT lists (Intel SDM Vol. 3A 9.4). */
#ifndef PASSAGE_ARCH_SMP_H
#define PASSAGE_ARCH_SMP_H

#include "percpu.h"
#include "acpi_tables.h"

typedef void (*ap_main_fn)(struct percpu *p);

/* Starts the APs (at most max_cpus CPUs in all, 0 = no limit); returns CPUs online incl. BSP. */
u32 smp_start(const struct acpi_platform *acpi, u32 max_cpus, ap_main_fn ap_main);

#endif
