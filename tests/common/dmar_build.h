/* Test helper: assembles DMAR tables (VT-d spec chapter 8) byte by byte with correct lengths and checksum. */
#ifndef PASSAGE_TESTS_DMAR_BUILD_H
#define PASSAGE_TESTS_DMAR_BUILD_H

#include "iommu/dmar.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DMAR_BUILD_MAX 65536

/* A table being built: structures are appended; each new one closes the one before. */
struct dmar_build {
	u32 len;
	u32 cur;                  /* offset of the open structure, 0 when none */
	u8 buf[DMAR_BUILD_MAX];
};

static inline void db_put(struct dmar_build *b, const void *p, u32 n)
{
	if (n > DMAR_BUILD_MAX - b->len)
		abort();
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static inline void db_put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static inline void db_put32(u8 *p, u32 v) { memcpy(p, &v, 4); }

/* Writes Length of the open structure. */
static inline void db_close(struct dmar_build *b)
{
	if (b->cur)
		db_put16(b->buf + b->cur + 2, (u16)(b->len - b->cur));
	b->cur = 0;
}

/* Starts a table: header with Host Address Width field haw_field and Flags. */
static inline void db_init(struct dmar_build *b, u8 haw_field, u8 flags)
{
	struct dmar_table_hdr h;

	memset(b, 0, sizeof(*b));
	memset(&h, 0, sizeof(h));
	memcpy(h.sdt.signature, "DMAR", 4);
	h.sdt.revision = 1;
	memcpy(h.sdt.oem_id, "PSSAGE", 6);
	memcpy(h.sdt.oem_table_id, "TESTDMAR", 8);
	h.host_address_width = haw_field;
	h.flags = flags;
	db_put(b, &h, sizeof(h));
}

/* Appends a structure with the given fixed part (whose first 4 bytes are overwritten); returns its offset. */
static inline u32 db_struct(struct dmar_build *b, u16 type, const void *fixed, u32 n)
{
	u32 off;

	db_close(b);
	off = b->len;
	db_put(b, fixed, n);
	db_put16(b->buf + off, type);
	b->cur = off;
	return off;
}

static inline u32 db_drhd(struct dmar_build *b, u8 flags, u8 size, u16 segment, u64 base)
{
	struct dmar_drhd d = { { 0, 0 }, flags, size, segment, base };

	return db_struct(b, DMAR_TYPE_DRHD, &d, sizeof(d));
}

static inline u32 db_rmrr(struct dmar_build *b, u16 segment, u64 base, u64 limit)
{
	struct dmar_rmrr r = { { 0, 0 }, 0, segment, base, limit };

	return db_struct(b, DMAR_TYPE_RMRR, &r, sizeof(r));
}

static inline u32 db_atsr(struct dmar_build *b, u8 flags, u16 segment)
{
	struct dmar_atsr a = { { 0, 0 }, flags, 0, segment };

	return db_struct(b, DMAR_TYPE_ATSR, &a, sizeof(a));
}

static inline u32 db_rhsa(struct dmar_build *b, u64 base, u32 proximity_domain)
{
	struct dmar_rhsa r = { { 0, 0 }, 0, base, proximity_domain };

	return db_struct(b, DMAR_TYPE_RHSA, &r, sizeof(r));
}

/* ANDD with the name and its terminating NUL. */
static inline u32 db_andd(struct dmar_build *b, u8 number, const char *name)
{
	struct dmar_andd a = { { 0, 0 }, { 0, 0, 0 }, number };
	u32 off = db_struct(b, DMAR_TYPE_ANDD, &a, sizeof(a));

	db_put(b, name, (u32)strlen(name) + 1);
	return off;
}

static inline u32 db_satc(struct dmar_build *b, u8 flags, u16 segment)
{
	struct dmar_satc s = { { 0, 0 }, flags, 0, segment };

	return db_struct(b, DMAR_TYPE_SATC, &s, sizeof(s));
}

/* VT-d 8.9: SIDP; its device scopes (with their Flags) follow. */
static inline u32 db_sidp(struct dmar_build *b, u16 segment)
{
	struct dmar_sidp s = { { 0, 0 }, 0, segment };

	return db_struct(b, DMAR_TYPE_SIDP, &s, sizeof(s));
}

static inline u32 db_vscope(struct dmar_build *b, u8 type, u8 flags, u8 enum_id, u8 bus, int npath, va_list ap)
{
	struct dmar_scope_hdr s = { type, (u8)(6 + 2 * npath), flags, 0, enum_id, bus };
	u32 off = b->len;

	db_put(b, &s, sizeof(s));
	for (int i = 0; i < npath; i++) {
		u8 p[2];

		p[0] = (u8)va_arg(ap, int);
		p[1] = (u8)va_arg(ap, int);
		db_put(b, p, 2);
	}
	return off;
}

/* Appends a device scope to the open structure: npath (device, function) int pairs follow. */
static inline u32 db_scope(struct dmar_build *b, u8 type, u8 enum_id, u8 bus, int npath, ...)
{
	va_list ap;
	u32 off;

	va_start(ap, npath);
	off = db_vscope(b, type, 0, enum_id, bus, npath, ap);
	va_end(ap);
	return off;
}

/* The same with the Device Scope Flags byte (VT-d 8.3.1) set. */
static inline u32 db_scope_flags(struct dmar_build *b, u8 type, u8 flags, u8 enum_id, u8 bus, int npath, ...)
{
	va_list ap;
	u32 off;

	va_start(ap, npath);
	off = db_vscope(b, type, flags, enum_id, bus, npath, ap);
	va_end(ap);
	return off;
}

/* Sets the checksum byte so the table sums to zero. */
static inline void db_checksum(struct dmar_build *b)
{
	u8 sum = 0;

	b->buf[9] = 0;
	for (u32 i = 0; i < b->len; i++)
		sum += b->buf[i];
	b->buf[9] = (u8)-sum;
}

/* Closes the last structure, writes Table Length and the checksum; returns the length. */
static inline u32 db_finish(struct dmar_build *b)
{
	db_close(b);
	db_put32(b->buf + 4, b->len);
	db_checksum(b);
	return b->len;
}

#endif
