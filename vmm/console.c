/* Serial console on the boot CPU: whole-line commands from a table (help, stats, vcpu snapshots of any CPU's vCPU). */
#include "console.h"
#include "domains.h"
#include "passthrough.h"
#include "vmsi_route.h"
#include "drivers/uart16550.h"
#include "lib/log.h"
#include "lib/string.h"

#define LINE_MAX 80
#define MAX_ARGS 4
#define SNAPSHOT_TIMEOUT_MS 200    /* the owning CPU answers at its next exit, kick or idle wake */

struct command {
	const char *name;
	const char *alias;        /* the one-letter form, or NULL */
	const char *args;
	const char *help;
	void (*run)(int argc, char **argv);
};

static void cmd_help(int argc, char **argv);

static void cmd_stats(int argc, char **argv)
{
	(void)argc, (void)argv;
	domains_print_stats();
}

static void cmd_irqs(int argc, char **argv)
{
	(void)argc, (void)argv;
	vmsi_report_platform();
	passthrough_print_irqs();
}

static bool parse_u32(const char *s, u32 *out)
{
	u32 v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000)
			return false;
		v = v * 10 + (u32)(*s - '0');
	}
	*out = v;
	return true;
}

static void show_snapshot(const struct vcpu *v, const struct vcpu_snapshot *s)
{
	LOG("console", "vcpu %s %u on CPU %u (read on CPU %u): RIP 0x%lx RSP 0x%lx RFLAGS 0x%lx CS 0x%lx "
	    "CR0 0x%lx CR3 0x%lx CR4 0x%lx EFER 0x%lx activity %lu interruptibility 0x%lx",
	    v->dom->name, v->id, v->cpu, s->taken_on_cpu, s->rip, s->rsp, s->rflags, s->cs, s->cr0,
	    s->cr3, s->cr4, s->efer, s->activity, s->interruptibility);
	LOG("console", "vcpu %s %u: exits %lu, HLT waits %lu, interrupts %lu, %lu Mcycles in guest; "
	    "TPR 0x%x PPR 0x%x highest IRR %d ISR %d", v->dom->name, v->id, s->exits_total, s->halted,
	    s->interrupts, s->tsc_in_guest / 1000000, s->tpr, s->ppr, s->irr, s->isr);
}

/* vcpu DOMAIN [N]: VMCS state of vCPU N (default 0), read by the CPU that runs it. */
static void cmd_vcpu(int argc, char **argv)
{
	u32 id = 0;
	if (argc < 2 || (argc > 2 && !parse_u32(argv[2], &id))) {
		LOG("console", "usage: vcpu DOMAIN [N]");
		return;
	}
	struct domain *d = domains_find(argv[1]);
	if (!d || id >= d->nr_vcpus) {
		LOG("console", "no vCPU %u in a domain named '%s'", id, argv[1]);
		return;
	}
	struct vcpu *v = d->vcpus[id];
	struct vcpu_snapshot s;
	status_t st = vcpu_snapshot(v, &s, SNAPSHOT_TIMEOUT_MS);
	if (st == E_NOENT)
		LOG("console", "vcpu %s %u is not running (%s)", d->name, id,
		    d->state == DOM_STOPPED ? d->stop_reason : "not started");
	else if (st)
		LOG("console", "vcpu %s %u: CPU %u did not answer within %u ms", d->name, id, v->cpu,
		    SNAPSHOT_TIMEOUT_MS);
	else
		show_snapshot(v, &s);
}

static const struct command commands[] = {
	{ "help", "?", "", "this list", cmd_help },
	{ "stats", "s", "", "exit statistics of every vCPU", cmd_stats },
	{ "vcpu", "v", "DOMAIN [N]", "guest state of vCPU N of DOMAIN, read on its own CPU", cmd_vcpu },
	{ "irqs", "i", "", "passthrough interrupt sources: route, delivery mode and why", cmd_irqs },
};

static void cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	LOG("console", "commands (one per line):");
	for (u32 i = 0; i < ARRAY_SIZE(commands); i++)
		LOG("console", "  %-5s %-11s %s%s%s", commands[i].name, commands[i].args, commands[i].help,
		    commands[i].alias ? "; short: " : "", commands[i].alias ? commands[i].alias : "");
}

/* Splits line in place at blanks; returns the number of words. */
static int split(char *line, char **argv)
{
	int argc = 0;
	for (char *p = line; *p && argc < MAX_ARGS;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return argc;
}

static void run_line(char *line)
{
	char *argv[MAX_ARGS];
	int argc = split(line, argv);
	if (!argc)
		return;
	for (u32 i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[0], commands[i].name) ||
		    (commands[i].alias && !strcmp(argv[0], commands[i].alias))) {
			commands[i].run(argc, argv);
			return;
		}
	LOG("console", "unknown command '%s' (help lists them)", argv[0]);
}

static char line[LINE_MAX + 1];
static u32 len;
static bool overlong;

void console_poll(void)
{
	int c;
	while ((c = uart_getc()) >= 0) {
		if (c == '\r' || c == '\n') {
			line[len] = '\0';
			if (overlong)
				LOG("console", "line longer than %u characters ignored", LINE_MAX);
			else
				run_line(line);
			len = 0, overlong = false;
		} else if ((c == 8 || c == 127) && len) {
			len--;                                  /* backspace, delete */
		} else if (c >= 32 && c < 127) {
			if (len < LINE_MAX)
				line[len++] = (char)c;
			else
				overlong = true;
		}
	}
}
