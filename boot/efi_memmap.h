/* Conversion of a UEFI memory map into struct boot_info memory ranges (host-compilable). */
#ifndef PASSAGE_BOOT_EFI_MEMMAP_H
#define PASSAGE_BOOT_EFI_MEMMAP_H

#include "lib/boot_info.h"

/* UEFI 2.10 section 7.2 (EFI_BOOT_SERVICES.GetMemoryMap): EFI_MEMORY_DESCRIPTOR. */
struct efi_memory_desc {
	u32 type;              /* EFI_MEMORY_TYPE */
	u32 pad;               /* implicit padding before the 64-bit fields */
	u64 physical_start;    /* PhysicalStart, 4 KiB aligned */
	u64 virtual_start;     /* VirtualStart */
	u64 number_of_pages;   /* NumberOfPages, 4 KiB each */
	u64 attribute;         /* Attribute: EFI_MEMORY_* capability bits */
} PACKED;
_Static_assert(sizeof(struct efi_memory_desc) == 40, "EFI_MEMORY_DESCRIPTOR is 40 bytes");

/* UEFI 2.10 section 7.2: EFI_MEMORY_TYPE values that are not simply "reserved". */
#define EFI_LOADER_CODE 1            /* EfiLoaderCode */
#define EFI_LOADER_DATA 2            /* EfiLoaderData */
#define EFI_BOOT_SERVICES_CODE 3     /* EfiBootServicesCode */
#define EFI_BOOT_SERVICES_DATA 4     /* EfiBootServicesData */
#define EFI_CONVENTIONAL_MEMORY 7    /* EfiConventionalMemory */
#define EFI_UNUSABLE_MEMORY 8        /* EfiUnusableMemory */
#define EFI_ACPI_RECLAIM_MEMORY 9    /* EfiACPIReclaimMemory */
#define EFI_ACPI_MEMORY_NVS 10       /* EfiACPIMemoryNVS */
#define EFI_PAGE_SIZE 4096ULL        /* EFI_PAGE_SIZE, the unit of NumberOfPages */

/*
 * Appends the ranges of a UEFI memory map (map_size bytes of descriptors,
 * desc_size bytes apart; desc_size may exceed 40) to bi's memory map,
 * merging neighbours of the same boot_info type. Problems (desc_size < 40,
 * page counts that wrap) are reported with boot_info_error().
 */
void efi_memmap_convert(const void *map, u64 map_size, u64 desc_size, struct boot_info *bi);

/* The boot_info enum mem_type for an EFI_MEMORY_TYPE. */
u32 efi_mem_type(u32 efi_type);

#endif
