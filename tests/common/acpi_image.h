/* Test helper: builds ACPI tables (RSDP, XSDT/RSDT, MADT, MCFG, ...) with valid checksums in a fake physical memory. */
#ifndef PASSAGE_TESTS_ACPI_IMAGE_H
#define PASSAGE_TESTS_ACPI_IMAGE_H

#include "arch/x86/acpi_tables.h"
#include <stdlib.h>
#include <string.h>

#define ACPI_IMAGE_SIZE 0x10000

/* A window of "physical memory" at base; tables are bump-allocated in it. */
struct acpi_image {
	u64 base;
	u64 next;                    /* offset of the next free byte */
	u8 mem[ACPI_IMAGE_SIZE];
};

/* A MADT being assembled: fixed part fields and the structure bytes. */
struct madt_build {
	u32 lapic_address;
	u32 flags;
	u32 len;
	u8 buf[8192];
};

static inline void acpi_image_init(struct acpi_image *im, u64 base)
{
	memset(im, 0, sizeof(*im));
	im->base = base;
}

static inline u8 *acpi_image_ptr(struct acpi_image *im, u64 phys)
{
	return im->mem + (phys - im->base);
}

/* acpi_map_fn over the image: NULL for anything not entirely inside it. */
static inline const void *acpi_image_map(u64 phys, u64 len, void *ctx)
{
	struct acpi_image *im = ctx;

	if (phys < im->base || phys - im->base > ACPI_IMAGE_SIZE ||
	    len > ACPI_IMAGE_SIZE - (phys - im->base))
		return NULL;
	return im->mem + (phys - im->base);
}

static inline u64 acpi_image_alloc(struct acpi_image *im, u64 size)
{
	u64 phys = im->base + im->next;

	im->next = (im->next + size + 15) & ~15ULL;
	if (im->next > ACPI_IMAGE_SIZE)
		abort();
	return phys;
}

static inline u8 acpi_image_sum(const u8 *p, u64 len)
{
	u8 s = 0;

	while (len--)
		s = (u8)(s + *p++);
	return s;
}

/* Recomputes the checksum of the SDT at phys from its Length field. */
static inline void acpi_image_fix_sdt(struct acpi_image *im, u64 phys)
{
	u8 *p = acpi_image_ptr(im, phys);
	u32 len;

	memcpy(&len, p + 4, 4);
	p[9] = 0;
	p[9] = (u8)(0x100 - acpi_image_sum(p, len));
}

/* Writes an SDT (header + body) with a valid checksum; returns its address. */
static inline u64 acpi_image_table(struct acpi_image *im, const char *sig, const void *body,
				   u32 body_len)
{
	struct acpi_sdt_header h;
	u64 phys = acpi_image_alloc(im, sizeof(h) + body_len);

	memset(&h, 0, sizeof(h));
	memcpy(h.signature, sig, 4);
	h.length = (u32)sizeof(h) + body_len;
	h.revision = 1;
	memcpy(h.oem_id, "PSSAGE", 6);
	memcpy(h.oem_table_id, "TESTTABL", 8);
	memcpy(acpi_image_ptr(im, phys), &h, sizeof(h));
	if (body_len)
		memcpy(acpi_image_ptr(im, phys) + sizeof(h), body, body_len);
	acpi_image_fix_sdt(im, phys);
	return phys;
}

static inline u64 acpi_image_xsdt(struct acpi_image *im, const u64 *entries, u32 n)
{
	return acpi_image_table(im, "XSDT", entries, n * 8);
}

static inline u64 acpi_image_rsdt(struct acpi_image *im, const u32 *entries, u32 n)
{
	return acpi_image_table(im, "RSDT", entries, n * 4);
}

/* Recomputes both RSDP checksums (the extended one when revision >= 2). */
static inline void acpi_image_fix_rsdp(struct acpi_image *im, u64 phys)
{
	u8 *p = acpi_image_ptr(im, phys);
	u32 len;

	p[8] = 0;
	p[8] = (u8)(0x100 - acpi_image_sum(p, 20));
	if (p[15] >= 2) {
		memcpy(&len, p + 20, 4);
		p[32] = 0;
		p[32] = (u8)(0x100 - acpi_image_sum(p, len));
	}
}

/* Writes an RSDP at phys (allocated by the caller: 20 or 36 bytes). */
static inline void acpi_image_rsdp_at(struct acpi_image *im, u64 phys, u8 revision, u32 rsdt,
				      u64 xsdt)
{
	struct acpi_rsdp r;

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, "RSD PTR ", 8);
	memcpy(r.oem_id, "PSSAGE", 6);
	r.revision = revision;
	r.rsdt_address = rsdt;
	r.length = 36;
	r.xsdt_address = xsdt;
	memcpy(acpi_image_ptr(im, phys), &r, revision >= 2 ? 36 : 20);
	acpi_image_fix_rsdp(im, phys);
}

static inline void madt_init(struct madt_build *b, u32 lapic_address, u32 flags)
{
	memset(b, 0, sizeof(*b));
	b->lapic_address = lapic_address;
	b->flags = flags;
}

static inline void madt_raw(struct madt_build *b, const void *s, u32 len)
{
	if (b->len + len > sizeof(b->buf))
		abort();
	memcpy(b->buf + b->len, s, len);
	b->len += len;
}

/* ACPI 6.5 5.2.12.2 Processor Local APIC. */
static inline void madt_lapic(struct madt_build *b, u8 uid, u8 apic_id, u32 flags)
{
	u8 s[8] = { MADT_LOCAL_APIC, 8, uid, apic_id };

	memcpy(s + 4, &flags, 4);
	madt_raw(b, s, sizeof(s));
}

/* ACPI 6.5 5.2.12.12 Processor Local x2APIC. */
static inline void madt_x2apic(struct madt_build *b, u32 uid, u32 apic_id, u32 flags)
{
	u8 s[16] = { MADT_LOCAL_X2APIC, 16 };

	memcpy(s + 4, &apic_id, 4);
	memcpy(s + 8, &flags, 4);
	memcpy(s + 12, &uid, 4);
	madt_raw(b, s, sizeof(s));
}

/* ACPI 6.5 5.2.12.3 I/O APIC. */
static inline void madt_ioapic(struct madt_build *b, u8 id, u32 address, u32 gsi_base)
{
	u8 s[12] = { MADT_IO_APIC, 12, id, 0 };

	memcpy(s + 4, &address, 4);
	memcpy(s + 8, &gsi_base, 4);
	madt_raw(b, s, sizeof(s));
}

/* ACPI 6.5 5.2.12.5 Interrupt Source Override. */
static inline void madt_iso(struct madt_build *b, u8 bus, u8 source, u32 gsi, u16 flags)
{
	u8 s[10] = { MADT_INT_SRC_OVERRIDE, 10, bus, source };

	memcpy(s + 4, &gsi, 4);
	memcpy(s + 8, &flags, 2);
	madt_raw(b, s, sizeof(s));
}

/* ACPI 6.5 5.2.12.8 Local APIC Address Override. */
static inline void madt_lapic_override(struct madt_build *b, u64 address)
{
	u8 s[12] = { MADT_LAPIC_ADDR_OVERRIDE, 12 };

	memcpy(s + 4, &address, 8);
	madt_raw(b, s, sizeof(s));
}

/* ACPI 6.5 5.2.12.7 Local APIC NMI (parsed as "skip"). */
static inline void madt_nmi(struct madt_build *b, u8 uid, u16 flags, u8 lint)
{
	u8 s[6] = { MADT_LOCAL_APIC_NMI, 6, uid, 0, 0, lint };

	memcpy(s + 3, &flags, 2);
	madt_raw(b, s, sizeof(s));
}

static inline u64 madt_emit(struct acpi_image *im, const struct madt_build *b)
{
	u8 body[8 + sizeof(b->buf)];

	memcpy(body, &b->lapic_address, 4);
	memcpy(body + 4, &b->flags, 4);
	memcpy(body + 8, b->buf, b->len);
	return acpi_image_table(im, "APIC", body, 8 + b->len);
}

/* MCFG with n allocations (PCI Firmware spec 3.2 4.1.2: 8 reserved bytes first). */
static inline u64 mcfg_emit(struct acpi_image *im, const struct acpi_mcfg_alloc *a, u32 n)
{
	u8 body[8 + 64 * sizeof(*a)];

	if (n > 64)
		abort();
	memset(body, 0, 8);
	memcpy(body + 8, a, n * sizeof(*a));
	return acpi_image_table(im, "MCFG", body, 8 + n * (u32)sizeof(*a));
}

/* A DMAR with a host address width and one DRHD-shaped blob (contents not parsed here). */
static inline u64 dmar_emit(struct acpi_image *im)
{
	u8 body[12 + 16] = { 38 /* HAW-1 */, 1 /* INTR_REMAP */ };

	body[12] = 0;   /* DRHD type 0 */
	body[14] = 16;  /* length */
	return acpi_image_table(im, "DMAR", body, sizeof(body));
}

#endif
