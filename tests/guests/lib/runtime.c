/* runtime.c — boot-info helpers, Passage detection, hypercalls and exception recovery for the test guests. */
#include "guest.h"
#include "x86.h"

#define HV_LEAF 0x40000000u                 /* hypervisor CPUID range base */
#define HV_SIGNATURE "PassageHV\0\0\0"      /* EBX, ECX, EDX of HV_LEAF */

struct trap_jmp { uint32_t ebx, esi, edi, ebp, esp, eip; };
int trap_setjmp(struct trap_jmp *j) __attribute__((returns_twice));
void trap_longjmp(struct trap_jmp *j, int val) __attribute__((noreturn));

/* What start.S's trap_common pushes: PUSHA, then our vector/error, then the CPU's frame. */
struct trap_frame {
	uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
	uint32_t vector, error, eip, cs, eflags;
};
void trap_handler(struct trap_frame *f);

volatile uint32_t trap_last_vector, trap_last_error, trap_last_eip, trap_last_eflags;
static struct trap_jmp *volatile trap_armed;

const char *cmdline(void)
{
	if (mb_magic != MB_BOOTLOADER_MAGIC || !(mb->flags & MB_INFO_CMDLINE) || !mb->cmdline)
		return "";
	return (const char *)(uintptr_t)mb->cmdline;
}

bool cmdline_has(const char *word)
{
	return str_find(cmdline(), word) != NULL;
}

uint32_t cmdline_uint(const char *key, uint32_t dflt)
{
	const char *p = str_find(cmdline(), key);
	uint32_t v = 0;

	if (!p)
		return dflt;
	p += strlen(key);
	if (*p++ != '=' || *p < '0' || *p > '9')
		return dflt;
	while (*p >= '0' && *p <= '9' && v < 100000000u)
		v = v * 10 + (uint32_t)(*p++ - '0');
	return v;
}

bool under_passage(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	uint32_t sig[3];

	if (!(r.ecx & CPUID1_ECX_HYPERVISOR))
		return false;
	r = cpuid(HV_LEAF, 0);
	sig[0] = r.ebx;
	sig[1] = r.ecx;
	sig[2] = r.edx;
	return memcmp(sig, HV_SIGNATURE, 12) == 0;
}

uint32_t hv_console_write(const char *s, size_t n)
{
	/* Paging is off, so the string's linear address is its guest-physical address. */
	return vmcall(HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)s, (uint32_t)n);
}

void hv_exit(uint32_t code)
{
	vmcall(HC_EXIT, code, 0);
}

int trap_catch(void (*fn)(void *), void *arg)
{
	struct trap_jmp j;

	if (trap_setjmp(&j)) {
		trap_armed = NULL;
		return (int)trap_last_vector;
	}
	trap_armed = &j;
	fn(arg);
	trap_armed = NULL;
	return TRAP_NONE;
}

void trap_handler(struct trap_frame *f)
{
	struct trap_jmp *j = trap_armed;

	trap_last_vector = f->vector;
	trap_last_error = f->error;
	trap_last_eip = f->eip;
	trap_last_eflags = f->eflags;
	if (j)
		trap_longjmp(j, 1);     /* abandon the exception frame; IF stays 0 as it was */
	gprintf("FAIL exception: unexpected vector %u error 0x%x at eip 0x%x\n",
		f->vector, f->error, f->eip);
	report_summary();
	guest_exit(1);
}

/* Points IDT entry vec of this CPU's IDT at fn: a 32-bit interrupt gate, DPL 0, code segment 0x08
 * (SDM Vol. 3A 6.11, figure 6-2). */
void idt_set_gate(uint32_t vec, void (*fn)(void))
{
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } idtr;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	uint16_t *g = (uint16_t *)(uintptr_t)(idtr.base + vec * 8);
	uint32_t off = (uint32_t)(uintptr_t)fn;
	g[0] = (uint16_t)off;
	g[1] = 0x08;
	g[2] = 0x8e00;
	g[3] = (uint16_t)(off >> 16);
}
