/* ACPI tables Passage gives a Linux guest. */
#ifndef PASSAGE_VMM_GUEST_ACPI_H
#define PASSAGE_VMM_GUEST_ACPI_H

#include "vcpu.h"

/* Writes RSDP, XSDT and MADT at guest-physical gpa; returns the RSDP's address (0 on failure). */
u64 guest_acpi_build(struct domain *d, u64 gpa, u32 nr_vcpus);

#endif
