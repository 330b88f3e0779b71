/* Unit tests of the ACPI parser (arch/x86/acpi_tables.c) on hand-built tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/acpi_tables.h"
#include "tests/common/acpi_image.h"

#define MEM_BASE 0x7fe0000ULL

static struct acpi_image im;
static struct acpi_platform out;

/* Addresses of the standard platform built by build_platform(). */
static struct {
	u64 rsdp, xsdt, rsdt, madt, mcfg, dmar, facp;
} g;

static const struct acpi_mcfg_alloc std_mcfg[] = {
	{ 0xb0000000ULL, 0, 0, 255, 0 },
	{ 0xc0000000ULL, 1, 0, 63, 0 },
};

static void build_std_madt(struct madt_build *b)
{
	madt_init(b, 0xfee00000, 1 /* PCAT_COMPAT */);
	madt_lapic(b, 0, 0, MADT_LAPIC_ENABLED);
	madt_lapic(b, 1, 2, MADT_LAPIC_ENABLED);
	madt_lapic(b, 2, 4, 0);                          /* disabled, not hot-pluggable */
	madt_lapic(b, 3, 6, MADT_LAPIC_ONLINE_CAPABLE);  /* hot-pluggable */
	madt_x2apic(b, 1, 2, MADT_LAPIC_ENABLED);        /* same CPU as APIC ID 2 */
	madt_x2apic(b, 10, 0x100, MADT_LAPIC_ENABLED);
	madt_ioapic(b, 8, 0xfec00000, 0);
	madt_ioapic(b, 9, 0xfec01000, 24);
	madt_iso(b, 0, 0, 2, 0);
	madt_iso(b, 0, 9, 9, 0x000d);                    /* SCI: level-triggered, active high */
	madt_nmi(b, 0xff, 0x0005, 1);
}

/* RSDP (revision 2) -> XSDT and RSDT -> MADT, MCFG, DMAR, FACP. */
static void build_platform(u8 revision)
{
	struct madt_build *b = calloc(1, sizeof(*b));
	u8 facp_body[8] = { 0 };
	u64 x[4];
	u32 r[4];

	acpi_image_init(&im, MEM_BASE);
	g.rsdp = acpi_image_alloc(&im, 36);
	build_std_madt(b);
	g.madt = madt_emit(&im, b);
	g.mcfg = mcfg_emit(&im, std_mcfg, 2);
	g.dmar = dmar_emit(&im);
	g.facp = acpi_image_table(&im, "FACP", facp_body, sizeof(facp_body));
	x[0] = r[0] = (u32)g.facp;
	x[1] = r[1] = (u32)g.madt;
	x[2] = r[2] = (u32)g.mcfg;
	x[3] = r[3] = (u32)g.dmar;
	g.xsdt = acpi_image_xsdt(&im, x, 4);
	g.rsdt = acpi_image_rsdt(&im, r, 4);
	acpi_image_rsdp_at(&im, g.rsdp, revision, (u32)g.rsdt, g.xsdt);
	free(b);
}

/* A platform whose XSDT lists exactly the given tables (RSDT lists the same). */
static void build_with_tables(const u64 *tables, u32 n)
{
	u32 r[128];
	u32 i;

	for (i = 0; i < n; i++)
		r[i] = (u32)tables[i];
	g.xsdt = acpi_image_xsdt(&im, tables, n);
	g.rsdt = acpi_image_rsdt(&im, r, n);
	acpi_image_rsdp_at(&im, g.rsdp, 2, (u32)g.rsdt, g.xsdt);
}

static void start_image(void)
{
	acpi_image_init(&im, MEM_BASE);
	g.rsdp = acpi_image_alloc(&im, 36);
}

static status_t parse(void)
{
	return acpi_parse(g.rsdp, NULL, acpi_image_map, &im, &out);
}

static void dump_errors(void)
{
	u32 i;

	for (i = 0; i < out.nr_errors && i < ACPI_MAX_ERRORS; i++)
		print_message("  error[%u]: %s\n", i, out.errors[i]);
}

/* Fails unless some recorded error contains every one of the given substrings. */
static void assert_error(const char *a, const char *b)
{
	u32 i;

	for (i = 0; i < out.nr_errors && i < ACPI_MAX_ERRORS; i++)
		if (strstr(out.errors[i], a) && (b == NULL || strstr(out.errors[i], b)))
			return;
	dump_errors();
	fail_msg("no error containing '%s'%s%s", a, b ? " and " : "", b ? b : "");
}

static void assert_no_errors(void)
{
	if (out.nr_errors != 0) {
		dump_errors();
		fail_msg("%u unexpected errors", out.nr_errors);
	}
}

static const struct acpi_table_ref *find_table(const char *sig, u64 phys)
{
	u32 i;

	for (i = 0; i < out.nr_tables; i++)
		if (strcmp(out.tables[i].signature, sig) == 0 && out.tables[i].phys == phys)
			return &out.tables[i];
	fail_msg("table %s at 0x%llx not recorded", sig, (unsigned long long)phys);
	return NULL;
}

static const struct acpi_cpu *find_cpu(u32 apic_id)
{
	u32 i;

	for (i = 0; i < out.nr_cpus; i++)
		if (out.cpus[i].apic_id == apic_id)
			return &out.cpus[i];
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	memset(&g, 0, sizeof(g));
	memset(&out, 0xa5, sizeof(out));   /* the parser must clear it */
	return 0;
}

/* ---- the whole platform ---- */

static void test_full_platform_via_xsdt(void **state)
{
	(void)state;
	build_platform(2);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_int_equal(out.rsdp_revision, 2);
	assert_true(out.used_xsdt);
	assert_int_equal(out.nr_tables, 5);
	assert_true(find_table("XSDT", g.xsdt)->valid);
	assert_true(find_table("APIC", g.madt)->valid);
	assert_int_equal(find_table("DMAR", g.dmar)->length, 36 + 28);
}

static void test_madt_cpus(void **state)
{
	const struct acpi_cpu *c;

	(void)state;
	build_platform(2);
	assert_int_equal(parse(), OK);
	assert_true(out.have_madt);
	assert_int_equal(out.lapic_address, 0xfee00000);
	assert_true(out.pcat_compat);
	/* IDs 0, 2 (xAPIC and x2APIC entry: one CPU), 6 (online capable), 0x100 */
	assert_int_equal(out.nr_cpus, 4);
	assert_int_equal(out.cpus_dropped, 0);
	assert_int_equal(out.cpus[0].apic_id, 0);
	assert_int_equal(out.cpus[1].apic_id, 2);
	assert_int_equal(out.cpus[1].uid, 1);
	assert_false(out.cpus[1].x2apic_entry);
	assert_null(find_cpu(4));
	c = find_cpu(6);
	assert_non_null(c);
	assert_false(c->enabled);
	assert_true(c->online_capable);
	c = find_cpu(0x100);
	assert_non_null(c);
	assert_true(c->x2apic_entry);
	assert_true(c->enabled);
	assert_int_equal(c->uid, 10);
}

static void test_madt_ioapics_and_overrides(void **state)
{
	(void)state;
	build_platform(2);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_ioapics, 2);
	assert_int_equal(out.ioapics[0].id, 8);
	assert_int_equal(out.ioapics[0].address, 0xfec00000);
	assert_int_equal(out.ioapics[0].gsi_base, 0);
	assert_int_equal(out.ioapics[1].id, 9);
	assert_int_equal(out.ioapics[1].address, 0xfec01000);
	assert_int_equal(out.ioapics[1].gsi_base, 24);
	assert_int_equal(out.nr_overrides, 2);
	assert_int_equal(out.overrides[0].source, 0);
	assert_int_equal(out.overrides[0].gsi, 2);
	assert_int_equal(out.overrides[0].flags, 0);
	assert_int_equal(out.overrides[1].bus, 0);
	assert_int_equal(out.overrides[1].source, 9);
	assert_int_equal(out.overrides[1].gsi, 9);
	assert_int_equal(out.overrides[1].flags, 0x000d);
}

static void test_mcfg_and_dmar(void **state)
{
	(void)state;
	build_platform(2);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_mcfg, 2);
	assert_int_equal(out.mcfg[0].base, 0xb0000000ULL);
	assert_int_equal(out.mcfg[0].segment, 0);
	assert_int_equal(out.mcfg[0].start_bus, 0);
	assert_int_equal(out.mcfg[0].end_bus, 255);
	assert_int_equal(out.mcfg[1].base, 0xc0000000ULL);
	assert_int_equal(out.mcfg[1].segment, 1);
	assert_int_equal(out.mcfg[1].end_bus, 63);
	assert_int_equal(out.dmar_phys, g.dmar);
	assert_int_equal(out.dmar_length, 64);
}

/* ---- RSDP ---- */

static void test_rsdp_revision0_uses_rsdt(void **state)
{
	(void)state;
	build_platform(0);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_int_equal(out.rsdp_revision, 0);
	assert_false(out.used_xsdt);
	assert_non_null(find_table("RSDT", g.rsdt));
	assert_int_equal(out.nr_cpus, 4);
	assert_int_equal(out.dmar_phys, g.dmar);
}

static void test_rsdp_revision2_without_xsdt_uses_rsdt(void **state)
{
	(void)state;
	build_platform(2);
	acpi_image_rsdp_at(&im, g.rsdp, 2, (u32)g.rsdt, 0);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_false(out.used_xsdt);
	assert_int_equal(out.nr_mcfg, 2);
}

static void test_rsdp_bad_checksum(void **state)
{
	(void)state;
	build_platform(2);
	acpi_image_ptr(&im, g.rsdp)[9] ^= 0x40;   /* OEM ID byte: covered by the 20-byte sum */
	assert_int_equal(parse(), E_INVAL);
	assert_error("RSDP", "checksum mismatch (sum 0x");
	assert_int_equal(out.nr_tables, 0);
	assert_false(out.have_madt);
}

static void test_rsdp_bad_signature(void **state)
{
	(void)state;
	build_platform(2);
	memcpy(acpi_image_ptr(&im, g.rsdp), "RSD PTX ", 8);
	acpi_image_fix_rsdp(&im, g.rsdp);
	assert_int_equal(parse(), E_INVAL);
	assert_error("RSDP", "bad signature");
}

static void test_rsdp_extended_checksum_falls_back(void **state)
{
	(void)state;
	build_platform(2);
	acpi_image_ptr(&im, g.rsdp)[33] = 0x11;   /* reserved byte: only in the extended sum */
	assert_int_equal(parse(), OK);
	assert_error("RSDP", "extended checksum mismatch (sum 0x11)");
	assert_false(out.used_xsdt);
	assert_true(out.have_madt);
}

static void test_rsdp_length_out_of_range(void **state)
{
	u32 len = 5000;

	(void)state;
	build_platform(2);
	memcpy(acpi_image_ptr(&im, g.rsdp) + 20, &len, 4);
	acpi_image_ptr(&im, g.rsdp)[8] = 0;   /* fix only the 20-byte sum */
	acpi_image_ptr(&im, g.rsdp)[8] = (u8)(0x100 - acpi_image_sum(acpi_image_ptr(&im, g.rsdp), 20));
	assert_int_equal(parse(), OK);
	assert_error("RSDP: length 5000 out of range", NULL);
	assert_false(out.used_xsdt);
}

static void test_rsdp_missing_or_unmapped(void **state)
{
	(void)state;
	build_platform(2);
	assert_int_equal(acpi_parse(0, NULL, acpi_image_map, &im, &out), E_NOENT);
	assert_error("no RSDP", NULL);
	assert_int_equal(acpi_parse(0x1000, NULL, acpi_image_map, &im, &out), E_NOENT);
	assert_error("RSDP at 0x1000", "not readable");
	/* RSDP in the last 10 bytes of memory: cannot read 20 */
	assert_int_equal(acpi_parse(MEM_BASE + ACPI_IMAGE_SIZE - 10, NULL, acpi_image_map, &im,
				    &out), E_NOENT);
}

static void test_rsdp_copy_from_boot_loader(void **state)
{
	u8 copy[36];

	(void)state;
	build_platform(2);
	memcpy(copy, acpi_image_ptr(&im, g.rsdp), 36);
	memset(acpi_image_ptr(&im, g.rsdp), 0, 36);     /* the copy, not memory, is used */
	assert_int_equal(acpi_parse(0, copy, acpi_image_map, &im, &out), OK);
	assert_no_errors();
	assert_true(out.used_xsdt);
	assert_int_equal(out.nr_cpus, 4);
	copy[30] ^= 1;                                   /* xsdt_address: extended sum only */
	assert_int_equal(acpi_parse(0, copy, acpi_image_map, &im, &out), OK);
	assert_error("extended checksum", NULL);
	assert_false(out.used_xsdt);
}

/* ---- root tables ---- */

static void test_bad_xsdt_falls_back_to_rsdt(void **state)
{
	const struct acpi_table_ref *t;
	char want[80];

	(void)state;
	build_platform(2);
	acpi_image_ptr(&im, g.xsdt)[20] += 0x3c;   /* OEM table ID byte */
	assert_int_equal(parse(), OK);
	snprintf(want, sizeof(want), "ACPI: XSDT at 0x%llx: checksum mismatch (sum 0x3c)",
		 (unsigned long long)g.xsdt);
	assert_string_equal(out.errors[0], want);
	assert_error("falling back to the RSDT", NULL);
	assert_false(out.used_xsdt);
	t = find_table("XSDT", g.xsdt);
	assert_false(t->valid);
	assert_true(find_table("RSDT", g.rsdt)->valid);
	assert_int_equal(out.nr_cpus, 4);
	assert_int_equal(out.nr_mcfg, 2);
}

static void test_xsdt_wrong_signature(void **state)
{
	(void)state;
	build_platform(2);
	memcpy(acpi_image_ptr(&im, g.xsdt), "RSDT", 4);
	acpi_image_fix_sdt(&im, g.xsdt);
	assert_int_equal(parse(), OK);
	assert_error("signature is not XSDT", NULL);
	assert_false(out.used_xsdt);
	assert_true(out.have_madt);
}

static void test_no_usable_root(void **state)
{
	(void)state;
	build_platform(0);
	acpi_image_ptr(&im, g.rsdt)[12] ^= 1;
	assert_int_equal(parse(), E_INVAL);
	assert_error("RSDT at", "checksum mismatch");
	assert_false(out.have_madt);
}

static void test_null_root_entry(void **state)
{
	u64 t[2];

	(void)state;
	start_image();
	t[0] = 0;
	t[1] = dmar_emit(&im);
	build_with_tables(t, 2);
	assert_int_equal(parse(), OK);
	assert_error("XSDT entry 0 is null", NULL);
	assert_int_equal(out.dmar_phys, t[1]);
}

static void test_too_many_tables(void **state)
{
	u64 t[60];
	u8 body[4] = { 0 };
	u32 i;

	(void)state;
	start_image();
	for (i = 0; i < 59; i++)
		t[i] = acpi_image_table(&im, "SSDT", body, sizeof(body));
	t[59] = dmar_emit(&im);   /* past the record limit, still used */
	build_with_tables(t, 60);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_tables, ACPI_MAX_TABLES);
	assert_error("ACPI: 61 tables, only 48 recorded", NULL);
	assert_int_equal(out.dmar_phys, t[59]);
}

/* ---- table checks ---- */

static void test_madt_bad_checksum(void **state)
{
	const struct acpi_table_ref *t;
	char want[80];

	(void)state;
	build_platform(2);
	acpi_image_ptr(&im, g.madt)[36] += 0x3c;   /* local APIC address */
	assert_int_equal(parse(), OK);
	snprintf(want, sizeof(want), "ACPI: APIC at 0x%llx: checksum mismatch (sum 0x3c)",
		 (unsigned long long)g.madt);
	assert_string_equal(out.errors[0], want);
	assert_int_equal(out.nr_errors, 1);
	t = find_table("APIC", g.madt);
	assert_false(t->valid);
	assert_false(out.have_madt);
	assert_int_equal(out.nr_cpus, 0);
	assert_int_equal(out.nr_ioapics, 0);
	assert_int_equal(out.nr_mcfg, 2);            /* the other tables still count */
	assert_int_equal(out.dmar_phys, g.dmar);
}

static void test_dmar_bad_checksum_not_used(void **state)
{
	(void)state;
	build_platform(2);
	acpi_image_ptr(&im, g.dmar)[40] ^= 0x80;
	assert_int_equal(parse(), OK);
	assert_error("DMAR at", "checksum mismatch (sum 0x80)");
	assert_int_equal(out.dmar_phys, 0);
	assert_int_equal(out.dmar_length, 0);
	assert_false(find_table("DMAR", g.dmar)->valid);
}

static void test_table_length_out_of_range(void **state)
{
	u8 body[8] = { 0 };
	u32 len;
	u64 t[3];

	(void)state;
	start_image();
	t[0] = acpi_image_table(&im, "SSDT", body, sizeof(body));
	len = 20;
	memcpy(acpi_image_ptr(&im, t[0]) + 4, &len, 4);
	t[1] = acpi_image_table(&im, "APIC", body, sizeof(body));
	len = 17 * 1024 * 1024;
	memcpy(acpi_image_ptr(&im, t[1]) + 4, &len, 4);
	t[2] = acpi_image_table(&im, "MCFG", body, sizeof(body));
	len = 0x20000;             /* sane, but runs past the end of memory */
	memcpy(acpi_image_ptr(&im, t[2]) + 4, &len, 4);
	build_with_tables(t, 3);
	assert_int_equal(parse(), OK);
	assert_error("SSDT at", "length 20 out of range");
	assert_error("APIC at", "length 17825792 out of range");
	assert_error("MCFG at", "131072 bytes not readable");
	assert_false(find_table("APIC", t[1])->valid);
	assert_false(out.have_madt);
	assert_int_equal(out.nr_mcfg, 0);
}

static void test_table_header_not_readable(void **state)
{
	u64 t[2];

	(void)state;
	start_image();
	t[0] = 0x40000000ULL;
	t[1] = MEM_BASE + ACPI_IMAGE_SIZE - 20;   /* header would cross the end */
	build_with_tables(t, 2);
	assert_int_equal(parse(), OK);
	assert_error("table at 0x40000000", "header not readable");
	assert_int_equal(out.nr_tables, 3);
	assert_false(out.tables[1].valid);
	assert_false(out.tables[2].valid);
}

/* Tables at odd addresses: every multi-byte read must cope (UBSan checks alignment). */
static void test_unaligned_tables(void **state)
{
	struct madt_build *b = calloc(1, sizeof(*b));
	u64 t[2];

	(void)state;
	start_image();
	build_std_madt(b);
	im.next += 3;
	t[0] = madt_emit(&im, b);
	im.next += 1;
	t[1] = mcfg_emit(&im, std_mcfg, 2);
	im.next += 5;
	build_with_tables(t, 2);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_int_equal(out.nr_cpus, 4);
	assert_int_equal(out.ioapics[1].gsi_base, 24);
	assert_int_equal(out.mcfg[1].base, 0xc0000000ULL);
	free(b);
}

/* ---- MADT structure walk ---- */

static void test_madt_zero_length_structure_stops_walk(void **state)
{
	struct madt_build b;
	u8 bad[2] = { 0x7f, 0 };
	u64 t[1];

	(void)state;
	start_image();
	madt_init(&b, 0xfee00000, 0);
	madt_lapic(&b, 0, 0, MADT_LAPIC_ENABLED);
	madt_raw(&b, bad, 2);                      /* offset 44 + 8 = 0x34 */
	madt_lapic(&b, 1, 1, MADT_LAPIC_ENABLED);
	t[0] = madt_emit(&im, &b);
	build_with_tables(t, 1);
	assert_int_equal(parse(), OK);
	assert_string_equal(out.errors[0], "MADT: structure type 127 at offset 0x34: length 0 < 2");
	assert_int_equal(out.nr_cpus, 1);
	assert_int_equal(out.cpus[0].apic_id, 0);
	assert_false(out.pcat_compat);
}

static void test_madt_structure_past_end(void **state)
{
	struct madt_build b;
	u8 bad[8] = { MADT_IO_APIC, 12, 3 };   /* claims 12, the table ends after 8 */
	u64 t[1];

	(void)state;
	start_image();
	madt_init(&b, 0xfee00000, 0);
	madt_lapic(&b, 0, 5, MADT_LAPIC_ENABLED);
	madt_raw(&b, bad, sizeof(bad));
	t[0] = madt_emit(&im, &b);
	build_with_tables(t, 1);
	assert_int_equal(parse(), OK);
	assert_error("MADT: structure type 1 at offset 0x34", "runs past the table end");
	assert_int_equal(out.nr_cpus, 1);
	assert_int_equal(out.nr_ioapics, 0);
}

static void test_madt_short_structure_skipped(void **state)
{
	struct madt_build b;
	u8 short_lapic[6] = { MADT_LOCAL_APIC, 6, 0, 9, 1, 0 };
	u8 unknown[5] = { 0x55, 5, 1, 2, 3 };
	u64 t[1];

	(void)state;
	start_image();
	madt_init(&b, 0xfee00000, 0);
	madt_raw(&b, short_lapic, sizeof(short_lapic));
	madt_raw(&b, unknown, sizeof(unknown));
	madt_lapic(&b, 1, 7, MADT_LAPIC_ENABLED);
	t[0] = madt_emit(&im, &b);
	build_with_tables(t, 1);
	assert_int_equal(parse(), OK);
	assert_error("MADT: structure type 0 at offset 0x2c", "length 6 too small");
	assert_int_equal(out.nr_errors, 1);          /* the unknown type is skipped silently */
	assert_int_equal(out.nr_cpus, 1);
	assert_int_equal(out.cpus[0].apic_id, 7);
}

static void test_madt_duplicate_ids_counted_once(void **state)
{
	struct madt_build b;
	u64 t[1];

	(void)state;
	start_image();
	madt_init(&b, 0xfee00000, 0);
	madt_lapic(&b, 0, 3, MADT_LAPIC_ENABLED);
	madt_lapic(&b, 1, 3, MADT_LAPIC_ENABLED);
	madt_x2apic(&b, 0, 3, MADT_LAPIC_ENABLED);
	madt_x2apic(&b, 2, 0x1ff, MADT_LAPIC_ENABLED);
	madt_x2apic(&b, 3, 0x1ff, MADT_LAPIC_ENABLED);
	madt_lapic(&b, 4, 0xfe, 0);               /* disabled: not a CPU */
	t[0] = madt_emit(&im, &b);
	build_with_tables(t, 1);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_cpus, 2);
	assert_int_equal(out.cpus[0].apic_id, 3);
	assert_int_equal(out.cpus[0].uid, 0);
	assert_int_equal(out.cpus[1].apic_id, 0x1ff);
	assert_int_equal(out.cpus[1].uid, 2);
}

static void test_madt_lapic_address_override(void **state)
{
	struct madt_build b;
	u64 t[1];

	(void)state;
	start_image();
	madt_init(&b, 0xfee00000, 0);
	madt_lapic_override(&b, 0x123456789000ULL);
	madt_lapic(&b, 0, 0, MADT_LAPIC_ENABLED);
	t[0] = madt_emit(&im, &b);
	build_with_tables(t, 1);
	assert_int_equal(parse(), OK);
	assert_no_errors();
	assert_int_equal(out.lapic_address, 0x123456789000ULL);
}

static void test_madt_too_many_cpus(void **state)
{
	struct madt_build *b = calloc(1, sizeof(*b));
	u64 t[1];
	u32 i;

	(void)state;
	start_image();
	madt_init(b, 0xfee00000, 0);
	for (i = 0; i < 300; i++)
		madt_x2apic(b, i, 1000 + i, MADT_LAPIC_ENABLED);
	t[0] = madt_emit(&im, b);
	build_with_tables(t, 1);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_cpus, ACPI_MAX_CPUS);
	assert_int_equal(out.cpus_dropped, 44);
	assert_int_equal(out.cpus[255].apic_id, 1255);
	assert_error("MADT: 300 CPUs, only 256 supported", NULL);
	free(b);
}

static void test_madt_too_many_ioapics_and_overrides(void **state)
{
	struct madt_build *b = calloc(1, sizeof(*b));
	u64 t[1];
	u32 i;

	(void)state;
	start_image();
	madt_init(b, 0xfee00000, 0);
	for (i = 0; i < 20; i++)
		madt_ioapic(b, (u8)i, 0xfec00000 + i * 0x1000, i * 24);
	for (i = 0; i < 30; i++)
		madt_iso(b, 0, (u8)i, i, 0);
	t[0] = madt_emit(&im, b);
	build_with_tables(t, 1);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_ioapics, ACPI_MAX_IOAPICS);
	assert_int_equal(out.ioapics[15].gsi_base, 15 * 24);
	assert_int_equal(out.nr_overrides, ACPI_MAX_OVERRIDES);
	assert_error("MADT: 20 I/O APICs, only 16 supported", NULL);
	assert_error("MADT: 30 interrupt source overrides, only 24 supported", NULL);
	free(b);
}

/* ---- duplicates ---- */

static void test_duplicate_madt_first_valid_wins(void **state)
{
	struct madt_build b;
	u64 t[2];

	(void)state;
	start_image();
	madt_init(&b, 0xfee00000, 0);
	madt_lapic(&b, 0, 1, MADT_LAPIC_ENABLED);
	t[0] = madt_emit(&im, &b);
	madt_lapic(&b, 1, 2, MADT_LAPIC_ENABLED);
	t[1] = madt_emit(&im, &b);
	build_with_tables(t, 2);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_cpus, 1);
	assert_int_equal(out.cpus[0].apic_id, 1);
	assert_error("APIC at", "duplicate");
}

static void test_duplicate_madt_first_invalid(void **state)
{
	struct madt_build b;
	u64 t[2];

	(void)state;
	start_image();
	madt_init(&b, 0xfee00000, 0);
	madt_lapic(&b, 0, 1, MADT_LAPIC_ENABLED);
	t[0] = madt_emit(&im, &b);
	acpi_image_ptr(&im, t[0])[44 + 3] = 9;      /* APIC ID 1 -> 9, checksum now wrong */
	madt_lapic(&b, 1, 2, MADT_LAPIC_ENABLED);
	t[1] = madt_emit(&im, &b);
	build_with_tables(t, 2);
	assert_int_equal(parse(), OK);
	assert_error("APIC at", "checksum mismatch (sum 0x8)");
	assert_true(out.have_madt);
	assert_int_equal(out.nr_cpus, 2);
	assert_null(find_cpu(9));
	assert_non_null(find_cpu(2));
}

/* ---- MCFG ---- */

static void test_mcfg_end_bus_below_start(void **state)
{
	struct acpi_mcfg_alloc a[3] = {
		{ 0xb0000000ULL, 0, 0, 255, 0 },
		{ 0xd0000000ULL, 2, 10, 5, 0 },
		{ 0xe0000000ULL, 3, 0x80, 0x80, 0 },
	};
	u64 t[1];

	(void)state;
	start_image();
	t[0] = mcfg_emit(&im, a, 3);
	build_with_tables(t, 1);
	assert_int_equal(parse(), OK);
	assert_error("MCFG: segment 2", "end bus 5 below start bus 10");
	assert_int_equal(out.nr_mcfg, 2);
	assert_int_equal(out.mcfg[1].segment, 3);
	assert_int_equal(out.mcfg[1].start_bus, 0x80);
	assert_int_equal(out.mcfg[1].end_bus, 0x80);
}

static void test_mcfg_too_short_and_too_many(void **state)
{
	struct acpi_mcfg_alloc a[20];
	u8 body[4] = { 0 };
	u64 t[2];
	u32 i;

	(void)state;
	start_image();
	t[0] = acpi_image_table(&im, "MCFG", body, sizeof(body));   /* 40 bytes */
	for (i = 0; i < 20; i++) {
		a[i].base_address = 0x100000000ULL * (i + 1);
		a[i].segment = (u16)i;
		a[i].start_bus = 0;
		a[i].end_bus = 255;
		a[i].reserved = 0;
	}
	t[1] = mcfg_emit(&im, a, 20);
	build_with_tables(t, 2);
	assert_int_equal(parse(), OK);
	assert_error("MCFG at", "length 40 too small");
	assert_error("MCFG: 20 allocations, only 16 supported", NULL);
	assert_int_equal(out.nr_mcfg, ACPI_MAX_MCFG);
	assert_int_equal(out.mcfg[15].base, 0x1000000000ULL);
}

static void test_checksum(void **state)
{
	const u8 bytes[5] = { 0x10, 0x20, 0xf0, 0x01, 0x02 };

	(void)state;
	assert_int_equal(acpi_checksum(bytes, 5), 0x23);
	assert_int_equal(acpi_checksum(bytes, 3), 0x20);
	assert_int_equal(acpi_checksum(bytes, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_full_platform_via_xsdt, setup),
		cmocka_unit_test_setup(test_madt_cpus, setup),
		cmocka_unit_test_setup(test_madt_ioapics_and_overrides, setup),
		cmocka_unit_test_setup(test_mcfg_and_dmar, setup),
		cmocka_unit_test_setup(test_rsdp_revision0_uses_rsdt, setup),
		cmocka_unit_test_setup(test_rsdp_revision2_without_xsdt_uses_rsdt, setup),
		cmocka_unit_test_setup(test_rsdp_bad_checksum, setup),
		cmocka_unit_test_setup(test_rsdp_bad_signature, setup),
		cmocka_unit_test_setup(test_rsdp_extended_checksum_falls_back, setup),
		cmocka_unit_test_setup(test_rsdp_length_out_of_range, setup),
		cmocka_unit_test_setup(test_rsdp_missing_or_unmapped, setup),
		cmocka_unit_test_setup(test_rsdp_copy_from_boot_loader, setup),
		cmocka_unit_test_setup(test_bad_xsdt_falls_back_to_rsdt, setup),
		cmocka_unit_test_setup(test_xsdt_wrong_signature, setup),
		cmocka_unit_test_setup(test_no_usable_root, setup),
		cmocka_unit_test_setup(test_null_root_entry, setup),
		cmocka_unit_test_setup(test_too_many_tables, setup),
		cmocka_unit_test_setup(test_madt_bad_checksum, setup),
		cmocka_unit_test_setup(test_dmar_bad_checksum_not_used, setup),
		cmocka_unit_test_setup(test_table_length_out_of_range, setup),
		cmocka_unit_test_setup(test_table_header_not_readable, setup),
		cmocka_unit_test_setup(test_unaligned_tables, setup),
		cmocka_unit_test_setup(test_madt_zero_length_structure_stops_walk, setup),
		cmocka_unit_test_setup(test_madt_structure_past_end, setup),
		cmocka_unit_test_setup(test_madt_short_structure_skipped, setup),
		cmocka_unit_test_setup(test_madt_duplicate_ids_counted_once, setup),
		cmocka_unit_test_setup(test_madt_lapic_address_override, setup),
		cmocka_unit_test_setup(test_madt_too_many_cpus, setup),
		cmocka_unit_test_setup(test_madt_too_many_ioapics_and_overrides, setup),
		cmocka_unit_test_setup(test_duplicate_madt_first_valid_wins, setup),
		cmocka_unit_test_setup(test_duplicate_madt_first_invalid, setup),
		cmocka_unit_test_setup(test_mcfg_end_bus_below_start, setup),
		cmocka_unit_test_setup(test_mcfg_too_short_and_too_many, setup),
		cmocka_unit_test(test_checksum),
	};

	setvbuf(stdout, NULL, _IONBF, 0);   /* a crash must not lose buffered results */
	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
