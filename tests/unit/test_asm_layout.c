/* The offsets vmx_entry.asm uses for struct guest_regs, read from the .asm source, match the C layout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/guest_regs.h"

#define ASM "vmm/vmx_entry.asm"

/* The value of "%define NAME value" in the assembly source, or -1. */
static long asm_define(const char *name)
{
	FILE *f = fopen(ASM, "r");
	char line[256], want[64];
	long v = -1;
	assert_non_null(f);
	snprintf(want, sizeof want, "%%define %s ", name);
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, want, strlen(want)))
			v = strtol(line + strlen(want), NULL, 0);
	fclose(f);
	return v;
}

static void test_guest_regs_offsets(void **state)
{
	(void)state;
	static const struct { const char *asm_name; size_t off; } f[] = {
		{ "R_RAX", offsetof(struct guest_regs, rax) }, { "R_RCX", offsetof(struct guest_regs, rcx) },
		{ "R_RDX", offsetof(struct guest_regs, rdx) }, { "R_RBX", offsetof(struct guest_regs, rbx) },
		{ "R_RBP", offsetof(struct guest_regs, rbp) }, { "R_RSI", offsetof(struct guest_regs, rsi) },
		{ "R_RDI", offsetof(struct guest_regs, rdi) }, { "R_R8", offsetof(struct guest_regs, r8) },
		{ "R_R9", offsetof(struct guest_regs, r9) }, { "R_R10", offsetof(struct guest_regs, r10) },
		{ "R_R11", offsetof(struct guest_regs, r11) }, { "R_R12", offsetof(struct guest_regs, r12) },
		{ "R_R13", offsetof(struct guest_regs, r13) }, { "R_R14", offsetof(struct guest_regs, r14) },
		{ "R_R15", offsetof(struct guest_regs, r15) }, { "R_CR2", offsetof(struct guest_regs, cr2) },
		{ "R_LAUNCHED", offsetof(struct guest_regs, launched) },
		{ "R_HOST_RSP", offsetof(struct guest_regs, host_rsp) },
		{ "R_TSC_GUEST", offsetof(struct guest_regs, tsc_guest) },
		{ "R_TSC_EXIT", offsetof(struct guest_regs, tsc_exit) },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		long v = asm_define(f[i].asm_name);
		if (v != (long)f[i].off)
			fail_msg("%s is %ld in " ASM ", offsetof says %zu", f[i].asm_name, v, f[i].off);
	}
}

/* HOST_RSP's encoding is defined once, in C (vmx_host_rsp_field), not copied into the stub. */
static void test_no_vmcs_encoding_in_asm(void **state)
{
	(void)state;
	FILE *f = fopen(ASM, "r");
	char line[256];
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (strstr(line, "0x6c14") || strstr(line, "HOST_RSP equ"))
			fail_msg("VMCS encoding copied into " ASM ": %s", line);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_regs_offsets),
		cmocka_unit_test(test_no_vmcs_encoding_in_asm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
