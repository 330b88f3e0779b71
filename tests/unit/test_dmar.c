/* Unit tests of the DMAR parser (iommu/dmar.c) on hand-built tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iommu/dmar.h"
#include "tests/common/dmar_build.h"

#define QEMU_HAW 38               /* QEMU intel-iommu aw-bits=39 */

static struct dmar_build b;
static struct dmar_info out;

/* What the alloc callback saw. */
static struct {
	int calls;
	size_t bytes;
	bool fail;
	u8 *table;                /* the copy being parsed */
	int poke_at;              /* > 0: byte the callback changes between the passes */
	u8 poke_value;
} al;

static void *test_alloc(size_t bytes, void *ctx)
{
	assert_ptr_equal(ctx, &al);
	al.calls++;
	al.bytes = bytes;
	if (al.poke_at > 0)
		al.table[al.poke_at] = al.poke_value;
	return al.fail ? NULL : malloc(bytes);
}

/*
 * Parses the first len bytes of the builder from an exact-size heap copy, so
 * ASan catches any read past what the parser was given.
 */
static status_t parse_len(u32 len)
{
	u8 *copy = malloc(len ? len : 1);
	status_t st;

	assert_non_null(copy);
	memcpy(copy, b.buf, len);
	al.table = copy;
	dmar_free(&out);
	st = dmar_parse(copy, len, test_alloc, &al, &out);
	memset(copy, 0xee, len);      /* the result must not point into the table */
	free(copy);
	return st;
}

static status_t parse(void)
{
	return parse_len(b.len);
}

static void dump_msgs(void)
{
	for (u32 i = 0; i < out.nr_msgs; i++)
		print_message("  %s: %s\n", out.msgs[i].error ? "error" : "warning", out.msgs[i].text);
}

/* Fails unless some stored message of that severity contains both substrings. */
static void assert_msg(bool error, const char *a, const char *bb)
{
	for (u32 i = 0; i < out.nr_msgs; i++)
		if (out.msgs[i].error == error && strstr(out.msgs[i].text, a) &&
		    (bb == NULL || strstr(out.msgs[i].text, bb)))
			return;
	dump_msgs();
	fail_msg("no %s containing '%s'%s%s", error ? "error" : "warning", a, bb ? " and " : "", bb ? bb : "");
}

static void assert_error(const char *a, const char *bb) { assert_msg(true, a, bb); }
static void assert_warning(const char *a, const char *bb) { assert_msg(false, a, bb); }

static void assert_clean(void)
{
	if (out.nr_errors || out.nr_warnings) {
		dump_msgs();
		fail_msg("%u errors, %u warnings, expected none", out.nr_errors, out.nr_warnings);
	}
}

static void assert_path(const struct dmar_scope *s, const char *want)
{
	char buf[128];

	dmar_scope_path_str(s, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static int setup(void **state)
{
	(void)state;
	memset(&al, 0, sizeof(al));
	memset(&out, 0, sizeof(out));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dmar_free(&out);
	return 0;
}

/* ---- well-formed tables ---- */

/* What QEMU's intel-iommu emits with intremap=on: one INCLUDE_PCI_ALL unit and the IOAPIC. */
static void build_qemu(void)
{
	db_init(&b, QEMU_HAW, DMAR_FLAG_INTR_REMAP | DMAR_FLAG_X2APIC_OPT_OUT);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
	db_scope(&b, DMAR_SCOPE_IOAPIC, 0, 0xff, 1, 0x00, 0x0);
	db_finish(&b);
}

static void test_qemu_like(void **state)
{
	const struct dmar_unit *u;

	(void)state;
	build_qemu();
	assert_int_equal(parse(), OK);
	assert_clean();
	assert_true(out.checksum_ok);
	assert_int_equal(out.haw, 39);
	assert_int_equal(out.flags, DMAR_FLAG_INTR_REMAP | DMAR_FLAG_X2APIC_OPT_OUT);
	assert_int_equal(out.table_length, 48 + 16 + 8);
	assert_int_equal(out.nr_units, 1);
	assert_int_equal(out.nr_rmrrs + out.nr_atsrs + out.nr_rhsas + out.nr_andds + out.nr_satcs, 0);
	u = &out.units[0];
	assert_int_equal(u->register_base, 0xfed90000);
	assert_int_equal(u->register_size, 4096);
	assert_int_equal(u->segment, 0);
	assert_true(u->include_pci_all);
	assert_int_equal(u->offset, 48);
	assert_int_equal(u->scopes.count, 1);
	assert_int_equal(u->scopes.scope[0].type, DMAR_SCOPE_IOAPIC);
	assert_int_equal(u->scopes.scope[0].enumeration_id, 0);
	assert_int_equal(u->scopes.scope[0].start_bus, 0xff);
	assert_int_equal(u->scopes.scope[0].nr_path, 1);
	assert_int_equal(u->scopes.scope[0].offset, 64);
	assert_path(&u->scopes.scope[0], "ff:00.0");
	assert_int_equal(al.calls, 1);
	assert_ptr_equal(out.block, out.units);
}

/* Offsets of the structures of build_server(), for the assertions. */
static struct {
	u32 gfx, pcie, seg1, all0, all1, rmrr_usb, rmrr_seg1, atsr0, atsr1, rhsa0, rhsa1, andd, satc;
	u32 bridge_scope;
} so;

/*
 * Two segments, five units: dedicated units before the INCLUDE_PCI_ALL unit
 * of each segment (VT-d 8.3), bridge paths of one, two and three hops, and
 * one of every other structure type.
 */
static void build_server(void)
{
	db_init(&b, 45, DMAR_FLAG_INTR_REMAP | DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN);
	so.gfx = db_drhd(&b, 0, 0, 0, 0xfed90000);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x02, 0x0);
	so.pcie = db_drhd(&b, 0, 2, 0, 0xfed92000);                /* Size 2: 16 KiB */
	db_scope(&b, DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, 1, 0x1c, 0x0);
	so.bridge_scope = db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 3, 0x1c, 0x4, 0x00, 0x0, 0x03, 0x1);
	so.all0 = db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
	db_scope(&b, DMAR_SCOPE_IOAPIC, 2, 0xf0, 1, 0x1f, 0x0);
	db_scope(&b, DMAR_SCOPE_MSI_CAPABLE_HPET, 0, 0x00, 1, 0x1f, 0x7);
	db_scope(&b, DMAR_SCOPE_ACPI_NAMESPACE_DEVICE, 1, 0x00, 1, 0x15, 0x0);
	so.seg1 = db_drhd(&b, 0, 1, 1, 0x3fffe000000ULL);
	db_scope(&b, DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0x80, 2, 0x02, 0x0, 0x00, 0x0);
	so.all1 = db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 1, 0x3fffe100000ULL);
	so.rmrr_usb = db_rmrr(&b, 0, 0x7a000000, 0x7a01ffff);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0x0);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x1a, 0x0);
	so.rmrr_seg1 = db_rmrr(&b, 1, 0x100000000ULL, 0x1003fffffULL);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0x80, 2, 0x02, 0x0, 0x00, 0x1);
	so.atsr0 = db_atsr(&b, 0, 0);
	db_scope(&b, DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, 1, 0x1c, 0x0);
	db_scope(&b, DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, 1, 0x1c, 0x4);
	so.atsr1 = db_atsr(&b, DMAR_ATSR_ALL_PORTS, 1);
	so.rhsa0 = db_rhsa(&b, 0xfed91000, 0);
	so.rhsa1 = db_rhsa(&b, 0x3fffe100000ULL, 1);
	so.andd = db_andd(&b, 1, "\\_SB.PCI0.UA00");
	so.satc = db_satc(&b, DMAR_SATC_ATC_REQUIRED, 0);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x0b, 0x0);
	db_finish(&b);
}

static void test_server_units(void **state)
{
	const struct dmar_unit *u;

	(void)state;
	build_server();
	assert_int_equal(parse(), OK);
	assert_clean();
	assert_int_equal(out.haw, 46);
	assert_int_equal(out.flags, DMAR_FLAG_INTR_REMAP | DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN);
	assert_int_equal(out.nr_units, 5);

	u = &out.units[0];                                    /* integrated graphics */
	assert_int_equal(u->offset, so.gfx);
	assert_int_equal(u->register_base, 0xfed90000);
	assert_false(u->include_pci_all);
	assert_int_equal(u->scopes.count, 1);
	assert_int_equal(u->scopes.scope[0].type, DMAR_SCOPE_PCI_ENDPOINT);
	assert_path(&u->scopes.scope[0], "00:02.0");

	u = &out.units[1];                                    /* a root port and a device two bridges down */
	assert_int_equal(u->register_base, 0xfed92000);
	assert_int_equal(u->register_size, 16384);
	assert_int_equal(u->scopes.count, 2);
	assert_int_equal(u->scopes.scope[0].type, DMAR_SCOPE_PCI_SUBHIERARCHY);
	assert_path(&u->scopes.scope[0], "00:1c.0");
	assert_int_equal(u->scopes.scope[1].nr_path, 3);
	assert_int_equal(u->scopes.scope[1].path[0].device, 0x1c);
	assert_int_equal(u->scopes.scope[1].path[0].function, 4);
	assert_int_equal(u->scopes.scope[1].path[2].device, 0x03);
	assert_int_equal(u->scopes.scope[1].path[2].function, 1);
	assert_int_equal(u->scopes.scope[1].offset, so.bridge_scope);
	assert_path(&u->scopes.scope[1], "00:1c.4/00.0/03.1");

	u = &out.units[2];                                    /* segment 0 catch-all */
	assert_int_equal(u->offset, so.all0);
	assert_true(u->include_pci_all);
	assert_int_equal(u->segment, 0);
	assert_int_equal(u->scopes.count, 3);
	assert_int_equal(u->scopes.scope[0].type, DMAR_SCOPE_IOAPIC);
	assert_int_equal(u->scopes.scope[0].enumeration_id, 2);
	assert_path(&u->scopes.scope[0], "f0:1f.0");
	assert_int_equal(u->scopes.scope[1].type, DMAR_SCOPE_MSI_CAPABLE_HPET);
	assert_path(&u->scopes.scope[1], "00:1f.7");
	assert_int_equal(u->scopes.scope[2].type, DMAR_SCOPE_ACPI_NAMESPACE_DEVICE);
	assert_int_equal(u->scopes.scope[2].enumeration_id, 1);

	u = &out.units[3];                                    /* segment 1, above 4 GiB */
	assert_int_equal(u->segment, 1);
	assert_int_equal(u->register_base, 0x3fffe000000ULL);
	assert_int_equal(u->register_size, 8192);
	assert_int_equal(u->scopes.scope[0].start_bus, 0x80);
	assert_path(&u->scopes.scope[0], "80:02.0/00.0");

	u = &out.units[4];
	assert_int_equal(u->offset, so.all1);
	assert_true(u->include_pci_all);
	assert_int_equal(u->segment, 1);
	assert_int_equal(u->scopes.count, 0);
	assert_null(u->scopes.scope);
}

static void test_server_other_structures(void **state)
{
	(void)state;
	build_server();
	assert_int_equal(parse(), OK);
	assert_clean();

	assert_int_equal(out.nr_rmrrs, 2);
	assert_int_equal(out.rmrrs[0].offset, so.rmrr_usb);
	assert_int_equal(out.rmrrs[0].segment, 0);
	assert_int_equal(out.rmrrs[0].base, 0x7a000000);
	assert_int_equal(out.rmrrs[0].limit, 0x7a01ffff);
	assert_int_equal(out.rmrrs[0].scopes.count, 2);
	assert_path(&out.rmrrs[0].scopes.scope[0], "00:14.0");
	assert_path(&out.rmrrs[0].scopes.scope[1], "00:1a.0");
	assert_int_equal(out.rmrrs[1].segment, 1);
	assert_int_equal(out.rmrrs[1].base, 0x100000000ULL);
	assert_int_equal(out.rmrrs[1].limit, 0x1003fffffULL);
	assert_path(&out.rmrrs[1].scopes.scope[0], "80:02.0/00.1");

	assert_int_equal(out.nr_atsrs, 2);
	assert_false(out.atsrs[0].all_ports);
	assert_int_equal(out.atsrs[0].scopes.count, 2);
	assert_path(&out.atsrs[0].scopes.scope[1], "00:1c.4");
	assert_true(out.atsrs[1].all_ports);
	assert_int_equal(out.atsrs[1].segment, 1);
	assert_int_equal(out.atsrs[1].scopes.count, 0);

	assert_int_equal(out.nr_rhsas, 2);
	assert_int_equal(out.rhsas[0].register_base, 0xfed91000);
	assert_int_equal(out.rhsas[0].proximity_domain, 0);
	assert_int_equal(out.rhsas[1].register_base, 0x3fffe100000ULL);
	assert_int_equal(out.rhsas[1].proximity_domain, 1);
	assert_int_equal(out.rhsas[1].offset, so.rhsa1);

	assert_int_equal(out.nr_andds, 1);
	assert_int_equal(out.andds[0].acpi_device_number, 1);
	assert_string_equal(out.andds[0].object_name, "\\_SB.PCI0.UA00");
	assert_int_equal(out.andds[0].offset, so.andd);

	assert_int_equal(out.nr_satcs, 1);
	assert_true(out.satcs[0].atc_required);
	assert_int_equal(out.satcs[0].segment, 0);
	assert_path(&out.satcs[0].scopes.scope[0], "00:0b.0");
	assert_int_equal(out.satcs[0].offset, so.satc);
}

/* Nothing is tuned to one board: hundreds of units and thousands of scopes all arrive. */
static void test_sized_from_table(void **state)
{
	u32 i, k;

	(void)state;
	db_init(&b, QEMU_HAW, 0);
	for (i = 0; i < 300; i++) {
		db_drhd(&b, 0, 0, (u16)(i / 100), 0x100000000ULL + i * 0x1000ULL);
		for (k = 0; k < 8; k++)
			db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, (u8)i, 2, (int)k, 0, 0, (int)(k % 8));
	}
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_clean();
	assert_int_equal(out.nr_units, 300);
	assert_int_equal(out.units[299].register_base, 0x100000000ULL + 299 * 0x1000ULL);
	assert_int_equal(out.units[299].segment, 2);
	assert_int_equal(out.units[299].scopes.count, 8);
	assert_path(&out.units[299].scopes.scope[7], "2b:07.0/00.7");
	assert_int_equal(al.calls, 1);
}

static void test_no_structures_no_alloc(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_clean();
	assert_int_equal(al.calls, 0);
	assert_int_equal(out.nr_units, 0);
	assert_null(out.units);
}

static void test_alloc_failure(void **state)
{
	(void)state;
	build_qemu();
	al.fail = true;
	assert_int_equal(parse(), E_NOMEM);
	assert_int_equal(out.nr_units, 0);
	assert_error("cannot allocate", NULL);
}

/* Pass 2 never writes past what pass 1 counted, even if the table changes in between. */
static void test_table_changed_between_passes(void **state)
{
	u32 scope;

	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
	scope = db_scope(&b, 0, 0, 0xff, 1, 0, 0);            /* type 0: skipped by pass 1 */
	db_finish(&b);
	al.poke_at = (int)scope;
	al.poke_value = DMAR_SCOPE_IOAPIC;                    /* valid by pass 2 */
	assert_int_equal(parse(), OK);
	assert_error("(DRHD) at offset 0x30: table changed while parsed; data incomplete", NULL);
	assert_int_equal(al.bytes, out.block_bytes);
	assert_int_equal(out.nr_units, 1);
	assert_int_equal(out.units[0].scopes.count, 0);
}

static void test_path_str_truncates(void **state)
{
	struct dmar_path p[3] = { { 0x1c, 4 }, { 0, 0 }, { 3, 1 } };
	struct dmar_scope s = { DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 0x3a, 3, p, 0 };
	char buf[8];

	(void)state;
	assert_int_equal(dmar_scope_path_str(&s, buf, sizeof(buf)), (int)strlen("3a:1c.4/00.0/03.1"));
	assert_string_equal(buf, "3a:1c.4");
	assert_int_equal(dmar_scope_path_str(&s, NULL, 0), 17);
}

/* ---- the header ---- */

static void test_bad_checksum_still_parsed(void **state)
{
	(void)state;
	build_qemu();
	b.buf[9] ^= 0x5a;
	assert_int_equal(parse(), OK);
	assert_false(out.checksum_ok);
	assert_int_equal(out.nr_errors, 1);
	assert_error("DMAR: checksum wrong", "parsing anyway");
	assert_int_equal(out.nr_units, 1);
	assert_int_equal(out.units[0].register_base, 0xfed90000);
}

static void test_header_rejected(void **state)
{
	(void)state;
	build_qemu();
	assert_int_equal(parse_len(47), E_INVAL);             /* buffer shorter than the header */
	assert_error("47 bytes are too short", NULL);
	assert_int_equal(parse_len(b.len - 1), E_INVAL);      /* Table Length beyond the buffer */
	assert_error("table length 72 exceeds the buffer", "71 bytes");
	assert_int_equal(out.nr_units, 0);

	db_put32(b.buf + 4, 40);
	db_checksum(&b);
	assert_int_equal(parse(), E_INVAL);
	assert_error("table length 40 below 48", NULL);

	build_qemu();
	memcpy(b.buf, "DMAT", 4);
	db_checksum(&b);
	assert_int_equal(parse(), E_INVAL);
	assert_error("signature 44 4d 41 54 is not", NULL);
	assert_int_equal(al.calls, 0);
}

/* Bytes after Table Length are not part of the table. */
static void test_trailing_buffer_ignored(void **state)
{
	(void)state;
	build_qemu();
	memset(b.buf + b.len, 0xff, 16);
	assert_int_equal(parse_len(b.len + 16), OK);
	assert_clean();
	assert_int_equal(out.nr_units, 1);
}

static void test_haw_sanity(void **state)
{
	(void)state;
	db_init(&b, 5, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_error("Host Address Width field 5 (6 address bits)", NULL);
	assert_int_equal(out.nr_units, 1);

	db_init(&b, 0xff, 0);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.haw, 256);
	assert_error("Host Address Width field 255 (256 address bits)", NULL);
}

/* ---- broken structures ---- */

/* The example of the design brief, byte for byte: the bad RMRR lands at 0x88. */
static void test_rmrr_limit_below_base(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, 0, 0, 0, 0xfed90000);                     /* 0x30, 0x18 bytes */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_rmrr(&b, 0, 0x1000, 0x1fff);                        /* 0x48, 0x28 bytes */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x1a, 0);
	db_atsr(&b, 0, 0);                                     /* 0x70, 0x18 bytes */
	db_scope(&b, DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, 1, 0x1c, 0);
	db_scope(&b, DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, 1, 0x1d, 0);
	assert_int_equal(db_rmrr(&b, 0, 0x3000, 0x1fff), 0x88);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_rmrr(&b, 0, 0x5000, 0x5fff);                        /* parsing goes on after it */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 1);
	assert_int_equal(out.nr_warnings, 0);
	assert_string_equal(out.msgs[0].text,
			    "DMAR: structure type 1 (RMRR) at offset 0x88: limit 0x1fff below base 0x3000; skipped");
	assert_int_equal(out.nr_rmrrs, 2);
	assert_int_equal(out.rmrrs[0].base, 0x1000);
	assert_int_equal(out.rmrrs[1].base, 0x5000);
	assert_int_equal(out.nr_atsrs, 1);
}

static void test_rmrr_unaligned(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_rmrr(&b, 0, 0x1800, 0x2fff);                        /* 0x30 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_rmrr(&b, 0, 0x1000, 0x2ffe);                        /* 0x50 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_rmrr(&b, 0, 0x7a000000, 0x7a01ffff);             /* valid */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 2);
	assert_int_equal(out.nr_rmrrs, 1);
	assert_int_equal(out.rmrrs[0].limit, 0x7a01ffff);
	assert_error("RMRR) at offset 0x30: base 0x1800 limit 0x2fff: base not 4 KiB aligned; skipped", NULL);
	assert_error("RMRR) at offset 0x50: base 0x1000 limit 0x2ffe: limit + 1 not 4 KiB aligned", NULL);
}

static void test_drhd_base_unaligned_or_zero(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, 0, 0, 0, 0xfed90800);                      /* 0x30 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_drhd(&b, 0, 0, 0, 0);                               /* 0x48 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 3, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 1);
	assert_int_equal(out.nr_warnings, 2);
	assert_error("structure type 0 (DRHD) at offset 0x30: Register Base Address 0xfed90800 not 4 KiB aligned; skipped",
		     NULL);
	/* Neither unit's device may fall to the INCLUDE_PCI_ALL unit: both are kept, and said so. */
	assert_warning("DRHD at offset 0x30: Register Base Address 0xfed90800: the 1 devices it lists (00:02.0) on segment 0 have no remapping unit",
		       NULL);
	assert_warning("DRHD at offset 0x48: Register Base Address 0x0: the 1 devices it lists (00:03.0) on segment 0 have no remapping unit",
		       NULL);
	assert_int_equal(out.facts, DMAR_FACT_UNIT_MISSING);
	assert_int_equal(out.nr_units, 1);
	assert_int_equal(out.units[0].register_base, 0xfed91000);
	assert_int_equal(out.nr_unusable, 2);
	assert_int_equal(out.unusable[0].register_base, 0xfed90800);
	assert_int_equal(out.unusable[0].offset, 0x30);
	assert_int_equal(out.unusable[1].register_base, 0);
	assert_int_equal(out.unusable[1].scopes.count, 1);
	assert_path(&out.unusable[1].scopes.scope[0], "00:03.0");
	assert_null(dmar_include_all_unusable(&out, 0));
}

/* A structure running past the table end: nothing after it can be found. */
static void test_truncated_structure(void **state)
{
	u32 off;

	(void)state;
	build_qemu();
	off = db_rmrr(&b, 0, 0x1000, 0x1fff);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_finish(&b);
	db_put16(b.buf + off + 2, 0x40);                      /* Length 0x40, only 0x20 left */
	db_checksum(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 1);
	assert_error("structure type 1 (RMRR) at offset 0x48: length 64 runs past the table end (table length 0x68); stopped",
		     NULL);
	assert_int_equal(out.nr_units, 1);                    /* what came before is kept */
	assert_int_equal(out.nr_rmrrs, 0);
}

/* A table cut inside a structure header (Table Length itself is short). */
static void test_truncated_header_bytes(void **state)
{
	(void)state;
	build_qemu();
	db_put(&b, "\x01\x00", 2);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_error("DMAR: 2 trailing bytes at offset 0x48 are too short for a structure; stopped", NULL);
	assert_int_equal(out.nr_units, 1);
}

/* Length 0 would loop forever: the walk must stop with an error. */
static void test_zero_length_structure(void **state)
{
	u32 off;

	(void)state;
	build_qemu();
	off = db_drhd(&b, 0, 0, 0, 0xfed92000);
	db_finish(&b);
	db_put16(b.buf + off + 2, 0);
	db_checksum(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 1);
	assert_error("structure type 0 (DRHD) at offset 0x48: length 0 below 4", "stopped");
	assert_int_equal(out.nr_units, 1);
}

/* Length usable but below the type's fixed part: skipped, the walk goes on. */
static void test_below_minimum_length(void **state)
{
	static const struct {
		u16 type;
		u16 len;
		const char *name;
		u32 min;
	} cases[] = {
		{ DMAR_TYPE_DRHD, 12, "DRHD", 16 }, { DMAR_TYPE_RMRR, 20, "RMRR", 24 },
		{ DMAR_TYPE_ATSR, 4, "ATSR", 8 },   { DMAR_TYPE_RHSA, 16, "RHSA", 20 },
		{ DMAR_TYPE_ANDD, 6, "ANDD", 8 },   { DMAR_TYPE_SATC, 6, "SATC", 8 },
	};
	u8 zero[32] = { 0 };
	char want[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		db_init(&b, QEMU_HAW, 0);
		db_struct(&b, cases[i].type, zero, cases[i].len);
		db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
		db_finish(&b);
		assert_int_equal(parse(), OK);
		snprintf(want, sizeof(want), "structure type %u (%s) at offset 0x30: length %u below the minimum %u; skipped",
			 cases[i].type, cases[i].name, cases[i].len, cases[i].min);
		assert_int_equal(out.nr_errors, 1);
		assert_error(want, NULL);
		assert_int_equal(out.nr_units, 1);
		assert_int_equal(out.units[0].offset, 0x30 + cases[i].len);
	}
}

static void test_unknown_type_warned(void **state)
{
	u8 body[12] = { 0 };

	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_struct(&b, 0x42, body, sizeof(body));
	db_struct(&b, 7, body, sizeof(body));            /* the first reserved type after SIDP */
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_int_equal(out.nr_warnings, 2);
	assert_warning("structure type 66 (unknown) at offset 0x30: unknown type; skipped", NULL);
	assert_warning("structure type 7 (unknown) at offset 0x3c: unknown type; skipped", NULL);
	assert_int_equal(out.nr_units, 1);
}

/* A scope whose Length runs past its structure: the structure is skipped, the next one parsed. */
static void test_scope_past_structure(void **state)
{
	u32 scope;

	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, 0, 0, 0, 0xfed90000);                      /* 0x30 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	scope = db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 3, 0);
	db_rmrr(&b, 0, 0x1000, 0x1fff);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_finish(&b);
	b.buf[scope + 1] = 10;                                /* 8 bytes left in the DRHD */
	db_checksum(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 1);
	assert_error("structure type 0 (DRHD) at offset 0x30: device scope at offset 0x48: length 10 runs past the structure (structure ends at 0x50); skipped",
		     NULL);
	assert_int_equal(out.nr_units, 0);
	assert_int_equal(out.nr_rmrrs, 1);
	assert_int_equal(out.rmrrs[0].scopes.count, 1);
}

static void test_scope_length_below_6(void **state)
{
	u32 scope;

	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_satc(&b, 0, 0);
	scope = db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_finish(&b);
	b.buf[scope + 1] = 0;
	db_checksum(&b);
	assert_int_equal(parse(), OK);
	assert_error("(SATC) at offset 0x30: device scope at offset 0x38: length 0 below 6", "skipped");
	assert_int_equal(out.nr_satcs, 0);
}

/* Scopes with a usable length but bad content are dropped one by one. */
static void test_bad_scope_content(void **state)
{
	u32 odd;

	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, 0, 0, 0, 0xfed90000);                      /* 0x30 */
	db_scope(&b, 0, 0, 0, 1, 2, 0);                        /* 0x40: type 0 reserved */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 0);        /* 0x48: no path */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0x1c, 0, 0x20, 0);  /* 0x4e: device 0x20 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x1c, 8);           /* 0x58: function 8 */
	odd = db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x1d, 0);     /* 0x60 */
	db_put(&b, "\x00", 1);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 7, 0x3, 1, 0x1f, 3);         /* 0x69: the good one */
	db_finish(&b);
	b.buf[odd + 1] = 9;
	db_checksum(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_warnings, 1);
	assert_int_equal(out.nr_errors, 4);
	assert_warning("device scope at offset 0x40: unknown type 0; scope skipped", NULL);
	assert_error("device scope at offset 0x48: type 1 (PCI Endpoint) has no path; scope skipped", NULL);
	assert_error("device scope at offset 0x4e: path entry 1 (device 0x20 function 0x0) out of range", NULL);
	assert_error("device scope at offset 0x58: path entry 0 (device 0x1c function 0x8) out of range", NULL);
	assert_error("device scope at offset 0x60: length 9 leaves half a path entry; scope skipped", NULL);
	assert_int_equal(out.nr_units, 1);
	assert_int_equal(out.units[0].scopes.count, 1);
	assert_int_equal(out.units[0].scopes.scope[0].enumeration_id, 7);
	assert_int_equal(out.units[0].scopes.scope[0].offset, 0x69);
	assert_path(&out.units[0].scopes.scope[0], "03:1f.3");
}

static void test_include_all_rules(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);   /* 0x30: not last of segment 0 */
	db_drhd(&b, 0, 0, 0, 0xfed91000);                            /* 0x40 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed92000);   /* 0x58: second in segment 0 */
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 1, 0xfed93000);   /* 0x68: alone in segment 1: fine */
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_int_equal(out.nr_warnings, 2);
	assert_warning("DRHD at offset 0x30: INCLUDE_PCI_ALL unit is not the last of segment 0", NULL);
	assert_warning("DRHD at offset 0x58: more than one INCLUDE_PCI_ALL unit in segment 0", NULL);
	assert_int_equal(out.nr_units, 4);
}

static void test_cross_checks(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, 0, 0, 0, 0xfed90000);                      /* 0x30 */
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);     /* 0x40: same base */
	db_scope(&b, DMAR_SCOPE_ACPI_NAMESPACE_DEVICE, 9, 0, 1, 0x15, 1);   /* 0x50: no ANDD 9 */
	db_rhsa(&b, 0xfed95000, 3);                            /* 0x58: no such unit */
	db_rmrr(&b, 0, 0x1000, 0x1fff);                        /* 0x6c */
	db_scope(&b, DMAR_SCOPE_IOAPIC, 0, 0, 1, 0x1f, 0);     /* 0x84: belongs in a DRHD */
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_warning("DRHD) at offset 0x30: no device scope and not INCLUDE_PCI_ALL", NULL);
	assert_warning("DRHD at offset 0x40: Register Base Address 0xfed90000 also used at offset 0x30", NULL);
	assert_warning("device scope at offset 0x50: no ANDD with ACPI Device Number 9", NULL);
	assert_warning("RHSA at offset 0x58: no DRHD has Register Base Address 0xfed95000", NULL);
	assert_warning("(RMRR) at offset 0x6c: device scope at offset 0x84: type 3 (IOAPIC) belongs in a DRHD", NULL);
	assert_int_equal(out.nr_warnings, 5);
	assert_int_equal(out.nr_rmrrs, 1);
	assert_int_equal(out.rmrrs[0].scopes.count, 1);
}

static void test_andd_names(void **state)
{
	u32 off;

	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_andd(&b, 1, "");                                    /* 0x30: empty */
	off = db_andd(&b, 2, "\\_SB.PCI0.I2C1");               /* 0x39: NUL dropped below */
	db_andd(&b, 3, "\\_SB.UAR1");
	db_finish(&b);
	memmove(b.buf + off + 8 + 14, b.buf + off + 8 + 15, b.len - (off + 8 + 15));
	b.len--;
	db_put16(b.buf + off + 2, 8 + 14);
	db_put32(b.buf + 4, b.len);
	db_checksum(&b);
	assert_int_equal(parse(), OK);
	assert_error("(ANDD) at offset 0x30: empty ACPI Object Name; skipped", NULL);
	assert_warning("(ANDD) at offset 0x39: ACPI Object Name not NUL-terminated", NULL);
	assert_int_equal(out.nr_andds, 2);
	assert_int_equal(out.andds[0].acpi_device_number, 2);
	assert_string_equal(out.andds[0].object_name, "\\_SB.PCI0.I2C1");
	assert_string_equal(out.andds[1].object_name, "\\_SB.UAR1");
}

/* Past DMAR_MAX_MSGS only the counts grow. */
static void test_message_overflow(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	for (int i = 0; i < DMAR_MAX_MSGS + 8; i++)
		db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0x1234);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, DMAR_MAX_MSGS + 8);
	assert_int_equal(out.nr_warnings, 1);           /* segment 0 has no usable INCLUDE_PCI_ALL unit */
	assert_int_equal(out.nr_msgs, DMAR_MAX_MSGS);
	assert_int_equal(out.msgs_dropped, 9);
	assert_int_equal(out.nr_units, 0);
	assert_int_equal(out.nr_unusable, DMAR_MAX_MSGS + 8);
	assert_error("at offset 0x220: Register Base Address 0x1234 not 4 KiB aligned", NULL);   /* the 32nd */
}

/* ---- firmware tables as shipped (issue 7, 1b) ---- */

/* The usual "VT-d off" placeholder: one DRHD at base 0. A fact, not an error. */
static void test_vtd_off_placeholder(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0);
	db_scope(&b, DMAR_SCOPE_IOAPIC, 2, 0xf0, 1, 0x1f, 0);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_int_equal(out.nr_warnings, 1);
	assert_warning("DMAR: the only DRHD has Register Base Address 0: the firmware's placeholder for VT-d off", NULL);
	assert_int_equal(out.facts, DMAR_FACT_VTD_OFF);
	assert_int_equal(out.nr_units, 0);
	assert_int_equal(out.nr_unusable, 1);
	assert_int_equal(out.unusable[0].register_base, 0);
	assert_true(out.unusable[0].include_pci_all);
	assert_int_equal(out.unusable[0].scopes.count, 1);

	/* Several, all at 0: the same fact. */
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, 0, 0, 0, 0);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_int_equal(out.facts, DMAR_FACT_VTD_OFF);
	assert_warning("DMAR: every DRHD has Register Base Address 0", NULL);
	assert_int_equal(out.nr_unusable, 2);

	/* An RHSA naming the placeholder unit adds nothing to say. */
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0);
	db_rhsa(&b, 0, 0);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_int_equal(out.nr_warnings, 1);
	assert_int_equal(out.nr_rhsas, 1);
}

/*
 * Firmware that half-disables VT-d: segment 0's INCLUDE_PCI_ALL unit at base 0
 * beside a valid unit, segment 1 whole. The hole is named by segment and can
 * be asked for by segment.
 */
static void test_include_all_zero_beside_valid(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, DMAR_FLAG_INTR_REMAP);
	db_drhd(&b, 0, 0, 0, 0xfed90000);                      /* 0x30 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0);       /* 0x48 */
	db_scope(&b, DMAR_SCOPE_IOAPIC, 2, 0xf0, 1, 0x1f, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 1, 0xfed91000);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_int_equal(out.nr_warnings, 1);
	assert_warning("DMAR: DRHD at offset 0x48: INCLUDE_PCI_ALL unit of segment 0 has Register Base Address 0x0: "
		       "devices of segment 0 that no other unit lists have no remapping unit: their DMA is not translated",
		       NULL);
	assert_int_equal(out.facts, DMAR_FACT_UNIT_MISSING | DMAR_FACT_SEGMENT_UNCOVERED);
	assert_int_equal(out.nr_units, 2);
	assert_int_equal(out.nr_unusable, 1);
	assert_ptr_equal(dmar_include_all_unusable(&out, 0), &out.unusable[0]);
	assert_int_equal(out.unusable[0].offset, 0x48);
	assert_null(dmar_include_all_unusable(&out, 1));
	assert_null(dmar_include_all_unusable(&out, 2));

	/* A second, usable INCLUDE_PCI_ALL unit for the segment closes the hole. */
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_int_equal(out.facts, DMAR_FACT_UNIT_MISSING);
	assert_null(dmar_include_all_unusable(&out, 0));
}

/* Zero-size RMRRs (limit = base - 1, limit = base, 0/0) reserve nothing: warnings, dropped. */
static void test_rmrr_zero_size(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
	db_rmrr(&b, 0, 0x7b000000, 0x7affffff);                /* 0x40 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_rmrr(&b, 0, 0x7c000000, 0x7c000000);                /* 0x60 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_rmrr(&b, 0, 0, 0);                                  /* 0x80 */
	db_rmrr(&b, 0, 0x7a000000, 0x7a01ffff);                /* 0x98 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_int_equal(out.nr_warnings, 3);
	assert_warning("RMRR) at offset 0x40: base 0x7b000000 limit 0x7affffff: zero-size region (firmware placeholder); ignored",
		       NULL);
	assert_warning("RMRR) at offset 0x60: base 0x7c000000 limit 0x7c000000: zero-size region", NULL);
	assert_warning("RMRR) at offset 0x80: base 0x0 limit 0x0: zero-size region", NULL);
	assert_int_equal(out.facts, DMAR_FACT_EMPTY_RMRR);
	assert_int_equal(out.nr_empty_rmrrs, 3);
	assert_int_equal(out.nr_rmrrs, 1);
	assert_int_equal(out.rmrrs[0].offset, 0x98);
	assert_int_equal(out.rmrrs[0].scopes.count, 1);
}

/* An RMRR whose size does not fit 64 bits, or past the address width, cannot be mapped. */
static void test_rmrr_unmappable(void **state)
{
	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_rmrr(&b, 0, 0, 0xffffffffffffffffULL);             /* 0x30: limit + 1 - base wraps to 0 */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_rmrr(&b, 0, 0x8000000000ULL, 0x8000000fffULL);      /* 0x50: bit 39 with a 39-bit width */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_rmrr(&b, 0, 0x7ffffff000ULL, 0x7fffffffffULL);      /* 0x70: the last page inside: valid */
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 2);
	assert_error("RMRR) at offset 0x30: base 0 limit 0xffffffffffffffff: the whole address space; skipped", NULL);
	assert_error("RMRR) at offset 0x50: limit 0x8000000fff beyond the 39-bit Host Address Width; skipped", NULL);
	assert_int_equal(out.nr_rmrrs, 1);
	assert_int_equal(out.rmrrs[0].offset, 0x70);
}

/* VT-d 8.9: SIDP is decoded: segment, and scopes with their Flags. */
static void test_sidp(void **state)
{
	const struct dmar_sidp_info *s;
	u32 off, scope2;

	(void)state;
	db_init(&b, QEMU_HAW, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
	off = db_sidp(&b, 0);
	db_scope_flags(&b, DMAR_SCOPE_PCI_ENDPOINT, DMAR_SCOPE_ATC_REQUIRED | DMAR_SCOPE_ATC_HARDENED, 0, 0, 1, 0x0b, 0);
	scope2 = db_scope_flags(&b, DMAR_SCOPE_PCI_ENDPOINT, DMAR_SCOPE_REQ_WO_PASID_NESTED_NOTALLOWED, 0, 0, 2,
				0x1c, 0, 0, 0);
	db_sidp(&b, 3);                                        /* no scope: a warning */
	db_finish(&b);
	assert_int_equal(parse(), OK);
	assert_int_equal(out.nr_errors, 0);
	assert_int_equal(out.nr_warnings, 1);
	assert_warning("structure type 6 (SIDP) at offset 0x", "no device scope: reports no device");
	assert_int_equal(out.nr_sidps, 2);
	s = &out.sidps[0];
	assert_int_equal(s->segment, 0);
	assert_int_equal(s->offset, off);
	assert_int_equal(s->scopes.count, 2);
	assert_int_equal(s->scopes.scope[0].flags, DMAR_SCOPE_ATC_REQUIRED | DMAR_SCOPE_ATC_HARDENED);
	assert_path(&s->scopes.scope[0], "00:0b.0");
	assert_int_equal(s->scopes.scope[1].flags, DMAR_SCOPE_REQ_WO_PASID_NESTED_NOTALLOWED);
	assert_int_equal(s->scopes.scope[1].offset, scope2);
	assert_path(&s->scopes.scope[1], "00:1c.0/00.0");
	assert_int_equal(out.sidps[1].segment, 3);
	assert_int_equal(out.sidps[1].scopes.count, 0);
}

/* The ACPI header's OEM fields are kept for the report. */
static void test_oem_ids(void **state)
{
	(void)state;
	build_qemu();
	b.buf[24] = 0x34;                                      /* OEM Revision 0x1234 */
	b.buf[25] = 0x12;
	db_checksum(&b);
	assert_int_equal(parse(), OK);
	assert_string_equal(out.oem_id, "PSSAGE");
	assert_string_equal(out.oem_table_id, "TESTDMAR");
	assert_int_equal(out.oem_revision, 0x1234);
	assert_int_equal(out.facts, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_qemu_like),
		T(test_server_units),
		T(test_server_other_structures),
		T(test_sized_from_table),
		T(test_no_structures_no_alloc),
		T(test_alloc_failure),
		T(test_table_changed_between_passes),
		T(test_path_str_truncates),
		T(test_bad_checksum_still_parsed),
		T(test_header_rejected),
		T(test_trailing_buffer_ignored),
		T(test_haw_sanity),
		T(test_rmrr_limit_below_base),
		T(test_rmrr_unaligned),
		T(test_drhd_base_unaligned_or_zero),
		T(test_truncated_structure),
		T(test_truncated_header_bytes),
		T(test_zero_length_structure),
		T(test_below_minimum_length),
		T(test_unknown_type_warned),
		T(test_scope_past_structure),
		T(test_scope_length_below_6),
		T(test_bad_scope_content),
		T(test_include_all_rules),
		T(test_cross_checks),
		T(test_andd_names),
		T(test_message_overflow),
		T(test_vtd_off_placeholder),
		T(test_include_all_zero_beside_valid),
		T(test_rmrr_zero_size),
		T(test_rmrr_unmappable),
		T(test_sidp),
		T(test_oem_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
