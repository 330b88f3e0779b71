/* ACPI discovery on the running machine: parses the tables through the identity map. */
#ifndef PASSAGE_ARCH_ACPI_H
#define PASSAGE_ARCH_ACPI_H

#include "acpi_tables.h"
#include "lib/boot_info.h"

/* Finds the RSDP (boot data, else the BIOS areas), parses, and logs every problem. */
status_t acpi_init(const struct boot_info *bi, struct acpi_platform *out) MUST_CHECK;

#endif
