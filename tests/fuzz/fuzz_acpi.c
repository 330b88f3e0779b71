/* libFuzzer target for acpi_parse(): the input is physical memory from 0x1000 with the RSDP at its start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi_tables.h"

#define FUZZ_BASE 0x1000ULL
#define FUZZ_MAX_MAPS 4096

/*
 * Each map() call returns a fresh heap copy of exactly len bytes, so ASan
 * flags any read beyond what the parser asked for, even inside the blob.
 */
struct fuzz_mem {
	const u8 *data;
	size_t size;
	size_t nr_maps;
	void *maps[FUZZ_MAX_MAPS];
};

static const void *fuzz_map(u64 phys, u64 len, void *ctx)
{
	struct fuzz_mem *m = ctx;
	void *copy;

	if (phys < FUZZ_BASE || phys - FUZZ_BASE > m->size || len > m->size - (phys - FUZZ_BASE))
		return NULL;
	if (m->nr_maps == FUZZ_MAX_MAPS)
		return NULL;
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, m->data + (phys - FUZZ_BASE), len);
	m->maps[m->nr_maps++] = copy;
	return copy;
}

static void release(struct fuzz_mem *m)
{
	while (m->nr_maps)
		free(m->maps[--m->nr_maps]);
}

/* What must hold for any input: counts within bounds, strings terminated. */
/* Whatever the status, out holds its invariants (a failed parse leaves it partly filled); the
 * status itself is OK or a negative code (lib/status.h). */
static void check(const struct acpi_platform *p, status_t st)
{
	u32 i;

	if (st > 0)
		abort();

	if (p->nr_tables > ACPI_MAX_TABLES || p->nr_cpus > ACPI_MAX_CPUS ||
	    p->nr_ioapics > ACPI_MAX_IOAPICS || p->nr_overrides > ACPI_MAX_OVERRIDES ||
	    p->nr_mcfg > ACPI_MAX_MCFG)
		abort();
	for (i = 0; i < p->nr_errors && i < ACPI_MAX_ERRORS; i++)
		if (memchr(p->errors[i], 0, ACPI_ERROR_LEN) == NULL || p->errors[i][0] == 0)
			abort();
	for (i = 0; i < p->nr_tables; i++)
		if (p->tables[i].signature[4] != 0)
			abort();
	for (i = 0; i < p->nr_cpus; i++)
		if (!p->cpus[i].enabled && !p->cpus[i].online_capable)
			abort();
	for (i = 0; i < p->nr_mcfg; i++)
		if (p->mcfg[i].end_bus < p->mcfg[i].start_bus)
			abort();
}

/* Pointer to len bytes at phys inside the blob, or NULL. */
static u8 *blob_at(u8 *b, size_t size, u64 phys, u64 len)
{
	if (phys < FUZZ_BASE || phys - FUZZ_BASE > size || len > size - (phys - FUZZ_BASE))
		return NULL;
	return b + (phys - FUZZ_BASE);
}

static u8 sum(const u8 *p, u64 len)
{
	u8 s = 0;

	while (len--)
		s = (u8)(s + *p++);
	return s;
}

/* Makes the SDT at phys sum to zero, if its header and length lie in the blob. */
static void fix_sdt(u8 *b, size_t size, u64 phys)
{
	u8 *t = blob_at(b, size, phys, 36);
	u32 len;

	if (t == NULL)
		return;
	memcpy(&len, t + 4, 4);
	if (len < 36 || blob_at(b, size, phys, len) == NULL)
		return;
	t[9] = 0;
	t[9] = (u8)(0x100 - sum(t, len));
}

/* Fixes the checksums of a root table's children, then its own. */
static void fix_root(u8 *b, size_t size, u64 phys, u32 esize)
{
	u8 *t = blob_at(b, size, phys, 36);
	u64 entry = 0;
	u32 len, i;

	if (t == NULL)
		return;
	memcpy(&len, t + 4, 4);
	if (len < 36 || blob_at(b, size, phys, len) == NULL)
		return;
	for (i = 0; i < (len - 36) / esize; i++) {
		memcpy(&entry, t + 36 + i * esize, esize);
		fix_sdt(b, size, entry);
	}
	fix_sdt(b, size, phys);
}

/*
 * Random mutations almost never keep a checksum right, which would leave the
 * code behind each checksum unfuzzed: a second pass parses a copy whose
 * RSDP, root and table checksums were recomputed (best effort).
 */
static void fix_checksums(u8 *b, size_t size)
{
	u64 xsdt = 0;
	u32 rsdt, len;

	if (size < 20)
		return;
	memcpy(&rsdt, b + 16, 4);
	if (b[15] >= 2 && size >= 36)
		memcpy(&xsdt, b + 24, 8);
	fix_root(b, size, rsdt, 4);
	if (xsdt != 0)
		fix_root(b, size, xsdt, 8);
	b[8] = 0;
	b[8] = (u8)(0x100 - sum(b, 20));
	if (b[15] >= 2 && size >= 36) {
		memcpy(&len, b + 20, 4);
		if (len >= 36 && len <= size) {
			b[32] = 0;
			b[32] = (u8)(0x100 - sum(b, len));
		}
	}
}

static struct fuzz_mem mem;
static struct acpi_platform out;

static void parse_blob(const u8 *data, size_t size)
{
	u8 copy[36];

	mem.data = data;
	mem.size = size;
	check(&out, acpi_parse(FUZZ_BASE, NULL, fuzz_map, &mem, &out));
	release(&mem);
	if (size >= sizeof(copy)) {   /* the boot loader's copy of the same RSDP */
		memcpy(copy, data, sizeof(copy));
		check(&out, acpi_parse(0, copy, fuzz_map, &mem, &out));
		release(&mem);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 *fixed = malloc(size ? size : 1);

	if (fixed == NULL)
		abort();
	parse_blob(data, size);
	memcpy(fixed, data, size);
	fix_checksums(fixed, size);
	parse_blob(fixed, size);
	free(fixed);
	return 0;
}

#ifdef FUZZ_SEEDS
#include "tests/common/acpi_image.h"

static struct acpi_image im;

static void write_seed(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(im.mem, 1, im.next, f) != im.next || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* RSDP at 0x1000 -> XSDT/RSDT -> MADT (every parsed type), MCFG, DMAR. */
static void build(u8 revision, bool x2apic_heavy)
{
	static struct madt_build b;
	const struct acpi_mcfg_alloc a[2] = { { 0xb0000000ULL, 0, 0, 255, 0 },
					      { 0xc0000000ULL, 1, 0, 15, 0 } };
	u64 rsdp, x[3];
	u32 r[3], i;

	acpi_image_init(&im, FUZZ_BASE);
	rsdp = acpi_image_alloc(&im, 36);
	madt_init(&b, 0xfee00000, 1);
	madt_lapic(&b, 0, 0, MADT_LAPIC_ENABLED);
	madt_lapic(&b, 1, 1, MADT_LAPIC_ONLINE_CAPABLE);
	madt_x2apic(&b, 1, 1, MADT_LAPIC_ENABLED);
	for (i = 0; x2apic_heavy && i < 8; i++)
		madt_x2apic(&b, 10 + i, 0x100 + i, MADT_LAPIC_ENABLED);
	madt_ioapic(&b, 2, 0xfec00000, 0);
	madt_iso(&b, 0, 0, 2, 0);
	madt_iso(&b, 0, 9, 9, 0xd);
	madt_nmi(&b, 0xff, 5, 1);
	madt_lapic_override(&b, 0xfee00000);
	x[0] = r[0] = (u32)madt_emit(&im, &b);
	x[1] = r[1] = (u32)mcfg_emit(&im, a, 2);
	x[2] = r[2] = (u32)dmar_emit(&im);
	acpi_image_rsdp_at(&im, rsdp, revision, (u32)acpi_image_rsdt(&im, r, 3),
			   revision >= 2 ? acpi_image_xsdt(&im, x, 3) : 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
		return 2;
	}
	build(2, false);
	write_seed(argv[1], "xsdt_platform");
	build(0, false);
	write_seed(argv[1], "rsdt_platform");
	build(2, true);
	write_seed(argv[1], "x2apic_platform");
	return 0;
}
#endif
