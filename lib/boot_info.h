/* struct boot_info: the protocol-neutral hand-off from boot/ to hv_main(). */
#ifndef PASSAGE_LIB_BOOT_INFO_H
#define PASSAGE_LIB_BOOT_INFO_H

#include "types.h"

#define BOOT_MAX_MEMMAP 256   /* entries kept from the firmware map; extra ones are reported */
#define BOOT_MAX_MODULES 16   /* modules (config, kernels, initrds) */
#define BOOT_CMDLINE_MAX 512
#define BOOT_NAME_MAX 64
#define BOOT_MAX_ERRORS 8     /* parse problems reported once the console is up */
#define BOOT_ERROR_MAX 120

enum mem_type {
	MEM_USABLE = 1,      /* free RAM */
	MEM_RESERVED = 2,    /* firmware or device reserved */
	MEM_ACPI = 3,        /* ACPI reclaimable (tables) */
	MEM_NVS = 4,         /* ACPI NVS */
	MEM_BAD = 5,         /* defective RAM */
};

struct mem_range {
	u64 base;
	u64 length;
	u32 type;            /* enum mem_type */
	u32 pad;
};

struct boot_module {
	u64 start;           /* physical address of the first byte */
	u64 end;             /* one past the last byte */
	char name[BOOT_NAME_MAX]; /* command line / file name of the module */
};

enum boot_path {
	BOOT_PATH_UNKNOWN = 0,
	BOOT_PATH_MULTIBOOT2_BIOS,
	BOOT_PATH_MULTIBOOT2_UEFI,
	BOOT_PATH_UEFI_NATIVE,
};

struct boot_info {
	enum boot_path path;
	char loader[BOOT_NAME_MAX];          /* boot loader name, if given */
	char cmdline[BOOT_CMDLINE_MAX];
	u32 nr_memmap;
	u32 memmap_dropped;                  /* entries that did not fit */
	struct mem_range memmap[BOOT_MAX_MEMMAP];
	u32 nr_modules;
	struct boot_module modules[BOOT_MAX_MODULES];
	u64 rsdp;                            /* physical address of the RSDP, 0 if unknown */
	u64 rsdp_copy_len;                   /* nonzero: rsdp_copy holds the RSDP (multiboot2 tags) */
	u8 rsdp_copy[36];
	u64 fb_base;                         /* framebuffer, 0 if none */
	u32 fb_width, fb_height, fb_pitch, fb_bpp;
	u64 image_start, image_end;          /* the hypervisor's own image in memory */
	u32 nr_errors;                       /* problems found in the boot data */
	char errors[BOOT_MAX_ERRORS][BOOT_ERROR_MAX];
};

void boot_info_error(struct boot_info *bi, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void boot_info_add_mem(struct boot_info *bi, u64 base, u64 len, u32 type);

/* The common entry: both boot paths call it once, on the boot CPU. */
NORETURN void hv_main(struct boot_info *bi);

#endif
