/*
 * devpass.c — a guest owning a passed-through edu device: enumerates it through
 * CF8/CFC and ECAM, sizes and places its BAR, tries placements Passage must
 * refuse, runs DMA into its own memory and (with crash=vmexit, whose virtual
 * host bridge names the addresses) at another domain's and the hypervisor's
 * memory, then ends as its command line says: end=exit (default), end=ept
 * (a write outside its memory) or end=crash (triple fault).
 */
#include "guest.h"
#include "x86.h"

#define CONFIG_ADDRESS 0xcf8u
#define CONFIG_DATA 0xcfcu
#define ECAM 0xe0000000u               /* vmm/vpci.h VPCI_ECAM_GPA: bus 0 */
#define HOST_BRIDGE_ID 0x29c08086u
#define EDU_ID 0x11e81234u
#define EDU_CLASS_REV 0x00ff0010u      /* class 00:ff:00, revision 0x10 */
#define EDU_BAR_SIZE (1u << 20)
#define BAR_GPA 0xc0000000u            /* where this guest puts BAR0 */
#define APIC_GPA 0xfee00000u
#define ESCAPE_GPA 0x80000000u         /* not RAM, not a BAR: an EPT violation */
#define AID_OWN 0x40                   /* host bridge test aids (crash=vmexit): host-physical addresses */
#define AID_OTHER 0x48
#define AID_HV 0x50
#define EDU_IDENT 0x00
#define EDU_LIVE 0x04
#define EDU_SRC 0x80
#define EDU_DST 0x88
#define EDU_CNT 0x90
#define EDU_CMD 0x98
#define EDU_BUF 0x40000u
#define CMD_MEM 0x2u
#define CMD_MASTER 0x4u
#define ROUNDS 20u
#define LEN 256u

static uint8_t src[LEN] __attribute__((aligned(4096)));
static uint8_t dst[LEN] __attribute__((aligned(4096)));
static volatile uint8_t canary[LEN] __attribute__((aligned(4096))); /* same address in every domain */

static uint32_t cf8_read(uint32_t dev, uint32_t off)
{
	outl(CONFIG_ADDRESS, 0x80000000u | dev << 11 | off);
	return inl(CONFIG_DATA);
}

static void cf8_write(uint32_t dev, uint32_t off, uint32_t v)
{
	outl(CONFIG_ADDRESS, 0x80000000u | dev << 11 | off);
	outl(CONFIG_DATA, v);
}

static volatile uint32_t *ecam(uint32_t dev, uint32_t off)
{
	return (volatile uint32_t *)(uintptr_t)(ECAM + (dev << 15) + off);
}

static volatile uint32_t *reg(uint32_t off)
{
	return (volatile uint32_t *)(uintptr_t)(BAR_GPA + off);
}

#define check(name, ok, ...) ((ok) ? pass(name) : fail(name, __VA_ARGS__))

/* One edu transfer; returns false when the device never finished. */
static bool dma(uint32_t from, uint32_t to, bool to_ram)
{
	*reg(EDU_SRC) = from;
	*reg(EDU_DST) = to;
	*reg(EDU_CNT) = LEN;
	*reg(EDU_CMD) = 1u | (to_ram ? 2u : 0u);
	for (uint32_t i = 0; i < 10000000u; i++)
		if (!(*reg(EDU_CMD) & 1u))
			return true;
	return false;
}

static uint32_t find_edu(void)
{
	for (uint32_t dev = 1; dev < 32; dev++)
		if (cf8_read(dev, 0) == EDU_ID)
			return dev;
	return 0;
}

static void enumerate(uint32_t dev)
{
	uint32_t diff = 0, first = 0;
	check("hostbridge-id", cf8_read(0, 0) == HOST_BRIDGE_ID && cf8_read(0, 8) >> 8 == 0x060000u,
	      "id 0x%x class 0x%x", cf8_read(0, 0), cf8_read(0, 8));
	check("edu-identity", cf8_read(dev, 8) == EDU_CLASS_REV && (cf8_read(dev, 0x0c) & 0x800000u) == 0,
	      "class/rev 0x%x, header dword 0x%x", cf8_read(dev, 8), cf8_read(dev, 0x0c));
	check("absent-function-floats", cf8_read(dev + 1, 0) == 0xffffffffu && *ecam(dev + 1, 0) == 0xffffffffu,
	      "CF8 0x%x ECAM 0x%x", cf8_read(dev + 1, 0), *ecam(dev + 1, 0));
	for (uint32_t off = 0; off < 0x40; off += 4)
		if (*ecam(dev, off) != cf8_read(dev, off) && !diff++)
			first = off;
	check("ecam-equals-cf8", diff == 0, "%u dwords differ, first at 0x%x", diff, first);
	outl(CONFIG_ADDRESS, 0x80000000u | dev << 11);
	check("cfc-word-access", inw(CONFIG_DATA + 2) == (EDU_ID >> 16) && inb(CONFIG_DATA + 1) == 0x12,
	      "device 0x%x, vendor high byte 0x%x", inw(CONFIG_DATA + 2), inb(CONFIG_DATA + 1));
}

/* Only PM, MSI, PCIe and MSI-X may appear; MSI enable is refused for now. */
static void capabilities(uint32_t dev)
{
	uint32_t at = cf8_read(dev, 0x34) & 0xfc, msi = 0, bad = 0, n = 0;
	while (at && n++ < 16) {
		uint32_t h = cf8_read(dev, at);
		uint8_t id = (uint8_t)h;
		if (id == 0x05)
			msi = at;
		else if (id != 0x01 && id != 0x10 && id != 0x11)
			bad = id;
		at = (h >> 8) & 0xfc;
	}
	check("caps-filtered", msi && !bad, "MSI at 0x%x, unexpected capability ID 0x%x", msi, bad);
	if (!msi)
		return;
	cf8_write(dev, msi, cf8_read(dev, msi) | 1u << 16);
	check("msi-enable-refused", !(cf8_read(dev, msi) & 1u << 16), "MSI control reads 0x%x", cf8_read(dev, msi) >> 16);
}

static void bar(uint32_t dev)
{
	*ecam(dev, 0x10) = 0xffffffffu;                     /* sizing through ECAM */
	uint32_t mask = *ecam(dev, 0x10);
	check("bar-size", (mask & ~0xfu) == (uint32_t)-EDU_BAR_SIZE && (mask & 0xfu) == 0,
	      "BAR0 size mask 0x%x, want 0x%x", mask, (uint32_t)-EDU_BAR_SIZE);
	cf8_write(dev, 0x10, BAR_GPA);                     /* placing through CF8/CFC */
	cf8_write(dev, 4, CMD_MEM);
	check("bar-placed", cf8_read(dev, 0x10) == BAR_GPA && (*reg(EDU_IDENT) & 0xff) == 0xed,
	      "BAR0 reads 0x%x, ident 0x%x", cf8_read(dev, 0x10), *reg(EDU_IDENT));
	*reg(EDU_LIVE) = 0x12345678u;
	check("bar-registers-live", *reg(EDU_LIVE) == ~0x12345678u, "liveness reads 0x%x, want 0x%x",
	      *reg(EDU_LIVE), ~0x12345678u);
	cf8_write(dev, 0x10, 0x00100000u);                 /* over our own RAM */
	check("bar-over-ram-refused", cf8_read(dev, 0x10) == BAR_GPA && (*reg(EDU_IDENT) & 0xff) == 0xed,
	      "BAR0 reads 0x%x, ident 0x%x", cf8_read(dev, 0x10), *reg(EDU_IDENT));
	*ecam(dev, 0x10) = APIC_GPA;                        /* over the local APIC page */
	check("bar-over-apic-refused", *ecam(dev, 0x10) == BAR_GPA, "BAR0 reads 0x%x", *ecam(dev, 0x10));
	cf8_write(dev, 4, CMD_MEM | CMD_MASTER);
	check("command-filtered", (cf8_read(dev, 4) & 0xffff) == (CMD_MEM | CMD_MASTER | 0x400u) || 
	      (cf8_read(dev, 4) & 0xffff) == (CMD_MEM | CMD_MASTER),
	      "command reads 0x%x", cf8_read(dev, 4) & 0xffff);
}

static void dma_own(void)
{
	uint32_t bad = 0, round;
	for (round = 0; round < ROUNDS && !bad; round++) {
		for (uint32_t i = 0; i < LEN; i++)
			src[i] = (uint8_t)(i * 13 + round), dst[i] = 0;
		if (!dma((uint32_t)(uintptr_t)src, EDU_BUF, false) || !dma(EDU_BUF, (uint32_t)(uintptr_t)dst, true)) {
			fail("dma-own-memory", "the device did not finish round %u", round);
			return;
		}
		for (uint32_t i = 0; i < LEN; i++)
			bad += dst[i] != src[i];
	}
	check("dma-own-memory", !bad, "%u bytes wrong in round %u", bad, round - 1);
}

/* DMA aimed at a host-physical address outside our RAM: the unit must fault it. */
static void dma_away(const char *name, uint32_t hpa)
{
	for (uint32_t i = 0; i < LEN; i++)
		dst[i] = 0x77;
	if (!hpa) {
		skip(name, "no address given (boot with crash=vmexit and two domains)");
		return;
	}
	gprintf("INFO %s: DMA to IOVA 0x%x\n", name, hpa);
	bool done = dma(EDU_BUF, hpa, true);
	uint32_t changed = 0;
	for (uint32_t i = 0; i < LEN; i++)
		changed += dst[i] != 0x77;
	check(name, done && !changed, "device finished %u, %u bytes of our own memory changed", done, changed);
}

static void triple_fault(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) none = { 0, 0 };
	__asm__ volatile("lidt %0; int3" : : "m"(none));
}

int guest_main(void)
{
	if (!under_passage()) {
		skip("devpass", "not under Passage");
		return 0;
	}
	for (uint32_t i = 0; i < LEN; i++)
		canary[i] = (uint8_t)(0xc3 ^ i);
	uint32_t dev = find_edu();
	if (!dev) {
		fail("edu-found", "no 1234:11e8 on the virtual bus 0 (00:00.0 reads 0x%x)", cf8_read(0, 0));
		return report_summary();
	}
	pass("edu-found");
	enumerate(dev);
	capabilities(dev);
	bar(dev);
	uint32_t other = cf8_read(0, AID_OTHER), hv = cf8_read(0, AID_HV);
	uint32_t own_size = mb->mem_upper * 1024u + 0x100000u;
	if (other && other < own_size)
		other = 0;   /* it would be one of our own guest-physical addresses */
	dma_away("dma-to-other-domain-faults", other ? other + (uint32_t)(uintptr_t)canary : 0);
	dma_away("dma-to-hypervisor-faults", hv);
	dma_own();
	for (volatile uint32_t i = 0; i < 3000000u; i++)  /* let the other domain's attempt happen */
		;
	uint32_t changed = 0;
	for (uint32_t i = 0; i < LEN; i++)
		changed += canary[i] != (uint8_t)(0xc3 ^ i);
	check("canary-untouched", !changed, "%u bytes of the canary changed", changed);
	gprintf("INFO own RAM at host 0x%x\n", cf8_read(0, AID_OWN));
	if (cmdline_has("end=ept")) {
		report_summary();
		gprintf("INFO ending with a write to 0x%x\n", ESCAPE_GPA);
		*(volatile uint32_t *)(uintptr_t)ESCAPE_GPA = 1;
	} else if (cmdline_has("end=crash")) {
		report_summary();
		gprintf("INFO ending with a triple fault\n");
		triple_fault();
	}
	return report_summary();
}
