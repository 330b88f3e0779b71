/* hv_main(): the start-up order of Passage on the boot CPU, ending in the boot report. */
#include "lib/boot_info.h"
#include "lib/cmdline.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/exceptions.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/pic.h"
#include "arch/x86/smp.h"
#include "arch/x86/tsc.h"
#include "drivers/emu_exit.h"
#include "drivers/pci.h"
#include "drivers/uart16550.h"
#include "iommu/iommu.h"
#include "selftest/selftest.h"
#include "selftest/selftest_ir.h"
#include "domains.h"
#include "vmx.h"
#include "vmsi_route.h"
#include "vcpu.h"

static struct hv_options opts;
static struct acpi_platform acpi;

static void cmdline_error(void *ctx, const char *msg)
{
	(void)ctx;
	LOG("boot", "%s", msg);
}

static u8 crash_vector(int crash)
{
	switch (crash) {
	case CRASH_PF: return EXC_PF;
	case CRASH_GP: return EXC_GP;
	case CRASH_DE: return EXC_DE;
	default: return EXC_UD;
	}
}

static void fatal_exit(void)
{
	emu_exit(EMU_EXIT_FATAL);
}

static const char *path_name(enum boot_path p)
{
	switch (p) {
	case BOOT_PATH_MULTIBOOT2_BIOS: return "multiboot2 (BIOS)";
	case BOOT_PATH_MULTIBOOT2_UEFI: return "multiboot2 (UEFI)";
	case BOOT_PATH_UEFI_NATIVE: return "UEFI application";
	default: return "unknown";
	}
}

static void console_init(struct boot_info *bi)
{
	cmdline_parse(bi->cmdline, &opts, cmdline_error, NULL);
	if (uart_init(opts.uart_port, opts.baud) == OK)
		log_set_sink(uart_write);
	LOG("boot", "Passage starting: %s, loader \"%s\"", path_name(bi->path), bi->loader);
	LOG("boot", "command line \"%s\"", bi->cmdline);
	for (u32 i = 0; i < bi->nr_errors && i < BOOT_MAX_ERRORS; i++)
		LOG("boot", "error: %s", bi->errors[i]);
	if (bi->nr_errors > BOOT_MAX_ERRORS)
		LOG("boot", "error: %u more problems not shown", bi->nr_errors - BOOT_MAX_ERRORS);
}

static u64 memory_init(struct boot_info *bi)
{
	struct mem_range res[BOOT_MAX_MODULES + 1];
	u32 n = 0;
	u64 top = 0, usable = 0;
	res[n++] = (struct mem_range){ bi->image_start, bi->image_end - bi->image_start, 0, 0 };
	for (u32 i = 0; i < bi->nr_modules; i++)
		res[n++] = (struct mem_range){ bi->modules[i].start,
					       bi->modules[i].end - bi->modules[i].start, 0, 0 };
	pmm_init(&pmm_global, bi, res, n);
	for (u32 i = 0; i < bi->nr_memmap; i++) {
		const struct mem_range *r = &bi->memmap[i];
		if (r->type == MEM_USABLE || r->type == MEM_ACPI) {
			top = MAX(top, r->base + r->length);
			usable += r->type == MEM_USABLE ? r->length : 0;
		}
	}
	if (pmm_global.dropped_ranges || pmm_global.lost_pages)
		LOG("mem", "error: the allocator's extent table is full: %u usable ranges and %lu pages "
		    "left out", pmm_global.dropped_ranges, pmm_global.lost_pages);
	if (bi->memmap_dropped)
		LOG("mem", "error: %u memory map entries did not fit and were ignored",
		    bi->memmap_dropped);
	LOG("mem", "usable memory %lu MiB in %u map entries; allocator has %lu MiB free",
	    usable / MiB, bi->nr_memmap, pmm_global.free_pages * PAGE_SIZE / MiB);
	LOG("mem", "image 0x%lx-0x%lx, %u modules", bi->image_start, bi->image_end, bi->nr_modules);
	for (u32 i = 0; i < bi->nr_modules; i++)
		LOG("mem", "module %u: 0x%lx-0x%lx \"%s\"", i, bi->modules[i].start,
		    bi->modules[i].end, bi->modules[i].name);
	return top;
}

static void cpu_init_bsp(void)
{
	pic_disable();
	idt_init();
	struct percpu *p = percpu_alloc(0, 0);
	if (!p) {
		LOG("cpu", "fatal: no memory for the boot CPU's per-CPU data");
		halt_forever();
	}
	percpu_install(p);
	status_t st = lapic_init(!opts.force_xapic);
	if (st) {
		LOG("cpu", "fatal: the boot CPU's local APIC is not usable (%s)", status_str(st));
		halt_forever();
	}
	lapic_idle_setup();
	p->apic_id = lapic_id();
	char vendor[13];
	cpu_vendor(vendor);
	LOG("cpu", "%s, APIC ID 0x%x, %s mode, VMX %s", vendor, p->apic_id,
	    lapic_x2apic() ? "x2APIC" : "xAPIC", cpu_has_vmx() ? "yes" : "no");
	if (tsc_calibrate())
		LOG("tsc", "error: PIT calibration failed; assuming 1 GHz");
}

static void platform_report(void)
{
	LOG("acpi", "MADT: %u CPUs, %u IOAPICs, %u interrupt overrides, local APIC at 0x%lx",
	    acpi.nr_cpus, acpi.nr_ioapics, acpi.nr_overrides, acpi.lapic_address);
	for (u32 i = 0; i < acpi.nr_ioapics; i++)
		LOG("acpi", "IOAPIC id %u at 0x%x GSI base %u", acpi.ioapics[i].id,
		    acpi.ioapics[i].address, acpi.ioapics[i].gsi_base);
	for (u32 i = 0; i < acpi.nr_mcfg; i++)
		LOG("acpi", "MCFG: segment %u buses %u-%u ECAM at 0x%lx", acpi.mcfg[i].segment,
		    acpi.mcfg[i].start_bus, acpi.mcfg[i].end_bus, acpi.mcfg[i].base);
	if (!acpi.dmar_phys) {
		LOG("acpi", "DMAR: not present (no VT-d remapping hardware reported)");
		return;
	}
	int units = iommu_dmar_units((const void *)(uintptr_t)acpi.dmar_phys, acpi.dmar_length);
	if (units < 0)
		LOG("acpi", "DMAR: at 0x%lx, malformed structure list", acpi.dmar_phys);
	else
		LOG("acpi", "DMAR: at 0x%lx length %u, %d remapping units", acpi.dmar_phys,
		    acpi.dmar_length, units);
}

static void pci_report(void)
{
	struct pci_ecam ecam[ACPI_MAX_MCFG];
	for (u32 i = 0; i < acpi.nr_mcfg; i++)
		ecam[i] = (struct pci_ecam){ acpi.mcfg[i].base, acpi.mcfg[i].segment,
					     acpi.mcfg[i].start_bus, acpi.mcfg[i].end_bus };
	if (pci_init(ecam, acpi.nr_mcfg) || pci_enumerate()) {
		LOG("pci", "error: out of memory during enumeration");
		return;
	}
	for (u32 i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_get(i);
		LOG("pci", "%04x:%02x:%02x.%u %04x:%04x class %02x:%02x:%02x%s%s%s%s", d->seg, d->bus,
		    d->dev, d->fn, d->vendor, d->device, d->class_rev >> 24, (d->class_rev >> 16) & 0xff,
		    (d->class_rev >> 8) & 0xff, d->header_type == 1 ? " bridge" : "",
		    d->cap_exp ? " pcie" : "", d->cap_msi ? " msi" : "", d->cap_msix ? " msix" : "");
		if (opts.pci_verbose)
			LOG("pci", "  caps: pm 0x%x msi 0x%x msix 0x%x pcie 0x%x, %u extended%s", d->cap_pm,
			    d->cap_msi, d->cap_msix, d->cap_exp, d->nr_ext_caps,
			    d->header_type == 1 ? ", bridge" : "");
	}
	LOG("pci", "%u functions via %s", pci_count(), pci_using_ecam() ? "ECAM" : "CF8/CFC");
}

/* VT-d: own every unit; translation on, blocking every device no domain holds. */
static void iommu_start(bool *up)
{
	*up = false;
	if (!acpi.dmar_phys || opts.vtd_off) {
		LOG("iommu", "%s", opts.vtd_off ? "vtd=off: remapping units left alone"
						 : "no DMAR table: DMA is not remapped");
		return;
	}
	struct iommu_options io = { .simulate_firmware = opts.vtd_preenable,
				    .max_levels = opts.vtd_levels, .no_qi = opts.vtd_noqi,
				    .ir = opts.vtd_ir || opts.selftest_ir };
	status_t st = iommu_init((const void *)(uintptr_t)acpi.dmar_phys, acpi.dmar_length, &io);
	if (st) {
		LOG("iommu", "VT-d not in use: %s", status_str(st));
		return;
	}
	*up = true;
	if (opts.selftest_dma)
		return; /* the self-test builds its domains first, then enables */
	if ((st = iommu_enable()) != OK)
		LOG("iommu", "error: enabling translation failed: %s", status_str(st));
	iommu_report();
}

static void ap_main(struct percpu *p)
{
	(void)p;
	status_t st = vmx_cpu_init();
	if (st && vmx_caps.usable)
		LOG("vmx", "VMXON failed on this CPU (%s): no guests here", status_str(st));
	domains_cpu_loop();
	halt_forever();
}

static void all_domains_stopped(void)
{
	if (opts.test_exit)
		emu_exit(EMU_EXIT_READY);
}

void hv_main(struct boot_info *bi)
{
	cli();
	log_set_cpu_fn(percpu_log_cpu);
	spin_set_cpu_fn(percpu_log_cpu);
	console_init(bi);
	u64 top = memory_init(bi);
	if (paging_init(top)) {
		LOG("paging", "fatal: no memory for the host page tables");
		halt_forever();
	}
	cpu_init_bsp();
	if (opts.test_exit)
		exceptions_set_fatal_hook(fatal_exit);
	if (acpi_init(bi, &acpi) == OK)
		platform_report();
	pci_report();
	bool iommu_up;
	iommu_start(&iommu_up);
	u32 found = 0;
	for (u32 i = 0; i < acpi.nr_cpus; i++)
		found += acpi.cpus[i].enabled;
	exits_test_aids = opts.crash == CRASH_VMEXIT; /* test-aid hypercalls and devices */
	status_t vmx_st = vmx_global_init(opts.apicv_on); /* says why on failure; guests then never start */
	if (vmx_st == OK && (vmx_st = exits_init()) != OK)
		vmx_caps.usable = false; /* no device models: no guests */
	u32 online = opts.nosmp ? 1 : smp_start(&acpi, opts.max_cpus, ap_main);
	LOG("smp", "%u CPUs found, %u online", found ? found : 1, online);
	if (opts.crash && opts.crash != CRASH_VMEXIT)
		exceptions_raise(crash_vector(opts.crash));
	if (opts.selftest_dma) {
		if (iommu_up)
			selftest_dma(opts.flood);
		else
			LOG("selftest", "FAIL vtd/setup: no usable VT-d unit");
	}
	if (opts.selftest_ir)
		selftest_ir(200);
	if (vmx_caps.usable && vmx_cpu_init() != OK)
		LOG("vmx", "VMXON failed on the boot CPU: no guests here");
	if (vmx_caps.usable && vcpu_kick_init() != OK)
		LOG("vmx", "guests run without kicks");
	if (vmx_st != OK)
		LOG("domain", "no domains started: VMX not usable (%s)", status_str(vmx_st));
	u32 doms = vmx_caps.usable ? domains_start(bi, online, opts.uart_port) : 0;
	vmsi_report_platform(); /* after placement: software posting needs a CPU without a guest */
	domains_set_done_hook(all_domains_stopped);
	LOG("passage", "ready");
	if (opts.test_exit && !doms)
		emu_exit(EMU_EXIT_READY);
	domains_cpu_loop();
	halt_forever();
}
