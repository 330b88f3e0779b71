/* Multiboot1 guest loader: ELF32 segments into guest memory, the boot information a loader gives (Multiboot 0.6.96 spec 3). */
#include "loader.h"
#include "guest_acpi.h"
#include "lib/log.h"
#include "lib/string.h"

#define MB1_HEADER_MAGIC 0x1badb002
#define MB1_BOOT_MAGIC 0x2badb002
#define MB1_SEARCH 8192
#define MB1_BOOT_GPA 0x8000       /* preferred place of the boot information block: */
#define MB1_BOOT_SIZE (2 * PAGE_SIZE) /* command line page, then info + mmap + module + strings page */
#define MB1_LOW_END 0x9f000       /* end of the low RAM the memory map reports */
#define MB1_ACPI_GPA 0xe0000      /* RSDP in the BIOS area a guest scans (ACPI 6.5 5.2.5.1) */

struct mb1_info {                 /* spec 3.3: Boot information format (fields used) */
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
} PACKED;
_Static_assert(sizeof(struct mb1_info) == 68, "multiboot1 info fields up to boot_loader_name");

struct mb1_mmap {
	u32 size;                 /* of the rest of the entry: 20 */
	u64 base_addr, length;
	u32 type;                 /* 1 = available RAM */
} PACKED;
_Static_assert(sizeof(struct mb1_mmap) == 24, "multiboot1 mmap entry");

struct mb1_module {               /* spec 3.3: mods_addr points to an array of these */
	u32 mod_start, mod_end;
	u32 string;
	u32 reserved;
} PACKED;
_Static_assert(sizeof(struct mb1_module) == 16, "multiboot1 module entry");

struct elf32_ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version, entry, phoff, shoff, flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} PACKED;
_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header");

struct elf32_phdr {
	u32 type, offset, vaddr, paddr, filesz, memsz, flags, align;
} PACKED;
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header");

bool mb1_detect(const u8 *img, u64 size)
{
	for (u64 off = 0; off + 12 <= MIN(size, (u64)MB1_SEARCH); off += 4) {
		u32 h[3];
		memcpy(h, img + off, 12);
		if (h[0] == MB1_HEADER_MAGIC && h[0] + h[1] + h[2] == 0)
			return true;
	}
	return false;
}

static MUST_CHECK status_t load_segments(struct domain *d, const u8 *img, u64 size, u32 *entry, u64 *lo, u64 *top,
			      char *err, size_t n)
{
	struct elf32_ehdr eh;
	if (size < sizeof eh || memcmp(img, "\x7f" "ELF", 4) || img[4] != 1) {
		snprintf(err, n, "not an ELF32 image");
		return E_INVAL;
	}
	memcpy(&eh, img, sizeof eh);
	for (u32 i = 0; i < eh.phnum; i++) {
		struct elf32_phdr ph;
		u64 off = eh.phoff + (u64)i * eh.phentsize;
		if (eh.phentsize < sizeof ph || off + sizeof ph > size) {
			snprintf(err, n, "program header %u outside the image", i);
			return E_INVAL;
		}
		memcpy(&ph, img + off, sizeof ph);
		if (ph.type != 1) /* PT_LOAD */
			continue;
		u8 *dst = domain_gpa(d, ph.paddr, ph.memsz);
		if (!dst || ph.filesz > ph.memsz || (u64)ph.offset + ph.filesz > size) {
			snprintf(err, n, "segment %u (0x%x, %u bytes) does not fit the domain's memory", i,
				 ph.paddr, ph.memsz);
			return E_INVAL;
		}
		memcpy(dst, img + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
		*lo = MIN(*lo, (u64)ph.paddr);
		*top = MAX(*top, (u64)ph.paddr + ph.memsz);
	}
	*entry = eh.entry;
	return OK;
}

/* The initrd, if any, becomes module 0, placed at `at` (the first page boundary after the image). */
static MUST_CHECK status_t load_module(struct domain *d, struct mb1_info *mbi, u64 mbi_gpa, u64 at,
			    const struct guest_file *m, char *err, size_t n)
{
	u8 *dst = domain_gpa(d, at, m->size);
	if (!dst) {
		snprintf(err, n, "module '%s' (%lu KiB) does not fit after the image", m->name, m->size / KiB);
		return E_NOMEM;
	}
	memcpy(dst, m->data, m->size);
	struct mb1_module *mod = (struct mb1_module *)((u8 *)mbi + 512);
	char *name = (char *)mbi + 1024;
	strlcpy_(name, m->name, 256);
	*mod = (struct mb1_module){ (u32)at, (u32)(at + m->size), (u32)mbi_gpa + 1024, 0 };
	mbi->mods_count = 1;
	mbi->mods_addr = (u32)mbi_gpa + 512;
	return OK;
}

static bool overlaps(u64 a, u64 a_end, u64 b, u64 b_end) { return a < b_end && b < a_end; }

/*
 * Spec 3.3 lets the boot information live anywhere the OS image and modules do
 * not: at 0x8000 unless the image or its module covers that, else on the first
 * page after them (still 32-bit addressable and inside the domain's memory).
 */
static MUST_CHECK status_t place_boot_info(struct domain *d, u64 lo, u64 top, u64 mod_end, u64 *at, char *err, size_t n)
{
	u64 end = MAX(top, mod_end);
	*at = MB1_BOOT_GPA;
	if (!overlaps(MB1_BOOT_GPA, MB1_BOOT_GPA + MB1_BOOT_SIZE, lo, end))
		return OK;
	*at = ALIGN_UP(end, PAGE_SIZE);
	if ((*at < MB1_LOW_END && *at + MB1_BOOT_SIZE > MB1_LOW_END) || *at + MB1_BOOT_SIZE > 0x100000000ULL ||
	    !domain_gpa(d, *at, MB1_BOOT_SIZE)) {
		snprintf(err, n, "image and module (0x%lx-0x%lx) cover 0x%x-0x%lx and leave no room for the "
			 "boot information after them", lo, end, MB1_BOOT_GPA, MB1_BOOT_GPA + MB1_BOOT_SIZE - 1);
		return E_NOMEM;
	}
	LOG("domain", "%s: image 0x%lx-0x%lx covers 0x%x: multiboot information at 0x%lx", d->name, lo, end,
	    MB1_BOOT_GPA, *at);
	return OK;
}

status_t mb1_load(struct domain *d, struct vcpu *v, const u8 *img, u64 size, const char *cmdline,
		  const struct guest_file *module, char *err, size_t n)
{
	u32 entry;
	u64 lo = ~0ULL, top = 0, boot;
	status_t st = load_segments(d, img, size, &entry, &lo, &top, err, n);
	if (st)
		return st;
	if (top <= lo) {
		snprintf(err, n, "no loadable segment");
		return E_INVAL;
	}
	bool has_mod = module && module->size;
	u64 mod_at = ALIGN_UP(top, PAGE_SIZE), mod_end = has_mod ? mod_at + module->size : 0;
	if ((st = place_boot_info(d, lo, top, mod_end, &boot, err, n)))
		return st;
	if (overlaps(lo, MAX(top, mod_end), MB1_ACPI_GPA, MB1_ACPI_GPA + PAGE_SIZE)) {
		snprintf(err, n, "image and module (0x%lx-0x%lx) cover the ACPI tables' page at 0x%x", lo,
			 MAX(top, mod_end), MB1_ACPI_GPA);
		return E_INVAL;
	}
	u64 mbi_gpa = boot + PAGE_SIZE;
	struct mb1_info *mbi = domain_gpa(d, mbi_gpa, PAGE_SIZE);
	char *cl = domain_gpa(d, boot, PAGE_SIZE);
	memset(mbi, 0, PAGE_SIZE);
	strlcpy_(cl, cmdline, PAGE_SIZE - 64);
	strlcpy_(cl + PAGE_SIZE - 64, "Passage", 64);
	struct mb1_mmap *mm = (struct mb1_mmap *)(mbi + 1);
	mm[0] = (struct mb1_mmap){ 20, 0, MB1_LOW_END, 1 };
	mm[1] = (struct mb1_mmap){ 20, 0x100000, d->mem_size - 0x100000, 1 };
	*mbi = (struct mb1_info){
		.flags = BIT(0) | BIT(2) | BIT(3) | BIT(6) | BIT(9), /* mem, cmdline, mods, mmap, name */
		.mem_lower = MB1_LOW_END / 1024,
		.mem_upper = (u32)((d->mem_size - 0x100000) / 1024),
		.cmdline = (u32)boot,
		.mmap_length = 2 * sizeof(struct mb1_mmap),
		.mmap_addr = (u32)mbi_gpa + sizeof(struct mb1_info),
		.boot_loader_name = (u32)(boot + PAGE_SIZE - 64),
	};
	if (has_mod && (st = load_module(d, mbi, mbi_gpa, mod_at, module, err, n)) != OK)
		return st;
	/* The same ACPI tables a Linux guest gets; a multiboot1 guest finds the RSDP by scanning
	 * 0xe0000-0xfffff on 16-byte boundaries (ACPI 6.5 5.2.5.1). */
	if (!guest_acpi_build(d, MB1_ACPI_GPA, d->nr_vcpus ? d->nr_vcpus : 1)) {
		snprintf(err, n, "no room for the ACPI tables at 0x%x", MB1_ACPI_GPA);
		return E_NOMEM;
	}
	v->entry_rip = entry;
	v->entry_mode = GUEST_MODE_PROTECTED32;
	v->regs.rax = MB1_BOOT_MAGIC;
	v->regs.rbx = mbi_gpa;
	return OK;
}
