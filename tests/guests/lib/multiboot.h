/* multiboot.h — the multiboot1 boot-information structures a test guest reads (Multiboot Specification 0.6.96, 3.3). */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#define MB_BOOTLOADER_MAGIC 0x2BADB002u  /* EAX at entry */

#define MB_INFO_MEMORY  (1u << 0)  /* mem_lower/mem_upper valid */
#define MB_INFO_CMDLINE (1u << 2)  /* cmdline valid */
#define MB_INFO_MODS    (1u << 3)  /* mods_count/mods_addr valid */
#define MB_INFO_MMAP    (1u << 6)  /* mmap_length/mmap_addr valid */

#define MB_MMAP_AVAILABLE 1u       /* mmap entry type: usable RAM */

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;     /* KiB below 1 MiB */
	uint32_t mem_upper;     /* KiB above 1 MiB, up to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;       /* physical address of a NUL-terminated string */
	uint32_t mods_count;
	uint32_t mods_addr;     /* physical address of mods_count struct mb_module */
	uint32_t syms[4];
	uint32_t mmap_length;   /* bytes */
	uint32_t mmap_addr;     /* physical address of struct mb_mmap_entry list */
};
_Static_assert(sizeof(struct mb_info) == 52, "multiboot info through mmap_addr");

struct mb_module {
	uint32_t mod_start;
	uint32_t mod_end;       /* exclusive */
	uint32_t string;        /* physical address of the module's command line */
	uint32_t reserved;
};
_Static_assert(sizeof(struct mb_module) == 16, "multiboot module entry");

/* size does not count itself: the next entry is at (char *)e + e->size + 4. */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t base;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "multiboot mmap entry");

#endif
