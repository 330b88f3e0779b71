/* Multiboot2 boot information parser: walks the tags and fills struct boot_info. */
#include "boot/mb2_parse.h"
#include "boot/efi_memmap.h"
#include "lib/string.h"

/*
 * Section names below are the subsections of Multiboot2 spec 3.6 "Boot
 * information format". The info is untrusted input: every field is read with
 * memcpy (the buffer may be unaligned) and only inside the tag it belongs to.
 */

#define MB2_MMAP_HDR 16          /* type, size, entry_size, entry_version */
#define MB2_MODULE_HDR 16        /* type, size, mod_start, mod_end */
#define MB2_EFI_MMAP_HDR 16      /* type, size, descriptor_size, descriptor_version */
#define MB2_FB_MIN 30            /* through framebuffer_type */
#define MB2_FB_TYPE_EGA_TEXT 2   /* framebuffer_type 2: EGA text, not pixels */
#define RSDP_V1_LEN 20           /* ACPI 6.5 section 5.2.5.3: revision 0 RSDP */
#define RSDP_V2_LEN 36           /* ACPI 6.5 section 5.2.5.3: whole RSDP */

/* Multiboot2 spec 3.6 "Memory map": type values. */
#define MB2_MEM_AVAILABLE 1      /* available RAM */
#define MB2_MEM_ACPI 3           /* ACPI information, reclaimable */
#define MB2_MEM_NVS 4            /* preserved on hibernation */
#define MB2_MEM_BAD 5            /* defective RAM */

/* One tag being handled: where it is and what its header says. */
struct mb2_tag_view {
	const u8 *p;             /* first byte of the tag header */
	u32 type;
	u32 size;                /* validated: 8 <= size, fits in total_size */
	u32 off;                 /* offset from the start of the info */
};

/* State gathered over the walk and applied after it. */
struct mb2_state {
	struct boot_info *bi;
	bool seen_mmap;
	bool seen_acpi_new;
	bool uefi;
	const u8 *efi_mmap;      /* descriptors of the first EFI memory map tag */
	u32 efi_mmap_size;
	u32 efi_desc_size;
};

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

/* Reports a problem with one tag, prefixed with its type and offset. */
static void tag_error(struct mb2_state *st, const struct mb2_tag_view *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tag_error(struct mb2_state *st, const struct mb2_tag_view *t, const char *fmt, ...)
{
	char msg[BOOT_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	boot_info_error(st->bi, "multiboot2: tag %u at offset 0x%x: %s", t->type, t->off, msg);
}

/*
 * Finds the NUL-terminated string that fills the tag from byte from on.
 * Returns NULL (and reports) when there is no NUL before the tag ends.
 */
static const char *tag_string(struct mb2_state *st, const struct mb2_tag_view *t, u32 from)
{
	u32 i;

	for (i = from; i < t->size; i++)
		if (t->p[i] == '\0')
			return (const char *)t->p + from;
	tag_error(st, t, "string not NUL-terminated within the tag");
	return NULL;
}

/* "Boot command line": u8[n] string. */
static void parse_cmdline(struct mb2_state *st, const struct mb2_tag_view *t)
{
	const char *s = tag_string(st, t, 8);
	size_t len;

	if (s == NULL)
		return;
	len = strlcpy_(st->bi->cmdline, s, sizeof(st->bi->cmdline));
	if (len >= sizeof(st->bi->cmdline))
		tag_error(st, t, "command line of %u bytes truncated to %u", (unsigned)len,
			  (unsigned)sizeof(st->bi->cmdline) - 1);
}

/* "Boot loader name": u8[n] string. */
static void parse_loader_name(struct mb2_state *st, const struct mb2_tag_view *t)
{
	const char *s = tag_string(st, t, 8);

	if (s != NULL)
		strlcpy_(st->bi->loader, s, sizeof(st->bi->loader));
}

/* "Modules": u32 mod_start, u32 mod_end (one past the end, as GRUB fills it), string. */
static void parse_module(struct mb2_state *st, const struct mb2_tag_view *t)
{
	struct boot_info *bi = st->bi;
	struct boot_module *m;
	const char *name;
	u32 start, end;

	if (t->size < MB2_MODULE_HDR) {
		tag_error(st, t, "size %u too small for a module", t->size);
		return;
	}
	start = rd32(t->p + 8);
	end = rd32(t->p + 12);
	if (end < start) {
		tag_error(st, t, "module end 0x%x below start 0x%x", end, start);
		return;
	}
	if (bi->nr_modules >= BOOT_MAX_MODULES) {
		tag_error(st, t, "more than %u modules, module dropped", BOOT_MAX_MODULES);
		return;
	}
	/* A module without a valid name is still memory in use: keep it, unnamed. */
	name = tag_string(st, t, MB2_MODULE_HDR);
	m = &bi->modules[bi->nr_modules++];
	m->start = start;
	m->end = end;
	strlcpy_(m->name, name != NULL ? name : "", sizeof(m->name));
}

static u32 mb2_mem_type(u32 type)
{
	switch (type) {
	case MB2_MEM_AVAILABLE:
		return MEM_USABLE;
	case MB2_MEM_ACPI:
		return MEM_ACPI;
	case MB2_MEM_NVS:
		return MEM_NVS;
	case MB2_MEM_BAD:
		return MEM_BAD;
	default:
		return MEM_RESERVED;   /* 2 and every unknown value */
	}
}

/*
 * "Memory map": u32 entry_size (a multiple of 8, at least the 24-byte entry;
 * later versions may append fields), u32 entry_version, then entries.
 */
static void parse_mmap(struct mb2_state *st, const struct mb2_tag_view *t)
{
	struct mb2_mmap_entry e;
	u32 entry_size, i, n;

	if (t->size < MB2_MMAP_HDR) {
		tag_error(st, t, "size %u too small for mmap header", t->size);
		return;
	}
	if (st->seen_mmap) {
		tag_error(st, t, "second memory map ignored");
		return;
	}
	entry_size = rd32(t->p + 8);
	if (entry_size < sizeof(e)) {
		tag_error(st, t, "mmap entry_size %u < %u", entry_size, (unsigned)sizeof(e));
		return;
	}
	st->seen_mmap = true;
	n = (t->size - MB2_MMAP_HDR) / entry_size;
	for (i = 0; i < n; i++) {
		memcpy(&e, t->p + MB2_MMAP_HDR + (u64)i * entry_size, sizeof(e));
		boot_info_add_mem(st->bi, e.base_addr, e.length, mb2_mem_type(e.type));
	}
}

/* "ACPI old RSDP" / "ACPI new RSDP": a copy of the RSDP; the new one wins. */
static void parse_acpi(struct mb2_state *st, const struct mb2_tag_view *t, bool is_new)
{
	struct boot_info *bi = st->bi;
	u32 len = t->size - 8;

	if (len < RSDP_V1_LEN) {
		tag_error(st, t, "size %u too small for an RSDP", t->size);
		return;
	}
	if (!is_new && st->seen_acpi_new)
		return;
	if (len > (is_new ? RSDP_V2_LEN : RSDP_V1_LEN))
		len = is_new ? RSDP_V2_LEN : RSDP_V1_LEN;
	memset(bi->rsdp_copy, 0, sizeof(bi->rsdp_copy));
	memcpy(bi->rsdp_copy, t->p + 8, len);
	bi->rsdp_copy_len = len;
	if (is_new)
		st->seen_acpi_new = true;
}

/*
 * "Framebuffer info": u64 addr, u32 pitch, u32 width, u32 height, u8 bpp,
 * u8 framebuffer_type. EGA text mode (type 2) counts characters, not pixels,
 * so it is not reported as a framebuffer.
 */
static void parse_framebuffer(struct mb2_state *st, const struct mb2_tag_view *t)
{
	struct boot_info *bi = st->bi;

	if (t->size < MB2_FB_MIN) {
		tag_error(st, t, "size %u too small for framebuffer info", t->size);
		return;
	}
	if (t->p[29] == MB2_FB_TYPE_EGA_TEXT)
		return;
	bi->fb_base = rd64(t->p + 8);
	bi->fb_pitch = rd32(t->p + 16);
	bi->fb_width = rd32(t->p + 20);
	bi->fb_height = rd32(t->p + 24);
	bi->fb_bpp = t->p[28];
}

/* "EFI memory map": kept for after the walk, used only if there is no "Memory map". */
static void parse_efi_mmap(struct mb2_state *st, const struct mb2_tag_view *t)
{
	st->uefi = true;
	if (t->size < MB2_EFI_MMAP_HDR) {
		tag_error(st, t, "size %u too small for EFI memory map header", t->size);
		return;
	}
	if (st->efi_mmap != NULL)
		return;
	st->efi_desc_size = rd32(t->p + 8);
	st->efi_mmap = t->p + MB2_EFI_MMAP_HDR;
	st->efi_mmap_size = t->size - MB2_EFI_MMAP_HDR;
}

static void parse_tag(struct mb2_state *st, const struct mb2_tag_view *t)
{
	switch (t->type) {
	case MB2_TAG_CMDLINE:
		parse_cmdline(st, t);
		break;
	case MB2_TAG_LOADER_NAME:
		parse_loader_name(st, t);
		break;
	case MB2_TAG_MODULE:
		parse_module(st, t);
		break;
	case MB2_TAG_MMAP:
		parse_mmap(st, t);
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		parse_acpi(st, t, t->type == MB2_TAG_ACPI_NEW);
		break;
	case MB2_TAG_FRAMEBUFFER:
		parse_framebuffer(st, t);
		break;
	case MB2_TAG_EFI_MMAP:
		parse_efi_mmap(st, t);
		break;
	case MB2_TAG_EFI64:
	case MB2_TAG_EFI64_IH:
	case MB2_TAG_EFI_BS:
		st->uefi = true;   /* only a UEFI boot loader passes these */
		break;
	default:
		break;             /* BASIC_MEMINFO, BOOTDEV and unknown tags: not needed */
	}
}

/* "Boot information format": u32 total_size, u32 reserved, then tags. */
static MUST_CHECK status_t check_header(const u8 *info, u64 avail, struct boot_info *bi, u32 *total)
{
	if (info == NULL || avail < sizeof(struct mb2_info_header)) {
		boot_info_error(bi, "multiboot2: info of %llu bytes has no header",
				(unsigned long long)avail);
		return E_INVAL;
	}
	*total = rd32(info);
	if (*total < sizeof(struct mb2_info_header) + sizeof(struct mb2_tag) ||
	    *total > avail || *total > MB2_INFO_MAX) {
		boot_info_error(bi, "multiboot2: total_size %u invalid (16..%llu)", *total,
				(unsigned long long)MIN(avail, (u64)MB2_INFO_MAX));
		return E_INVAL;
	}
	return OK;
}

/*
 * "Basic tags structure": tags start 8-byte aligned, size covers the header
 * but not the padding, and a type 0 tag of size 8 ends the list. bi is filled
 * in, not cleared: the caller zeroes it (and may have set image_start/end).
 */
status_t mb2_parse(const void *info, u64 avail, struct boot_info *bi)
{
	struct mb2_state st = { .bi = bi };
	struct mb2_tag_view t = { 0 };
	const u8 *base = info;
	bool ended = false, broken = false;
	u32 total, off;
	status_t rc;

	rc = check_header(base, avail, bi, &total);
	if (rc != OK)
		return rc;
	for (off = sizeof(struct mb2_info_header); off <= total - sizeof(struct mb2_tag);
	     off += (u32)ALIGN_UP(t.size, 8)) {
		t.p = base + off;
		t.off = off;
		t.type = rd32(t.p);
		t.size = rd32(t.p + 4);
		if (t.size < sizeof(struct mb2_tag)) {
			tag_error(&st, &t, "size %u smaller than the tag header", t.size);
			broken = true;
			break;
		}
		if (t.size > total - off) {
			tag_error(&st, &t, "size %u runs past total_size %u", t.size, total);
			broken = true;
			break;
		}
		if (t.type == MB2_TAG_END) {
			ended = true;
			break;
		}
		parse_tag(&st, &t);
	}
	if (!ended && !broken)   /* a broken walk was already reported */
		boot_info_error(bi, "multiboot2: no end tag within total_size %u", total);
	if (!st.seen_mmap && st.efi_mmap != NULL)
		efi_memmap_convert(st.efi_mmap, st.efi_mmap_size, st.efi_desc_size, bi);
	bi->path = st.uefi ? BOOT_PATH_MULTIBOOT2_UEFI : BOOT_PATH_MULTIBOOT2_BIOS;
	return OK;
}
