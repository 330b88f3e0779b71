/* Domains from the configuration module: memory, EPT, bitmaps, image loading, vCPU placement. */
#include "domains.h"
#include "loader.h"
#include "console.h"
#include "cpu_policy.h"
#include "passthrough.h"
#include "vtimer.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/tsc.h"
#include "iommu/iommu.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/pmm.h"
#include "lib/string.h"

static struct cfg cfg;
static struct domain *domains[CFG_MAX_DOMAINS];
static u32 nr_domains;
static volatile u32 running;
static volatile bool placement_done;
static const struct boot_info *boot;
static u16 next_vpid = 1;
static u16 boot_console_port;    /* passthrough: the hypervisor's UART, never a guest's */

_Static_assert(ARRAY_SIZE(((struct domain *)0)->vcpus) == CFG_MAX_CPUS,
	       "the config refuses a domain with more CPUs than it can have vCPUs (D17)");

static const struct boot_module *module_named(const char *name)
{
	for (u32 i = 0; i < boot->nr_modules; i++) {
		const char *m = boot->modules[i].name, *slash = m;
		for (const char *p = m; *p; p++) /* accept "/boot/x" as well as "x" */
			if (*p == '/')
				slash = p + 1;
		if (!strcmp(m, name) || !strcmp(slash, name))
			return &boot->modules[i];
	}
	return NULL;
}

static bool have_module(const char *name, void *ctx)
{
	(void)ctx;
	return module_named(name) != NULL;
}

static const struct boot_module *config_module(void)
{
	for (u32 i = 0; i < boot->nr_modules; i++) {
		size_t n = strlen(boot->modules[i].name);
		if (n >= 4 && !strcmp(boot->modules[i].name + n - 4, ".cfg"))
			return &boot->modules[i];
	}
	return NULL;
}

/* Contiguous guest RAM aligned to 2 MiB, so EPT can use large pages (locked allocator, D19). */
static u64 alloc_guest_memory(u64 size)
{
	return pmm_alloc_pages_aligned(size / PAGE_SIZE, 2 * MiB);
}

/* Frees the EPT paging structures of a domain that was refused (leaves are guest RAM, freed apart). */
static void ept_free_tables(u64 table, int level)
{
	u64 *t = (u64 *)(uintptr_t)table;
	for (u32 i = 0; level > 1 && i < 512; i++)
		if ((t[i] & EPT_R) && !(t[i] & EPT_PS))
			ept_free_tables(t[i] & 0x000ffffffffff000ULL, level - 1);
	pmm_free_pages(table, 1);
}

/* Every I/O port and MSR exits, except a passed-through UART's ports and the MSRs the CPU
 * policy passes through (cpu_policy.c: syscall, FS/GS bases, TSC_AUX, speculation controls). */
static MUST_CHECK status_t make_bitmaps(struct domain *d)
{
	d->io_bitmap = (u8 *)(uintptr_t)pmm_alloc_pages(2, 0);
	d->msr_bitmap = (u8 *)(uintptr_t)pmm_alloc_pages(1, 0);
	if (!d->io_bitmap || !d->msr_bitmap)
		return E_NOMEM;
	memset(d->io_bitmap, 0xff, 2 * PAGE_SIZE);
	memset(d->msr_bitmap, 0xff, PAGE_SIZE);
	cpu_policy_msr_bitmap(d->msr_bitmap);
	for (u32 p = d->console_port; d->console_port && p < d->console_port + 8u; p++)
		d->io_bitmap[p / 8] &= (u8)~(1u << (p % 8));
	if (!vmx_caps.posting)
		return OK;
	if (!(d->msr_bitmap_x2v = (u8 *)(uintptr_t)pmm_alloc_pages(1, 0)))
		return E_NOMEM;
	memcpy(d->msr_bitmap_x2v, d->msr_bitmap, PAGE_SIZE);
	cpu_policy_msr_bitmap_x2apic(d->msr_bitmap_x2v);
	return OK;
}

static MUST_CHECK status_t load_kernel(struct domain *d, const struct cfg_domain *c,
			    const struct boot_module *k, char *err, size_t err_size)
{
	const u8 *img = (const u8 *)(uintptr_t)k->start;
	u64 img_size = k->end - k->start;
	const struct boot_module *rd = c->initrd[0] ? module_named(c->initrd) : NULL;
	const u8 *rd_data = rd ? (const u8 *)(uintptr_t)rd->start : NULL;
	u64 rd_size = rd ? rd->end - rd->start : 0;
	if (linux_detect(img, img_size))
		return linux_load(d, d->vcpus[0], img, img_size, rd_data, rd_size, c->cmdline, err,
				  err_size);
	if (mb1_detect(img, img_size)) {
		struct guest_file mod = { c->initrd, rd_data, rd_size };
		return mb1_load(d, d->vcpus[0], img, img_size, c->cmdline, rd ? &mod : NULL, err,
				err_size);
	}
	snprintf(err, err_size, "neither a Linux bzImage nor a multiboot1 image");
	return E_INVAL;
}

/* Builds one domain; a refused domain gives back everything it took. */
static struct domain *build(const struct cfg_domain *c, u32 index)
{
	char err[120] = "";
	u32 n = c->nr_cpus, i;
	const struct boot_module *k = module_named(c->kernel);
	struct domain *d;
	if (!k) {
		LOG("domain", "%s refused: kernel module missing", c->name);
		return NULL;
	}
	if (n == 0 || n > ARRAY_SIZE(d->vcpus)) { /* D17: the config check refuses it first */
		LOG("domain", "%s refused: %u vCPUs asked for, a domain runs 1 to %zu", c->name, n,
		    ARRAY_SIZE(d->vcpus));
		return NULL;
	}
	if (!(d = (void *)(uintptr_t)pmm_alloc_pages(1, 0)))
		goto err_nomem;
	strlcpy_(d->name, c->name, sizeof d->name);
	d->index = index;
	d->mem_size = c->memory;
	d->console_port = c->console == CFG_CONSOLE_PASSTHROUGH ? c->console_port : 0;
	d->irq_mode = c->irq_mode;
	for (i = 0; i < n; i++)
		if (!(d->vcpus[i] = (void *)(uintptr_t)pmm_alloc_pages(1, 0)))
			goto err_vcpus;
	if (!(d->mem_hpa = alloc_guest_memory(d->mem_size)))
		goto err_vcpus;
	if (ept_build(d))
		goto err_ept;
	if (make_bitmaps(d))
		goto err_bitmaps;
	for (i = 0; i < n; i++) {
		/* vCPU 0 starts at the image's entry; the others wait for INIT and SIPI. */
		*d->vcpus[i] = (struct vcpu){ .dom = d, .id = i, .cpu = c->cpus[i],
					      .entry_mode = i ? GUEST_MODE_WAIT_SIPI : 0 };
		if (vmx_caps.proc2 & SEC_ENABLE_VPID)
			d->vcpus[i]->vpid = next_vpid++;
		/* The posted-interrupt descriptor names the vCPU's CPU from the start (vmsi_route.c
		 * may point a posted IRTE at it before the vCPU runs); cfg_check made the CPU online.
		 * Only the VT-d unit reads NV and NDST, in the form its IRTA.EIME selects (VT-d 9.12:
		 * the xAPIC ID in NDST[15:8] when EIME=0), whatever mode the CPUs' APICs are in. */
		if (vmx_caps.posting && cpus[c->cpus[i]])
			d->vcpus[i]->pid.ctl = pi_ctl(vcpu_notify_vector(), cpus[c->cpus[i]]->apic_id,
						      iommu_ir_eime(), false);
	}
	d->nr_vcpus = n;
	/* passthrough: before the loader, which builds the guest's ACPI tables with its PCI window */
	if (passthrough_build(d, c->devices, c->nr_devices, boot_console_port, err, sizeof err)) {
		LOG("domain", "%s refused: %s", c->name, err);
		goto err_free;
	}
	if (load_kernel(d, c, k, err, sizeof err)) {
		LOG("domain", "%s refused: kernel '%s': %s", c->name, c->kernel, err);
		passthrough_release(d); /* passthrough */
		goto err_free;
	}
	LOG("domain", "%s: %lu MiB at host 0x%lx, EPT %lu pages, %u vCPUs (vCPU 0 on CPU %u), "
	    "kernel '%s' entry 0x%lx", d->name, d->mem_size / MiB, d->mem_hpa, d->ept_pages,
	    d->nr_vcpus, d->vcpus[0]->cpu, c->kernel, d->vcpus[0]->entry_rip);
	return d;

err_nomem:
	LOG("domain", "%s refused: out of memory for %lu MiB and %u vCPUs", c->name, c->memory / MiB, n);
	return NULL;
err_free:
	i = d->nr_vcpus;
	if (vmx_caps.proc2 & SEC_ENABLE_VPID)
		next_vpid -= (u16)i; /* domains are built one after another: these were the last */
err_bitmaps:
	if (d->io_bitmap)
		pmm_free_pages((u64)(uintptr_t)d->io_bitmap, 2);
	if (d->msr_bitmap)
		pmm_free_pages((u64)(uintptr_t)d->msr_bitmap, 1);
	if (d->msr_bitmap_x2v)
		pmm_free_pages((u64)(uintptr_t)d->msr_bitmap_x2v, 1);
err_ept:
	if (d->apic_access)
		pmm_free_pages(d->apic_access, 1);
	if (d->eptp)
		ept_free_tables(d->eptp & ~0xfffULL, 4);
	pmm_free_pages(d->mem_hpa, d->mem_size / PAGE_SIZE);
err_vcpus:
	while (i-- > 0)
		pmm_free_pages((u64)(uintptr_t)d->vcpus[i], 1);
	pmm_free_pages((u64)(uintptr_t)d, 1);
	if (!err[0])
		goto err_nomem;
	return NULL;
}

static void domains_on_stop(void);

/*
 * Review D10: the VT-d fault interrupt goes to a CPU that runs no guest, an AP first
 * (domains_idle_cpu), whose idle loop logs the faults it queued. Without one it stays on the boot
 * CPU, taken at its guest's next external-interrupt exit and logged by host_work.
 */
static void aim_fault_interrupt(void)
{
	int c = domains_idle_cpu();
	if (c <= 0 || !cpus[c])
		return;
	if (iommu_set_fault_cpu(cpus[c]->apic_id) != OK)
		LOG("domain", "VT-d fault interrupts stay on CPU 0");
}

static void place(void)
{
	for (u32 i = 0; i < nr_domains; i++) {
		for (u32 k = 0; k < domains[i]->nr_vcpus; k++) {
			struct vcpu *v = domains[i]->vcpus[k];
			struct percpu *p = cpus[v->cpu];
			struct vmx_cpu *vc = p ? p->vmm : NULL;
			if (!vc) {
				domain_stop(domains[i], -1, "CPU %u has no VMX", v->cpu);
				continue;
			}
			__atomic_add_fetch(&running, 1, __ATOMIC_SEQ_CST);
			vc->vcpu = v;
		}
	}
	__atomic_store_n(&placement_done, true, __ATOMIC_RELEASE);
}

u32 domains_start(const struct boot_info *bi, u32 nr_cpus_online, u16 console_port)
{
	boot = bi;
	boot_console_port = console_port;
	vcpu_set_stop_hook(domains_on_stop);
	const struct boot_module *m = config_module();
	if (!m) {
		LOG("domain", "no configuration module (*.cfg): no guests to start");
		placement_done = true;
		return 0;
	}
	cfg_parse((const char *)(uintptr_t)m->start, m->end - m->start, &cfg);
	struct cfg_machine mach = { nr_cpus_online, pmm_global.free_pages * PAGE_SIZE - 64 * MiB,
				    have_module, NULL, console_port };
	cfg_check(&cfg, &mach);
	for (u32 i = 0; i < cfg.nr_errors && i < CFG_MAX_ERRORS; i++)
		LOG("config", "error: %s", cfg.errors[i]);
	for (u32 i = 0; i < cfg.nr_domains; i++) {
		const struct cfg_domain *c = &cfg.domains[i];
		if (!c->valid) {
			LOG("domain", "%s refused (see the configuration errors above)", c->name);
			continue;
		}
		u64 free_before = pmm_global.free_pages;
		struct domain *d = build(c, nr_domains);
		if (d)
			domains[nr_domains++] = d;
		else /* a refused domain gives back all it took (the VMX suite asserts 0) */
			LOG("domain", "%s refused at build; %ld pages kept", c->name,
			    (long)(free_before - pmm_global.free_pages));
	}
	LOG("domain", "%u of %u configured domains built", nr_domains, cfg.nr_domains);
	place();
	aim_fault_interrupt();
	vtimer_assign(domains_idle_cpu());
	return nr_domains;
}


static void console_tick(u8 vector, void *ctx)
{
	(void)vector, (void)ctx;
}

void domains_print_stats(void)
{
	for (u32 i = 0; i < nr_domains; i++) {
		LOG("stats", "domain %s: %s", domains[i]->name,
		    domains[i]->state == DOM_STOPPED ? domains[i]->stop_reason : "running");
		for (u32 k = 0; k < domains[i]->nr_vcpus; k++)
			vcpu_stats(domains[i]->vcpus[k]);
	}
}

/* An AP first: the boot CPU also serves the console, which a device's interrupts would slow. */
int domains_idle_cpu(void)
{
	if (!__atomic_load_n(&placement_done, __ATOMIC_ACQUIRE))
		return -1;
	for (u32 k = 1; k <= MAX_CPUS; k++) {
		u32 c = k % MAX_CPUS;
		struct percpu *p = cpus[c];
		struct vmx_cpu *vc = p && (p->online || c == 0) ? p->vmm : NULL; /* the boot CPU: always */
		if (vc && !vc->vcpu)
			return (int)c;
	}
	return -1;
}

struct domain *domains_find(const char *name)
{
	for (u32 i = 0; i < nr_domains; i++)
		if (!strcmp(domains[i]->name, name))
			return domains[i];
	return NULL;
}

void domains_cpu_loop(void)
{
	struct vmx_cpu *vc = vmx_this_cpu();
	if (!vmx_caps.usable)
		return; /* no guests can ever come: let the CPU halt */
	while (!__atomic_load_n(&placement_done, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (vc && vc->vcpu)
		vcpu_run(vc->vcpu);
	/* Another CPU with no vCPU idles with interrupts open while guests run: software posting
	 * may aim passthrough interrupts at it (domains_idle_cpu). */
	if (this_cpu()->cpu != 0) {
		if (vc && !vc->vcpu)
			while (__atomic_load_n(&running, __ATOMIC_ACQUIRE)) {
				if (vtimer_is_keeper()) /* the guests' timers: wait for the earliest */
					lapic_idle_until(vtimer_keep(rdtsc()));
				else
					__asm__ volatile("sti; hlt; cli" ::: "memory");
				iommu_fault_log_flush(); /* queued by the fault interrupt it may take (D10) */
			}
		return;
	}
	/* The boot CPU without a (running) vCPU serves the console while guests run, halting
	 * between polls (a periodic timer wakes it, or as the guests' timer keeper its TSC-deadline
	 * timer, at the poll period or the earliest guest deadline) so it does not spin. */
	bool keeper = vtimer_is_keeper();
	u8 tick = keeper ? 0 : irq_alloc(console_tick, NULL);
	if (tick)
		lapic_timer_periodic(tick, 200000);
	while (__atomic_load_n(&running, __ATOMIC_ACQUIRE)) {
		console_poll();
		iommu_fault_log_flush(); /* VT-d fault lines queued by the fault interrupt (review D10) */
		if (keeper) {
			u64 now = rdtsc(), poll = now + CONSOLE_POLL_MS * tsc_khz(), next = vtimer_keep(now);
			lapic_idle_until(next && next < poll ? next : poll);
		} else if (tick)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		else /* no timer to wake it: poll, with a window for device interrupts (software posting) */
			__asm__ volatile("sti; pause; cli" ::: "memory");
	}
	if (tick)
		lapic_timer_periodic(0, 0);
}

static domains_done_fn done_hook;

void domains_set_done_hook(domains_done_fn fn)
{
	done_hook = fn;
}

/* Called as each vCPU leaves its run loop (vcpu_set_stop_hook); the last one reports. */
static void domains_on_stop(void)
{
	static u32 reported;
	if (__atomic_sub_fetch(&running, 1, __ATOMIC_SEQ_CST) == 0 &&
	    !__atomic_exchange_n(&reported, 1, __ATOMIC_SEQ_CST)) {
		LOG("domain", "all domains stopped");
		iommu_report_fault_events();
		for (u32 i = 0; i < nr_domains; i++)
			LOG("domain", "summary: %s exit code %d: %s", domains[i]->name,
			    domains[i]->exit_code, domains[i]->stop_reason);
		if (done_hook)
			done_hook();
	}
}
