/* DMAR device scopes (VT-d 8.3.1): validation, copying into the parsed block, and their names and paths. */
#include "dmar_walk.h"

static const char *const scope_names[] = { "reserved", "PCI Endpoint", "PCI Sub-hierarchy", "IOAPIC",
					   "MSI_CAPABLE_HPET", "ACPI_NAMESPACE_DEVICE" };

const char *dmar_scope_type_name(u8 type)
{
	return type < ARRAY_SIZE(scope_names) ? scope_names[type] : "unknown";
}

/* ---- device scopes (VT-d 8.3.1) ---- */

/*
 * Walks the scope list [start, end) of the structure at off far enough to
 * know every Length is usable: >= 6 and inside the structure. A broken
 * length leaves the rest unreadable, so the whole structure is skipped.
 */
bool dmar_scopes_walkable(struct dmar_walk *w, u32 off, u16 type, u32 start, u32 end)
{
	struct dmar_scope_hdr s;
	u32 pos = start;

	while (pos < end) {
		if (end - pos < sizeof(s)) {
			dmar_struct_msg(w, true, off, type, "%u trailing bytes at offset 0x%x are too short for a device scope; skipped",
				   end - pos, pos);
			return false;
		}
		memcpy(&s, w->t + pos, sizeof(s));
		if (s.length < sizeof(s) || s.length > end - pos) {
			dmar_struct_msg(w, true, off, type,
				   "device scope at offset 0x%x: length %u %s (structure ends at 0x%x); skipped", pos,
				   s.length, s.length < sizeof(s) ? "below 6" : "runs past the structure", end);
			return false;
		}
		pos += s.length;
	}
	return true;
}

/* Checks one scope's content (8.3.1); a bad scope is dropped, the structure kept. */
static bool scope_valid(struct dmar_walk *w, u32 off, u16 type, u32 pos, const struct dmar_scope_hdr *s)
{
	u32 nr = (u32)(s->length - sizeof(*s)) / 2;
	struct dmar_path p;

	if (s->type < DMAR_SCOPE_PCI_ENDPOINT || s->type > DMAR_SCOPE_ACPI_NAMESPACE_DEVICE) {
		dmar_struct_msg(w, false, off, type, "device scope at offset 0x%x: unknown type %u; scope skipped", pos,
			   s->type);
		return false;
	}
	if ((s->length - sizeof(*s)) % 2) {
		dmar_struct_msg(w, true, off, type, "device scope at offset 0x%x: length %u leaves half a path entry; scope skipped",
			   pos, s->length);
		return false;
	}
	if (nr == 0) {
		dmar_struct_msg(w, true, off, type, "device scope at offset 0x%x: type %u (%s) has no path; scope skipped", pos,
			   s->type, dmar_scope_type_name(s->type));
		return false;
	}
	for (u32 i = 0; i < nr; i++) {
		memcpy(&p, w->t + pos + sizeof(*s) + 2 * i, sizeof(p));
		if (p.device > DMAR_MAX_DEVICE || p.function > DMAR_MAX_FUNCTION) {
			dmar_struct_msg(w, true, off, type,
				   "device scope at offset 0x%x: path entry %u (device 0x%x function 0x%x) out of range; scope skipped",
				   pos, i, p.device, p.function);
			return false;
		}
	}
	return true;
}

/* Pass 2: copies one checked scope and its path into the block. */
static bool fill_scope(struct dmar_walk *w, u32 idx, u32 pos, const struct dmar_scope_hdr *s, u32 nr_path)
{
	struct dmar_scope *d = &w->a.scopes[idx];
	u32 first;

	if (!dmar_claim(w, &w->n.paths, w->cap.paths, nr_path, &first))
		return false;
	memcpy(&w->a.paths[first], w->t + pos + sizeof(*s), 2 * (size_t)nr_path);
	d->type = s->type;
	d->flags = s->flags;
	d->enumeration_id = s->enumeration_id;
	d->start_bus = s->start_bus;
	d->nr_path = nr_path;
	d->path = &w->a.paths[first];
	d->offset = pos;
	return true;
}

/* Takes the valid scopes of [start, end) (already known walkable) into *out. */
bool dmar_take_scopes(struct dmar_walk *w, u32 off, u16 type, u32 start, u32 end, struct dmar_scopes *out)
{
	struct dmar_scope_hdr s;
	u32 idx, first = w->n.scopes, count = 0;

	for (u32 pos = start; pos < end; pos += s.length) {
		memcpy(&s, w->t + pos, sizeof(s));
		if (!scope_valid(w, off, type, pos, &s))
			continue;
		if (type != DMAR_TYPE_DRHD && s.type >= DMAR_SCOPE_IOAPIC)
			dmar_struct_msg(w, false, off, type, "device scope at offset 0x%x: type %u (%s) belongs in a DRHD",
				   pos, s.type, dmar_scope_type_name(s.type));
		if (!dmar_claim(w, &w->n.scopes, w->cap.scopes, 1, &idx))
			return false;
		if (!w->fill)
			w->n.paths += (u32)(s.length - sizeof(s)) / 2;
		else if (!fill_scope(w, idx, pos, &s, (u32)(s.length - sizeof(s)) / 2))
			return false;
		count++;
	}
	if (w->fill) {
		out->count = count;
		out->scope = count ? &w->a.scopes[first] : NULL;
	}
	return true;
}

int dmar_scope_path_str(const struct dmar_scope *s, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%02x", s->start_bus);

	for (u32 i = 0; i < s->nr_path; i++) {
		size_t at = (size_t)n < size ? (size_t)n : size;

		n += snprintf(buf ? buf + at : NULL, size - at, "%s%02x.%x", i ? "/" : ":", s->path[i].device,
			      s->path[i].function);
	}
	return n;
}
