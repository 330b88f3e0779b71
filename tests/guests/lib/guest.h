/* guest.h — the tiny runtime shared by the Passage test guests: console, printf-lite, reports, traps, hypercalls. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "multiboot.h"

#define GUEST_EXIT_PORT 0xf4          /* outl(code) ends the guest (Passage; QEMU isa-debug-exit) */
#define HC_CONSOLE_WRITE 1u           /* VMCALL EAX=1: EBX=guest-physical string, ECX=length -> EAX=0 */
#define HC_EXIT          2u           /* VMCALL EAX=2: EBX=exit code */
#define TRAP_NONE        (-1)         /* trap_catch(): the function returned normally */

/* Set by start.S before guest_main(). */
extern uint32_t mb_magic;
extern struct mb_info *mb;

/* Each guest defines this; start.S calls it and exits with its return value. */
int guest_main(void);

/* console.c: polled COM1 output and a printf subset (%s %c %d %u %x %p, l/ll, width, 0-pad). */
void console_putc(char c);
void console_write(const char *s, size_t n);
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gvprintf(const char *fmt, va_list ap);

/* report.c: result lines in the DESIGN.md format and the final summary. */
void pass(const char *name);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int report_summary(void);                   /* prints "N passed, M failed"; returns 0 or 1 */
void guest_exit(uint32_t code) __attribute__((noreturn));

/* runtime.c: boot-info helpers, Passage detection, hypercalls, exception recovery. */
const char *cmdline(void);                  /* "" when the loader gave none */
bool cmdline_has(const char *word);
uint32_t cmdline_uint(const char *key, uint32_t dflt); /* value of key=N */
bool under_passage(void);                   /* CPUID.1:ECX[31] and leaf 0x40000000 == "PassageHV\0\0\0" */
uint32_t hv_console_write(const char *s, size_t n);   /* only under Passage */
void hv_exit(uint32_t code);                /* only under Passage; returns only if the hypercall failed */

/*
 * Runs fn(arg); if it takes a CPU exception, the stub in start.S records the
 * vector and error code and execution resumes here. Returns TRAP_NONE or the
 * vector. An exception outside trap_catch() prints a FAIL line and exits 1.
 */
int trap_catch(void (*fn)(void *), void *arg);
extern volatile uint32_t trap_last_vector, trap_last_error, trap_last_eip;
extern volatile uint32_t trap_last_eflags;  /* the EFLAGS image the exception pushed */
/* Points this CPU's IDT entry vec at an assembly handler of the guest's own (it ends with IRET). */
void idt_set_gate(uint32_t vec, void (*fn)(void));

/* string.c: what GCC may call even in a freestanding build. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
const char *str_find(const char *hay, const char *needle); /* strstr */

#endif
