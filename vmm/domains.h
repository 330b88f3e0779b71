/* Domain start-up from the configuration and the per-CPU run loop. */
#ifndef PASSAGE_VMM_DOMAINS_H
#define PASSAGE_VMM_DOMAINS_H

#include "vcpu.h"
#include "lib/boot_info.h"

/* Parses and checks the config module, builds the valid domains and pins their vCPUs. */
u32 domains_start(const struct boot_info *bi, u32 nr_cpus_online, u16 console_port);
/* Every CPU: waits for placement, then runs the vCPU pinned to it (if any). */
void domains_cpu_loop(void);

/* The lowest online CPU that runs no vCPU (it idles with interrupts open), or -1 (also before
 * the vCPUs are placed). */
int domains_idle_cpu(void);
/* The built domain with this name, or NULL. */
struct domain *domains_find(const char *name);
/* Prints the statistics of every vCPU of every domain. */
void domains_print_stats(void);

typedef void (*domains_done_fn)(void);
/* Called once every started domain has stopped. */
void domains_set_done_hook(domains_done_fn fn);

#endif
