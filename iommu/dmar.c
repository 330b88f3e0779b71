/* Pure DMAR table parser: the header, the walk over remapping structures, and the one allocated block. */
#include "dmar_walk.h"

static const char *const type_names[] = { "DRHD", "RMRR", "ATSR", "RHSA", "ANDD", "SATC", "SIDP" };

const char *dmar_type_name(u16 type)
{
	return type < ARRAY_SIZE(type_names) ? type_names[type] : "unknown";
}

/* ---- diagnostics ---- */

static void vadd_msg(struct dmar_info *out, bool error, const char *fmt, va_list ap)
{
	if (error)
		out->nr_errors++;
	else
		out->nr_warnings++;
	if (out->nr_msgs == DMAR_MAX_MSGS) {
		out->msgs_dropped++;
		return;
	}
	out->msgs[out->nr_msgs].error = error;
	vsnprintf(out->msgs[out->nr_msgs].text, DMAR_MSG_LEN, fmt, ap);
	out->nr_msgs++;
}

void dmar_add_msg(struct dmar_info *out, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd_msg(out, error, fmt, ap);
	va_end(ap);
}

/* Reports a problem of the structure at off; only pass 1 reports, so nothing is said twice. */
void dmar_struct_msg(struct dmar_walk *w, bool error, u32 off, u16 type, const char *fmt, ...)
{
	char detail[DMAR_MSG_LEN];
	va_list ap;

	if (w->fill)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	dmar_add_msg(w->out, error, "DMAR: structure type %u (%s) at offset 0x%x: %s", type,
		dmar_type_name(type), off, detail);
}

/* ---- pass bookkeeping ---- */

/*
 * Reserves n entries of one output array: *first is the index of the first.
 * In pass 2 it refuses to go past what pass 1 counted (the passes read the
 * same bytes, so this only guards against the table changing underneath).
 */
bool dmar_claim(const struct dmar_walk *w, u32 *used, u32 cap, u32 n, u32 *first)
{
	if (w->fill && (*used > cap || n > cap - *used))
		return false;
	*first = *used;
	*used += n;
	return true;
}

void dmar_lost(struct dmar_walk *w, u32 off, u16 type)
{
	dmar_add_msg(w->out, true, "DMAR: structure type %u (%s) at offset 0x%x: table changed while parsed; data incomplete",
		type, dmar_type_name(type), off);
}

/* ---- remapping structures ---- */

/*
 * VT-d 8.3: DRHD. A usable unit has a non-zero, 4 KiB aligned Register Base
 * Address. The others are kept apart (dmar_info.unusable) with their scopes:
 * the devices they cover must not fall to another unit. Base 0 is firmware
 * switching VT-d off; it is classified once the whole table is known.
 */
static void parse_drhd(struct dmar_walk *w, u32 off, u32 slen)
{
	struct dmar_drhd d;
	struct dmar_unit *u;
	bool usable;
	u32 idx;

	memcpy(&d, w->t + off, sizeof(d));
	usable = d.register_base != 0 && d.register_base % DMAR_PAGE == 0;
	if (d.register_base % DMAR_PAGE)
		dmar_struct_msg(w, true, off, DMAR_TYPE_DRHD, "Register Base Address 0x%llx not 4 KiB aligned; skipped",
			   (unsigned long long)d.register_base);
	if (!dmar_scopes_walkable(w, off, DMAR_TYPE_DRHD, off + sizeof(d), off + slen))
		return;
	if (usable && !(d.flags & DMAR_DRHD_INCLUDE_PCI_ALL) && slen == sizeof(d))
		dmar_struct_msg(w, false, off, DMAR_TYPE_DRHD, "no device scope and not INCLUDE_PCI_ALL: unit covers no device");
	if (usable ? !dmar_claim(w, &w->n.units, w->cap.units, 1, &idx)
		   : !dmar_claim(w, &w->n.unusable, w->cap.unusable, 1, &idx)) {
		dmar_lost(w, off, DMAR_TYPE_DRHD);
		return;
	}
	u = !w->fill ? NULL : usable ? &w->a.units[idx] : &w->a.unusable[idx];
	if (u) {
		u->register_base = d.register_base;
		u->register_size = (u64)DMAR_PAGE << (d.size & DMAR_DRHD_SIZE_MASK);
		u->segment = d.segment;
		u->include_pci_all = d.flags & DMAR_DRHD_INCLUDE_PCI_ALL;
		u->flags = d.flags;
		u->offset = off;
	}
	if (!dmar_take_scopes(w, off, DMAR_TYPE_DRHD, off + sizeof(d), off + slen, u ? &u->scopes : NULL))
		dmar_lost(w, off, DMAR_TYPE_DRHD);
}

/*
 * VT-d 8.4: RMRR. Base 4 KiB aligned, limit inclusive with limit+1 4 KiB
 * aligned, limit >= base, and the region inside the Host Address Width.
 * Shipping firmware writes "no region" as limit = base - 1 or limit = base
 * (0/0 included): a zero-size RMRR reserves nothing, so it is a warning and
 * the structure is dropped.
 */
static bool rmrr_empty(const struct dmar_rmrr *r)
{
	return r->limit == r->base || (r->base != 0 && r->limit + 1 == r->base);
}

static bool rmrr_valid(struct dmar_walk *w, u32 off, const struct dmar_rmrr *r)
{
	const char *why = NULL;
	u16 haw = w->out->haw;

	if (rmrr_empty(r)) {
		if (!w->fill) {
			w->out->facts |= DMAR_FACT_EMPTY_RMRR;
			w->out->nr_empty_rmrrs++;
		}
		dmar_struct_msg(w, false, off, DMAR_TYPE_RMRR,
			   "base 0x%llx limit 0x%llx: zero-size region (firmware placeholder); ignored",
			   (unsigned long long)r->base, (unsigned long long)r->limit);
		return false;
	}
	if (r->base % DMAR_PAGE)
		why = "base not 4 KiB aligned";
	else if ((r->limit + 1) % DMAR_PAGE)
		why = "limit + 1 not 4 KiB aligned";
	if (why) {
		dmar_struct_msg(w, true, off, DMAR_TYPE_RMRR, "base 0x%llx limit 0x%llx: %s; skipped",
			   (unsigned long long)r->base, (unsigned long long)r->limit, why);
		return false;
	}
	if (r->limit < r->base) {
		dmar_struct_msg(w, true, off, DMAR_TYPE_RMRR, "limit 0x%llx below base 0x%llx; skipped",
			   (unsigned long long)r->limit, (unsigned long long)r->base);
		return false;
	}
	if (r->base == 0 && r->limit == ~0ull) {
		dmar_struct_msg(w, true, off, DMAR_TYPE_RMRR, "base 0 limit 0x%llx: the whole address space; skipped",
			   (unsigned long long)r->limit);
		return false;
	}
	if (haw >= DMAR_MIN_HAW && haw < DMAR_MAX_HAW && r->limit >> haw) {
		dmar_struct_msg(w, true, off, DMAR_TYPE_RMRR, "limit 0x%llx beyond the %u-bit Host Address Width; skipped",
			   (unsigned long long)r->limit, haw);
		return false;
	}
	return true;
}

static void parse_rmrr(struct dmar_walk *w, u32 off, u32 slen)
{
	struct dmar_rmrr r;
	struct dmar_rmrr_info *m;
	u32 idx;

	memcpy(&r, w->t + off, sizeof(r));
	if (!rmrr_valid(w, off, &r) || !dmar_scopes_walkable(w, off, DMAR_TYPE_RMRR, off + sizeof(r), off + slen))
		return;
	if (slen == sizeof(r))
		dmar_struct_msg(w, false, off, DMAR_TYPE_RMRR, "no device scope: region applies to no device");
	if (!dmar_claim(w, &w->n.rmrrs, w->cap.rmrrs, 1, &idx)) {
		dmar_lost(w, off, DMAR_TYPE_RMRR);
		return;
	}
	m = w->fill ? &w->a.rmrrs[idx] : NULL;
	if (m) {
		m->segment = r.segment;
		m->base = r.base;
		m->limit = r.limit;
		m->offset = off;
	}
	if (!dmar_take_scopes(w, off, DMAR_TYPE_RMRR, off + sizeof(r), off + slen, m ? &m->scopes : NULL))
		dmar_lost(w, off, DMAR_TYPE_RMRR);
}

/* VT-d 8.5: ATSR. With ALL_PORTS set the scope list may be empty. */
static void parse_atsr(struct dmar_walk *w, u32 off, u32 slen)
{
	struct dmar_atsr a;
	struct dmar_atsr_info *m;
	u32 idx;

	memcpy(&a, w->t + off, sizeof(a));
	if (!dmar_scopes_walkable(w, off, DMAR_TYPE_ATSR, off + sizeof(a), off + slen))
		return;
	if (!dmar_claim(w, &w->n.atsrs, w->cap.atsrs, 1, &idx)) {
		dmar_lost(w, off, DMAR_TYPE_ATSR);
		return;
	}
	m = w->fill ? &w->a.atsrs[idx] : NULL;
	if (m) {
		m->segment = a.segment;
		m->all_ports = a.flags & DMAR_ATSR_ALL_PORTS;
		m->flags = a.flags;
		m->offset = off;
	}
	if (!dmar_take_scopes(w, off, DMAR_TYPE_ATSR, off + sizeof(a), off + slen, m ? &m->scopes : NULL))
		dmar_lost(w, off, DMAR_TYPE_ATSR);
}

/* VT-d 8.6: RHSA. Matched to its DRHD after the walk (check_rhsa_units). */
static void parse_rhsa(struct dmar_walk *w, u32 off, u32 slen)
{
	struct dmar_rhsa r;
	u32 idx;

	(void)slen;
	memcpy(&r, w->t + off, sizeof(r));
	if (!dmar_claim(w, &w->n.rhsas, w->cap.rhsas, 1, &idx)) {
		dmar_lost(w, off, DMAR_TYPE_RHSA);
		return;
	}
	if (w->fill) {
		w->a.rhsas[idx].register_base = r.register_base;
		w->a.rhsas[idx].proximity_domain = r.proximity_domain;
		w->a.rhsas[idx].offset = off;
	}
}

/* Length of a string of at most max bytes (strnlen is not in C11, which the host build uses). */
static u32 bounded_strlen(const char *s, u32 max)
{
	u32 n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* VT-d 8.7: ANDD. The ACPI Object Name fills the rest of the structure, NUL-terminated. */
static void parse_andd(struct dmar_walk *w, u32 off, u32 slen)
{
	struct dmar_andd a;
	const char *name = (const char *)w->t + off + sizeof(a);
	u32 max = slen - (u32)sizeof(a), nlen = bounded_strlen(name, max), idx, first;

	memcpy(&a, w->t + off, sizeof(a));
	if (nlen == 0) {
		dmar_struct_msg(w, true, off, DMAR_TYPE_ANDD, "empty ACPI Object Name; skipped");
		return;
	}
	if (nlen == max)
		dmar_struct_msg(w, false, off, DMAR_TYPE_ANDD, "ACPI Object Name not NUL-terminated");
	if (!dmar_claim(w, &w->n.andds, w->cap.andds, 1, &idx) ||
	    !dmar_claim(w, &w->n.name_bytes, w->cap.name_bytes, nlen + 1, &first)) {
		dmar_lost(w, off, DMAR_TYPE_ANDD);
		return;
	}
	if (w->fill) {
		memcpy(&w->a.names[first], name, nlen);
		w->a.names[first + nlen] = 0;
		w->a.andds[idx].acpi_device_number = a.acpi_device_number;
		w->a.andds[idx].object_name = &w->a.names[first];
		w->a.andds[idx].offset = off;
	}
}

/* VT-d 8.8: SATC. */
static void parse_satc(struct dmar_walk *w, u32 off, u32 slen)
{
	struct dmar_satc s;
	struct dmar_satc_info *m;
	u32 idx;

	memcpy(&s, w->t + off, sizeof(s));
	if (!dmar_scopes_walkable(w, off, DMAR_TYPE_SATC, off + sizeof(s), off + slen))
		return;
	if (!dmar_claim(w, &w->n.satcs, w->cap.satcs, 1, &idx)) {
		dmar_lost(w, off, DMAR_TYPE_SATC);
		return;
	}
	m = w->fill ? &w->a.satcs[idx] : NULL;
	if (m) {
		m->segment = s.segment;
		m->atc_required = s.flags & DMAR_SATC_ATC_REQUIRED;
		m->flags = s.flags;
		m->offset = off;
	}
	if (!dmar_take_scopes(w, off, DMAR_TYPE_SATC, off + sizeof(s), off + slen, m ? &m->scopes : NULL))
		dmar_lost(w, off, DMAR_TYPE_SATC);
}

/*
 * VT-d 8.9: SIDP. Segment Number, then device scopes in the 8.3.1 format;
 * what it reports about each device is in that scope's Flags.
 */
static void parse_sidp(struct dmar_walk *w, u32 off, u32 slen)
{
	struct dmar_sidp s;
	struct dmar_sidp_info *m;
	u32 idx;

	memcpy(&s, w->t + off, sizeof(s));
	if (!dmar_scopes_walkable(w, off, DMAR_TYPE_SIDP, off + sizeof(s), off + slen))
		return;
	if (slen == sizeof(s))
		dmar_struct_msg(w, false, off, DMAR_TYPE_SIDP, "no device scope: reports no device");
	if (!dmar_claim(w, &w->n.sidps, w->cap.sidps, 1, &idx)) {
		dmar_lost(w, off, DMAR_TYPE_SIDP);
		return;
	}
	m = w->fill ? &w->a.sidps[idx] : NULL;
	if (m) {
		m->segment = s.segment;
		m->offset = off;
	}
	if (!dmar_take_scopes(w, off, DMAR_TYPE_SIDP, off + sizeof(s), off + slen, m ? &m->scopes : NULL))
		dmar_lost(w, off, DMAR_TYPE_SIDP);
}

/* Minimum Length of each known type: its fixed part (VT-d 8.3 to 8.9). */
static const struct {
	u16 min_len;
	void (*parse)(struct dmar_walk *w, u32 off, u32 slen);
} kinds[] = {
	[DMAR_TYPE_DRHD] = { sizeof(struct dmar_drhd), parse_drhd },
	[DMAR_TYPE_RMRR] = { sizeof(struct dmar_rmrr), parse_rmrr },
	[DMAR_TYPE_ATSR] = { sizeof(struct dmar_atsr), parse_atsr },
	[DMAR_TYPE_RHSA] = { sizeof(struct dmar_rhsa), parse_rhsa },
	[DMAR_TYPE_ANDD] = { sizeof(struct dmar_andd), parse_andd },
	[DMAR_TYPE_SATC] = { sizeof(struct dmar_satc), parse_satc },
	[DMAR_TYPE_SIDP] = { sizeof(struct dmar_sidp), parse_sidp },
};

static void parse_struct(struct dmar_walk *w, u32 off, u16 type, u32 slen)
{
	if (type >= ARRAY_SIZE(kinds)) {
		dmar_struct_msg(w, false, off, type, "unknown type; skipped");
		return;
	}
	if (slen < kinds[type].min_len) {
		dmar_struct_msg(w, true, off, type, "length %u below the minimum %u; skipped", slen, kinds[type].min_len);
		return;
	}
	kinds[type].parse(w, off, slen);
}

/*
 * VT-d 8.2: remapping structures follow the 48-byte header back to back.
 * A structure whose Length is < 4 or runs past the table leaves no way to
 * find the next one, so the walk stops there.
 */
static void walk(struct dmar_walk *w)
{
	struct dmar_struct_hdr h;
	u32 off = sizeof(struct dmar_table_hdr);

	while (off < w->len) {
		if (w->len - off < sizeof(h)) {
			if (!w->fill)
				dmar_add_msg(w->out, true, "DMAR: %u trailing bytes at offset 0x%x are too short for a structure; stopped",
					w->len - off, off);
			return;
		}
		memcpy(&h, w->t + off, sizeof(h));
		if (h.length < sizeof(h) || h.length > w->len - off) {
			dmar_struct_msg(w, true, off, h.type, "length %u %s (table length 0x%x); stopped", h.length,
				   h.length < sizeof(h) ? "below 4" : "runs past the table end", w->len);
			return;
		}
		parse_struct(w, off, h.type, h.length);
		off += h.length;
	}
}

/* ---- the block ---- */

static size_t place(size_t *at, size_t count, size_t size)
{
	size_t start = ALIGN_UP(*at, 8);

	*at = start + count * size;
	return start;
}

/* Lays out every array counted by pass 1 in one allocation and points out at it. */
static MUST_CHECK status_t alloc_block(struct dmar_walk *w, dmar_alloc_fn alloc, void *ctx)
{
	const struct dmar_counts *c = &w->cap;
	size_t at = 0, o_units, o_rmrrs, o_atsrs, o_rhsas, o_andds, o_satcs, o_sidps, o_unusable, o_scopes,
	       o_paths, o_names;
	u8 *b;

	o_units = place(&at, c->units, sizeof(struct dmar_unit));
	o_rmrrs = place(&at, c->rmrrs, sizeof(struct dmar_rmrr_info));
	o_atsrs = place(&at, c->atsrs, sizeof(struct dmar_atsr_info));
	o_rhsas = place(&at, c->rhsas, sizeof(struct dmar_rhsa_info));
	o_andds = place(&at, c->andds, sizeof(struct dmar_andd_info));
	o_satcs = place(&at, c->satcs, sizeof(struct dmar_satc_info));
	o_sidps = place(&at, c->sidps, sizeof(struct dmar_sidp_info));
	o_unusable = place(&at, c->unusable, sizeof(struct dmar_unit));
	o_scopes = place(&at, c->scopes, sizeof(struct dmar_scope));
	o_paths = place(&at, c->paths, sizeof(struct dmar_path));
	o_names = place(&at, c->name_bytes, 1);
	if (at == 0)
		return OK;
	b = alloc(at, ctx);
	if (b == NULL) {
		dmar_add_msg(w->out, true, "DMAR: cannot allocate %llu bytes for the parsed table", (unsigned long long)at);
		return E_NOMEM;
	}
	memset(b, 0, at);
	w->out->block = b;
	w->out->block_bytes = at;
	w->a = (struct dmar_arrays){
		(struct dmar_unit *)(b + o_units),      (struct dmar_rmrr_info *)(b + o_rmrrs),
		(struct dmar_atsr_info *)(b + o_atsrs), (struct dmar_rhsa_info *)(b + o_rhsas),
		(struct dmar_andd_info *)(b + o_andds), (struct dmar_satc_info *)(b + o_satcs),
		(struct dmar_sidp_info *)(b + o_sidps), (struct dmar_unit *)(b + o_unusable),
		(struct dmar_scope *)(b + o_scopes),    (struct dmar_path *)(b + o_paths),
		(char *)(b + o_names),
	};
	return OK;
}

static void publish(struct dmar_walk *w)
{
	struct dmar_info *o = w->out;

	o->nr_units = w->n.units;
	o->units = w->n.units ? w->a.units : NULL;
	o->nr_rmrrs = w->n.rmrrs;
	o->rmrrs = w->n.rmrrs ? w->a.rmrrs : NULL;
	o->nr_atsrs = w->n.atsrs;
	o->atsrs = w->n.atsrs ? w->a.atsrs : NULL;
	o->nr_rhsas = w->n.rhsas;
	o->rhsas = w->n.rhsas ? w->a.rhsas : NULL;
	o->nr_andds = w->n.andds;
	o->andds = w->n.andds ? w->a.andds : NULL;
	o->nr_satcs = w->n.satcs;
	o->satcs = w->n.satcs ? w->a.satcs : NULL;
	o->nr_sidps = w->n.sidps;
	o->sidps = w->n.sidps ? w->a.sidps : NULL;
	o->nr_unusable = w->n.unusable;
	o->unusable = w->n.unusable ? w->a.unusable : NULL;
}

/* ---- the header (VT-d 8.1, ACPI 5.2.6) ---- */

static MUST_CHECK status_t check_header(struct dmar_info *o, const u8 *t, u32 buf_len, struct dmar_table_hdr *h)
{
	u8 sum = 0;

	if (buf_len < sizeof(*h)) {
		dmar_add_msg(o, true, "DMAR: %u bytes are too short for the 48-byte header", buf_len);
		return E_INVAL;
	}
	memcpy(h, t, sizeof(*h));
	if (memcmp(h->sdt.signature, "DMAR", 4) != 0) {
		dmar_add_msg(o, true, "DMAR: signature %02x %02x %02x %02x is not \"DMAR\"", (u8)h->sdt.signature[0],
			(u8)h->sdt.signature[1], (u8)h->sdt.signature[2], (u8)h->sdt.signature[3]);
		return E_INVAL;
	}
	if (h->sdt.length < sizeof(*h) || h->sdt.length > buf_len) {
		dmar_add_msg(o, true, "DMAR: table length %u %s (%u bytes available)", h->sdt.length,
			h->sdt.length < sizeof(*h) ? "below 48" : "exceeds the buffer", buf_len);
		return E_INVAL;
	}
	/*
	 * Firmware ships tables with wrong checksums and works on other OSes,
	 * so a bad sum is reported as an error but the table is still parsed.
	 */
	sum = acpi_checksum(t, h->sdt.length);
	o->checksum_ok = sum == 0;
	if (!o->checksum_ok)
		dmar_add_msg(o, true, "DMAR: checksum wrong (bytes sum to 0x%02x, not 0); parsing anyway", sum);
	return OK;
}

/* VT-d 8.1: Host Address Width is the DMA address width minus one. */
static void check_haw(struct dmar_info *o, u8 field)
{
	u32 bits = field + 1u;

	if (bits < DMAR_MIN_HAW || bits > DMAR_MAX_HAW)
		dmar_add_msg(o, true, "DMAR: Host Address Width field %u (%u address bits) outside %u..%u", field,
			bits, DMAR_MIN_HAW, DMAR_MAX_HAW);
}

status_t dmar_parse(const void *table, u32 len, dmar_alloc_fn alloc, void *ctx, struct dmar_info *out)
{
	struct dmar_walk w = { .t = table, .out = out };
	struct dmar_table_hdr h;
	status_t st;

	memset(out, 0, sizeof(*out));
	st = check_header(out, table, len, &h);
	if (st != OK)
		return st;
	out->revision = h.sdt.revision;
	memcpy(out->oem_id, h.sdt.oem_id, sizeof(h.sdt.oem_id));
	memcpy(out->oem_table_id, h.sdt.oem_table_id, sizeof(h.sdt.oem_table_id));
	out->oem_revision = h.sdt.oem_revision;
	out->haw = h.host_address_width + 1u;
	out->flags = h.flags;
	out->table_length = h.sdt.length;
	check_haw(out, h.host_address_width);
	w.len = h.sdt.length;
	walk(&w);                 /* pass 1: validate, report, count */
	w.cap = w.n;
	st = alloc_block(&w, alloc, ctx);
	if (st != OK)
		return st;
	w.fill = true;
	w.n = (struct dmar_counts){ 0 };
	walk(&w);                 /* pass 2: copy */
	publish(&w);
	dmar_cross_checks(out);
	return OK;
}

#ifdef PASSAGE_HOST
void *dmar_host_alloc(size_t bytes, void *ctx)
{
	(void)ctx;
	return malloc(bytes);
}

void dmar_free(struct dmar_info *info)
{
	free(info->block);
	info->block = NULL;
	info->block_bytes = 0;
}
#endif
