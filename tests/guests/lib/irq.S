/* irq.S — interrupt stubs for vectors 32-255: each pushes its vector and calls irq_dispatch() (apic.c). */

#define KERNEL_CS 0x08                  /* start.S's flat code segment */
#define FIRST_IRQ 32

	.text
	/* 16-byte stride: irq_init() finds the stub of vector v at irq_stubs + (v - 32) * 16. */
	.balign 16
	.globl irq_stubs
irq_stubs:
	.set vec, FIRST_IRQ
	.rept 256 - FIRST_IRQ
	.balign 16
	push $vec                           /* no error code for external interrupts */
	jmp irq_common
	.set vec, vec + 1
	.endr

irq_common:
	pusha                               /* frame: edi..eax, vector, eip, cs, eflags */
	cld
	push %esp
	call irq_dispatch
	add $4, %esp
	popa
	add $4, %esp                        /* drop the vector */
	iret

	.section .note.GNU-stack, "", @progbits
