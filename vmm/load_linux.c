/* Linux guest loader: bzImage through the 64-bit boot protocol (Documentation/x86/boot.rst, zero-page.rst). */
#include "loader.h"
#include "guest_acpi.h"
#include "arch/x86/tsc.h"
#include "lib/log.h"
#include "lib/string.h"

#define GPA_PML4 0x1000
#define GPA_PDPT 0x2000
#define GPA_PD 0x3000             /* one page directory per GiB follows */
#define GPA_GDT 0x500
#define GPA_ZERO_PAGE 0x90000     /* struct boot_params */
#define GPA_CMDLINE 0x98000
#define CMDLINE_MAX 4096

/* boot.rst "The real-mode kernel header" and zero-page.rst offsets */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_HEADER 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_XLOADFLAGS 0x236
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define BP_ACPI_RSDP_ADDR 0x070
#define GPA_ACPI 0xe0000          /* in the reserved BIOS area, where firmware puts them */
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define XLF_KERNEL_64 BIT(0)

static u32 rd32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u16 rd16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static u64 rd64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

bool linux_detect(const u8 *img, u64 size)
{
	return size > 0x300 && rd16(img + HDR_BOOT_FLAG) == 0xaa55 && !memcmp(img + HDR_HEADER, "HdrS", 4);
}

static void e820_add(u8 *bp, u64 base, u64 len, u32 type)
{
	u8 n = bp[BP_E820_ENTRIES];
	u8 *e = bp + BP_E820_TABLE + 20 * n;
	memcpy(e, &base, 8);
	memcpy(e + 8, &len, 8);
	memcpy(e + 16, &type, 4);
	bp[BP_E820_ENTRIES] = n + 1;
}

/* Identity map of all guest memory with 2 MiB pages, GDT with the boot selectors. */
static void build_tables(struct domain *d, struct vcpu *v)
{
	u64 *pml4 = domain_gpa(d, GPA_PML4, PAGE_SIZE), *pdpt = domain_gpa(d, GPA_PDPT, PAGE_SIZE);
	u64 gib = (d->mem_size + GiB - 1) / GiB;
	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	pml4[0] = GPA_PDPT | 0x3;
	for (u64 g = 0; g < gib; g++) {
		u64 *pd = domain_gpa(d, GPA_PD + g * PAGE_SIZE, PAGE_SIZE);
		pdpt[g] = (GPA_PD + g * PAGE_SIZE) | 0x3;
		for (u64 i = 0; i < 512; i++)
			pd[i] = (g * GiB + i * 2 * MiB) | 0x83; /* P, RW, PS */
	}
	u64 *gdt = domain_gpa(d, GPA_GDT, 32);
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL; /* 0x10 __BOOT_CS: 64-bit code */
	gdt[3] = 0x00cf93000000ffffULL; /* 0x18 __BOOT_DS */
	v->entry_cr3 = GPA_PML4;
	v->entry_gdt = GPA_GDT;
}

status_t linux_load(struct domain *d, struct vcpu *v, const u8 *img, u64 size, const u8 *initrd,
		    u64 initrd_size, const char *cmdline, char *err, size_t n)
{
	u16 version = rd16(img + HDR_VERSION);
	u32 setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	u64 pm_off = (u64)(setup_sects + 1) * 512;
	if (version < 0x20c || !(rd16(img + HDR_XLOADFLAGS) & XLF_KERNEL_64) || pm_off >= size) {
		snprintf(err, n, "boot protocol %x.%02x without a 64-bit entry point", version >> 8,
			 version & 0xff);
		return E_NOTSUP;
	}
	u64 load = rd64(img + HDR_PREF_ADDRESS), init_size = rd32(img + HDR_INIT_SIZE);
	u8 *dst = domain_gpa(d, load, MAX(init_size, size - pm_off));
	if (!dst || (d->mem_size + GiB - 1) / GiB > 4) { /* page directories fit 0x3000-0x6fff */
		snprintf(err, n, "kernel needs 0x%lx-0x%lx; the domain has %lu MiB", load,
			 load + init_size, d->mem_size / MiB);
		return E_NOMEM;
	}
	memcpy(dst, img + pm_off, size - pm_off);
	d->nr_vcpus = MAX(d->nr_vcpus, 1u);
	u8 *bp = domain_gpa(d, GPA_ZERO_PAGE, PAGE_SIZE);
	memset(bp, 0, PAGE_SIZE);
	u32 hdr_end = 0x202 + img[0x201];
	memcpy(bp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = 0xff;
	bp[HDR_LOADFLAGS] |= 0x01; /* LOADED_HIGH */
	char *cl = domain_gpa(d, GPA_CMDLINE, CMDLINE_MAX);
	/* Passage knows the TSC rate: tell the kernel so it needs no timer to calibrate. */
	snprintf(cl, CMDLINE_MAX, "%s tsc_early_khz=%lu", cmdline, tsc_khz());
	u32 cptr = GPA_CMDLINE;
	memcpy(bp + HDR_CMD_LINE_PTR, &cptr, 4);
	if (initrd_size) {
		u64 max = MIN((u64)rd32(img + HDR_INITRD_ADDR_MAX), d->mem_size - 1);
		u64 at = ALIGN_DOWN(max + 1 - initrd_size, PAGE_SIZE);
		u8 *rd = at > load + init_size ? domain_gpa(d, at, initrd_size) : NULL;
		if (!rd) {
			snprintf(err, n, "initrd of %lu KiB does not fit above the kernel", initrd_size / KiB);
			return E_NOMEM;
		}
		memcpy(rd, initrd, initrd_size);
		u32 a = (u32)at, s = (u32)initrd_size;
		memcpy(bp + HDR_RAMDISK_IMAGE, &a, 4);
		memcpy(bp + HDR_RAMDISK_SIZE, &s, 4);
	}
	u64 rsdp = guest_acpi_build(d, GPA_ACPI, d->nr_vcpus ? d->nr_vcpus : 1);
	memcpy(bp + BP_ACPI_RSDP_ADDR, &rsdp, 8);
	e820_add(bp, 0, 0x9f000, 1);
	e820_add(bp, 0x9f000, 0x61000, 2);
	e820_add(bp, 0x100000, d->mem_size - 0x100000, 1);
	build_tables(d, v);
	v->entry_rip = load + 0x200; /* boot.rst: 64-bit entry is 0x200 past the load address */
	v->entry_mode = GUEST_MODE_LONG64;
	v->regs.rsi = GPA_ZERO_PAGE;
	return OK;
}
