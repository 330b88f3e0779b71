/* CPU exceptions: the register frame and the dump-and-halt handler. */
#ifndef PASSAGE_ARCH_EXCEPTIONS_H
#define PASSAGE_ARCH_EXCEPTIONS_H

#include "lib/types.h"

/* Layout pushed by entry.asm (isr_common) on top of the CPU's frame. */
struct exception_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;   /* SDM Vol. 3A 6.14.2: always pushed in 64-bit mode */
};
_Static_assert(sizeof(struct exception_frame) == 22 * 8, "frame matches entry.asm");

/* A recovery point: callee-saved registers, stack pointer and return address. */
struct jmpbuf {
	u64 rbx, rbp, r12, r13, r14, r15, rsp, rip;
};
_Static_assert(sizeof(struct jmpbuf) == 64, "layout used by entry.asm");

int arch_setjmp(struct jmpbuf *b) __attribute__((returns_twice));
NORETURN void arch_longjmp(struct jmpbuf *b, int value);

/*
 * While this CPU has a recovery point, an exception (other than NMI, #DF and
 * #MC) is dumped and then resumes there with arch_setjmp returning 1, so a
 * fault while handling one guest's VM exit stops that guest, not the CPU.
 *
 * Locks: every spinlock the faulting code took after the recovery point was
 * set (lib/spinlock.h tracks them per CPU) is released before resuming, so no
 * other CPU waits for ever; the data such a lock guarded may be half-updated
 * (code under a recovery point, the VM-exit handlers, takes the domain lock,
 * the allocator and the log lock). The log lock is handled by the dump itself
 * (log_panic_begin/end). A CPU that halts instead keeps what it held except
 * the log lock.
 */
void exceptions_set_recovery(struct jmpbuf *b);

/* Called after the dump, before the CPU halts (the test harness ends the emulator here). */
typedef void (*fatal_hook_fn)(void);
void exceptions_set_fatal_hook(fatal_hook_fn fn);

void exception_handler(struct exception_frame *f);

/* Vectors exceptions_raise() can raise (SDM Vol. 3A table 6-1). */
#define EXC_DE 0   /* divide error */
#define EXC_UD 6   /* invalid opcode */
#define EXC_GP 13  /* general protection */
#define EXC_PF 14  /* page fault */
/* Test aid: raises that exception with recognisable register values (crash= on the command line). */
void exceptions_raise(u8 vector);

#endif
