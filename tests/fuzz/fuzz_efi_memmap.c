/* libFuzzer target for efi_memmap_convert(): first byte = descriptor size, the rest = descriptors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/efi_memmap.h"

/* What must hold for any input: the map is bounded and every range is sane. */
static void check(const struct boot_info *bi)
{
	u32 i;

	if (bi->nr_memmap > BOOT_MAX_MEMMAP)
		abort();
	for (i = 0; i < bi->nr_memmap; i++) {
		const struct mem_range *r = &bi->memmap[i];

		if (r->length == 0 || r->length % 4096 != 0 || r->base + (r->length - 1) < r->base ||
		    r->type < MEM_USABLE || r->type > MEM_BAD)
			abort();
		/* merging: neighbours in the output never touch with the same type */
		if (i > 0 && r->type == r[-1].type && r[-1].base + r[-1].length == r->base)
			abort();
	}
	for (i = 0; i < bi->nr_errors && i < BOOT_MAX_ERRORS; i++)
		if (memchr(bi->errors[i], 0, BOOT_ERROR_MAX) == NULL)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_info *bi;
	u8 *map;

	if (size < 1)
		return 0;
	bi = calloc(1, sizeof(*bi));
	map = malloc(size);                   /* size - 1 bytes used from map + 1: unaligned */
	if (bi == NULL || map == NULL)
		abort();
	memcpy(map, data, size);
	efi_memmap_convert(map + 1, size - 1, data[0], bi);
	check(bi);
	free(map);
	free(bi);
	return 0;
}

#ifdef FUZZ_SEEDS
static void write_seed(const char *dir, const char *name, u8 desc_size,
		       const struct efi_memory_desc *d, u32 n)
{
	char path[512];
	u8 slot[256] = { 0 };
	FILE *f;
	u32 i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(&desc_size, 1, 1, f) != 1) {
		perror(path);
		exit(1);
	}
	for (i = 0; i < n; i++) {
		memset(slot, 0xee, desc_size);
		memcpy(slot, &d[i], sizeof(d[i]));
		if (fwrite(slot, 1, desc_size, f) != desc_size) {
			perror(path);
			exit(1);
		}
	}
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const struct efi_memory_desc d[] = {
		{ EFI_BOOT_SERVICES_CODE, 0, 0x0, 0, 1, 0xf },
		{ EFI_CONVENTIONAL_MEMORY, 0, 0x1000, 0, 0x9e, 0xf },
		{ 0 /* reserved */, 0, 0xa0000, 0, 0x60, 0x1 },
		{ EFI_LOADER_CODE, 0, 0x100000, 0, 0x200, 0xf },
		{ EFI_LOADER_DATA, 0, 0x300000, 0, 0x100, 0xf },
		{ EFI_ACPI_RECLAIM_MEMORY, 0, 0x400000, 0, 8, 0xf },
		{ EFI_ACPI_MEMORY_NVS, 0, 0x408000, 0, 8, 0xf },
		{ EFI_UNUSABLE_MEMORY, 0, 0x410000, 0, 1, 0xf },
		{ 11 /* MMIO */, 0, 0xfec00000, 0, 1, 0x8000000000000001ULL },
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
		return 2;
	}
	write_seed(argv[1], "desc40", 40, d, ARRAY_SIZE(d));
	write_seed(argv[1], "desc48", 48, d, ARRAY_SIZE(d));
	return 0;
}
#endif
