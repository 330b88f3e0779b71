/* libFuzzer target for dmar_parse(): the input is the raw DMAR table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/dmar.h"

static void *fuzz_alloc(size_t bytes, void *ctx)
{
	(void)ctx;
	return malloc(bytes);
}

static void check_scopes(const struct dmar_info *o, const struct dmar_scopes *ss)
{
	char buf[64];

	for (u32 i = 0; i < ss->count; i++) {
		const struct dmar_scope *s = &ss->scope[i];

		if (s->nr_path == 0 || s->type < DMAR_SCOPE_PCI_ENDPOINT ||
		    s->type > DMAR_SCOPE_ACPI_NAMESPACE_DEVICE || s->offset >= o->table_length)
			abort();
		for (u32 k = 0; k < s->nr_path; k++)
			if (s->path[k].device > 31 || s->path[k].function > 7)
				abort();
		dmar_scope_path_str(s, buf, sizeof(buf));
	}
}

/* The firmware-fact classification agrees with what was stored. */
static void check_facts(const struct dmar_info *o)
{
	bool hole = false, zero = false;
	u32 i;

	for (i = 0; i < o->nr_unusable; i++) {
		const struct dmar_unit *u = &o->unusable[i], *h = dmar_include_all_unusable(o, u->segment);

		zero |= u->register_base == 0;
		if (h && (!h->include_pci_all || h->segment != u->segment || h < o->unusable ||
			  h >= o->unusable + o->nr_unusable))
			abort();
		if (u->include_pci_all && !h) {
			bool usable_all = false;

			for (u32 j = 0; j < o->nr_units; j++)
				usable_all |= o->units[j].include_pci_all && o->units[j].segment == u->segment;
			if (!usable_all)
				abort();
		}
		hole |= h != NULL;
	}
	if (o->facts & DMAR_FACT_VTD_OFF) {
		if (o->nr_units || !o->nr_unusable || o->facts & (DMAR_FACT_UNIT_MISSING | DMAR_FACT_SEGMENT_UNCOVERED))
			abort();
		for (i = 0; i < o->nr_unusable; i++)
			if (o->unusable[i].register_base)
				abort();
	} else {
		if (!!(o->facts & DMAR_FACT_SEGMENT_UNCOVERED) != hole || !!(o->facts & DMAR_FACT_UNIT_MISSING) != zero)
			abort();
	}
	if (!!(o->facts & DMAR_FACT_EMPTY_RMRR) != (o->nr_empty_rmrrs != 0))
		abort();
}

/* What must hold for any input: only validated data stored, strings terminated, counts consistent. */
static void check(const struct dmar_info *o)
{
	u32 i;

	if (memchr(o->oem_id, 0, sizeof(o->oem_id)) == NULL ||
	    memchr(o->oem_table_id, 0, sizeof(o->oem_table_id)) == NULL)
		abort();

	if (o->nr_msgs > DMAR_MAX_MSGS || o->nr_msgs + o->msgs_dropped != o->nr_errors + o->nr_warnings)
		abort();
	for (i = 0; i < o->nr_msgs; i++)
		if (memchr(o->msgs[i].text, 0, DMAR_MSG_LEN) == NULL || o->msgs[i].text[0] == 0)
			abort();
	for (i = 0; i < o->nr_units; i++) {
		if (o->units[i].register_base == 0 || o->units[i].register_base % 4096)
			abort();
		check_scopes(o, &o->units[i].scopes);
	}
	for (i = 0; i < o->nr_unusable; i++) {
		if (o->unusable[i].register_base != 0 && o->unusable[i].register_base % 4096 == 0)
			abort();
		check_scopes(o, &o->unusable[i].scopes);
	}
	for (i = 0; i < o->nr_rmrrs; i++) {
		const struct dmar_rmrr_info *r = &o->rmrrs[i];

		/* a region of at least one page whose size fits 64 bits, inside the address width */
		if (r->limit < r->base || r->base % 4096 || (r->limit + 1) % 4096 || r->limit + 1 == r->base ||
		    (r->base == 0 && r->limit == ~0ull) || (o->haw >= 12 && o->haw < 64 && r->limit >> o->haw))
			abort();
		check_scopes(o, &r->scopes);
	}
	for (i = 0; i < o->nr_atsrs; i++)
		check_scopes(o, &o->atsrs[i].scopes);
	for (i = 0; i < o->nr_satcs; i++)
		check_scopes(o, &o->satcs[i].scopes);
	for (i = 0; i < o->nr_sidps; i++)
		check_scopes(o, &o->sidps[i].scopes);
	check_facts(o);
	for (i = 0; i < o->nr_andds; i++)
		if (o->andds[i].object_name[0] == 0 || strlen(o->andds[i].object_name) >= o->table_length)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmar_info out;
	u8 *copy = malloc(size ? size : 1);       /* exact size: ASan sees any overread */

	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	if (dmar_parse(copy, (u32)(size > 0xffffffffu ? 0xffffffffu : size), fuzz_alloc, NULL, &out) == OK)
		check(&out);
	dmar_free(&out);
	free(copy);
	return 0;
}

#ifdef FUZZ_SEEDS
#include "tests/common/dmar_build.h"

static struct dmar_build b;

static void write_seed(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b.buf, 1, b.len, f) != b.len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Every structure type, multi-hop paths, an ACPI scope with its ANDD; valid checksum. */
static void build_full(void)
{
	db_init(&b, 45, DMAR_FLAG_INTR_REMAP);
	db_drhd(&b, 0, 1, 0, 0xfed90000);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_scope(&b, DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, 2, 0x1c, 0, 0, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
	db_scope(&b, DMAR_SCOPE_IOAPIC, 2, 0xf0, 1, 0x1f, 0);
	db_scope(&b, DMAR_SCOPE_MSI_CAPABLE_HPET, 0, 0, 1, 0x1f, 7);
	db_scope(&b, DMAR_SCOPE_ACPI_NAMESPACE_DEVICE, 1, 0, 1, 0x15, 0);
	db_rmrr(&b, 0, 0x7a000000, 0x7a01ffff);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_atsr(&b, 0, 0);
	db_scope(&b, DMAR_SCOPE_PCI_SUBHIERARCHY, 0, 0, 1, 0x1c, 0);
	db_rhsa(&b, 0xfed91000, 0);
	db_andd(&b, 1, "\\_SB.PCI0.UA00");
	db_satc(&b, DMAR_SATC_ATC_REQUIRED, 0);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x0b, 0);
	db_sidp(&b, 0);
	db_scope_flags(&b, DMAR_SCOPE_PCI_ENDPOINT, DMAR_SCOPE_ATC_REQUIRED | DMAR_SCOPE_ATC_HARDENED, 0, 0, 1, 0x0b, 0);
	db_finish(&b);
}

/* Firmware as shipped: INCLUDE_PCI_ALL at base 0 beside a valid unit, a zero-size RMRR. */
static void build_half_off(void)
{
	db_init(&b, 38, 0);
	db_drhd(&b, 0, 0, 0, 0xfed90000);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 2, 0);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0);
	db_scope(&b, DMAR_SCOPE_IOAPIC, 2, 0xf0, 1, 0x1f, 0);
	db_rmrr(&b, 0, 0x7b000000, 0x7affffff);
	db_scope(&b, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 1, 0x14, 0);
	db_finish(&b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
		return 2;
	}
	db_init(&b, 38, DMAR_FLAG_INTR_REMAP | DMAR_FLAG_X2APIC_OPT_OUT);
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
	db_scope(&b, DMAR_SCOPE_IOAPIC, 0, 0xff, 1, 0, 0);
	db_finish(&b);
	write_seed(argv[1], "qemu");
	build_full();
	write_seed(argv[1], "full");
	db_init(&b, 38, 0);                       /* the "VT-d off" placeholder */
	db_drhd(&b, DMAR_DRHD_INCLUDE_PCI_ALL, 0, 0, 0);
	db_finish(&b);
	write_seed(argv[1], "vtd-off");
	build_half_off();
	write_seed(argv[1], "half-off");
	return 0;
}
#endif
