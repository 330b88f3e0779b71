/* start.S — multiboot1 header, 32-bit entry, stack, flat GDT and exception IDT for the Passage test guests. */

#define MB_HEADER_MAGIC 0x1BADB002      /* multiboot1 header magic (spec 3.1.1) */
#define MB_HEADER_FLAGS 0x00000002      /* bit 1: request mem_* and mmap_* */
#define KERNEL_CS 0x08                  /* GDT entry 1 */
#define KERNEL_DS 0x10                  /* GDT entry 2 */
#define STACK_SIZE 16384

	.section .multiboot, "a"
	.balign 4
mb_header:                              /* must lie in the image's first 8 KiB */
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.globl _start
_start:
	/* Loader state (spec 3.2): protected mode, paging off, IF=0, EAX=magic, EBX=info; no usable stack. */
	cli
	cld
	mov %eax, %esi                      /* keep the magic across rep stosb */
	mov $__bss_start, %edi              /* zero .bss ourselves: the stack lives there too */
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $stack_top, %esp
	mov %esi, mb_magic
	mov %ebx, mb

	lgdt gdt_ptr                        /* SDM Vol. 3A 3.5.1: our own GDT; the loader's may be gone */
	ljmp $KERNEL_CS, $1f
1:	mov $KERNEL_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss

	/* 32 interrupt gates (SDM Vol. 3A 6.11, figure 6-2): offset, selector, type 0x8E (present, DPL 0, 32-bit). */
	xor %ecx, %ecx
2:	mov trap_stubs(,%ecx,4), %eax
	mov %ax, idt(,%ecx,8)
	movw $KERNEL_CS, idt+2(,%ecx,8)
	movw $0x8E00, idt+4(,%ecx,8)
	shr $16, %eax
	mov %ax, idt+6(,%ecx,8)
	inc %ecx
	cmp $32, %ecx
	jne 2b
	lidt idt_ptr

	call guest_main
	push %eax
	call guest_exit                     /* does not return */

/*
 * Exception stubs. SDM Vol. 3A 6.13: vectors 8, 10-14, 17, 21, 29 and 30 push
 * an error code; the others get a 0 so every frame has the same layout.
 */
.macro STUB vec
	.balign 16
trap_stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	push $0
	.endif
	push $\vec
	jmp trap_common
.endm

	.balign 16
.altmacro
.macro STUBS from, to
	STUB \from
	.if \to-\from
	STUBS %(\from+1), \to
	.endif
.endm
	STUBS 0, 31

trap_common:
	pusha                               /* frame: edi..eax, vector, error, eip, cs, eflags */
	push %esp
	call trap_handler                   /* may longjmp into trap_catch() instead of returning */
	add $4, %esp
	popa
	add $8, %esp                        /* drop vector and error code */
	iret

.macro STUB_ADDR vec
	.long trap_stub_\vec
.endm
.macro STUB_ADDRS from, to
	STUB_ADDR \from
	.if \to-\from
	STUB_ADDRS %(\from+1), \to
	.endif
.endm
	.section .rodata
	.balign 4
trap_stubs:
	STUB_ADDRS 0, 31

/* int trap_setjmp(struct trap_jmp *) / void trap_longjmp(struct trap_jmp *, int): callee-saved regs, esp, eip. */
	.text
	.globl trap_setjmp, trap_longjmp
trap_setjmp:
	mov 4(%esp), %eax
	mov %ebx, 0(%eax)
	mov %esi, 4(%eax)
	mov %edi, 8(%eax)
	mov %ebp, 12(%eax)
	lea 4(%esp), %ecx                   /* esp after our return */
	mov %ecx, 16(%eax)
	mov (%esp), %ecx                    /* return address */
	mov %ecx, 20(%eax)
	xor %eax, %eax
	ret
trap_longjmp:
	mov 4(%esp), %edx
	mov 8(%esp), %eax
	mov 0(%edx), %ebx
	mov 4(%edx), %esi
	mov 8(%edx), %edi
	mov 12(%edx), %ebp
	mov 16(%edx), %esp
	jmp *20(%edx)

	.section .rodata
	.balign 8
gdt:                                    /* SDM Vol. 3A 3.4.5: flat 4 GiB, G=1, D=1 */
	.quad 0
	.quad 0x00CF9A000000FFFF            /* 0x08: code, execute/read */
	.quad 0x00CF92000000FFFF            /* 0x10: data, read/write */
gdt_end:
	.balign 4
	.word 0
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt
	.word 0
idt_ptr:
	.word 32 * 8 - 1
	.long idt

	.bss
	.balign 8
idt:
	.space 32 * 8
	.balign 16
	.space STACK_SIZE
stack_top:
	.globl mb_magic, mb
	.balign 4
mb_magic:
	.space 4
mb:
	.space 4

	.section .note.GNU-stack, "", @progbits
