/* smp.S — real-mode start-up trampoline for an application processor (copied to 0x8000, SIPI vector 0x08). */

#define AP_TRAMPOLINE 0x8000
#define KERNEL_CS 0x08                  /* same layout as start.S's GDT */
#define KERNEL_DS 0x10
#define TRAMP(sym) ((sym) - ap_tramp_start + AP_TRAMPOLINE)

	.text
	.code16
	/*
	 * SDM Vol. 3A 9.4.4.1 / 9.9.1: after INIT-SIPI-SIPI the AP runs real mode at
	 * CS:IP = (vector << 8):0. Only position-independent code or TRAMP() addresses.
	 */
	.globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	lgdtl TRAMP(tramp_gdt_ptr)
	mov %cr0, %eax
	or $1, %eax                         /* CR0.PE (SDM 9.9.1 "Switching to Protected Mode") */
	mov %eax, %cr0
	ljmpl $KERNEL_CS, $ap_entry32
	.balign 8
tramp_gdt:                              /* flat 4 GiB code and data, as start.S's */
	.quad 0
	.quad 0x00CF9A000000FFFF
	.quad 0x00CF92000000FFFF
tramp_gdt_ptr:
	.word 3 * 8 - 1
	.long TRAMP(tramp_gdt)
ap_tramp_end:

	.code32
ap_entry32:
	mov $KERNEL_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov ap_stack_top, %esp
	call ap_main
1:	cli
	hlt
	jmp 1b

	.data
	.balign 4
	.globl ap_stack_top
ap_stack_top:
	.long 0

	.section .note.GNU-stack, "", @progbits
