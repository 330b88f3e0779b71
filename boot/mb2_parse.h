/* Multiboot2 boot information parser: fills struct boot_info (host-compilable). */
#ifndef PASSAGE_BOOT_MB2_PARSE_H
#define PASSAGE_BOOT_MB2_PARSE_H

#include "lib/boot_info.h"
#include "lib/status.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289 /* EAX at entry (Multiboot2 spec 3.3) */
#define MB2_INFO_MAX 0x100000           /* larger total_size is treated as corrupt */

/* Multiboot2 spec 3.6: tag types of the boot information. */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_BOOTDEV 5
#define MB2_TAG_MMAP 6
#define MB2_TAG_FRAMEBUFFER 8
#define MB2_TAG_EFI64 12
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_TAG_EFI_MMAP 17
#define MB2_TAG_EFI_BS 18               /* boot services not terminated */
#define MB2_TAG_EFI64_IH 20
#define MB2_TAG_LOAD_BASE_ADDR 21

struct mb2_info_header {
	u32 total_size;
	u32 reserved;
} PACKED;
_Static_assert(sizeof(struct mb2_info_header) == 8, "multiboot2 info header");

struct mb2_tag {
	u32 type;
	u32 size;               /* including this header, excluding padding to 8 */
} PACKED;
_Static_assert(sizeof(struct mb2_tag) == 8, "multiboot2 tag header");

struct mb2_mmap_entry {
	u64 base_addr;
	u64 length;
	u32 type;               /* 1 available, 3 ACPI, 4 NVS, 5 bad, other reserved */
	u32 reserved;
} PACKED;
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "multiboot2 mmap entry");

/*
 * Parses the boot information at info (avail bytes readable there). Fills bi
 * (memory map, modules, command line, loader name, RSDP copy, framebuffer,
 * path: BIOS or UEFI from the EFI tags). Malformed tags are recorded with
 * boot_info_error() naming the tag type and offset, and skipped where the
 * rest can still be walked. Returns E_INVAL when the header itself is unusable.
 */
status_t mb2_parse(const void *info, u64 avail, struct boot_info *bi) MUST_CHECK;

#endif
