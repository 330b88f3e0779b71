/* ACPI table layouts and the pure parser of RSDP, XSDT/RSDT, MADT, MCFG (host-compilable). */
#ifndef PASSAGE_ARCH_ACPI_TABLES_H
#define PASSAGE_ARCH_ACPI_TABLES_H

#include "lib/types.h"
#include "lib/status.h"

/* ACPI 6.5 section 5.2.5.3: Root System Description Pointer. */
struct acpi_rsdp {
	char signature[8];     /* "RSD PTR " */
	u8 checksum;           /* covers the first 20 bytes */
	char oem_id[6];
	u8 revision;           /* 0: ACPI 1.0 (RSDT only), 2+: XSDT fields valid */
	u32 rsdt_address;
	u32 length;            /* whole structure, revision >= 2 */
	u64 xsdt_address;
	u8 extended_checksum;  /* covers the whole structure */
	u8 reserved[3];
} PACKED;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");

/* ACPI 6.5 section 5.2.6: System Description Table Header. */
struct acpi_sdt_header {
	char signature[4];
	u32 length;            /* whole table including this header */
	u8 revision;
	u8 checksum;           /* whole table sums to zero */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} PACKED;
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header is 36 bytes");

/* ACPI 6.5 section 5.2.12: MADT fixed part; interrupt controller structures follow. */
struct acpi_madt {
	struct acpi_sdt_header hdr;
	u32 local_apic_address;
	u32 flags;             /* bit 0: PCAT_COMPAT (dual 8259s present) */
} PACKED;
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT fixed part is 44 bytes");

#define MADT_LOCAL_APIC 0          /* 5.2.12.2 Processor Local APIC */
#define MADT_IO_APIC 1             /* 5.2.12.3 I/O APIC */
#define MADT_INT_SRC_OVERRIDE 2    /* 5.2.12.5 Interrupt Source Override */
#define MADT_LOCAL_APIC_NMI 4      /* 5.2.12.7 Local APIC NMI */
#define MADT_LAPIC_ADDR_OVERRIDE 5 /* 5.2.12.8 Local APIC Address Override */
#define MADT_LOCAL_X2APIC 9        /* 5.2.12.12 Processor Local x2APIC */
#define MADT_LAPIC_ENABLED BIT(0)  /* Local APIC Flags: Enabled */
#define MADT_LAPIC_ONLINE_CAPABLE BIT(1)

/* PCI Firmware spec 3.2 section 4.1.2: MCFG allocation entry (follows 8 reserved bytes). */
struct acpi_mcfg_alloc {
	u64 base_address;      /* ECAM base for bus 0 of this segment */
	u16 segment;
	u8 start_bus;
	u8 end_bus;
	u32 reserved;
} PACKED;
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG allocation is 16 bytes");

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_OVERRIDES 24
#define ACPI_MAX_MCFG 16
#define ACPI_MAX_TABLES 48
#define ACPI_MAX_ERRORS 16
#define ACPI_ERROR_LEN 120

struct acpi_cpu {
	u32 apic_id;
	u32 uid;               /* ACPI processor UID */
	bool enabled;          /* flags.Enabled */
	bool online_capable;   /* flags.Online Capable (hot-add) */
	bool x2apic_entry;     /* came from a type 9 structure */
};

struct acpi_ioapic {
	u8 id;
	u32 address;
	u32 gsi_base;
};

struct acpi_override {
	u8 bus;
	u8 source;             /* ISA IRQ */
	u32 gsi;
	u16 flags;             /* MPS INTI flags: polarity bits 1:0, trigger bits 3:2 */
};

struct acpi_mcfg_seg {
	u64 base;
	u16 segment;
	u8 start_bus;
	u8 end_bus;
};

struct acpi_table_ref {
	char signature[5];
	u64 phys;
	u32 length;
	bool valid;            /* header readable, length sane, checksum correct */
};

struct acpi_platform {
	u8 rsdp_revision;
	bool used_xsdt;
	u32 nr_tables;
	struct acpi_table_ref tables[ACPI_MAX_TABLES];

	bool have_madt;
	u64 lapic_address;     /* after any Local APIC Address Override */
	bool pcat_compat;
	u32 nr_cpus;           /* enabled or online-capable CPUs, each APIC ID once */
	u32 cpus_dropped;      /* beyond ACPI_MAX_CPUS */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	u32 nr_ioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	u32 nr_overrides;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];

	u32 nr_mcfg;
	struct acpi_mcfg_seg mcfg[ACPI_MAX_MCFG];

	u64 dmar_phys;         /* 0 if no (valid) DMAR table */
	u32 dmar_length;

	u32 nr_errors;
	char errors[ACPI_MAX_ERRORS][ACPI_ERROR_LEN];
};

/*
 * Returns a pointer through which len bytes at physical address phys can be
 * read, or NULL when that range is not readable. The hypervisor identity-maps
 * memory; host tests map into a buffer (so a fuzzer cannot read out of bounds).
 */
typedef const void *(*acpi_map_fn)(u64 phys, u64 len, void *ctx);

/*
 * Parses the ACPI tables reached from the RSDP. rsdp_copy (may be NULL) holds
 * the RSDP bytes when the boot loader passed a copy instead of an address
 * (36 readable bytes, as struct boot_info's rsdp_copy; only 20 are read for
 * revision 0).
 * Every problem is recorded in out->errors (naming the table and what is
 * wrong) and parsing continues with what is usable. Returns OK when an RSDP
 * and a root table were found, E_NOENT or E_INVAL otherwise.
 */
status_t acpi_parse(u64 rsdp_phys, const void *rsdp_copy, acpi_map_fn map, void *ctx,
		    struct acpi_platform *out) MUST_CHECK;

/* Byte sum of len bytes, as ACPI checksums use. */
u8 acpi_checksum(const void *p, u64 len);

#endif
