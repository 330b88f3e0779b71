/* Pure ACPI table parser: RSDP, XSDT/RSDT, MADT, MCFG and the DMAR's location. */
#include "arch/x86/acpi_tables.h"
#include "lib/string.h"

/*
 * Firmware tables are untrusted input. Every byte read goes through a pointer
 * the map callback returned for a range that covers it, and fields are read
 * with memcpy because tables are only byte-aligned in memory.
 */

#define RSDP_V1_LEN 20                 /* ACPI 6.5 5.2.5.3: checksum covers these */
#define RSDP_V2_LEN 36                 /* sizeof(struct acpi_rsdp) */
#define RSDP_MAX_LEN 4096              /* larger Length fields are treated as corrupt */
#define SDT_HDR_LEN 36                 /* sizeof(struct acpi_sdt_header) */
#define SDT_MAX_LEN (16 * MiB)         /* larger tables are treated as corrupt */
#define MCFG_ALLOC_OFFSET 44           /* header + 8 reserved bytes (PCI FW 3.2 4.1.2) */
#define MADT_ENTRIES_OFFSET 44         /* sizeof(struct acpi_madt) */

/* State of one acpi_parse() call. */
struct acpi_walk {
	acpi_map_fn map;
	void *map_ctx;
	struct acpi_platform *out;
	u32 tables_dropped;            /* tables beyond ACPI_MAX_TABLES */
	u64 madt_phys, mcfg_phys;      /* first usable ones, 0 until found */
	u32 ioapics_dropped;
	u32 overrides_dropped;
	u32 mcfg_dropped;
};

/* A checked table: header fields and a pointer covering all length bytes. */
struct acpi_table {
	const u8 *p;
	u64 phys;
	u32 length;
	char sig[5];                   /* printable copy of the signature */
};

u8 acpi_checksum(const void *p, u64 len)
{
	const u8 *b = p;
	u8 sum = 0;
	u64 i;

	for (i = 0; i < len; i++)
		sum = (u8)(sum + b[i]);
	return sum;
}

static void acpi_error(struct acpi_platform *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Keeps the first ACPI_MAX_ERRORS messages; nr_errors counts all of them. */
static void acpi_error(struct acpi_platform *out, const char *fmt, ...)
{
	va_list ap;

	if (out->nr_errors < ACPI_MAX_ERRORS) {
		va_start(ap, fmt);
		vsnprintf(out->errors[out->nr_errors], ACPI_ERROR_LEN, fmt, ap);
		va_end(ap);
	}
	if (out->nr_errors != (u32)-1)
		out->nr_errors++;
}

static u16 rd16(const u8 *p)
{
	u16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static u64 rd64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static const u8 *map_range(struct acpi_walk *w, u64 phys, u64 len)
{
	if (len > ~(u64)0 - phys)      /* the range would wrap past 2^64 */
		return NULL;
	return w->map(phys, len, w->map_ctx);
}

/* Copies a 4-byte signature, replacing unprintable bytes so it can be logged. */
static void sig_copy(char dst[5], const u8 *raw)
{
	int i;

	for (i = 0; i < 4; i++)
		dst[i] = (raw[i] >= 0x20 && raw[i] < 0x7f) ? (char)raw[i] : '?';
	dst[4] = '\0';
}

/* ---- RSDP (ACPI 6.5 section 5.2.5.3) ---- */

/* Checks the revision 2+ part; false (with an error) means: do not trust the XSDT address. */
static bool rsdp_check_extended(struct acpi_walk *w, u64 phys, const u8 *copy,
				const struct acpi_rsdp *r)
{
	const u8 *whole;
	u8 sum;

	if (r->length < RSDP_V2_LEN || r->length > RSDP_MAX_LEN) {
		acpi_error(w->out, "ACPI: RSDP: length %u out of range (%u..%u)", r->length,
			   RSDP_V2_LEN, RSDP_MAX_LEN);
		return false;
	}
	if (copy != NULL && r->length > RSDP_V2_LEN) {
		acpi_error(w->out, "ACPI: RSDP: length %u but the boot loader copied %u bytes",
			   r->length, RSDP_V2_LEN);
		return false;
	}
	whole = copy != NULL ? copy : map_range(w, phys, r->length);
	if (whole == NULL) {
		acpi_error(w->out, "ACPI: RSDP at 0x%llx: %u bytes not readable",
			   (unsigned long long)phys, r->length);
		return false;
	}
	sum = acpi_checksum(whole, r->length);
	if (sum != 0) {
		acpi_error(w->out, "ACPI: RSDP: extended checksum mismatch (sum 0x%x)", sum);
		return false;
	}
	return true;
}

/*
 * Reads and checks the RSDP into *r. *xsdt_ok says whether the revision 2+
 * fields (XSDT address) passed the extended checksum.
 */
static MUST_CHECK status_t rsdp_read(struct acpi_walk *w, u64 phys, const u8 *copy, struct acpi_rsdp *r,
			  bool *xsdt_ok)
{
	const u8 *p;
	u8 sum;

	*xsdt_ok = false;
	memset(r, 0, sizeof(*r));
	if (copy == NULL && phys == 0) {
		acpi_error(w->out, "ACPI: no RSDP");
		return E_NOENT;
	}
	p = copy != NULL ? copy : map_range(w, phys, RSDP_V1_LEN);
	if (p == NULL) {
		acpi_error(w->out, "ACPI: RSDP at 0x%llx: not readable", (unsigned long long)phys);
		return E_NOENT;
	}
	memcpy(r, p, RSDP_V1_LEN);
	if (memcmp(r->signature, "RSD PTR ", 8) != 0) {
		acpi_error(w->out, "ACPI: RSDP at 0x%llx: bad signature", (unsigned long long)phys);
		return E_INVAL;
	}
	sum = acpi_checksum(p, RSDP_V1_LEN);
	if (sum != 0) {
		acpi_error(w->out, "ACPI: RSDP at 0x%llx: checksum mismatch (sum 0x%x)",
			   (unsigned long long)phys, sum);
		return E_INVAL;
	}
	w->out->rsdp_revision = r->revision;
	if (r->revision < 2)
		return OK;
	p = copy != NULL ? copy : map_range(w, phys, RSDP_V2_LEN);
	if (p == NULL) {
		acpi_error(w->out, "ACPI: RSDP at 0x%llx: revision %u but 36 bytes not readable",
			   (unsigned long long)phys, r->revision);
		return OK;
	}
	memcpy(r, p, RSDP_V2_LEN);
	*xsdt_ok = rsdp_check_extended(w, phys, copy, r);
	return OK;
}

/* ---- Any SDT (ACPI 6.5 section 5.2.6) ---- */

/* Appends a table to out->tables (or counts it when the list is full). */
static void record_table(struct acpi_walk *w, const struct acpi_table *t, bool valid)
{
	struct acpi_platform *out = w->out;
	struct acpi_table_ref *ref;

	if (out->nr_tables >= ACPI_MAX_TABLES) {
		w->tables_dropped++;
		return;
	}
	ref = &out->tables[out->nr_tables++];
	memcpy(ref->signature, t->sig, sizeof(ref->signature));
	ref->phys = t->phys;
	ref->length = t->length;
	ref->valid = valid;
}

static bool table_reject(struct acpi_walk *w, const struct acpi_table *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records t as invalid and reports "ACPI: SIG at ADDR: problem"; returns false. */
static bool table_reject(struct acpi_walk *w, const struct acpi_table *t, const char *fmt, ...)
{
	char why[ACPI_ERROR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	acpi_error(w->out, "ACPI: %s at 0x%llx: %s", t->sig, (unsigned long long)t->phys, why);
	record_table(w, t, false);
	return false;
}

/*
 * Maps the header, checks the signature (when want is not NULL) and
 * 36 <= Length <= 16 MiB, maps the whole table and checks that it sums to
 * zero (5.2.6: "the entire table ... must add to zero"). Records the table
 * either way; returns whether t->p covers a valid table.
 */
static bool table_check(struct acpi_walk *w, u64 phys, const char *want, struct acpi_table *t)
{
	const u8 *p;
	u8 sum;

	memset(t, 0, sizeof(*t));
	t->phys = phys;
	memcpy(t->sig, "????", 5);
	p = map_range(w, phys, SDT_HDR_LEN);
	if (p == NULL) {
		acpi_error(w->out, "ACPI: table at 0x%llx: header not readable",
			   (unsigned long long)phys);
		record_table(w, t, false);
		return false;
	}
	sig_copy(t->sig, p);
	t->length = rd32(p + 4);
	if (want != NULL && memcmp(p, want, 4) != 0)
		return table_reject(w, t, "signature is not %s", want);
	if (t->length < SDT_HDR_LEN || t->length > SDT_MAX_LEN)
		return table_reject(w, t, "length %u out of range (36..16 MiB)", t->length);
	p = map_range(w, phys, t->length);
	if (p == NULL)
		return table_reject(w, t, "%u bytes not readable", t->length);
	sum = acpi_checksum(p, t->length);
	if (sum != 0)
		return table_reject(w, t, "checksum mismatch (sum 0x%x)", sum);
	t->p = p;
	record_table(w, t, true);
	return true;
}

/* ---- MADT (ACPI 6.5 section 5.2.12) ---- */

/*
 * Adds a processor that is Enabled or Online Capable (5.2.12.2 Local APIC
 * Flags). Firmware may describe one CPU twice (an x2APIC structure for an
 * APIC ID below 255 next to its Local APIC structure): the APIC ID is the
 * identity, so a repeated ID is the same CPU.
 */
static void madt_add_cpu(struct acpi_walk *w, u32 apic_id, u32 uid, u32 flags, bool x2)
{
	struct acpi_platform *out = w->out;
	struct acpi_cpu *cpu;
	u32 i;

	if (!(flags & (MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE)))
		return;
	for (i = 0; i < out->nr_cpus; i++)
		if (out->cpus[i].apic_id == apic_id)
			return;
	if (out->nr_cpus >= ACPI_MAX_CPUS) {
		out->cpus_dropped++;
		return;
	}
	cpu = &out->cpus[out->nr_cpus++];
	cpu->apic_id = apic_id;
	cpu->uid = uid;
	cpu->enabled = (flags & MADT_LAPIC_ENABLED) != 0;
	cpu->online_capable = (flags & MADT_LAPIC_ONLINE_CAPABLE) != 0;
	cpu->x2apic_entry = x2;
}

/* 5.2.12.3: u8 I/O APIC ID, u8 reserved, u32 address, u32 GSI base. */
static void madt_ioapic(struct acpi_walk *w, const u8 *s)
{
	struct acpi_platform *out = w->out;
	struct acpi_ioapic *io;

	if (out->nr_ioapics >= ACPI_MAX_IOAPICS) {
		w->ioapics_dropped++;
		return;
	}
	io = &out->ioapics[out->nr_ioapics++];
	io->id = s[2];
	io->address = rd32(s + 4);
	io->gsi_base = rd32(s + 8);
}

/* 5.2.12.5: u8 bus (0 = ISA), u8 source IRQ, u32 GSI, u16 MPS INTI flags. */
static void madt_override(struct acpi_walk *w, const u8 *s)
{
	struct acpi_platform *out = w->out;
	struct acpi_override *ov;

	if (out->nr_overrides >= ACPI_MAX_OVERRIDES) {
		w->overrides_dropped++;
		return;
	}
	ov = &out->overrides[out->nr_overrides++];
	ov->bus = s[2];
	ov->source = s[3];
	ov->gsi = rd32(s + 4);
	ov->flags = rd16(s + 8);
}

/* Smallest Length each structure type must have for the fields read from it. */
static u8 madt_min_length(u8 type)
{
	switch (type) {
	case MADT_LOCAL_APIC:
		return 8;
	case MADT_IO_APIC:
	case MADT_LAPIC_ADDR_OVERRIDE:
		return 12;
	case MADT_INT_SRC_OVERRIDE:
		return 10;
	case MADT_LOCAL_X2APIC:
		return 16;
	default:
		return 2;
	}
}

/* Handles one interrupt controller structure whose bytes are all inside the table. */
static void madt_entry(struct acpi_walk *w, const u8 *s, u8 type, u8 len, u32 off)
{
	if (len < madt_min_length(type)) {
		acpi_error(w->out, "MADT: structure type %u at offset 0x%x: length %u too small",
			   type, off, len);
		return;
	}
	switch (type) {
	case MADT_LOCAL_APIC:          /* 5.2.12.2: u8 UID, u8 APIC ID, u32 flags */
		madt_add_cpu(w, s[3], s[2], rd32(s + 4), false);
		break;
	case MADT_IO_APIC:
		madt_ioapic(w, s);
		break;
	case MADT_INT_SRC_OVERRIDE:
		madt_override(w, s);
		break;
	case MADT_LAPIC_ADDR_OVERRIDE: /* 5.2.12.8: u16 reserved, u64 address; it wins */
		w->out->lapic_address = rd64(s + 4);
		break;
	case MADT_LOCAL_X2APIC:        /* 5.2.12.12: u16 reserved, u32 ID, u32 flags, u32 UID */
		madt_add_cpu(w, rd32(s + 4), rd32(s + 12), rd32(s + 8), true);
		break;
	default:
		break;                 /* NMI sources, GIC, ...: not used here */
	}
}

/* Reports each MADT list that hit its limit. */
static void madt_report_limits(struct acpi_walk *w)
{
	struct acpi_platform *out = w->out;

	if (out->cpus_dropped != 0)
		acpi_error(out, "MADT: %u CPUs, only %u supported",
			   out->nr_cpus + out->cpus_dropped, ACPI_MAX_CPUS);
	if (w->ioapics_dropped != 0)
		acpi_error(out, "MADT: %u I/O APICs, only %u supported",
			   out->nr_ioapics + w->ioapics_dropped, ACPI_MAX_IOAPICS);
	if (w->overrides_dropped != 0)
		acpi_error(out, "MADT: %u interrupt source overrides, only %u supported",
			   out->nr_overrides + w->overrides_dropped, ACPI_MAX_OVERRIDES);
}

/* 5.2.12: fixed part, then structures of (u8 Type, u8 Length, ...) up to the table end. */
static bool parse_madt(struct acpi_walk *w, const struct acpi_table *t)
{
	struct acpi_platform *out = w->out;
	u32 off;
	u8 type, len;

	if (t->length < MADT_ENTRIES_OFFSET) {
		acpi_error(out, "ACPI: APIC at 0x%llx: length %u too small for a MADT",
			   (unsigned long long)t->phys, t->length);
		return false;
	}
	out->have_madt = true;
	out->lapic_address = rd32(t->p + 36);
	out->pcat_compat = (rd32(t->p + 40) & BIT(0)) != 0;
	for (off = MADT_ENTRIES_OFFSET; off + 2 <= t->length; off += len) {
		type = t->p[off];
		len = t->p[off + 1];
		if (len < 2 || len > t->length - off) {
			acpi_error(out, "MADT: structure type %u at offset 0x%x: length %u %s",
				   type, off, len, len < 2 ? "< 2" : "runs past the table end");
			break;
		}
		madt_entry(w, t->p + off, type, len, off);
	}
	madt_report_limits(w);
	return true;
}

/* ---- MCFG (PCI Firmware spec 3.2 section 4.1.2) ---- */

static void mcfg_add(struct acpi_walk *w, const struct acpi_mcfg_alloc *a)
{
	struct acpi_platform *out = w->out;
	struct acpi_mcfg_seg *seg;

	if (a->end_bus < a->start_bus) {
		acpi_error(out, "MCFG: segment %u at 0x%llx: end bus %u below start bus %u",
			   a->segment, (unsigned long long)a->base_address, a->end_bus,
			   a->start_bus);
		return;
	}
	if (out->nr_mcfg >= ACPI_MAX_MCFG) {
		w->mcfg_dropped++;
		return;
	}
	seg = &out->mcfg[out->nr_mcfg++];
	seg->base = a->base_address;
	seg->segment = a->segment;
	seg->start_bus = a->start_bus;
	seg->end_bus = a->end_bus;
}

static bool parse_mcfg(struct acpi_walk *w, const struct acpi_table *t)
{
	struct acpi_mcfg_alloc a;
	u32 off;

	if (t->length < MCFG_ALLOC_OFFSET) {
		acpi_error(w->out, "ACPI: MCFG at 0x%llx: length %u too small for a MCFG",
			   (unsigned long long)t->phys, t->length);
		return false;
	}
	for (off = MCFG_ALLOC_OFFSET; t->length - off >= sizeof(a); off += sizeof(a)) {
		memcpy(&a, t->p + off, sizeof(a));
		mcfg_add(w, &a);
	}
	if (w->mcfg_dropped != 0)
		acpi_error(w->out, "MCFG: %u allocations, only %u supported",
			   w->out->nr_mcfg + w->mcfg_dropped, ACPI_MAX_MCFG);
	return true;
}

/* ---- Tables reached from the root ---- */

/* Uses the first usable table of each kind; a later one is reported and ignored. */
static bool first_of_kind(struct acpi_walk *w, const struct acpi_table *t, u64 used)
{
	if (used == 0)
		return true;
	acpi_error(w->out, "ACPI: %s at 0x%llx: duplicate, using the one at 0x%llx", t->sig,
		   (unsigned long long)t->phys, (unsigned long long)used);
	return false;
}

static void visit_table(struct acpi_walk *w, u64 phys)
{
	struct acpi_platform *out = w->out;
	struct acpi_table t;

	if (!table_check(w, phys, NULL, &t))
		return;
	if (memcmp(t.sig, "APIC", 4) == 0) {
		if (first_of_kind(w, &t, w->madt_phys) && parse_madt(w, &t))
			w->madt_phys = phys;
	} else if (memcmp(t.sig, "MCFG", 4) == 0) {
		if (first_of_kind(w, &t, w->mcfg_phys) && parse_mcfg(w, &t))
			w->mcfg_phys = phys;
	} else if (memcmp(t.sig, "DMAR", 4) == 0) {
		if (first_of_kind(w, &t, out->dmar_phys)) {
			out->dmar_phys = phys;
			out->dmar_length = t.length;
		}
	}
}

/*
 * 5.2.7 RSDT / 5.2.8 XSDT: after the header, an array of 32-bit (RSDT) or
 * 64-bit (XSDT) physical addresses of the other tables. Returns false when
 * the root table itself is unusable.
 */
static bool walk_root(struct acpi_walk *w, u64 phys, bool xsdt)
{
	const char *want = xsdt ? "XSDT" : "RSDT";
	u32 esize = xsdt ? 8 : 4;
	struct acpi_table t;
	u32 i, n;
	u64 entry;

	if (!table_check(w, phys, want, &t))
		return false;
	n = (t.length - SDT_HDR_LEN) / esize;
	for (i = 0; i < n; i++) {
		const u8 *e = t.p + SDT_HDR_LEN + (u64)i * esize;

		entry = xsdt ? rd64(e) : rd32(e);
		if (entry == 0)
			acpi_error(w->out, "ACPI: %s entry %u is null", want, i);
		else
			visit_table(w, entry);
	}
	return true;
}

/* Prefers the XSDT (5.2.5.3: "XSDT ... should be used instead of the RSDT"), else the RSDT. */
static MUST_CHECK status_t walk_tables(struct acpi_walk *w, const struct acpi_rsdp *r, bool xsdt_ok)
{
	struct acpi_platform *out = w->out;

	if (xsdt_ok && r->xsdt_address != 0) {
		if (walk_root(w, r->xsdt_address, true)) {
			out->used_xsdt = true;
			return OK;
		}
		acpi_error(out, "ACPI: XSDT unusable, falling back to the RSDT at 0x%x",
			   r->rsdt_address);
	}
	if (r->rsdt_address == 0) {
		acpi_error(out, "ACPI: no usable RSDT or XSDT");
		return E_NOENT;
	}
	return walk_root(w, r->rsdt_address, false) ? OK : E_INVAL;
}

status_t acpi_parse(u64 rsdp_phys, const void *rsdp_copy, acpi_map_fn map, void *ctx,
		    struct acpi_platform *out)
{
	struct acpi_walk w = { .map = map, .map_ctx = ctx, .out = out };
	struct acpi_rsdp r;
	bool xsdt_ok;
	status_t rc;

	memset(out, 0, sizeof(*out));
	rc = rsdp_read(&w, rsdp_phys, rsdp_copy, &r, &xsdt_ok);
	if (rc != OK)
		return rc;
	rc = walk_tables(&w, &r, xsdt_ok);
	if (w.tables_dropped != 0)
		acpi_error(out, "ACPI: %u tables, only %u recorded",
			   out->nr_tables + w.tables_dropped, ACPI_MAX_TABLES);
	return rc;
}
