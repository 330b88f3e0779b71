/* rt.h: the test program's own tiny runtime (serial, printf, PCI, pages, interrupts, time, exit). */
#ifndef VTDM_RT_H
#define VTDM_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define BIT(n) (1UL << (n))
#define KiB 1024UL
#define MiB (1024UL * KiB)
#define GiB (1024UL * MiB)
#define PAGE 4096UL

static inline void outb(u16 p, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outw(u16 p, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outl(u16 p, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p)); }
static inline u8 inb(u16 p) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u32 inl(u16 p) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static inline u32 mmio_r32(u64 a) { return *(volatile u32 *)a; }
static inline u64 mmio_r64(u64 a) { return *(volatile u64 *)a; }
static inline void mmio_w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline void mmio_w64(u64 a, u64 v) { *(volatile u64 *)a = v; }
static inline void barrier(void) { __asm__ volatile("mfence" ::: "memory"); }

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);

/* Legacy PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2). */
u32 pci_r32(u8 bus, u8 devfn, u16 off);
u16 pci_r16(u8 bus, u8 devfn, u16 off);
void pci_w32(u8 bus, u8 devfn, u16 off, u32 v);
void pci_w16(u8 bus, u8 devfn, u16 off, u16 v);

/* Zeroed 4 KiB pages from a bump region; `page_alloc_n` gives N contiguous pages. */
void *page_alloc(void);
void *page_alloc_n(unsigned n, u64 align);

/* Interrupts: per-vector counts, the local APIC timer as the clock. */
extern volatile u64 irq_count[256];
extern volatile u32 irq_cpu[256];   /* APIC ID of the CPU that took the vector last */
extern volatile u64 ticks;
void rt_init(void);
bool wait_for(bool (*done)(void *), void *ctx, u64 max_ticks);
void delay_ticks(u64 n);
u32 lapic_id(void);                /* xAPIC (8-bit) or x2APIC (32-bit) ID of this CPU */
u32 lapic_r(u32 reg);              /* register by its xAPIC MMIO offset, in either mode */
void lapic_w(u32 reg, u32 v);
bool lapic_x2apic_enable(void);    /* false when the CPU has no x2APIC */
bool lapic_is_x2apic(void);

/* smp.c: one application processor taking interrupts in the same IDT */
extern volatile u32 ap_apic_id;
bool ap_start(void);                /* INIT-SIPI-SIPI to all others; true when an AP runs */
bool ap_x2apic(void);               /* the AP switches to x2APIC mode (before the BSP does) */
bool ap_run(int (*fn)(void), int *rc, u64 max_ticks);   /* fn on the AP; false: it did not finish */

/* Command line (key=value words) */
const char *arg(const char *key);
u64 arg_num(const char *key, u64 dflt);
u64 mem_top(void);
const char *rt_cmdline(void);

__attribute__((noreturn)) void rt_exit(int code);

#endif
