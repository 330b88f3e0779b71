/* Converts UEFI EFI_MEMORY_DESCRIPTORs into boot_info memory ranges, merging neighbours. */
#include "boot/efi_memmap.h"
#include "lib/string.h"

/* A range being grown by merging, not yet appended to the boot_info map. */
struct pending_range {
	u64 base;
	u64 length;
	u32 type;
};

/*
 * Memory the hypervisor may use once it owns the machine: loader and boot
 * services memory are free after ExitBootServices() (UEFI 2.10 section 7.2,
 * table "Memory Type Usage after ExitBootServices()").
 */
u32 efi_mem_type(u32 efi_type)
{
	switch (efi_type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL_MEMORY:
		return MEM_USABLE;
	case EFI_ACPI_RECLAIM_MEMORY:
		return MEM_ACPI;
	case EFI_ACPI_MEMORY_NVS:
		return MEM_NVS;
	case EFI_UNUSABLE_MEMORY:
		return MEM_BAD;
	default:
		return MEM_RESERVED;
	}
}

static void flush_pending(struct pending_range *p, struct boot_info *bi)
{
	if (p->length != 0)
		boot_info_add_mem(bi, p->base, p->length, p->type);
	p->length = 0;
}

/* Merges [base, base+len) into p when it directly follows p with the same type. */
static bool try_merge(struct pending_range *p, u64 base, u64 len, u32 type)
{
	if (p->length == 0 || p->type != type)
		return false;
	if (p->base + p->length != base)   /* p never wraps: checked when it was started */
		return false;
	if (len > ~(u64)0 - (p->base + p->length))
		return false;
	p->length += len;
	return true;
}

/* Reads descriptor index and folds it into p, flushing p when it cannot be merged. */
static void convert_one(const u8 *raw, u64 index, struct pending_range *p, struct boot_info *bi)
{
	struct efi_memory_desc d;
	u64 len;
	u32 type;

	memcpy(&d, raw, sizeof(d));   /* the map may be unaligned; never dereference it */
	if (d.number_of_pages == 0)
		return;
	if (d.number_of_pages > (~(u64)0 - d.physical_start) / EFI_PAGE_SIZE) {
		boot_info_error(bi, "efi memmap: descriptor %llu: 0x%llx pages at 0x%llx wrap past 2^64",
				(unsigned long long)index, (unsigned long long)d.number_of_pages,
				(unsigned long long)d.physical_start);
		return;
	}
	len = d.number_of_pages * EFI_PAGE_SIZE;
	type = efi_mem_type(d.type);
	if (try_merge(p, d.physical_start, len, type))
		return;
	flush_pending(p, bi);
	p->base = d.physical_start;
	p->length = len;
	p->type = type;
}

void efi_memmap_convert(const void *map, u64 map_size, u64 desc_size, struct boot_info *bi)
{
	const u8 *raw = map;
	struct pending_range p = { 0, 0, 0 };
	u64 i, n;

	/* UEFI 2.10 section 7.2: DescriptorSize may grow, but never below the v1 layout. */
	if (desc_size < sizeof(struct efi_memory_desc)) {
		boot_info_error(bi, "efi memmap: descriptor size %llu < %u",
				(unsigned long long)desc_size, (unsigned)sizeof(struct efi_memory_desc));
		return;
	}
	if (raw == NULL)
		return;
	n = map_size / desc_size;
	for (i = 0; i < n; i++)
		convert_one(raw + i * desc_size, i, &p, bi);
	flush_pending(&p, bi);
}
