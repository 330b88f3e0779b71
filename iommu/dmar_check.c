/* DMAR checks across structures and the firmware facts (VT-d off, units at base 0) they classify. */
#include "dmar_walk.h"

/* ---- checks across structures ---- */

/*
 * VT-d 8.3: at most one INCLUDE_PCI_ALL unit per segment, and it must be the
 * last DRHD of its segment so the units listed before it claim their devices.
 */
static void check_include_all(struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_units; i++) {
		const struct dmar_unit *u = &o->units[i];
		bool later = false, earlier_all = false;

		if (!u->include_pci_all)
			continue;
		for (u32 j = 0; j < o->nr_units; j++) {
			if (j == i || o->units[j].segment != u->segment)
				continue;
			later |= j > i;
			earlier_all |= j < i && o->units[j].include_pci_all;
		}
		if (earlier_all)
			dmar_add_msg(o, false, "DMAR: DRHD at offset 0x%x: more than one INCLUDE_PCI_ALL unit in segment %u",
				u->offset, u->segment);
		if (later)
			dmar_add_msg(o, false, "DMAR: DRHD at offset 0x%x: INCLUDE_PCI_ALL unit is not the last of segment %u (VT-d 8.3)",
				u->offset, u->segment);
	}
}

/* Two DRHDs with one register base would be programmed twice. */
static void check_unit_bases(struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_units; i++)
		for (u32 j = 0; j < i; j++)
			if (o->units[j].register_base == o->units[i].register_base)
				dmar_add_msg(o, false, "DMAR: DRHD at offset 0x%x: Register Base Address 0x%llx also used at offset 0x%x",
					o->units[i].offset, (unsigned long long)o->units[i].register_base,
					o->units[j].offset);
}

/* VT-d 8.6: an RHSA names the Register Base Address of a DRHD (an unusable one included). */
static void check_rhsa_units(struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_rhsas; i++) {
		bool found = false;

		for (u32 j = 0; j < o->nr_units && !found; j++)
			found = o->units[j].register_base == o->rhsas[i].register_base;
		for (u32 j = 0; j < o->nr_unusable && !found; j++)   /* already reported */
			found = o->unusable[j].register_base == o->rhsas[i].register_base;
		if (!found)
			dmar_add_msg(o, false, "DMAR: RHSA at offset 0x%x: no DRHD has Register Base Address 0x%llx",
				o->rhsas[i].offset, (unsigned long long)o->rhsas[i].register_base);
	}
}

/* VT-d 8.3.1: an ACPI_NAMESPACE_DEVICE scope's Enumeration ID is an ANDD's ACPI Device Number. */
static void check_acpi_scopes(struct dmar_info *o)
{
	for (u32 i = 0; i < o->nr_units; i++) {
		const struct dmar_scopes *ss = &o->units[i].scopes;

		for (u32 k = 0; k < ss->count; k++) {
			const struct dmar_scope *s = &ss->scope[k];
			bool found = false;

			if (s->type != DMAR_SCOPE_ACPI_NAMESPACE_DEVICE)
				continue;
			for (u32 j = 0; j < o->nr_andds && !found; j++)
				found = o->andds[j].acpi_device_number == s->enumeration_id;
			if (!found)
				dmar_add_msg(o, false, "DMAR: device scope at offset 0x%x: no ANDD with ACPI Device Number %u",
					s->offset, s->enumeration_id);
		}
	}
}

/* ---- firmware facts: DRHDs that cannot be used ---- */

const struct dmar_unit *dmar_include_all_unusable(const struct dmar_info *o, u16 segment)
{
	const struct dmar_unit *hole = NULL;

	for (u32 i = 0; i < o->nr_units; i++)
		if (o->units[i].include_pci_all && o->units[i].segment == segment)
			return NULL;
	for (u32 i = 0; i < o->nr_unusable && !hole; i++)
		if (o->unusable[i].include_pci_all && o->unusable[i].segment == segment)
			hole = &o->unusable[i];
	return hole;
}

/*
 * Says what each unusable DRHD leaves behind. Every DRHD at base 0 is the
 * usual firmware placeholder for "VT-d off" (one warning, no error); a unit
 * at base 0 beside usable ones leaves the devices it covers without a unit,
 * and for INCLUDE_PCI_ALL that is every device of the segment no other unit
 * lists (VT-d 8.3: such a device is translated by no other unit).
 */
static void classify_unusable(struct dmar_info *o)
{
	u32 zero = 0;

	for (u32 i = 0; i < o->nr_unusable; i++)
		zero += o->unusable[i].register_base == 0;
	if (o->nr_units == 0 && zero && zero == o->nr_unusable) {
		o->facts |= DMAR_FACT_VTD_OFF;
		dmar_add_msg(o, false, "DMAR: %s Register Base Address 0: the firmware's placeholder for VT-d off; no remapping unit",
			zero == 1 ? "the only DRHD has" : "every DRHD has");
		return;
	}
	for (u32 i = 0; i < o->nr_unusable; i++) {
		const struct dmar_unit *u = &o->unusable[i];
		char first[32] = "";

		if (u->register_base == 0)
			o->facts |= DMAR_FACT_UNIT_MISSING;
		if (u->include_pci_all) {
			if (dmar_include_all_unusable(o, u->segment) != u)
				continue;         /* another unit covers the segment: nothing lost */
			o->facts |= DMAR_FACT_SEGMENT_UNCOVERED;
			dmar_add_msg(o, false,
				"DMAR: DRHD at offset 0x%x: INCLUDE_PCI_ALL unit of segment %u has Register Base Address 0x%llx: "
				"devices of segment %u that no other unit lists have no remapping unit: their DMA is not translated",
				u->offset, u->segment, (unsigned long long)u->register_base, u->segment);
			continue;
		}
		if (u->scopes.count)
			dmar_scope_path_str(&u->scopes.scope[0], first, sizeof(first));
		dmar_add_msg(o, false,
			"DMAR: DRHD at offset 0x%x: Register Base Address 0x%llx: the %u devices it lists%s%s%s on segment %u have no remapping unit: their DMA is not translated",
			u->offset, (unsigned long long)u->register_base, u->scopes.count, u->scopes.count ? " (" : "",
			first, u->scopes.count > 1 ? ", ...)" : u->scopes.count ? ")" : "", u->segment);
	}
}

/* Runs every check across structures, once pass 2 has published the arrays. */
void dmar_cross_checks(struct dmar_info *o)
{
	classify_unusable(o);
	check_include_all(o);
	check_unit_bases(o);
	check_rhsa_units(o);
	check_acpi_scopes(o);
}
