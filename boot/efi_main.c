/* Native UEFI path (GNU-EFI): gathers the boot data, exits boot services, calls hv_main(). */
#include "efi_memmap.h" /* before efi.h: the system header may redefine EFI_PAGE_SIZE */
#include <efi.h>
#include "lib/boot_info.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/string.h"

#define EFI_STACK_SIZE (32 * 1024)
#define PATH_MAX_CHARS 256

static struct boot_info bi;
static u8 efi_stack[EFI_STACK_SIZE] __attribute__((aligned(16)));
static EFI_BOOT_SERVICES *bs;

void call_on_stack(void (*fn)(void *), void *arg, u64 stack_top);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

static void ascii_to_ucs2(CHAR16 *dst, const char *src, size_t n)
{
	size_t i = 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = (CHAR16)src[i];
	dst[i] = 0;
}

static void ucs2_to_ascii(char *dst, const CHAR16 *src, size_t src_chars, size_t n)
{
	size_t i = 0;
	for (; i < src_chars && src[i] && i + 1 < n; i++)
		dst[i] = src[i] < 0x80 ? (char)src[i] : '?';
	dst[i] = '\0';
}

/* Directory of this image on its volume, from the file-path node of the device path. */
static void image_dir(EFI_LOADED_IMAGE *li, CHAR16 *dir, size_t n)
{
	dir[0] = 0;
	for (EFI_DEVICE_PATH *dp = li->FilePath; dp && DevicePathType(dp) != END_DEVICE_PATH_TYPE;
	     dp = NextDevicePathNode(dp)) {
		if (DevicePathType(dp) != MEDIA_DEVICE_PATH || DevicePathSubType(dp) != MEDIA_FILEPATH_DP)
			continue;
		const CHAR16 *name = ((FILEPATH_DEVICE_PATH *)dp)->PathName;
		size_t len = 0, slash = 0;
		for (; name[len] && len + 1 < n; len++)
			if (name[len] == '\\' || name[len] == '/')
				slash = len + 1;
		for (size_t i = 0; i < slash; i++)
			dir[i] = name[i] == '/' ? '\\' : name[i];
		dir[slash] = 0;
	}
}

/* Reads dir\name into fresh EfiLoaderData pages; returns its size or 0 when absent. */
static u64 read_file(EFI_FILE_HANDLE root, const CHAR16 *dir, const char *name, u64 *addr)
{
	CHAR16 path[PATH_MAX_CHARS];
	size_t d = 0;
	for (; dir[d] && d < PATH_MAX_CHARS - 64; d++)
		path[d] = dir[d];
	ascii_to_ucs2(path + d, name, PATH_MAX_CHARS - d);
	EFI_FILE_HANDLE f;
	if (root->Open(root, &f, path, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
		return 0;
	EFI_GUID info_id = EFI_FILE_INFO_ID;
	union { EFI_FILE_INFO info; u8 raw[512]; } u;
	UINTN isz = sizeof u;
	u64 size = 0;
	if (f->GetInfo(f, &info_id, &isz, &u) == EFI_SUCCESS)
		size = u.info.FileSize;
	EFI_PHYSICAL_ADDRESS pa = 0;
	UINTN got = size;
	if (size == 0 ||
	    bs->AllocatePages(AllocateAnyPages, EfiLoaderData, EFI_SIZE_TO_PAGES(size + 1), &pa) ||
	    f->Read(f, &got, (void *)(uintptr_t)pa) != EFI_SUCCESS || got != size) {
		LOG("efi", "error: could not read %s (%lu bytes)", name, size);
		size = 0;
	} else {
		((char *)(uintptr_t)pa)[size] = '\0';
	}
	f->Close(f);
	*addr = pa;
	return size;
}

static void add_module(const char *name, u64 addr, u64 size)
{
	if (bi.nr_modules == BOOT_MAX_MODULES) {
		LOG("efi", "error: more than %d files to load; %s skipped", BOOT_MAX_MODULES, name);
		return;
	}
	struct boot_module *m = &bi.modules[bi.nr_modules++];
	m->start = addr;
	m->end = addr + size;
	strlcpy_(m->name, name, sizeof m->name);
}

static bool have_module(const char *name)
{
	for (u32 i = 0; i < bi.nr_modules; i++)
		if (!strcmp(bi.modules[i].name, name))
			return true;
	return false;
}

/* The kernels and initrds the configuration names are read from beside passage.efi. */
static void load_domain_files(EFI_FILE_HANDLE root, const CHAR16 *dir, const char *cfg, u64 len)
{
	static struct cfg c;
	cfg_parse(cfg, len, &c);
	for (u32 i = 0; i < c.nr_domains; i++) {
		const char *names[2] = { c.domains[i].kernel, c.domains[i].initrd };
		for (u32 k = 0; k < 2; k++) {
			u64 addr, size;
			if (!names[k][0] || have_module(names[k]))
				continue;
			if ((size = read_file(root, dir, names[k], &addr)) != 0)
				add_module(names[k], addr, size);
			else
				LOG("efi", "error: %s (named by passage.cfg) not found beside passage.efi",
				    names[k]);
		}
	}
}

static void load_files(EFI_HANDLE image, EFI_LOADED_IMAGE *li)
{
	EFI_GUID fs_id = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root;
	CHAR16 dir[PATH_MAX_CHARS];
	(void)image;
	if (bs->HandleProtocol(li->DeviceHandle, &fs_id, (void **)&fs) != EFI_SUCCESS ||
	    fs->OpenVolume(fs, &root) != EFI_SUCCESS) {
		LOG("efi", "no file system on the boot device; no config files read");
		return;
	}
	image_dir(li, dir, PATH_MAX_CHARS);
	u64 addr, size;
	if (!bi.cmdline[0] && (size = read_file(root, dir, "passage.cmdline", &addr)) != 0) {
		char *s = (char *)(uintptr_t)addr;
		for (u64 i = 0; i < size; i++)
			if (s[i] == '\n' || s[i] == '\r')
				s[i] = ' ';
		strlcpy_(bi.cmdline, s, sizeof bi.cmdline);
		bs->FreePages(addr, EFI_SIZE_TO_PAGES(size + 1));
	}
	if ((size = read_file(root, dir, "passage.cfg", &addr)) != 0) {
		add_module("passage.cfg", addr, size);
		load_domain_files(root, dir, (const char *)(uintptr_t)addr, size);
	}
	root->Close(root);
}

static void find_rsdp(EFI_SYSTEM_TABLE *st)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
		if (!memcmp(&t->VendorGuid, &acpi20, sizeof acpi20))
			bi.rsdp = (u64)(uintptr_t)t->VendorTable;
		else if (!bi.rsdp && !memcmp(&t->VendorGuid, &acpi10, sizeof acpi10))
			bi.rsdp = (u64)(uintptr_t)t->VendorTable;
	}
}

/* UEFI 2.10 14.4: EFI_PCI_IO_PROTOCOL.Attributes(Disable, BUS_MASTER) on every function. */
static void disable_bus_mastering(void)
{
	EFI_GUID pciio_id = EFI_PCI_IO_PROTOCOL_GUID;
	EFI_HANDLE *handles;
	UINTN n = 0, done = 0;
	if (bs->LocateHandleBuffer(ByProtocol, &pciio_id, NULL, &n, &handles) != EFI_SUCCESS)
		return;
	for (UINTN i = 0; i < n; i++) {
		EFI_PCI_IO_PROTOCOL *io;
		if (bs->HandleProtocol(handles[i], &pciio_id, (void **)&io) == EFI_SUCCESS &&
		    io->Attributes(io, EfiPciIoAttributeOperationDisable,
				   EFI_PCI_IO_ATTRIBUTE_BUS_MASTER, NULL) == EFI_SUCCESS)
			done++;
	}
	bs->FreePool(handles);
	LOG("efi", "bus mastering disabled on %lu of %lu PCI functions", (u64)done, (u64)n);
}

static EFI_STATUS exit_boot_services(EFI_HANDLE image)
{
	UINTN size = 0, key, dsize;
	UINT32 dver;
	void *map = NULL;
	EFI_STATUS s = bs->GetMemoryMap(&size, NULL, &key, &dsize, &dver);
	if (s != EFI_BUFFER_TOO_SMALL)
		return s;
	size += 16 * dsize; /* the allocation below adds entries */
	UINTN cap = size;
	if ((s = bs->AllocatePool(EfiLoaderData, cap, &map)) != EFI_SUCCESS)
		return s;
	for (int tries = 0; tries < 4; tries++) {
		size = cap;
		if ((s = bs->GetMemoryMap(&size, map, &key, &dsize, &dver)) != EFI_SUCCESS)
			return s;
		/* UEFI 2.10 7.4.6: a stale MapKey fails; fetch the map again and retry. */
		if ((s = bs->ExitBootServices(image, key)) == EFI_SUCCESS) {
			efi_memmap_convert(map, size, dsize, &bi);
			return EFI_SUCCESS;
		}
	}
	return s;
}

static void enter_hv(void *arg)
{
	hv_main(arg);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_GUID li_id = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li;
	bs = st->BootServices;
	bi.path = BOOT_PATH_UEFI_NATIVE;
	ucs2_to_ascii(bi.loader, st->FirmwareVendor, 64, sizeof bi.loader);
	if (bs->HandleProtocol(image, &li_id, (void **)&li) != EFI_SUCCESS)
		return EFI_LOAD_ERROR;
	bi.image_start = (u64)(uintptr_t)li->ImageBase;
	bi.image_end = bi.image_start + li->ImageSize;
	if (li->LoadOptionsSize >= 2) {
		ucs2_to_ascii(bi.cmdline, li->LoadOptions, li->LoadOptionsSize / 2, sizeof bi.cmdline);
		/* The UEFI shell passes the image name as the first word. */
		const char *sp = strchr(bi.cmdline, ' ');
		size_t w = sp ? (size_t)(sp - bi.cmdline) : strlen(bi.cmdline);
		if (w >= 4 && (!strncmp(bi.cmdline + w - 4, ".efi", 4) ||
			       !strncmp(bi.cmdline + w - 4, ".EFI", 4)))
			memmove(bi.cmdline, bi.cmdline + w + (sp ? 1 : 0),
				strlen(bi.cmdline + w + (sp ? 1 : 0)) + 1);
	}
	find_rsdp(st);
	load_files(image, li);
	disable_bus_mastering();
	EFI_STATUS s = exit_boot_services(image);
	if (s != EFI_SUCCESS) {
		st->ConOut->OutputString(st->ConOut, L"Passage: ExitBootServices failed\r\n");
		return s;
	}
	call_on_stack(enter_hv, &bi, (u64)(uintptr_t)(efi_stack + EFI_STACK_SIZE));
	return EFI_LOAD_ERROR; /* not reached */
}
