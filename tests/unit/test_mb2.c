/* Unit tests of the multiboot2 info parser (boot/mb2_parse.c) and the boot_info helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/efi_memmap.h"
#include "boot/mb2_parse.h"
#include "tests/common/mb2_image.h"

static struct mb2_image im;
static struct boot_info *bi;

static int setup(void **state)
{
	(void)state;
	mb2_begin(&im);
	bi = calloc(1, sizeof(*bi));   /* on the heap: ASan sees writes past the end */
	return bi == NULL;
}

static int teardown(void **state)
{
	(void)state;
	free(bi);
	return 0;
}

static status_t parse(void)
{
	return mb2_parse(im.buf, im.len, bi);
}

static void dump_errors(void)
{
	u32 i;

	for (i = 0; i < bi->nr_errors && i < BOOT_MAX_ERRORS; i++)
		print_message("  error[%u]: %s\n", i, bi->errors[i]);
}

static void assert_error(const char *a, const char *b)
{
	u32 i;

	for (i = 0; i < bi->nr_errors && i < BOOT_MAX_ERRORS; i++)
		if (strstr(bi->errors[i], a) && (b == NULL || strstr(bi->errors[i], b)))
			return;
	dump_errors();
	fail_msg("no error containing '%s'%s%s", a, b ? " and " : "", b ? b : "");
}

static void assert_no_errors(void)
{
	if (bi->nr_errors != 0) {
		dump_errors();
		fail_msg("%u unexpected errors", bi->nr_errors);
	}
}

static const struct mb2_mmap_entry std_map[] = {
	{ 0x0, 0x9fc00, 1, 0 },
	{ 0x9fc00, 0x400, 2, 0 },
	{ 0x100000, 0x7ee0000, 1, 0 },
	{ 0x7fe0000, 0x20000, 3, 0 },
	{ 0x8000000, 0x1000, 4, 0 },
	{ 0x8001000, 0x1000, 5, 0 },
	{ 0xfffc0000, 0x40000, 7, 0 },        /* unknown type: reserved */
	{ 0x100000000ULL, 0, 1, 0 },          /* zero length: dropped */
};

static void build_bios_info(void)
{
	u8 meminfo[8] = { 0x7f, 2, 0, 0, 0x80, 0xfb, 1, 0 };
	u8 rsdp[20];
	u32 i;

	for (i = 0; i < sizeof(rsdp); i++)
		rsdp[i] = (u8)(0x40 + i);
	mb2_string(&im, MB2_TAG_CMDLINE, "console=com2 baud=9600");
	mb2_string(&im, MB2_TAG_LOADER_NAME, "GRUB 2.06");
	mb2_module(&im, 0x200000, 0x201234, "/passage.cfg");
	mb2_tag(&im, MB2_TAG_BASIC_MEMINFO, meminfo, sizeof(meminfo));
	mb2_module(&im, 0x300000, 0x700000, "/vmlinuz console=ttyS0");
	mb2_mmap(&im, 24, std_map, ARRAY_SIZE(std_map));
	mb2_tag(&im, MB2_TAG_ACPI_OLD, rsdp, sizeof(rsdp));
	mb2_framebuffer(&im, 0xfd000000ULL, 4096, 1024, 768, 32, 1);
	mb2_end(&im);
}

/* ---- well-formed info ---- */

static void test_bios_info_fields(void **state)
{
	(void)state;
	build_bios_info();
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_int_equal(bi->path, BOOT_PATH_MULTIBOOT2_BIOS);
	assert_string_equal(bi->cmdline, "console=com2 baud=9600");
	assert_string_equal(bi->loader, "GRUB 2.06");
	assert_int_equal(bi->fb_base, 0xfd000000ULL);
	assert_int_equal(bi->fb_pitch, 4096);
	assert_int_equal(bi->fb_width, 1024);
	assert_int_equal(bi->fb_height, 768);
	assert_int_equal(bi->fb_bpp, 32);
	assert_int_equal(bi->rsdp_copy_len, 20);
	assert_int_equal(bi->rsdp_copy[0], 0x40);
	assert_int_equal(bi->rsdp_copy[19], 0x53);
	assert_int_equal(bi->rsdp_copy[20], 0);
}

static void test_modules(void **state)
{
	(void)state;
	build_bios_info();
	assert_int_equal(parse(), OK);
	assert_int_equal(bi->nr_modules, 2);
	assert_int_equal(bi->modules[0].start, 0x200000);
	assert_int_equal(bi->modules[0].end, 0x201234);
	assert_string_equal(bi->modules[0].name, "/passage.cfg");
	assert_int_equal(bi->modules[1].start, 0x300000);
	assert_int_equal(bi->modules[1].end, 0x700000);
	assert_string_equal(bi->modules[1].name, "/vmlinuz console=ttyS0");
}

static void test_memory_map_types(void **state)
{
	static const u32 want[] = { MEM_USABLE, MEM_RESERVED, MEM_USABLE, MEM_ACPI,
				    MEM_NVS, MEM_BAD, MEM_RESERVED };
	u32 i;

	(void)state;
	build_bios_info();
	assert_int_equal(parse(), OK);
	assert_int_equal(bi->nr_memmap, ARRAY_SIZE(want));   /* zero-length entry dropped */
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(bi->memmap[i].base, std_map[i].base_addr);
		assert_int_equal(bi->memmap[i].length, std_map[i].length);
		assert_int_equal(bi->memmap[i].type, want[i]);
	}
}

static void test_mmap_larger_entry_size(void **state)
{
	(void)state;
	mb2_mmap(&im, 32, std_map, 3);
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_int_equal(bi->nr_memmap, 3);
	assert_int_equal(bi->memmap[2].base, 0x100000);
	assert_int_equal(bi->memmap[2].length, 0x7ee0000);
}

static void test_memmap_overflow_counted(void **state)
{
	struct mb2_mmap_entry e[300];
	u32 i;

	(void)state;
	for (i = 0; i < 300; i++) {
		e[i].base_addr = (u64)i * 0x2000;
		e[i].length = 0x1000;
		e[i].type = 1;
		e[i].reserved = 0;
	}
	mb2_mmap(&im, 24, e, 300);
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_int_equal(bi->nr_memmap, BOOT_MAX_MEMMAP);
	assert_int_equal(bi->memmap_dropped, 44);
	assert_int_equal(bi->memmap[255].base, 255 * 0x2000);
}

static void test_uefi_path(void **state)
{
	static const u32 tags[] = { MB2_TAG_EFI64, MB2_TAG_EFI64_IH };
	u64 ptr = 0x7f000000;
	u32 i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(tags); i++) {
		mb2_begin(&im);
		memset(bi, 0, sizeof(*bi));
		mb2_tag(&im, tags[i], &ptr, sizeof(ptr));
		mb2_end(&im);
		assert_int_equal(parse(), OK);
		assert_int_equal(bi->path, BOOT_PATH_MULTIBOOT2_UEFI);
	}
}

static void test_acpi_new_preferred(void **state)
{
	u8 old_rsdp[20], new_rsdp[36];

	(void)state;
	memset(old_rsdp, 0x11, sizeof(old_rsdp));
	memset(new_rsdp, 0x22, sizeof(new_rsdp));
	mb2_tag(&im, MB2_TAG_ACPI_NEW, new_rsdp, sizeof(new_rsdp));
	mb2_tag(&im, MB2_TAG_ACPI_OLD, old_rsdp, sizeof(old_rsdp));
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_int_equal(bi->rsdp_copy_len, 36);
	assert_int_equal(bi->rsdp_copy[0], 0x22);
	assert_int_equal(bi->rsdp_copy[35], 0x22);

	mb2_begin(&im);
	memset(bi, 0, sizeof(*bi));
	mb2_tag(&im, MB2_TAG_ACPI_OLD, old_rsdp, sizeof(old_rsdp));
	mb2_tag(&im, MB2_TAG_ACPI_NEW, new_rsdp, sizeof(new_rsdp));
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_int_equal(bi->rsdp_copy_len, 36);
	assert_int_equal(bi->rsdp_copy[0], 0x22);
}

static void test_unknown_tags_skipped(void **state)
{
	u8 junk[13] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 2, 3, 4, 5 };

	(void)state;
	mb2_tag(&im, 99, junk, sizeof(junk));
	mb2_tag(&im, MB2_TAG_BOOTDEV, junk, 12);
	mb2_string(&im, MB2_TAG_CMDLINE, "nosmp");
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_string_equal(bi->cmdline, "nosmp");
}

static void test_unaligned_info(void **state)
{
	u8 *raw = malloc(MB2_IMAGE_SIZE + 1);

	(void)state;
	build_bios_info();
	memcpy(raw + 1, im.buf, im.len);
	assert_int_equal(mb2_parse(raw + 1, im.len, bi), OK);
	assert_no_errors();
	assert_int_equal(bi->nr_memmap, 7);
	assert_int_equal(bi->modules[1].end, 0x700000);
	assert_int_equal(bi->fb_base, 0xfd000000ULL);
	free(raw);
}

/* ---- EFI memory map ---- */

static void put_desc(u8 *p, u32 type, u64 start, u64 pages)
{
	struct efi_memory_desc d = { type, 0, start, 0, pages, 0xf };

	memcpy(p, &d, sizeof(d));
}

static void test_efi_mmap_used_without_mmap(void **state)
{
	u8 descs[3 * 48] = { 0 };

	(void)state;
	put_desc(descs, EFI_CONVENTIONAL_MEMORY, 0, 0x9f);
	put_desc(descs + 48, EFI_BOOT_SERVICES_DATA, 0x100000, 0x100);
	put_desc(descs + 96, EFI_ACPI_MEMORY_NVS, 0x200000, 1);
	mb2_efi_mmap(&im, 48, descs, sizeof(descs));
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_int_equal(bi->path, BOOT_PATH_MULTIBOOT2_UEFI);
	assert_int_equal(bi->nr_memmap, 3);
	assert_int_equal(bi->memmap[0].length, 0x9f000);
	assert_int_equal(bi->memmap[1].base, 0x100000);
	assert_int_equal(bi->memmap[1].type, MEM_USABLE);
	assert_int_equal(bi->memmap[2].type, MEM_NVS);
}

static void test_efi_mmap_ignored_with_mmap(void **state)
{
	u8 descs[40];

	(void)state;
	put_desc(descs, EFI_CONVENTIONAL_MEMORY, 0x40000000, 0x10);
	mb2_efi_mmap(&im, 40, descs, sizeof(descs));
	mb2_mmap(&im, 24, std_map, 2);
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_int_equal(bi->nr_memmap, 2);
	assert_int_equal(bi->memmap[0].base, 0);
	assert_int_equal(bi->memmap[1].type, MEM_RESERVED);
}

/* ---- malformed info ---- */

static void test_total_size_invalid(void **state)
{
	u32 v;
	u8 *big;

	(void)state;
	mb2_string(&im, MB2_TAG_CMDLINE, "nosmp");
	mb2_end(&im);
	assert_int_equal(mb2_parse(im.buf, im.len - 1, bi), E_INVAL);    /* total > avail */
	assert_error("total_size 32 invalid", NULL);
	v = 15;
	memcpy(im.buf, &v, 4);
	assert_int_equal(parse(), E_INVAL);
	assert_error("total_size 15 invalid", NULL);
	assert_int_equal(mb2_parse(im.buf, 7, bi), E_INVAL);              /* no header */
	assert_int_equal(mb2_parse(NULL, 100, bi), E_INVAL);
	big = calloc(1, MB2_INFO_MAX + 16);
	v = MB2_INFO_MAX + 8;
	memcpy(big, &v, 4);
	assert_int_equal(mb2_parse(big, MB2_INFO_MAX + 16, bi), E_INVAL);
	free(big);
	assert_int_equal(bi->cmdline[0], 0);
	assert_int_equal(bi->nr_errors, 5);
}

static void test_tag_past_end(void **state)
{
	u8 payload[16] = { 0 };
	u32 off;
	char want[100];

	(void)state;
	mb2_string(&im, MB2_TAG_CMDLINE, "xapic");
	off = mb2_tag_sized(&im, MB2_TAG_MMAP, 200, payload, sizeof(payload));
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	snprintf(want, sizeof(want), "multiboot2: tag 6 at offset 0x%x: size 200 runs past total_size %u",
		 off, im.len);
	assert_string_equal(bi->errors[0], want);
	assert_int_equal(bi->nr_errors, 1);
	assert_string_equal(bi->cmdline, "xapic");     /* what came before is kept */
	assert_int_equal(bi->nr_memmap, 0);
}

static void test_tag_size_below_header(void **state)
{
	(void)state;
	mb2_string(&im, MB2_TAG_LOADER_NAME, "GRUB");
	mb2_tag_sized(&im, 77, 4, NULL, 0);
	mb2_string(&im, MB2_TAG_CMDLINE, "nosmp");
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_error("multiboot2: tag 77 at offset 0x18", "size 4 smaller than the tag header");
	assert_string_equal(bi->loader, "GRUB");
	assert_string_equal(bi->cmdline, "");          /* the walk stopped at the bad tag */
}

static void test_missing_end_tag(void **state)
{
	(void)state;
	mb2_string(&im, MB2_TAG_CMDLINE, "maxcpus=2");
	mb2_mmap(&im, 24, std_map, 1);
	mb2_set_total(&im);
	assert_int_equal(parse(), OK);
	assert_error("no end tag", NULL);
	assert_int_equal(bi->nr_errors, 1);
	assert_string_equal(bi->cmdline, "maxcpus=2");
	assert_int_equal(bi->nr_memmap, 1);
	assert_int_equal(bi->path, BOOT_PATH_MULTIBOOT2_BIOS);
}

static void test_end_tag_stops_walk(void **state)
{
	(void)state;
	mb2_end(&im);
	mb2_string(&im, MB2_TAG_CMDLINE, "after-the-end");
	mb2_set_total(&im);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_string_equal(bi->cmdline, "");
}

static void test_tiny_mmap_entry_size(void **state)
{
	(void)state;
	mb2_mmap(&im, 16, std_map, 3);
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_string_equal(bi->errors[0], "multiboot2: tag 6 at offset 0x8: mmap entry_size 16 < 24");
	assert_int_equal(bi->nr_memmap, 0);
}

static void test_mmap_header_too_small(void **state)
{
	u8 p[4] = { 24, 0, 0, 0 };

	(void)state;
	mb2_tag(&im, MB2_TAG_MMAP, p, sizeof(p));
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_string_equal(bi->errors[0],
			    "multiboot2: tag 6 at offset 0x8: size 12 too small for mmap header");
}

static void test_loader_name_not_terminated(void **state)
{
	(void)state;
	mb2_tag(&im, MB2_TAG_LOADER_NAME, "GRUBGRUB", 8);   /* no NUL inside the tag */
	mb2_string(&im, MB2_TAG_CMDLINE, "nosmp");
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_error("tag 2 at offset 0x8", "not NUL-terminated");
	assert_string_equal(bi->loader, "");
	assert_string_equal(bi->cmdline, "nosmp");
}

static void test_cmdline_truncated(void **state)
{
	char s[600];

	(void)state;
	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	mb2_string(&im, MB2_TAG_CMDLINE, s);
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_error("command line of 599 bytes truncated to 511", NULL);
	assert_int_equal(strlen(bi->cmdline), BOOT_CMDLINE_MAX - 1);
}

static void test_bad_modules(void **state)
{
	u8 shortmod[6] = { 0 };
	u8 unterminated[12] = { 0, 0, 0x10, 0, 0, 0, 0x20, 0, 'a', 'b', 'c', 'd' };

	(void)state;
	mb2_module(&im, 0x500000, 0x400000, "backwards");
	mb2_tag(&im, MB2_TAG_MODULE, shortmod, sizeof(shortmod));
	mb2_tag(&im, MB2_TAG_MODULE, unterminated, sizeof(unterminated));
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_error("module end 0x400000 below start 0x500000", NULL);
	assert_error("size 14 too small for a module", NULL);
	assert_error("not NUL-terminated", NULL);
	assert_int_equal(bi->nr_modules, 1);           /* unnamed, but its memory is in use */
	assert_int_equal(bi->modules[0].start, 0x100000);
	assert_int_equal(bi->modules[0].end, 0x200000);
	assert_string_equal(bi->modules[0].name, "");
}

static void test_too_many_modules(void **state)
{
	char name[16];
	u32 i;

	(void)state;
	for (i = 0; i < BOOT_MAX_MODULES + 1; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		mb2_module(&im, i * 0x1000, i * 0x1000 + 0x800, name);
	}
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_int_equal(bi->nr_modules, BOOT_MAX_MODULES);
	assert_string_equal(bi->modules[15].name, "m15");
	assert_error("more than 16 modules", NULL);
}

static void test_framebuffer_variants(void **state)
{
	u8 tiny[16] = { 0 };

	(void)state;
	mb2_framebuffer(&im, 0xb8000, 160, 80, 25, 16, 2);   /* EGA text: not a framebuffer */
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_int_equal(bi->fb_base, 0);

	mb2_begin(&im);
	memset(bi, 0, sizeof(*bi));
	mb2_tag(&im, MB2_TAG_FRAMEBUFFER, tiny, sizeof(tiny));
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_error("size 24 too small for framebuffer info", NULL);
	assert_int_equal(bi->fb_base, 0);
}

static void test_short_acpi_tag(void **state)
{
	u8 rsdp[12] = { 'R', 'S', 'D' };

	(void)state;
	mb2_tag(&im, MB2_TAG_ACPI_NEW, rsdp, sizeof(rsdp));
	mb2_end(&im);
	assert_int_equal(parse(), OK);
	assert_error("tag 15 at offset 0x8", "too small for an RSDP");
	assert_int_equal(bi->rsdp_copy_len, 0);
}

/* ---- boot_info helpers ---- */

static void test_boot_info_error_counts_past_capacity(void **state)
{
	u32 i;

	(void)state;
	for (i = 0; i < BOOT_MAX_ERRORS + 4; i++)
		boot_info_error(bi, "problem %u", i);
	assert_int_equal(bi->nr_errors, BOOT_MAX_ERRORS + 4);
	assert_string_equal(bi->errors[0], "problem 0");
	assert_string_equal(bi->errors[BOOT_MAX_ERRORS - 1], "problem 7");
}

static void test_boot_info_error_truncates(void **state)
{
	char longmsg[300];

	(void)state;
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	boot_info_error(bi, "%s", longmsg);
	assert_int_equal(strlen(bi->errors[0]), BOOT_ERROR_MAX - 1);
}

static void test_boot_info_add_mem(void **state)
{
	u32 i;

	(void)state;
	boot_info_add_mem(bi, 0x1000, 0, MEM_USABLE);
	assert_int_equal(bi->nr_memmap, 0);
	boot_info_add_mem(bi, 0xfffffffffffff000ULL, 0x2000, MEM_RESERVED);   /* wraps */
	assert_int_equal(bi->nr_memmap, 1);
	assert_int_equal(bi->memmap[0].length, 0x1000);
	assert_error("wraps past 2^64", NULL);
	for (i = 1; i < BOOT_MAX_MEMMAP + 3; i++)
		boot_info_add_mem(bi, i * 0x1000, 0x1000, MEM_USABLE);
	assert_int_equal(bi->nr_memmap, BOOT_MAX_MEMMAP);
	assert_int_equal(bi->memmap_dropped, 3);
	assert_int_equal(bi->memmap[BOOT_MAX_MEMMAP - 1].base, (BOOT_MAX_MEMMAP - 1) * 0x1000);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bios_info_fields),
		T(test_modules),
		T(test_memory_map_types),
		T(test_mmap_larger_entry_size),
		T(test_memmap_overflow_counted),
		T(test_uefi_path),
		T(test_acpi_new_preferred),
		T(test_unknown_tags_skipped),
		T(test_unaligned_info),
		T(test_efi_mmap_used_without_mmap),
		T(test_efi_mmap_ignored_with_mmap),
		T(test_total_size_invalid),
		T(test_tag_past_end),
		T(test_tag_size_below_header),
		T(test_missing_end_tag),
		T(test_end_tag_stops_walk),
		T(test_tiny_mmap_entry_size),
		T(test_mmap_header_too_small),
		T(test_loader_name_not_terminated),
		T(test_cmdline_truncated),
		T(test_bad_modules),
		T(test_too_many_modules),
		T(test_framebuffer_variants),
		T(test_short_acpi_tag),
		T(test_boot_info_error_counts_past_capacity),
		T(test_boot_info_error_truncates),
		T(test_boot_info_add_mem),
	};

	setvbuf(stdout, NULL, _IONBF, 0);   /* a crash must not lose buffered results */
	return cmocka_run_group_tests_name("mb2", tests, NULL, NULL);
}
