/* ACPI on the running machine: RSDP search, table mapping, and a logged summary. */
#include "acpi.h"
#include "cpu.h"
#include "paging.h"
#include "lib/log.h"
#include "lib/string.h"

static const void *map_identity(u64 phys, u64 len, void *ctx)
{
	(void)ctx;
	if (len == 0 || phys == 0 || phys + len < phys || phys + len > (1ULL << 46))
		return NULL;
	if (paging_map(phys, len, MAP_RAM))
		return NULL;
	return (const void *)(uintptr_t)phys;
}

/* ACPI 6.5 5.2.5.1: on BIOS systems search the EBDA's first KiB and 0xE0000-0xFFFFF. */
static u64 find_rsdp_bios(void)
{
	u64 ebda = (u64)mmio_read16(0x40e) << 4; /* BDA word 0x40E: EBDA segment */
	u64 areas[2][2] = { { ebda, 1024 }, { 0xe0000, 0x20000 } };
	for (int a = 0; a < 2; a++) {
		if (areas[a][0] < 0x80000 || areas[a][0] >= 0x100000)
			continue;
		for (u64 p = areas[a][0]; p < areas[a][0] + areas[a][1]; p += 16)
			if (!memcmp((const void *)(uintptr_t)p, "RSD PTR ", 8) &&
			    acpi_checksum((const void *)(uintptr_t)p, 20) == 0)
				return p;
	}
	return 0;
}

status_t acpi_init(const struct boot_info *bi, struct acpi_platform *out)
{
	const void *copy = bi->rsdp_copy_len ? bi->rsdp_copy : NULL;
	u64 rsdp = bi->rsdp;
	if (!copy && !rsdp && (rsdp = find_rsdp_bios()) != 0)
		LOG("acpi", "RSDP found by BIOS area search at 0x%lx", rsdp);
	status_t st = acpi_parse(rsdp, copy, map_identity, NULL, out);
	for (u32 i = 0; i < out->nr_errors && i < ACPI_MAX_ERRORS; i++)
		LOG("acpi", "error: %s", out->errors[i]);
	if (out->nr_errors > ACPI_MAX_ERRORS)
		LOG("acpi", "error: %u more problems not shown", out->nr_errors - ACPI_MAX_ERRORS);
	if (st) {
		LOG("acpi", "no usable ACPI tables (%s)", status_str(st));
		return st;
	}
	LOG("acpi", "RSDP revision %u, %s with %u tables", out->rsdp_revision,
	    out->used_xsdt ? "XSDT" : "RSDT", out->nr_tables);
	for (u32 i = 0; i < out->nr_tables; i++)
		LOG("acpi", "table %s at 0x%lx length %u%s", out->tables[i].signature,
		    out->tables[i].phys, out->tables[i].length, out->tables[i].valid ? "" : " INVALID");
	return OK;
}
