/* libFuzzer target for mb2_parse(): the input is a multiboot2 boot information block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/mb2_parse.h"

/* What must hold for any input: counts within bounds, strings terminated. */
static void check(const struct boot_info *bi, status_t rc)
{
	u32 i;

	if (bi->nr_memmap > BOOT_MAX_MEMMAP || bi->nr_modules > BOOT_MAX_MODULES)
		abort();
	if (memchr(bi->cmdline, 0, sizeof(bi->cmdline)) == NULL ||
	    memchr(bi->loader, 0, sizeof(bi->loader)) == NULL)
		abort();
	for (i = 0; i < bi->nr_modules; i++)
		if (memchr(bi->modules[i].name, 0, BOOT_NAME_MAX) == NULL ||
		    bi->modules[i].end < bi->modules[i].start)
			abort();
	for (i = 0; i < bi->nr_memmap; i++)
		if (bi->memmap[i].length == 0 ||
		    bi->memmap[i].base + (bi->memmap[i].length - 1) < bi->memmap[i].base ||
		    bi->memmap[i].type < MEM_USABLE || bi->memmap[i].type > MEM_BAD)
			abort();
	for (i = 0; i < bi->nr_errors && i < BOOT_MAX_ERRORS; i++)
		if (memchr(bi->errors[i], 0, BOOT_ERROR_MAX) == NULL)
			abort();
	if (bi->rsdp_copy_len > sizeof(bi->rsdp_copy))
		abort();
	if (rc == OK && bi->path != BOOT_PATH_MULTIBOOT2_BIOS && bi->path != BOOT_PATH_MULTIBOOT2_UEFI)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 *buf = malloc(size + 1);          /* exactly sized: over-reads are caught */
	struct boot_info *bi = calloc(1, sizeof(*bi));
	status_t rc;

	if (buf == NULL || bi == NULL)
		abort();
	if (size)
		memcpy(buf + 1, data, size);     /* +1: the parser must not assume alignment */
	rc = mb2_parse(buf + 1, size, bi);
	check(bi, rc);
	free(bi);
	free(buf);
	return 0;
}

#ifdef FUZZ_SEEDS
#include "boot/efi_memmap.h"
#include "tests/common/mb2_image.h"

static struct mb2_image im;

static void write_seed(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(im.buf, 1, im.len, f) != im.len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void bios_info(void)
{
	static const struct mb2_mmap_entry map[] = {
		{ 0x0, 0x9fc00, 1, 0 }, { 0x9fc00, 0x400, 2, 0 },
		{ 0x100000, 0x7ee0000, 1, 0 }, { 0x7fe0000, 0x20000, 3, 0 },
		{ 0x8000000, 0x1000, 4, 0 }, { 0x8001000, 0x1000, 5, 0 },
	};
	u8 rsdp[20] = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' };
	u8 meminfo[8] = { 0x7f, 2, 0, 0, 0x80, 0xfb, 1, 0 };

	mb2_begin(&im);
	mb2_string(&im, MB2_TAG_CMDLINE, "console=com1 baud=115200");
	mb2_string(&im, MB2_TAG_LOADER_NAME, "GRUB 2.06");
	mb2_tag(&im, MB2_TAG_BASIC_MEMINFO, meminfo, sizeof(meminfo));
	mb2_module(&im, 0x200000, 0x201000, "/passage.cfg");
	mb2_mmap(&im, 24, map, 6);
	mb2_tag(&im, MB2_TAG_ACPI_OLD, rsdp, sizeof(rsdp));
	mb2_framebuffer(&im, 0xfd000000ULL, 4096, 1024, 768, 32, 1);
	mb2_end(&im);
}

static void uefi_info(void)
{
	struct efi_memory_desc d[3] = {
		{ EFI_CONVENTIONAL_MEMORY, 0, 0x0, 0, 0x9f, 0xf },
		{ EFI_BOOT_SERVICES_DATA, 0, 0x100000, 0, 0x100, 0xf },
		{ EFI_ACPI_RECLAIM_MEMORY, 0, 0x200000, 0, 4, 0xf },
	};
	u8 rsdp[36] = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' };
	u64 ptr = 0x7f000000;

	mb2_begin(&im);
	mb2_string(&im, MB2_TAG_CMDLINE, "xapic nosmp");
	mb2_tag(&im, MB2_TAG_EFI64, &ptr, sizeof(ptr));
	mb2_tag(&im, MB2_TAG_EFI64_IH, &ptr, sizeof(ptr));
	mb2_efi_mmap(&im, sizeof(d[0]), d, sizeof(d));
	mb2_tag(&im, MB2_TAG_ACPI_NEW, rsdp, sizeof(rsdp));
	mb2_module(&im, 0x300000, 0x400000, "/vmlinuz");
	mb2_end(&im);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
		return 2;
	}
	bios_info();
	write_seed(argv[1], "bios_info");
	uefi_info();
	write_seed(argv[1], "uefi_info");
	return 0;
}
#endif
