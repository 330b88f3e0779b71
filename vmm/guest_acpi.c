/* Minimal ACPI tables for a Linux guest: RSDP, XSDT, a MADT listing its vCPUs (ACPI 6.5 5.2), an MCFG with passthrough. */
#include "guest_acpi.h"
#include "vpci.h"
#include "arch/x86/acpi_tables.h"
#include "lib/string.h"

struct madt_lapic {           /* 5.2.12.2 Processor Local APIC structure */
	u8 type, length, uid, apic_id;
	u32 flags;
} PACKED;
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT local APIC entry is 8 bytes");

static void header(struct acpi_sdt_header *h, const char *sig, u32 len, u8 rev)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "PSSAGE", 6);
	memcpy(h->oem_table_id, "PASSAGE ", 8);
	h->oem_revision = 1;
	h->checksum = (u8)(0x100 - acpi_checksum(h, len));
}

/* passthrough: PCI Firmware 3.2 4.1.2 MCFG for the virtual bus 0 (vmm/vpci.c); its length. */
#define MCFG_LEN (sizeof(struct acpi_sdt_header) + 8 + sizeof(struct acpi_mcfg_alloc))
static void mcfg_build(u8 *at)
{
	struct acpi_mcfg_alloc a = { VPCI_ECAM_GPA, 0, 0, 0, 0 };
	memcpy(at + sizeof(struct acpi_sdt_header) + 8, &a, sizeof a);
	header((struct acpi_sdt_header *)at, "MCFG", MCFG_LEN, 1);
}

u64 guest_acpi_build(struct domain *d, u64 gpa, u32 nr_vcpus)
{
	u64 xsdt_gpa = gpa + 64, madt_gpa = gpa + 128;
	u32 madt_len = sizeof(struct acpi_madt) + nr_vcpus * sizeof(struct madt_lapic);
	bool pci = vpci_bus_get(d, false) != NULL; /* passthrough: the domain has a virtual PCI bus */
	u64 mcfg_gpa = ALIGN_UP(madt_gpa + madt_len, 8);
	u8 *base = domain_gpa(d, gpa, mcfg_gpa - gpa + MCFG_LEN);
	if (!base)
		return 0;
	memset(base, 0, mcfg_gpa - gpa + MCFG_LEN);
	struct acpi_madt *madt = (struct acpi_madt *)(base + 128);
	madt->local_apic_address = 0xfee00000;
	madt->flags = 0; /* no PCAT_COMPAT: there is no 8259 pair in a domain */
	struct madt_lapic *l = (struct madt_lapic *)(madt + 1);
	for (u32 i = 0; i < nr_vcpus; i++)
		l[i] = (struct madt_lapic){ MADT_LOCAL_APIC, 8, (u8)i, (u8)i, MADT_LAPIC_ENABLED };
	header(&madt->hdr, "APIC", madt_len, 5);
	struct acpi_sdt_header *xsdt = (struct acpi_sdt_header *)(base + 64);
	memcpy(xsdt + 1, &madt_gpa, 8);
	if (pci) { /* passthrough */
		mcfg_build(base + (mcfg_gpa - gpa));
		memcpy((u8 *)(xsdt + 1) + 8, &mcfg_gpa, 8);
	}
	header(xsdt, "XSDT", sizeof(*xsdt) + (pci ? 16 : 8), 1);
	struct acpi_rsdp *rsdp = (struct acpi_rsdp *)base;
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "PSSAGE", 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = (u8)(0x100 - acpi_checksum(rsdp, 20));
	rsdp->extended_checksum = (u8)(0x100 - acpi_checksum(rsdp, sizeof(*rsdp)));
	return gpa;
}
