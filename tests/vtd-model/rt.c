/* rt.c: serial console on COM1, formatted output, PCI config access, page allocator, IDT,
 * local APIC timer, command line, exit through QEMU's isa-debug-exit or Bochs's 0x8900 port. */
#include "rt.h"

#define COM1 0x3f8
#define LAPIC 0xfee00000UL
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_DCR 0x3e0
#define TIMER_VECTOR 0x20
#define SPURIOUS_VECTOR 0xff

volatile u64 irq_count[256];
volatile u32 irq_cpu[256];
volatile u64 ticks;

void *memset(void *d, int c, size_t n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
void *memcpy(void *d, const void *s, size_t n) { u8 *p = d; const u8 *q = s; while (n--) *p++ = *q++; return d; }
int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}
size_t strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (u8)*a - (u8)*b;
	return 0;
}

static void serial_init(void)
{
	outb(COM1 + 1, 0);    /* no UART interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 1);    /* 115200 */
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7);
	outb(COM1 + 4, 0x03);
}

static void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (u8)c);
}

struct out { char *buf; size_t n, len; };
static void put(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = { buf, n, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') { put(&o, *fmt); continue; }
		fmt++;
		bool zero = false;
		int width = 0, lng = 0;
		if (*fmt == '0') { zero = true; fmt++; }
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') { lng++; fmt++; }
		char tmp[24];
		int k = 0;
		u64 v;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			while (*s) put(&o, *s++);
			continue;
		}
		case 'c': put(&o, (char)va_arg(ap, int)); continue;
		case '%': put(&o, '%'); continue;
		case 'd': {
			long long sv = lng ? va_arg(ap, long long) : va_arg(ap, int);
			if (sv < 0) { put(&o, '-'); sv = -sv; }
			v = (u64)sv;
			do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
			break;
		}
		case 'u': case 'x':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
			if (*fmt == 'u')
				do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
			else
				do { tmp[k++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
			break;
		default: put(&o, '?'); continue;
		}
		while (k < width--)
			put(&o, zero ? '0' : ' ');
		while (k)
			put(&o, tmp[--k]);
	}
	if (n)
		buf[o.len < n ? o.len : n - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

void printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		serial_putc(*p);
}

static u32 cfg_addr(u8 bus, u8 devfn, u16 off) { return 0x80000000u | (u32)bus << 16 | (u32)devfn << 8 | (off & 0xfc); }
u32 pci_r32(u8 bus, u8 devfn, u16 off) { outl(0xcf8, cfg_addr(bus, devfn, off)); return inl(0xcfc); }
u16 pci_r16(u8 bus, u8 devfn, u16 off) { return (u16)(pci_r32(bus, devfn, off) >> ((off & 2) * 8)); }
void pci_w32(u8 bus, u8 devfn, u16 off, u32 v) { outl(0xcf8, cfg_addr(bus, devfn, off)); outl(0xcfc, v); }
void pci_w16(u8 bus, u8 devfn, u16 off, u16 v)
{
	outl(0xcf8, cfg_addr(bus, devfn, off));
	outw((u16)(0xcfc + (off & 2)), v);
}

/* Pages come from 16..96 MiB: above the image, below the IOVA windows the tests use. */
static u64 next_page = 16 * MiB;
#define PAGES_END (96 * MiB)

void *page_alloc_n(unsigned n, u64 align)
{
	u64 a = (next_page + align - 1) & ~(align - 1);
	if (a + n * PAGE > PAGES_END) {
		printf("FAIL runtime: out of pages\n");
		rt_exit(1);
	}
	next_page = a + n * PAGE;
	memset((void *)a, 0, n * PAGE);
	return (void *)a;
}
void *page_alloc(void) { return page_alloc_n(1, PAGE); }

/* Interrupt descriptor table: 256 64-bit interrupt gates (SDM Vol. 3A 6.14.1). */
struct gate { u16 off0, sel; u8 ist, type; u16 off1; u32 off2, rsvd; } __attribute__((packed));
_Static_assert(sizeof(struct gate) == 16, "IDT gate is 16 bytes");
static struct gate idt[256] __attribute__((aligned(16)));
extern char isr_stubs[];

void idt_load(void)
{
	struct { u16 lim; u64 base; } __attribute__((packed)) p = { sizeof idt - 1, (u64)idt };
	__asm__ volatile("lidt %0" ::"m"(p));
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		u64 a = (u64)isr_stubs + 16 * (u64)v;
		idt[v] = (struct gate){ (u16)a, 0x08, 0, 0x8e, (u16)(a >> 16), (u32)(a >> 32), 0 };
	}
	idt_load();
}

/* The local APIC through MMIO (xAPIC) or MSRs 0x800 + offset/16 (x2APIC, SDM Vol. 3A 10.12.1.2). */
static bool x2apic;
static u64 rdmsr(u32 m) { u32 lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(m)); return lo | (u64)hi << 32; }
static void wrmsr(u32 m, u64 v) { __asm__ volatile("wrmsr" ::"c"(m), "a"((u32)v), "d"((u32)(v >> 32))); }
void lapic_w(u32 r, u32 v) { if (x2apic) wrmsr(0x800 + (r >> 4), v); else mmio_w32(LAPIC + r, v); }
u32 lapic_r(u32 r) { return x2apic ? (u32)rdmsr(0x800 + (r >> 4)) : mmio_r32(LAPIC + r); }
u32 lapic_id(void) { return x2apic ? lapic_r(LAPIC_ID) : lapic_r(LAPIC_ID) >> 24; }
bool lapic_is_x2apic(void) { return x2apic; }

/* SDM Vol. 3A 10.12.5: xAPIC -> x2APIC keeps the APIC's state (timer, SVR); needs CPUID.1:ECX[21]. */
bool lapic_x2apic_enable(void)
{
	u32 a = 1, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (!(c & BIT(21)))
		return false;
	wrmsr(0x1b, rdmsr(0x1b) | BIT(10) | BIT(11));   /* IA32_APIC_BASE: EXTD | EN */
	x2apic = true;
	return true;
}

void isr(u64 vec, u64 *frame)
{
	if (vec == 2) {                       /* NMI (ir/remap-nmi): counted, no EOI (SDM Vol. 3A 10.8.5) */
		irq_count[2]++;
		irq_cpu[2] = lapic_id();
		return;
	}
	if (vec < 32) {
		u64 cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		printf("FAIL runtime: exception %u error %lx at rip %lx (cr2 %lx)\n", (unsigned)vec, frame[1],
		       frame[2], cr2);
		rt_exit(1);
	}
	irq_count[vec]++;
	irq_cpu[vec] = lapic_id();
	if (vec == TIMER_VECTOR)
		ticks++;
	if (vec != SPURIOUS_VECTOR)
		lapic_w(LAPIC_EOI, 0);
}

static u32 mb_flags, mb_mem_upper;
static char cmdline[256];

void rt_init(void)
{
	extern u64 mb_info;
	serial_init();
	u32 *mbi = (u32 *)mb_info;
	if (mbi) {
		mb_flags = mbi[0];
		if (mb_flags & 1)
			mb_mem_upper = mbi[2];
		if (mb_flags & 4) {
			const char *c = (const char *)(u64)mbi[4];
			size_t i = 0;
			for (; c[i] && i + 1 < sizeof cmdline; i++)
				cmdline[i] = c[i];
			cmdline[i] = 0;
		}
	}
	outb(0x21, 0xff); /* mask both 8259s: only the local APIC interrupts */
	outb(0xa1, 0xff);
	lapic_w(LAPIC_SVR, 0x100 | SPURIOUS_VECTOR);
	lapic_w(LAPIC_TIMER_DCR, 0x3);                      /* divide by 16 */
	lapic_w(LAPIC_LVT_TIMER, BIT(17) | TIMER_VECTOR);   /* periodic */
	lapic_w(LAPIC_TIMER_ICR, (u32)arg_num("tick", 100000));
	__asm__ volatile("sti");
}

/* Polls `done` with interrupts off, halting between polls ("sti; hlt" cannot lose a wake-up). */
bool wait_for(bool (*done)(void *), void *ctx, u64 max_ticks)
{
	u64 end = ticks + max_ticks;
	for (;;) {
		__asm__ volatile("cli");
		bool d = done(ctx);
		if (d || ticks >= end) {
			__asm__ volatile("sti");
			return d;
		}
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

static bool never(void *ctx) { (void)ctx; return false; }
void delay_ticks(u64 n) { wait_for(never, NULL, n); }

const char *arg(const char *key)
{
	size_t k = strlen(key);
	for (const char *p = cmdline; *p; ) {
		while (*p == ' ') p++;
		if (!strncmp(p, key, k) && p[k] == '=')
			return p + k + 1;
		while (*p && *p != ' ') p++;
	}
	return NULL;
}

u64 arg_num(const char *key, u64 dflt)
{
	const char *p = arg(key);
	if (!p)
		return dflt;
	u64 v = 0, base = 10;
	if (p[0] == '0' && p[1] == 'x') { base = 16; p += 2; }
	for (;; p++) {
		int d;
		if (*p >= '0' && *p <= '9') d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f') d = *p - 'a' + 10;
		else break;
		v = v * base + (u64)d;
	}
	return v;
}

const char *rt_cmdline(void) { return cmdline; }
u64 mem_top(void) { return (u64)mb_mem_upper * KiB + 1 * MiB; }

void rt_exit(int code)
{
	__asm__ volatile("cli");
	outb(0xf4, (u8)code); /* QEMU isa-debug-exit: status (code << 1) | 1 */
	const char *s = "Shutdown";
	while (*s)
		outb(0x8900, (u8)*s++); /* Bochs: ends the emulation */
	for (;;)
		__asm__ volatile("hlt");
}
