/* Unit tests of the physical page allocator: what it hands out and what it never does. */
#define _DEFAULT_SOURCE /* DT_DIR in struct dirent */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <cmocka.h>

#include "lib/pmm.h"
#include "lib/string.h"

static struct pmm m;
static struct boot_info bi;

static void map(void)
{
	memset(&bi, 0, sizeof bi);
	boot_info_add_mem(&bi, 0x0, 0x9f000, MEM_USABLE);            /* low memory */
	boot_info_add_mem(&bi, 0x9f000, 0x61000, MEM_RESERVED);       /* EBDA, ROMs */
	boot_info_add_mem(&bi, 0x100000, 0x3fe00000, MEM_USABLE);     /* 1 MiB .. 1 GiB - 1 MiB */
	boot_info_add_mem(&bi, 0x3ff00000, 0x80000, MEM_ACPI);
	boot_info_add_mem(&bi, 0x3ff80000, 0x80000, MEM_NVS);
	boot_info_add_mem(&bi, 0x100000000ULL, 0x40000000ULL, MEM_USABLE); /* 4-5 GiB */
	boot_info_add_mem(&bi, 0x20000000, 0x1000, MEM_RESERVED);     /* overlaps usable: firmware quirk */
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static void test_never_hands_out_reserved(void **state)
{
	(void)state;
	map();
	struct mem_range res[2] = { { 0x200000, 0x40000, 0, 0 },        /* image */
				    { 0x800000, 0x1800, 0, 0 } };       /* module, unaligned end */
	pmm_init(&m, &bi, res, 2);
	u64 n = 0, p;
	while ((p = pmm_alloc(&m, 1, 0)) != 0) {
		assert_true(p % PAGE_SIZE == 0);
		assert_false(p == 0);
		assert_false(overlaps(p, PAGE_SIZE, 0x9f000, 0x61000));
		assert_false(overlaps(p, PAGE_SIZE, 0x3ff00000, 0x100000));
		assert_false(overlaps(p, PAGE_SIZE, 0x20000000, 0x1000));
		assert_false(overlaps(p, PAGE_SIZE, 0x200000, 0x40000));
		assert_false(overlaps(p, PAGE_SIZE, 0x800000, 0x2000));
		assert_false(overlaps(p, PAGE_SIZE, 0x40000000, 0xc0000000));
		n++;
	}
	/* every usable page minus page 0, the overlap, image and module */
	u64 expect = (0x9f000 - 0x1000 + 0x3fe00000 - 0x1000 - 0x40000 - 0x2000 + 0x40000000ULL) /
		     PAGE_SIZE;
	assert_int_equal(n, expect);
	assert_int_equal(m.free_pages, 0);
}

static void test_limit_and_contiguity(void **state)
{
	(void)state;
	map();
	pmm_init(&m, &bi, NULL, 0);
	u64 p = pmm_alloc(&m, 16, 4ULL << 30);
	assert_true(p != 0 && p + 16 * PAGE_SIZE <= (4ULL << 30));
	u64 low = pmm_alloc(&m, 1, 1 << 20);
	assert_true(low != 0 && low < (1 << 20));
	u64 high = pmm_alloc(&m, 1, 0);
	assert_true(high >= 0x100000000ULL); /* highest first */
	assert_int_equal(pmm_alloc(&m, 0x50000, 0), 0); /* more than any extent */
}

static void test_free_merges(void **state)
{
	(void)state;
	map();
	pmm_init(&m, &bi, NULL, 0);
	u64 before = m.free_pages;
	u32 extents = m.nr;
	u64 a = pmm_alloc(&m, 4, 0), b = pmm_alloc(&m, 4, 0);
	assert_int_equal(b + 4 * PAGE_SIZE, a); /* top-down: b sits just below a */
	pmm_free(&m, b, 4);
	pmm_free(&m, a, 4);
	assert_int_equal(m.free_pages, before);
	assert_int_equal(m.nr, extents); /* merged back, not fragmented */
	assert_int_equal(pmm_alloc(&m, 8, 0), b);
}

static u64 extent_pages(void)
{
	u64 n = 0;
	for (u32 i = 0; i < m.nr; i++)
		n += m.ext[i].pages;
	return n;
}

/* A split that needs an extent when the table is full loses pages: they are counted, never silent. */
static void test_full_table_reports_lost_pages(void **state)
{
	(void)state;
	memset(&m, 0, sizeof m);
	for (u32 i = 0; i < PMM_MAX_EXTENTS; i++)                /* pages 16i+1 .. 16i+10 */
		m.ext[i] = (struct pmm_extent){ (u64)(16 * i + 1) * PAGE_SIZE, 10 };
	m.nr = PMM_MAX_EXTENTS;
	m.free_pages = m.total_pages = PMM_MAX_EXTENTS * 10;
	/* one page below 5 pages: page 4 of extent 0; pages 5..10 need a new extent and are lost */
	assert_int_equal(pmm_alloc(&m, 1, 5 * PAGE_SIZE), 4 * PAGE_SIZE);
	assert_int_equal(m.lost_pages, 6);
	assert_int_equal(m.free_pages, extent_pages());
	/* reserving page 84 in extent 5 (pages 81..90): 85..90 are lost */
	pmm_reserve(&m, 84 * PAGE_SIZE, PAGE_SIZE);
	assert_int_equal(m.lost_pages, 12);
}

/* Guest RAM: n pages aligned to 2 MiB, the slack around it given back. */
static void test_aligned_alloc(void **state)
{
	(void)state;
	map();
	pmm_init(&m, &bi, NULL, 0);
	u64 free0 = m.free_pages;
	u64 p = pmm_alloc_aligned(&m, 1024, 2 * MiB, 0);
	assert_true(p != 0 && p % (2 * MiB) == 0);
	assert_int_equal(m.free_pages, free0 - 1024);
	assert_int_equal(m.free_pages, extent_pages());
	for (u32 i = 0; i < m.nr; i++)                          /* nothing free inside [p, p+4 MiB) */
		assert_false(overlaps(m.ext[i].base, m.ext[i].pages * PAGE_SIZE, p, 4 * MiB));
	pmm_free(&m, p, 1024);
	assert_int_equal(m.free_pages, free0);
}

/* The entry points that take no lock (pmm_lock is taken by the pmm_*_pages wrappers). */
static const char *const unlocked[] = { "pmm_alloc", "pmm_alloc_aligned", "pmm_free", "pmm_reserve" };

/* A call of an unlocked entry point in the text: the name, not part of a longer identifier,
 * followed by "(". Returns the name, or NULL. */
static const char *unlocked_call(const char *line)
{
	for (size_t k = 0; k < sizeof unlocked / sizeof unlocked[0]; k++) {
		size_t n = strlen(unlocked[k]);
		for (const char *p = strstr(line, unlocked[k]); p; p = strstr(p + 1, unlocked[k])) {
			char before = p == line ? ' ' : p[-1], after = p[n];
			const char *q = p + n;
			if (before == '_' || (before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
			    (before >= '0' && before <= '9') || after == '_' ||
			    (after >= 'a' && after <= 'z') || (after >= '0' && after <= '9'))
				continue;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '(')
				return unlocked[k];
		}
	}
	return NULL;
}

/* Files under dir (recursively) whose lines call an unlocked entry point; lib/pmm.c and
 * lib/pmm.h, which define them, are not counted. Adds the number of C files seen to *seen. */
static int scan_dir(const char *dir, int *seen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int bad = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512], line[512];
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			bad += scan_dir(path, seen);
			continue;
		}
		if (len < 3 || e->d_name[len - 2] != '.' || (e->d_name[len - 1] != 'c' && e->d_name[len - 1] != 'h'))
			continue;
		if (!strcmp(path, "lib/pmm.c") || !strcmp(path, "lib/pmm.h"))
			continue;
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		(*seen)++;
		for (u32 ln = 1; fgets(line, sizeof line, f); ln++) {
			const char *name = unlocked_call(line);
			if (name) {
				print_error("%s:%u calls %s, which takes no lock: use pmm_alloc_pages, "
					    "pmm_alloc_pages_aligned or pmm_free_pages (D19)\n", path, ln, name);
				bad++;
			}
		}
		fclose(f);
	}
	closedir(d);
	return bad;
}

/*
 * D19: the hypervisor allocates through the locked wrappers only. APs allocate (vmx_cpu_init)
 * while the boot CPU builds domains, so a call of the unlocked pmm_alloc/pmm_alloc_aligned/
 * pmm_free/pmm_reserve outside lib/pmm.c can corrupt the extent table. pmm_init runs once on
 * the boot CPU before any AP starts and is allowed. The scan runs from the repository root.
 */
static void test_unlocked_entry_points_stay_in_pmm(void **state)
{
	(void)state;
	static const char *const dirs[] = { "arch", "boot", "drivers", "iommu", "lib", "selftest", "vmm" };
	int seen = 0, bad = 0;
	assert_true(unlocked_call("x = pmm_alloc (&m, 1, 0);") && !unlocked_call("pmm_alloc_pages(1, 0)") &&
		    !unlocked_call("my_pmm_free(a)"));          /* the matcher itself */
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		bad += scan_dir(dirs[i], &seen);
	assert_true(seen > 50);                                 /* the scan saw the tree */
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_hands_out_reserved),
		cmocka_unit_test(test_limit_and_contiguity),
		cmocka_unit_test(test_free_merges),
		cmocka_unit_test(test_full_table_reports_lost_pages),
		cmocka_unit_test(test_aligned_alloc),
		cmocka_unit_test(test_unlocked_entry_points_stay_in_pmm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
