/* Test helper: builds multiboot2 boot information (tags, memory maps, modules) in memory. */
#ifndef PASSAGE_TESTS_MB2_IMAGE_H
#define PASSAGE_TESTS_MB2_IMAGE_H

#include "boot/mb2_parse.h"
#include <stdlib.h>
#include <string.h>

#define MB2_IMAGE_SIZE 16384

struct mb2_image {
	_Alignas(8) u8 buf[MB2_IMAGE_SIZE];
	u32 len;                      /* bytes used so far (always 8-aligned) */
};

static inline void mb2_begin(struct mb2_image *im)
{
	memset(im, 0, sizeof(*im));
	im->len = 8;
}

/* Appends a tag whose size field says size_field (normally 8 + payload_len). */
static inline u32 mb2_tag_sized(struct mb2_image *im, u32 type, u32 size_field, const void *payload,
				u32 payload_len)
{
	u32 off = im->len;

	if (off + 8 + payload_len + 8 > MB2_IMAGE_SIZE)
		abort();
	memcpy(im->buf + off, &type, 4);
	memcpy(im->buf + off + 4, &size_field, 4);
	if (payload_len)
		memcpy(im->buf + off + 8, payload, payload_len);
	im->len = (off + 8 + payload_len + 7) & ~7u;
	return off;
}

static inline u32 mb2_tag(struct mb2_image *im, u32 type, const void *payload, u32 payload_len)
{
	return mb2_tag_sized(im, type, 8 + payload_len, payload, payload_len);
}

/* A tag holding one NUL-terminated string (command line, loader name). */
static inline u32 mb2_string(struct mb2_image *im, u32 type, const char *s)
{
	return mb2_tag(im, type, s, (u32)strlen(s) + 1);
}

static inline u32 mb2_module(struct mb2_image *im, u32 start, u32 end, const char *name)
{
	u8 p[8 + 256];
	u32 n = (u32)strlen(name) + 1;

	if (n > 256)
		abort();
	memcpy(p, &start, 4);
	memcpy(p + 4, &end, 4);
	memcpy(p + 8, name, n);
	return mb2_tag(im, MB2_TAG_MODULE, p, 8 + n);
}

/* Memory map tag; entries are entry_size bytes apart (extra bytes zero). */
static inline u32 mb2_mmap(struct mb2_image *im, u32 entry_size, const struct mb2_mmap_entry *e,
			   u32 n)
{
	u32 len = 8 + n * entry_size;
	u8 *p = calloc(1, len);
	u32 i, off;

	memcpy(p, &entry_size, 4);
	for (i = 0; i < n; i++)
		memcpy(p + 8 + i * entry_size, &e[i],
		       entry_size < sizeof(e[i]) ? entry_size : sizeof(e[i]));
	off = mb2_tag(im, MB2_TAG_MMAP, p, len);
	free(p);
	return off;
}

/* EFI memory map tag: descriptor_size, descriptor_version, raw descriptors. */
static inline u32 mb2_efi_mmap(struct mb2_image *im, u32 desc_size, const void *descs, u32 bytes)
{
	u8 *p = calloc(1, 8 + bytes);
	u32 version = 1, off;

	memcpy(p, &desc_size, 4);
	memcpy(p + 4, &version, 4);
	memcpy(p + 8, descs, bytes);
	off = mb2_tag(im, MB2_TAG_EFI_MMAP, p, 8 + bytes);
	free(p);
	return off;
}

static inline u32 mb2_framebuffer(struct mb2_image *im, u64 addr, u32 pitch, u32 width,
				  u32 height, u8 bpp, u8 type)
{
	u8 p[24 + 6] = { 0 };   /* common part and an RGB color_info */

	memcpy(p, &addr, 8);
	memcpy(p + 8, &pitch, 4);
	memcpy(p + 12, &width, 4);
	memcpy(p + 16, &height, 4);
	p[20] = bpp;
	p[21] = type;
	return mb2_tag(im, MB2_TAG_FRAMEBUFFER, p, sizeof(p));
}

/* Sets total_size to the bytes used so far. */
static inline void mb2_set_total(struct mb2_image *im)
{
	memcpy(im->buf, &im->len, 4);
}

/* Appends the end tag and sets total_size. */
static inline void mb2_end(struct mb2_image *im)
{
	mb2_tag(im, MB2_TAG_END, NULL, 0);
	mb2_set_total(im);
}

#endif
