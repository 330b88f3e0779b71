/* Domains from the configuration module: memory, EPT, bitmaps, image loading, vCPU placement. */
#include "domains.h"
#include "loader.h"
#include "console.h"
#include "passthrough.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
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

/* Contiguous guest RAM aligned to 2 MiB, so EPT can use large pages. */
static u64 alloc_guest_memory(u64 size)
{
	u64 pages = size / PAGE_SIZE, slack = 2 * MiB / PAGE_SIZE;
	u64 raw = pmm_alloc(&pmm_global, pages + slack, 0);
	if (!raw)
		return 0;
	u64 base = ALIGN_UP(raw, 2 * MiB);
	u64 head = (base - raw) / PAGE_SIZE;
	if (head)
		pmm_free(&pmm_global, raw, head);
	if (slack - head)
		pmm_free(&pmm_global, base + size, slack - head);
	memset((void *)(uintptr_t)base, 0, size);
	return base;
}

/* SDM 25.6.9: read bitmap for 0-0x1fff at 0, for 0xc0000000-0xc0001fff at 1 KiB; writes at +2 KiB. */
static void msr_passthrough(u8 *bm, u32 msr)
{
	u32 base = msr >= 0xc0000000 ? 1024 : 0, n = msr & 0x1fff;
	bm[base + n / 8] &= (u8)~(1u << (n % 8));
	bm[2048 + base + n / 8] &= (u8)~(1u << (n % 8));
}

/* Every I/O port and MSR exits, except a passed-through UART's ports and the MSRs whose
 * guest values live in the CPU while the guest runs (syscall, FS/GS bases, TSC_AUX). */
static status_t make_bitmaps(struct domain *d)
{
	d->io_bitmap = (u8 *)(uintptr_t)pmm_alloc_pages(2, 0);
	d->msr_bitmap = (u8 *)(uintptr_t)pmm_alloc_pages(1, 0);
	if (!d->io_bitmap || !d->msr_bitmap)
		return E_NOMEM;
	memset(d->io_bitmap, 0xff, 2 * PAGE_SIZE);
	memset(d->msr_bitmap, 0xff, PAGE_SIZE);
	static const u32 own[] = { 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR..FMASK */
				   0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103 }; /* FS..TSC_AUX */
	for (u32 i = 0; i < ARRAY_SIZE(own); i++)
		msr_passthrough(d->msr_bitmap, own[i]);
	for (u32 p = d->console_port; d->console_port && p < d->console_port + 8u; p++)
		d->io_bitmap[p / 8] &= (u8)~(1u << (p % 8));
	return OK;
}

static struct domain *build(const struct cfg_domain *c, u32 index)
{
	char err[120] = "";
	struct domain *d = (void *)(uintptr_t)pmm_alloc_pages(1, 0);
	struct vcpu *v = (void *)(uintptr_t)pmm_alloc_pages(1, 0);
	const struct boot_module *k = module_named(c->kernel);
	if (!d || !v || !k) {
		LOG("domain", "%s refused: %s", c->name, k ? "out of memory" : "kernel module missing");
		return NULL;
	}
	strlcpy_(d->name, c->name, sizeof d->name);
	d->index = index;
	d->mem_size = c->memory;
	d->console_port = c->console == CFG_CONSOLE_PASSTHROUGH ? c->console_port : 0;
	const u8 *img = (const u8 *)(uintptr_t)k->start;
	u64 img_size = k->end - k->start;
	if (!(d->mem_hpa = alloc_guest_memory(d->mem_size)) || ept_build(d) || make_bitmaps(d)) {
		LOG("domain", "%s refused: out of memory for %lu MiB", c->name, d->mem_size / MiB);
		return NULL;
	}
	u32 n = MIN(c->nr_cpus, (u32)ARRAY_SIZE(d->vcpus));
	d->vcpus[0] = v;
	for (u32 i = 1; i < n; i++)
		if (!(d->vcpus[i] = (void *)(uintptr_t)pmm_alloc_pages(1, 0))) {
			LOG("domain", "%s refused: out of memory for vCPUs", c->name);
			return NULL;
		}
	for (u32 i = 0; i < n; i++) {
		/* vCPU 0 starts at the image's entry; the others wait for INIT and SIPI. */
		*d->vcpus[i] = (struct vcpu){ .dom = d, .id = i, .cpu = c->cpus[i],
					      .entry_mode = i ? GUEST_MODE_WAIT_SIPI : 0 };
		if (vmx_caps.proc2 & SEC_ENABLE_VPID)
			d->vcpus[i]->vpid = next_vpid++;
	}
	d->nr_vcpus = n;
	/* passthrough: before the loader, which builds the guest's ACPI tables with its PCI window */
	if (passthrough_build(d, c->devices, c->nr_devices, boot_console_port, err, sizeof err)) {
		LOG("domain", "%s refused: %s", c->name, err);
		return NULL;
	}
	const struct boot_module *rd = c->initrd[0] ? module_named(c->initrd) : NULL;
	status_t st;
	if (linux_detect(img, img_size))
		st = linux_load(d, v, img, img_size, rd ? (const u8 *)(uintptr_t)rd->start : NULL,
				rd ? rd->end - rd->start : 0, c->cmdline, err, sizeof err);
	else if (mb1_detect(img, img_size)) {
		struct guest_file mod = { c->initrd, rd ? (const u8 *)(uintptr_t)rd->start : NULL,
					  rd ? rd->end - rd->start : 0 };
		st = mb1_load(d, v, img, img_size, c->cmdline, rd ? &mod : NULL, err, sizeof err);
	}
	else
		st = E_INVAL, snprintf(err, sizeof err, "neither a Linux bzImage nor a multiboot1 image");
	if (st) {
		LOG("domain", "%s refused: kernel '%s': %s", c->name, c->kernel, err);
		passthrough_release(d); /* passthrough */
		return NULL;
	}
	LOG("domain", "%s: %lu MiB at host 0x%lx, EPT %lu pages, %u vCPUs (vCPU 0 on CPU %u), "
	    "kernel '%s' entry 0x%lx", d->name, d->mem_size / MiB, d->mem_hpa, d->ept_pages,
	    d->nr_vcpus, v->cpu, c->kernel, v->entry_rip);
	return d;
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
		struct domain *d = build(c, nr_domains);
		if (d)
			domains[nr_domains++] = d;
	}
	LOG("domain", "%u of %u configured domains built", nr_domains, cfg.nr_domains);
	place();
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
	/* The boot CPU without a (running) vCPU serves the console while guests run, halting
	 * between polls (a periodic timer wakes it) so it does not spin. */
	if (this_cpu()->cpu != 0)
		return;
	u8 tick = irq_alloc(console_tick, NULL);
	if (tick)
		lapic_timer_periodic(tick, 200000);
	while (__atomic_load_n(&running, __ATOMIC_ACQUIRE)) {
		console_poll();
		if (tick)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		else
			cpu_relax();
	}
	if (tick)
		lapic_timer_periodic(0, 0);
}

static domains_done_fn done_hook;

void domains_set_done_hook(domains_done_fn fn)
{
	done_hook = fn;
}

/* Called as each vCPU leaves its run loop; the last one reports. */
void domains_on_stop(void)
{
	static u32 reported;
	if (__atomic_sub_fetch(&running, 1, __ATOMIC_SEQ_CST) == 0 &&
	    !__atomic_exchange_n(&reported, 1, __ATOMIC_SEQ_CST)) {
		LOG("domain", "all domains stopped");
		for (u32 i = 0; i < nr_domains; i++)
			LOG("domain", "summary: %s exit code %d: %s", domains[i]->name,
			    domains[i]->exit_code, domains[i]->stop_reason);
		if (done_hook)
			done_hook();
	}
}
