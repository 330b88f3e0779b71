/* mb1info.c — what a multiboot1 loader hands over: boot information clear of the image and module, and the ACPI tables a guest finds by scanning. */
#include "guest.h"
#include "x86.h"

/*
 * Built twice: mb1info.elf linked at 1 MiB like every other guest, and
 * mb1low.elf linked at 0x8000, where Passage's loader used to write the boot
 * information over the image. Both must see intact boot information and an
 * RSDP in 0xe0000-0xfffff (ACPI 6.5 5.2.5.1: scanned on 16-byte boundaries).
 */
#define BIOS_AREA 0xe0000u
#define BIOS_END 0x100000u
#define MADT_LOCAL_APIC 0          /* MADT entry type: processor local APIC (ACPI 6.5 5.2.12.2) */

extern char _start[], _end[];
extern const uint8_t image_marker[];
const uint8_t image_marker[16] = "mb1info-intact!";  /* .rodata: overwritten if the loader hits us */

static bool overlaps(uint32_t a, uint32_t a_end, uint32_t b, uint32_t b_end) { return a < b_end && b < a_end; }

static uint8_t sum(const void *p, uint32_t n)
{
	uint8_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		s += ((const uint8_t *)p)[i];
	return s;
}

static void check_boot_info(void)
{
	uint32_t lo = (uint32_t)(uintptr_t)_start & ~0xfffu, hi = (uint32_t)(uintptr_t)_end;
	gprintf("INFO image 0x%x-0x%x, boot information at 0x%x\n", lo, hi, (uint32_t)(uintptr_t)mb);
	if (memcmp(image_marker, "mb1info-intact!", 16))
		fail("mb1-image-intact", "the image's own data was overwritten");
	else
		pass("mb1-image-intact");
	uint32_t info = (uint32_t)(uintptr_t)mb;
	if (overlaps(info, info + sizeof *mb, lo, hi) || overlaps(mb->cmdline, mb->cmdline + 1, lo, hi) ||
	    overlaps(mb->mmap_addr, mb->mmap_addr + mb->mmap_length, lo, hi))
		fail("mb1-info-outside-image", "info 0x%x cmdline 0x%x mmap 0x%x inside the image", info,
		     mb->cmdline, mb->mmap_addr);
	else if (!cmdline_has("guest-test"))
		fail("mb1-info-outside-image", "command line \"%s\" lacks guest-test", cmdline());
	else
		pass("mb1-info-outside-image");
	if (!(mb->flags & MB_INFO_MODS) || mb->mods_count != 1) {
		fail("mb1-module-placed", "flags 0x%x, %u modules", mb->flags, mb->mods_count);
		return;
	}
	const struct mb_module *m = (const void *)(uintptr_t)mb->mods_addr;
	if (overlaps(m->mod_start, m->mod_end, lo, hi) || overlaps(m->mod_start, m->mod_end, info, info + sizeof *mb) ||
	    overlaps(m->mod_start, m->mod_end, mb->cmdline, mb->cmdline + 1) || m->mod_end <= m->mod_start)
		fail("mb1-module-placed", "module 0x%x-0x%x overlaps the image or the boot information",
		     m->mod_start, m->mod_end);
	else if (memcmp((const void *)(uintptr_t)m->mod_start, "\x7f" "ELF", 4))
		fail("mb1-module-placed", "module at 0x%x is not the ELF file it should be", m->mod_start);
	else
		pass("mb1-module-placed");
}

struct sdt { char sig[4]; uint32_t length; uint8_t rev, checksum; char oem[6], table[8]; uint32_t oem_rev, creator, creator_rev; } __attribute__((packed));
_Static_assert(sizeof(struct sdt) == 36, "ACPI table header");

/* RSDP -> XSDT -> MADT; the MADT lists one local APIC per vCPU (cmdline vcpus=N, default 1). */
static void check_acpi(void)
{
	const uint8_t *rsdp = NULL;
	for (uint32_t a = BIOS_AREA; a < BIOS_END && !rsdp; a += 16)
		if (!memcmp((const void *)(uintptr_t)a, "RSD PTR ", 8) && sum((const void *)(uintptr_t)a, 20) == 0)
			rsdp = (const uint8_t *)(uintptr_t)a;
	if (!rsdp) {
		fail("mb1-acpi-rsdp", "no RSDP with a valid checksum in 0x%x-0x%x", BIOS_AREA, BIOS_END - 1);
		return;
	}
	uint32_t xsdt_lo, xsdt_hi;
	memcpy(&xsdt_lo, rsdp + 24, 4);
	memcpy(&xsdt_hi, rsdp + 28, 4);
	if (rsdp[15] < 2 || sum(rsdp, 36) || xsdt_hi || !xsdt_lo) {
		fail("mb1-acpi-rsdp", "RSDP revision %u, XSDT 0x%x%08x", rsdp[15], xsdt_hi, xsdt_lo);
		return;
	}
	pass("mb1-acpi-rsdp");
	const struct sdt *x = (const void *)(uintptr_t)xsdt_lo;
	if (memcmp(x->sig, "XSDT", 4) || sum(x, x->length)) {
		fail("mb1-acpi-madt", "XSDT at 0x%x bad signature or checksum", xsdt_lo);
		return;
	}
	for (uint32_t off = sizeof *x; off + 8 <= x->length; off += 8) {
		uint32_t t;
		memcpy(&t, (const uint8_t *)x + off, 4);
		const struct sdt *h = (const void *)(uintptr_t)t;
		if (memcmp(h->sig, "APIC", 4))
			continue;
		if (sum(h, h->length)) {
			fail("mb1-acpi-madt", "MADT checksum");
			return;
		}
		uint32_t n = 0;
		for (uint32_t e = sizeof *h + 8; e + 2 <= h->length; e += ((const uint8_t *)h)[e + 1] ?: 1)
			n += ((const uint8_t *)h)[e] == MADT_LOCAL_APIC;
		uint32_t want = cmdline_uint("vcpus", 1);
		if (n != want)
			fail("mb1-acpi-madt", "MADT lists %u local APICs, want %u", n, want);
		else
			pass("mb1-acpi-madt");
		return;
	}
	fail("mb1-acpi-madt", "no MADT in the XSDT");
}

int guest_main(void)
{
	if (mb_magic != MB_BOOTLOADER_MAGIC) {
		fail("mb1-magic", "EAX 0x%x", mb_magic);
		return report_summary();
	}
	check_boot_info();
	check_acpi();
	return report_summary();
}
