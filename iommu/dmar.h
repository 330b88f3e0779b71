/* DMAR (DMA Remapping Reporting) table layouts and their pure parser (VT-d spec chapter 8). */
#ifndef PASSAGE_IOMMU_DMAR_H
#define PASSAGE_IOMMU_DMAR_H

#include "lib/types.h"
#include "lib/status.h"
#include "arch/x86/acpi_tables.h"

/* ---- on-table layouts (all little-endian, read with memcpy) ---- */

/* VT-d spec 8.1: DMA Remapping Reporting Structure, the fixed part (an ACPI header first). */
struct dmar_table_hdr {
	struct acpi_sdt_header sdt; /* ACPI 6.5 5.2.6, signature "DMAR" */
	u8 host_address_width;    /* Host Address Width: DMA address bits minus one */
	u8 flags;                 /* DMAR_FLAG_* */
	u8 reserved[10];
} PACKED;
_Static_assert(sizeof(struct dmar_table_hdr) == 48, "DMAR header is 48 bytes");

#define DMAR_FLAG_INTR_REMAP BIT(0)               /* interrupt remapping supported */
#define DMAR_FLAG_X2APIC_OPT_OUT BIT(1)           /* firmware asks the OS not to use x2APIC */
#define DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN BIT(2) /* firmware protects DMA until the OS takes over */

/* VT-d spec 8.2: every Remapping Structure starts with Type and Length. */
struct dmar_struct_hdr {
	u16 type;                 /* DMAR_TYPE_* */
	u16 length;               /* whole structure, device scopes included */
} PACKED;
_Static_assert(sizeof(struct dmar_struct_hdr) == 4, "remapping structure header is 4 bytes");

#define DMAR_TYPE_DRHD 0          /* DMA Remapping Hardware Unit Definition (8.3) */
#define DMAR_TYPE_RMRR 1          /* Reserved Memory Region Reporting (8.4) */
#define DMAR_TYPE_ATSR 2          /* Root Port ATS Capability Reporting (8.5) */
#define DMAR_TYPE_RHSA 3          /* Remapping Hardware Static Affinity (8.6) */
#define DMAR_TYPE_ANDD 4          /* ACPI Name-space Device Declaration (8.7) */
#define DMAR_TYPE_SATC 5          /* SoC Integrated Address Translation Cache (8.8) */
#define DMAR_TYPE_SIDP 6          /* SoC Integrated Device Property (8.9) */

/* VT-d spec 8.3: DMA Remapping Hardware Unit Definition structure. */
struct dmar_drhd {
	struct dmar_struct_hdr hdr;
	u8 flags;                 /* bit 0: INCLUDE_PCI_ALL */
	u8 size;                  /* Size, bits 3:0: register set is 2^N 4 KiB pages (rev 2+) */
	u16 segment;              /* Segment Number */
	u64 register_base;        /* Register Base Address, 4 KiB aligned */
} PACKED;
_Static_assert(sizeof(struct dmar_drhd) == 16, "DRHD fixed part is 16 bytes");

#define DMAR_DRHD_INCLUDE_PCI_ALL BIT(0)  /* unit covers every device of the segment not claimed elsewhere */
#define DMAR_DRHD_SIZE_MASK 0xf           /* Size field bits 3:0 */

/* VT-d spec 8.4: Reserved Memory Region Reporting structure. */
struct dmar_rmrr {
	struct dmar_struct_hdr hdr;
	u16 reserved;
	u16 segment;              /* Segment Number */
	u64 base;                 /* Reserved Memory Region Base Address, 4 KiB aligned */
	u64 limit;                /* Reserved Memory Region Limit Address, inclusive; limit+1 4 KiB aligned */
} PACKED;
_Static_assert(sizeof(struct dmar_rmrr) == 24, "RMRR fixed part is 24 bytes");

/* VT-d spec 8.5: Root Port ATS Capability Reporting structure. */
struct dmar_atsr {
	struct dmar_struct_hdr hdr;
	u8 flags;                 /* bit 0: ALL_PORTS */
	u8 reserved;
	u16 segment;              /* Segment Number */
} PACKED;
_Static_assert(sizeof(struct dmar_atsr) == 8, "ATSR fixed part is 8 bytes");

#define DMAR_ATSR_ALL_PORTS BIT(0)  /* every root port of the segment supports ATS */

/* VT-d spec 8.6: Remapping Hardware Static Affinity structure. */
struct dmar_rhsa {
	struct dmar_struct_hdr hdr;
	u32 reserved;
	u64 register_base;        /* Register Base Address of a DRHD */
	u32 proximity_domain;     /* Proximity Domain (as in SRAT) */
} PACKED;
_Static_assert(sizeof(struct dmar_rhsa) == 20, "RHSA is 20 bytes");

/* VT-d spec 8.7: ACPI Name-space Device Declaration structure; the name follows. */
struct dmar_andd {
	struct dmar_struct_hdr hdr;
	u8 reserved[3];
	u8 acpi_device_number;    /* ACPI Device Number, matched by scope Enumeration ID */
} PACKED;
_Static_assert(sizeof(struct dmar_andd) == 8, "ANDD fixed part is 8 bytes");

/* VT-d spec 8.8: SoC Integrated Address Translation Cache reporting structure. */
struct dmar_satc {
	struct dmar_struct_hdr hdr;
	u8 flags;                 /* bit 0: ATC_REQUIRED */
	u8 reserved;
	u16 segment;              /* Segment Number */
} PACKED;
_Static_assert(sizeof(struct dmar_satc) == 8, "SATC fixed part is 8 bytes");

#define DMAR_SATC_ATC_REQUIRED BIT(0)  /* devices must have ATC enabled to work */

/*
 * VT-d spec section numbers follow revision 4.1, the first with SIDP:
 * SATC is 8.8, SIDP 8.9; Device Scope Flags are defined in 8.3.1.
 */

/*
 * VT-d spec 8.9: SoC Integrated Device Property Reporting structure. Device
 * scopes (8.3.1) follow, each naming a SoC-integrated device whose Flags say
 * which remapping set-ups it cannot work with.
 */
struct dmar_sidp {
	struct dmar_struct_hdr hdr;
	u16 reserved;
	u16 segment;              /* Segment Number */
} PACKED;
_Static_assert(sizeof(struct dmar_sidp) == 8, "SIDP fixed part is 8 bytes");

/* VT-d spec 8.3.1: Device Scope structure; (Length - 6) / 2 path entries follow. */
struct dmar_scope_hdr {
	u8 type;                  /* DMAR_SCOPE_* */
	u8 length;                /* 6 + 2 * path entries */
	u8 flags;                 /* Flags, DMAR_SCOPE_* bits (Reserved in older revisions) */
	u8 reserved;
	u8 enumeration_id;        /* IOAPIC ID, HPET number or ANDD ACPI Device Number */
	u8 start_bus;             /* Start Bus Number */
} PACKED;
_Static_assert(sizeof(struct dmar_scope_hdr) == 6, "device scope fixed part is 6 bytes");

/* VT-d spec 8.3.1: one Path entry, a hop from the current bus. */
struct dmar_path {
	u8 device;                /* 0..31 */
	u8 function;              /* 0..7 */
} PACKED;
_Static_assert(sizeof(struct dmar_path) == 2, "path entry is 2 bytes");

#define DMAR_SCOPE_PCI_ENDPOINT 1          /* PCI Endpoint Device */
#define DMAR_SCOPE_PCI_SUBHIERARCHY 2      /* PCI Sub-hierarchy (a bridge and all below it) */
#define DMAR_SCOPE_IOAPIC 3                /* IOAPIC */
#define DMAR_SCOPE_MSI_CAPABLE_HPET 4      /* MSI_CAPABLE_HPET */
#define DMAR_SCOPE_ACPI_NAMESPACE_DEVICE 5 /* ACPI_NAMESPACE_DEVICE (an ANDD) */

/* VT-d spec 8.3.1, Device Scope Flags (Reserved in older revisions); what SIDP scopes (8.9) report. */
#define DMAR_SCOPE_REQ_WO_PASID_NESTED_NOTALLOWED BIT(0) /* requests without PASID: no nested translation */
#define DMAR_SCOPE_REQ_WO_PASID_PWSNP_NOTALLOWED BIT(1)  /* ... no page-walk snooping */
#define DMAR_SCOPE_REQ_WO_PASID_PGSNP_NOTALLOWED BIT(2)  /* ... no page snooping */
#define DMAR_SCOPE_ATC_HARDENED BIT(3)                   /* the device's ATC is hardened (trustworthy) */
#define DMAR_SCOPE_ATC_REQUIRED BIT(4)                   /* the device needs its ATC enabled to work */
#define DMAR_SCOPE_FLAGS_KNOWN 0x1f

/* ---- what the parser returns ---- */

/* One device scope: the device is reached from start_bus by following path[]. */
struct dmar_scope {
	u8 type;                  /* DMAR_SCOPE_* */
	u8 flags;                 /* Device Scope Flags byte as the table gives it */
	u8 enumeration_id;
	u8 start_bus;
	u32 nr_path;              /* at least 1 */
	const struct dmar_path *path;  /* path[0] is on start_bus, path[i] on the bus below path[i-1] */
	u32 offset;               /* byte offset of the scope in the table */
};

struct dmar_scopes {
	u32 count;
	const struct dmar_scope *scope;
};

struct dmar_unit {            /* a DRHD */
	u64 register_base;        /* Register Base Address */
	u64 register_size;        /* bytes: 4 KiB << Size */
	u16 segment;
	bool include_pci_all;     /* INCLUDE_PCI_ALL */
	u8 flags;                 /* raw DRHD Flags */
	u32 offset;               /* byte offset of the structure in the table */
	struct dmar_scopes scopes;
};

struct dmar_rmrr_info {
	u16 segment;
	u64 base;                 /* first byte */
	u64 limit;                /* last byte (inclusive) */
	u32 offset;
	struct dmar_scopes scopes;
};

struct dmar_atsr_info {
	u16 segment;
	bool all_ports;           /* ALL_PORTS: scopes are then empty */
	u8 flags;
	u32 offset;
	struct dmar_scopes scopes;
};

struct dmar_rhsa_info {
	u64 register_base;
	u32 proximity_domain;
	u32 offset;
};

struct dmar_andd_info {
	u8 acpi_device_number;
	const char *object_name;  /* ACPI Object Name, e.g. "\\_SB.PCI0.UAR0", NUL-terminated */
	u32 offset;
};

struct dmar_satc_info {
	u16 segment;
	bool atc_required;        /* ATC_REQUIRED */
	u8 flags;
	u32 offset;
	struct dmar_scopes scopes;
};

struct dmar_sidp_info {       /* 8.9: the properties are each scope's flags */
	u16 segment;
	u32 offset;
	struct dmar_scopes scopes;
};

/*
 * Firmware facts (dmar_info.facts): shapes shipping tables have that are not
 * table errors but change what Passage can do. Each comes with one warning.
 */
#define DMAR_FACT_VTD_OFF BIT(0)         /* every DRHD has Register Base Address 0: firmware's "VT-d off" placeholder */
#define DMAR_FACT_UNIT_MISSING BIT(1)    /* a DRHD with base 0 beside usable units: its devices have no unit */
#define DMAR_FACT_SEGMENT_UNCOVERED BIT(2) /* ... and it was a segment's INCLUDE_PCI_ALL unit */
#define DMAR_FACT_EMPTY_RMRR BIT(3)      /* an RMRR of zero size, ignored */

#define DMAR_MAX_MSGS 32          /* diagnostics kept; later ones are only counted */
#define DMAR_MSG_LEN 256

struct dmar_msg {
	bool error;               /* false: a warning */
	char text[DMAR_MSG_LEN];
};

struct dmar_info {
	u8 revision;              /* ACPI header Revision */
	char oem_id[7];           /* ACPI header OEM ID, NUL-terminated (may hold any byte) */
	char oem_table_id[9];     /* ACPI header OEM Table ID, NUL-terminated */
	u32 oem_revision;         /* ACPI header OEM Revision */
	u16 haw;                  /* Host Address Width field + 1: DMA address bits */
	u8 flags;                 /* DMAR_FLAG_* */
	bool checksum_ok;
	u32 table_length;         /* as the header gives it */

	u32 nr_units;
	const struct dmar_unit *units;      /* DRHDs in table order */
	u32 nr_rmrrs;
	const struct dmar_rmrr_info *rmrrs;
	u32 nr_atsrs;
	const struct dmar_atsr_info *atsrs;
	u32 nr_rhsas;
	const struct dmar_rhsa_info *rhsas;
	u32 nr_andds;
	const struct dmar_andd_info *andds;
	u32 nr_satcs;
	const struct dmar_satc_info *satcs;
	u32 nr_sidps;
	const struct dmar_sidp_info *sidps;

	/*
	 * DRHDs whose Register Base Address cannot be used (zero, or not 4 KiB
	 * aligned), with their scopes: a device they list, or (INCLUDE_PCI_ALL)
	 * any device of their segment no usable unit lists, has no remapping
	 * unit and must not be handed to a domain (see dmar_include_all_unusable).
	 */
	u32 nr_unusable;
	const struct dmar_unit *unusable;

	u32 facts;                /* DMAR_FACT_* */
	u32 nr_empty_rmrrs;       /* zero-size RMRRs ignored */

	u32 nr_errors;            /* all errors, stored or not */
	u32 nr_warnings;          /* all warnings, stored or not */
	u32 nr_msgs;              /* stored in msgs[] (<= DMAR_MAX_MSGS) */
	u32 msgs_dropped;         /* errors + warnings not stored */
	struct dmar_msg msgs[DMAR_MAX_MSGS];

	void *block;              /* the one allocation holding every array above */
	size_t block_bytes;
};

/* Returns bytes of memory (any alignment up to 8 is enough), or NULL. */
typedef void *(*dmar_alloc_fn)(size_t bytes, void *ctx);

/*
 * Parses a DMAR table of len readable bytes. Two passes: the first validates
 * and counts, then alloc is called once for every array (not at all when the
 * table has no structures), and the second fills them.
 * Returns OK when the header was usable (out->nr_errors says whether parts
 * were skipped), E_INVAL when it was not (wrong signature, length), E_NOMEM
 * when alloc failed. out is fully written in every case.
 */
status_t dmar_parse(const void *table, u32 len, dmar_alloc_fn alloc, void *ctx,
		    struct dmar_info *out) MUST_CHECK;

/*
 * The DRHD with INCLUDE_PCI_ALL that firmware gave for segment but whose
 * Register Base Address is unusable, when no usable unit is INCLUDE_PCI_ALL
 * for that segment: the segment's devices not listed under a usable unit
 * have no remapping unit. NULL when the segment has no such hole.
 */
const struct dmar_unit *dmar_include_all_unusable(const struct dmar_info *info, u16 segment);

/* "DRHD", "RMRR", ... or "unknown". */
const char *dmar_type_name(u16 type);

/* "PCI Endpoint", "PCI Sub-hierarchy", "IOAPIC", ... or "unknown". */
const char *dmar_scope_type_name(u8 type);

/*
 * Formats a scope's path as "bb:dd.f/dd.f/...": the first hop on start_bus,
 * each later hop on the secondary bus of the bridge before it (known only
 * after a PCI bus walk). Returns what snprintf returns.
 */
int dmar_scope_path_str(const struct dmar_scope *s, char *buf, size_t size);

#ifdef PASSAGE_HOST
/* Host helpers: malloc-backed alloc for dmar_parse, and the matching free. */
void *dmar_host_alloc(size_t bytes, void *ctx);
void dmar_free(struct dmar_info *info);
#endif

#endif
