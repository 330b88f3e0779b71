/* CPU identification helpers (CPUID vendor and feature bits, Intel SDM Vol. 2A CPUID). */
#include "cpu.h"
#include "lib/string.h"

void cpu_vendor(char out[13])
{
	struct cpuid_regs r = cpuid(0, 0);
	memcpy(out, &r.ebx, 4);
	memcpy(out + 4, &r.edx, 4);
	memcpy(out + 8, &r.ecx, 4);
	out[12] = '\0';
}

bool cpu_has_vmx(void)
{
	return (cpuid(1, 0).ecx & CPUID1_ECX_VMX) != 0;
}
