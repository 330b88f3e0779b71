/* dmar-decode: prints what Passage's DMAR parser sees in a raw DMAR table file (acpidump -b, acpixtract, iasl). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/dmar.h"
#include "tools/hostio.h"

#define MAX_TABLE (16u << 20)     /* far beyond any real DMAR; keeps a wrong file from eating memory */

/* Reads the whole file; returns NULL (after saying why) on any I/O problem. */
static u8 *read_file(const char *path, u32 *len)
{
	size_t n;
	u8 *buf = hostio_read_file("dmar-decode", path, MAX_TABLE, "a DMAR table", &n);
	if (buf)
		*len = (u32)n;
	return buf;
}

/* Scope type names as `iasl -d` prints them (the VT-d spec's names are in dmar_scope_type_name). */
static const char *iasl_scope_name(u8 type)
{
	static const char *const names[] = { "Reserved value", "PCI Endpoint Device", "PCI Bridge Device",
					     "IOAPIC Device", "Message-capable HPET Device", "Namespace Device" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "Unknown Scope Type";
}

/* VT-d 8.3.1 Device Scope Flags, by name. */
static void print_scope_flags(u8 flags)
{
	static const char *const names[] = { "REQ_WO_PASID_NESTED_NOTALLOWED", "REQ_WO_PASID_PWSNP_NOTALLOWED",
					     "REQ_WO_PASID_PGSNP_NOTALLOWED", "ATC_HARDENED", "ATC_REQUIRED" };

	printf("Flags 0x%02x", flags);
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & (1u << i))
			printf(" %s", names[i]);
	if (flags & ~DMAR_SCOPE_FLAGS_KNOWN)
		printf(" (reserved bits 0x%02x)", flags & ~DMAR_SCOPE_FLAGS_KNOWN);
}

/*
 * One line per scope: iasl's type name, the flags, and the PCI Path both as
 * iasl prints it (one "DD,FF" pair per hop) and as bus:dev.fn hops.
 */
static void print_scopes(const struct dmar_scopes *ss)
{
	char path[256];

	for (u32 i = 0; i < ss->count; i++) {
		const struct dmar_scope *s = &ss->scope[i];

		dmar_scope_path_str(s, path, sizeof(path));
		printf("  Device Scope          : %s (type %u), ", iasl_scope_name(s->type), s->type);
		print_scope_flags(s->flags);
		printf(", Enumeration ID 0x%02x, PCI Bus Number 0x%02x, PCI Path", s->enumeration_id, s->start_bus);
		for (u32 k = 0; k < s->nr_path; k++)
			printf(" %02X,%02X", s->path[k].device, s->path[k].function);
		printf(" (%s)\n", path);
	}
	if (ss->count == 0)
		printf("  Device Scope          : (none)\n");
}

static void print_name(const char *s);

static void print_header(const struct dmar_info *o, const char *file)
{
	printf("DMAR table %s: Table Length 0x%x, Revision %u, Checksum %s\n", file, o->table_length, o->revision,
	       o->checksum_ok ? "ok" : "WRONG");
	printf("Oem ID                  : ");
	print_name(o->oem_id);
	printf("\nOem Table ID            : ");
	print_name(o->oem_table_id);
	printf("\nOem Revision            : 0x%08x\n", o->oem_revision);
	printf("Host Address Width      : 0x%02x (%u-bit DMA addresses)\n", o->haw - 1u, o->haw);
	printf("Flags                   : 0x%02x%s%s%s\n", o->flags,
	       o->flags & DMAR_FLAG_INTR_REMAP ? " INTR_REMAP" : "",
	       o->flags & DMAR_FLAG_X2APIC_OPT_OUT ? " X2APIC_OPT_OUT" : "",
	       o->flags & DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN ? " DMA_CTRL_PLATFORM_OPT_IN" : "");
}

static void print_unit(const struct dmar_unit *u)
{
	printf("  Register Base Address : 0x%016llx\n", (unsigned long long)u->register_base);
	printf("  Register Set Size     : 0x%llx\n", (unsigned long long)u->register_size);
	printf("  PCI Segment Number    : 0x%04x\n", u->segment);
	printf("  Include All           : %s\n", u->include_pci_all ? "yes (INCLUDE_PCI_ALL)" : "no");
	print_scopes(&u->scopes);
}

static void print_units(const struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_units; i++) {
		printf("\n[DRHD %u] Hardware Unit Definition at offset 0x%x\n", i, o->units[i].offset);
		print_unit(&o->units[i]);
	}
	for (u32 i = 0; i < o->nr_unusable; i++) {
		const struct dmar_unit *u = &o->unusable[i];

		printf("\n[DRHD unusable %u] Hardware Unit Definition at offset 0x%x: Register Base Address %s\n", i,
		       u->offset, u->register_base ? "not 4 KiB aligned" : "0");
		print_unit(u);
	}
}

static void print_rmrrs(const struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_rmrrs; i++) {
		const struct dmar_rmrr_info *r = &o->rmrrs[i];

		printf("\n[RMRR %u] Reserved Memory Region at offset 0x%x\n", i, r->offset);
		printf("  PCI Segment Number    : 0x%04x\n", r->segment);
		printf("  Base Address          : 0x%016llx\n", (unsigned long long)r->base);
		printf("  End Address (limit)   : 0x%016llx\n", (unsigned long long)r->limit);
		print_scopes(&r->scopes);
	}
}

static void print_atsrs(const struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_atsrs; i++) {
		const struct dmar_atsr_info *a = &o->atsrs[i];

		printf("\n[ATSR %u] Root Port ATS Capability at offset 0x%x\n", i, a->offset);
		printf("  Flags                 : 0x%02x%s\n", a->flags, a->all_ports ? " ALL_PORTS" : "");
		printf("  PCI Segment Number    : 0x%04x\n", a->segment);
		print_scopes(&a->scopes);
	}
}

static void print_rhsas(const struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_rhsas; i++) {
		const struct dmar_rhsa_info *r = &o->rhsas[i];

		printf("\n[RHSA %u] Remapping Hardware Static Affinity at offset 0x%x\n", i, r->offset);
		printf("  Base Address          : 0x%016llx\n", (unsigned long long)r->register_base);
		printf("  Proximity Domain      : 0x%08x\n", r->proximity_domain);
	}
}

/* Names come from firmware: anything unprintable is shown as \xNN. */
static void print_name(const char *s)
{
	putchar('"');
	for (; *s; s++)
		if (*s >= 0x20 && *s < 0x7f && *s != '"')
			putchar(*s);
		else
			printf("\\x%02x", (unsigned char)*s);
	putchar('"');
}

static void print_andds(const struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_andds; i++) {
		const struct dmar_andd_info *a = &o->andds[i];

		printf("\n[ANDD %u] ACPI Namespace Device Declaration at offset 0x%x\n", i, a->offset);
		printf("  Device Number         : 0x%02x\n", a->acpi_device_number);
		printf("  Device Name           : ");
		print_name(a->object_name);
		putchar('\n');
	}
}

static void print_satcs(const struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_satcs; i++) {
		const struct dmar_satc_info *s = &o->satcs[i];

		printf("\n[SATC %u] SoC Integrated Address Translation Cache at offset 0x%x\n", i, s->offset);
		printf("  Flags                 : 0x%02x%s\n", s->flags, s->atc_required ? " ATC_REQUIRED" : "");
		printf("  PCI Segment Number    : 0x%04x\n", s->segment);
		print_scopes(&s->scopes);
	}
}

static void print_sidps(const struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_sidps; i++) {
		const struct dmar_sidp_info *s = &o->sidps[i];

		printf("\n[SIDP %u] SoC Integrated Device Property at offset 0x%x\n", i, s->offset);
		printf("  PCI Segment Number    : 0x%04x\n", s->segment);
		print_scopes(&s->scopes);
	}
}

/* The firmware facts Passage acts on (dmar.h DMAR_FACT_*); the warnings below say the details. */
static void print_facts(const struct dmar_info *o)
{
	static const struct {
		u32 bit;
		const char *text;
	} facts[] = {
		{ DMAR_FACT_VTD_OFF, "VT-d off (every DRHD at base 0)" },
		{ DMAR_FACT_UNIT_MISSING, "unit at base 0 beside usable units" },
		{ DMAR_FACT_SEGMENT_UNCOVERED, "segment whose INCLUDE_PCI_ALL unit is unusable" },
		{ DMAR_FACT_EMPTY_RMRR, "zero-size RMRR ignored" },
	};
	const char *sep = " ";

	printf("Firmware facts          :%s", o->facts ? "" : " none");
	for (unsigned i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
		if (o->facts & facts[i].bit) {
			printf("%s%s", sep, facts[i].text);
			sep = "; ";
		}
	putchar('\n');
}

static void print_msgs(const struct dmar_info *o)
{
	printf("\n%u errors, %u warnings\n", o->nr_errors, o->nr_warnings);
	for (u32 i = 0; i < o->nr_msgs; i++)
		printf("%s: %s\n", o->msgs[i].error ? "error" : "warning", o->msgs[i].text);
	if (o->msgs_dropped)
		printf("(%u more not stored)\n", o->msgs_dropped);
}

int main(int argc, char **argv)
{
	struct dmar_info info;
	status_t st;
	u32 len;
	u8 *table;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: dmar-decode FILE   (a raw DMAR table, e.g. from acpidump -n DMAR -b)\n"
				"exit status: 0 no table errors (warnings, firmware facts such as VT-d off allowed),\n"
				"             1 table has errors or is unusable, 2 I/O problem\n");
		return 2;
	}
	table = read_file(argv[1], &len);
	if (table == NULL)
		return 2;
	st = dmar_parse(table, len, dmar_host_alloc, NULL, &info);
	if (st == OK) {
		print_header(&info, argv[1]);
		printf("Structures              : %u DRHD, %u RMRR, %u ATSR, %u RHSA, %u ANDD, %u SATC, %u SIDP; %u DRHD unusable\n",
		       info.nr_units, info.nr_rmrrs, info.nr_atsrs, info.nr_rhsas, info.nr_andds, info.nr_satcs,
		       info.nr_sidps, info.nr_unusable);
		print_facts(&info);
		print_units(&info);
		print_rmrrs(&info);
		print_atsrs(&info);
		print_rhsas(&info);
		print_andds(&info);
		print_satcs(&info);
		print_sidps(&info);
	} else {
		printf("DMAR table %s: not usable (%s)\n", argv[1], st == E_NOMEM ? "out of memory" : "bad header");
	}
	print_msgs(&info);
	dmar_free(&info);
	free(table);
	if (fflush(stdout) != 0)
		return 2;
	return st != OK || info.nr_errors ? 1 : 0;
}
