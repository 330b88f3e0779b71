/* Unit tests of the UEFI memory map conversion (boot/efi_memmap.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/efi_memmap.h"

static struct boot_info *bi;
static u8 map[64 * 64];
static u32 map_len;

static int setup(void **state)
{
	(void)state;
	bi = calloc(1, sizeof(*bi));
	memset(map, 0xee, sizeof(map));   /* padding of larger descriptors is junk */
	map_len = 0;
	return bi == NULL;
}

static int teardown(void **state)
{
	(void)state;
	free(bi);
	return 0;
}

/* Appends a descriptor at the next desc_size slot. */
static void add(u32 desc_size, u32 type, u64 start, u64 pages)
{
	struct efi_memory_desc d = { type, 0, start, 0xdead0000, pages, 0xf };

	if (map_len + desc_size > sizeof(map))
		abort();
	memcpy(map + map_len, &d, sizeof(d));
	map_len += desc_size;
}

static void assert_range(u32 i, u64 base, u64 length, u32 type)
{
	assert_true(i < bi->nr_memmap);
	assert_int_equal(bi->memmap[i].base, base);
	assert_int_equal(bi->memmap[i].length, length);
	assert_int_equal(bi->memmap[i].type, type);
}

static void test_type_mapping(void **state)
{
	static const struct { u32 efi; u32 want; } cases[] = {
		{ 0, MEM_RESERVED },  /* EfiReservedMemoryType */
		{ 1, MEM_USABLE },    /* EfiLoaderCode */
		{ 2, MEM_USABLE },    /* EfiLoaderData */
		{ 3, MEM_USABLE },    /* EfiBootServicesCode */
		{ 4, MEM_USABLE },    /* EfiBootServicesData */
		{ 5, MEM_RESERVED },  /* EfiRuntimeServicesCode */
		{ 6, MEM_RESERVED },  /* EfiRuntimeServicesData */
		{ 7, MEM_USABLE },    /* EfiConventionalMemory */
		{ 8, MEM_BAD },       /* EfiUnusableMemory */
		{ 9, MEM_ACPI },      /* EfiACPIReclaimMemory */
		{ 10, MEM_NVS },      /* EfiACPIMemoryNVS */
		{ 11, MEM_RESERVED }, /* EfiMemoryMappedIO */
		{ 14, MEM_RESERVED }, /* EfiPersistentMemory */
		{ 0x80000000u, MEM_RESERVED },
	};
	u32 i;

	(void)state;
	/* every range one page apart from the next, so nothing merges */
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		add(40, cases[i].efi, (u64)i * 0x2000, 1);
	efi_memmap_convert(map, map_len, 40, bi);
	assert_int_equal(bi->nr_errors, 0);
	assert_int_equal(bi->nr_memmap, ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_range(i, (u64)i * 0x2000, 0x1000, cases[i].want);
}

static void test_merges_adjacent_same_type(void **state)
{
	(void)state;
	add(40, 7, 0x0, 0x10);               /* usable 0..0x10000 */
	add(40, 3, 0x10000, 0x10);           /* boot services code: usable too, adjacent */
	add(40, 4, 0x20000, 0x20);           /* -> one usable range 0..0x40000 */
	add(40, 9, 0x40000, 1);              /* ACPI: different type */
	add(40, 9, 0x41000, 1);              /* merges with the ACPI one */
	add(40, 7, 0x50000, 1);
	add(40, 7, 0x52000, 1);              /* same type, but a gap before it: separate */
	add(40, 7, 0x53000, 0);              /* zero pages: ignored, does not break merging */
	add(40, 7, 0x53000, 2);
	efi_memmap_convert(map, map_len, 40, bi);
	assert_int_equal(bi->nr_errors, 0);
	assert_int_equal(bi->nr_memmap, 4);
	assert_range(0, 0x0, 0x40000, MEM_USABLE);
	assert_range(1, 0x40000, 0x2000, MEM_ACPI);
	assert_range(2, 0x50000, 0x1000, MEM_USABLE);
	assert_range(3, 0x52000, 0x3000, MEM_USABLE);
}

static void test_no_merge_out_of_order(void **state)
{
	(void)state;
	add(40, 7, 0x10000, 1);
	add(40, 7, 0x0, 0x10);   /* ends where the previous one starts, but comes later */
	efi_memmap_convert(map, map_len, 40, bi);
	assert_int_equal(bi->nr_memmap, 2);
	assert_range(0, 0x10000, 0x1000, MEM_USABLE);
	assert_range(1, 0x0, 0x10000, MEM_USABLE);
}

static void test_larger_descriptor_size(void **state)
{
	(void)state;
	add(48, 7, 0x100000, 0x100);
	add(48, 10, 0x200000, 4);
	add(48, 7, 0x204000, 4);
	efi_memmap_convert(map, map_len, 48, bi);
	assert_int_equal(bi->nr_memmap, 3);
	assert_range(0, 0x100000, 0x100000, MEM_USABLE);
	assert_range(1, 0x200000, 0x4000, MEM_NVS);
	assert_range(2, 0x204000, 0x4000, MEM_USABLE);
}

static void test_unaligned_map_and_partial_tail(void **state)
{
	static u8 raw[1 + 2 * 40 + 30];

	(void)state;
	add(40, 7, 0x0, 1);
	add(40, 8, 0x1000, 1);
	memcpy(raw + 1, map, 80);
	memset(raw + 81, 0x7, 30);             /* a partial descriptor: ignored */
	efi_memmap_convert(raw + 1, 80 + 30, 40, bi);
	assert_int_equal(bi->nr_memmap, 2);
	assert_range(1, 0x1000, 0x1000, MEM_BAD);
}

static void test_descriptor_size_too_small(void **state)
{
	(void)state;
	add(40, 7, 0x0, 1);
	efi_memmap_convert(map, map_len, 32, bi);
	assert_int_equal(bi->nr_memmap, 0);
	assert_int_equal(bi->nr_errors, 1);
	assert_string_equal(bi->errors[0], "efi memmap: descriptor size 32 < 40");
	efi_memmap_convert(map, map_len, 0, bi);
	assert_int_equal(bi->nr_errors, 2);
}

static void test_page_count_overflow(void **state)
{
	(void)state;
	add(40, 7, 0xfffffffffff00000ULL, 0x100);       /* exactly to 2^64: wraps */
	add(40, 7, 0x1000, 0x0010000000000000ULL);      /* 2^52 pages: more than 2^64 bytes */
	add(40, 7, 0xffffffffffe00000ULL, 0x100);       /* ends at 2^64 - 1 MiB: fine */
	efi_memmap_convert(map, map_len, 40, bi);
	assert_int_equal(bi->nr_errors, 2);
	assert_non_null(strstr(bi->errors[0], "descriptor 0:"));
	assert_non_null(strstr(bi->errors[0], "wrap past 2^64"));
	assert_non_null(strstr(bi->errors[1], "descriptor 1:"));
	assert_int_equal(bi->nr_memmap, 1);
	assert_range(0, 0xffffffffffe00000ULL, 0x100000, MEM_USABLE);
}

static void test_memmap_full_counts_dropped(void **state)
{
	u32 i;

	(void)state;
	for (i = 0; i < BOOT_MAX_MEMMAP - 2; i++)
		boot_info_add_mem(bi, (u64)i * 0x10000, 0x1000, MEM_RESERVED);
	for (i = 0; i < 5; i++)
		add(40, i % 2 ? 7 : 9, 0x100000000ULL + (u64)i * 0x1000, 1);   /* alternating */
	efi_memmap_convert(map, map_len, 40, bi);
	assert_int_equal(bi->nr_memmap, BOOT_MAX_MEMMAP);
	assert_int_equal(bi->memmap_dropped, 3);
	assert_range(BOOT_MAX_MEMMAP - 1, 0x100001000ULL, 0x1000, MEM_USABLE);
}

static void test_empty_map(void **state)
{
	(void)state;
	efi_memmap_convert(map, 0, 40, bi);
	efi_memmap_convert(map, 39, 40, bi);
	efi_memmap_convert(NULL, 0, 48, bi);
	assert_int_equal(bi->nr_memmap, 0);
	assert_int_equal(bi->nr_errors, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_type_mapping),
		T(test_merges_adjacent_same_type),
		T(test_no_merge_out_of_order),
		T(test_larger_descriptor_size),
		T(test_unaligned_map_and_partial_tail),
		T(test_descriptor_size_too_small),
		T(test_page_count_overflow),
		T(test_memmap_full_counts_dropped),
		T(test_empty_map),
	};

	setvbuf(stdout, NULL, _IONBF, 0);   /* a crash must not lose buffered results */
	return cmocka_run_group_tests_name("efi_memmap", tests, NULL, NULL);
}
